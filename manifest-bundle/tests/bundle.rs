use std::fs;
use std::path::{Path, PathBuf};

use manifest_bundle::{write_tarball, Bundle, ConfigMapFiles, Error, StaleFile, StaleKind};
use serde_json::json;

fn sample() -> Bundle {
    let mut b = Bundle::new("sample")
        .with_header("Rendered by a test.")
        .with_readme("# sample\n");
    b.push(&json!({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "runner", "labels": {"b": "2", "a": "1"}}}))
        .unwrap();
    b.push(
        &json!({"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "runner"}, "rules": []}),
    )
    .unwrap();
    b.push_config_map(
        ConfigMapFiles::new("code")
            .file("job.py", "print('hi')\n")
            .file("job.sql", "SELECT 1\n")
            .label("app", "sample"),
    )
    .unwrap();
    b
}

#[test]
fn renders_sorted_yaml_kustomization_and_files() {
    let files = sample().render().unwrap();
    let names: Vec<&Path> = files.keys().map(PathBuf::as_path).collect();
    assert_eq!(
        names,
        [
            Path::new("README.md"),
            Path::new("code/job.py"),
            Path::new("code/job.sql"),
            Path::new("kustomization.yaml"),
            Path::new("role-runner.yaml"),
            Path::new("serviceaccount-runner.yaml"),
        ]
    );
    let sa = String::from_utf8(files[Path::new("serviceaccount-runner.yaml")].clone()).unwrap();
    assert_eq!(
        sa,
        "# Rendered by a test.\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  labels:\n    a: '1'\n    b: '2'\n  name: runner\n"
    );
    let k = String::from_utf8(files[Path::new("kustomization.yaml")].clone()).unwrap();
    assert!(
        k.contains("resources:\n- serviceaccount-runner.yaml\n- role-runner.yaml\n"),
        "{k}"
    );
    assert!(
        k.contains("- job.py=code/job.py\n  - job.sql=code/job.sql\n"),
        "{k}"
    );
    assert!(k.contains("disableNameSuffixHash: true"), "{k}");
}

#[test]
fn rejects_incomplete_objects_and_duplicates() {
    let mut b = Bundle::new("x");
    let err = b
        .push(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidObject { .. }), "{err}");
    b.push(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}))
        .unwrap();
    let err = b
        .push(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}))
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateFile { .. }), "{err}");
    let err = b
        .push_config_map(ConfigMapFiles::new("c").file("a/b", ""))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidObject { .. }), "{err}");
}

#[test]
fn check_dir_reports_missing_changed_and_extra_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("sample");
    let b = sample();
    assert_eq!(b.check_dir(&base).unwrap().len(), 6);
    b.write_clean(&base).unwrap();
    assert_eq!(b.check_dir(&base).unwrap(), vec![]);

    fs::write(base.join("code/job.sql"), "SELECT 2\n").unwrap();
    fs::remove_file(base.join("README.md")).unwrap();
    fs::create_dir_all(base.join("old")).unwrap();
    fs::write(base.join("old/gone.yaml"), "x").unwrap();
    let mut stale = b.check_dir(&base).unwrap();
    stale.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        stale,
        vec![
            StaleFile {
                path: "README.md".into(),
                kind: StaleKind::Missing
            },
            StaleFile {
                path: "code/job.sql".into(),
                kind: StaleKind::Changed
            },
            StaleFile {
                path: "old/gone.yaml".into(),
                kind: StaleKind::Extra
            },
        ]
    );
    b.write_clean(&base).unwrap();
    assert_eq!(b.check_dir(&base).unwrap(), vec![]);
    assert!(!base.join("old").exists());
}

#[test]
fn tarball_is_reproducible_and_holds_every_base_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut other = Bundle::new("other");
    other
        .push(&json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "o"}}))
        .unwrap();
    let bundles = [sample(), other];
    let first = write_tarball(&dir.path().join("a"), "demo", "1.2.3", &bundles).unwrap();
    let second = write_tarball(&dir.path().join("b"), "demo", "1.2.3", &bundles).unwrap();
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(
        first.path.file_name().unwrap(),
        "demo-1.2.3-kustomize.tar.gz"
    );
    assert_eq!(
        fs::read_to_string(&first.sha256_path).unwrap(),
        format!("{}  demo-1.2.3-kustomize.tar.gz\n", first.sha256)
    );
    assert_eq!(first.sha256.len(), 64);

    let gz = flate2::read::GzDecoder::new(fs::File::open(&first.path).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        assert_eq!(entry.header().mtime().unwrap(), 0);
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        seen.push((path, content));
    }
    let mut expected = Vec::new();
    for b in &bundles {
        for (p, c) in b.render().unwrap() {
            expected.push((format!("demo-1.2.3/bases/{}/{}", b.name(), p.display()), c));
        }
    }
    expected.sort();
    assert_eq!(seen, expected);
}
