//! `KafkaConnect` with a plugin build and `KafkaConnector`s for Debezium Postgres CDC and the
//! Apache Iceberg sink.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::kafka::{ClientAuth, KafkaCluster, Resources};
use crate::meta::{
    resource, to_value, validate_label, validate_subdomain, CustomResource, CLUSTER_LABEL, PART_OF,
    PART_OF_LABEL, STRIMZI_API_VERSION,
};
use crate::secret::{ensure_reference, SecretKeyRef};
use crate::topic::validate_topic_name;

/// A `KafkaConnect` custom resource.
pub type KafkaConnect = CustomResource<KafkaConnectSpec>;
/// A `KafkaConnector` custom resource.
pub type KafkaConnector = CustomResource<KafkaConnectorSpec>;

/// Debezium release whose Postgres connector is built into the Connect image.
pub const DEBEZIUM_VERSION: &str = "3.3.1.Final";
/// Apicurio Registry release of the Kafka Connect converters (matches the pinned registry).
pub const APICURIO_VERSION: &str = "3.3.1";
/// Apache Iceberg release of the Kafka Connect sink.
pub const ICEBERG_VERSION: &str = "1.10.0";
/// Apicurio's Avro converter class.
pub const APICURIO_AVRO_CONVERTER: &str = "io.apicurio.registry.utils.converter.AvroConverter";
/// Strimzi's config provider that reads Secrets through the Kubernetes API.
pub const SECRET_CONFIG_PROVIDER: &str = "io.strimzi.kafka.KubernetesSecretConfigProvider";

/// `KafkaConnect.spec` (v1: group and storage topics are top-level fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaConnectSpec {
    /// Worker count.
    pub replicas: u32,
    /// Kafka bootstrap address.
    pub bootstrap_servers: String,
    /// Connect group id.
    pub group_id: String,
    /// Connector config topic.
    pub config_storage_topic: String,
    /// Source offsets topic.
    pub offset_storage_topic: String,
    /// Status topic.
    pub status_storage_topic: String,
    /// Trust the cluster CA.
    pub tls: ConnectTls,
    /// Client authentication.
    pub authentication: ConnectAuthentication,
    /// Worker configuration (config providers, converters, replication).
    pub config: BTreeMap<String, Value>,
    /// Worker resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<k8s_openapi::api::core::v1::ResourceRequirements>,
    /// Image build with the connector plugins.
    pub build: Build,
}

/// `spec.tls`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectTls {
    /// Trusted certificates.
    pub trusted_certificates: Vec<TrustedCertificate>,
}

/// `spec.tls.trustedCertificates[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedCertificate {
    /// Secret.
    pub secret_name: String,
    /// File pattern.
    pub pattern: String,
}

/// `spec.authentication`: SCRAM (password Secret reference) or mTLS (certificate Secret reference).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum ConnectAuthentication {
    /// SCRAM-SHA-512 with the password from the user operator's Secret.
    #[serde(rename = "scram-sha-512", rename_all = "camelCase")]
    ScramSha512 {
        /// Kafka user name.
        username: String,
        /// Secret and key holding the password.
        password_secret: PasswordSecret,
    },
    /// mTLS with the certificate from the user operator's Secret.
    #[serde(rename = "tls", rename_all = "camelCase")]
    Tls {
        /// Secret holding `user.crt` and `user.key`.
        certificate_and_key: CertificateAndKey,
    },
}

/// `passwordSecret`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSecret {
    /// Secret name.
    pub secret_name: String,
    /// Key.
    pub password: String,
}

/// `certificateAndKey`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAndKey {
    /// Secret name.
    pub secret_name: String,
    /// Certificate key.
    pub certificate: String,
    /// Private key key.
    pub key: String,
}

impl ConnectAuthentication {
    /// Authentication as the `KafkaUser` `user` (whose Secret the user operator creates).
    pub fn for_user(auth: ClientAuth, user: &str) -> Self {
        match auth {
            ClientAuth::ScramSha512 => Self::ScramSha512 {
                username: user.to_owned(),
                password_secret: PasswordSecret {
                    secret_name: user.to_owned(),
                    password: "password".to_owned(),
                },
            },
            ClientAuth::Tls => Self::Tls {
                certificate_and_key: CertificateAndKey {
                    secret_name: user.to_owned(),
                    certificate: "user.crt".to_owned(),
                    key: "user.key".to_owned(),
                },
            },
        }
    }
}

/// `spec.build`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Build {
    /// Where the built image goes.
    pub output: BuildOutput,
    /// Plugins.
    pub plugins: Vec<Plugin>,
}

