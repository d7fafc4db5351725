//! icehelper against a real Iceberg REST catalog: tests/java/RestCatalogFixture.java serves a
//! JdbcCatalog (SQLite) through Apache Iceberg 1.10's own REST handlers (CatalogHandlers and
//! RESTSerializers). The table is written by PyIceberg 0.12, first into the SQLite catalog and
//! then, once more, through the REST server; icehelper's views over REST are checked against
//! PyIceberg's and against icehelper's own over the SQLite catalog.


use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use chrono::DateTime;
use crate::common::*;
use serde_json::{json, Value};

const TOKEN: &str = "icehelper-rest-token";

const COUNTS: [&str; 9] = [
    "record_count",
    "file_count",
    "total_data_file_size_in_bytes",
    "position_delete_record_count",
    "position_delete_file_count",
    "equality_delete_record_count",
    "equality_delete_file_count",
    "last_updated_at",
    "last_updated_snapshot_id",
];

/// Rows keyed by partition value and spec id; `last_updated_at` as epoch milliseconds.
fn rows_by_key(rows: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for r in rows.as_array().expect("partitions array") {
        let mut r = r.clone();
        if let Some(s) = r["last_updated_at"].as_str() {
            let ms = DateTime::parse_from_rfc3339(s)
                .expect("RFC 3339")
                .timestamp_millis();
            r["last_updated_at"] = json!(ms);
        }
        let key = format!("{} spec {}", r["partition"], r["spec_id"]);
        assert!(out.insert(key.clone(), r).is_none(), "duplicate row {key}");
    }
    out
}

fn assert_same_partitions(ours: &Value, theirs: &Value, who: &str) {
    let (ours, theirs) = (rows_by_key(ours), rows_by_key(theirs));
    assert!(!theirs.is_empty(), "{who}: no partitions");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "partition values differ from {who}"
    );
    for (k, t) in &theirs {
        for c in COUNTS {
            assert_eq!(ours[k][c], t[c], "{who}: partition {k}: {c}");
        }
    }
}

