//! The commit layer: every operation that changes a table goes through here.
//!
//! A change is a list of [`TableRequirement`]s (what the table must still look like) and
//! [`TableUpdate`]s (what to do to it), the same pair the Iceberg REST protocol commits:
//!
//! - on a REST catalog it is POSTed to the table's endpoint and the server writes the metadata;
//! - on a SQL catalog (SQLite or PostgreSQL, PyIceberg or Java JDBC layout) the requirements are
//!   checked against freshly loaded metadata, the new `metadata.json` is written and the
//!   catalog row is moved with one compare-and-swap
//!   `UPDATE … WHERE metadata_location = <old>` (see [`crate::catalog::SqlCatalog::commit_changes`]).
//!
//! [`commit_with_retry`] runs an operation's attempt against the latest table until it commits,
//! backing off per the table's `commit.retry.*` properties; each attempt re-plans on the new
//! parent, so a concurrent writer's snapshot is kept, never overwritten.
//! [`snapshot::SnapshotProducer`] builds the manifests, manifest list and snapshot for changes that
//! add and remove files (`replace`, `overwrite`, `delete`, `append`).

pub mod snapshot;

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use iceberg::io::FileIO;
use iceberg::table::Table;
use iceberg::{TableIdent, TableRequirement, TableUpdate};

use crate::error::{Error, Result};

/// What the commit layer needs of a catalog: the table as it is now, an atomic commit of one
/// [`TableChange`], and storage for cleaning up after a failed attempt. The SQL catalog
/// ([`crate::catalog::SqlCatalog`]) and the REST catalog's committer
/// ([`crate::catalog::RestCommitter`]) implement it; [`crate::catalog::LakeCatalog`] hands it to
/// whichever it opened. One per opened catalog: clients, tokens and the REST prefix are made once.
#[async_trait::async_trait]
pub trait Committer: Send + Sync + std::fmt::Debug {
    /// Loads the table as the catalog has it now.
    async fn load_table(&self, ident: &TableIdent) -> Result<Table>;

    /// Commits `change` once: the requirements are checked atomically with the swap. A failed
    /// requirement or a lost swap is [`Error::CommitConflict`]; a failure after which the
    /// catalog may or may not hold the change is [`Error::CommitStateUnknown`].
    async fn commit(&self, ident: &TableIdent, change: TableChange) -> Result<Table>;

    /// Storage on the catalog's properties (for files no table hands out yet, such as the
    /// staged files of a failed attempt).
    fn file_io(&self) -> FileIO;
}

/// What one commit attempt asks of the catalog.
#[derive(Debug, Clone, Default)]
pub struct TableChange {
    /// Conditions the table must meet at commit time (checked atomically with the swap).
    pub requirements: Vec<TableRequirement>,
    /// The metadata changes, applied in order.
    pub updates: Vec<TableUpdate>,
    /// Files this attempt wrote that nothing references if it does not commit (manifests,
    /// manifest lists). They are deleted when the attempt is known to have failed.
    pub staged_files: Vec<String>,
}

impl TableChange {
    /// A change with these requirements and updates and no staged files.
    pub fn new(requirements: Vec<TableRequirement>, updates: Vec<TableUpdate>) -> Self {
        TableChange {
            requirements,
            updates,
            staged_files: Vec::new(),
        }
    }

    /// True when there is nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty()
    }
}

/// How often and how long to retry a conflicting commit: Iceberg's `commit.retry.*` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `commit.retry.num-retries` (default 4).
    pub num_retries: u32,
    /// `commit.retry.min-wait-ms` (default 100).
    pub min_wait: Duration,
    /// `commit.retry.max-wait-ms` (default 60000).
    pub max_wait: Duration,
    /// `commit.retry.total-timeout-ms` (default 1800000).
    pub total_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            num_retries: 4,
            min_wait: Duration::from_millis(100),
            max_wait: Duration::from_millis(60_000),
            total_timeout: Duration::from_millis(1_800_000),
        }
    }
}

