//! `icehelper compact` against real writers and readers: a PyIceberg table (two specs, a renamed
//! column), Spark merge-on-read tables with position deletes and equality deletes, appends
//! racing the compaction, a process killed mid-way, bad input, and an S3 warehouse.


use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use crate::common::*;
use futures::TryStreamExt;
use iceberg::arrow::{arrow_schema_to_schema, schema_to_arrow_schema};
use iceberg::spec::{DataFileFormat, Operation, PartitionKey, Struct};
use iceberg::writer::base_writer::equality_delete_writer::{
    EqualityDeleteFileWriterBuilder, EqualityDeleteWriterConfig,
};
use iceberg::writer::file_writer::location_generator::{
    DefaultFileNameGenerator, DefaultLocationGenerator,
};
use iceberg::writer::file_writer::rolling_writer::RollingFileWriterBuilder;
use iceberg::writer::file_writer::ParquetWriterBuilder;
use iceberg::writer::{IcebergWriter, IcebergWriterBuilder};
use icehelper_core::catalog::{parse_table_ident, LakeCatalog};
use icehelper_core::commit::commit_once;
use icehelper_core::commit::snapshot::SnapshotProducer;
use icehelper_core::config::CatalogConfig;
use serde_json::Value;

fn lake_config(db: &Path, warehouse: &str) -> CatalogConfig {
    let mut o = BTreeMap::new();
    o.insert("uri".to_string(), format!("sqlite:///{}", db.display()));
    o.insert("warehouse".to_string(), warehouse.to_string());
    let sources = icehelper_core::config::ConfigSources {
        yaml: None,
        env: Vec::new(),
        cwd: db.parent().unwrap().to_path_buf(),
    };
    CatalogConfig::resolve_from(&sources, Some("lake"), &o).expect("config")
}

/// PyIceberg's view of a table: row count and sorted rows.
fn pyiceberg_rows(
    db: &Path,
    wh: &str,
    table: &str,
    snapshot: Option<i64>,
    props: &[String],
) -> Value {
    let db_s = db.display().to_string();
    let snap = snapshot.map(|s| s.to_string());
    let mut args = vec!["--db", &db_s, "--warehouse", wh, "--table", table];
    if let Some(s) = &snap {
        args.extend(["--snapshot-id", s.as_str()]);
    }
    for p in props {
        args.extend(["--prop", p.as_str()]);
    }
    serde_json::from_str(&run_pyiceberg("rows.py", &args)).expect("rows.py JSON")
}

fn make_pyiceberg_events(db: &Path, wh: &str, extra: &[String]) -> Value {
    let db_s = db.display().to_string();
    let mut args = vec!["--db", &db_s, "--warehouse", wh];
    args.extend(extra.iter().map(String::as_str));
    serde_json::from_str(&run_pyiceberg("make_pyiceberg_table.py", &args)).expect("fixture JSON")
}

fn compact_json(db: &Path, wh: &str, extra: &[&str]) -> Value {
    let mut args = vec!["compact", "db.events", "-o", "json"];
    args.extend(extra);
    icehelper_json(db, wh, &args, 0)
}

