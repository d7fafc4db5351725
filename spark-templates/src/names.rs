//! The names other crates use to refer to the jobs (for example argo-templates' pipelines that submit
//! or patch them): template names, where the job code is, and the arguments each job takes.
//!
//! Every job is `spark-submit <main file> --config /opt/spark/jobs/job.json [arguments]` (the code
//! ConfigMap `<job name>-code` is mounted at [`crate::job::JOB_CODE_DIR`]); a pipeline overrides a
//! run by appending the arguments below to `spec.arguments` (or `spec.template.arguments`).

/// One run-time argument of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobArgument {
    /// The flag, such as `--ds`.
    pub flag: &'static str,
    /// The value's format.
    pub value: &'static str,
    /// What it does (and its default).
    pub doc: &'static str,
}

/// A template: its base folder, builder, job code and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// The base folder and the `app.kubernetes.io/component` label (`cdc-to-iceberg`).
    pub name: &'static str,
    /// The Rust builder.
    pub builder: &'static str,
    /// `SparkApplication` or `ScheduledSparkApplication` (the builders' defaults).
    pub kind: &'static str,
    /// The Python main file in the code ConfigMap.
    pub main_file: &'static str,
    /// Run-time arguments besides `--config`.
    pub arguments: &'static [JobArgument],
}

/// `cdc-to-iceberg`.
pub const CDC_TO_ICEBERG: &str = "cdc-to-iceberg";
/// `partition-rebuild`.
pub const PARTITION_REBUILD: &str = "partition-rebuild";
/// `dbt-runner`.
pub const DBT_RUNNER: &str = "dbt-runner";
/// `aggregation-batch`.
pub const AGGREGATION_BATCH: &str = "aggregation-batch";
/// `iceberg-maintenance`.
pub const ICEBERG_MAINTENANCE: &str = "iceberg-maintenance";

/// `cdc-to-iceberg` (bounded replay only): start of the replay, RFC 3339 or epoch milliseconds.
pub const REPLAY_FROM: &str = "--replay-from";
/// `cdc-to-iceberg` (bounded replay into a branch only): the Iceberg branch to merge into, so that
/// every run of a backfill pipeline gets its own (`backfill-<workflow uid>`).
pub const REPLAY_BRANCH: &str = "--replay-branch";
/// `cdc-to-iceberg` (bounded replay only): the checkpoint location of this run (a new location
/// starts the replay over from `--replay-from`).
pub const REPLAY_CHECKPOINT: &str = "--replay-checkpoint";

/// The name of the ConfigMap of a job's code (`<job name>-code`).
pub fn code_config_map(job_name: &str) -> String {
    format!("{job_name}-code")
}

/// Every template, in the order of the crate README.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: CDC_TO_ICEBERG,
        builder: "CdcToIceberg",
        kind: "SparkApplication",
        main_file: "cdc_to_iceberg.py",
        arguments: &[
            JobArgument {
                flag: REPLAY_FROM,
                value: "RFC 3339 timestamp or epoch milliseconds",
                doc: "bounded replay only: start of the replay (default job.json replay.starting_timestamp_ms); \
                      applies to a new checkpoint only",
            },
            JobArgument {
                flag: REPLAY_BRANCH,
                value: "branch name: a letter, then letters, digits, `_` or `-` (at most 100); not main",
                doc: "bounded replay into a branch only: the branch merged into, created from main when \
                      missing (default job.json replay.branch)",
            },
            JobArgument {
                flag: REPLAY_CHECKPOINT,
                value: "URI such as s3a://bucket/path",
                doc: "bounded replay only: checkpoint location of the run (default job.json \
                      replay.checkpoint_location); must differ from the streaming checkpoint",
            },
        ],
    },
    Template {
        name: PARTITION_REBUILD,
        builder: "PartitionRebuild",
        kind: "SparkApplication",
        main_file: "partition_rebuild.py",
        arguments: &[
            JobArgument {
                flag: "--start",
                value: "YYYY-MM-DD",
                doc: "first day, inclusive (default job.json start)",
            },
            JobArgument {
                flag: "--end",
                value: "YYYY-MM-DD",
                doc: "last day, inclusive (default job.json end)",
            },
        ],
    },
    Template {
        name: DBT_RUNNER,
        builder: "DbtRunner",
        kind: "ScheduledSparkApplication",
        main_file: "dbt_runner.py",
        arguments: &[JobArgument {
            flag: "(dbt arguments)",
            value: "dbt CLI arguments, e.g. run --select daily_events",
            doc: "appended after --config; replace job.json dbt_args (default build)",
        }],
    },
    Template {
        name: AGGREGATION_BATCH,
        builder: "AggregationBatch",
        kind: "ScheduledSparkApplication",
        main_file: "aggregation_batch.py",
        arguments: &[JobArgument {
            flag: "--ds",
            value: "YYYY-MM-DD",
            doc: "logical date, the SQL's {{ ds }} / {{ ds_nodash }} (default today UTC minus job.json ds_offset_days)",
        }],
    },
    Template {
        name: ICEBERG_MAINTENANCE,
        builder: "IcebergMaintenance",
        kind: "ScheduledSparkApplication",
        main_file: "iceberg_maintenance.py",
        arguments: &[JobArgument {
            flag: "--only",
            value: "namespace.table",
            doc: "run the procedures of this table only (default every table)",
        }],
    },
];

/// The template called `name`.
pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}
