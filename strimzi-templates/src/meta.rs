//! Object metadata, name validation and the generic custom-resource envelope.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::error::{Error, Result};

/// The Strimzi API group/version served by Strimzi 1.x (`v1beta2` is gone).
pub const STRIMZI_API_VERSION: &str = "kafka.strimzi.io/v1";
/// The label that ties a Strimzi resource to its `Kafka` cluster.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";
/// Labels every rendered object carries.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// Value of [`PART_OF_LABEL`].
pub const PART_OF: &str = "data-tier";

/// A namespaced custom resource: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResource<S> {
    /// API group and version, e.g. `kafka.strimzi.io/v1`.
    pub api_version: String,
    /// Kind, e.g. `Kafka`.
    pub kind: String,
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The resource's spec.
    pub spec: S,
}

impl<S: Serialize> CustomResource<S> {
    /// Creates a resource with the given name and `app.kubernetes.io/part-of` label.
    pub fn new(api_version: &str, kind: &str, name: &str, spec: S) -> Self {
        Self {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some(BTreeMap::from([(
                    PART_OF_LABEL.to_owned(),
                    PART_OF.to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            spec,
        }
    }

    /// Adds a label.
    pub fn with_label(mut self, key: &str, value: &str) -> Self {
        self.metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// Adds an annotation.
    pub fn with_annotation(mut self, key: &str, value: &str) -> Self {
        self.metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// Serialises to a JSON value.
    pub fn to_value(&self) -> Result<serde_json::Value> {
        to_value(&self.kind, self)
    }
}

/// Serialises any object into a JSON value, naming it in the error.
pub fn to_value<T: Serialize>(what: &str, object: &T) -> Result<serde_json::Value> {
    serde_json::to_value(object).map_err(|source| Error::Serialize {
        what: what.to_owned(),
        source,
    })
}

/// Checks a DNS-1123 subdomain name (most object names).
pub fn validate_subdomain(what: &'static str, name: &str) -> Result<()> {
    let err = |reason| {
        Err(Error::InvalidName {
            what,
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return err("must not be empty");
    }
    if name.len() > 253 {
        return err("must be at most 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return err("must not contain empty dot-separated parts");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return err("must consist of lowercase letters, digits, '-' and '.'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return err("must start and end with a letter or digit");
        }
    }
    Ok(())
}

/// Checks a DNS-1123 label (names that become Service or Pod name parts), at most `max` characters.
pub fn validate_label(what: &'static str, name: &str, max: usize) -> Result<()> {
    validate_subdomain(what, name)?;
    if name.contains('.') {
        return Err(Error::InvalidName {
            what,
            name: name.to_owned(),
            reason: "must not contain '.'",
        });
    }
    if name.len() > max {
        return Err(Error::InvalidName {
            what,
            name: name.to_owned(),
            reason: "is too long for the names derived from it",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_rules() {
        assert!(validate_subdomain("x", "lake-kafka.cdc").is_ok());
        assert!(validate_subdomain("x", "").is_err());
        assert!(validate_subdomain("x", "Upper").is_err());
        assert!(validate_subdomain("x", "-lead").is_err());
        assert!(validate_subdomain("x", "a..b").is_err());
        assert!(validate_label("x", "a.b", 63).is_err());
        assert!(validate_label("x", &"a".repeat(40), 30).is_err());
    }
}