/// `spec.build.output`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOutput {
    /// `docker`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Image reference.
    pub image: String,
    /// Name of a `kubernetes.io/dockerconfigjson` Secret for pushing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_secret: Option<String>,
}

/// One plugin of `spec.build.plugins`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plugin {
    /// Plugin directory name.
    pub name: String,
    /// Its artifacts.
    pub artifacts: Vec<Artifact>,
}

/// A Maven artifact (resolved with its runtime dependencies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    /// `maven`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Group id.
    pub group: String,
    /// Artifact id.
    pub artifact: String,
    /// Version.
    pub version: String,
}

impl Plugin {
    /// A plugin from Maven coordinates `(group, artifact, version)`.
    pub fn maven(name: &str, artifacts: &[(&str, &str, &str)]) -> Self {
        Self {
            name: name.to_owned(),
            artifacts: artifacts
                .iter()
                .map(|(g, a, v)| Artifact {
                    type_: "maven".to_owned(),
                    group: (*g).to_owned(),
                    artifact: (*a).to_owned(),
                    version: (*v).to_owned(),
                })
                .collect(),
        }
    }

    /// Debezium's Postgres connector.
    pub fn debezium_postgres(version: &str) -> Self {
        Self::maven(
            "debezium-postgres",
            &[("io.debezium", "debezium-connector-postgres", version)],
        )
    }

    /// Apicurio Registry's Kafka Connect converters (Avro and JSON Schema).
    pub fn apicurio_converters(version: &str) -> Self {
        Self::maven(
            "apicurio-converters",
            &[("io.apicurio", "apicurio-registry-utils-converter", version)],
        )
    }

    /// Apache Iceberg's Kafka Connect sink, its SMTs (Debezium envelope) and the AWS bundle for S3.
    pub fn iceberg_sink(version: &str) -> Self {
        Self::maven(
            "iceberg-sink",
            &[
                ("org.apache.iceberg", "iceberg-kafka-connect", version),
                (
                    "org.apache.iceberg",
                    "iceberg-kafka-connect-transforms",
                    version,
                ),
                ("org.apache.iceberg", "iceberg-aws-bundle", version),
            ],
        )
    }
}

/// `KafkaConnector.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaConnectorSpec {
    /// Connector class.
    pub class: String,
    /// Maximum tasks.
    pub tasks_max: u32,
    /// Restart failed connectors and tasks automatically.
    pub auto_restart: AutoRestart,
    /// `running`, `paused` or `stopped`.
    pub state: ConnectorState,
    /// Connector configuration.
    pub config: BTreeMap<String, Value>,
}

/// `spec.autoRestart`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRestart {
    /// On.
    pub enabled: bool,
    /// Give up after this many restarts.
    pub max_restarts: u32,
}

/// `KafkaConnector.spec.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorState {
    /// Running.
    Running,
    /// Paused (tasks stay assigned, no records flow).
    Paused,
    /// Stopped (tasks released).
    Stopped,
}

impl ConnectorState {
    /// The spelling Strimzi uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
        }
    }
}

fn connector(
    connect: &str,
    name: &str,
    class: &str,
    tasks_max: u32,
    config: BTreeMap<String, Value>,
) -> Result<KafkaConnector> {
    validate_subdomain("KafkaConnector", name)?;
    if tasks_max == 0 {
        return Err(Error::TooFew {
            what: "tasksMax",
            name: name.to_owned(),
            min: 1,
            value: 0,
        });
    }
    for (k, v) in &config {
        if let Some(s) = v.as_str() {
            ensure_reference(k, s)?;
        }
    }
    Ok(resource(
        STRIMZI_API_VERSION,
        "KafkaConnector",
        name,
        KafkaConnectorSpec {
            class: class.to_owned(),
            tasks_max,
            auto_restart: AutoRestart {
                enabled: true,
                max_restarts: 10,
            },
            state: ConnectorState::Running,
            config,
        },
    )
    // KafkaConnectors are bound to their KafkaConnect through this label.
    .with_label(CLUSTER_LABEL, connect))
}

/// Apicurio converter settings: the Confluent wire format (magic byte, 4-byte content id in the
/// payload, no schema id headers), so that any Confluent-compatible consumer can decode the
/// records with the registry's `/apis/ccompat/v7/schemas/ids/<id>` (spark-templates'
/// `CdcToIceberg` with `CdcFormat::ConfluentAvro`).
pub const CONFLUENT_WIRE_FORMAT: [(&str, &str); 3] = [
    ("apicurio.registry.as-confluent", "true"),
    ("apicurio.registry.headers.enabled", "false"),
    ("apicurio.registry.use-id", "contentId"),
];

