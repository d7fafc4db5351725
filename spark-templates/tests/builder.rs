//! Bad builder input is a typed error.

use spark_templates::prelude::*;
use spark_templates::{defaults, Application, Error};

#[test]
fn a_customised_cdc_job_in_a_few_lines() {
    let job = CdcToIceberg::new("payments-cdc", "pg.public.payments", "finance.payments")
        .bootstrap_servers("kafka:9092")
        .column("id", ColumnType::BigInt)
        .column("amount", ColumnType::Decimal(10, 2))
        .key("id")
        .catalog(IcebergCatalog::hive("hms", "thrift://hms:9083"))
        .executors(4, 2, "8g")
        .driver(2, "3g")
        .trigger_interval("30 seconds")
        .starting_offsets(StartingOffsets::Latest)
        .build()
        .unwrap();
    let Application::Once(app) = &job.application else {
        panic!("streaming jobs are one-off SparkApplications");
    };
    assert_eq!(app.spec.executor.instances, Some(4));
    assert_eq!(app.spec.executor.pod.memory.as_deref(), Some("8g"));
    assert_eq!(app.spec.driver.pod.cores, Some(2));
    assert_eq!(app.spec.spark_conf["spark.sql.catalog.hms.type"], "hive");
    assert_eq!(app.spec.restart_policy.as_ref().unwrap().type_, "Always");
    let code = &job.config_maps[0];
    let config: serde_json::Value = serde_json::from_str(&code.files()["job.json"]).unwrap();
    assert_eq!(config["topic"], "pg.public.payments");
    assert_eq!(config["starting_offsets"], "latest");
    assert!(code.files()["merge.sql"].contains("MERGE INTO finance.payments AS t"));
    assert!(code.files()["create_table.sql"].contains("`amount` DECIMAL(10,2)"));
}

#[test]
fn missing_catalog() {
    let err = CdcToIceberg::new("x", "t", "a.b")
        .column("id", ColumnType::BigInt)
        .key("id")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingCatalog {
                template: "cdc-to-iceberg"
            }
        ),
        "{err}"
    );
    let err = IcebergMaintenance::new("m")
        .table(TableMaintenance::new("a.b"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::MissingCatalog { .. }), "{err}");
}

#[test]
fn zero_executors_and_cores() {
    let err = defaults::aggregation_batch()
        .executors(0, 1, "1g")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCount {
                field: "executor instances",
                value: 0,
                ..
            }
        ),
        "{err}"
    );
    let err = defaults::aggregation_batch()
        .driver(0, "1g")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCount {
                field: "driver cores",
                ..
            }
        ),
        "{err}"
    );
    let err = defaults::aggregation_batch()
        .dynamic_allocation(5, 2)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCount { .. }), "{err}");
}

#[test]
fn malformed_memory() {
    for bad in ["4Gi", "", "g", "1.5g", "0g", "lots"] {
        let err = defaults::dbt_runner()
            .executors(1, 1, bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidMemory { field: "executor memory", value } if value == bad),
            "{bad}: {err}"
        );
    }
    for good in ["512m", "4g", "4G", "2gb", "1024k"] {
        defaults::dbt_runner()
            .driver(1, good)
            .build()
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

#[test]
fn table_names_must_be_namespace_dot_table() {
    for bad in ["orders", "a.b.c", ".b", "a.", "a-b.c", "a.b c"] {
        let err = AggregationBatch::new("agg", bad)
            .catalog(defaults::catalog())
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidTableName { value, .. } if value == bad),
            "{bad}: {err}"
        );
    }
    let err = IcebergMaintenance::new("m")
        .table(TableMaintenance::new("events"))
        .catalog(defaults::catalog())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTableName { .. }), "{err}");
}

