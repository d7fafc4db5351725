//! The one error type of icehelper-core.

/// Everything that can go wrong in icehelper-core, with the facts a caller needs to act on it.
///
/// Each variant's message is one line that names what is wrong, in the library's own words:
/// options by their Iceberg names (`target-file-size-bytes`, `older-than`, `where`), never a
/// command-line flag. The CLI maps those names to its flags and adds its hints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration property or option is missing or malformed.
    #[error("invalid {name}: {reason}")]
    InvalidOption {
        /// The property or option, by its Iceberg name: `s3.path-style-access`,
        /// `target-file-size-bytes`, `older-than`.
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
    /// The table's `gc.enabled` is false: deleting its files could break another table that
    /// shares them, so expiry and orphan removal refuse.
    #[error("table '{table}' has gc.enabled=false: icehelper does not delete its files (set gc.enabled=true if no other table shares them)")]
    GcDisabled {
        /// The table identifier.
        table: String,
    },
    /// Orphan removal with a cutoff so recent that files of writers still in flight (written,
    /// not yet committed) would count as orphans; refused unless recent cutoffs are allowed.
    #[error("unsafe older-than: {cutoff} is less than {min_hours} hours ago: files of writers still in flight are not referenced yet and would be deleted")]
    UnsafeAge {
        /// The cutoff asked for (RFC 3339).
        cutoff: String,
        /// The youngest cutoff allowed without the override, in hours.
        min_hours: i64,
    },
    /// A named catalog with no configuration anywhere.
    #[error("invalid catalog: catalog '{name}' is not configured (looked in {})", looked_in.join(", "))]
    CatalogNotConfigured {
        /// The catalog name.
        name: String,
        /// Where its configuration was looked for.
        looked_in: Vec<String>,
    },
    /// A snapshot asked to be expired is the head of a branch or tag.
    #[error("table '{table}': cannot expire snapshot {snapshot_id}: it is the current snapshot of {refs}")]
    SnapshotReferenced {
        /// The table identifier.
        table: String,
        /// The snapshot.
        snapshot_id: i64,
        /// The refs pointing at it, comma-separated.
        refs: String,
    },
    /// A rollback target that is not an ancestor of the ref's current snapshot.
    #[error("table '{table}': snapshot {snapshot_id} is not an ancestor of '{ref_name}'")]
    NotAnAncestor {
        /// The table identifier.
        table: String,
        /// The target snapshot.
        snapshot_id: i64,
        /// The branch.
        ref_name: String,
    },
    /// Reachable metadata does not add up (a manifest list or manifest that parses but lacks
    /// entries its parent counts): deleting on top of it could delete live files.
    #[error("{file}: {reason}; nothing is deleted")]
    MetadataInconsistent {
        /// The file that does not add up.
        file: String,
        /// What does not add up.
        reason: String,
    },
    /// Orphan removal could not load another table of the catalog, which might keep files under
    /// the listed locations: nothing is deleted.
    #[error("table '{table}': cannot load '{other}' to make sure it keeps no files under the listed locations, so nothing is deleted: {source}")]
    SharedLocationUnverified {
        /// The table being cleaned.
        table: String,
        /// The table that could not be loaded.
        other: String,
        /// Why it could not be loaded.
        #[source]
        source: Box<Error>,
    },
    /// Orphan removal found a file named by the metadata under another scheme or authority than
    /// the listing's (Spark's `prefix_mismatch_mode = ERROR`).
    #[error("table '{table}': {count} listed file(s) match referenced files only up to scheme or authority, e.g. listed {listed} vs referenced {referenced}")]
    PrefixMismatch {
        /// The table identifier.
        table: String,
        /// How many files conflict.
        count: usize,
        /// One listed location.
        listed: String,
        /// The referenced location with the same path.
        referenced: String,
    },
    /// A migration file cannot be applied: it does not parse, or one of its changes is invalid or
    /// unsafe for the table. Nothing was written.
    #[error("migration {file}: {change}: {reason}")]
    MigrationInvalid {
        /// The migration file (name within the migrations folder).
        file: String,
        /// Which change, e.g. `change 2 (rename-column amount)`, or `file` for the file as a whole.
        change: String,
        /// Why it is refused.
        reason: String,
    },
    /// A migration file that was applied to the table has been edited since (its checksum no
    /// longer matches the one recorded in the table's properties).
    #[error("migration {file} was applied to '{table}' as version {version} and has been edited since (recorded sha256 {recorded}, file now {actual}); add a new migration instead")]
    MigrationEdited {
        /// The table identifier.
        table: String,
        /// The migration file.
        file: String,
        /// Its version.
        version: String,
        /// The checksum recorded when it was applied.
        recorded: String,
        /// The file's checksum now.
        actual: String,
    },
    /// The table's recorded migrations and the migrations folder disagree: an applied version has
    /// no file, or a file older than the applied version was never applied.
    #[error("migrations of '{table}': {reason}")]
    MigrationHistory {
        /// The table identifier.
        table: String,
        /// What disagrees.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    ReadFile {
        /// The file or folder.
        path: String,
        /// Why.
        reason: String,
    },
    /// A branch or tag to create already exists.
    #[error("table '{table}' already has a {kind} '{name}'")]
    RefExists {
        /// The table identifier.
        table: String,
        /// The ref name.
        name: String,
        /// `branch` or `tag`.
        kind: String,
    },
    /// A fast-forward whose target is not an ancestor of its source: moving it would drop the
    /// target's own snapshots from its history.
    #[error("cannot fast-forward '{target}' of '{table}' to '{source_ref}': snapshot {target_snapshot_id} of '{target}' is not an ancestor of snapshot {source_snapshot_id} of '{source_ref}'")]
    NotAncestor {
        /// The table identifier.
        table: String,
        /// The branch that would move.
        target: String,
        /// Its snapshot.
        target_snapshot_id: i64,
        /// The ref it would move to.
        source_ref: String,
        /// That ref's snapshot.
        source_snapshot_id: i64,
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