fn converter_config(config: &mut BTreeMap<String, Value>, registry_url: &str) {
    for side in ["key", "value"] {
        for (k, v) in CONFLUENT_WIRE_FORMAT {
            let v: Value = match v {
                "true" => true.into(),
                "false" => false.into(),
                other => other.into(),
            };
            config.insert(format!("{side}.converter.{k}"), v);
        }
        config.insert(format!("{side}.converter"), APICURIO_AVRO_CONVERTER.into());
        config.insert(
            format!("{side}.converter.apicurio.registry.url"),
            registry_url.into(),
        );
        config.insert(
            format!("{side}.converter.apicurio.registry.auto-register"),
            true.into(),
        );
        config.insert(
            format!("{side}.converter.apicurio.registry.find-latest"),
            true.into(),
        );
    }
}

/// Debezium's `snapshot.mode` for Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotMode {
    /// Snapshot once, then stream.
    Initial,
    /// Snapshot only, no streaming.
    InitialOnly,
    /// Stream only (schema, no data snapshot).
    NoData,
    /// Snapshot when the slot's position is gone.
    WhenNeeded,
    /// Snapshot on every start.
    Always,
}

impl SnapshotMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::InitialOnly => "initial_only",
            Self::NoData => "no_data",
            Self::WhenNeeded => "when_needed",
            Self::Always => "always",
        }
    }
}

/// Builder for the Debezium Postgres source `KafkaConnector`.
///
/// ```no_run
/// use strimzi_templates::connect::{PostgresSourceBuilder, SnapshotMode};
/// use strimzi_templates::secret::SecretKeyRef;
///
/// let source = PostgresSourceBuilder::new("cdc", "pg-inventory", "inventory")
///     .database("postgres.db.svc", 5432, "inventory")
///     .credentials(
///         SecretKeyRef::new("kafka", "pg-cdc", "username")?,
///         SecretKeyRef::new("kafka", "pg-cdc", "password")?,
///     )
///     .tables(&["public.orders", "public.customers"])
///     .snapshot_mode(SnapshotMode::Initial)
///     .registry_url("http://schema-registry-app-service:8080/apis/registry/v3")
///     .build()?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PostgresSourceBuilder {
    connect: String,
    name: String,
    topic_prefix: String,
    host: String,
    port: u16,
    dbname: String,
    user: Option<SecretKeyRef>,
    password: Option<SecretKeyRef>,
    tables: Vec<String>,
    slot: Option<String>,
    publication: Option<String>,
    heartbeat_ms: u64,
    snapshot_mode: SnapshotMode,
    registry_url: String,
}

impl PostgresSourceBuilder {
    /// A source on Connect cluster `connect`, writing topics `<topic_prefix>.<schema>.<table>`.
    pub fn new(connect: &str, name: &str, topic_prefix: &str) -> Self {
        Self {
            connect: connect.to_owned(),
            name: name.to_owned(),
            topic_prefix: topic_prefix.to_owned(),
            host: String::new(),
            port: 5432,
            dbname: String::new(),
            user: None,
            password: None,
            tables: Vec::new(),
            slot: None,
            publication: None,
            heartbeat_ms: 10_000,
            snapshot_mode: SnapshotMode::Initial,
            registry_url: String::new(),
        }
    }

    /// Database host, port and name.
    pub fn database(mut self, host: &str, port: u16, dbname: &str) -> Self {
        self.host = host.to_owned();
        self.port = port;
        self.dbname = dbname.to_owned();
        self
    }

    /// Secret references for the replication user.
    pub fn credentials(mut self, user: SecretKeyRef, password: SecretKeyRef) -> Self {
        self.user = Some(user);
        self.password = Some(password);
        self
    }

