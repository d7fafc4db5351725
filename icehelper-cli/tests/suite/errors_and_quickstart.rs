//! The embedded default (quickstart in an empty folder) and bad input: one clear line on stderr,
//! exit code 2, and nothing changed.

use crate::common::tree;
use std::path::Path;
use std::process::{Command, Output};

fn icehelper_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .current_dir(dir)
        .args(args)
        .env_remove("PYICEBERG_HOME")
        .env_remove("PYICEBERG_DEFAULT_CATALOG")
        .env("HOME", dir)
        .output()
        .expect("run icehelper")
}

fn assert_one_line_error(out: &Output, expected: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: exit code; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() == 1 && lines[0].contains(expected),
        "{what}: expected one line containing {expected:?}, got: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{what}: nothing on stdout");
}

#[test]
fn quickstart_then_bad_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = icehelper_in(
        d,
        &[
            "quickstart",
            "--rows",
            "3000",
            "--commits",
            "3",
            "--days",
            "2",
            "-o",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["quickstart"]["rows"], 3000);
    assert_eq!(report["health"]["table"]["record_count"], 3000);
    assert_eq!(report["health"]["table"]["snapshot_count"], 3);
    // 2 days × 5 regions, one file per partition per commit
    assert_eq!(report["health"]["table"]["partition_count"], 10);
    assert_eq!(report["health"]["table"]["data_file_count"], 30);
    assert!(d.join("lakehouse/catalog.db").is_file());
    assert!(d.join("lakehouse/warehouse/demo/events/metadata").is_dir());

    // the embedded default is what later commands open with no configuration
    let list = icehelper_in(d, &["list", "demo"]);
    assert_eq!(String::from_utf8_lossy(&list.stdout), "demo.events\n");
    // a second quickstart refuses to overwrite
    let again = icehelper_in(d, &["quickstart", "--rows", "10", "--commits", "1"]);
    assert_one_line_error(&again, "demo.events already exists", "second quickstart");

    let before = tree(d);
    let snapshot_id = report["health"]["table"]["snapshot_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["describe", "demo.nope"],
            "table 'demo.nope' does not exist",
        ),
        (vec!["list", "nope"], "namespace 'nope' does not exist"),
        (vec!["snapshots", "events"], "invalid identifier 'events'"),
        (vec!["describe", "demo..x"], "invalid identifier"),
        (
            vec!["partition-health", "demo.events", "--snapshot", "123"],
            "has no snapshot 123",
        ),
        (
            vec!["partition-health", "demo.events", "--ref", "audit"],
            "has no branch or tag 'audit'",
        ),
        (
            vec!["partition-health", "demo.events", "--small-file-size", "0"],
            "--small-file-size",
        ),
        (
            vec!["partition-health", "demo.events", "--fail-under", "101"],
            "101",
        ),
        (
            vec![
                "describe",
                "demo.events",
                "-P",
                "s3.path-style-access=maybe",
            ],
            "s3.path-style-access",
        ),
        (
            vec!["describe", "demo.events", "-P", "novalue"],
            "KEY=VALUE",
        ),
        (
            vec!["--catalog", "prod", "describe", "demo.events"],
            "catalog 'prod' is not configured",
        ),
        (
            vec![
                "--uri",
                "sqlite:////nonexistent/catalog.db",
                "describe",
                "demo.events",
            ],
            "no SQLite catalog file",
        ),
        (
            vec!["--uri", "mysql://h/db", "describe", "demo.events"],
            "cannot tell the catalog type",
        ),
        (
            vec![
                "--uri",
                "postgresql://u:hunter2@127.0.0.1:1/db",
                "describe",
                "demo.events",
            ],
            "cannot open catalog",
        ),
        (
            vec!["--uri", "http://127.0.0.1:1/catalog", "list"],
            "cannot open catalog",
        ),
        (
            vec!["--uri", "http://[bad", "list"],
            "malformed REST catalog URI",
        ),
        (vec!["schema-nope"], "unrecognized subcommand"),
    ];
    for (args, expected) in &cases {
        let out = icehelper_in(d, args);
        assert_one_line_error(&out, expected, &args.join(" "));
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("hunter2"),
            "password printed"
        );
    }
    assert_eq!(tree(d), before, "bad input changed files");
    let _ = snapshot_id;

    // missing and corrupt metadata.json
    let desc: serde_json::Value =
        serde_json::from_slice(&icehelper_in(d, &["describe", "demo.events", "-o", "json"]).stdout)
            .unwrap();
    let meta = desc["metadata_location"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();
    let original = std::fs::read(&meta).unwrap();
    std::fs::write(&meta, b"{ this is not json").unwrap();
    assert_one_line_error(
        &icehelper_in(d, &["describe", "demo.events"]),
        "cannot read metadata",
        "corrupt metadata",
    );
    std::fs::remove_file(&meta).unwrap();
    assert_one_line_error(
        &icehelper_in(d, &["snapshots", "demo.events"]),
        "cannot read metadata",
        "missing metadata",
    );
    std::fs::write(&meta, original).unwrap();
    assert_eq!(
        icehelper_in(d, &["describe", "demo.events"]).status.code(),
        Some(0)
    );

    // a closed pipe is not an error
    let mut child = Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .current_dir(d)
        .env("HOME", d)
        .args(["partition-health", "demo.events"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "broken pipe must exit 0");
}

/// Issue 20: clap's errors were cut to their first line, naming no argument; bare `icehelper`
/// printed only the description; log lines carried colour codes off a terminal.
#[test]
fn usage_errors_say_what_is_missing_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = icehelper_in(d, &["compact"]);
    assert_one_line_error(&out, "<TABLE>", "compact without a table");
    let line = String::from_utf8_lossy(&out.stderr);
    assert!(line.contains("Usage: icehelper compact"), "{line}");
    assert!(line.contains("--help"), "{line}");
    assert!(
        !line.contains('\u{1b}'),
        "no colour codes off a terminal: {line}"
    );

    for args in [&[][..], &["branch"][..]] {
        let out = icehelper_in(d, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("Usage:") && err.contains("Commands:"),
            "{args:?}: {err}"
        );
    }
    assert!(tree(d).is_empty(), "nothing written");
}

