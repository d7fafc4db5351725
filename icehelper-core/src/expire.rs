//! `expire-snapshots`: drop old snapshots from the metadata per the table's retention policy,
//! then delete every file no retained snapshot of any ref can reach.
//!
//! Which snapshots go follows Iceberg Java's `RemoveSnapshots`:
//!
//! - a branch or tag whose snapshot is older than its `max-ref-age-ms` (default the table's
//!   `history.expire.max-ref-age-ms`, never by default) is removed, except `main`;
//! - every remaining ref's snapshot is kept; on each remaining branch, ancestors are kept while
//!   fewer than `min-snapshots-to-keep` are kept or they are younger than the cutoff (the
//!   branch's own `max-snapshot-age-ms`, else `--older-than`, else the table's
//!   `history.expire.max-snapshot-age-ms`, 5 days);
//! - snapshots no ref reaches are kept while younger than the cutoff;
//! - `--snapshot-id`s are expired as well, unless a ref points at them (refused).
//!
//! The metadata change (`RemoveSnapshotRef`s, `RemoveStatistics`, `RemoveSnapshots`) is committed
//! through [`crate::commit::commit_with_retry`] with requirements on the table UUID and on the
//! snapshot of every ref, so a concurrent commit makes it re-plan. Only once it has committed
//! are files deleted: those reachable from the expired snapshots (manifest lists, manifests, data
//! and delete files, statistics files) minus everything the committed metadata's snapshots
//! still reach — each manifest list and manifest read once, however many snapshots share it —
//! and, with `write.metadata.delete-after-commit.enabled`, the `metadata.json` files that left
//! the metadata log. A failed or unknown commit deletes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use iceberg::spec::{SnapshotRef, SnapshotRetention, TableMetadata, MAIN_BRANCH};
use iceberg::table::Table;
use iceberg::{TableIdent, TableRequirement, TableUpdate};
use serde::Serialize;

use crate::catalog::{table_refs, LakeCatalog};
use crate::cleanup::{
    self, content_files, delete_files, manifests_of, DeletionReport, Entries, EqualSchemes,
    FileKind, KindCount, NormalizedPath, PlannedFile,
};
use crate::commit::{commit_with_retry, RetryPolicy, TableChange};
use crate::error::{Error, Result};
use crate::metrics::{Operation, OperationMetrics, Run};

/// `history.expire.max-snapshot-age-ms` default: 5 days.
pub const DEFAULT_MAX_SNAPSHOT_AGE_MS: i64 = 5 * 24 * 3600 * 1000;

/// Expires snapshots of one table and deletes the files only they reached.
#[must_use = "an expiry does nothing until plan() or execute() is awaited"]
#[derive(Debug, Clone)]
pub struct ExpireSnapshots<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    older_than: Option<DateTime<Utc>>,
    retain_last: Option<u32>,
    snapshot_ids: Vec<i64>,
    max_concurrent_deletes: usize,
    now: DateTime<Utc>,
}

into_future!(ExpireSnapshots => ExpireMetrics);

/// A snapshot that is (or would be) expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredSnapshot {
    /// Its id.
    pub snapshot_id: i64,
    /// When it was committed (epoch milliseconds).
    pub timestamp_ms: i64,
}

/// What an expiry did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpireMetrics {
    /// The fields every operation reports.
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// The cutoff that applied to branches without their own `max-snapshot-age-ms` (RFC 3339).
    pub older_than: String,
    /// Snapshots expired.
    pub expired_snapshots: u64,
    /// Snapshots left in the metadata.
    pub retained_snapshots: u64,
    /// The expired snapshots.
    pub expired: Vec<ExpiredSnapshot>,
    /// Branches and tags removed for being older than their `max-ref-age-ms`.
    pub removed_refs: Vec<String>,
    /// Files deleted (on a dry run: to delete).
    pub deleted_files: u64,
    /// Bytes deleted (of files whose size the metadata or the read records).
    pub deleted_bytes: u64,
    /// Files and bytes per kind.
    pub deleted_by_kind: BTreeMap<FileKind, KindCount>,
    /// Files whose deletion failed (left for orphan removal).
    pub failed_deletes: Vec<String>,
    /// Files that were already gone when their deletion came (not counted as deleted).
    pub missing_files: Vec<String>,
    /// On a dry run, every file that would be deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PlannedFile>,
}

