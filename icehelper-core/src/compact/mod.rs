//! Bin-pack compaction: rewrite small (and too large) data files of each partition into files of
//! the target size, reading through delete files, and commit a `replace` snapshot.
//!
//! Options follow Iceberg's Spark procedure `rewrite_data_files`
//! (`target-file-size-bytes`, `min-file-size-bytes`, `max-file-size-bytes`, `min-input-files`,
//! `rewrite-all`, `delete-file-threshold`, `partial-progress.enabled`,
//! `partial-progress.max-commits`, `max-concurrent-file-group-rewrites`, `where`).
//!
//! The rewritten files keep the data sequence number of the snapshot compaction started from
//! (Spark's `use-starting-sequence-number`), so equality deletes committed meanwhile still apply
//! to them. A conflicting commit re-plans on the new table state: a group whose input files were
//! removed meanwhile, or that a new position delete may touch, is dropped (its new files
//! deleted); the others commit. Delete files that no remaining data file needs are removed in the
//! same commit.
//!
//! ```no_run
//! use icehelper_core::{catalog::{parse_table_ident, LakeCatalog}, compact::Compaction, config::CatalogConfig};
//! # async fn run() -> icehelper_core::Result<()> {
//! let catalog = LakeCatalog::open(&CatalogConfig::resolve(None, &Default::default())?).await?;
//! let metrics = Compaction::new(&catalog, parse_table_ident("demo.events")?)
//!     .with_target_file_size(std::num::NonZeroU64::new(128 << 20).unwrap())
//!     .with_where("region = 'eu'")
//!     .execute()
//!     .await?;
//! println!("{} files rewritten into {}", metrics.rewritten_data_files, metrics.added_data_files);
//! # Ok(()) }
//! ```

pub mod plan;
pub mod predicate;
mod rewrite;
mod validate;

use std::collections::HashSet;
use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use iceberg::spec::{DataFile, FormatVersion, Operation as SnapshotOperation};
use iceberg::table::Table;
use iceberg::TableIdent;
use serde::Serialize;

pub use plan::{CompactPlan, FileGroup};
pub use rewrite::writer_properties;

use crate::catalog::LakeCatalog;
use crate::commit::snapshot::SnapshotProducer;
use crate::commit::{commit_with_retry, delete_quietly, RetryPolicy};
use crate::error::{Error, Result};
use crate::metrics::{OperationMetrics, Run};

/// `min-input-files` default, as Spark's.
pub const DEFAULT_MIN_INPUT_FILES: NonZeroUsize = NonZeroUsize::new(5).unwrap();
/// `partial-progress.max-commits` default, as Spark's.
pub const DEFAULT_MAX_COMMITS: NonZeroUsize = NonZeroUsize::new(10).unwrap();

/// Compaction options, named after Spark's `rewrite_data_files` options; set them with
/// [`Compaction`]'s `with_*` setters, read them with [`Compaction::options`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompactOptions {
    /// `target-file-size-bytes` (default: the table's `write.target-file-size-bytes`, else 512 MiB).
    pub target_file_size: Option<u64>,
    /// `min-file-size-bytes` (default 75% of the target): smaller files are rewritten.
    pub min_file_size: Option<u64>,
    /// `max-file-size-bytes` (default 180% of the target): larger files are rewritten (split).
    pub max_file_size: Option<u64>,
    /// `min-input-files` (default 5): a group of fewer files is rewritten only when its bytes
    /// exceed the target.
    pub min_input_files: usize,
    /// `rewrite-all`: rewrite every file regardless of size.
    pub rewrite_all: bool,
    /// `delete-file-threshold`: rewrite any file with at least this many delete files.
    pub delete_file_threshold: usize,
    /// `where`: only files that may hold matching rows.
    pub filter: Option<String>,
    /// `partial-progress.enabled`: commit groups as they finish, in up to `max_commits` commits.
    pub partial_progress: bool,
    /// `partial-progress.max-commits` (default 10).
    pub max_commits: usize,
    /// `max-concurrent-file-group-rewrites` (default: the number of cores).
    pub max_concurrent_groups: usize,
    /// At most this many input files in all (the first groups of the plan that fit).
    pub max_files: Option<usize>,
    /// `max-file-group-size-bytes` (default 100 GiB).
    pub max_file_group_size: u64,
    /// The branch to compact (default `main`).
    pub branch: Option<String>,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            target_file_size: None,
            min_file_size: None,
            max_file_size: None,
            min_input_files: DEFAULT_MIN_INPUT_FILES.get(),
            rewrite_all: false,
            delete_file_threshold: usize::MAX,
            filter: None,
            partial_progress: false,
            max_commits: DEFAULT_MAX_COMMITS.get(),
            max_concurrent_groups: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            max_files: None,
            max_file_group_size: 100 << 30,
            branch: None,
        }
    }
}

