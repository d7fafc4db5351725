//! `KafkaTopic` patterns: CDC topics, dead-letter topics, Debezium schema history.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta::{
    resource, validate_subdomain, CustomResource, CLUSTER_LABEL, STRIMZI_API_VERSION,
};

/// A `KafkaTopic` custom resource.
pub type KafkaTopic = CustomResource<KafkaTopicSpec>;

/// `KafkaTopic.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaTopicSpec {
    /// The Kafka topic name when it differs from `metadata.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// Partition count.
    pub partitions: u32,
    /// Replication factor.
    pub replicas: u32,
    /// Topic configuration.
    pub config: BTreeMap<String, Value>,
}

/// Checks a topic name the way Kafka does (`Topic.validate`).
pub fn validate_topic_name(name: &str) -> Result<()> {
    let err = |reason| {
        Err(Error::InvalidTopicName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return err("must not be empty");
    }
    if name == "." || name == ".." {
        return err("'.' and '..' are not allowed");
    }
    if name.len() > 249 {
        return err("must be at most 249 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return err("may only contain ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// The Kubernetes name the topic operator convention gives a topic: lower-cased, `_` → `-`.
fn resource_name(topic: &str) -> Result<String> {
    let name: String = topic
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '.').to_owned();
    validate_subdomain("KafkaTopic", &name)?;
    Ok(name)
}

/// How a CDC topic is cleaned up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CleanupPolicy {
    /// Keep the latest record per key forever (a full table image).
    Compact,
    /// Compact, and also drop segments older than the retention.
    CompactDelete,
    /// Drop segments older than the retention.
    Delete,
}

impl CleanupPolicy {
    fn as_str(self) -> &'static str {
        match self {
            Self::Compact => "compact",
            Self::CompactDelete => "compact,delete",
            Self::Delete => "delete",
        }
    }
}

/// Builder for a `KafkaTopic` labelled with its cluster.
///
/// ```no_run
/// use strimzi_templates::topic::{CleanupPolicy, TopicBuilder};
///
/// let topic = TopicBuilder::cdc("lake", "pg.public.orders", CleanupPolicy::CompactDelete)
///     .retention_ms(7 * 24 * 3_600_000)
///     .build()?;
/// assert_eq!(topic.metadata.name.as_deref(), Some("pg.public.orders"));
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TopicBuilder {
    cluster: String,
    topic: String,
    partitions: u32,
    replicas: u32,
    config: BTreeMap<String, Value>,
}

impl TopicBuilder {
    /// A topic with 3 partitions, 3 replicas, `min.insync.replicas` 2.
    pub fn new(cluster: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            cluster: cluster.into(),
            topic: topic.into(),
            partitions: 3,
            replicas: 3,
            config: BTreeMap::from([("min.insync.replicas".to_owned(), Value::from(2))]),
        }
    }

    /// A CDC change-event topic (keyed by primary key).
    pub fn cdc(cluster: &str, topic: &str, policy: CleanupPolicy) -> Self {
        Self::new(cluster, topic).config("cleanup.policy", policy.as_str())
    }

    /// A dead-letter topic: delete policy, 14 days retention.
    pub fn dead_letter(cluster: &str, topic: &str) -> Self {
        Self::new(cluster, topic)
            .partitions(1)
            .config("cleanup.policy", "delete")
            .retention_ms(14 * 24 * 3_600_000)
    }

    /// Debezium's schema-history topic: one partition, infinite retention, never compacted.
    pub fn schema_history(cluster: &str, topic: &str) -> Self {
        Self::new(cluster, topic)
            .partitions(1)
            .config("cleanup.policy", "delete")
            .config("retention.ms", -1)
            .config("retention.bytes", -1)
    }

    /// A Kafka Connect internal storage topic (config, offsets, status): compacted.
    pub fn connect_storage(cluster: &str, topic: &str, partitions: u32) -> Self {
        Self::new(cluster, topic)
            .partitions(partitions)
            .config("cleanup.policy", "compact")
    }

    /// Partition count.
    pub fn partitions(mut self, n: u32) -> Self {
        self.partitions = n;
        self
    }

    /// Replication factor (`min.insync.replicas` becomes `replicas - 1`, at least 1).
    pub fn replicas(mut self, n: u32) -> Self {
        self.replicas = n;
        self.config.insert(
            "min.insync.replicas".to_owned(),
            Value::from(n.saturating_sub(1).max(1)),
        );
        self
    }

    /// `retention.ms`.
    pub fn retention_ms(self, ms: i64) -> Self {
        self.config("retention.ms", ms)
    }

    /// Sets any topic config key.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<KafkaTopic> {
        validate_topic_name(&self.topic)?;
        for (what, value) in [("partitions", self.partitions), ("replicas", self.replicas)] {
            if value == 0 {
                return Err(Error::TooFew {
                    what,
                    name: self.topic.clone(),
                    min: 1,
                    value,
                });
            }
        }
        let name = resource_name(&self.topic)?;
        let topic_name = (name != self.topic).then(|| self.topic.clone());
        Ok(resource(
            STRIMZI_API_VERSION,
            "KafkaTopic",
            &name,
            KafkaTopicSpec {
                topic_name,
                partitions: self.partitions,
                replicas: self.replicas,
                config: self.config,
            },
        )
        .with_label(CLUSTER_LABEL, &self.cluster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_rejects_these_names() {
        for bad in ["", ".", "..", "orders topic", "ördersß", &"x".repeat(250)] {
            let err = TopicBuilder::new("lake", bad).build().unwrap_err();
            assert!(
                matches!(err, Error::InvalidTopicName { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn underscores_get_a_topic_name() {
        let t = TopicBuilder::cdc("lake", "PG.public.order_items", CleanupPolicy::Compact)
            .build()
            .unwrap();
        assert_eq!(t.name(), "pg.public.order-items");
        assert_eq!(t.spec.topic_name.as_deref(), Some("PG.public.order_items"));
        assert_eq!(t.spec.config["cleanup.policy"], "compact");
        assert_eq!(t.metadata.labels.unwrap()[CLUSTER_LABEL], "lake");
    }

    #[test]
    fn zero_partitions_rejected() {
        let err = TopicBuilder::new("lake", "t")
            .partitions(0)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::TooFew {
                what: "partitions",
                ..
            }
        ));
    }

    #[test]
    fn schema_history_keeps_forever() {
        let t = TopicBuilder::schema_history("lake", "schema-history.inventory")
            .build()
            .unwrap();
        assert_eq!(t.spec.partitions, 1);
        assert_eq!(t.spec.config["retention.ms"], -1);
    }
}
