//! The Apache Iceberg sink connector: [`IcebergSinkBuilder`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::connector::{connector, converter_config};
use crate::error::{Error, Result};
use crate::secret::SecretKeyRef;
use crate::topic::validate_topic_name;

use super::*;

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
    pub fn new(connect: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            connect: connect.into(),
            topics: Vec::new(),
            namespace: String::new(),
            catalog_uri: String::new(),
            warehouse: String::new(),
            s3_endpoint: None,
            access_key: None,
            secret_key: None,
            control_topic: format!("{name}-control"),
            dead_letter_topic: Some(format!("{name}-dlq")),
            name,
            commit_interval_ms: 300_000,
            tasks_max: 2,
            registry_url: String::new(),
        }
    }

    /// Debezium change topics to sink.
    pub fn topics(mut self, topics: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.topics = topics.into_iter().map(|t| t.as_ref().to_owned()).collect();
        self
    }

    /// Iceberg namespace the tables land in: topic `<prefix>.<schema>.<table>` becomes
    /// `<namespace>.<table>`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The Iceberg table a captured table `<schema>.<table>` lands in.
    pub fn table_for(&self, captured: &str) -> String {
        let table = captured.rsplit('.').next().unwrap_or(captured);
        format!("{}.{table}", self.namespace)
    }

    /// REST catalog URI and warehouse.
    pub fn catalog(mut self, uri: impl Into<String>, warehouse: impl Into<String>) -> Self {
        self.catalog_uri = uri.into();
        self.warehouse = warehouse.into();
        self
    }

    /// Custom S3 endpoint (MinIO, Ceph); enables path-style access.
    pub fn s3_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.s3_endpoint = Some(endpoint.into());
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
    pub fn control_topic(mut self, topic: impl Into<String>) -> Self {
        self.control_topic = topic.into();
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
    pub fn registry_url(mut self, url: impl Into<String>) -> Self {
        self.registry_url = url.into();
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
    pub fn build(self) -> Result<KafkaConnector> {
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