    /// `schema.table` entries for `table.include.list`.
    pub fn tables(mut self, tables: &[&str]) -> Self {
        self.tables = tables.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Replication slot name (default: `<topic_prefix>` with `-`/`.` → `_`).
    pub fn slot(mut self, slot: &str) -> Self {
        self.slot = Some(slot.to_owned());
        self
    }

    /// Publication name (default: `<slot>_pub`).
    pub fn publication(mut self, publication: &str) -> Self {
        self.publication = Some(publication.to_owned());
        self
    }

    /// Heartbeat interval (keeps the slot advancing on quiet tables).
    pub fn heartbeat_ms(mut self, ms: u64) -> Self {
        self.heartbeat_ms = ms;
        self
    }

    /// `snapshot.mode`.
    pub fn snapshot_mode(mut self, mode: SnapshotMode) -> Self {
        self.snapshot_mode = mode;
        self
    }

    /// Apicurio Registry v3 API URL for the converters.
    pub fn registry_url(mut self, url: &str) -> Self {
        self.registry_url = url.to_owned();
        self
    }

    /// The topic prefix (also the prefix the Connect user may write).
    pub fn topic_prefix(&self) -> &str {
        &self.topic_prefix
    }

    /// Kafka topic of one captured table.
    pub fn topic_for(&self, table: &str) -> String {
        format!("{}.{table}", self.topic_prefix)
    }

    /// Validates and builds.
    pub fn build(&self) -> Result<KafkaConnector> {
        validate_topic_name(&self.topic_prefix)?;
        for (what, v) in [
            ("database host", &self.host),
            ("database name", &self.dbname),
            ("schema registry URL", &self.registry_url),
        ] {
            if v.is_empty() {
                return Err(Error::Empty { what });
            }
        }
        if self.tables.is_empty() {
            return Err(Error::Empty {
                what: "table.include.list",
            });
        }
        for t in &self.tables {
            let parts: Vec<&str> = t.split('.').collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(Error::InvalidValue {
                    what: "captured table",
                    value: t.clone(),
                    reason: "must be `schema.table`",
                });
            }
            validate_topic_name(&self.topic_for(t))?;
        }
        let (Some(user), Some(password)) = (&self.user, &self.password) else {
            return Err(Error::Empty {
                what: "database credentials (Secret references)",
            });
        };
        let slot = self
            .slot
            .clone()
            .unwrap_or_else(|| self.topic_prefix.replace(['-', '.'], "_"));
        if slot.is_empty()
            || slot.len() > 63
            || !slot
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::InvalidValue {
                what: "replication slot name",
                value: slot,
                reason: "Postgres slot names are at most 63 lowercase letters, digits or '_'",
            });
        }
        let publication = self
            .publication
            .clone()
            .unwrap_or_else(|| format!("{slot}_pub"));
        let mut config: BTreeMap<String, Value> = BTreeMap::from([
            ("database.hostname".to_owned(), self.host.clone().into()),
            ("database.port".to_owned(), self.port.into()),
            ("database.dbname".to_owned(), self.dbname.clone().into()),
            ("database.user".to_owned(), user.placeholder().into()),
            (
                "database.password".to_owned(),
                password.placeholder().into(),
            ),
            ("database.sslmode".to_owned(), "require".into()),
            ("topic.prefix".to_owned(), self.topic_prefix.clone().into()),
            ("plugin.name".to_owned(), "pgoutput".into()),
            ("slot.name".to_owned(), slot.into()),
            ("publication.name".to_owned(), publication.into()),
            ("publication.autocreate.mode".to_owned(), "filtered".into()),
            (
                "table.include.list".to_owned(),
                self.tables.join(",").into(),
            ),
            ("heartbeat.interval.ms".to_owned(), self.heartbeat_ms.into()),
            (
                "snapshot.mode".to_owned(),
                self.snapshot_mode.as_str().into(),
            ),
            // Let Connect create the change topics with cluster defaults (RF 3, compacted).
            (
                "topic.creation.default.replication.factor".to_owned(),
                (-1).into(),
            ),
            ("topic.creation.default.partitions".to_owned(), (-1).into()),
            (
                "topic.creation.default.cleanup.policy".to_owned(),
                "compact".into(),
            ),
            ("tombstones.on.delete".to_owned(), true.into()),
            ("decimal.handling.mode".to_owned(), "precise".into()),
            (
                "time.precision.mode".to_owned(),
                "adaptive_time_microseconds".into(),
            ),
        ]);
        converter_config(&mut config, &self.registry_url);
        connector(
            &self.connect,
            &self.name,
            "io.debezium.connector.postgresql.PostgresConnector",
            1,
            config,
        )
    }
}

/// Builder for the Apache Iceberg sink `KafkaConnector` (the no-Spark path into the lakehouse).
///
/// ```no_run
/// use strimzi_templates::connect::IcebergSinkBuilder;
/// use strimzi_templates::secret::SecretKeyRef;
///
/// let sink = IcebergSinkBuilder::new("cdc", "iceberg-inventory")
///     .topics(&["inventory.public.orders"])
///     .namespace("raw_inventory")
///     .catalog("http://iceberg-rest.lakehouse:8181", "s3://lake/warehouse")
///     .s3_credentials(
///         SecretKeyRef::new("kafka", "lake-s3", "access-key-id")?,
///         SecretKeyRef::new("kafka", "lake-s3", "secret-access-key")?,
///     )
///     .registry_url("http://schema-registry-app-service:8080/apis/registry/v3")
///     .build()?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IcebergSinkBuilder {
    connect: String,
    name: String,
    topics: Vec<String>,
    namespace: String,
    catalog_uri: String,
    warehouse: String,
    s3_endpoint: Option<String>,
    access_key: Option<SecretKeyRef>,
    secret_key: Option<SecretKeyRef>,
    control_topic: String,
    dead_letter_topic: Option<String>,
    commit_interval_ms: u64,
    tasks_max: u32,
    registry_url: String,
}