impl RetryPolicy {
    /// Reads the policy from table properties; a malformed value is an [`Error::InvalidOption`].
    pub fn from_properties(props: &HashMap<String, String>) -> Result<Self> {
        let d = RetryPolicy::default();
        let num = |key: &str, default: u64| -> Result<u64> {
            match props.get(key) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| {
                    Error::option(key, format!("'{v}' is not a non-negative integer"))
                }),
            }
        };
        Ok(RetryPolicy {
            num_retries: num("commit.retry.num-retries", d.num_retries as u64)?.min(u32::MAX as u64)
                as u32,
            min_wait: Duration::from_millis(num(
                "commit.retry.min-wait-ms",
                d.min_wait.as_millis() as u64,
            )?),
            max_wait: Duration::from_millis(num(
                "commit.retry.max-wait-ms",
                d.max_wait.as_millis() as u64,
            )?),
            total_timeout: Duration::from_millis(num(
                "commit.retry.total-timeout-ms",
                d.total_timeout.as_millis() as u64,
            )?),
        })
    }

    /// The policy a write uses: [`RetryPolicy::from_properties`], or the defaults (with a warning)
    /// when a property is malformed, so a bad `commit.retry.*` value set by another engine never
    /// blocks the write that would repair it.
    pub fn for_write(props: &HashMap<String, String>) -> Self {
        RetryPolicy::from_properties(props).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "using the default commit retries");
            RetryPolicy::default()
        })
    }

    /// The waits before each retry: backon's exponential schedule from `min_wait` (doubling),
    /// capped at `max_wait`, `num_retries` of them within `total_timeout`, each with up to 10%
    /// jitter added as Iceberg Java's `Tasks` does, so two retrying writers drift apart.
    pub fn schedule(&self) -> impl Iterator<Item = Duration> {
        use backon::BackoffBuilder;
        backon::ExponentialBuilder::new()
            .with_min_delay(self.min_wait)
            .with_max_delay(self.max_wait)
            .with_max_times(self.num_retries as usize)
            .with_total_delay(Some(self.total_timeout))
            .build()
            .map(|wait| {
                let jitter = wait.as_millis() as u64 / 10;
                wait + Duration::from_millis(if jitter > 0 {
                    rand::random_range(0..=jitter)
                } else {
                    0
                })
            })
    }
}

/// What [`commit_with_retry`] did.
#[derive(Debug, Clone)]
pub struct Committed<T> {
    /// The table as the successful commit left it (`None` when the attempt found nothing to do).
    pub table: Option<Table>,
    /// The attempt's own result from the attempt that committed (or found nothing to do).
    pub value: T,
    /// Attempts that conflicted and were re-planned.
    pub retries: u32,
}

/// What an attempt hands back: the change to commit (`None`: nothing to do) and a value to
/// return when it commits.
pub type Attempt<T> = (Option<TableChange>, T);

/// Commits one change, once (see [`Committer::commit`]). Staged files are deleted only when
/// the commit surely failed.
pub async fn commit_once(
    committer: &dyn Committer,
    ident: &TableIdent,
    change: TableChange,
) -> Result<Table> {
    let staged = change.staged_files.clone();
    let result = committer.commit(ident, change).await;
    if let Err(e) = &result {
        if !matches!(e, Error::CommitStateUnknown { .. }) {
            delete_quietly(committer, &staged).await;
        }
    }
    result
}

/// A snapshot's sequence number is written into its manifest list when it is planned; a commit
/// to another branch that landed since then may have taken it. `Some((last, planned))` when an
/// added snapshot's number is no longer above the table's last one: a conflict, to re-plan.
pub(crate) fn stale_sequence_number(
    current: &iceberg::spec::TableMetadata,
    updates: &[TableUpdate],
) -> Option<(i64, i64)> {
    if current.format_version() == iceberg::spec::FormatVersion::V1 {
        return None;
    }
    let last = current.last_sequence_number();
    updates.iter().find_map(|u| match u {
        TableUpdate::AddSnapshot { snapshot } if snapshot.sequence_number() <= last => {
            Some((last, snapshot.sequence_number()))
        }
        _ => None,
    })
}

/// Deletes files a failed attempt wrote; failures are logged, never raised (at worst the files
/// stay as orphans, which `remove-orphan-files` collects).
pub async fn delete_quietly(committer: &dyn Committer, files: &[String]) {
    let io = committer.file_io();
    for f in files {
        if let Err(e) = io.delete(f).await {
            tracing::warn!(file = %f, error = %e, "could not delete a file of a failed commit");
        }
    }
}

