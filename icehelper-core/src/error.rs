//! The one error type of icehelper-core.

/// Everything that can go wrong in icehelper-core, with the facts a caller needs to act on it.
///
/// Each variant's message is one line that names what is wrong; the CLI prints it as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration property or option is missing or malformed.
    #[error("invalid {name}: {reason}")]
    InvalidOption {
        /// The property, flag or option, e.g. `s3.path-style-access` or `--snapshot`.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A table or namespace identifier is malformed.
    #[error("invalid identifier '{input}': {reason}")]
    InvalidIdentifier {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The catalog could not be opened or reached.
    #[error("cannot open catalog '{catalog}' at {uri}: {reason}")]
    CatalogUnavailable {
        /// Catalog name.
        catalog: String,
        /// Its URI, with any password removed.
        uri: String,
        /// Why.
        reason: String,
    },
    /// The namespace does not exist in the catalog.
    #[error("namespace '{namespace}' does not exist")]
    NamespaceNotFound {
        /// The namespace, dot-separated.
        namespace: String,
    },
    /// The table does not exist in the catalog.
    #[error("table '{table}' does not exist")]
    TableNotFound {
        /// The table identifier, `namespace.table`.
        table: String,
    },
    /// The table's metadata file is missing or not valid Iceberg table metadata.
    #[error("table '{table}': cannot read metadata {location}: {reason}")]
    MetadataUnreadable {
        /// The table identifier.
        table: String,
        /// The metadata.json location the catalog points at.
        location: String,
        /// Why it could not be read.
        reason: String,
    },
    /// A snapshot id the table does not have.
    #[error("table '{table}' has no snapshot {snapshot_id}")]
    SnapshotNotFound {
        /// The table identifier.
        table: String,
        /// The snapshot id asked for.
        snapshot_id: i64,
    },
    /// A branch or tag the table does not have.
    #[error("table '{table}' has no branch or tag '{name}'")]
    RefNotFound {
        /// The table identifier.
        table: String,
        /// The ref asked for.
        name: String,
    },
    /// The table has no snapshot at all (nothing written yet) where one is needed.
    #[error("table '{table}' has no snapshot yet")]
    EmptyTable {
        /// The table identifier.
        table: String,
    },
    /// Another writer committed first and the change could not be re-applied.
    #[error("commit to '{table}' conflicted: {reason}")]
    CommitConflict {
        /// The table identifier.
        table: String,
        /// What changed underneath.
        reason: String,
    },
    /// The commit may or may not have reached the catalog (a timeout or lost connection during
    /// the swap). Nothing is cleaned up: the catalog may point at the new metadata.
    #[error("commit to '{table}' may or may not have happened: {reason}")]
    CommitStateUnknown {
        /// The table identifier.
        table: String,
        /// What failed.
        reason: String,
    },
    /// Reading or writing object storage failed.
    #[error("storage error at {location}: {reason}")]
    Storage {
        /// The location involved.
        location: String,
        /// The storage layer's message.
        reason: String,
    },
    /// An error from the iceberg library not covered above.
    #[error("{0}")]
    Iceberg(#[from] iceberg::Error),
}

/// `Result` with icehelper-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn option(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidOption {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
