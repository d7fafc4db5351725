//! The choices of a `cdc-to-iceberg` job: column types, starting offsets, event format, Kafka security.

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