/// Issue 20: the README's migration and branch examples named a table and a column quickstart
/// does not create. Every `icehelper` line of that section now runs as written, in order.
#[test]
fn the_readme_migration_and_branch_examples_run_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let start = readme.find("### Schema migrations and branches").unwrap();
    let end = start + readme[start..].find("\n## ").unwrap();
    let section = &readme[start..end];
    let blocks: Vec<(&str, &str)> = section
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|b| b.split_once('\n').unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(icehelper_in(d, &["quickstart"]).status.success());
    let toml = blocks.iter().find(|(lang, _)| *lang == "toml").unwrap().1;
    let name = toml.lines().next().unwrap().trim_start_matches("# ").trim();
    std::fs::create_dir_all(d.join("migrations")).unwrap();
    std::fs::write(d.join(name), toml).unwrap();
    let mut ran = 0;
    for (_, body) in blocks.iter().filter(|(lang, _)| *lang == "sh") {
        for line in body.lines() {
            let command = line.split(" #").next().unwrap().trim();
            let Some(rest) = command.strip_prefix("icehelper ") else {
                continue;
            };
            let args: Vec<&str> = rest.split_whitespace().collect();
            let out = icehelper_in(d, &args);
            assert!(
                out.status.success(),
                "README: {command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 9, "{ran} commands");
    let described = icehelper_in(d, &["describe", "demo.events", "--output", "json"]);
    let described: serde_json::Value = serde_json::from_slice(&described.stdout).unwrap();
    assert!(described.to_string().contains("channel"), "{described}");
}
