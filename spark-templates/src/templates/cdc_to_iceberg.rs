//! `cdc-to-iceberg`: Debezium change events from Kafka merged into an Iceberg table per micro-batch.

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::{
    parse_table, AppRequest, JobBundle, Restart, SparkJob, SparkJobOptions, JOB_CODE_DIR,
};
use crate::render::{self, param, ReadmeParts};
use crate::versions;

const TEMPLATE: &str = "cdc-to-iceberg";

/// The type of a replicated column, as stored in Iceberg, with Debezium's JSON encoding handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// BIGINT.
    BigInt,
    /// INT.
    Int,
    /// STRING.
    String,
    /// DOUBLE.
    Double,
    /// BOOLEAN.
    Boolean,
    /// DATE (Debezium: days since epoch).
    Date,
    /// TIMESTAMP (Debezium: milliseconds since epoch).
    Timestamp,
    /// DECIMAL(precision, scale) (Debezium with `decimal.handling.mode=string`).
    Decimal(u8, u8),
}

impl ColumnType {
    /// The Spark SQL type.
    pub fn sql(&self) -> String {
        match self {
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Int => "INT".into(),
            ColumnType::String => "STRING".into(),
            ColumnType::Double => "DOUBLE".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Decimal(p, s) => format!("DECIMAL({p},{s})"),
        }
    }
}

/// Where a new query starts reading the topic (later runs resume from the checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartingOffsets {
    /// From the beginning of the topic (a full snapshot plus changes).
    Earliest,
    /// Only new events.
    Latest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    type_: String,
}

#[derive(Serialize)]
struct Config<'a> {
    app_name: &'a str,
    bootstrap_servers: &'a str,
    topic: &'a str,
    table: &'a str,
    keys: &'a [String],
    columns: &'a [Column],
    order_field: &'a str,
    starting_offsets: &'a str,
    trigger_interval: &'a str,
    checkpoint_location: String,
    max_offsets_per_trigger: Option<u64>,
    fail_on_data_loss: bool,
    kafka_options: &'a BTreeMap<String, String>,
}

/// Builder of the `cdc-to-iceberg` base: a streaming `SparkApplication` (restart `Always`).
#[derive(Debug, Clone)]
#[must_use]
pub struct CdcToIceberg {
    job: SparkJob,
    topic: String,
    table: String,
    bootstrap_servers: String,
    columns: Vec<Column>,
    keys: Vec<String>,
    order_field: String,
    starting_offsets: StartingOffsets,
    trigger_interval: String,
    checkpoint_location: Option<String>,
    max_offsets_per_trigger: Option<u64>,
    partition_by: Option<String>,
    kafka_options: BTreeMap<String, String>,
}

impl SparkJobOptions for CdcToIceberg {
    fn job_mut(&mut self) -> &mut SparkJob {
        &mut self.job
    }
}

impl CdcToIceberg {
    /// Streams `topic` into `table` (`namespace.table`). Add columns and keys before building.
    pub fn new(
        name: impl Into<String>,
        topic: impl Into<String>,
        table: impl Into<String>,
    ) -> Self {
        CdcToIceberg {
            job: SparkJob::new(name)
                .restart(Restart::Always {
                    interval_seconds: 30,
                })
                .time_to_live_seconds(None)
                .executors(1, 1, "2g"),
            topic: topic.into(),
            table: table.into(),
            bootstrap_servers: "lake-kafka-bootstrap.kafka.svc:9092".into(),
            columns: Vec::new(),
            keys: Vec::new(),
            order_field: "lsn".into(),
            starting_offsets: StartingOffsets::Earliest,
            trigger_interval: "1 minute".into(),
            checkpoint_location: None,
            max_offsets_per_trigger: None,
            partition_by: None,
            kafka_options: BTreeMap::new(),
        }
    }

    /// Kafka bootstrap servers (default the Strimzi `lake` cluster's bootstrap service).
    pub fn bootstrap_servers(mut self, servers: impl Into<String>) -> Self {
        self.bootstrap_servers = servers.into();
        self
    }

    /// A replicated column.
    pub fn column(mut self, name: impl Into<String>, type_: ColumnType) -> Self {
        self.columns.push(Column {
            name: name.into(),
            type_: type_.sql(),
        });
        self
    }