/// The plan: what would be expired and deleted, from the table as it is now. Print its
/// [`metrics`](Self::metrics) (a dry run), then [`execute`](Self::execute) it: the first commit
/// attempt uses this plan's decision as long as the table has not moved since.
#[must_use = "a plan changes nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct ExpirePlan<'a> {
    expiry: ExpireSnapshots<'a>,
    /// The table the plan was made on.
    pub table: Table,
    decision: Decision,
    cutoff: DateTime<Utc>,
    metrics: ExpireMetrics,
}

impl ExpirePlan<'_> {
    /// What executing would do: the dry run's report.
    pub fn metrics(&self) -> ExpireMetrics {
        self.metrics.clone()
    }

    /// Commits the planned expiry (re-deciding only when another commit moved the table since
    /// the plan), then deletes the files no retained snapshot reaches.
    pub async fn execute(self) -> Result<ExpireMetrics> {
        let ExpirePlan {
            expiry,
            table,
            decision,
            cutoff,
            ..
        } = self;
        expiry
            .commit_and_clean(table, Some((decision, cutoff)))
            .await
    }
}

/// Which snapshots go, and the refs that stay and go.
#[derive(Debug, Clone, Default)]
struct Decision {
    expire: BTreeSet<i64>,
    kept_refs: Vec<(String, i64)>,
    removed_refs: Vec<(String, i64)>,
}

