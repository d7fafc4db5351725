//! The shape every maintenance operation reports in: what it did (or, with `dry_run`, would
//! do), how long it took, how many commits and retries. Each operation's metrics struct embeds
//! [`OperationMetrics`] (flattened in JSON) and adds its own counts.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Which operation a [`OperationMetrics`] reports on; serialized as the CLI verb names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Operation {
    /// Bin-pack compaction ([`crate::compact`]).
    Compact,
    /// Snapshot expiry ([`crate::expire`]).
    ExpireSnapshots,
    /// Orphan-file removal ([`crate::orphans`]).
    RemoveOrphanFiles,
    /// Manifest rewrite ([`crate::manifests`]).
    RewriteManifests,
    /// Moving a branch back ([`crate::rollback`]).
    Rollback,
    /// Versioned migrations ([`crate::migrate`]).
    Migrate,
    /// Creating a branch ([`crate::refs`]).
    BranchCreate,
    /// Creating a tag.
    TagCreate,
    /// Dropping a branch.
    BranchDrop,
    /// Dropping a tag.
    TagDrop,
    /// Fast-forwarding a branch to another's head.
    BranchFastForward,
}

impl Operation {
    /// The name, as in JSON output (`compact`, `expire-snapshots`, `branch-create`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Compact => "compact",
            Operation::ExpireSnapshots => "expire-snapshots",
            Operation::RemoveOrphanFiles => "remove-orphan-files",
            Operation::RewriteManifests => "rewrite-manifests",
            Operation::Rollback => "rollback",
            Operation::Migrate => "migrate",
            Operation::BranchCreate => "branch-create",
            Operation::TagCreate => "tag-create",
            Operation::BranchDrop => "branch-drop",
            Operation::TagDrop => "tag-drop",
            Operation::BranchFastForward => "branch-fast-forward",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The fields every operation's metrics share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationMetrics {
    /// The operation.
    pub operation: Operation,
    /// The table, `namespace.table`.
    pub table: String,
    /// True when nothing was changed: the plan only.
    pub dry_run: bool,
    /// Snapshots committed (0 on a dry run or when there was nothing to do).
    pub commits: u32,
    /// Commit attempts that conflicted and were re-planned.
    pub retries: u32,
    /// The snapshot the last commit created, when one did.
    pub snapshot_id: Option<i64>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// The one driver of the shared fields: started when an operation starts, told of each commit,
/// finished into the [`OperationMetrics`] the operation reports.
#[derive(Debug)]
pub(crate) struct Run {
    metrics: OperationMetrics,
    started: Instant,
}

impl Run {
    /// `operation` on `table`, started now.
    pub(crate) fn start(operation: Operation, table: impl ToString, dry_run: bool) -> Run {
        Run {
            metrics: OperationMetrics {
                operation,
                table: table.to_string(),
                dry_run,
                commits: 0,
                retries: 0,
                snapshot_id: None,
                duration_ms: 0,
            },
            started: Instant::now(),
        }
    }

    /// Records a commit loop's outcome: one commit when it committed, and its retries.
    pub(crate) fn record<T>(&mut self, committed: &crate::commit::Committed<T>) {
        self.metrics.retries += committed.retries;
        if committed.table.is_some() {
            self.metrics.commits += 1;
        }
    }

    /// The snapshot the last commit created (or, for ref changes, the one the ref points at).
    pub(crate) fn set_snapshot(&mut self, snapshot_id: Option<i64>) {
        self.metrics.snapshot_id = snapshot_id;
    }

    /// Commits recorded so far.
    pub(crate) fn commits(&self) -> u32 {
        self.metrics.commits
    }

    /// The shared fields so far (the duration up to now).
    pub(crate) fn snapshot(&self) -> OperationMetrics {
        let mut m = self.metrics.clone();
        m.duration_ms = duration_ms(self.started.elapsed());
        m
    }

    /// The shared fields, with the wall time since the start.
    pub(crate) fn finish(self) -> OperationMetrics {
        self.snapshot()
    }
}

fn duration_ms(d: Duration) -> u64 {
    d.as_millis().min(u64::MAX as u128) as u64
}

/// A byte count for people: `512 B`, `1.5 MiB`, `12.0 GiB` (powers of 1024).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
