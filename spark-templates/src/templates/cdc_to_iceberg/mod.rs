//! `cdc-to-iceberg`: Debezium change events from Kafka merged into an Iceberg table per micro-batch.
//!
//! One file per part: `options` (column types, offsets, format, security), `replay` (bounded
//! replay), `validate`, `config` (`job.json` and Kafka security objects), `readme`; the builder
//! and `build` are here.

mod config;
mod options;
mod readme;
mod replay;
mod validate;

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;

use crate::error::Result;
use crate::job::{parse_table, AppRequest, JobBundle, Restart, SparkJob, SparkJobOptions};
use crate::render;
use crate::versions;

use config::{Column, Config, FormatConfig, SecurityConfig};
pub use options::{
    CdcFormat, ColumnType, KafkaSecurity, StartingOffsets, KAFKA_CA_DIR,
    KAFKA_KEYSTORE_PASSWORD_ENV, KAFKA_SASL_PASSWORD_ENV, KAFKA_TRUSTSTORE_PASSWORD_ENV,
    KAFKA_USER_DIR,
};
pub use replay::BoundedReplay;
use replay::ReplayConfig;

const TEMPLATE: &str = crate::names::CDC_TO_ICEBERG;

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
    format: CdcFormat,
    security: KafkaSecurity,
    group_id_prefix: Option<String>,
    replay: Option<BoundedReplay>,
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
            format: CdcFormat::Json,
            security: KafkaSecurity::Plaintext,
            group_id_prefix: None,
            replay: None,
        }
    }

    /// How the events are encoded (default [`CdcFormat::Json`]).
    pub fn format(mut self, format: CdcFormat) -> Self {
        self.format = format;
        self
    }

    /// How the job authenticates to Kafka (default [`KafkaSecurity::Plaintext`]).
    pub fn kafka_security(mut self, security: KafkaSecurity) -> Self {
        self.security = security;
        self
    }

    /// Prefix of the consumer group ids Spark generates (`groupIdPrefix`), for brokers whose ACLs
    /// allow the user's groups by prefix (Spark's default is `spark-kafka-source`).
    pub fn group_id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.group_id_prefix = Some(prefix.into());
        self
    }

    /// Kafka bootstrap servers (default `lake-kafka-bootstrap.kafka.svc:9092`, a plaintext
    /// listener; strimzi-templates' cluster only has the TLS listener on 9093, see
    /// [`CdcToIceberg::kafka_security`]).
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

    /// Another Kafka source option (`kafka.client.id`, `minPartitions`, ...); never a secret, and
    /// not a security setting (`kafka.security.*`, `kafka.ssl.*`, `kafka.sasl.*`: use
    /// [`CdcToIceberg::kafka_security`]).
    pub fn kafka_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.kafka_options.insert(key.into(), value.into());
        self
    }

    /// Makes the job a bounded replay instead of a stream (see [`BoundedReplay`]). Also sets the
    /// restart policy to `OnFailure` (3 retries, 60 s apart), since the application ends; call
    /// `.restart(..)` afterwards to change it (`Always` is rejected).
    pub fn bounded_replay(mut self, replay: BoundedReplay) -> Self {
        self.replay = Some(replay);
        self.job.restart = Restart::OnFailure {
            retries: 3,
            interval_seconds: 60,
        };
        self
    }

    /// Validates the parameters and produces the objects.
    pub fn build(self) -> Result<JobBundle> {
        let (namespace, checkpoint) = self.validate()?;
        let replay = match &self.replay {
            Some(r) => Some(self.validate_replay(r, &checkpoint)?),
            None => None,
        };
        let (security, secret_volumes, secret_env) = self.security_parts();
        let code = self.code(namespace, &checkpoint, replay.as_ref(), security)?;
        let mut bundle = self.job.assemble(AppRequest {
            packages: vec![versions::spark_sql_kafka(), versions::hadoop_aws()],
            spark_conf: BTreeMap::from([(
                "spark.sql.streaming.stopGracefullyOnShutdown".to_owned(),
                "true".to_owned(),
            )]),
            driver_secret_env: secret_env,
            secret_volumes,
            ..AppRequest::new(TEMPLATE, "cdc_to_iceberg.py", vec![code])
        })?;
        let parts = self.readme_parts(&bundle, &checkpoint, replay.as_ref());
        bundle.readme = render::readme(&self.job, &bundle, parts)?;
        Ok(bundle)
    }

    /// What the README and the job code say about the event format.
    fn format_doc(&self) -> &'static str {
        match &self.format {
            CdcFormat::Json => "Debezium JSON change events (with or without the schema envelope)",
            CdcFormat::ConfluentAvro { .. } => {
                "Debezium Avro change events (Confluent wire format, writer schemas from the registry)"
            }
        }
    }

    /// `job.json` `starting_offsets`.
    fn offsets(&self) -> &'static str {
        match self.starting_offsets {
            StartingOffsets::Earliest => "earliest",
            StartingOffsets::Latest => "latest",
        }
    }

    /// The code ConfigMap: the runtime modules, the job, its SQL and `job.json`.
    fn code(
        &self,
        namespace: String,
        checkpoint: &str,
        replay: Option<&ReplayConfig<'_>>,
        security: Option<SecurityConfig>,
    ) -> Result<ConfigMapFiles> {
        // the table the job creates (when missing) and the one it merges into
        let (created, created_namespace) = match replay.and_then(|r| r.staging_table) {
            Some(t) => (t.to_owned(), parse_table("staging table", t)?.0),
            None => (self.table.clone(), namespace),
        };
        // a branch is chosen at run time (`--replay-branch`, default job.json replay.branch): the
        // SQL files carry the placeholder, substituted by the job
        let merge_target = match replay {
            None => self.table.clone(),
            Some(r) if r.branch.is_some() => {
                format!("{}.`branch_{{{{ replay_branch }}}}`", self.table)
            }
            Some(r) => r.target.clone(),
        };
        let name = self.job.name();
        let ctx = minijinja::context! {
            name, table => created, namespace => created_namespace, target => merge_target,
            branch => replay.and_then(|r| r.branch), replay => replay.is_some(),
            topic => self.topic.clone(), keys => self.keys.clone(),
            columns => render::sv(&self.columns), order_field => self.order_field.clone(),
            partition_by => self.partition_by.clone(), format_doc => self.format_doc(),
            description => match replay {
                Some(r) => format!(
                    "bounded replay of Debezium changes from {} since {} merged into {}",
                    self.topic, r.starting_timestamp, r.target
                ),
                None => format!("Debezium changes from {} merged into {}", self.topic, self.table),
            },
        };
        Ok(ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file("datatier_avro.py", render::avro_runtime(TEMPLATE)?)
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
                    starting_offsets: self.offsets(),
                    trigger_interval: &self.trigger_interval,
                    checkpoint_location: checkpoint.to_owned(),
                    max_offsets_per_trigger: self.max_offsets_per_trigger,
                    fail_on_data_loss: false,
                    kafka_options: &self.kafka_options,
                    format: match &self.format {
                        CdcFormat::Json => FormatConfig {
                            type_: "json",
                            registry_url: None,
                        },
                        CdcFormat::ConfluentAvro { registry_url } => FormatConfig {
                            type_: "avro",
                            registry_url: Some(registry_url),
                        },
                    },
                    kafka_security: security,
                    group_id_prefix: self.group_id_prefix.as_deref(),
                    replay: replay.cloned(),
                })?,
            ))
    }
}
