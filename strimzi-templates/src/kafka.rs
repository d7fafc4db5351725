//! `Kafka` and `KafkaNodePool` for a small KRaft cluster.

use manifest_bundle::{Bundle, Objects};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use k8s_openapi::api::core::v1::{ConfigMap, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta::{
    resource, validate_label, CustomResource, CLUSTER_LABEL, PART_OF, PART_OF_LABEL,
    STRIMZI_API_VERSION,
};

/// The key of the JMX Prometheus exporter rules in the metrics ConfigMap.
pub const METRICS_CONFIG_KEY: &str = "kafka-metrics-config.yml";

/// JMX Prometheus exporter rules for brokers and controllers.
const KAFKA_METRICS_RULES: &str = include_str!("../templates/kafka-metrics-config.yml");

/// A `Kafka` custom resource.
pub type Kafka = CustomResource<KafkaSpec>;
/// A `KafkaNodePool` custom resource.
pub type KafkaNodePool = CustomResource<KafkaNodePoolSpec>;

/// `Kafka.spec` (v1: no replicas or storage; those live on node pools).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSpec {
    /// Broker configuration.
    pub kafka: KafkaClusterSpec,
    /// Topic and user operators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_operator: Option<EntityOperatorSpec>,
    /// Kafka Exporter (consumer lag and topic metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka_exporter: Option<KafkaExporterSpec>,
}

/// `Kafka.spec.kafka`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaClusterSpec {
    /// Kafka version; omitted means the operator's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// Authorization; `simple` so that `KafkaUser` ACLs are enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Broker configuration.
    pub config: BTreeMap<String, Value>,
    /// JMX Prometheus exporter metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_config: Option<MetricsConfig>,
}

/// The listener types Strimzi supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ListenerType {
    /// In-cluster only (headless + bootstrap Service).
    Internal,
    /// In-cluster, one ClusterIP Service per broker.
    #[serde(rename = "cluster-ip")]
    ClusterIp,
    /// `NodePort` Services.
    Nodeport,
    /// `LoadBalancer` Services.
    Loadbalancer,
    /// Ingress with TLS passthrough.
    Ingress,
    /// OpenShift Routes.
    Route,
    /// Gateway API `TLSRoute`s.
    Tlsroute,
}

impl ListenerType {
    const ALL: &'static str =
        "internal, cluster-ip, nodeport, loadbalancer, ingress, route, tlsroute";

    /// The spelling Strimzi uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::ClusterIp => "cluster-ip",
            Self::Nodeport => "nodeport",
            Self::Loadbalancer => "loadbalancer",
            Self::Ingress => "ingress",
            Self::Route => "route",
            Self::Tlsroute => "tlsroute",
        }
    }
}

impl fmt::Display for ListenerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ListenerType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "internal" => Self::Internal,
            "cluster-ip" => Self::ClusterIp,
            "nodeport" => Self::Nodeport,
            "loadbalancer" => Self::Loadbalancer,
            "ingress" => Self::Ingress,
            "route" => Self::Route,
            "tlsroute" => Self::Tlsroute,
            _ => {
                return Err(Error::UnknownListenerType {
                    value: s.to_owned(),
                    expected: Self::ALL,
                })
            }
        })
    }
}

/// How clients authenticate on a listener (and, mirrored, how a `KafkaUser` authenticates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ClientAuth {
    /// SCRAM-SHA-512 over TLS; the user operator writes the password into a Secret.
    #[serde(rename = "scram-sha-512")]
    ScramSha512,
    /// Mutual TLS; the user operator issues a client certificate into a Secret.
    #[serde(rename = "tls")]
    Tls,
}

/// One entry of `Kafka.spec.kafka.listeners` (v1: `name`, `port`, `type`, `tls` required).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listener {
    /// Name, `^[a-z0-9]{1,11}$`.
    pub name: String,
    /// Port.
    pub port: u16,
    /// Type.
    #[serde(rename = "type")]
    pub type_: ListenerType,
    /// Whether the listener uses TLS.
    pub tls: bool,
    /// Client authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<ListenerAuthentication>,
}

/// `listeners[].authentication`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListenerAuthentication {
    /// Mechanism.
    #[serde(rename = "type")]
    pub type_: ClientAuth,
}