    /// A primary-key column (must also be a column); call once per key column.
    pub fn key(mut self, name: impl Into<String>) -> Self {
        self.keys.push(name.into());
        self
    }

    /// The field of Debezium's `source` block ordering changes (default `lsn`, PostgreSQL); `ts_ms`
    /// breaks ties.
    pub fn order_field(mut self, field: impl Into<String>) -> Self {
        self.order_field = field.into();
        self
    }

    /// Where a new query starts (default earliest).
    pub fn starting_offsets(mut self, offsets: StartingOffsets) -> Self {
        self.starting_offsets = offsets;
        self
    }

    /// Micro-batch trigger interval (default `1 minute`).
    pub fn trigger_interval(mut self, interval: impl Into<String>) -> Self {
        self.trigger_interval = interval.into();
        self
    }

    /// Checkpoint location (default `s3a://lake/checkpoints/<name>`).
    pub fn checkpoint_location(mut self, location: impl Into<String>) -> Self {
        self.checkpoint_location = Some(location.into());
        self
    }

    /// Upper bound of records per micro-batch.
    pub fn max_offsets_per_trigger(mut self, n: u64) -> Self {
        self.max_offsets_per_trigger = Some(n);
        self
    }

    /// Partition spec of the created table (`days(updated_at)`, `bucket(16, id)`).
    pub fn partition_by(mut self, spec: impl Into<String>) -> Self {
        self.partition_by = Some(spec.into());
        self
    }