/// The Iceberg sink's default control consumer-group prefix.
pub const ICEBERG_CONTROL_GROUP_PREFIX: &str = "cg-control";

impl IcebergSinkBuilder {
    /// A sink on Connect cluster `connect`.
    pub fn new(connect: &str, name: &str) -> Self {
        Self {
            connect: connect.to_owned(),
            name: name.to_owned(),
            topics: Vec::new(),
            namespace: String::new(),
            catalog_uri: String::new(),
            warehouse: String::new(),
            s3_endpoint: None,
            access_key: None,
            secret_key: None,
            control_topic: format!("{name}-control"),
            dead_letter_topic: Some(format!("{name}-dlq")),
            commit_interval_ms: 300_000,
            tasks_max: 2,
            registry_url: String::new(),
        }
    }

    /// Debezium change topics to sink.
    pub fn topics(mut self, topics: &[&str]) -> Self {
        self.topics = topics.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Iceberg namespace the tables land in: topic `<prefix>.<schema>.<table>` becomes
    /// `<namespace>.<table>`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    /// The Iceberg table a captured table `<schema>.<table>` lands in.
    pub fn table_for(&self, captured: &str) -> String {
        let table = captured.rsplit('.').next().unwrap_or(captured);
        format!("{}.{table}", self.namespace)
    }

    /// REST catalog URI and warehouse.
    pub fn catalog(mut self, uri: &str, warehouse: &str) -> Self {
        self.catalog_uri = uri.to_owned();
        self.warehouse = warehouse.to_owned();
        self
    }

    /// Custom S3 endpoint (MinIO, Ceph); enables path-style access.
    pub fn s3_endpoint(mut self, endpoint: &str) -> Self {
        self.s3_endpoint = Some(endpoint.to_owned());
        self
    }

    /// Secret references for S3.
    pub fn s3_credentials(
        mut self,
        access_key_id: SecretKeyRef,
        secret_access_key: SecretKeyRef,
    ) -> Self {
        self.access_key = Some(access_key_id);
        self.secret_key = Some(secret_access_key);
        self
    }

    /// Control topic (one per sink connector).
    pub fn control_topic(mut self, topic: &str) -> Self {
        self.control_topic = topic.to_owned();
        self
    }

    /// Dead-letter topic for records that fail conversion (`None` fails the task instead).
    pub fn dead_letter_topic(mut self, topic: Option<&str>) -> Self {
        self.dead_letter_topic = topic.map(str::to_owned);
        self
    }

    /// Commit interval.
    pub fn commit_interval_ms(mut self, ms: u64) -> Self {
        self.commit_interval_ms = ms;
        self
    }

    /// Task count.
    pub fn tasks_max(mut self, n: u32) -> Self {
        self.tasks_max = n;
        self
    }

    /// Apicurio Registry v3 API URL.
    pub fn registry_url(mut self, url: &str) -> Self {
        self.registry_url = url.to_owned();
        self
    }

    /// The connector name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Source topics.
    pub fn source_topics(&self) -> Vec<&str> {
        self.topics.iter().map(String::as_str).collect()
    }

    /// The control topic.
    pub fn control(&self) -> &str {
        &self.control_topic
    }

    /// The dead-letter topic.
    pub fn dead_letter(&self) -> Option<&str> {
        self.dead_letter_topic.as_deref()
    }

    /// Validates and builds.
    pub fn build(&self) -> Result<KafkaConnector> {
        if self.topics.is_empty() {
            return Err(Error::Empty {
                what: "sink topics",
            });
        }
        for t in &self.topics {
            validate_topic_name(t)?;
        }
        validate_topic_name(&self.control_topic)?;
        if let Some(d) = &self.dead_letter_topic {
            validate_topic_name(d)?;
        }
        if self.namespace.is_empty()
            || !self
                .namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::InvalidValue {
                what: "Iceberg namespace",
                value: self.namespace.clone(),
                reason: "must be non-empty lowercase letters, digits or '_'",
            });
        }
        for (what, v) in [
            ("catalog URI", &self.catalog_uri),
            ("warehouse", &self.warehouse),
            ("schema registry URL", &self.registry_url),
        ] {
            if v.is_empty() {
                return Err(Error::Empty { what });
            }
        }
        let (Some(ak), Some(sk)) = (&self.access_key, &self.secret_key) else {
            return Err(Error::Empty {
                what: "S3 credentials (Secret references)",
            });
        };
        let mut config: BTreeMap<String, Value> = BTreeMap::from([
            ("topics".to_owned(), self.topics.join(",").into()),
            // Each record goes to the table its `_cdc.target` names (set by the transform).
            ("iceberg.tables.dynamic-enabled".to_owned(), true.into()),
            (
                "iceberg.tables.route-field".to_owned(),
                "_cdc.target".into(),
            ),
            ("iceberg.tables.auto-create-enabled".to_owned(), true.into()),
            (
                "iceberg.tables.evolve-schema-enabled".to_owned(),
                true.into(),
            ),
            (
                "iceberg.control.topic".to_owned(),
                self.control_topic.clone().into(),
            ),
            (
                "iceberg.control.group-id-prefix".to_owned(),
                ICEBERG_CONTROL_GROUP_PREFIX.into(),
            ),
            (
                "iceberg.control.commit.interval-ms".to_owned(),
                self.commit_interval_ms.into(),
            ),
            ("iceberg.catalog.type".to_owned(), "rest".into()),
            (
                "iceberg.catalog.uri".to_owned(),
                self.catalog_uri.clone().into(),
            ),
            (
                "iceberg.catalog.warehouse".to_owned(),
                self.warehouse.clone().into(),
            ),
            (
                "iceberg.catalog.io-impl".to_owned(),
                "org.apache.iceberg.aws.s3.S3FileIO".into(),
            ),
            (
                "iceberg.catalog.s3.access-key-id".to_owned(),
                ak.placeholder().into(),
            ),
            (
                "iceberg.catalog.s3.secret-access-key".to_owned(),
                sk.placeholder().into(),
            ),
            // Debezium envelopes become rows with a `_cdc` struct (op, ts, source offsets).
            ("transforms".to_owned(), "debezium".into()),
            (
                "transforms.debezium.type".to_owned(),
                "org.apache.iceberg.connect.transforms.DebeziumTransform".into(),
            ),
            (
                "transforms.debezium.cdc.target.pattern".to_owned(),
                format!("{}.{{table}}", self.namespace).into(),
            ),
        ]);
        if let Some(endpoint) = &self.s3_endpoint {
            config.insert(
                "iceberg.catalog.s3.endpoint".to_owned(),
                endpoint.clone().into(),
            );
            config.insert(
                "iceberg.catalog.s3.path-style-access".to_owned(),
                true.into(),
            );
        }
        if let Some(dlq) = &self.dead_letter_topic {
            config.insert("errors.tolerance".to_owned(), "all".into());
            config.insert(
                "errors.deadletterqueue.topic.name".to_owned(),
                dlq.clone().into(),
            );
            config.insert(
                "errors.deadletterqueue.context.headers.enable".to_owned(),
                true.into(),
            );
            config.insert(
                "errors.deadletterqueue.topic.replication.factor".to_owned(),
                (-1).into(),
            );
        }
        converter_config(&mut config, &self.registry_url);
        connector(
            &self.connect,
            &self.name,
            "org.apache.iceberg.connect.IcebergSinkConnector",
            self.tasks_max,
            config,
        )
    }
}