impl<'a> ExpireSnapshots<'a> {
    /// Expiry of `ident` with the table's own retention properties.
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent) -> Self {
        ExpireSnapshots {
            catalog,
            ident,
            older_than: None,
            retain_last: None,
            snapshot_ids: Vec::new(),
            max_concurrent_deletes: cleanup::DEFAULT_MAX_CONCURRENT_DELETES.get(),
            now: Utc::now(),
        }
    }

    /// Expires snapshots older than this (Spark's `older_than`), instead of the table's
    /// `history.expire.max-snapshot-age-ms`.
    pub fn with_older_than(mut self, ts: DateTime<Utc>) -> Self {
        self.older_than = Some(ts);
        self
    }

    /// Keeps at least this many ancestors of each branch (Spark's `retain_last`), instead of
    /// `history.expire.min-snapshots-to-keep`.
    pub fn with_retain_last(mut self, n: u32) -> Self {
        self.retain_last = Some(n);
        self
    }

    /// Also expires these snapshots (Spark's `snapshot_ids`).
    pub fn with_snapshot_ids(mut self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.snapshot_ids.extend(ids);
        self
    }

    /// Deletes this many files at once (Spark's `max_concurrent_deletes`).
    pub fn with_max_concurrent_deletes(mut self, n: std::num::NonZeroUsize) -> Self {
        self.max_concurrent_deletes = n.get();
        self
    }

    /// Uses this as the current time (for ages of refs and snapshots).
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    fn check_options(&self) -> Result<()> {
        if self.retain_last == Some(0) {
            return Err(Error::option(
                "retain-last",
                "must be at least 1 (a branch keeps its current snapshot)",
            ));
        }
        Ok(())
    }

    /// Decides what to expire on the table as it is now and lists the files that would go.
    pub async fn plan(&self) -> Result<ExpirePlan<'a>> {
        self.check_options()?;
        let run = Run::start(Operation::ExpireSnapshots, &self.ident, true);
        let table = self.catalog.load_table(&self.ident).await?;
        check_gc(&table)?;
        let (decision, cutoff) = self.decide(&table)?;
        let md = table.metadata();
        let retained: Vec<SnapshotRef> = md
            .snapshots()
            .filter(|s| !decision.expire.contains(&s.snapshot_id()))
            .cloned()
            .collect();
        let retained_stats = stats_paths(md, &retained);
        let new_log = simulated_metadata_files(&table);
        let files = unreachable_files(&table, &retained, &retained_stats, Some(&new_log)).await?;
        let report = DeletionReport::planned(&files);
        let mut m = self.metrics(run.finish(), &table, &decision, cutoff, report);
        m.files = files;
        Ok(ExpirePlan {
            expiry: self.clone(),
            table,
            decision,
            cutoff,
            metrics: m,
        })
    }

    /// Plans and executes: commits the expiry, then deletes the files no retained snapshot
    /// reaches. Awaiting the builder itself does the same.
    pub async fn execute(self) -> Result<ExpireMetrics> {
        self.check_options()?;
        let first = self.catalog.load_table(&self.ident).await?;
        self.commit_and_clean(first, None).await
    }

    /// The commit loop and the cleanup after it; `planned` is a decision made on `first`.
    async fn commit_and_clean(
        self,
        first: Table,
        planned: Option<(Decision, DateTime<Utc>)>,
    ) -> Result<ExpireMetrics> {
        let mut run = Run::start(Operation::ExpireSnapshots, &self.ident, false);
        check_gc(&first)?;
        let policy = RetryPolicy::for_write(first.metadata().properties());
        let planned_on = first.metadata_location().map(str::to_string);
        let committed = commit_with_retry(self.catalog, &self.ident, policy, |table| {
            let this = &self;
            let planned = planned
                .clone()
                .filter(|_| table.metadata_location().map(str::to_string) == planned_on);
            async move {
                check_gc(&table)?;
                let (decision, cutoff) = match planned {
                    Some(p) => p,
                    None => this.decide(&table)?,
                };
                if decision.expire.is_empty() && decision.removed_refs.is_empty() {
                    return Ok((None, (table, decision, cutoff)));
                }
                // read what the cleanup will need before committing: an unreadable manifest
                // list or manifest of an expired snapshot is an error with the table unchanged,
                // not a committed expiry whose files can no longer be found
                let expired: Vec<SnapshotRef> = table
                    .metadata()
                    .snapshots()
                    .filter(|s| decision.expire.contains(&s.snapshot_id()))
                    .cloned()
                    .collect();
                let (manifests, _) =
                    manifests_of(table.file_io(), table.metadata().format_version(), &expired)
                        .await?;
                content_files(
                    table.file_io(),
                    manifests.into_values().collect(),
                    Entries::All,
                )
                .await?;
                let change = change_for(&table, &decision);
                Ok((Some(change), (table, decision, cutoff)))
            }
        })
        .await?;
        run.record(&committed);
        let (before, decision, cutoff) = committed.value;
        let Some(after) = committed.table else {
            let report = DeletionReport::default();
            return Ok(self.metrics(run.finish(), &before, &decision, cutoff, report));
        };
        verify_no_ref_lost(&before, &after, &decision).await?;

        // What is still reachable: the committed metadata, and the table as it is now (a commit
        // that landed right after ours keeps what it references).
        let mut retained: Vec<SnapshotRef> = after.metadata().snapshots().cloned().collect();
        let mut retained_stats = stats_paths(after.metadata(), &retained);
        if let Ok(now) = self.catalog.load_table(&self.ident).await {
            let seen: HashSet<i64> = retained.iter().map(|s| s.snapshot_id()).collect();
            let extra: Vec<SnapshotRef> = now
                .metadata()
                .snapshots()
                .filter(|s| !seen.contains(&s.snapshot_id()))
                .cloned()
                .collect();
            retained_stats.extend(stats_paths(now.metadata(), &extra));
            retained.extend(extra);
        }
        let metadata_files = delete_after_commit(&before)?.then(|| metadata_files_of(&after));
        let files =
            unreachable_files(&before, &retained, &retained_stats, metadata_files.as_ref()).await?;
        tracing::info!(files = files.len(), "deleting files of expired snapshots");
        let report = delete_files(before.file_io(), files, self.max_concurrent_deletes).await;
        let mut m = self.metrics(run.finish(), &before, &decision, cutoff, report);
        m.retained_snapshots = after.metadata().snapshots().len() as u64;
        Ok(m)
    }

    fn metrics(
        &self,
        operation: OperationMetrics,
        table: &Table,
        d: &Decision,
        cutoff: DateTime<Utc>,
        report: DeletionReport,
    ) -> ExpireMetrics {
        let md = table.metadata();
        ExpireMetrics {
            operation,
            older_than: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            expired_snapshots: d.expire.len() as u64,
            retained_snapshots: (md.snapshots().len() - d.expire.len()) as u64,
            expired: d
                .expire
                .iter()
                .map(|id| ExpiredSnapshot {
                    snapshot_id: *id,
                    timestamp_ms: md
                        .snapshot_by_id(*id)
                        .map(|s| s.timestamp_ms())
                        .unwrap_or(0),
                })
                .collect(),
            removed_refs: d.removed_refs.iter().map(|(n, _)| n.clone()).collect(),
            deleted_files: report.files,
            deleted_bytes: report.bytes,
            deleted_by_kind: report.by_kind,
            failed_deletes: report.failed,
            missing_files: report.missing,
            files: Vec::new(),
        }
    }

    /// Iceberg Java's `RemoveSnapshots` decision on this table.
    fn decide(&self, table: &Table) -> Result<(Decision, DateTime<Utc>)> {
        let md = table.metadata();
        let ident = table.identifier().to_string();
        let props = md.properties();
        let now = self.now.timestamp_millis();
        let max_age = cleanup::prop_i64(
            props,
            "history.expire.max-snapshot-age-ms",
            DEFAULT_MAX_SNAPSHOT_AGE_MS,
        )?;
        let min_keep = cleanup::prop_i64(props, "history.expire.min-snapshots-to-keep", 1)?;
        let max_ref_age = cleanup::prop_i64(props, "history.expire.max-ref-age-ms", i64::MAX)?;
        let default_cutoff = match self.older_than {
            Some(t) => t.timestamp_millis(),
            None => now.saturating_sub(max_age),
        };
        let default_min_keep = match self.retain_last {
            Some(n) => n as i64,
            None => min_keep.max(1),
        };
        let refs = table_refs(md)?;

        let mut d = Decision::default();
        let mut retained: BTreeMap<String, iceberg::spec::SnapshotReference> = BTreeMap::new();
        for (name, r) in refs {
            let ref_max_age = match &r.retention {
                SnapshotRetention::Branch { max_ref_age_ms, .. }
                | SnapshotRetention::Tag { max_ref_age_ms } => {
                    max_ref_age_ms.unwrap_or(max_ref_age)
                }
            };
            let keep = match md.snapshot_by_id(r.snapshot_id) {
                _ if name == MAIN_BRANCH => true,
                // a ref to a snapshot the table does not have: dropped, as Java does
                None => false,
                Some(s) => now.saturating_sub(s.timestamp_ms()) <= ref_max_age,
            };
            if keep {
                d.kept_refs.push((name.clone(), r.snapshot_id));
                retained.insert(name, r);
            } else {
                d.removed_refs.push((name, r.snapshot_id));
            }
        }

        let mut keep: HashSet<i64> = HashSet::new();
        let mut heads: HashMap<i64, Vec<String>> = HashMap::new();
        for (name, r) in &retained {
            heads.entry(r.snapshot_id).or_default().push(name.clone());
            keep.insert(r.snapshot_id);
        }
        for id in &self.snapshot_ids {
            if md.snapshot_by_id(*id).is_none() {
                return Err(Error::SnapshotNotFound {
                    table: ident,
                    snapshot_id: *id,
                });
            }
            if let Some(names) = heads.get(id) {
                return Err(Error::SnapshotReferenced {
                    table: ident,
                    snapshot_id: *id,
                    refs: names.join(", "),
                });
            }
        }
        // branches: ancestors within min-snapshots-to-keep or younger than the cutoff
        let mut referenced: HashSet<i64> = HashSet::new();
        for r in retained.values() {
            match &r.retention {
                SnapshotRetention::Branch {
                    min_snapshots_to_keep,
                    max_snapshot_age_ms,
                    ..
                } => {
                    let cutoff = match max_snapshot_age_ms {
                        Some(a) => now.saturating_sub(*a),
                        None => default_cutoff,
                    };
                    let min = min_snapshots_to_keep
                        .map(|n| n as i64)
                        .unwrap_or(default_min_keep);
                    let mut kept_here = 0i64;
                    let mut retaining = true;
                    for s in ancestors(md, r.snapshot_id) {
                        referenced.insert(s.snapshot_id());
                        if retaining && (kept_here < min || s.timestamp_ms() >= cutoff) {
                            keep.insert(s.snapshot_id());
                            kept_here += 1;
                        } else {
                            retaining = false;
                        }
                    }
                }
                SnapshotRetention::Tag { .. } => {
                    referenced.insert(r.snapshot_id);
                }
            }
        }
        // snapshots no ref reaches: kept while younger than the default cutoff
        for s in md.snapshots() {
            if !referenced.contains(&s.snapshot_id()) && s.timestamp_ms() >= default_cutoff {
                keep.insert(s.snapshot_id());
            }
        }
        for s in md.snapshots() {
            if !keep.contains(&s.snapshot_id()) {
                d.expire.insert(s.snapshot_id());
            }
        }
        d.expire.extend(self.snapshot_ids.iter().copied());
        let cutoff = DateTime::<Utc>::from_timestamp_millis(default_cutoff)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok((d, cutoff))
    }
}

