//! The crate's error type.

/// Everything a builder or the renderer can reject.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The template needs an Iceberg catalog and none was set.
    #[error("{template}: no Iceberg catalog set (call .catalog(..))")]
    MissingCatalog {
        /// The template.
        template: &'static str,
    },
    /// A required parameter was not set.
    #[error("{template}: {field} is required")]
    MissingParameter {
        /// The template.
        template: &'static str,
        /// The parameter.
        field: &'static str,
    },
    /// A table name is not `namespace.table`.
    #[error("{field}: {value:?} is not a table name of the form namespace.table")]
    InvalidTableName {
        /// The parameter.
        field: String,
        /// The rejected name.
        value: String,
    },
    /// A memory size is not a Spark memory string (`512m`, `4g`).
    #[error("{field}: {value:?} is not a Spark memory size such as 512m or 4g")]
    InvalidMemory {
        /// The parameter.
        field: &'static str,
        /// The rejected value.
        value: String,
    },
    /// A count (cores, executors, retries) is out of range.
    #[error("{field}: {value} is out of range ({reason})")]
    InvalidCount {
        /// The parameter.
        field: &'static str,
        /// The rejected value.
        value: i64,
        /// The accepted range.
        reason: &'static str,
    },
    /// Any other parameter with a bad value.
    #[error("{field}: {value:?} is invalid: {reason}")]
    InvalidValue {
        /// The parameter.
        field: String,
        /// The rejected value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A timestamp is neither RFC 3339 nor epoch milliseconds.
    #[error(
        "{field}: {value:?} is not an RFC 3339 timestamp (2024-01-31T00:00:00Z, 2024-01-31T02:00:00.5+02:00) \
         or epoch milliseconds at or after 1970-01-01"
    )]
    InvalidTimestamp {
        /// The parameter.
        field: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An Iceberg branch name is not usable.
    #[error("branch {value:?} is invalid: {reason}")]
    InvalidBranchName {
        /// The rejected name.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// Two parameters that exclude each other were both set.
    #[error("{template}: {first} and {second} exclude each other; set one")]
    ConflictingParameters {
        /// The template.
        template: &'static str,
        /// One parameter.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// A minijinja template failed to render.
    #[error("rendering {template}: {source}")]
    Render {
        /// The template.
        template: String,
        /// The underlying error.
        source: minijinja::Error,
    },
    /// Serialising an object or a job configuration failed.
    #[error("serialising {context}: {source}")]
    Json {
        /// What was being serialised.
        context: &'static str,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// Building, writing or checking a bundle failed.
    #[error(transparent)]
    Bundle(#[from] manifest_bundle::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