impl Listener {
    /// A validated listener with TLS on; `authentication` is required (no anonymous clients).
    pub fn new(name: &str, port: u16, type_: ListenerType, auth: ClientAuth) -> Result<Self> {
        let name_ok = !name.is_empty()
            && name.len() <= 11
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !name_ok {
            return Err(Error::InvalidListenerName {
                name: name.to_owned(),
            });
        }
        if port < 9092 || port == 9404 || port == 9999 {
            return Err(Error::InvalidListenerPort { port });
        }
        Ok(Self {
            name: name.to_owned(),
            port,
            type_,
            tls: true,
            authentication: Some(ListenerAuthentication { type_: auth }),
        })
    }
}

/// `Kafka.spec.kafka.authorization`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Authorization {
    /// Always `simple` (Kafka's `StandardAuthorizer` with `KafkaUser` ACLs).
    #[serde(rename = "type")]
    pub type_: String,
}

/// `metricsConfig` pointing at a ConfigMap key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsConfig {
    /// `jmxPrometheusExporter`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Where the rules come from.
    pub value_from: MetricsValueFrom,
}

/// `metricsConfig.valueFrom`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsValueFrom {
    /// ConfigMap key reference.
    pub config_map_key_ref: KeyRef,
}

/// A `{name, key}` reference to a ConfigMap or Secret key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRef {
    /// Object name.
    pub name: String,
    /// Key inside it.
    pub key: String,
}

impl MetricsConfig {
    /// JMX Prometheus exporter rules from `configmap`'s [`METRICS_CONFIG_KEY`].
    pub fn jmx_prometheus(configmap: &str) -> Self {
        Self {
            type_: "jmxPrometheusExporter".to_owned(),
            value_from: MetricsValueFrom {
                config_map_key_ref: KeyRef {
                    name: configmap.to_owned(),
                    key: METRICS_CONFIG_KEY.to_owned(),
                },
            },
        }
    }
}

/// `Kafka.spec.entityOperator`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityOperatorSpec {
    /// Topic operator (reconciles `KafkaTopic`s).
    pub topic_operator: OperatorSpec,
    /// User operator (reconciles `KafkaUser`s).
    pub user_operator: OperatorSpec,
}

/// Topic or user operator settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorSpec {
    /// Container resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// `Kafka.spec.kafkaExporter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaExporterSpec {
    /// Topics to export metrics for.
    pub topic_regex: String,
    /// Consumer groups to export lag for.
    pub group_regex: String,
    /// Container resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// Node roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// KRaft controller (metadata quorum).
    Controller,
    /// Broker.
    Broker,
}

/// `KafkaNodePool.spec` (`replicas`, `roles`, `storage` required).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaNodePoolSpec {
    /// Number of nodes.
    pub replicas: u32,
    /// Roles of every node in the pool.
    pub roles: Vec<NodeRole>,
    /// Storage.
    pub storage: Storage,
    /// Container resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// Persistent-claim storage (JBOD with one volume that also holds the KRaft metadata log).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Storage {
    /// `jbod`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The volumes.
    pub volumes: Vec<Volume>,
}

/// One JBOD volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume id.
    pub id: u32,
    /// `persistent-claim`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Size, e.g. `100Gi`.
    pub size: String,
    /// Storage class; omitted means the cluster default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Whether to delete the PVC when the cluster is deleted.
    pub delete_claim: bool,
    /// `shared`: the KRaft metadata log lives on this volume.
    pub kraft_metadata: String,
}

/// Node layout of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topology {
    /// Separate controller and broker pools.
    Dedicated {
        /// Controller count (an odd number: 3 tolerates one failure).
        controllers: u32,
        /// Broker count.
        brokers: u32,
    },
    /// One pool whose nodes are both controllers and brokers.
    DualRole {
        /// Node count.
        nodes: u32,
    },
}

impl Topology {
    fn brokers(self) -> u32 {
        match self {
            Self::Dedicated { brokers, .. } => brokers,
            Self::DualRole { nodes } => nodes,
        }
    }
}

/// CPU and memory requests and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// CPU request, e.g. `500m`.
    pub cpu_request: String,
    /// Memory request and limit, e.g. `4Gi`.
    pub memory: String,
    /// CPU limit; `None` leaves CPU unlimited (avoids throttling).
    pub cpu_limit: Option<String>,
}

impl Resources {
    /// Builds requests/limits.
    pub fn new(cpu_request: &str, memory: &str, cpu_limit: Option<&str>) -> Self {
        Self {
            cpu_request: cpu_request.to_owned(),
            memory: memory.to_owned(),
            cpu_limit: cpu_limit.map(str::to_owned),
        }
    }

