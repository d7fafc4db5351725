//! `KafkaUser`s with least-privilege ACLs.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::kafka::ClientAuth;
use crate::meta::{
    resource, validate_subdomain, CustomResource, CLUSTER_LABEL, STRIMZI_API_VERSION,
};
use crate::topic::validate_topic_name;

/// A `KafkaUser` custom resource.
pub type KafkaUser = CustomResource<KafkaUserSpec>;

/// `KafkaUser.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KafkaUserSpec {
    /// How the user authenticates; the user operator writes credentials into a Secret named
    /// after the user.
    pub authentication: UserAuthentication,
    /// Simple ACL authorization.
    pub authorization: UserAuthorization,
}

/// `spec.authentication`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserAuthentication {
    /// Mechanism.
    #[serde(rename = "type")]
    pub type_: ClientAuth,
}

/// `spec.authorization`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserAuthorization {
    /// `simple`.
    #[serde(rename = "type")]
    pub type_: String,
    /// ACL rules.
    pub acls: Vec<AclRule>,
}

/// Kafka resource kinds an ACL applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AclResourceType {
    /// A topic.
    Topic,
    /// A consumer group.
    Group,
    /// The cluster.
    Cluster,
    /// A transactional id.
    TransactionalId,
}

/// Literal or prefix match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatternType {
    /// Exact name.
    Literal,
    /// Name prefix.
    Prefix,
}

/// ACL operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub enum Operation {
    /// Consume / join group.
    Read,
    /// Produce.
    Write,
    /// Create topics.
    Create,
    /// Metadata.
    Describe,
    /// Read topic configs.
    DescribeConfigs,
}

/// `spec.authorization.acls[].resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AclResource {
    /// Kind.
    #[serde(rename = "type")]
    pub type_: AclResourceType,
    /// Name or prefix.
    pub name: String,
    /// Match.
    pub pattern_type: PatternType,
}

/// One allow rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclRule {
    /// What it applies to.
    pub resource: AclResource,
    /// Allowed operations.
    pub operations: Vec<Operation>,
}

impl AclRule {
    fn new(type_: AclResourceType, name: &str, pattern: PatternType, ops: &[Operation]) -> Self {
        let mut operations = ops.to_vec();
        operations.sort();
        operations.dedup();
        Self {
            resource: AclResource {
                type_,
                name: name.to_owned(),
                pattern_type: pattern,
            },
            operations,
        }
    }
}

/// Builder for a `KafkaUser`; each method grants the smallest set of operations for one role.
///
/// ```no_run
/// use strimzi_templates::kafka::ClientAuth;
/// use strimzi_templates::user::UserBuilder;
///
/// let user = UserBuilder::new("lake", "orders-reader", ClientAuth::ScramSha512)
///     .consumer_group("orders-reader", &["pg.public.orders"])
///     .build()?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug)]
pub struct UserBuilder {
    cluster: String,
    name: String,
    auth: ClientAuth,
    acls: Vec<AclRule>,
    errors: Vec<Error>,
}

