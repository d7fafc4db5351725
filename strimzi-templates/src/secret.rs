//! Secret references. Credentials never appear in rendered manifests, only references.

use std::fmt;

use crate::error::{Error, Result};
use crate::meta::validate_subdomain;

/// A key of a Kubernetes Secret in a given namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretKeyRef {
    /// Namespace of the Secret.
    pub namespace: String,
    /// Secret name.
    pub name: String,
    /// Key inside the Secret.
    pub key: String,
}

impl SecretKeyRef {
    /// A validated reference.
    pub fn new(namespace: &str, name: &str, key: &str) -> Result<Self> {
        validate_subdomain("Secret namespace", namespace)?;
        validate_subdomain("Secret", name)?;
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(Error::InvalidValue {
                what: "Secret key",
                value: key.to_owned(),
                reason: "must be non-empty and consist of letters, digits, '-', '_' or '.'",
            });
        }
        Ok(Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The `KubernetesSecretConfigProvider` placeholder, `${secrets:ns/name:key}`; the Connect
    /// worker resolves it at runtime, so only the reference is stored in the connector config.
    pub fn placeholder(&self) -> String {
        format!("${{secrets:{}/{}:{}}}", self.namespace, self.name, self.key)
    }
}

impl fmt::Display for SecretKeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.placeholder())
    }
}

/// Config keys that hold credentials: their values must be `${secrets:...}` placeholders.
pub fn is_credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if k.starts_with("config.providers") {
        return false;
    }
    [
        "password",
        "secret",
        "access-key",
        "access_key",
        "token",
        "credential",
        "sasl.jaas.config",
    ]
    .iter()
    .any(|needle| k.contains(needle))
}

/// Fails when a credential-looking key has a value that is not a config-provider placeholder.
pub fn ensure_reference(key: &str, value: &str) -> Result<()> {
    if is_credential_key(key) && !(value.starts_with("${secrets:") && value.ends_with('}')) {
        return Err(Error::InlineCredential {
            field: key.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_format() {
        let r = SecretKeyRef::new("kafka", "pg-cdc", "password").unwrap();
        assert_eq!(r.placeholder(), "${secrets:kafka/pg-cdc:password}");
    }

    #[test]
    fn inline_password_rejected() {
        assert!(ensure_reference("database.password", "hunter2").is_err());
        assert!(ensure_reference("database.password", "${secrets:kafka/pg:password}").is_ok());
        assert!(ensure_reference("database.hostname", "pg").is_ok());
    }
}