    /// As Kubernetes resource requirements (memory request = limit).
    pub fn to_requirements(&self) -> ResourceRequirements {
        let mut limits = BTreeMap::from([("memory".to_owned(), Quantity(self.memory.clone()))]);
        if let Some(cpu) = &self.cpu_limit {
            limits.insert("cpu".to_owned(), Quantity(cpu.clone()));
        }
        ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), Quantity(self.cpu_request.clone())),
                ("memory".to_owned(), Quantity(self.memory.clone())),
            ])),
            limits: Some(limits),
            ..ResourceRequirements::default()
        }
    }
}

/// Builder for a small KRaft cluster: `Kafka`, its `KafkaNodePool`s and the metrics ConfigMap.
///
/// ```no_run
/// use strimzi_templates::kafka::{ClientAuth, KafkaClusterBuilder, Topology};
///
/// let cluster = KafkaClusterBuilder::new("lake")
///     .topology(Topology::DualRole { nodes: 3 })
///     .client_auth(ClientAuth::Tls)
///     .storage("200Gi", Some("fast-ssd"))
///     .build()?;
/// assert_eq!(cluster.bootstrap_servers(), "lake-kafka-bootstrap:9093");
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KafkaClusterBuilder {
    name: String,
    version: Option<String>,
    topology: Topology,
    listener_name: String,
    listener_port: u16,
    listener_type: ListenerType,
    client_auth: ClientAuth,
    replication_factor: u32,
    min_insync_replicas: u32,
    storage_size: String,
    storage_class: Option<String>,
    delete_claim: bool,
    broker_resources: Resources,
    controller_resources: Resources,
    operator_resources: Resources,
    exporter_resources: Resources,
    metrics: bool,
}