/// What a compaction did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct CompactMetrics {
    /// Operation, table, dry run, commits, retries, snapshot, duration.
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// Groups in the plan.
    pub groups_planned: usize,
    /// Groups rewritten and committed (on a dry run: 0).
    pub groups_rewritten: usize,
    /// Groups dropped because a concurrent commit touched their files, or their rewrite failed
    /// under partial progress.
    pub groups_aborted: usize,
    /// Data files replaced (on a dry run: that would be).
    pub rewritten_data_files: u64,
    /// Their bytes.
    pub rewritten_bytes: u64,
    /// New data files written and committed (on a dry run: expected).
    pub added_data_files: u64,
    /// Their bytes (on a dry run: 0).
    pub added_bytes: u64,
    /// Delete files removed because nothing needs them any more.
    pub removed_delete_files: u64,
    /// Records read through deletes and written.
    pub rewritten_records: u64,
    /// The plan, on a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<CompactPlan>,
}

impl CompactMetrics {
    fn empty(operation: OperationMetrics, groups_planned: usize) -> Self {
        CompactMetrics {
            operation,
            groups_planned,
            groups_rewritten: 0,
            groups_aborted: 0,
            rewritten_data_files: 0,
            rewritten_bytes: 0,
            added_data_files: 0,
            added_bytes: 0,
            removed_delete_files: 0,
            rewritten_records: 0,
            plan: None,
        }
    }
}

/// A planned compaction: print its [`metrics`](Self::metrics) (a dry run), then
/// [`execute`](Self::execute) it, which rewrites exactly these groups (a conflicting commit
/// meanwhile re-validates them, as for any compaction).
#[must_use = "a plan changes nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct CompactionPlan<'a> {
    compaction: Compaction<'a>,
    table: Table,
    plan: CompactPlan,
    planned: OperationMetrics,
}

impl CompactionPlan<'_> {
    /// The groups, files and sizes planned.
    pub fn plan(&self) -> &CompactPlan {
        &self.plan
    }

    /// What executing would do: the dry run's report (the plan included).
    pub fn metrics(&self) -> CompactMetrics {
        let plan = &self.plan;
        let mut m = CompactMetrics::empty(self.planned.clone(), plan.groups.len());
        m.rewritten_data_files = plan.input_files() as u64;
        m.rewritten_bytes = plan.input_bytes();
        m.added_data_files = plan.expected_output_files();
        let rewritten: HashSet<String> = plan
            .groups
            .iter()
            .flat_map(|g| g.input_paths().map(str::to_string))
            .collect();
        m.removed_delete_files = plan.removable_deletes(&rewritten).len() as u64;
        m.plan = Some(plan.clone());
        m
    }

    /// Rewrites the planned groups and commits them.
    pub async fn execute(self) -> Result<CompactMetrics> {
        self.compaction.rewrite(self.table, self.plan).await
    }
}

into_future!(Compaction => CompactMetrics);

/// Called as file groups finish: `(groups done, groups planned, input bytes done)`.
pub type ProgressFn = Arc<dyn Fn(usize, usize, u64) + Send + Sync>;

/// A compaction of one table; see the [module docs](self).
#[must_use = "a compaction does nothing until execute() is awaited"]
#[derive(Clone)]
pub struct Compaction<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    options: CompactOptions,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Compaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compaction")
            .field("ident", &self.ident)
            .field("options", &self.options)
            .finish()
    }
}