#[test]
fn compacts_a_pyiceberg_table_and_every_reader_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("wh");
    let wh_uri = format!("file://{}", wh.display());
    let fixture = make_pyiceberg_events(&db, &wh_uri, &[]);
    let before_snapshot = fixture["snapshots"].as_array().unwrap().last().unwrap();
    let before_snapshot = before_snapshot.as_i64().unwrap();
    let spark_rows_sql = "SELECT id, CAST(ts AS STRING), category, amount_usd, user_id, channel FROM lake.db.events ORDER BY id";
    let spark_before = spark_sql(&db, &wh, &[spark_rows_sql]);
    let py_before = pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]);
    let files_before = icehelper_json(
        &db,
        &wh_uri,
        &["partition-health", "db.events", "-o", "json"],
        0,
    );
    let data_files_before = files_before["table"]["data_file_count"].as_u64().unwrap();
    assert!(
        data_files_before >= 200,
        "fixture has {data_files_before} files"
    );

    // the plan first: it changes nothing
    let files_on_disk = tree(&wh).len();
    let plan = compact_json(&db, &wh_uri, &["--dry-run"]);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["commits"], 0);
    assert_eq!(
        plan["rewritten_data_files"].as_u64().unwrap(),
        data_files_before
    );
    assert_eq!(tree(&wh).len(), files_on_disk, "a dry run wrote files");

    let m = compact_json(&db, &wh_uri, &[]);
    assert_eq!(m["commits"], 1, "{m}");
    assert_eq!(
        m["rewritten_data_files"].as_u64().unwrap(),
        data_files_before,
        "{m}"
    );
    assert_eq!(m["rewritten_records"], py_before["count"], "{m}");
    let partitions = m["groups_rewritten"].as_u64().unwrap();

    // every reader sees the same rows as before
    let py_after = pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]);
    assert_eq!(py_after["count"], py_before["count"]);
    assert!(
        py_after["rows"] == py_before["rows"],
        "PyIceberg rows changed"
    );
    let spark_after = spark_sql(
        &db,
        &wh,
        &[
            spark_rows_sql,
            "SELECT operation, summary['added-data-files'], summary['deleted-data-files'], summary['total-records'], summary['total-data-files'] FROM lake.db.events.snapshots ORDER BY committed_at DESC LIMIT 1",
            "SELECT max(n) FROM (SELECT count(*) AS n FROM lake.db.events.files GROUP BY partition, spec_id)",
            "SELECT count(*) FROM lake.db.events.files",
            &format!("SELECT id, CAST(ts AS STRING), category, amount_usd, user_id, channel FROM lake.db.events VERSION AS OF {before_snapshot} ORDER BY id"),
        ],
    );
    assert!(spark_after[0] == spark_before[0], "Spark rows changed");
    let summary = &spark_after[1][0];
    let added = m["added_data_files"].as_u64().unwrap();
    assert_eq!(summary[0], "replace", "{summary}");
    assert_eq!(
        summary[1].as_str().unwrap().parse::<u64>().unwrap(),
        added,
        "{summary}"
    );
    assert_eq!(
        summary[2].as_str().unwrap().parse::<u64>().unwrap(),
        data_files_before,
        "{summary}"
    );
    assert_eq!(
        summary[3].as_str().unwrap(),
        py_before["count"].to_string(),
        "{summary}"
    );
    assert_eq!(
        summary[4].as_str().unwrap().parse::<u64>().unwrap(),
        added,
        "{summary}"
    );
    assert!(added < partitions * 2 && added >= partitions, "{m}");
    // 512 MiB target: one file per partition written in the current spec; a partition that also
    // had files of the older spec gets a second file from their group
    assert!(
        spark_after[2][0][0].as_u64().unwrap() <= 2,
        "files per partition: {}",
        spark_after[2]
    );
    assert_eq!(spark_after[3][0][0].as_u64().unwrap(), added);
    // time travel still reads the old files
    assert!(
        spark_after[4] == spark_before[0],
        "Spark time travel differs"
    );
    let py_old = pyiceberg_rows(&db, &wh_uri, "db.events", Some(before_snapshot), &[]);
    assert!(
        py_old["rows"] == py_before["rows"],
        "PyIceberg time travel differs"
    );

    // compacting again finds nothing to do and commits nothing
    let again = compact_json(&db, &wh_uri, &[]);
    assert_eq!(again["commits"], 0, "{again}");
    assert_eq!(again["groups_planned"], 0, "{again}");
}

/// Writes an equality delete file (on `id`) into partition `cat` and commits it as a `delete`
/// snapshot through icehelper's commit layer (iceberg-rust cannot commit delete files).
async fn commit_equality_delete(db: &Path, wh: &str, table: &str, cat: &str, ids: &[i64]) {
    let catalog = LakeCatalog::open(&lake_config(db, wh)).await.unwrap();
    let ident = parse_table_ident(table).unwrap();
    let t = catalog.load_table(&ident).await.unwrap();
    let md = t.metadata();
    let schema = md.current_schema().clone();
    let id_field = schema.field_by_name("id").unwrap().id;
    let config = EqualityDeleteWriterConfig::new(vec![id_field], schema.clone()).unwrap();
    let delete_schema =
        Arc::new(arrow_schema_to_schema(config.projected_arrow_schema_ref()).unwrap());
    let rolling = RollingFileWriterBuilder::new_with_default_file_size(
        ParquetWriterBuilder::new(Default::default(), delete_schema),
        t.file_io().clone(),
        DefaultLocationGenerator::new(md).unwrap(),
        DefaultFileNameGenerator::new("eqdel".into(), None, DataFileFormat::Parquet),
    );
    let spec = md.default_partition_spec().as_ref().clone();
    let key = PartitionKey::new(
        spec,
        schema.clone(),
        Struct::from_iter([Some(iceberg::spec::Literal::string(cat))]),
    );
    let mut writer = EqualityDeleteFileWriterBuilder::new(rolling, config)
        .build(Some(key))
        .await
        .unwrap();
    let arrow = Arc::new(schema_to_arrow_schema(&schema).unwrap());
    let batch = RecordBatch::try_new(
        arrow,
        vec![
            Arc::new(Int64Array::from(ids.to_vec())) as ArrayRef,
            Arc::new(StringArray::from(vec![cat; ids.len()])) as ArrayRef,
        ],
    )
    .unwrap();
    writer.write(batch).await.unwrap();
    let files = writer.close().await.unwrap();
    let produced = SnapshotProducer::new(&t, Operation::Delete)
        .with_added_delete_files(files)
        .produce()
        .await
        .unwrap();
    commit_once(&catalog, &ident, produced.change)
        .await
        .unwrap();
}