impl KafkaClusterBuilder {
    /// Defaults: 3 controllers + 3 brokers, internal TLS listener `tls` on 9093 with
    /// mutual TLS client authentication, replication factor 3, `min.insync.replicas` 2, 100Gi volumes, metrics on.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: None,
            topology: Topology::Dedicated {
                controllers: 3,
                brokers: 3,
            },
            listener_name: "tls".to_owned(),
            listener_port: 9093,
            listener_type: ListenerType::Internal,
            client_auth: ClientAuth::Tls,
            replication_factor: 3,
            min_insync_replicas: 2,
            storage_size: "100Gi".to_owned(),
            storage_class: None,
            delete_claim: false,
            broker_resources: Resources::new("1", "4Gi", None),
            controller_resources: Resources::new("250m", "1Gi", None),
            operator_resources: Resources::new("100m", "512Mi", None),
            exporter_resources: Resources::new("50m", "128Mi", None),
            metrics: true,
        }
    }

    /// Pins the Kafka version (default: the operator's default).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Node layout.
    pub fn topology(mut self, topology: Topology) -> Self {
        self.topology = topology;
        self
    }

    /// The client listener: name, port and type (`internal` by default).
    pub fn listener(mut self, name: impl Into<String>, port: u16, type_: ListenerType) -> Self {
        self.listener_name = name.into();
        self.listener_port = port;
        self.listener_type = type_;
        self
    }

    /// Client authentication on the listener.
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// Default replication factor and `min.insync.replicas` (also for internal topics).
    pub fn replication(mut self, factor: u32, min_insync: u32) -> Self {
        self.replication_factor = factor;
        self.min_insync_replicas = min_insync;
        self
    }

    /// Volume size and storage class of every node.
    pub fn storage(mut self, size: impl Into<String>, class: Option<&str>) -> Self {
        self.storage_size = size.into();
        self.storage_class = class.map(str::to_owned);
        self
    }

    /// Delete PVCs with the cluster (default `false`).
    pub fn delete_claim(mut self, delete: bool) -> Self {
        self.delete_claim = delete;
        self
    }

    /// Broker (or dual-role node) resources.
    pub fn broker_resources(mut self, resources: Resources) -> Self {
        self.broker_resources = resources;
        self
    }

    /// Dedicated controller resources.
    pub fn controller_resources(mut self, resources: Resources) -> Self {
        self.controller_resources = resources;
        self
    }

    /// Toggles JMX Prometheus metrics and Kafka Exporter (default on).
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    fn pool(
        &self,
        name: &str,
        replicas: u32,
        roles: Vec<NodeRole>,
        res: &Resources,
    ) -> KafkaNodePool {
        resource(
            STRIMZI_API_VERSION,
            "KafkaNodePool",
            name,
            KafkaNodePoolSpec {
                replicas,
                roles,
                storage: Storage {
                    type_: "jbod".to_owned(),
                    volumes: vec![Volume {
                        id: 0,
                        type_: "persistent-claim".to_owned(),
                        size: self.storage_size.clone(),
                        class: self.storage_class.clone(),
                        delete_claim: self.delete_claim,
                        kraft_metadata: "shared".to_owned(),
                    }],
                },
                resources: Some(res.to_requirements()),
            },
        )
        .with_label(CLUSTER_LABEL, &self.name)
    }

    /// Validates and builds.
    pub fn build(self) -> Result<KafkaCluster> {
        // Strimzi derives names like `<name>-kafka-bootstrap` and `<name>-<pool>-<n>`.
        validate_label("Kafka cluster", &self.name, 40)?;
        let check = |what, value, min| {
            if value < min {
                Err(Error::TooFew {
                    what,
                    name: self.name.clone(),
                    min,
                    value,
                })
            } else {
                Ok(())
            }
        };
        match self.topology {
            Topology::Dedicated {
                controllers,
                brokers,
            } => {
                check("controller replicas", controllers, 1)?;
                check("broker replicas", brokers, 1)?;
            }
            Topology::DualRole { nodes } => check("dual-role node replicas", nodes, 1)?,
        }
        let brokers = self.topology.brokers();
        let replication = |reason| Error::Replication {
            replication_factor: self.replication_factor,
            min_insync_replicas: self.min_insync_replicas,
            brokers,
            reason,
        };
        if self.replication_factor == 0 || self.min_insync_replicas == 0 {
            return Err(replication("both must be at least 1"));
        }
        if self.replication_factor > brokers {
            return Err(replication(
                "the replication factor exceeds the broker count",
            ));
        }
        if self.min_insync_replicas > self.replication_factor {
            return Err(replication(
                "min.insync.replicas exceeds the replication factor, so no write could succeed",
            ));
        }
        if self.storage_size.is_empty() {
            return Err(Error::Empty {
                what: "storage size",
            });
        }
        let listener = Listener::new(
            &self.listener_name,
            self.listener_port,
            self.listener_type,
            self.client_auth,
        )?;

        let pools = match self.topology {
            Topology::Dedicated {
                controllers,
                brokers,
            } => vec![
                self.pool(
                    "controller",
                    controllers,
                    vec![NodeRole::Controller],
                    &self.controller_resources,
                ),
                self.pool(
                    "broker",
                    brokers,
                    vec![NodeRole::Broker],
                    &self.broker_resources,
                ),
            ],
            Topology::DualRole { nodes } => vec![self.pool(
                "dual-role",
                nodes,
                vec![NodeRole::Controller, NodeRole::Broker],
                &self.broker_resources,
            )],
        };

        let rf = Value::from(self.replication_factor);
        let isr = Value::from(self.min_insync_replicas);
        let config = BTreeMap::from([
            ("default.replication.factor".to_owned(), rf.clone()),
            ("min.insync.replicas".to_owned(), isr.clone()),
            ("offsets.topic.replication.factor".to_owned(), rf.clone()),
            ("transaction.state.log.replication.factor".to_owned(), rf),
            ("transaction.state.log.min.isr".to_owned(), isr),
            ("auto.create.topics.enable".to_owned(), Value::from(false)),
        ]);
        let metrics_configmap = format!("{}-kafka-metrics", self.name);
        let operator = || OperatorSpec {
            resources: Some(self.operator_resources.to_requirements()),
        };
        let kafka = resource(
            STRIMZI_API_VERSION,
            "Kafka",
            &self.name,
            KafkaSpec {
                kafka: KafkaClusterSpec {
                    version: self.version.clone(),
                    listeners: vec![listener.clone()],
                    authorization: Some(Authorization {
                        type_: "simple".to_owned(),
                    }),
                    config,
                    metrics_config: self
                        .metrics
                        .then(|| MetricsConfig::jmx_prometheus(&metrics_configmap)),
                },
                entity_operator: Some(EntityOperatorSpec {
                    topic_operator: operator(),
                    user_operator: operator(),
                }),
                kafka_exporter: self.metrics.then(|| KafkaExporterSpec {
                    topic_regex: ".*".to_owned(),
                    group_regex: ".*".to_owned(),
                    resources: Some(self.exporter_resources.to_requirements()),
                }),
            },
        );
        let metrics_config = self.metrics.then(|| ConfigMap {
            metadata: ObjectMeta {
                name: Some(metrics_configmap.clone()),
                labels: Some(BTreeMap::from([
                    (PART_OF_LABEL.to_owned(), PART_OF.to_owned()),
                    (CLUSTER_LABEL.to_owned(), self.name.clone()),
                ])),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([(
                METRICS_CONFIG_KEY.to_owned(),
                KAFKA_METRICS_RULES.to_owned(),
            )])),
            ..ConfigMap::default()
        });
        Ok(KafkaCluster {
            kafka,
            node_pools: pools,
            metrics_config,
            listener,
        })
    }
}

