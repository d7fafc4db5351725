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