/// Builder for a `KafkaConnect` cluster with the Debezium, Apicurio and Iceberg plugins built in,
/// and Secrets readable through `KubernetesSecretConfigProvider`.
///
/// ```no_run
/// use strimzi_templates::connect::KafkaConnectBuilder;
/// use strimzi_templates::kafka::KafkaClusterBuilder;
///
/// let cluster = KafkaClusterBuilder::new("lake").build()?;
/// let connect = KafkaConnectBuilder::new("cdc", &cluster, "kafka")
///     .image("registry.example.com/data-tier/kafka-connect-cdc:0.1.0")
///     .readable_secrets(&["pg-cdc", "lake-s3"])
///     .build()?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KafkaConnectBuilder {
    name: String,
    namespace: String,
    cluster: String,
    bootstrap: String,
    ca_secret: String,
    auth: ClientAuth,
    replicas: u32,
    image: String,
    push_secret: Option<String>,
    plugins: Vec<Plugin>,
    secrets: BTreeSet<String>,
    resources: Resources,
}

impl KafkaConnectBuilder {
    /// A Connect cluster `name` in `namespace` talking to `cluster` as `KafkaUser` `name`.
    pub fn new(name: &str, cluster: &KafkaCluster, namespace: &str) -> Self {
        Self {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            cluster: cluster.name().to_owned(),
            bootstrap: cluster.bootstrap_servers(),
            ca_secret: cluster.cluster_ca_secret(),
            auth: cluster.client_auth(),
            replicas: 2,
            image: String::new(),
            push_secret: None,
            plugins: vec![
                Plugin::debezium_postgres(DEBEZIUM_VERSION),
                Plugin::apicurio_converters(APICURIO_VERSION),
                Plugin::iceberg_sink(ICEBERG_VERSION),
            ],
            secrets: BTreeSet::new(),
            resources: Resources::new("500m", "2Gi", None),
        }
    }