/// A built cluster: everything the `small-cluster` base contains.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaCluster {
    /// The `Kafka` resource.
    pub kafka: Kafka,
    /// Its node pools.
    pub node_pools: Vec<KafkaNodePool>,
    /// The JMX exporter rules, when metrics are on.
    pub metrics_config: Option<ConfigMap>,
    /// The client listener.
    pub listener: Listener,
}

impl KafkaCluster {
    /// Cluster name.
    pub fn name(&self) -> &str {
        self.kafka.name()
    }

    /// `host:port` of the bootstrap Service for the client listener.
    pub fn bootstrap_servers(&self) -> String {
        format!("{}-kafka-bootstrap:{}", self.name(), self.listener.port)
    }

    /// The Secret holding the cluster CA certificate (`ca.crt`, `ca.p12`, `ca.password`).
    pub fn cluster_ca_secret(&self) -> String {
        format!("{}-cluster-ca-cert", self.name())
    }

    /// Client authentication on the listener.
    pub fn client_auth(&self) -> ClientAuth {
        self.listener
            .authentication
            .as_ref()
            .map_or(ClientAuth::Tls, |a| a.type_)
    }
}

impl Objects for KafkaCluster {
    type Error = Error;

    /// The metrics ConfigMap (if any), the node pools, then the `Kafka`.
    fn push_into(&self, bundle: &mut Bundle) -> Result<()> {
        if let Some(cm) = &self.metrics_config {
            bundle.push(cm)?;
        }
        for pool in &self.node_pools {
            bundle.push(pool)?;
        }
        bundle.push(&self.kafka)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_replicas_is_typed_error() {
        let err = KafkaClusterBuilder::new("lake")
            .topology(Topology::Dedicated {
                controllers: 3,
                brokers: 0,
            })
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooFew {
                    what: "broker replicas",
                    value: 0,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_listener_type_is_typed_error() {
        let err = "external".parse::<ListenerType>().unwrap_err();
        assert!(matches!(err, Error::UnknownListenerType { ref value, .. } if value == "external"));
        assert_eq!(
            "cluster-ip".parse::<ListenerType>().unwrap(),
            ListenerType::ClusterIp
        );
    }

    #[test]
    fn listener_rules() {
        assert!(matches!(
            Listener::new("Bad-Name", 9093, ListenerType::Internal, ClientAuth::Tls),
            Err(Error::InvalidListenerName { .. })
        ));
        assert!(matches!(
            Listener::new("tls", 9404, ListenerType::Internal, ClientAuth::Tls),
            Err(Error::InvalidListenerPort { port: 9404 })
        ));
    }

    #[test]
    fn replication_must_fit() {
        let err = KafkaClusterBuilder::new("lake")
            .topology(Topology::DualRole { nodes: 1 })
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Replication { brokers: 1, .. }),
            "{err}"
        );
        let err = KafkaClusterBuilder::new("lake")
            .replication(3, 4)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Replication { .. }));
    }

    #[test]
    fn dual_role_has_one_pool_with_both_roles() {
        let c = KafkaClusterBuilder::new("lake")
            .topology(Topology::DualRole { nodes: 3 })
            .build()
            .unwrap();
        assert_eq!(c.node_pools.len(), 1);
        assert_eq!(
            c.node_pools[0].spec.roles,
            vec![NodeRole::Controller, NodeRole::Broker]
        );
        assert_eq!(
            c.node_pools[0].metadata.labels.as_ref().unwrap()[CLUSTER_LABEL],
            "lake"
        );
    }
}