#[test]
fn compaction_applies_spark_position_and_equality_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("wh");
    let wh_uri = format!("file://{}", wh.display());
    let mut setup: Vec<String> = vec![
        "CREATE NAMESPACE IF NOT EXISTS lake.db".into(),
        "CREATE TABLE lake.db.events (id BIGINT, cat STRING) USING iceberg PARTITIONED BY (cat) \
         TBLPROPERTIES ('format-version'='2','write.delete.mode'='merge-on-read','write.update.mode'='merge-on-read')"
            .into(),
    ];
    for i in 0..8 {
        setup.push(format!(
            "INSERT INTO lake.db.events VALUES ({a},'a'),({b},'a'),({c},'b'),({d},'b'),({e},'c')",
            a = i * 10 + 1,
            b = i * 10 + 2,
            c = i * 10 + 3,
            d = i * 10 + 4,
            e = i * 10 + 5
        ));
    }
    setup.push("DELETE FROM lake.db.events WHERE id IN (1, 13, 24, 35, 72)".into());
    setup.push("SELECT count(*) FROM lake.db.events.delete_files".into());
    let refs: Vec<&str> = setup.iter().map(String::as_str).collect();
    let out = spark_sql(&db, &wh, &refs);
    assert!(
        out.last().unwrap()[0][0].as_u64().unwrap() >= 3,
        "Spark wrote position deletes"
    );

    // an equality delete of ids 2 and 42 in partition a, as Flink would write it
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(commit_equality_delete(
        &db,
        &wh_uri,
        "db.events",
        "a",
        &[2, 42],
    ));

    let rows_sql = "SELECT id, cat FROM lake.db.events ORDER BY id";
    let before = spark_sql(
        &db,
        &wh,
        &[rows_sql, "SELECT count(*) FROM lake.db.events.delete_files"],
    );
    let ids: Vec<i64> = before[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        40 - 7,
        "Spark applies both kinds of deletes: {ids:?}"
    );
    assert!(!ids.contains(&2) && !ids.contains(&42) && !ids.contains(&13));

    let m = icehelper_json(&db, &wh_uri, &["compact", "db.events", "-o", "json"], 0);
    assert_eq!(m["commits"], 1, "{m}");
    assert!(m["removed_delete_files"].as_u64().unwrap() >= 4, "{m}");
    assert_eq!(m["rewritten_records"].as_u64().unwrap(), 33, "{m}");

    let after = spark_sql(
        &db,
        &wh,
        &[
            rows_sql,
            "SELECT count(*) FROM lake.db.events.delete_files",
            "SELECT partition.cat, count(*) FROM lake.db.events.files GROUP BY partition.cat ORDER BY 1",
        ],
    );
    assert!(
        after[0] == before[0],
        "Spark rows changed: {} vs {}",
        after[0],
        before[0]
    );
    assert_eq!(
        after[1][0][0], 0,
        "compacted partitions carry no delete files"
    );
    for row in after[2].as_array().unwrap() {
        assert_eq!(row[1], 1, "one file per partition: {}", after[2]);
    }
    // PyIceberg reads the compacted table (it cannot read equality deletes, which are gone)
    let py = pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]);
    assert_eq!(py["count"], 33);
}

fn count_and_distinct_ids(
    catalog: &LakeCatalog,
    table: &str,
    rt: &tokio::runtime::Runtime,
) -> (usize, usize) {
    rt.block_on(async {
        let t = catalog
            .load_table(&parse_table_ident(table).unwrap())
            .await
            .unwrap();
        let batches: Vec<RecordBatch> = t
            .scan()
            .select(["id"])
            .build()
            .unwrap()
            .to_arrow()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut ids: Vec<i64> = Vec::new();
        for b in batches {
            let a = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            ids.extend(a.iter().flatten());
        }
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        (n, ids.len())
    })
}

