//! Schema registry: Apicurio Registry 3 (`ApicurioRegistry3`, default) or Confluent Schema
//! Registry as a plain Deployment + Service.

use manifest_bundle::{Bundle, Objects};
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, ObjectFieldSelector,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, SecretVolumeSource, Service, ServicePort,
    ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::kafka::{ClientAuth, KafkaCluster, Resources};
use crate::meta::{resource, validate_label, CustomResource, PART_OF, PART_OF_LABEL};
use crate::secret::SecretKeyRef;

/// API group/version of `ApicurioRegistry3` (Apicurio Registry operator 3.x).
pub const APICURIO_API_VERSION: &str = "registry.apicur.io/v1";
/// Confluent Schema Registry image.
pub const CONFLUENT_IMAGE: &str = "confluentinc/cp-schema-registry:8.1.0";
/// Apicurio's KafkaSQL journal topic.
pub const KAFKASQL_TOPIC: &str = "kafkasql-journal";
/// Confluent's schema storage topic.
pub const CONFLUENT_TOPIC: &str = "_schemas";

/// An `ApicurioRegistry3` custom resource.
pub type ApicurioRegistry3 = CustomResource<ApicurioRegistry3Spec>;

/// `ApicurioRegistry3.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApicurioRegistry3Spec {
    /// The registry backend.
    pub app: AppSpec,
    /// The web console.
    pub ui: UiSpec,
}

/// `spec.app`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppSpec {
    /// Replicas.
    pub replicas: u32,
    /// Storage.
    pub storage: StorageSpec,
}

/// `spec.ui`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiSpec {
    /// Whether the UI is deployed.
    pub enabled: bool,
}

/// `spec.app.storage` (`type` plus the matching section).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum StorageSpec {
    /// Journal in a Kafka topic.
    #[serde(rename = "kafkasql")]
    KafkaSql {
        /// Connection.
        kafkasql: KafkaSqlSpec,
    },
    /// PostgreSQL.
    #[serde(rename = "postgresql")]
    Postgresql {
        /// Connection.
        sql: SqlSpec,
    },
}

/// `spec.app.storage.kafkasql`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSqlSpec {
    /// Bootstrap address.
    pub bootstrap_servers: String,
    /// mTLS keystore and truststore references.
    pub tls: KafkaSqlTls,
}

/// `spec.app.storage.kafkasql.tls`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSqlTls {
    /// PKCS#12 keystore of the registry's `KafkaUser`.
    pub keystore_secret_ref: NameKey,
    /// Its password.
    pub keystore_password_secret_ref: NameKey,
    /// PKCS#12 truststore of the cluster CA.
    pub truststore_secret_ref: NameKey,
    /// Its password.
    pub truststore_password_secret_ref: NameKey,
}

/// A `{name, key}` Secret reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameKey {
    /// Secret.
    pub name: String,
    /// Key.
    pub key: String,
}

fn nk(name: &str, key: &str) -> NameKey {
    NameKey {
        name: name.to_owned(),
        key: key.to_owned(),
    }
}

/// `spec.app.storage.sql`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqlSpec {
    /// JDBC connection.
    pub data_source: DataSource,
}

/// `spec.app.storage.sql.dataSource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSource {
    /// JDBC URL.
    pub url: String,
    /// User name.
    pub username: String,
    /// Password Secret reference.
    pub password: NameKey,
}

/// Registry storage choice.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryStorage {
    /// KafkaSQL on the given cluster, authenticating with mTLS as `KafkaUser` `user`.
    KafkaSql {
        /// The registry's `KafkaUser` (must use `tls` authentication).
        user: String,
    },
    /// PostgreSQL with the password from a Secret.
    Postgresql {
        /// JDBC URL, e.g. `jdbc:postgresql://pg:5432/registry`.
        jdbc_url: String,
        /// User name.
        username: String,
        /// Password reference.
        password: SecretKeyRef,
    },
}

