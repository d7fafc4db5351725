//! The Kafka Connect workers: `KafkaConnect.spec`, its plugin build and [`KafkaConnectBuilder`].

use manifest_bundle::{Bundle, Objects};
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::kafka::{ClientAuth, KafkaCluster, Resources};
use crate::meta::{
    resource, validate_label, validate_subdomain, CustomResource, CLUSTER_LABEL, PART_OF,
    PART_OF_LABEL, STRIMZI_API_VERSION,
};

use super::*;

/// A `KafkaConnect` custom resource.
pub type KafkaConnect = CustomResource<KafkaConnectSpec>;

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
    pub fn new(
        name: impl Into<String>,
        cluster: &KafkaCluster,
        namespace: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
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
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = image.into();
        self
    }

    /// Secret (name) with registry push credentials.
    pub fn push_secret(mut self, secret: impl Into<String>) -> Self {
        self.push_secret = Some(secret.into());
        self
    }

    /// Replaces the plugin list.
    pub fn plugins(mut self, plugins: Vec<Plugin>) -> Self {
        self.plugins = plugins;
        self
    }

    /// Secrets the config provider may read (a Role with `get` on exactly these names).
    pub fn readable_secrets(mut self, names: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.secrets
            .extend(names.into_iter().map(|s| s.as_ref().to_owned()));
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
    pub fn build(self) -> Result<ConnectCluster> {
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

impl Objects for ConnectCluster {
    type Error = Error;

    /// The Secrets Role and RoleBinding (if any), then the `KafkaConnect`.
    fn push_into(&self, bundle: &mut Bundle) -> Result<()> {
        if let Some(r) = &self.secrets_role {
            bundle.push(r)?;
        }
        if let Some(b) = &self.secrets_role_binding {
            bundle.push(b)?;
        }
        bundle.push(&self.connect)?;
        Ok(())
    }
}
