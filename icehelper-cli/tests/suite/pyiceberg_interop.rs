//! icehelper's read-only views of a PyIceberg-written table, checked against PyIceberg 0.12 and
//! Spark 3.5 + Iceberg 1.10 on the same snapshot.


use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime};
use crate::common::*;
use serde_json::{json, Value};

const COUNTS: [&str; 7] = [
    "record_count",
    "file_count",
    "total_data_file_size_in_bytes",
    "position_delete_record_count",
    "position_delete_file_count",
    "equality_delete_record_count",
    "equality_delete_file_count",
];

/// Rows keyed by spec id and partition value (files of two specs whose values coincide are
/// separate rows, in Iceberg 1.10 and PyIceberg alike).
fn rows_by_key(rows: &[Value]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for r in rows {
        let key = format!("{} spec {}", r["partition"], r["spec_id"]);
        assert!(
            out.insert(key.clone(), r.clone()).is_none(),
            "duplicate row {key}"
        );
    }
    out
}

fn ours_by_partition(report: &Value) -> BTreeMap<String, Value> {
    let rows: Vec<Value> = report["partitions"]
        .as_array()
        .expect("partitions array")
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let ms = r["last_updated_at"].as_str().map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .expect("RFC 3339")
                    .timestamp_millis()
            });
            r["last_updated_at"] = json!(ms);
            r
        })
        .collect();
    rows_by_key(&rows)
}

fn assert_same_partitions(
    ours: &BTreeMap<String, Value>,
    theirs: &BTreeMap<String, Value>,
    who: &str,
) {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "partition values differ from {who}"
    );
    for (k, t) in theirs {
        let o = &ours[k];
        for c in COUNTS
            .iter()
            .chain(&["last_updated_at", "last_updated_snapshot_id"])
        {
            assert_eq!(o[*c], t[*c], "{who}: partition {k}: {c}");
        }
    }
}