/// Runs `attempt` on the latest table and commits what it returns, until it commits or fails for
/// good. On a conflict the table is reloaded and `attempt` runs again on the new state (it must
/// re-check whatever it relies on, and may return `None` when nothing is left to do); the wait
/// between tries follows `policy`.
pub async fn commit_with_retry<T, F, Fut>(
    committer: &dyn Committer,
    ident: &TableIdent,
    policy: RetryPolicy,
    mut attempt: F,
) -> Result<Committed<T>>
where
    F: FnMut(Table) -> Fut,
    Fut: Future<Output = Result<Attempt<T>>>,
{
    let started = Instant::now();
    let mut retries = 0u32;
    let mut waits = policy.schedule();
    loop {
        let table = committer.load_table(ident).await?;
        let (change, value) = attempt(table).await?;
        failpoint("commit.planned");
        let Some(change) = change.filter(|c| !c.is_empty()) else {
            return Ok(Committed {
                table: None,
                value,
                retries,
            });
        };
        match commit_once(committer, ident, change).await {
            Ok(table) => {
                return Ok(Committed {
                    table: Some(table),
                    value,
                    retries,
                })
            }
            Err(Error::CommitConflict { table, reason }) => {
                let wait = waits
                    .next()
                    .filter(|_| started.elapsed() < policy.total_timeout);
                let Some(wait) = wait else {
                    return Err(Error::CommitConflict {
                        table,
                        reason: format!("{reason} (gave up after {retries} retries)"),
                    });
                };
                retries += 1;
                tracing::info!(%table, %reason, retry = retries, wait_ms = wait.as_millis() as u64, "commit conflicted; re-planning on the new table state");
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Crash-safety test hook: when the environment variable `ICEHELPER_FAILPOINT` names this point,
/// the process aborts here, as a `kill -9` would stop it. Points: `compact.before-commit` (new
/// data files written, no metadata yet) and `commit.after-metadata-write` (new metadata.json
/// written, catalog pointer not yet moved).
///
/// `NAME:pause` instead pauses there once per process, until a line arrives on stdin, so a test
/// can commit something else at exactly that moment. Point `commit.planned`: an attempt is
/// planned (its snapshot and sequence number fixed), not yet committed.
///
/// Compiled in only with the `failpoints` feature (the tests' builds); without it this is empty
/// and no environment variable can abort a production process.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub(crate) fn failpoint(_name: &str) {}

/// See the other `failpoint`: the `failpoints` feature's hook.
#[cfg(feature = "failpoints")]
pub(crate) fn failpoint(name: &str) {
    let Ok(v) = std::env::var("ICEHELPER_FAILPOINT") else {
        return;
    };
    if v == name {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
    static PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if v.strip_suffix(":pause") == Some(name)
        && !PAUSED.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        eprintln!("failpoint {name}: paused");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
}

/// Maps a requirement failure or a lost compare-and-swap to [`Error::CommitConflict`].
pub(crate) fn conflict_or(e: iceberg::Error, ident: &TableIdent) -> Error {
    if e.kind() == iceberg::ErrorKind::CatalogCommitConflicts {
        Error::CommitConflict {
            table: ident.to_string(),
            reason: crate::catalog::one_line(&e),
        }
    } else {
        Error::Iceberg(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_doubles_caps_and_stops() {
        let policy = RetryPolicy {
            num_retries: 5,
            min_wait: Duration::from_millis(100),
            max_wait: Duration::from_millis(300),
            total_timeout: Duration::from_secs(60),
        };
        let waits: Vec<u128> = policy.schedule().map(|d| d.as_millis()).collect();
        assert_eq!(waits.len(), 5, "{waits:?}");
        for (wait, base) in waits.iter().zip([100u128, 200, 300, 300, 300]) {
            assert!((base..=base + base / 10).contains(wait), "{waits:?}");
        }
        let none = RetryPolicy {
            num_retries: 0,
            ..policy
        };
        assert_eq!(none.schedule().count(), 0);
    }
}
