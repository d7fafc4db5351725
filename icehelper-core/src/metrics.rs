//! The shape every maintenance operation reports in: what it did (or, with `dry_run`, would
//! do), how long it took, how many commits and retries. Each operation's metrics struct embeds
//! [`OperationMetrics`] (flattened in JSON) and adds its own counts.

use std::time::{Duration, Instant};

use serde::Serialize;

/// The fields every operation's metrics share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperationMetrics {
    /// The operation, as the CLI verb names it (`compact`, `expire-snapshots`, ...).
    pub operation: String,
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

impl OperationMetrics {
    /// Metrics of `operation` on `table`, started now.
    pub fn start(operation: &str, table: impl ToString, dry_run: bool) -> (Self, Instant) {
        (
            OperationMetrics {
                operation: operation.to_string(),
                table: table.to_string(),
                dry_run,
                ..Default::default()
            },
            Instant::now(),
        )
    }

    /// Records the wall time since `started`.
    pub fn finish(&mut self, started: Instant) {
        self.duration_ms = duration_ms(started.elapsed());
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