fn check_gc(table: &Table) -> Result<()> {
    if !cleanup::gc_enabled(table.metadata().properties())? {
        return Err(Error::GcDisabled {
            table: table.identifier().to_string(),
        });
    }
    Ok(())
}

/// The snapshot and its ancestors, newest first (stops at a missing parent).
pub fn ancestors(md: &TableMetadata, snapshot_id: i64) -> impl Iterator<Item = &SnapshotRef> {
    let mut next = md.snapshot_by_id(snapshot_id);
    let mut seen = HashSet::new();
    std::iter::from_fn(move || {
        let s = next?;
        if !seen.insert(s.snapshot_id()) {
            return None;
        }
        next = s.parent_snapshot_id().and_then(|p| md.snapshot_by_id(p));
        Some(s)
    })
}

fn change_for(table: &Table, d: &Decision) -> TableChange {
    let md = table.metadata();
    let mut requirements = vec![TableRequirement::UuidMatch { uuid: md.uuid() }];
    for (name, id) in d.kept_refs.iter().chain(&d.removed_refs) {
        requirements.push(TableRequirement::RefSnapshotIdMatch {
            r#ref: name.clone(),
            snapshot_id: Some(*id),
        });
    }
    let mut updates = Vec::new();
    for (name, _) in &d.removed_refs {
        updates.push(TableUpdate::RemoveSnapshotRef {
            ref_name: name.clone(),
        });
    }
    for id in &d.expire {
        if md.statistics_for_snapshot(*id).is_some() {
            updates.push(TableUpdate::RemoveStatistics { snapshot_id: *id });
        }
        if md.partition_statistics_for_snapshot(*id).is_some() {
            updates.push(TableUpdate::RemovePartitionStatistics { snapshot_id: *id });
        }
    }
    if !d.expire.is_empty() {
        updates.push(TableUpdate::RemoveSnapshots {
            snapshot_ids: d.expire.iter().copied().collect(),
        });
    }
    TableChange::new(requirements, updates)
}