#[test]
fn appends_racing_compaction_lose_nothing() {
    use icehelper_core::append::{append, PartitionBatch};
    use icehelper_core::compact::Compaction;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let catalog = rt.block_on(async {
        let c = LakeCatalog::open_or_create(&lake_config(&db, &wh_uri))
            .await
            .unwrap();
        let catalog = c.iceberg().clone();
        catalog
            .create_namespace(
                &iceberg::NamespaceIdent::new("db".into()),
                Default::default(),
            )
            .await
            .unwrap();
        let schema = iceberg::spec::Schema::builder()
            .with_fields(vec![
                iceberg::spec::NestedField::required(
                    1,
                    "id",
                    iceberg::spec::Type::Primitive(iceberg::spec::PrimitiveType::Long),
                )
                .into(),
                iceberg::spec::NestedField::optional(
                    2,
                    "part",
                    iceberg::spec::Type::Primitive(iceberg::spec::PrimitiveType::Long),
                )
                .into(),
            ])
            .build()
            .unwrap();
        let spec = iceberg::spec::UnboundPartitionSpec::builder()
            .add_partition_field(2, "part", iceberg::spec::Transform::Identity)
            .unwrap()
            .build();
        catalog
            .create_table(
                &iceberg::NamespaceIdent::new("db".into()),
                iceberg::TableCreation::builder()
                    .name("race".into())
                    .schema(schema)
                    .partition_spec(spec)
                    .build(),
            )
            .await
            .unwrap();
        c
    });
    let ident = parse_table_ident("db.race").unwrap();
    let mut next_id = 0i64;
    let mut written = 0usize;
    let batch_for =
        |table: &iceberg::table::Table, start: i64, n: i64, part: i64| -> PartitionBatch {
            let arrow =
                Arc::new(schema_to_arrow_schema(table.metadata().current_schema()).unwrap());
            PartitionBatch {
                partition: Some(Struct::from_iter([Some(iceberg::spec::Literal::long(
                    part,
                ))])),
                batch: RecordBatch::try_new(
                    arrow,
                    vec![
                        Arc::new(Int64Array::from_iter_values(start..start + n)) as ArrayRef,
                        Arc::new(Int64Array::from(vec![part; n as usize])) as ArrayRef,
                    ],
                )
                .unwrap(),
            }
        };
    let mut total_retries = 0u64;
    for round in 0..6 {
        // small files to compact
        rt.block_on(async {
            for i in 0..12 {
                let t = catalog.load_table(&ident).await.unwrap();
                append(&catalog, &t, vec![batch_for(&t, next_id, 50, i % 3)])
                    .await
                    .unwrap();
                next_id += 50;
                written += 50;
            }
        });
        // compaction and a writer at the same time
        let (compacted, appended) = rt.block_on(async {
            let writer = async {
                let mut n = 0usize;
                let mut id = next_id;
                for i in 0..10 {
                    loop {
                        let t = catalog.load_table(&ident).await.unwrap();
                        match append(&catalog, &t, vec![batch_for(&t, id, 20, i % 3)]).await {
                            Ok(_) => break,
                            Err(_) => tokio::task::yield_now().await, // lost a race with compaction: retry
                        }
                    }
                    id += 20;
                    n += 20;
                }
                n
            };
            let compaction = Compaction::new(&catalog, ident.clone())
                .with_min_input_files(std::num::NonZeroUsize::new(2).unwrap())
                .execute();
            tokio::join!(compaction, writer)
        });
        let m = compacted.unwrap_or_else(|e| panic!("round {round}: compaction failed: {e}"));
        total_retries += m.operation.retries as u64;
        next_id += appended as i64;
        written += appended;
        let (n, distinct) = count_and_distinct_ids(&catalog, "db.race", &rt);
        assert_eq!(
            (n, distinct),
            (written, written),
            "round {round}: rows lost or doubled ({m:?})"
        );
    }
    assert!(total_retries > 0, "the race never made compaction re-plan");
    // and Spark agrees
    let spark = spark_sql(
        &db,
        &dir.path().join("wh"),
        &["SELECT count(*), count(DISTINCT id) FROM lake.db.race"],
    );
    assert_eq!(spark[0][0][0].as_u64().unwrap() as usize, written);
    assert_eq!(spark[0][0][1].as_u64().unwrap() as usize, written);
}

fn icehelper_killed_at(db: &Path, wh: &str, point: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .args([
            "--catalog",
            "lake",
            "--uri",
            &format!("sqlite:///{}", db.display()),
            "--warehouse",
            wh,
        ])
        .args(["compact", "db.events", "-q"])
        .env("ICEHELPER_FAILPOINT", point)
        .env("HOME", db.parent().unwrap())
        .output()
        .unwrap()
}