impl<'a> Compaction<'a> {
    /// A compaction of `ident` with default options.
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent) -> Self {
        Compaction {
            catalog,
            ident,
            options: CompactOptions::default(),
            progress: None,
        }
    }

    /// `target-file-size-bytes` (default: the table's `write.target-file-size-bytes`, else
    /// 512 MiB; at least 1 MiB).
    pub fn with_target_file_size(mut self, bytes: NonZeroU64) -> Self {
        self.options.target_file_size = Some(bytes.get());
        self
    }

    /// `min-file-size-bytes`: files smaller than this are rewritten (default 75% of the target).
    pub fn with_min_file_size(mut self, bytes: NonZeroU64) -> Self {
        self.options.min_file_size = Some(bytes.get());
        self
    }

    /// `max-file-size-bytes`: files larger than this are split (default 180% of the target).
    pub fn with_max_file_size(mut self, bytes: NonZeroU64) -> Self {
        self.options.max_file_size = Some(bytes.get());
        self
    }

    /// `min-input-files` (default 5): a group of fewer files is rewritten only when its bytes
    /// exceed the target.
    pub fn with_min_input_files(mut self, n: NonZeroUsize) -> Self {
        self.options.min_input_files = n.get();
        self
    }

    /// `rewrite-all`: rewrite every file regardless of size.
    pub fn with_rewrite_all(mut self, yes: bool) -> Self {
        self.options.rewrite_all = yes;
        self
    }

    /// `delete-file-threshold`: rewrite any file with at least this many delete files.
    pub fn with_delete_file_threshold(mut self, n: NonZeroUsize) -> Self {
        self.options.delete_file_threshold = n.get();
        self
    }

    /// `where`: only files that may hold rows matching this filter.
    pub fn with_where(mut self, filter: impl Into<String>) -> Self {
        self.options.filter = Some(filter.into());
        self
    }

    /// `partial-progress.enabled`: commit groups as they finish (in up to
    /// [`with_max_commits`](Self::with_max_commits) commits) instead of all at the end.
    pub fn with_partial_progress(mut self, enabled: bool) -> Self {
        self.options.partial_progress = enabled;
        self
    }

    /// `partial-progress.max-commits` (default 10).
    pub fn with_max_commits(mut self, n: NonZeroUsize) -> Self {
        self.options.max_commits = n.get();
        self
    }

    /// `max-concurrent-file-group-rewrites` (default: the number of cores).
    pub fn with_max_concurrent_groups(mut self, n: NonZeroUsize) -> Self {
        self.options.max_concurrent_groups = n.get();
        self
    }

    /// Rewrites at most this many input files (the first groups of the plan that fit).
    pub fn with_max_files(mut self, n: usize) -> Self {
        self.options.max_files = Some(n);
        self
    }

    /// `max-file-group-size-bytes` (default 100 GiB): larger partitions are split into groups.
    pub fn with_max_file_group_size(mut self, bytes: NonZeroU64) -> Self {
        self.options.max_file_group_size = bytes.get();
        self
    }

    /// The options as set so far.
    pub fn options(&self) -> &CompactOptions {
        &self.options
    }

    /// Compacts this branch instead of `main`.
    pub fn with_branch(mut self, branch: impl Into<String>) -> Self {
        self.options.branch = Some(branch.into());
        self
    }

    /// Reports progress as file groups finish (for a progress bar).
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Loads the table and plans the groups; writes nothing. Print the plan's
    /// [`metrics`](CompactionPlan::metrics) (a dry run), then [`execute`](CompactionPlan::execute) it.
    pub async fn plan(&self) -> Result<CompactionPlan<'a>> {
        let run = Run::start(crate::metrics::Operation::Compact, &self.ident, true);
        self.check_options()?;
        let table = self.catalog.load_table(&self.ident).await?;
        let plan = plan::plan(&table, &self.options).await?;
        Ok(CompactionPlan {
            compaction: self.clone(),
            table,
            plan,
            planned: run.finish(),
        })
    }

    fn check_options(&self) -> Result<()> {
        let o = &self.options;
        for (name, v) in [
            ("target-file-size-bytes", o.target_file_size),
            ("min-file-size-bytes", o.min_file_size),
            ("max-file-size-bytes", o.max_file_size),
        ] {
            if v == Some(0) {
                return Err(Error::option(name, "must be a positive size"));
            }
        }
        if let Some(t) = o
            .target_file_size
            .filter(|t| *t < crate::health::MIN_TARGET_FILE_SIZE)
        {
            return Err(Error::option(
                "target-file-size-bytes",
                format!("{t} bytes is below the floor of 1 MiB: files that small are mostly Parquet footer"),
            ));
        }
        if o.max_commits == 0 {
            return Err(Error::option(
                "partial-progress.max-commits",
                "must be at least 1",
            ));
        }
        if o.max_concurrent_groups == 0 {
            return Err(Error::option(
                "max-concurrent-file-group-rewrites",
                "must be at least 1",
            ));
        }
        if o.delete_file_threshold == 0 {
            return Err(Error::option("delete-file-threshold", "must be at least 1"));
        }
        Ok(())
    }

    /// Plans, rewrites and commits; awaiting the builder itself does the same.
    pub async fn execute(self) -> Result<CompactMetrics> {
        self.plan().await?.execute().await
    }

    /// Rewrites and commits the groups of `plan`, made on `table`.
    async fn rewrite(self, table: Table, plan: CompactPlan) -> Result<CompactMetrics> {
        let mut run = Run::start(crate::metrics::Operation::Compact, &self.ident, false);
        let mut metrics = CompactMetrics::empty(run.snapshot(), plan.groups.len());
        if plan.groups.is_empty() {
            metrics.operation = run.finish();
            return Ok(metrics);
        }
        let policy = RetryPolicy::for_write(table.metadata().properties());
        let properties = writer_properties(table.metadata().properties())?;
        let plan = Arc::new(plan);
        let per_commit = if self.options.partial_progress {
            plan.groups.len().div_ceil(self.options.max_commits)
        } else {
            plan.groups.len()
        };
        let concurrency = self.options.max_concurrent_groups;
        // two files read at once per group, so one group alone still uses both cores
        let read_concurrency = 2;
        let target = plan.target_file_size;

        let mut rewrites = stream::iter(plan.groups.iter().cloned().map(|group| {
            let table = table.clone();
            let properties = properties.clone();
            tokio::spawn(async move {
                let files =
                    rewrite::rewrite_group(&table, &group, target, properties, read_concurrency)
                        .await;
                (group, files)
            })
        }))
        .buffer_unordered(concurrency);

        // data and delete files this compaction has already removed (earlier partial commits)
        let mut committed_inputs: HashSet<String> = HashSet::new();
        let mut pending: Vec<(FileGroup, Vec<DataFile>)> = Vec::new();
        let mut finished = 0usize;
        let mut failure: Option<Error> = None;
        let mut bytes_done = 0u64;
        while let Some(joined) = rewrites.next().await {
            finished += 1;
            let (group, files) = match joined {
                Ok(r) => r,
                Err(e) => {
                    failure.get_or_insert(Error::option(
                        "compact",
                        format!("a rewrite task failed: {e}"),
                    ));
                    continue;
                }
            };
            bytes_done += group.input_bytes;
            if let Some(p) = &self.progress {
                p(finished, plan.groups.len(), bytes_done);
            }
            match files {
                Ok(files) => pending.push((group, files)),
                Err(e) => {
                    tracing::warn!(group = group.index, partition = %group.partition_path(), error = %e, "rewriting a file group failed");
                    metrics.groups_aborted += 1;
                    failure.get_or_insert(e);
                }
            }
            if !self.options.partial_progress && failure.is_some() {
                break;
            }
            let last = finished == plan.groups.len();
            if (pending.len() >= per_commit || last)
                && !pending.is_empty()
                && (self.options.partial_progress || failure.is_none())
            {
                let batch = std::mem::take(&mut pending);
                match self
                    .commit_groups(
                        &plan,
                        batch,
                        &mut committed_inputs,
                        policy,
                        &mut run,
                        &mut metrics,
                    )
                    .await
                {
                    Ok(()) => {}
                    Err(e) if self.options.partial_progress => {
                        tracing::warn!(error = %e, "a partial-progress commit failed");
                        failure.get_or_insert(e);
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        drop(rewrites);
        if let Some(e) = failure {
            // nothing of these groups was committed: their new files go
            let orphans: Vec<String> = pending
                .iter()
                .flat_map(|(_, files)| files.iter().map(|f| f.file_path().to_string()))
                .collect();
            delete_quietly(self.catalog, &orphans).await;
            if !self.options.partial_progress || run.commits() == 0 {
                return Err(e);
            }
        }
        metrics.operation = run.finish();
        Ok(metrics)
    }

    /// Commits rewritten groups as one `replace` snapshot, re-planning on conflicts.
    async fn commit_groups(
        &self,
        plan: &Arc<CompactPlan>,
        groups: Vec<(FileGroup, Vec<DataFile>)>,
        committed_inputs: &mut HashSet<String>,
        policy: RetryPolicy,
        run: &mut Run,
        metrics: &mut CompactMetrics,
    ) -> Result<()> {
        crate::commit::failpoint("compact.before-commit");
        let start = plan.snapshot_id.expect("groups imply a snapshot");
        let start_seq = plan.sequence_number;
        let branch = plan.branch.clone();
        let groups = Arc::new(groups);
        let already: Arc<HashSet<String>> = Arc::new(committed_inputs.clone());
        let result = commit_with_retry(self.catalog, &self.ident, policy, |table: Table| {
            let groups = groups.clone();
            let plan = plan.clone();
            let branch = branch.clone();
            let already = already.clone();
            async move {
                let head = table
                    .metadata()
                    .snapshot_for_ref(&branch)
                    .map(|s| s.snapshot_id());
                let changes = if head == Some(start) {
                    validate::ChangesSince::default()
                } else {
                    validate::changes_since(&table, &branch, start).await?
                };
                let mut keep = Vec::new();
                let mut aborted = Vec::new();
                for (i, (g, _)) in groups.iter().enumerate() {
                    let touched = g.tasks.iter().any(|t| {
                        changes.removed.contains(&t.data_file_path)
                            || changes.may_delete_from(
                                &t.data_file_path,
                                g.spec_id,
                                t.partition
                                    .as_ref()
                                    .unwrap_or(&iceberg::spec::Struct::empty()),
                            )
                    });
                    if touched {
                        aborted.push(i);
                    } else {
                        keep.push(i);
                    }
                }
                if keep.is_empty() {
                    return Ok((None, (keep, aborted, None, Vec::new())));
                }
                let mut rewritten: HashSet<String> = (*already).clone();
                for &i in &keep {
                    rewritten.extend(groups[i].0.input_paths().map(str::to_string));
                }
                let removable: Vec<String> = plan
                    .removable_deletes(&rewritten)
                    .into_iter()
                    .filter(|d| !changes.removed.contains(d) && !already.contains(d))
                    .collect();
                let inputs = keep
                    .iter()
                    .flat_map(|&i| groups[i].0.input_paths().map(str::to_string));
                let added = keep.iter().flat_map(|&i| groups[i].1.iter().cloned());
                let mut producer = SnapshotProducer::new(&table, SnapshotOperation::Replace)
                    .with_branch(branch.clone())
                    .with_added_data_files(added)
                    .with_removed_files(inputs.chain(removable.iter().cloned()))
                    .with_summary_property("icehelper.operation", "compact");
                if table.metadata().format_version() != FormatVersion::V1 {
                    producer = producer.with_data_sequence_number(start_seq);
                }
                let produced = producer.produce().await?;
                Ok((
                    Some(produced.change.clone()),
                    (keep, aborted, Some(produced), removable),
                ))
            }
        })
        .await;
        let committed = match result {
            Ok(c) => c,
            Err(e) => {
                let files: Vec<String> = groups
                    .iter()
                    .flat_map(|(_, f)| f.iter().map(|d| d.file_path().to_string()))
                    .collect();
                if !matches!(e, Error::CommitStateUnknown { .. }) {
                    delete_quietly(self.catalog, &files).await;
                }
                return Err(e);
            }
        };
        run.record(&committed);
        let (keep, aborted, produced, removed_deletes) = committed.value;
        let dropped: Vec<String> = aborted
            .iter()
            .flat_map(|&i| groups[i].1.iter().map(|d| d.file_path().to_string()))
            .collect();
        delete_quietly(self.catalog, &dropped).await;
        metrics.groups_aborted += aborted.len();
        if let (Some(produced), Some(_)) = (produced, committed.table) {
            run.set_snapshot(Some(produced.snapshot_id));
            metrics.groups_rewritten += keep.len();
            committed_inputs.extend(removed_deletes);
            metrics.rewritten_data_files += produced.counts.removed_data_files;
            metrics.added_data_files += produced.counts.added_data_files;
            metrics.removed_delete_files += produced.counts.removed_delete_files;
            metrics.rewritten_records += produced.counts.added_records;
            for &i in &keep {
                let (g, files) = &groups[i];
                committed_inputs.extend(g.input_paths().map(str::to_string));
                metrics.rewritten_bytes += g.input_bytes;
                metrics.added_bytes += files.iter().map(|f| f.file_size_in_bytes()).sum::<u64>();
            }
        }
        Ok(())
    }
}