/// A catalog applies the updates to its latest metadata, and removing snapshots drops any ref
/// that points at one. If a ref appeared between our plan and the commit on a snapshot we
/// expired, it is gone now: refuse to delete anything (its files stay, recoverable).
async fn verify_no_ref_lost(before: &Table, after: &Table, d: &Decision) -> Result<()> {
    let Some(base) = after.metadata().metadata_log().last() else {
        return Ok(());
    };
    if Some(base.metadata_file.as_str()) == before.metadata_location() {
        return Ok(());
    }
    let base_md = crate::catalog::read_metadata(after.file_io(), &base.metadata_file).await?;
    let after_refs = table_refs(after.metadata())?;
    let removed: HashSet<&str> = d.removed_refs.iter().map(|(n, _)| n.as_str()).collect();
    for (name, r) in table_refs(&base_md)? {
        if !after_refs.contains_key(&name) && !removed.contains(name.as_str()) {
            return Err(Error::CommitConflict {
                table: before.identifier().to_string(),
                reason: format!(
                    "ref '{name}' (snapshot {}) was created while snapshots were expired and the catalog dropped it with them; no file was deleted — recreate the ref from the metadata {}",
                    r.snapshot_id, base.metadata_file
                ),
            });
        }
    }
    Ok(())
}

fn stats_paths(md: &TableMetadata, snapshots: &[SnapshotRef]) -> HashSet<String> {
    let ids: HashSet<i64> = snapshots.iter().map(|s| s.snapshot_id()).collect();
    let mut out = HashSet::new();
    for s in md.statistics_iter() {
        if ids.contains(&s.snapshot_id) {
            out.insert(s.statistics_path.clone());
        }
    }
    for s in md.partition_statistics_iter() {
        if ids.contains(&s.snapshot_id) {
            out.insert(s.statistics_path.clone());
        }
    }
    out
}

fn delete_after_commit(table: &Table) -> Result<bool> {
    cleanup::prop_bool(
        table.metadata().properties(),
        "write.metadata.delete-after-commit.enabled",
    )
}

/// The metadata files a table's metadata still names: its log and its own location.
fn metadata_files_of(table: &Table) -> HashSet<String> {
    let mut out: HashSet<String> = table
        .metadata()
        .metadata_log()
        .iter()
        .map(|l| l.metadata_file.clone())
        .collect();
    if let Some(l) = table.metadata_location() {
        out.insert(l.to_string());
    }
    out
}

