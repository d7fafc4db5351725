//! `cdc-to-iceberg`: Debezium change events from Kafka merged into an Iceberg table per micro-batch.

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::catalog::SecretKeyRef;
use crate::error::{Error, Result};
use crate::job::{
    parse_table, AppRequest, JobBundle, Restart, SecretVolume, SparkJob, SparkJobOptions,
    JOB_CODE_DIR,
};
use crate::render::{self, param, ReadmeParts};
use crate::versions;

const TEMPLATE: &str = crate::names::CDC_TO_ICEBERG;

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

/// How the change events are encoded on the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CdcFormat {
    /// Kafka Connect's `JsonConverter` (with or without the schema envelope). Needs Debezium's
    /// `decimal.handling.mode=string` for DECIMAL columns and `time.precision.mode=connect`
    /// (dates as days, timestamps as epoch milliseconds).
    Json,
    /// Avro in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary), as written
    /// by Apicurio Registry 3's `AvroConverter` with `apicurio.registry.as-confluent=true` and
    /// `apicurio.registry.headers.enabled=false` (strimzi-templates' `debezium-postgres` base), or
    /// by Confluent's converter. The writer schemas are fetched per micro-batch, by id, from the
    /// registry's Confluent-compatible API (Apicurio: `.../apis/ccompat/v7`) and the records are
    /// decoded by the job's own decoder (`datatier_avro.py`, shipped to the executors): decimals,
    /// dates and timestamps are converted from Debezium's semantic types whatever the connector's
    /// `decimal.handling.mode` / `time.precision.mode`.
    ConfluentAvro {
        /// Base URL of the Confluent-compatible API, e.g.
        /// `http://schema-registry-app-service.kafka.svc:8080/apis/ccompat/v7`.
        registry_url: String,
    },
}

impl CdcFormat {
    /// [`CdcFormat::ConfluentAvro`] with the registry's Confluent-compatible API base URL.
    pub fn confluent_avro(registry_url: impl Into<String>) -> Self {
        CdcFormat::ConfluentAvro {
            registry_url: registry_url.into(),
        }
    }
}

/// How the job authenticates to Kafka. Credentials are never rendered: key and trust stores are
/// mounted from Secrets (driver and executors) and passwords reach the driver as environment
/// variables (`valueFrom.secretKeyRef`), read at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KafkaSecurity {
    /// No authentication, no TLS (`PLAINTEXT`).
    Plaintext,
    /// TLS client authentication with a Strimzi `KafkaUser` of `authentication.type: tls`: the
    /// user's Secret (`user.p12`, `user.password`) is the keystore, the cluster CA Secret
    /// (`<cluster>-cluster-ca-cert`: `ca.p12`, `ca.password`) the truststore.
    StrimziTls {
        /// The KafkaUser's Secret (named like the user).
        user_secret: String,
        /// The cluster CA certificate Secret.
        cluster_ca_secret: String,
    },
    /// SCRAM-SHA-512 over TLS with a Strimzi `KafkaUser` of `authentication.type: scram-sha-512`:
    /// the password from the user's Secret (key `password`), the cluster CA Secret as truststore.
    StrimziScramSha512 {
        /// The KafkaUser (and its Secret's name).
        user: String,
        /// The cluster CA certificate Secret.
        cluster_ca_secret: String,
    },
}

impl KafkaSecurity {
    /// [`KafkaSecurity::StrimziTls`].
    pub fn strimzi_tls(
        user_secret: impl Into<String>,
        cluster_ca_secret: impl Into<String>,
    ) -> Self {
        KafkaSecurity::StrimziTls {
            user_secret: user_secret.into(),
            cluster_ca_secret: cluster_ca_secret.into(),
        }
    }

    /// [`KafkaSecurity::StrimziScramSha512`].
    pub fn strimzi_scram_sha_512(
        user: impl Into<String>,
        cluster_ca_secret: impl Into<String>,
    ) -> Self {
        KafkaSecurity::StrimziScramSha512 {
            user: user.into(),
            cluster_ca_secret: cluster_ca_secret.into(),
        }
    }
}