#[test]
fn read_only_views_match_pyiceberg_and_spark() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("warehouse");
    let wh_uri = format!("file://{}", wh.display());
    let fixture: Value = serde_json::from_str(&run_pyiceberg(
        "make_pyiceberg_table.py",
        &["--db", db.to_str().unwrap(), "--warehouse", &wh_uri],
    ))
    .unwrap();
    let snapshots = fixture["snapshots"].as_array().unwrap();
    assert!(
        snapshots.len() >= 30,
        "fixture has {} snapshots",
        snapshots.len()
    );

    // partition-health, current snapshot and first snapshot, against PyIceberg
    let current = icehelper_json(
        &db,
        &wh_uri,
        &["partition-health", "db.events", "--output", "json"],
        0,
    );
    let total_files: u64 = current["table"]["data_file_count"].as_u64().unwrap();
    assert!(total_files >= 200, "only {total_files} data files");
    assert_eq!(current["table"]["record_count"], fixture["rows"]);
    assert_same_partitions(
        &ours_by_partition(&current),
        &rows_by_key(fixture["partitions"].as_array().unwrap()),
        "PyIceberg (current)",
    );
    let first = fixture["first_snapshot"].as_i64().unwrap().to_string();
    let at_first = icehelper_json(
        &db,
        &wh_uri,
        &[
            "partition-health",
            "db.events",
            "--snapshot",
            &first,
            "--output",
            "json",
        ],
        0,
    );
    assert_same_partitions(
        &ours_by_partition(&at_first),
        &rows_by_key(fixture["partitions_first"].as_array().unwrap()),
        "PyIceberg (first snapshot)",
    );
    // day values are Iceberg's human strings, a null bucket stays null
    let keys: Vec<Value> = current["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partition"].clone())
        .collect();
    assert!(keys
        .iter()
        .any(|p| p["ts_day"] == "2024-03-01" && p["user_bucket"].is_null()));
    assert!(keys.iter().all(
        |p| p.as_object().unwrap().keys().cloned().collect::<Vec<_>>()
            == ["ts_day", "user_bucket", "category"]
    ));

    // --fail-under: the many-small-files fixture scores low
    let low = icehelper_lake(
        &db,
        &wh_uri,
        &[
            "partition-health",
            "db.events",
            "--fail-under",
            "90",
            "-o",
            "json",
        ],
    );
    assert_eq!(
        low.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&low.stderr)
    );
    let ok = icehelper_lake(
        &db,
        &wh_uri,
        &["partition-health", "db.events", "--fail-under", "0"],
    );
    assert_eq!(ok.status.code(), Some(0));

    // describe and snapshots
    let d = icehelper_json(&db, &wh_uri, &["describe", "db.events", "-o", "json"], 0);
    let paths: Vec<(i64, String)> = d["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_i64().unwrap(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        paths.contains(&(4, "amount_usd".into())) && paths.contains(&(6, "channel".into())),
        "{paths:?}"
    );
    assert_eq!(d["partition_specs"].as_array().unwrap().len(), 2);
    assert_eq!(d["partition_specs"][1]["default"], true);
    let s = icehelper_json(&db, &wh_uri, &["snapshots", "db.events", "-o", "json"], 0);
    let ids: Vec<Value> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["snapshot_id"].clone())
        .collect();
    assert_eq!(&ids, snapshots, "snapshots oldest first");
    assert_eq!(
        s.as_array().unwrap().last().unwrap()["refs"],
        json!(["main"])
    );

    // schema-diff between the snapshot before the schema change and now: the rename and the
    // added column, by field id; exit 1 because they differ, 0 for a table against itself
    let before = fixture["before_schema_change"]
        .as_i64()
        .unwrap()
        .to_string();
    let left = format!("db.events@{before}");
    let diff = icehelper_json(
        &db,
        &wh_uri,
        &["schema-diff", &left, "db.events", "-o", "json"],
        1,
    );
    assert_eq!(diff["matched_by"], "field-id");
    let changes = diff["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["kind"] == "renamed"
            && c["field_id"] == 4
            && c["from"] == "amount"
            && c["to"] == "amount_usd"),
        "{diff}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "added" && c["field_id"] == 6 && c["path"] == "channel"),
        "{diff}"
    );
    assert_eq!(changes.len(), 2, "{diff}");
    assert_eq!(
        diff["partition_changes"].as_array().unwrap().len(),
        1,
        "{diff}"
    );
    let same = icehelper_json(
        &db,
        &wh_uri,
        &["schema-diff", "db.events", "db.events@main", "-o", "json"],
        0,
    );
    assert_eq!(same["equal"], true);

    // Spark: the same partitions table, plus a merge-on-read table with position deletes
    let spark = spark_sql(
        &db,
        &wh,
        &[
            "SELECT CAST(partition.ts_day AS STRING), partition.user_bucket, partition.category, spec_id, record_count, file_count, \
             total_data_file_size_in_bytes, position_delete_record_count, position_delete_file_count, \
             equality_delete_record_count, equality_delete_file_count, CAST(last_updated_at AS STRING), last_updated_snapshot_id \
             FROM lake.db.events.partitions",
            "CREATE TABLE lake.db.mor (id BIGINT, cat STRING) USING iceberg PARTITIONED BY (cat) \
             TBLPROPERTIES ('format-version'='2','write.delete.mode'='merge-on-read')",
            "INSERT INTO lake.db.mor VALUES (1,'a'),(2,'a'),(3,'b'),(4,'b'),(5,'c')",
            "INSERT INTO lake.db.mor VALUES (6,'a'),(7,'b')",
            "DELETE FROM lake.db.mor WHERE id IN (1, 3, 4)",
            "SELECT partition.cat, spec_id, record_count, file_count, total_data_file_size_in_bytes, \
             position_delete_record_count, position_delete_file_count, equality_delete_record_count, \
             equality_delete_file_count, CAST(last_updated_at AS STRING), last_updated_snapshot_id FROM lake.db.mor.partitions",
        ],
    );
    let spark_ms = |v: &Value| {
        v.as_str().map(|s| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .expect("spark timestamp")
                .and_utc()
                .timestamp_millis()
        })
    };
    let spark_rows = |rows: &Value, names: &[&str]| -> BTreeMap<String, Value> {
        let rows: Vec<Value> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let r = r.as_array().unwrap();
                let n = names.len();
                let partition: serde_json::Map<String, Value> = names
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.to_string(), r[i].clone()))
                    .collect();
                let mut row = json!({ "partition": partition, "spec_id": r[n] });
                for (i, c) in COUNTS.iter().enumerate() {
                    row[*c] = r[n + 1 + i].clone();
                }
                row["last_updated_at"] = json!(spark_ms(&r[n + 8]));
                row["last_updated_snapshot_id"] = r[n + 9].clone();
                row
            })
            .collect();
        rows_by_key(&rows)
    };
    // icehelper's table was read before Spark touched the catalog; read it again after (Spark
    // adds the JDBC V1 `iceberg_type` column to a PyIceberg catalog).
    let again = icehelper_json(
        &db,
        &wh_uri,
        &["partition-health", "db.events", "--output", "json"],
        0,
    );
    assert_eq!(again["partitions"], current["partitions"]);
    assert_same_partitions(
        &ours_by_partition(&current),
        &spark_rows(&spark[0], &["ts_day", "user_bucket", "category"]),
        "Spark (events)",
    );
    let mor = icehelper_json(
        &db,
        &wh_uri,
        &["partition-health", "db.mor", "--output", "json"],
        0,
    );
    let spark_mor = spark_rows(&spark[5], &["cat"]);
    assert_same_partitions(
        &ours_by_partition(&mor),
        &spark_mor,
        "Spark (merge-on-read)",
    );
    assert!(
        mor["table"]["delete_file_count"].as_u64().unwrap() >= 2,
        "{mor}"
    );
}
