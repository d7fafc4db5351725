//! The job code runs: aggregation-batch, partition-rebuild, iceberg-maintenance and cdc-to-iceberg's
//! merge (streaming JSON, Confluent-framed Avro, and a bounded replay into a branch, with run-time
//! branch names and the post-replay verification) in a local Spark 3.5 + Iceberg 1.10 (JDBC catalog
//! on SQLite).
//!
//! Needs `DATA_TIER_SPARK_PYTHON` (python of the Spark oracle venv), `DATA_TIER_SPARK_SQL`
//! (`spark_sql.py`) and `DATA_TIER_PY_EXTRA` (fastavro); see tests/README.

use std::path::Path;
use std::process::Command;

use spark_templates::prelude::*;
use spark_templates::JobBundle;

fn jdbc_catalog() -> IcebergCatalog {
    // the test session supplies the URI; the builder's value only has to be well-formed
    IcebergCatalog::jdbc(
        "lake",
        "jdbc:sqlite:catalog.db",
        SecretKeyRef::new("catalog", "user"),
        SecretKeyRef::new("catalog", "password"),
    )
}

/// Writes a base to `<root>/<template>/<job name>/`.
fn write(root: &Path, job: JobBundle) {
    let bundle = job.to_bundle().unwrap();
    let name = job.application.spec().driver.pod.labels["app.kubernetes.io/instance"].clone();
    bundle
        .write_clean(&root.join(bundle.name()).join(name))
        .unwrap();
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs Spark 3.5 + Iceberg 1.10 (scripts/test installs them)"
)]
fn job_code_runs_in_local_spark() {
    let python = test_support::env_path(
        "DATA_TIER_SPARK_PYTHON",
        "the python of the Spark oracle venv",
    );
    let spark_sql = test_support::env_path("DATA_TIER_SPARK_SQL", "../shared/oracles/spark_sql.py");
    let pyextra = test_support::env_path(
        "DATA_TIER_PY_EXTRA",
        "a folder with fastavro installed (pip install --target), used to encode Avro test records",
    );
    let tmp = tempfile::tempdir().unwrap();
    let bases = tmp.path().join("bases");
    let work = tmp.path().join("lake");
    std::fs::create_dir_all(work.join("warehouse")).unwrap();

    write(
        &bases,
        AggregationBatch::new("agg", "analytics.events_daily")
            .catalog(jdbc_catalog())
            .build()
            .unwrap(),
    );
    write(
        &bases,
        PartitionRebuild::new(
            "rebuild-overwrite",
            "analytics.events_copy",
            RebuildMode::Overwrite {
                query: "SELECT * FROM analytics.events WHERE ds = DATE '{{ ds }}'".into(),
            },
        )
        .catalog(jdbc_catalog())
        .build()
        .unwrap(),
    );
    write(
        &bases,
        PartitionRebuild::new("rebuild-rewrite", "analytics.events", RebuildMode::Rewrite)
            .catalog(jdbc_catalog())
            .build()
            .unwrap(),
    );
    write(
        &bases,
        IcebergMaintenance::new("maint")
            .table(
                TableMaintenance::new("analytics.events")
                    .min_input_files(1)
                    .target_file_size(64 * 1024 * 1024)
                    .partial_progress(false)
                    .older_than("0s")
                    .retain_last(1)
                    .orphan_older_than("3d")
                    .max_concurrent_deletes(2),
            )
            .catalog(jdbc_catalog())
            .build()
            .unwrap(),
    );
    write(
        &bases,
        CdcToIceberg::new("cdc", "dbserver1.public.orders", "sales.orders")
            .column("id", ColumnType::BigInt)
            .column("status", ColumnType::String)
            .column("amount", ColumnType::Decimal(12, 2))
            .column("day", ColumnType::Date)
            .column("updated_at", ColumnType::Timestamp)
            .key("id")
            .catalog(jdbc_catalog())
            .build()
            .unwrap(),
    );
    // Avro in the Confluent wire format with mTLS: decoded from fastavro-encoded bytes, writer
    // schemas served by a local ccompat endpoint (run_jobs.py points the job at it)
    write(
        &bases,
        CdcToIceberg::new("cdc-avro", "inventory.public.orders", "sales.orders_avro")
            .column("id", ColumnType::BigInt)
            .column("status", ColumnType::String)
            .column("amount", ColumnType::Decimal(12, 2))
            .column("day", ColumnType::Date)
            .column("updated_at", ColumnType::Timestamp)
            .key("id")
            .bootstrap_servers("lake-kafka-bootstrap.kafka.svc:9093")
            .format(CdcFormat::confluent_avro(
                "http://schema-registry-app-service.kafka.svc:8080/apis/ccompat/v7",
            ))
            .kafka_security(KafkaSecurity::strimzi_tls(
                "spark-cdc",
                "lake-cluster-ca-cert",
            ))
            .group_id_prefix("spark-cdc")
            .catalog(jdbc_catalog())
            .build()
            .unwrap(),
    );
    // the bounded replay variant: the same table, merged into branch `backfill`
    write(
        &bases,
        CdcToIceberg::new("cdc-replay", "dbserver1.public.orders", "sales.orders")
            .column("id", ColumnType::BigInt)
            .column("status", ColumnType::String)
            .column("amount", ColumnType::Decimal(12, 2))
            .column("day", ColumnType::Date)
            .column("updated_at", ColumnType::Timestamp)
            .key("id")
            .catalog(jdbc_catalog())
            .bounded_replay(
                BoundedReplay::from_timestamp("2024-01-01T00:00:00Z")
                    .branch("backfill")
                    .checkpoint_location("file:///tmp/cdc-replay-checkpoint"),
            )
            .build()
            .unwrap(),
    );
    // prepare the source table with the oracle's own script
    run(
        Command::new(&python)
            .arg(&spark_sql)
            .arg("--catalog-db")
            .arg(work.join("catalog.db"))
            .arg("--warehouse")
            .arg(work.join("warehouse"))
            .args(["--catalog-name", "lake"])
            .arg("CREATE NAMESPACE IF NOT EXISTS lake.analytics")
            .arg(
                "CREATE TABLE lake.analytics.events (event_time TIMESTAMP, event_type STRING, \
                 user_id BIGINT, ds DATE) USING iceberg PARTITIONED BY (ds) \
                 TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read')",
            )
            .arg(
                "INSERT INTO lake.analytics.events VALUES \
                 (TIMESTAMP '2024-01-01 10:00:00', 'click', 1, DATE '2024-01-01'), \
                 (TIMESTAMP '2024-01-01 11:00:00', 'view', 1, DATE '2024-01-01')",
            )
            .arg(
                "INSERT INTO lake.analytics.events VALUES \
                 (TIMESTAMP '2024-01-01 12:00:00', 'click', 2, DATE '2024-01-01'), \
                 (TIMESTAMP '2024-01-02 09:00:00', 'click', 2, DATE '2024-01-02')",
            )
            .arg("SELECT count(*) FROM lake.analytics.events"),
        "spark_sql.py setup",
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/run_jobs.py");
    let out = run(
        Command::new(&python)
            .arg(&script)
            .arg(&work)
            .arg(&bases)
            .env("PYTHONPATH", &pyextra),
        "run_jobs.py",
    );
    assert!(out.contains("all job checks passed"), "{out}");
}