/// Where the Kafka user's Secret is mounted (driver and executors).
pub const KAFKA_USER_DIR: &str = "/opt/spark/kafka/user";
/// Where the Kafka cluster CA Secret is mounted (driver and executors).
pub const KAFKA_CA_DIR: &str = "/opt/spark/kafka/cluster-ca";
/// Driver environment variable with the keystore password (`user.password`).
pub const KAFKA_KEYSTORE_PASSWORD_ENV: &str = "KAFKA_KEYSTORE_PASSWORD";
/// Driver environment variable with the truststore password (`ca.password`).
pub const KAFKA_TRUSTSTORE_PASSWORD_ENV: &str = "KAFKA_TRUSTSTORE_PASSWORD";
/// Driver environment variable with the SCRAM password (`password`).
pub const KAFKA_SASL_PASSWORD_ENV: &str = "KAFKA_SASL_PASSWORD";

#[derive(Serialize)]
struct Store {
    path: String,
    password_env: &'static str,
}

#[derive(Serialize)]
struct SecurityConfig {
    protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    truststore: Option<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keystore: Option<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sasl_mechanism: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_env: Option<&'static str>,
}

#[derive(Serialize)]
struct FormatConfig<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_url: Option<&'a str>,
}

/// A bounded replay of the topic (the Argo `cdc-backfill` pipeline): read from a point in time up to
/// the end offsets present when the job starts (`trigger(availableNow=True)`), merging into an
/// Iceberg branch of the target table or into a staging table, never into the table's `main`.
///
/// Kafka's `startingTimestamp` picks, per partition, the first offset whose record timestamp is at
/// or after the start (`startingOffsetsByTimestampStrategy=latest`: a partition without such a
/// record contributes nothing). The replay has its own checkpoint, so a failed run resumes where it
/// stopped instead of starting over; the start timestamp only applies to a new checkpoint.
///
/// ```no_run
/// use spark_templates::prelude::*;
///
/// # fn main() -> Result<(), spark_templates::Error> {
/// let backfill = CdcToIceberg::new("orders-backfill", "pg.public.orders", "sales.orders")
///     .column("id", ColumnType::BigInt)
///     .column("status", ColumnType::String)
///     .key("id")
///     .catalog(IcebergCatalog::rest("lake", "http://polaris:8181/api/catalog"))
///     .bounded_replay(
///         BoundedReplay::from_timestamp("2024-06-01T00:00:00Z")
///             .branch("backfill_20240601")
///             .checkpoint_location("s3a://lake/checkpoints/orders-backfill-20240601"),
///     )
///     .build()?;
/// # let _ = backfill;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct BoundedReplay {
    from: String,
    branch: Option<String>,
    staging_table: Option<String>,
    checkpoint_location: Option<String>,
}

impl BoundedReplay {
    /// Replays the events from `timestamp`: RFC 3339 (`2024-06-01T00:00:00Z`, offsets allowed) or
    /// epoch milliseconds (`1717200000000`). Checked by [`CdcToIceberg::build`].
    pub fn from_timestamp(timestamp: impl Into<String>) -> Self {
        BoundedReplay {
            from: timestamp.into(),
            branch: None,
            staging_table: None,
            checkpoint_location: None,
        }
    }

    /// Merges into the Iceberg branch `name` of the target table (`MERGE INTO <table>.branch_<name>`),
    /// created from the current `main` when missing. Letters, digits and `_`, starting with a letter;
    /// not `main`.
    pub fn branch(mut self, name: impl Into<String>) -> Self {
        self.branch = Some(name.into());
        self
    }

    /// Merges into `table` (`namespace.table`), created with the target's columns when missing.
    pub fn staging_table(mut self, table: impl Into<String>) -> Self {
        self.staging_table = Some(table.into());
        self
    }

    /// Checkpoint location of the replay (default `s3a://lake/checkpoints/<name>-replay-<branch or
    /// staging table>`); must differ from the streaming checkpoint.
    pub fn checkpoint_location(mut self, location: impl Into<String>) -> Self {
        self.checkpoint_location = Some(location.into());
        self
    }
}