/// Builds an `ApicurioRegistry3`.
///
/// ```no_run
/// use strimzi_templates::kafka::{ClientAuth, KafkaClusterBuilder};
/// use strimzi_templates::registry::{apicurio_registry, RegistryStorage};
///
/// let cluster = KafkaClusterBuilder::new("lake").client_auth(ClientAuth::Tls).build()?;
/// let registry = apicurio_registry(
///     "schema-registry",
///     &cluster,
///     RegistryStorage::KafkaSql { user: "schema-registry".into() },
///     2,
/// )?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
pub fn apicurio_registry(
    name: &str,
    cluster: &KafkaCluster,
    storage: RegistryStorage,
    replicas: u32,
) -> Result<ApicurioRegistry3> {
    validate_label("ApicurioRegistry3", name, 40)?;
    if replicas == 0 {
        return Err(Error::TooFew {
            what: "registry replicas",
            name: name.to_owned(),
            min: 1,
            value: 0,
        });
    }
    let storage = match storage {
        RegistryStorage::KafkaSql { user } => {
            if cluster.client_auth() != ClientAuth::Tls {
                return Err(Error::InvalidValue {
                    what: "registry storage",
                    value: "kafkasql".to_owned(),
                    reason: "ApicurioRegistry3 KafkaSQL authenticates with mTLS only; use a `tls` listener or PostgreSQL storage",
                });
            }
            let ca = cluster.cluster_ca_secret();
            StorageSpec::KafkaSql {
                kafkasql: KafkaSqlSpec {
                    bootstrap_servers: cluster.bootstrap_servers(),
                    tls: KafkaSqlTls {
                        keystore_secret_ref: nk(&user, "user.p12"),
                        keystore_password_secret_ref: nk(&user, "user.password"),
                        truststore_secret_ref: nk(&ca, "ca.p12"),
                        truststore_password_secret_ref: nk(&ca, "ca.password"),
                    },
                },
            }
        }
        RegistryStorage::Postgresql {
            jdbc_url,
            username,
            password,
        } => {
            if !jdbc_url.starts_with("jdbc:postgresql://") {
                return Err(Error::InvalidValue {
                    what: "JDBC URL",
                    value: jdbc_url,
                    reason: "must start with jdbc:postgresql://",
                });
            }
            if jdbc_url.contains("password=") {
                return Err(Error::InlineCredential {
                    field: "spec.app.storage.sql.dataSource.url".to_owned(),
                });
            }
            StorageSpec::Postgresql {
                sql: SqlSpec {
                    data_source: DataSource {
                        url: jdbc_url,
                        username,
                        password: nk(&password.name, &password.key),
                    },
                },
            }
        }
    };
    Ok(resource(
        APICURIO_API_VERSION,
        "ApicurioRegistry3",
        name,
        ApicurioRegistry3Spec {
            app: AppSpec { replicas, storage },
            ui: UiSpec { enabled: true },
        },
    ))
}

/// The v3 API URL of an `ApicurioRegistry3` named `name` (Service `<name>-app-service`).
pub fn apicurio_api_url(name: &str) -> String {
    format!("http://{name}-app-service:8080/apis/registry/v3")
}

/// The Confluent-compatible API (`/apis/ccompat/v7`) of `ApicurioRegistry3` `name` in namespace
/// `namespace`, for clients outside it (Spark's CDC job fetches writer schemas by id there).
pub fn apicurio_ccompat_url(name: &str, namespace: &str) -> String {
    format!("http://{name}-app-service.{namespace}.svc:8080/apis/ccompat/v7")
}

/// Confluent Schema Registry as a Deployment + Service, storing schemas in `_schemas` over mTLS
/// as `KafkaUser` `user` (keystore and truststore mounted from the user operator's Secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfluentRegistry {
    /// The Deployment.
    pub deployment: Deployment,
    /// The Service (port 8081).
    pub service: Service,
}

impl ConfluentRegistry {
    /// Builds the Deployment and Service.
    pub fn new(name: &str, cluster: &KafkaCluster, user: &str, replicas: u32) -> Result<Self> {
        validate_label("Confluent schema registry", name, 50)?;
        if replicas == 0 {
            return Err(Error::TooFew {
                what: "registry replicas",
                name: name.to_owned(),
                min: 1,
                value: 0,
            });
        }
        if cluster.client_auth() != ClientAuth::Tls {
            return Err(Error::InvalidValue {
                what: "registry authentication",
                value: "scram-sha-512".to_owned(),
                reason: "this Deployment authenticates with mTLS; use a `tls` listener",
            });
        }
        let labels = BTreeMap::from([
            ("app.kubernetes.io/name".to_owned(), name.to_owned()),
            (PART_OF_LABEL.to_owned(), PART_OF.to_owned()),
        ]);
        let ca = cluster.cluster_ca_secret();
        let env = confluent_env(name, cluster, user, &ca);
        let volume = |vname: &str, secret: &str| Volume {
            name: vname.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.to_owned()),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        };
        let mount = |vname: &str, path: &str| VolumeMount {
            name: vname.to_owned(),
            mount_path: path.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        };
        let probe = |initial| Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/subjects".to_owned()),
                port: IntOrString::String("http".to_owned()),
                ..HTTPGetAction::default()
            }),
            initial_delay_seconds: Some(initial),
            period_seconds: Some(10),
            ..Probe::default()
        };
        let deployment = Deployment {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some(labels.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
                selector: LabelSelector {
                    match_labels: Some(labels.clone()),
                    ..LabelSelector::default()
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels.clone()),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(PodSpec {
                        security_context: Some(PodSecurityContext {
                            run_as_non_root: Some(true),
                            ..PodSecurityContext::default()
                        }),
                        containers: vec![Container {
                            name: "schema-registry".to_owned(),
                            image: Some(CONFLUENT_IMAGE.to_owned()),
                            ports: Some(vec![ContainerPort {
                                name: Some("http".to_owned()),
                                container_port: 8081,
                                ..ContainerPort::default()
                            }]),
                            env: Some(env),
                            volume_mounts: Some(vec![
                                mount("kafka-ca", "/etc/kafka-ca"),
                                mount("kafka-user", "/etc/kafka-user"),
                            ]),
                            readiness_probe: Some(probe(10)),
                            liveness_probe: Some(probe(60)),
                            resources: Some(Resources::new("250m", "1Gi", None).to_requirements()),
                            ..Container::default()
                        }],
                        volumes: Some(vec![volume("kafka-ca", &ca), volume("kafka-user", user)]),
                        ..PodSpec::default()
                    }),
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        };
        let service = confluent_service(name, labels);
        Ok(Self {
            deployment,
            service,
        })
    }
}

