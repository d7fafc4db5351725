//! The SQL catalog on PostgreSQL: a PyIceberg `SqlCatalog` there reads the same in icehelper.


use std::process::Command;

use crate::common::*;
use serde_json::Value;

#[test]
fn pyiceberg_catalog_on_postgres_reads_the_same() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let wh = format!("file://{}", dir.path().join("wh").display());
    let fixture: Value = serde_json::from_str(&run_pyiceberg(
        "make_pyiceberg_table.py",
        &[
            "--uri",
            &format!("postgresql+psycopg2://postgres@127.0.0.1:{}/lake", pg.port),
            "--warehouse",
            &wh,
            "--appends-before",
            "3",
            "--appends-after",
            "2",
            "--rows-per-append",
            "200",
        ],
    ))
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_icehelper"))
            .args([
                "--catalog",
                "lake",
                "--uri",
                &format!("postgresql://postgres@127.0.0.1:{}/lake", pg.port),
            ])
            .args(["--warehouse", &wh])
            .args(args)
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["partition-health", "db.events", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let health: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_partitions_match_pyiceberg(&health, &fixture);
    let list = run(&["list", "db"]);
    assert_eq!(String::from_utf8_lossy(&list.stdout), "db.events\n");
    // the same database under another catalog name holds nothing
    let other = Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .args([
            "--catalog",
            "other",
            "--uri",
            &format!("postgresql://postgres@127.0.0.1:{}/lake", pg.port),
        ])
        .args(["describe", "db.events"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("does not exist"));
}

/// A PostgreSQL that takes TLS connections only (`sslmode=require`, as managed services are set
/// up): the catalog opens over TLS (issue 13: TLS is an explicit feature of the postgres catalog,
/// not a side effect of another one).
#[test]
fn a_tls_only_postgres_catalog_opens_with_sslmode_require() {
    let pg = Postgres::start_tls_only();
    let dir = tempfile::tempdir().unwrap();
    let wh = format!("file://{}", dir.path().join("wh").display());
    run_pyiceberg(
        "make_pyiceberg_table.py",
        &[
            "--uri",
            &format!(
                "postgresql+psycopg2://postgres@127.0.0.1:{}/lake?sslmode=require",
                pg.port
            ),
            "--warehouse",
            &wh,
            "--appends-before",
            "1",
            "--appends-after",
            "1",
            "--rows-per-append",
            "10",
        ],
    );
    let run = |uri: String| {
        Command::new(env!("CARGO_BIN_EXE_icehelper"))
            .args(["--catalog", "lake", "--uri", &uri, "--warehouse", &wh])
            .args(["list", "db"])
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let out = run(format!(
        "postgresql://postgres@127.0.0.1:{}/lake?sslmode=require",
        pg.port
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "db.events\n");
    // without TLS the server refuses: the test really goes through TLS
    let plain = run(format!(
        "postgresql://postgres@127.0.0.1:{}/lake?sslmode=disable",
        pg.port
    ));
    assert_eq!(plain.status.code(), Some(2));
}