    /// Worker count.
    pub fn replicas(mut self, n: u32) -> Self {
        self.replicas = n;
        self
    }

    /// Output image of the plugin build.
    pub fn image(mut self, image: &str) -> Self {
        self.image = image.to_owned();
        self
    }

    /// Secret (name) with registry push credentials.
    pub fn push_secret(mut self, secret: &str) -> Self {
        self.push_secret = Some(secret.to_owned());
        self
    }

    /// Replaces the plugin list.
    pub fn plugins(mut self, plugins: Vec<Plugin>) -> Self {
        self.plugins = plugins;
        self
    }

    /// Secrets the config provider may read (a Role with `get` on exactly these names).
    pub fn readable_secrets(mut self, names: &[&str]) -> Self {
        self.secrets.extend(names.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Worker resources.
    pub fn resources(mut self, resources: Resources) -> Self {
        self.resources = resources;
        self
    }

    /// Connect group id.
    pub fn group_id(&self) -> String {
        format!("{}-connect", self.name)
    }

    /// The three storage topics: config, offsets, status.
    pub fn storage_topics(&self) -> [String; 3] {
        [
            format!("{}-connect-configs", self.name),
            format!("{}-connect-offsets", self.name),
            format!("{}-connect-status", self.name),
        ]
    }

    /// Validates and builds the `KafkaConnect` and the Role/RoleBinding for the config provider.
    pub fn build(&self) -> Result<ConnectCluster> {
        validate_label("KafkaConnect", &self.name, 40)?;
        validate_subdomain("namespace", &self.namespace)?;
        if self.replicas == 0 {
            return Err(Error::TooFew {
                what: "KafkaConnect replicas",
                name: self.name.clone(),
                min: 1,
                value: 0,
            });
        }
        if self.image.is_empty() {
            return Err(Error::Empty {
                what: "build output image",
            });
        }
        if self.plugins.is_empty() {
            return Err(Error::Empty { what: "plugins" });
        }
        for p in &self.plugins {
            let ok = p.name.len() >= 2
                && p.name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                })
                && !p.name.starts_with(['-', '_'])
                && !p.name.ends_with(['-', '_']);
            if !ok {
                return Err(Error::InvalidValue {
                    what: "plugin name",
                    value: p.name.clone(),
                    reason: "must match ^[a-z0-9][-_a-z0-9]*[a-z0-9]$",
                });
            }
        }
        for s in &self.secrets {
            validate_subdomain("Secret", s)?;
        }
        let [configs, offsets, status] = self.storage_topics();
        let config = BTreeMap::from([
            ("config.providers".to_owned(), Value::from("secrets")),
            (
                "config.providers.secrets.class".to_owned(),
                SECRET_CONFIG_PROVIDER.into(),
            ),
            ("config.storage.replication.factor".to_owned(), (-1).into()),
            ("offset.storage.replication.factor".to_owned(), (-1).into()),
            ("status.storage.replication.factor".to_owned(), (-1).into()),
            ("topic.creation.enable".to_owned(), true.into()),
            ("key.converter".to_owned(), APICURIO_AVRO_CONVERTER.into()),
            ("value.converter".to_owned(), APICURIO_AVRO_CONVERTER.into()),
        ]);
        let connect = resource(
            STRIMZI_API_VERSION,
            "KafkaConnect",
            &self.name,
            KafkaConnectSpec {
                replicas: self.replicas,
                bootstrap_servers: self.bootstrap.clone(),
                group_id: self.group_id(),
                config_storage_topic: configs,
                offset_storage_topic: offsets,
                status_storage_topic: status,
                tls: ConnectTls {
                    trusted_certificates: vec![TrustedCertificate {
                        secret_name: self.ca_secret.clone(),
                        pattern: "*.crt".to_owned(),
                    }],
                },
                authentication: ConnectAuthentication::for_user(self.auth, &self.name),
                config,
                resources: Some(self.resources.to_requirements()),
                build: Build {
                    output: BuildOutput {
                        type_: "docker".to_owned(),
                        image: self.image.clone(),
                        push_secret: self.push_secret.clone(),
                    },
                    plugins: self.plugins.clone(),
                },
            },
        )
        .with_label(CLUSTER_LABEL, &self.cluster)
        .with_annotation("strimzi.io/use-connector-resources", "true");

        let labels = Some(BTreeMap::from([(
            PART_OF_LABEL.to_owned(),
            PART_OF.to_owned(),
        )]));
        let role_name = format!("{}-connect-secrets", self.name);
        let role = (!self.secrets.is_empty()).then(|| Role {
            metadata: ObjectMeta {
                name: Some(role_name.clone()),
                labels: labels.clone(),
                ..ObjectMeta::default()
            },
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["secrets".to_owned()]),
                resource_names: Some(self.secrets.iter().cloned().collect()),
                verbs: vec!["get".to_owned()],
                ..PolicyRule::default()
            }]),
        });
        let binding = role.as_ref().map(|_| RoleBinding {
            metadata: ObjectMeta {
                name: Some(role_name.clone()),
                labels,
                ..ObjectMeta::default()
            },
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".to_owned(),
                kind: "Role".to_owned(),
                name: role_name.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".to_owned(),
                // Strimzi names the Connect pods' ServiceAccount `<name>-connect`.
                name: format!("{}-connect", self.name),
                namespace: Some(self.namespace.clone()),
                ..Subject::default()
            }]),
        });
        Ok(ConnectCluster {
            connect,
            secrets_role: role,
            secrets_role_binding: binding,
        })
    }
}

