//! The error type of this crate.

/// Everything that can go wrong while building or rendering Strimzi resources.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A count (replicas, partitions, tasks) was below its minimum.
    #[error("{what} of `{name}` must be at least {min}, got {value}")]
    TooFew {
        /// What was counted, e.g. `broker replicas`.
        what: &'static str,
        /// The resource the count belongs to.
        name: String,
        /// The smallest accepted value.
        min: u32,
        /// The value given.
        value: u32,
    },
    /// A listener type string is not one Strimzi knows.
    #[error("unknown listener type `{value}`; expected one of {expected}")]
    UnknownListenerType {
        /// The rejected input.
        value: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// A listener name does not match Strimzi's `^[a-z0-9]{1,11}$`.
    #[error("invalid listener name `{name}`: must match ^[a-z0-9]{{1,11}}$")]
    InvalidListenerName {
        /// The rejected name.
        name: String,
    },
    /// A listener port is outside the range Strimzi accepts (9092 and up, but not 9404 or 9999).
    #[error(
        "invalid listener port {port}: Strimzi requires a port >= 9092 other than 9404 and 9999"
    )]
    InvalidListenerPort {
        /// The rejected port.
        port: u16,
    },
    /// A topic name Kafka would reject.
    #[error("invalid Kafka topic name `{name}`: {reason}")]
    InvalidTopicName {
        /// The rejected topic name.
        name: String,
        /// Why Kafka rejects it.
        reason: &'static str,
    },
    /// A Kubernetes object name that is not a valid DNS-1123 subdomain (or label, where needed).
    #[error("invalid Kubernetes name `{name}` for {what}: {reason}")]
    InvalidName {
        /// What the name is for.
        what: &'static str,
        /// The rejected name.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A replication setting that cannot be satisfied.
    #[error("replication factor {replication_factor} with min.insync.replicas {min_insync_replicas} on {brokers} brokers: {reason}")]
    Replication {
        /// Requested replication factor.
        replication_factor: u32,
        /// Requested `min.insync.replicas`.
        min_insync_replicas: u32,
        /// Number of broker nodes.
        brokers: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// A required builder field was not set or was empty.
    #[error("{what} must not be empty")]
    Empty {
        /// The field.
        what: &'static str,
    },
    /// A value that looks like an inline credential where a reference is required.
    #[error("{field} must be a secret reference (for example `${{secrets:namespace/name:key}}`), not an inline value")]
    InlineCredential {
        /// The config key or field.
        field: String,
    },
    /// A free-form value that failed validation.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidValue {
        /// What the value is.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// Rendering or validating a bundle failed.
    #[error(transparent)]
    Bundle(#[from] manifest_bundle::Error),
    /// Serialising a resource failed.
    #[error("failed to serialise {what}: {source}")]
    Serialize {
        /// The resource being serialised.
        what: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A README template failed to render.
    #[error("rendering {template}: {source}")]
    Render {
        /// The template.
        template: String,
        /// The underlying error.
        #[source]
        source: minijinja::Error,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
