//! Container environment variables, built the same way by every template crate.

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};

/// `name` set to `value`.
///
/// ```
/// let var = manifest_bundle::env::plain("LOG_LEVEL", "info");
/// assert_eq!(var.value.as_deref(), Some("info"));
/// ```
pub fn plain(name: impl Into<String>, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

/// `name` taken from key `key` of Secret `secret` (`valueFrom.secretKeyRef`, `optional` unset).
///
/// ```
/// let var = manifest_bundle::env::from_secret("PASSWORD", "db", "password");
/// assert!(var.value.is_none());
/// ```
pub fn from_secret(
    name: impl Into<String>,
    secret: impl Into<String>,
    key: impl Into<String>,
) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.into(),
                key: key.into(),
                ..SecretKeySelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}