impl Objects for ConfluentRegistry {
    type Error = Error;

    /// The Deployment, then the Service.
    fn push_into(&self, bundle: &mut Bundle) -> Result<()> {
        bundle.push(&self.deployment)?;
        bundle.push(&self.service)?;
        Ok(())
    }
}

/// The Confluent Schema Registry container's environment: Kafka store over mTLS as `user`.
fn confluent_env(name: &str, cluster: &KafkaCluster, user: &str, ca: &str) -> Vec<EnvVar> {
    use manifest_bundle::env::{from_secret as secret, plain};
    vec![
        EnvVar {
            name: "SCHEMA_REGISTRY_HOST_NAME".to_owned(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "status.podIP".to_owned(),
                    ..ObjectFieldSelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
        plain("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081"),
        plain(
            "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS",
            format!("SSL://{}", cluster.bootstrap_servers()),
        ),
        plain("SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL", "SSL"),
        plain("SCHEMA_REGISTRY_KAFKASTORE_TOPIC", CONFLUENT_TOPIC),
        plain("SCHEMA_REGISTRY_KAFKASTORE_GROUP_ID", name),
        plain(
            "SCHEMA_REGISTRY_KAFKASTORE_SSL_TRUSTSTORE_LOCATION",
            "/etc/kafka-ca/ca.p12",
        ),
        plain("SCHEMA_REGISTRY_KAFKASTORE_SSL_TRUSTSTORE_TYPE", "PKCS12"),
        secret(
            "SCHEMA_REGISTRY_KAFKASTORE_SSL_TRUSTSTORE_PASSWORD",
            ca,
            "ca.password",
        ),
        plain(
            "SCHEMA_REGISTRY_KAFKASTORE_SSL_KEYSTORE_LOCATION",
            "/etc/kafka-user/user.p12",
        ),
        plain("SCHEMA_REGISTRY_KAFKASTORE_SSL_KEYSTORE_TYPE", "PKCS12"),
        secret(
            "SCHEMA_REGISTRY_KAFKASTORE_SSL_KEYSTORE_PASSWORD",
            user,
            "user.password",
        ),
        secret(
            "SCHEMA_REGISTRY_KAFKASTORE_SSL_KEY_PASSWORD",
            user,
            "user.password",
        ),
    ]
}

/// The Confluent Schema Registry's Service (port 8081, named `http`).
fn confluent_service(name: &str, labels: BTreeMap<String, String>) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(labels),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: 8081,
                target_port: Some(IntOrString::String("http".to_owned())),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::KafkaClusterBuilder;

    #[test]
    fn kafkasql_needs_mtls() {
        let scram = KafkaClusterBuilder::new("lake")
            .client_auth(ClientAuth::ScramSha512)
            .build()
            .unwrap();
        let err = apicurio_registry(
            "r",
            &scram,
            RegistryStorage::KafkaSql { user: "r".into() },
            1,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidValue {
                what: "registry storage",
                ..
            }
        ));
    }

    #[test]
    fn sql_password_is_reference() {
        let c = KafkaClusterBuilder::new("lake").build().unwrap();
        let r = apicurio_registry(
            "r",
            &c,
            RegistryStorage::Postgresql {
                jdbc_url: "jdbc:postgresql://pg:5432/registry".into(),
                username: "registry".into(),
                password: SecretKeyRef::new("kafka", "registry-db", "password").unwrap(),
            },
            1,
        )
        .unwrap();
        let v = r.to_value().unwrap();
        assert_eq!(v["spec"]["app"]["storage"]["type"], "postgresql");
        assert_eq!(
            v["spec"]["app"]["storage"]["sql"]["dataSource"]["password"]["name"],
            "registry-db"
        );
    }
}
