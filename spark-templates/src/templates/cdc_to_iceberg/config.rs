//! `job.json` of a `cdc-to-iceberg` job, and the Secret volumes and environment its Kafka security needs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::replay::ReplayConfig;
use super::{CdcToIceberg, KafkaSecurity};
use super::{KAFKA_CA_DIR, KAFKA_KEYSTORE_PASSWORD_ENV, KAFKA_SASL_PASSWORD_ENV};
use super::{KAFKA_TRUSTSTORE_PASSWORD_ENV, KAFKA_USER_DIR};
use crate::catalog::SecretKeyRef;
use crate::job::SecretVolume;

#[derive(Serialize)]
pub(super) struct Store {
    pub(super) path: String,
    pub(super) password_env: &'static str,
}

#[derive(Serialize)]
pub(super) struct SecurityConfig {
    pub(super) protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) truststore: Option<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) keystore: Option<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sasl_mechanism: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) password_env: Option<&'static str>,
}

#[derive(Serialize)]
pub(super) struct FormatConfig<'a> {
    #[serde(rename = "type")]
    pub(super) type_: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) registry_url: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Column {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) type_: String,
}

#[derive(Serialize)]
pub(super) struct Config<'a> {
    pub(super) app_name: &'a str,
    pub(super) bootstrap_servers: &'a str,
    pub(super) topic: &'a str,
    pub(super) table: &'a str,
    pub(super) keys: &'a [String],
    pub(super) columns: &'a [Column],
    pub(super) order_field: &'a str,
    pub(super) starting_offsets: &'a str,
    pub(super) trigger_interval: &'a str,
    pub(super) checkpoint_location: String,
    pub(super) max_offsets_per_trigger: Option<u64>,
    pub(super) fail_on_data_loss: bool,
    pub(super) kafka_options: &'a BTreeMap<String, String>,
    pub(super) format: FormatConfig<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kafka_security: Option<SecurityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) group_id_prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) replay: Option<ReplayConfig<'a>>,
}

impl CdcToIceberg {
    /// job.json `kafka_security`, the Secret volumes and the driver's Secret environment.
    pub(super) fn security_parts(
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
}