/// Epoch milliseconds of an RFC 3339 timestamp or of a decimal epoch-milliseconds string.
fn timestamp_millis(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return value.parse().ok();
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = b.get(from..to)?;
        if part.iter().all(u8::is_ascii_digit) {
            value[from..to].parse().ok()
        } else {
            None
        }
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[(month - 1) as usize]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &value[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let ms = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = ms.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let o = rest.as_bytes();
            if o.len() != 6 || !(o[0] == b'+' || o[0] == b'-') || o[3] != b':' {
                return None;
            }
            let digits = |r: std::ops::Range<usize>| -> Option<i64> {
                o[r.clone()]
                    .iter()
                    .all(u8::is_ascii_digit)
                    .then(|| rest[r].parse().ok())?
            };
            let (h, m) = (digits(1..3)?, digits(4..6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if o[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
    };
    // days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let ms = (days * 86_400 + hour * 3600 + minute * 60 + second - offset) * 1000 + millis;
    (ms >= 0).then_some(ms)
}

#[derive(Clone, Serialize)]
struct ReplayConfig<'a> {
    starting_timestamp: &'a str,
    starting_timestamp_ms: i64,
    branch: Option<&'a str>,
    staging_table: Option<&'a str>,
    target: String,
    checkpoint_location: String,
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
    format: FormatConfig<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kafka_security: Option<SecurityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id_prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<ReplayConfig<'a>>,
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

    /// Checks the replay settings: (epoch millis, merge target, checkpoint).
    fn validate_replay<'a>(
        &'a self,
        r: &'a BoundedReplay,
        stream_checkpoint: &str,
    ) -> Result<ReplayConfig<'a>> {
        let ms = timestamp_millis(r.from.trim()).ok_or_else(|| Error::InvalidTimestamp {
            field: "bounded replay start",
            value: r.from.clone(),
        })?;
        let (target, suffix) = match (&r.branch, &r.staging_table) {
            (Some(_), Some(_)) => {
                return Err(Error::ConflictingParameters {
                    template: TEMPLATE,
                    first: "bounded replay branch",
                    second: "bounded replay staging table",
                })
            }
            (None, None) => {
                return Err(Error::MissingParameter {
                    template: TEMPLATE,
                    field: "bounded replay target (a branch or a staging table)",
                })
            }
            (Some(b), None) => {
                let reason = if b.is_empty() || b.len() > 100 {
                    Some("1 to 100 characters")
                } else if !crate::catalog::is_identifier(b) {
                    Some("letters, digits and underscores, starting with a letter")
                } else if b == "main" {
                    Some("`main` is the table itself; a replay writes beside it")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(Error::InvalidBranchName {
                        value: b.clone(),
                        reason,
                    });
                }
                (format!("{}.branch_{b}", self.table), b.clone())
            }
            (None, Some(t)) => {
                parse_table("bounded replay staging table", t)?;
                if t == &self.table {
                    return Err(Error::InvalidValue {
                        field: "bounded replay staging table".into(),
                        value: t.clone(),
                        reason: "is the target table; use a branch to write beside it".into(),
                    });
                }
                (t.clone(), t.replace('.', "-"))
            }
        };
        let checkpoint = r.checkpoint_location.clone().unwrap_or_else(|| {
            format!(
                "s3a://lake/checkpoints/{}-replay-{}",
                self.job.name(),
                suffix.replace('_', "-")
            )
        });
        if !checkpoint.contains("://") {
            return Err(Error::InvalidValue {
                field: "bounded replay checkpoint location".into(),
                value: checkpoint,
                reason: "a URI such as s3a://bucket/path".into(),
            });
        }
        if checkpoint.trim_end_matches('/') == stream_checkpoint.trim_end_matches('/') {
            return Err(Error::InvalidValue {
                field: "bounded replay checkpoint location".into(),
                value: checkpoint,
                reason: "is the streaming checkpoint; a replay needs its own".into(),
            });
        }
        if matches!(self.job.restart, Restart::Always { .. }) {
            return Err(Error::InvalidValue {
                field: "restart".into(),
                value: "Always".into(),
                reason: "a bounded replay ends; use OnFailure or Never".into(),
            });
        }
        Ok(ReplayConfig {
            starting_timestamp: r.from.trim(),
            starting_timestamp_ms: ms,
            branch: r.branch.as_deref(),
            staging_table: r.staging_table.as_deref(),
            target,
            checkpoint_location: checkpoint,
        })
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
        if let Some(k) = self.kafka_options.keys().find(|k| {
            ["kafka.security.", "kafka.ssl.", "kafka.sasl."]
                .iter()
                .any(|p| k.starts_with(p))
        }) {
            return Err(Error::InvalidValue {
                field: format!("kafka option {k}"),
                value: self.kafka_options[k].clone(),
                reason: "security settings come from .kafka_security(KafkaSecurity::..)".into(),
            });
        }
        if let CdcFormat::ConfluentAvro { registry_url } = &self.format {
            let ok = (registry_url.starts_with("http://") || registry_url.starts_with("https://"))
                && registry_url.len() > "https://".len()
                && !registry_url.contains(char::is_whitespace)
                && !registry_url.contains('@');
            if !ok {
                return Err(Error::InvalidValue {
                    field: "schema registry URL".into(),
                    value: registry_url.clone(),
                    reason: "an http(s) URL without credentials, such as \
                             http://schema-registry-app-service.kafka.svc:8080/apis/ccompat/v7"
                        .into(),
                });
            }
        }
        let names: Vec<(&str, &str)> = match &self.security {
            KafkaSecurity::Plaintext => vec![],
            KafkaSecurity::StrimziTls {
                user_secret,
                cluster_ca_secret,
            } => vec![
                ("Kafka user Secret", user_secret),
                ("cluster CA Secret", cluster_ca_secret),
            ],
            KafkaSecurity::StrimziScramSha512 {
                user,
                cluster_ca_secret,
            } => vec![
                ("Kafka user", user),
                ("cluster CA Secret", cluster_ca_secret),
            ],
        };
        for (field, name) in names {
            let ok = !name.is_empty()
                && name.len() <= 253
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !name.ends_with(['-', '.'])
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !ok {
                return Err(Error::InvalidValue {
                    field: field.into(),
                    value: name.into(),
                    reason: "a Kubernetes object name (lowercase letters, digits, - and .)".into(),
                });
            }
        }
        if let Some(p) = &self.group_id_prefix {
            if p.is_empty() || p.contains(char::is_whitespace) {
                return Err(Error::InvalidValue {
                    field: "group id prefix".into(),
                    value: p.clone(),
                    reason: "a non-empty consumer group prefix without spaces".into(),
                });
            }
        }
        Ok((namespace, checkpoint))
    }

    /// job.json `kafka_security`, the Secret volumes and the driver's Secret environment.
    fn security_parts(
        &self,
    ) -> (
        Option<SecurityConfig>,
        Vec<SecretVolume>,
        Vec<k8s_openapi::api::core::v1::EnvVar>,
    ) {
        let ca = |secret: &str| SecretVolume {
            volume: "kafka-cluster-ca".into(),
            secret: secret.to_owned(),
            mount_path: KAFKA_CA_DIR.into(),
            items: vec![("ca.p12".into(), "ca.p12".into())],
        };
        let truststore = || Store {
            path: format!("{KAFKA_CA_DIR}/ca.p12"),
            password_env: KAFKA_TRUSTSTORE_PASSWORD_ENV,
        };
        match &self.security {
            KafkaSecurity::Plaintext => (None, vec![], vec![]),
            KafkaSecurity::StrimziTls {
                user_secret,
                cluster_ca_secret,
            } => (
                Some(SecurityConfig {
                    protocol: "SSL",
                    truststore: Some(truststore()),
                    keystore: Some(Store {
                        path: format!("{KAFKA_USER_DIR}/user.p12"),
                        password_env: KAFKA_KEYSTORE_PASSWORD_ENV,
                    }),
                    sasl_mechanism: None,
                    username: None,
                    password_env: None,
                }),
                vec![
                    SecretVolume {
                        volume: "kafka-user".into(),
                        secret: user_secret.clone(),
                        mount_path: KAFKA_USER_DIR.into(),
                        items: vec![("user.p12".into(), "user.p12".into())],
                    },
                    ca(cluster_ca_secret),
                ],
                vec![
                    SecretKeyRef::new(user_secret, "user.password")
                        .env(KAFKA_KEYSTORE_PASSWORD_ENV),
                    SecretKeyRef::new(cluster_ca_secret, "ca.password")
                        .env(KAFKA_TRUSTSTORE_PASSWORD_ENV),
                ],
            ),
            KafkaSecurity::StrimziScramSha512 {
                user,
                cluster_ca_secret,
            } => (
                Some(SecurityConfig {
                    protocol: "SASL_SSL",
                    truststore: Some(truststore()),
                    keystore: None,
                    sasl_mechanism: Some("SCRAM-SHA-512"),
                    username: Some(user.clone()),
                    password_env: Some(KAFKA_SASL_PASSWORD_ENV),
                }),
                vec![ca(cluster_ca_secret)],
                vec![
                    SecretKeyRef::new(user, "password").env(KAFKA_SASL_PASSWORD_ENV),
                    SecretKeyRef::new(cluster_ca_secret, "ca.password")
                        .env(KAFKA_TRUSTSTORE_PASSWORD_ENV),
                ],
            ),
        }
    }

    /// Validates the parameters and produces the objects.
    pub fn build(&self) -> Result<JobBundle> {
        let (namespace, checkpoint) = self.validate()?;
        let replay = match &self.replay {
            Some(r) => Some(self.validate_replay(r, &checkpoint)?),
            None => None,
        };
        // the table the job creates (when missing) and the one it merges into
        let (created, created_namespace) = match replay.as_ref().and_then(|r| r.staging_table) {
            Some(t) => (t.to_owned(), parse_table("staging table", t)?.0),
            None => (self.table.clone(), namespace.clone()),
        };
        // a branch is chosen at run time (`--replay-branch`, default job.json replay.branch): the
        // SQL files carry the placeholder, substituted by the job
        let merge_target = match &replay {
            None => self.table.clone(),
            Some(r) if r.branch.is_some() => {
                format!("{}.`branch_{{{{ replay_branch }}}}`", self.table)
            }
            Some(r) => r.target.clone(),
        };
        let (security, secret_volumes, secret_env) = self.security_parts();
        let format_doc = match &self.format {
            CdcFormat::Json => "Debezium JSON change events (with or without the schema envelope)",
            CdcFormat::ConfluentAvro { .. } => {
                "Debezium Avro change events (Confluent wire format, writer schemas from the registry)"
            }
        };
        let name = self.job.name();
        let offsets = match self.starting_offsets {
            StartingOffsets::Earliest => "earliest",
            StartingOffsets::Latest => "latest",
        };
        let ctx = minijinja::context! {
            name, table => created, namespace => created_namespace, target => merge_target,
            branch => replay.as_ref().and_then(|r| r.branch), replay => replay.is_some(),
            topic => self.topic.clone(), keys => self.keys.clone(),
            columns => crate::render::sv(&self.columns), order_field => self.order_field.clone(),
            partition_by => self.partition_by.clone(), format_doc,
            description => match &replay {
                Some(r) => format!(
                    "bounded replay of Debezium changes from {} since {} merged into {}",
                    self.topic, r.starting_timestamp, r.target
                ),
                None => format!("Debezium changes from {} merged into {}", self.topic, self.table),
            },
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
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
                    starting_offsets: offsets,
                    trigger_interval: &self.trigger_interval,
                    checkpoint_location: checkpoint.clone(),
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
                    replay: replay.clone(),
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
            driver_secret_env: secret_env,
            secret_volumes,
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
                "Kafka security",
                match &self.security {
                    KafkaSecurity::Plaintext => "PLAINTEXT".to_owned(),
                    KafkaSecurity::StrimziTls {
                        user_secret,
                        cluster_ca_secret,
                    } => format!(
                        "SSL (mTLS): keystore Secret {user_secret} (user.p12), truststore Secret {cluster_ca_secret} (ca.p12)"
                    ),
                    KafkaSecurity::StrimziScramSha512 {
                        user,
                        cluster_ca_secret,
                    } => format!(
                        "SASL_SSL SCRAM-SHA-512 as {user}, truststore Secret {cluster_ca_secret} (ca.p12)"
                    ),
                },
                "`job.json` `kafka_security` (builder: `KafkaSecurity`)",
            ),
            param(
                "event format",
                match &self.format {
                    CdcFormat::Json => "Debezium JSON".to_owned(),
                    CdcFormat::ConfluentAvro { registry_url } => {
                        format!("Avro, Confluent wire format, schemas from {registry_url}")
                    }
                },
                "`job.json` `format` (builder: `CdcFormat`)",
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
        ]);
        if let Some(p) = &self.group_id_prefix {
            params.push(param(
                "consumer group prefix",
                p,
                "`job.json` `group_id_prefix` (Spark `groupIdPrefix`)",
            ));
        }
        let mut overview_extra = String::new();
        match &replay {
            // a replay: its own start, target and checkpoint replace the stream's settings
            Some(r) => {
                params.extend([
                    param(
                        "bounded replay start",
                        r.starting_timestamp,
                        "`job.json` `replay.starting_timestamp_ms`; at run time `--replay-from`",
                    ),
                    match r.branch {
                        Some(b) => param(
                            "bounded replay branch",
                            b,
                            "`job.json` `replay.branch`; at run time `--replay-branch`",
                        ),
                        None => param(
                            "bounded replay target",
                            &r.target,
                            "`merge.sql` (builder: `BoundedReplay`)",
                        ),
                    },
                    param(
                        "bounded replay checkpoint",
                        &r.checkpoint_location,
                        "`job.json` `replay.checkpoint_location`; at run time `--replay-checkpoint`",
                    ),
                ]);
                overview_extra = format!(
                    "\n\nThis instance is a **bounded replay**: it starts at the first offset at or after {} in each \
                     partition (Kafka `startingTimestamp`), stops at the end offsets present when it starts \
                     (`trigger(availableNow=True)`), merges into `{}` (never the table's `main`), keeps its own \
                     checkpoint at `{}` and ends.",
                    r.starting_timestamp, r.target, r.checkpoint_location
                );
                if r.branch.is_some() {
                    overview_extra.push_str(
                        " `--replay-branch` and `--replay-checkpoint` choose another branch and checkpoint per run. \
                         After the replay the job verifies the branch and exits 1 when it has duplicate keys or lacks a \
                         key of `main` that the replayed window does not delete (the window is read again up to the \
                         last batch's end offsets to find the deleted keys); publishing the branch is left to the pipeline.",
                    );
                }
            }
            None => params.extend([
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
            ]),
        }
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "CdcToIceberg",
            overview: format!(
                "Structured Streaming job reading {} from Kafka topic `{}` and applying each micro-batch to `{}` \
                 with `MERGE INTO`: the latest event per key wins (ordered by `source.{}`, then `ts_ms`), creates and \
                 updates upsert, deletes delete, and events older than the stored row are ignored. The table is \
                 created on first start with two extra columns, `_cdc_order` and `_cdc_ts_ms`.{}",
                format_doc, self.topic, self.table, self.order_field,
                if replay.is_some() { String::new() } else { format!(" Offsets are checkpointed at `{checkpoint}`.") }
            ) + &overview_extra,
            params,
            extra_cms: vec![],
            requirements: [
                match &self.format {
                    CdcFormat::Json => "Debezium's JSON converter; for DECIMAL columns `decimal.handling.mode=string`, dates as days and timestamps as epoch milliseconds (`time.precision.mode=connect`).".to_owned(),
                    CdcFormat::ConfluentAvro { registry_url } => format!(
                        "Debezium's Avro converter writing the Confluent wire format (Apicurio 3: `apicurio.registry.as-confluent=true`, `apicurio.registry.headers.enabled=false`, `apicurio.registry.use-id=contentId`), and `{registry_url}/schemas/ids/<id>` reachable from the driver; no extra package (the decoder is `datatier_avro.py`, shipped to the executors)."
                    ),
                },
                match &self.security {
                    KafkaSecurity::Plaintext => "A plaintext Kafka listener.".to_owned(),
                    KafkaSecurity::StrimziTls { user_secret, cluster_ca_secret } => format!(
                        "Secrets `{user_secret}` (the Strimzi KafkaUser's: `user.p12`, `user.password`) and `{cluster_ca_secret}` (`ca.p12`, `ca.password`) in the job's namespace: the User Operator writes them in the Kafka namespace, so run the job there or copy them (e.g. with a secret replicator). Mounted in driver and executors at `{KAFKA_USER_DIR}` and `{KAFKA_CA_DIR}`; the passwords reach the driver as `{KAFKA_KEYSTORE_PASSWORD_ENV}` / `{KAFKA_TRUSTSTORE_PASSWORD_ENV}`."
                    ),
                    KafkaSecurity::StrimziScramSha512 { user, cluster_ca_secret } => format!(
                        "Secrets `{user}` (the Strimzi KafkaUser's: `password`) and `{cluster_ca_secret}` (`ca.p12`, `ca.password`) in the job's namespace; the password reaches the driver as `{KAFKA_SASL_PASSWORD_ENV}`."
                    ),
                },
                "The checkpoint bucket reachable through `s3a://` (`hadoop-aws` is added to the packages).".to_owned(),
            ]
            .into(),
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
