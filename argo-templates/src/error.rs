//! The error type of this crate.

/// Everything that can go wrong while building Argo Workflows resources.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A cron expression Argo's parser would reject.
    #[error("invalid cron expression `{expression}`: {reason}")]
    InvalidCron {
        /// The expression.
        expression: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A timezone that is not an IANA name.
    #[error(
        "invalid timezone `{timezone}`: expected an IANA name such as `Etc/UTC` or `Europe/Berlin`"
    )]
    InvalidTimezone {
        /// The rejected value.
        timezone: String,
    },
    /// A name Kubernetes or Argo would reject.
    #[error("invalid {what} name `{name}`: {reason}")]
    InvalidName {
        /// What is named.
        what: &'static str,
        /// The rejected name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A required list or value is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// What.
        what: &'static str,
    },
    /// A count below its minimum.
    #[error("{what} must be at least {min}, got {value}")]
    TooFew {
        /// What.
        what: &'static str,
        /// Minimum.
        min: u32,
        /// Given.
        value: u32,
    },
    /// An Iceberg table identifier that is not `namespace.table`.
    #[error("invalid Iceberg table `{table}`: expected `namespace.table`")]
    InvalidTable {
        /// The rejected identifier.
        table: String,
    },
    /// A free-form value that failed validation.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidValue {
        /// What.
        what: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A spark-templates builder rejected its input.
    #[error("spark job: {0}")]
    Spark(#[from] spark_templates::Error),
    /// A spark-templates job that Argo cannot run as a step (e.g. scheduled, not run-once).
    #[error("spark job `{job}` cannot run as an Argo step: {reason}")]
    SparkStep {
        /// The job (SparkApplication) name.
        job: String,
        /// Why.
        reason: &'static str,
    },
    /// A README template failed to render.
    #[error("rendering {template}: {source}")]
    Render {
        /// The template.
        template: String,
        /// Cause.
        #[source]
        source: minijinja::Error,
    },
    /// Rendering a bundle failed.
    #[error(transparent)]
    Bundle(#[from] manifest_bundle::Error),
    /// Serialising a resource failed.
    #[error("failed to serialise {what}: {source}")]
    Serialize {
        /// What.
        what: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