fn assert_one_line_error(out: &Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: exit code; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: expected one line on stderr, got: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// Runs icehelper, asserts exit 0, parses its JSON stdout.
fn json_of(home: &Path, flags: &[String], args: &[&str]) -> Value {
    let out = icehelper_with(home, flags, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "icehelper {args:?}: stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "icehelper {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("snapshot id"))
        .collect()
}

#[test]
fn rest_catalog_views_match_pyiceberg_and_the_sql_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("warehouse").display());
    let fixture: Value = serde_json::from_str(&run_pyiceberg(
        "make_pyiceberg_table.py",
        &[
            "--db",
            db.to_str().unwrap(),
            "--warehouse",
            &wh_uri,
            "--appends-before",
            "3",
            "--appends-after",
            "2",
            "--rows-per-append",
            "200",
        ],
    ))
    .unwrap();
    let fixture_snapshots = ids(&fixture["snapshots"]);
    assert_eq!(fixture_snapshots.len(), 5);

    let server = RestCatalogServer::start(&db, &wh_uri, "lake", Some(TOKEN));
    let catalog = |token: Option<&str>| -> Vec<String> {
        let mut f: Vec<String> = ["--catalog", "lake", "--uri", &server.uri]
            .iter()
            .map(|s| s.to_string())
            .collect();
        f.extend(["--warehouse".to_string(), wh_uri.clone()]);
        if let Some(t) = token {
            f.extend(["-P".to_string(), format!("token={t}")]);
        }
        f
    };
    let rest = catalog(Some(TOKEN));
    let sql: Vec<String> = [
        "--catalog",
        "lake",
        "--uri",
        &format!("sqlite:///{}", db.display()),
        "--warehouse",
        &wh_uri,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();

    // list
    let top = json_of(home, &rest, &["list", "--output", "json"]);
    assert_eq!(top["namespaces"], json!(["db"]), "{top}");
    let in_db = json_of(home, &rest, &["list", "db", "--output", "json"]);
    assert_eq!(in_db["tables"], json!(["db.events"]), "{in_db}");
    assert_eq!(in_db["namespaces"], json!([]), "{in_db}");

    // describe: what PyIceberg wrote, and the same as icehelper reads from the SQLite catalog
    let described = json_of(home, &rest, &["describe", "db.events", "--output", "json"]);
    assert_eq!(
        described["current_snapshot_id"],
        json!(fixture_snapshots.last().unwrap())
    );
    let fields: Vec<&str> = described["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["id", "ts", "category", "amount_usd", "user_id", "channel"]
    );
    assert_eq!(described["partition_specs"].as_array().unwrap().len(), 2);
    assert_eq!(
        described,
        json_of(home, &sql, &["describe", "db.events", "--output", "json"]),
        "describe over REST differs from describe over the SQLite catalog"
    );

    // snapshots
    let snaps = json_of(home, &rest, &["snapshots", "db.events", "--output", "json"]);
    let snap_ids: Vec<i64> = snaps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot_id"].as_i64().unwrap())
        .collect();
    assert_eq!(snap_ids, fixture_snapshots);

    // partition-health, current and first snapshot, against PyIceberg's inspect.partitions()
    let health = json_of(
        home,
        &rest,
        &["partition-health", "db.events", "--output", "json"],
    );
    assert_eq!(health["table"]["record_count"], fixture["rows"]);
    assert_eq!(
        health["table"]["snapshot_id"],
        json!(fixture_snapshots.last().unwrap())
    );
    assert_same_partitions(
        &health["partitions"],
        &fixture["partitions"],
        "PyIceberg (current)",
    );
    assert_eq!(
        health,
        json_of(
            home,
            &sql,
            &["partition-health", "db.events", "--output", "json"]
        ),
        "partition-health over REST differs from partition-health over the SQLite catalog"
    );
    let first = fixture["first_snapshot"].as_i64().unwrap().to_string();
    let at_first = json_of(
        home,
        &rest,
        &[
            "partition-health",
            "db.events",
            "--snapshot",
            &first,
            "--output",
            "json",
        ],
    );
    assert_same_partitions(
        &at_first["partitions"],
        &fixture["partitions_first"],
        "PyIceberg (first snapshot)",
    );

    // icehelper really went through the server
    let log = server.requests();
    for req in [
        "GET /v1/config -> 200",
        "GET /v1/namespaces -> 200",
        "GET /v1/namespaces/db/tables -> 200",
        "GET /v1/namespaces/db/tables/events -> 200",
    ] {
        assert!(log.contains(req), "no '{req}' in the server log:\n{log}");
    }

    // a commit through the REST server (PyIceberg's RestCatalog), then icehelper sees it
    let after: Value = serde_json::from_str(&run_pyiceberg(
        "rest_append.py",
        &["--uri", &server.uri, "--token", TOKEN],
    ))
    .unwrap();
    assert!(
        server
            .requests()
            .contains("POST /v1/namespaces/db/tables/events -> 200"),
        "PyIceberg's append did not commit through the server:\n{}",
        server.requests()
    );
    let after_snapshots = ids(&after["snapshots"]);
    assert_eq!(after_snapshots.len(), fixture_snapshots.len() + 1);
    assert_eq!(
        after_snapshots[..fixture_snapshots.len()],
        fixture_snapshots
    );
    let snaps = json_of(home, &rest, &["snapshots", "db.events", "--output", "json"]);
    let snap_ids: Vec<i64> = snaps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot_id"].as_i64().unwrap())
        .collect();
    assert_eq!(snap_ids, after_snapshots);
    let described = json_of(home, &rest, &["describe", "db.events", "--output", "json"]);
    assert_eq!(described["current_snapshot_id"], after["current_snapshot"]);
    assert_eq!(described["metadata_location"], after["metadata_location"]);
    let health = json_of(
        home,
        &rest,
        &["partition-health", "db.events", "--output", "json"],
    );
    assert_eq!(health["table"]["record_count"], after["rows"]);
    assert_same_partitions(
        &health["partitions"],
        &after["partitions"],
        "PyIceberg over REST (after its append)",
    );

    // errors: one line on stderr, exit 2
    let no_token = icehelper_with(home, &catalog(None), &["list"]);
    let msg = assert_one_line_error(&no_token, "no token");
    assert!(
        msg.contains("cannot open catalog 'lake'") && msg.contains("401"),
        "no token: {msg}"
    );
    let wrong = icehelper_with(
        home,
        &catalog(Some("not-the-token")),
        &["describe", "db.events"],
    );
    let msg = assert_one_line_error(&wrong, "wrong token");
    assert!(msg.contains("401"), "wrong token: {msg}");
    assert!(!msg.contains("not-the-token"), "token leaked: {msg}");
    let unknown = icehelper_with(home, &rest, &["describe", "db.nope"]);
    let msg = assert_one_line_error(&unknown, "unknown table");
    assert!(
        msg.contains("db.nope") && msg.contains("does not exist"),
        "unknown table: {msg}"
    );
    let unknown = icehelper_with(
        home,
        &rest,
        &["partition-health", "db.nope", "--output", "json"],
    );
    let msg = assert_one_line_error(&unknown, "unknown table (partition-health)");
    assert!(msg.contains("does not exist"), "{msg}");
    let unknown_ns = icehelper_with(home, &rest, &["list", "nowhere"]);
    let msg = assert_one_line_error(&unknown_ns, "unknown namespace");
    assert!(
        msg.contains("nowhere") && msg.contains("does not exist"),
        "unknown namespace: {msg}"
    );
}