    /// Another Kafka source option (`kafka.security.protocol`, ...); never a secret.
    pub fn kafka_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.kafka_options.insert(key.into(), value.into());
        self
    }

    fn validate(&self) -> Result<(String, String)> {
        self.job.validate(TEMPLATE)?;
        let (namespace, _) = parse_table("table", &self.table)?;
        let required = |ok: bool, field: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(Error::MissingParameter {
                    template: TEMPLATE,
                    field,
                })
            }
        };
        required(!self.topic.trim().is_empty(), "topic")?;
        required(
            !self.bootstrap_servers.trim().is_empty(),
            "bootstrap servers",
        )?;
        required(!self.columns.is_empty(), "columns")?;
        required(!self.keys.is_empty(), "key columns")?;
        for c in &self.columns {
            super::check_column("column", &c.name)?;
            if c.name.starts_with("_cdc_") {
                return Err(Error::InvalidValue {
                    field: "column".into(),
                    value: c.name.clone(),
                    reason: "names starting with _cdc_ are reserved".into(),
                });
            }
        }
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(Error::InvalidValue {
                    field: "column".into(),
                    value: c.name.clone(),
                    reason: "listed twice".into(),
                });
            }
        }
        for k in &self.keys {
            if !self.columns.iter().any(|c| &c.name == k) {
                return Err(Error::InvalidValue {
                    field: "key".into(),
                    value: k.clone(),
                    reason: "not one of the columns".into(),
                });
            }
        }
        super::check_column("order field", &self.order_field)?;
        let mut parts = self.trigger_interval.split_whitespace();
        let interval_ok = parts
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
            && parts.next().is_some_and(|u| {
                ["second", "seconds", "minute", "minutes", "hour", "hours"].contains(&u)
            })
            && parts.next().is_none();
        if !interval_ok {
            return Err(Error::InvalidValue {
                field: "trigger interval".into(),
                value: self.trigger_interval.clone(),
                reason: "a count and a unit, such as `30 seconds` or `1 minute`".into(),
            });
        }
        let checkpoint = self
            .checkpoint_location
            .clone()
            .unwrap_or_else(|| format!("s3a://lake/checkpoints/{}", self.job.name()));
        if !checkpoint.contains("://") {
            return Err(Error::InvalidValue {
                field: "checkpoint location".into(),
                value: checkpoint,
                reason: "a URI such as s3a://bucket/path".into(),
            });
        }
        if self.max_offsets_per_trigger == Some(0) {
            return Err(Error::InvalidCount {
                field: "max offsets per trigger",
                value: 0,
                reason: "at least 1",
            });
        }
        if let Some(k) = self
            .kafka_options
            .keys()
            .find(|k| crate::catalog::is_secret_like(k) || k.contains("jaas"))
        {
            return Err(Error::InvalidValue {
                field: format!("kafka option {k}"),
                value: "<hidden>".into(),
                reason: "credentials must not be inlined".into(),
            });
        }
        Ok((namespace, checkpoint))
    }

    /// Validates the parameters and produces the objects.
    pub fn build(&self) -> Result<JobBundle> {
        let (namespace, checkpoint) = self.validate()?;
        let name = self.job.name();
        let offsets = match self.starting_offsets {
            StartingOffsets::Earliest => "earliest",
            StartingOffsets::Latest => "latest",
        };
        let ctx = minijinja::context! {
            name, table => self.table.clone(), namespace, topic => self.topic.clone(), keys => self.keys.clone(),
            columns => crate::render::sv(&self.columns), order_field => self.order_field.clone(),
            partition_by => self.partition_by.clone(),
            description => format!("Debezium changes from {} merged into {}", self.topic, self.table),
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file(
                "cdc_to_iceberg.py",
                render::render("cdc_to_iceberg.py", &ctx)?,
            )
            .file("merge.sql", render::render("cdc_merge.sql", &ctx)?)
            .file(
                "create_table.sql",
                render::render("cdc_create_table.sql", &ctx)?,
            )
            .file(
                "job.json",
                render::job_json(&Config {
                    app_name: name,
                    bootstrap_servers: &self.bootstrap_servers,
                    topic: &self.topic,
                    table: &self.table,
                    keys: &self.keys,
                    columns: &self.columns,
                    order_field: &self.order_field,
                    starting_offsets: offsets,
                    trigger_interval: &self.trigger_interval,
                    checkpoint_location: checkpoint.clone(),
                    max_offsets_per_trigger: self.max_offsets_per_trigger,
                    fail_on_data_loss: false,
                    kafka_options: &self.kafka_options,
                })?,
            );
        let mut bundle = self.job.assemble(AppRequest {
            template: TEMPLATE,
            main_file: "cdc_to_iceberg.py",
            arguments: vec!["--config".into(), format!("{JOB_CODE_DIR}/job.json")],
            packages: vec![versions::spark_sql_kafka(), versions::hadoop_aws()],
            spark_conf: BTreeMap::from([(
                "spark.sql.streaming.stopGracefullyOnShutdown".to_owned(),
                "true".to_owned(),
            )]),
            extra_volumes: vec![],
            config_maps: vec![code],
            driver_env: vec![],
        })?;
        let mut params = render::common_params(&self.job, &bundle);
        params.extend([
            param("topic", &self.topic, "`job.json` `topic`"),
            param(
                "bootstrap servers",
                &self.bootstrap_servers,
                "`job.json` `bootstrap_servers`",
            ),
            param(
                "table",
                &self.table,
                "`job.json` `table` (and `merge.sql`, `create_table.sql`)",
            ),
            param(
                "key columns",
                self.keys.join(", "),
                "`merge.sql` `ON` clause",
            ),
            param("starting offsets", offsets, "`job.json` `starting_offsets`"),
            param(
                "trigger interval",
                &self.trigger_interval,
                "`job.json` `trigger_interval`",
            ),
            param(
                "checkpoint",
                &checkpoint,
                "`job.json` `checkpoint_location`",
            ),
        ]);
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "CdcToIceberg",
            overview: format!(
                "Structured Streaming job reading Debezium change events (JSON, with or without the schema envelope) \
                 from Kafka topic `{}` and applying each micro-batch to `{}` with `MERGE INTO`: the latest event per \
                 key wins (ordered by `source.{}`, then `ts_ms`), creates and updates upsert, deletes delete, and \
                 events older than the stored row are ignored. The table is created on first start with two extra \
                 columns, `_cdc_order` and `_cdc_ts_ms`. Offsets are checkpointed at `{}`.",
                self.topic, self.table, self.order_field, checkpoint
            ),
            params,
            extra_cms: vec![],
            requirements: vec![
                "Debezium's JSON converter; for DECIMAL columns `decimal.handling.mode=string`, dates as days and timestamps as epoch milliseconds (`time.precision.mode=connect`).".into(),
                "The checkpoint bucket reachable through `s3a://` (`hadoop-aws` is added to the packages).".into(),
            ],
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/executor/instances".into(),
                "  value: 3".into(),
            ],
            notes: "Changing the columns or keys changes `merge.sql` and `create_table.sql`: regenerate the base with \
                the Rust builder rather than editing the SQL by hand.".into(),
        })?;
        Ok(bundle)
    }
}