#[test]
fn killed_compaction_leaves_the_table_whole_and_bad_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("wh");
    let wh_uri = format!("file://{}", wh.display());
    make_pyiceberg_events(
        &db,
        &wh_uri,
        &[
            "--appends-before",
            "6",
            "--appends-after",
            "4",
            "--rows-per-append",
            "100",
        ]
        .map(String::from),
    );
    let before = pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]);
    let snapshots =
        |db: &PathBuf| icehelper_json(db, &wh_uri, &["snapshots", "db.events", "-o", "json"], 0);
    let snaps_before = snapshots(&db);

    for point in ["compact.before-commit", "commit.after-metadata-write"] {
        let out = icehelper_killed_at(&db, &wh_uri, point);
        assert!(
            !out.status.success() && out.status.code().is_none(),
            "{point}: not killed: {out:?}"
        );
        assert_eq!(snapshots(&db), snaps_before, "{point}: the table changed");
        let rows = pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]);
        assert!(rows == before, "{point}: rows differ after the kill");
    }

    // bad input: one line, exit 2, nothing written
    let tree_before = tree(dir.path());
    let deep_parens = format!("{}id = 1{}", "(".repeat(30_000), ")".repeat(30_000));
    for (args, expect) in [
        (vec!["compact", "db.nope"], "does not exist"),
        // issue 20: a 1-byte or fractional target planned millions of files; deep parentheses
        // overflowed the stack
        (
            vec!["compact", "db.events", "--target-file-size", "1"],
            "below the floor",
        ),
        (
            vec!["compact", "db.events", "--target-file-size", "0.3k"],
            "whole number",
        ),
        (
            vec!["compact", "db.events", "--where", deep_parens.as_str()],
            "nest deeper",
        ),
        (
            vec!["compact", "db.events", "--target-file-size", "0"],
            "--target-file-size",
        ),
        (
            vec!["compact", "db.events", "--target-file-size", "12zz"],
            "unknown size unit",
        ),
        (
            vec!["compact", "db.events", "--where", "nope = 1"],
            "no column 'nope'",
        ),
        (
            vec!["compact", "db.events", "--where", "id = 'x'"],
            "--where",
        ),
        (
            vec!["compact", "db.events", "--min-input-files", "0"],
            "--min-input-files",
        ),
        (vec!["compact", "db.events", "--branch", "nope"], "nope"),
    ] {
        let out = icehelper_lake(&db, &wh_uri, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    assert!(tree(dir.path()) == tree_before, "bad input changed files");

    // the catalog moved underneath: its metadata file is gone
    let described = icehelper_json(&db, &wh_uri, &["describe", "db.events", "-o", "json"], 0);
    let pointer = PathBuf::from(
        described["metadata_location"]
            .as_str()
            .unwrap()
            .trim_start_matches("file://"),
    );
    let saved = std::fs::read(&pointer).unwrap();
    std::fs::remove_file(&pointer).unwrap();
    let out = icehelper_lake(&db, &wh_uri, &["compact", "db.events"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read metadata"));
    std::fs::write(&pointer, saved).unwrap();

    // after all that, a real compaction works and keeps every row
    let m = compact_json(&db, &wh_uri, &[]);
    assert_eq!(m["commits"], 1, "{m}");
    assert!(pyiceberg_rows(&db, &wh_uri, "db.events", None, &[]) == before);
}

#[test]
fn compacts_on_s3() {
    let s3 = S3Server::start(&["lake"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = "s3://lake/wh";
    let props: Vec<String> = s3
        .properties()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut extra: Vec<String> = [
        "--appends-before",
        "4",
        "--appends-after",
        "3",
        "--rows-per-append",
        "150",
    ]
    .map(String::from)
    .to_vec();
    for p in &props {
        extra.push("--prop".into());
        extra.push(p.clone());
    }
    make_pyiceberg_events(&db, wh, &extra);
    let before = pyiceberg_rows(&db, wh, "db.events", None, &props);
    let mut args: Vec<String> = vec![
        "compact".into(),
        "db.events".into(),
        "-o".into(),
        "json".into(),
    ];
    for p in &props {
        args.push("-P".into());
        args.push(p.clone());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = icehelper_json(&db, wh, &refs, 0);
    assert_eq!(m["commits"], 1, "{m}");
    assert!(m["rewritten_data_files"].as_u64().unwrap() > 0, "{m}");
    assert!(m["added_data_files"].as_u64().unwrap() > 0, "{m}");
    let after = pyiceberg_rows(&db, wh, "db.events", None, &props);
    assert!(after == before, "rows differ on S3 after compaction");
}