/// A built Connect cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectCluster {
    /// The `KafkaConnect`.
    pub connect: KafkaConnect,
    /// Role allowing the config provider to read the listed Secrets.
    pub secrets_role: Option<Role>,
    /// Binding of that Role to the Connect ServiceAccount.
    pub secrets_role_binding: Option<RoleBinding>,
}

impl ConnectCluster {
    /// All objects, in a stable order.
    pub fn objects(&self) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        if let Some(r) = &self.secrets_role {
            out.push(to_value("Role", r)?);
        }
        if let Some(b) = &self.secrets_role_binding {
            out.push(to_value("RoleBinding", b)?);
        }
        out.push(self.connect.to_value()?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::KafkaClusterBuilder;

    fn cluster() -> KafkaCluster {
        KafkaClusterBuilder::new("lake").build().unwrap()
    }

    #[test]
    fn zero_connect_replicas_rejected() {
        let err = KafkaConnectBuilder::new("cdc", &cluster(), "kafka")
            .image("x/y:1")
            .replicas(0)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::TooFew {
                what: "KafkaConnect replicas",
                ..
            }
        ));
    }

    #[test]
    fn connect_v1_fields_are_top_level() {
        let c = KafkaConnectBuilder::new("cdc", &cluster(), "kafka")
            .image("x/y:1")
            .readable_secrets(&["pg"])
            .build()
            .unwrap();
        let v = c.connect.to_value().unwrap();
        assert_eq!(v["spec"]["groupId"], "cdc-connect");
        assert_eq!(v["spec"]["offsetStorageTopic"], "cdc-connect-offsets");
        assert!(v["spec"]["config"].get("group.id").is_none());
        assert_eq!(v["spec"]["authentication"]["type"], "tls");
        assert_eq!(
            v["spec"]["authentication"]["certificateAndKey"]["secretName"],
            "cdc"
        );
        let scram = KafkaClusterBuilder::new("lake")
            .client_auth(ClientAuth::ScramSha512)
            .build()
            .unwrap();
        let c2 = KafkaConnectBuilder::new("cdc", &scram, "kafka")
            .image("x/y:1")
            .build()
            .unwrap();
        let v2 = c2.connect.to_value().unwrap();
        assert_eq!(v2["spec"]["authentication"]["type"], "scram-sha-512");
        assert_eq!(
            v2["spec"]["authentication"]["passwordSecret"]["secretName"],
            "cdc"
        );
        let role = c.secrets_role.unwrap();
        assert_eq!(
            role.rules.unwrap()[0].resource_names,
            Some(vec!["pg".to_owned()])
        );
    }

    #[test]
    fn inline_password_in_connector_rejected() {
        let mut config = BTreeMap::new();
        config.insert("database.password".to_owned(), Value::from("hunter2"));
        let err = connector("cdc", "x", "C", 1, config).unwrap_err();
        assert!(matches!(err, Error::InlineCredential { .. }));
    }

    #[test]
    fn postgres_source_requires_schema_table() {
        let err = PostgresSourceBuilder::new("cdc", "pg", "inv")
            .database("h", 5432, "d")
            .credentials(
                SecretKeyRef::new("kafka", "pg", "username").unwrap(),
                SecretKeyRef::new("kafka", "pg", "password").unwrap(),
            )
            .registry_url("http://r")
            .tables(&["orders"])
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidValue {
                what: "captured table",
                ..
            }
        ));
    }
}
