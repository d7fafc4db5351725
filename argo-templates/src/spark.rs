//! The spark-templates jobs the pipelines run, by name and parameters.
//!
//! spark-templates was not merged when this crate was written, so the names live here, in one
//! place; the cross-reference test checks every `SparkApplication` the templates create against
//! this table and against the pinned Spark Operator CRD.

/// Image of the data-tier Spark jobs.
pub const IMAGE: &str = "ghcr.io/data-tier/spark-jobs:0.1.0";
/// Spark version.
pub const SPARK_VERSION: &str = "4.0.1";
/// ServiceAccount the Spark driver runs as (created by spark-templates).
pub const DRIVER_SERVICE_ACCOUNT: &str = "spark-jobs";

/// One spark-templates job: SparkApplication name prefix, main file and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SparkJob {
    /// Job name (also the `generateName` prefix of its SparkApplications).
    pub name: &'static str,
    /// `mainApplicationFile`.
    pub main_application_file: &'static str,
    /// Parameters, passed as `--<name> <value>` arguments in this order.
    pub parameters: &'static [&'static str],
}

/// Daily aggregation: reads an Iceberg source table for one date, writes the aggregate table.
pub const AGGREGATION_BATCH: SparkJob = SparkJob {
    name: "aggregation-batch",
    main_application_file: "local:///opt/spark/jobs/aggregation_batch.py",
    parameters: &["source-table", "target-table", "date"],
};

/// Feature engineering, point-in-time correct by event timestamp.
pub const FEATURE_PREP: SparkJob = SparkJob {
    name: "feature-prep",
    main_application_file: "local:///opt/spark/jobs/feature_prep.py",
    parameters: &[
        "entity-table",
        "source-tables",
        "feature-table",
        "event-time-column",
        "as-of",
    ],
};

/// Bounded Kafka → Iceberg replay from offsets by timestamp; `action` is `load`, `verify` or
/// `publish`.
pub const CDC_BACKFILL: SparkJob = SparkJob {
    name: "cdc-backfill",
    main_application_file: "local:///opt/spark/jobs/cdc_backfill.py",
    parameters: &[
        "action",
        "topics",
        "from-timestamp",
        "target-table",
        "branch",
        "consumer-group",
    ],
};

/// Every job.
pub const JOBS: [SparkJob; 3] = [AGGREGATION_BATCH, FEATURE_PREP, CDC_BACKFILL];