/// For a dry run: the metadata files the log keeps after one more commit (when the table
/// deletes old metadata files after commit), else every file it names now.
fn simulated_metadata_files(table: &Table) -> HashSet<String> {
    let md = table.metadata();
    let mut log: Vec<String> = md
        .metadata_log()
        .iter()
        .map(|l| l.metadata_file.clone())
        .collect();
    if let Some(l) = table.metadata_location() {
        log.push(l.to_string());
    }
    let max = md
        .properties()
        .get("write.metadata.previous-versions-max")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100)
        .max(1);
    let drop = log.len().saturating_sub(max);
    // the new metadata file is not known yet; the current one stays in the log
    log.split_off(drop).into_iter().collect()
}

/// Files reachable from `before`'s snapshots that `retained` snapshots do not reach.
/// `keep_metadata`: when set, metadata files of `before` not in it are included.
async fn unreachable_files(
    before: &Table,
    retained: &[SnapshotRef],
    retained_stats: &HashSet<String>,
    keep_metadata: Option<&HashSet<String>>,
) -> Result<Vec<PlannedFile>> {
    let norm = EqualSchemes::default();
    let retained_stats: HashSet<NormalizedPath> =
        retained_stats.iter().map(|p| norm.normalize(p)).collect();
    let keep_metadata: Option<HashSet<NormalizedPath>> =
        keep_metadata.map(|k| k.iter().map(|p| norm.normalize(p)).collect());
    let md = before.metadata();
    let io = before.file_io();
    let format = md.format_version();
    let retained_ids: HashSet<i64> = retained.iter().map(|s| s.snapshot_id()).collect();
    // paths are compared normalised (s3a:// and s3:// name the same object)
    let retained_lists: HashSet<NormalizedPath> = retained
        .iter()
        .map(|s| norm.normalize(s.manifest_list()))
        .collect();
    let expired: Vec<SnapshotRef> = md
        .snapshots()
        .filter(|s| !retained_ids.contains(&s.snapshot_id()))
        .filter(|s| !retained_lists.contains(&norm.normalize(s.manifest_list())))
        .cloned()
        .collect();
    let mut out: Vec<PlannedFile> = Vec::new();
    if !expired.is_empty() {
        let (expired_manifests, list_sizes) = manifests_of(io, format, &expired).await?;
        for (path, size) in list_sizes {
            out.push(PlannedFile {
                path,
                kind: FileKind::ManifestList,
                size: Some(size),
            });
        }
        let (retained_manifests, _) = manifests_of(io, format, retained).await?;
        let retained_paths: HashSet<NormalizedPath> = retained_manifests
            .keys()
            .map(|p| norm.normalize(p))
            .collect();
        let gone: Vec<_> = expired_manifests
            .into_iter()
            .filter(|(p, _)| !retained_paths.contains(&norm.normalize(p)))
            .map(|(_, m)| m)
            .collect();
        for m in &gone {
            out.push(PlannedFile {
                path: m.manifest_path.clone(),
                kind: FileKind::Manifest,
                size: Some(m.manifest_length.max(0) as u64),
            });
        }
        if !gone.is_empty() {
            let mut candidates = content_files(io, gone, Entries::All).await?;
            if !candidates.is_empty() {
                let live = content_files(
                    io,
                    retained_manifests.into_values().collect(),
                    Entries::Live,
                )
                .await?;
                let live: HashSet<NormalizedPath> =
                    live.keys().map(|p| norm.normalize(p)).collect();
                candidates.retain(|p, _| !live.contains(&norm.normalize(p)));
            }
            out.extend(candidates.into_values());
        }
    }
    let expired_stats: Vec<PlannedFile> = md
        .statistics_iter()
        .map(|s| {
            (
                s.statistics_path.clone(),
                s.file_size_in_bytes,
                FileKind::StatisticsFile,
            )
        })
        .chain(md.partition_statistics_iter().map(|s| {
            (
                s.statistics_path.clone(),
                s.file_size_in_bytes,
                FileKind::PartitionStatisticsFile,
            )
        }))
        .filter(|(p, _, _)| !retained_stats.contains(&norm.normalize(p)))
        .map(|(path, size, kind)| PlannedFile {
            path,
            kind,
            size: Some(size.max(0) as u64),
        })
        .collect();
    out.extend(expired_stats);
    if let Some(keep) = &keep_metadata {
        if delete_after_commit(before)? {
            for f in metadata_files_of(before) {
                if !keep.contains(&norm.normalize(&f)) {
                    out.push(PlannedFile {
                        path: f,
                        kind: FileKind::MetadataFile,
                        size: None,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_age_is_five_days() {
        assert_eq!(DEFAULT_MAX_SNAPSHOT_AGE_MS, 432_000_000);
    }
}
