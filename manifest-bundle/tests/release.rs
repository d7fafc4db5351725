//! `Release` and the shared `render-bases` main: `--check` compares without writing.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use manifest_bundle::{render_bases_with, Bundle, Release, StaleKind};
use serde_json::json;

fn release(dir: &Path) -> manifest_bundle::Result<Release> {
    let mut bundle = Bundle::new("hello").with_readme("# hello\n");
    bundle.push(&json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "hello"}
    }))?;
    Ok(Release::new("hello-templates", "0.1.0", dir, vec![bundle]))
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn check_reports_stale_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bases = tmp.path().join("bases");
    let code = render_bases_with(args(&["--check"]), || release(&bases));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(!bases.exists(), "--check must not write");

    assert_eq!(
        render_bases_with(args(&[]), || release(&bases)),
        ExitCode::SUCCESS
    );
    assert!(bases.join("hello/serviceaccount-hello.yaml").is_file());
    assert_eq!(
        render_bases_with(args(&["--check"]), || release(&bases)),
        ExitCode::SUCCESS
    );

    let readme = bases.join("hello/README.md");
    fs::write(&readme, "edited\n").unwrap();
    fs::write(bases.join("hello/extra.yaml"), "x: 1\n").unwrap();
    let stale = release(&bases).unwrap().check(&bases).unwrap();
    let kinds: Vec<_> = stale
        .iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("hello/README.md".to_owned(), StaleKind::Changed),
            ("hello/extra.yaml".to_owned(), StaleKind::Extra),
        ]
    );
    assert_eq!(
        render_bases_with(args(&["--check", "--tarball", "dist"]), || release(&bases)),
        ExitCode::FAILURE
    );
    assert_eq!(fs::read_to_string(&readme).unwrap(), "edited\n");
    assert!(!Path::new("dist").exists(), "no tarball when stale");
}

#[test]
fn out_and_tarball() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dist = tmp.path().join("dist");
    let code = render_bases_with(
        args(&[
            "--out",
            out.to_str().unwrap(),
            "--tarball",
            dist.to_str().unwrap(),
        ]),
        || release(&tmp.path().join("unused")),
    );
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(out.join("hello/README.md").is_file());
    assert!(dist
        .join("hello-templates-0.1.0-kustomize.tar.gz")
        .is_file());
    assert!(!tmp.path().join("unused").exists());
}

#[test]
fn bad_arguments_fail() {
    let never = || -> manifest_bundle::Result<Release> { panic!("not rendered") };
    assert_eq!(
        render_bases_with(args(&["--bogus"]), never),
        ExitCode::FAILURE
    );
    assert_eq!(
        render_bases_with(args(&["--out"]), never),
        ExitCode::FAILURE
    );
    assert_eq!(
        render_bases_with(args(&["--help"]), never),
        ExitCode::SUCCESS
    );
}
