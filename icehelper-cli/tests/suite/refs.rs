//! `icehelper branch` / `icehelper tag`: write-audit-publish on a Spark-written table, read back
//! by Spark 3.5 + Iceberg 1.10 and PyIceberg 0.12 at every ref.


use crate::common::*;
use serde_json::Value;

fn refs(db: &std::path::Path, wh_uri: &str) -> Value {
    serde_json::from_str(&run_pyiceberg(
        "read_refs.py",
        &[
            "--db",
            db.to_str().unwrap(),
            "--warehouse",
            wh_uri,
            "--table",
            "db.events",
        ],
    ))
    .unwrap()
}

fn ok(db: &std::path::Path, wh_uri: &str, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    icehelper_json(db, wh_uri, &a, 0)
}

fn refused(db: &std::path::Path, wh_uri: &str, args: &[&str], expect: &str) {
    let out = icehelper_lake(db, wh_uri, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
}

#[test]
fn write_audit_publish_with_branches_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("warehouse");
    let wh_uri = format!("file://{}", wh.display());
    spark_sql(
        &db,
        &wh,
        &[
            "CREATE NAMESPACE IF NOT EXISTS lake.db",
            "CREATE TABLE lake.db.events (id BIGINT, v STRING) USING iceberg PARTITIONED BY (v) \
             TBLPROPERTIES ('format-version'='2')",
            "INSERT INTO lake.db.events VALUES (1, 'a'), (2, 'b'), (3, 'a')",
        ],
    );
    let (d, w) = (&db, wh_uri.as_str());
    let before = refs(d, w);
    let main0 = before["refs"]["main"]["snapshot_id"].as_i64().unwrap();

    let b = ok(
        d,
        w,
        &[
            "branch",
            "create",
            "db.events",
            "audit",
            "--max-snapshot-age",
            "7d",
            "--min-snapshots-to-keep",
            "3",
            "--max-ref-age",
            "30d",
        ],
    );
    assert_eq!(b["snapshot_id"], main0);
    assert_eq!(b["commits"], 1);
    ok(
        d,
        w,
        &["branch", "create", "db.events", "diverge", "--from", "main"],
    );
    ok(
        d,
        w,
        &["tag", "create", "db.events", "v1", "--max-ref-age", "365d"],
    );
    refused(
        d,
        w,
        &["branch", "create", "db.events", "audit"],
        "already has a branch 'audit'",
    );
    refused(
        d,
        w,
        &["tag", "create", "db.events", "v2", "--snapshot", "42"],
        "has no snapshot 42",
    );
    refused(
        d,
        w,
        &["branch", "create", "db.events", "x", "--from", "nope"],
        "no branch or tag 'nope'",
    );
    refused(
        d,
        w,
        &[
            "branch",
            "create",
            "db.events",
            "x",
            "--max-ref-age",
            "7 parsecs",
        ],
        "invalid --max-ref-age",
    );

    // write to the branches; main is untouched
    let res = spark_sql(
        &db,
        &wh,
        &[
            "INSERT INTO lake.db.events.branch_audit VALUES (4, 'b'), (5, 'c')",
            "INSERT INTO lake.db.events.branch_diverge VALUES (9, 'z')",
            "INSERT INTO lake.db.events VALUES (6, 'a')",
            "SELECT count(*) AS n FROM lake.db.events",
            "SELECT count(*) AS n FROM lake.db.events VERSION AS OF 'audit'",
            "SELECT count(*) AS n FROM lake.db.events VERSION AS OF 'v1'",
        ],
    );
    assert_eq!(res[3][0][0], 4);
    assert_eq!(res[4][0][0], 5);
    assert_eq!(res[5][0][0], 3);
    let r = refs(d, w);
    assert_eq!(r["refs"]["audit"]["rows"], 5);
    assert_eq!(r["refs"]["audit"]["max_snapshot_age_ms"], 7 * 86_400_000i64);
    assert_eq!(r["refs"]["audit"]["min_snapshots_to_keep"], 3);
    assert_eq!(r["refs"]["audit"]["max_ref_age_ms"], 30 * 86_400_000i64);
    assert_eq!(r["refs"]["v1"]["type"], "tag");
    assert_eq!(r["refs"]["v1"]["snapshot_id"], main0);
    assert_eq!(r["refs"]["main"]["rows"], 4);

    let listed = ok(d, w, &["branch", "list", "db.events"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["audit", "diverge", "main", "v1"]);
    // retention in the words it was given (issue 20: once "604800000 ms")
    let text = icehelper_lake(d, w, &["branch", "list", "db.events"]);
    let text = String::from_utf8_lossy(&text.stdout);
    let audit = text.lines().find(|l| l.starts_with("audit")).unwrap();
    assert!(audit.contains("7d") && audit.contains("30d"), "{text}");

    // partition-health reads a branch
    let h = ok(
        d,
        w,
        &["partition-health", "db.events", "--branch", "audit"],
    );
    assert_eq!(h["table"]["record_count"], 5);

    // main moved on (row 6) since audit branched: publishing audit would lose it
    refused(
        d,
        w,
        &[
            "branch",
            "fast-forward",
            "db.events",
            "main",
            "--from",
            "audit",
        ],
        "is not an ancestor",
    );
    // rebuild the audit on top of main: a branch from main, written, fast-forwarded
    ok(d, w, &["branch", "create", "db.events", "audit2"]);
    spark_sql(
        &db,
        &wh,
        &["INSERT INTO lake.db.events.branch_audit2 VALUES (7, 'b'), (8, 'c')"],
    );
    let main1 = refs(d, w)["refs"]["main"]["snapshot_id"].as_i64().unwrap();
    let ff = ok(
        d,
        w,
        &[
            "branch",
            "fast-forward",
            "db.events",
            "main",
            "--from",
            "audit2",
        ],
    );
    assert_eq!(ff["previous_snapshot_id"], main1);
    assert_eq!(ff["commits"], 1);
    let again = ok(
        d,
        w,
        &[
            "branch",
            "fast-forward",
            "db.events",
            "main",
            "--from",
            "audit2",
        ],
    );
    assert_eq!(again["commits"], 0, "already there: no commit");
    refused(
        d,
        w,
        &[
            "branch",
            "fast-forward",
            "db.events",
            "v1",
            "--from",
            "main",
        ],
        "is a tag",
    );

    // drops
    refused(
        d,
        w,
        &["branch", "drop", "db.events", "main"],
        "cannot be dropped",
    );
    refused(
        d,
        w,
        &["branch", "drop", "db.events", "v1"],
        "is a tag, not a branch",
    );
    refused(
        d,
        w,
        &["tag", "drop", "db.events", "nope"],
        "no branch or tag 'nope'",
    );
    ok(d, w, &["branch", "drop", "db.events", "audit"]);
    ok(d, w, &["branch", "drop", "db.events", "audit2"]);
    ok(d, w, &["tag", "drop", "db.events", "v1"]);

    let r = refs(d, w);
    assert_eq!(
        r["refs"]["main"]["ids"],
        serde_json::json!([1, 2, 3, 6, 7, 8])
    );
    assert_eq!(r["current_snapshot_id"], r["refs"]["main"]["snapshot_id"]);
    assert_eq!(r["refs"]["diverge"]["ids"], serde_json::json!([1, 2, 3, 9]));
    let res = spark_sql(
        &db,
        &wh,
        &[
            "SELECT id FROM lake.db.events ORDER BY id",
            "SELECT name, type FROM lake.db.events.refs ORDER BY name",
            "SELECT count(*) AS n FROM lake.db.events VERSION AS OF 'diverge'",
            "INSERT INTO lake.db.events VALUES (10, 'a')",
            "SELECT count(*) AS n FROM lake.db.events",
        ],
    );
    let ids: Vec<i64> = res[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 6, 7, 8]);
    assert_eq!(
        res[1],
        serde_json::json!([["diverge", "BRANCH"], ["main", "BRANCH"]])
    );
    assert_eq!(res[2][0][0], 4);
    assert_eq!(res[4][0][0], 7);
}
