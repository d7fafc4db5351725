//! Object metadata, name validation and the custom-resource envelope ([`manifest_bundle::CustomResource`]).

use manifest_bundle::names;

use crate::error::{Error, Result};

/// The Strimzi API group/version served by Strimzi 1.x (`v1beta2` is gone).
pub const STRIMZI_API_VERSION: &str = "kafka.strimzi.io/v1";
/// The label that ties a Strimzi resource to its `Kafka` cluster.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";
/// Labels every rendered object carries.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// Value of [`PART_OF_LABEL`].
pub const PART_OF: &str = "data-tier";

pub use manifest_bundle::CustomResource;

/// A custom resource named `name` with the [`PART_OF_LABEL`] every rendered object carries.
pub fn resource<S>(api_version: &str, kind: &str, name: &str, spec: S) -> CustomResource<S> {
    CustomResource::new(api_version, kind, name, spec).with_label(PART_OF_LABEL, PART_OF)
}

/// Checks a DNS-1123 subdomain name (most object names): [`manifest_bundle::names::dns1123_subdomain`].
pub fn validate_subdomain(what: &'static str, name: &str) -> Result<()> {
    names::dns1123_subdomain(name).map_err(|reason| invalid_name(what, name, reason))
}

/// Checks a DNS-1123 label (names that become Service or Pod name parts), at most `max` characters:
/// [`manifest_bundle::names::dns1123_label`].
pub fn validate_label(what: &'static str, name: &str, max: usize) -> Result<()> {
    names::dns1123_label(name, max).map_err(|reason| invalid_name(what, name, reason))
}

fn invalid_name(what: &'static str, name: &str, reason: &'static str) -> Error {
    Error::InvalidName {
        what,
        name: name.to_owned(),
        reason,
    }
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