impl UserBuilder {
    /// A user of `cluster` with no permissions yet.
    pub fn new(cluster: impl Into<String>, name: impl Into<String>, auth: ClientAuth) -> Self {
        Self {
            cluster: cluster.into(),
            name: name.into(),
            auth,
            acls: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn topic(&mut self, topic: &str, pattern: PatternType, ops: &[Operation]) {
        // A prefix need not be a full topic name, but it must use topic characters.
        if let Err(e) = validate_topic_name(topic) {
            self.errors.push(e);
        }
        self.acls
            .push(AclRule::new(AclResourceType::Topic, topic, pattern, ops));
    }

    fn group(&mut self, group: &str, pattern: PatternType) {
        if group.is_empty() {
            self.errors.push(Error::Empty {
                what: "consumer group",
            });
        }
        self.acls.push(AclRule::new(
            AclResourceType::Group,
            group,
            pattern,
            &[Operation::Read],
        ));
    }

    /// `operations` on each of `topics` (literal names).
    fn topics(
        &mut self,
        topics: impl IntoIterator<Item = impl AsRef<str>>,
        operations: &[Operation],
    ) {
        for t in topics {
            self.topic(t.as_ref(), PatternType::Literal, operations);
        }
    }

    /// Consume `topics` as consumer group `group`: Read+Describe on each topic, Read on the group.
    pub fn consumer_group(
        mut self,
        group: impl AsRef<str>,
        topics: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        self.topics(topics, &[Operation::Read, Operation::Describe]);
        self.group(group.as_ref(), PatternType::Literal);
        self
    }

    /// Consume `topics` with consumer groups named `prefix...`: Read+Describe on each topic, Read on
    /// the groups by prefix. For clients that generate their group ids, such as Spark's Kafka
    /// source (`groupIdPrefix`).
    pub fn consumer_group_prefix(
        mut self,
        prefix: impl AsRef<str>,
        topics: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        self.topics(topics, &[Operation::Read, Operation::Describe]);
        self.group(prefix.as_ref(), PatternType::Prefix);
        self
    }

    /// Produce to `topics`: Write+Describe.
    pub fn producer(mut self, topics: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.topics(topics, &[Operation::Write, Operation::Describe]);
        self
    }

    /// A Kafka Connect worker: its group, and read/write on the three storage topics (which are
    /// declared as `KafkaTopic`s, so no Create is granted).
    pub fn connect_worker(mut self, group_id: impl AsRef<str>, storage_topics: [&str; 3]) -> Self {
        for t in storage_topics {
            self.topic(
                t,
                PatternType::Literal,
                &[
                    Operation::Read,
                    Operation::Write,
                    Operation::Describe,
                    Operation::DescribeConfigs,
                ],
            );
        }
        self.group(group_id.as_ref(), PatternType::Literal);
        self
    }

    /// A source connector writing topics under `prefix` (Create, for Connect's topic creation).
    pub fn source_connector(mut self, topic_prefix: impl AsRef<str>) -> Self {
        self.topic(
            topic_prefix.as_ref(),
            PatternType::Prefix,
            &[Operation::Write, Operation::Describe, Operation::Create],
        );
        self
    }

    /// A sink connector named `connector` reading `topics` (Connect's group is `connect-<name>`).
    pub fn sink_connector(
        mut self,
        connector: impl AsRef<str>,
        topics: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        self.topics(topics, &[Operation::Read, Operation::Describe]);
        self.group(
            &format!("connect-{}", connector.as_ref()),
            PatternType::Literal,
        );
        self
    }

    /// The Iceberg sink's control topic, control consumer groups (by prefix) and
    /// transactional ids (prefixed by the connector name).
    pub fn iceberg_control(
        mut self,
        connector: &str,
        control_topic: &str,
        group_prefix: &str,
    ) -> Self {
        self.topic(
            control_topic,
            PatternType::Literal,
            &[Operation::Read, Operation::Write, Operation::Describe],
        );
        self.group(group_prefix, PatternType::Prefix);
        self.acls.push(AclRule::new(
            AclResourceType::TransactionalId,
            connector,
            PatternType::Prefix,
            &[Operation::Write, Operation::Describe],
        ));
        self
    }

    /// Validates and builds.
    pub fn build(mut self) -> Result<KafkaUser> {
        validate_subdomain("KafkaUser", &self.name)?;
        if !self.errors.is_empty() {
            return Err(self.errors.remove(0));
        }
        if self.acls.is_empty() {
            return Err(Error::Empty {
                what: "KafkaUser ACLs",
            });
        }
        Ok(resource(
            STRIMZI_API_VERSION,
            "KafkaUser",
            &self.name,
            KafkaUserSpec {
                authentication: UserAuthentication { type_: self.auth },
                authorization: UserAuthorization {
                    type_: "simple".to_owned(),
                    acls: self.acls,
                },
            },
        )
        .with_label(CLUSTER_LABEL, &self.cluster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_gets_read_describe_only() {
        let u = UserBuilder::new("lake", "reader", ClientAuth::Tls)
            .consumer_group("g", ["orders"])
            .build()
            .unwrap();
        let acls = &u.spec.authorization.acls;
        assert_eq!(
            acls[0].operations,
            vec![Operation::Read, Operation::Describe]
        );
        assert_eq!(acls[1].resource.type_, AclResourceType::Group);
        assert!(acls
            .iter()
            .all(|a| !a.operations.contains(&Operation::Write)));
    }

    #[test]
    fn bad_topic_in_acl_is_error() {
        let err = UserBuilder::new("lake", "w", ClientAuth::Tls)
            .producer(["no spaces"])
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidTopicName { .. }));
    }

    #[test]
    fn user_without_acls_is_error() {
        assert!(UserBuilder::new("lake", "w", ClientAuth::Tls)
            .build()
            .is_err());
    }
}