#[test]
fn other_bad_input() {
    // a query that ignores {{ ds }} would rewrite one partition with every date's rows
    let err = defaults::aggregation_batch()
        .query("SELECT 1 AS ds")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { field, .. } if field == "query"),
        "{err}"
    );
    // keys must be columns
    let err = defaults::cdc_to_iceberg().key("nope").build().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { field, .. } if field == "key"),
        "{err}"
    );
    // orphan files younger than a day are refused by Spark; refuse early
    let err = defaults::iceberg_maintenance()
        .table(TableMaintenance::new("a.b").orphan_older_than("12h"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = defaults::iceberg_maintenance()
        .table(TableMaintenance::new("a.b").older_than("week"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    // secrets never inline
    let err = defaults::aggregation_batch()
        .spark_conf("spark.sql.catalog.lake.credential", "id:secret")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = defaults::partition_rebuild()
        .range("2024-02-01", "2024-01-01")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = defaults::partition_rebuild()
        .range("2024-13-01", "2024-12-01")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = CdcToIceberg::new("Bad_Name", "t", "a.b")
        .column("id", ColumnType::BigInt)
        .key("id")
        .catalog(defaults::catalog())
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { field, .. } if field == "name"),
        "{err}"
    );
    let err = defaults::cdc_to_iceberg()
        .trigger_interval("often")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
}

#[test]
fn secrets_are_referenced_never_inlined() {
    for bundle in defaults::bundles().unwrap() {
        for m in bundle.objects() {
            let text = m.value().to_string();
            assert!(!text.contains("id:secret"), "{}", m.file_name());
        }
    }
    let job = defaults::cdc_to_iceberg()
        .catalog(IcebergCatalog::jdbc(
            "lake",
            "jdbc:postgresql://pg:5432/iceberg",
            SecretKeyRef::new("pg", "user"),
            SecretKeyRef::new("pg", "password"),
        ))
        .build()
        .unwrap();
    let spec = job.application.spec();
    assert_eq!(
        spec.spark_conf["spark.datatier.confFromEnv.spark.sql.catalog.lake.jdbc.password"],
        "ICEBERG_CATALOG_JDBC_PASSWORD"
    );
    assert!(!spec
        .spark_conf
        .contains_key("spark.sql.catalog.lake.jdbc.password"));
    let env = spec
        .driver
        .pod
        .env
        .iter()
        .find(|e| e.name == "ICEBERG_CATALOG_JDBC_PASSWORD")
        .unwrap();
    let r = env
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!((r.name.as_str(), r.key.as_str()), ("pg", "password"));
    assert!(spec
        .deps
        .as_ref()
        .unwrap()
        .packages
        .contains(&"org.postgresql:postgresql:42.7.4".to_owned()));
}

#[test]
fn sqlite_jdbc_catalogs_use_wal() {
    let sqlite = defaults::cdc_to_iceberg()
        .catalog(IcebergCatalog::jdbc(
            "lake",
            "jdbc:sqlite:/data/catalog.db",
            SecretKeyRef::new("c", "user"),
            SecretKeyRef::new("c", "password"),
        ))
        .build()
        .unwrap();
    assert_eq!(
        sqlite.application.spec().spark_conf["spark.sql.catalog.lake.jdbc.journal_mode"],
        "WAL"
    );
    let pg = defaults::cdc_to_iceberg()
        .catalog(IcebergCatalog::jdbc(
            "lake",
            "jdbc:postgresql://pg:5432/iceberg",
            SecretKeyRef::new("c", "user"),
            SecretKeyRef::new("c", "password"),
        ))
        .build()
        .unwrap();
    assert!(!pg
        .application
        .spec()
        .spark_conf
        .contains_key("spark.sql.catalog.lake.jdbc.journal_mode"));
}

fn replay_job(replay: BoundedReplay) -> Result<spark_templates::JobBundle, Error> {
    defaults::cdc_to_iceberg().bounded_replay(replay).build()
}

fn code_file(job: &spark_templates::JobBundle, name: &str) -> String {
    job.config_maps[0].files()[name].clone()
}

#[test]
fn bounded_replay_into_a_branch() {
    let job = replay_job(
        BoundedReplay::from_timestamp("2024-06-01T02:00:00.250+02:00").branch("backfill_1"),
    )
    .unwrap();
    let cfg: serde_json::Value = serde_json::from_str(&code_file(&job, "job.json")).unwrap();
    assert_eq!(
        cfg["replay"]["starting_timestamp_ms"],
        1_717_200_000_250_i64
    );
    assert_eq!(cfg["replay"]["target"], "sales.orders.branch_backfill_1");
    assert_eq!(
        cfg["replay"]["checkpoint_location"],
        "s3a://lake/checkpoints/orders-cdc-replay-backfill-1"
    );
    // the branch is substituted at run time (job.json `replay.branch` or `--replay-branch`)
    assert_eq!(cfg["replay"]["branch"], "backfill_1");
    assert!(code_file(&job, "merge.sql")
        .contains("MERGE INTO sales.orders.`branch_{{ replay_branch }}` AS t"));
    assert!(code_file(&job, "create_table.sql")
        .contains("ALTER TABLE sales.orders CREATE BRANCH IF NOT EXISTS `{{ replay_branch }}`;"));
    assert!(job.readme.contains("`--replay-branch`"));
    assert!(
        !job.readme.contains("| trigger interval |"),
        "{}",
        job.readme
    );
    let Application::Once(app) = &job.application else {
        panic!("a SparkApplication")
    };
    let policy = app.spec.restart_policy.as_ref().unwrap();
    assert_eq!(policy.type_, "OnFailure");
    // epoch milliseconds are accepted as they are
    let job =
        replay_job(BoundedReplay::from_timestamp("1717200000000").staging_table("staging.orders"))
            .unwrap();
    let cfg: serde_json::Value = serde_json::from_str(&code_file(&job, "job.json")).unwrap();
    assert_eq!(
        cfg["replay"]["starting_timestamp_ms"],
        1_717_200_000_000_i64
    );
    assert_eq!(cfg["replay"]["target"], "staging.orders");
    assert!(code_file(&job, "merge.sql").contains("MERGE INTO staging.orders AS t"));
    assert!(
        code_file(&job, "create_table.sql").contains("CREATE TABLE IF NOT EXISTS staging.orders (")
    );
    // the streaming job has no replay block
    let stream = defaults::cdc_to_iceberg().build().unwrap();
    assert!(!code_file(&stream, "job.json").contains("replay"));
}

#[test]
fn bounded_replay_rejects_bad_input() {
    for ts in [
        "2024-06-01",
        "2024-06-01T00:00:00",
        "2024-02-30T00:00:00Z",
        "2024-06-01T24:00:00Z",
        "2024-06-01T00:00:00+2:00",
        "1969-12-31T23:59:59Z",
        "yesterday",
        "-5",
        "",
    ] {
        let err = replay_job(BoundedReplay::from_timestamp(ts).branch("b")).unwrap_err();
        assert!(matches!(err, Error::InvalidTimestamp { .. }), "{ts}: {err}");
    }
    for branch in ["main", "", "has-dash", "1st", "a.b", "with space"] {
        let err = replay_job(BoundedReplay::from_timestamp("0").branch(branch)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidBranchName { .. }),
            "{branch:?}: {err}"
        );
    }
    let err = replay_job(
        BoundedReplay::from_timestamp("0")
            .branch("b")
            .staging_table("s.t"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ConflictingParameters { .. }), "{err}");
    let err = replay_job(BoundedReplay::from_timestamp("0")).unwrap_err();
    assert!(matches!(err, Error::MissingParameter { .. }), "{err}");
    let err =
        replay_job(BoundedReplay::from_timestamp("0").staging_table("sales.orders")).unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = replay_job(BoundedReplay::from_timestamp("0").staging_table("orders")).unwrap_err();
    assert!(matches!(err, Error::InvalidTableName { .. }), "{err}");
    let err = replay_job(
        BoundedReplay::from_timestamp("0")
            .branch("b")
            .checkpoint_location("s3a://lake/checkpoints/orders-cdc"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = defaults::cdc_to_iceberg()
        .bounded_replay(BoundedReplay::from_timestamp("0").branch("b"))
        .restart(Restart::Always {
            interval_seconds: 10,
        })
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
}

#[test]
fn exported_names_match_the_jobs() {
    use spark_templates::names;
    let jobs = [
        defaults::cdc_to_iceberg().build().unwrap(),
        defaults::partition_rebuild().build().unwrap(),
        defaults::dbt_runner().build().unwrap(),
        defaults::aggregation_batch().build().unwrap(),
        defaults::iceberg_maintenance().build().unwrap(),
    ];
    assert_eq!(jobs.len(), names::TEMPLATES.len());
    for job in &jobs {
        let t = names::template(job.template).unwrap();
        let kind = match &job.application {
            Application::Once(_) => "SparkApplication",
            Application::Scheduled(_) => "ScheduledSparkApplication",
        };
        assert_eq!(t.kind, kind, "{}", t.name);
        let code = job
            .config_maps
            .iter()
            .find(|c| {
                c.name()
                    == names::code_config_map(
                        &job.application.spec().driver.pod.labels["app.kubernetes.io/instance"],
                    )
            })
            .unwrap_or_else(|| panic!("{}: no code ConfigMap", t.name));
        let main = &code.files()[t.main_file];
        for a in t.arguments.iter().filter(|a| a.flag.starts_with("--")) {
            assert!(
                main.contains(&format!("\"{}\"", a.flag)),
                "{}: {}",
                t.name,
                a.flag
            );
        }
    }
}

#[test]
fn kafka_mtls_and_avro_come_from_secrets_and_the_registry() {
    let job = defaults::cdc_to_iceberg().build().unwrap();
    let spec = job.application.spec();
    let cfg: serde_json::Value = serde_json::from_str(&code_file(&job, "job.json")).unwrap();
    assert_eq!(
        cfg["bootstrap_servers"],
        "lake-kafka-bootstrap.kafka.svc:9093"
    );
    assert_eq!(cfg["kafka_security"]["protocol"], "SSL");
    assert_eq!(cfg["format"]["type"], "avro");
    assert_eq!(cfg["group_id_prefix"], "spark-cdc");
    // keystore and truststore mounted in driver and executors
    for mounts in [
        &spec.driver.pod.volume_mounts,
        &spec.executor.pod.volume_mounts,
    ] {
        let paths: Vec<&str> = mounts.iter().map(|m| m.mount_path.as_str()).collect();
        assert!(paths.contains(&"/opt/spark/kafka/user"), "{paths:?}");
        assert!(paths.contains(&"/opt/spark/kafka/cluster-ca"), "{paths:?}");
    }
    let secrets: Vec<(String, String)> = spec
        .volumes
        .iter()
        .filter_map(|v| v.secret.as_ref())
        .map(|s| {
            (
                s.secret_name.clone().unwrap(),
                s.items.as_ref().unwrap()[0].key.clone(),
            )
        })
        .collect();
    assert_eq!(
        secrets,
        [
            ("spark-cdc".to_owned(), "user.p12".to_owned()),
            ("lake-cluster-ca-cert".to_owned(), "ca.p12".to_owned())
        ]
    );
    // passwords: env from secretKeyRef on the driver, never a value
    for (var, secret, key) in [
        ("KAFKA_KEYSTORE_PASSWORD", "spark-cdc", "user.password"),
        (
            "KAFKA_TRUSTSTORE_PASSWORD",
            "lake-cluster-ca-cert",
            "ca.password",
        ),
    ] {
        let env = spec.driver.pod.env.iter().find(|e| e.name == var).unwrap();
        assert!(env.value.is_none());
        let r = env
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap();
        assert_eq!((r.name.as_str(), r.key.as_str()), (secret, key));
    }
    assert!(code_file(&job, "datatier_avro.py").contains("def fetch_schema"));
}

#[test]
fn kafka_security_and_format_are_validated() {
    let base = || {
        CdcToIceberg::new("c", "t", "a.b")
            .column("id", ColumnType::BigInt)
            .key("id")
            .catalog(defaults::catalog())
    };
    for (k, v) in [
        ("kafka.security.protocol", "SSL"),
        ("kafka.ssl.truststore.location", "/x"),
        ("kafka.sasl.mechanism", "PLAIN"),
    ] {
        let err = base().kafka_option(k, v).build().unwrap_err();
        assert!(err.to_string().contains("kafka_security"), "{err}");
    }
    for url in [
        "schema-registry:8080",
        "http://user:pw@registry/apis/ccompat/v7",
        "http:// x",
    ] {
        let err = base()
            .format(CdcFormat::confluent_avro(url))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("schema registry URL"), "{err}");
    }
    let err = base()
        .kafka_security(KafkaSecurity::strimzi_tls("Bad_Name", "ca"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("Kafka user Secret"), "{err}");
    let job = base()
        .kafka_security(KafkaSecurity::strimzi_scram_sha_512(
            "reader",
            "lake-cluster-ca-cert",
        ))
        .build()
        .unwrap();
    let cfg: serde_json::Value = serde_json::from_str(&code_file(&job, "job.json")).unwrap();
    assert_eq!(cfg["kafka_security"]["protocol"], "SASL_SSL");
    assert_eq!(cfg["kafka_security"]["sasl_mechanism"], "SCRAM-SHA-512");
    assert_eq!(cfg["kafka_security"]["password_env"], "KAFKA_SASL_PASSWORD");
    let env = &job.application.spec().driver.pod.env;
    let sasl = env
        .iter()
        .find(|e| e.name == "KAFKA_SASL_PASSWORD")
        .unwrap();
    let r = sasl
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!((r.name.as_str(), r.key.as_str()), ("reader", "password"));
}
