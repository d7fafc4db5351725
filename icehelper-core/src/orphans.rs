//! `remove-orphan-files`: delete files under a table's locations that no metadata references.
//!
//! Referenced is: every `metadata.json` in the metadata log and the current one, `version-hint.text`,
//! every snapshot's manifest list (all snapshots of the table, not only those of refs), every
//! manifest they list, every live data and delete file of those manifests, statistics and
//! partition statistics files. Listed are the table location and `write.data.path` /
//! `write.metadata.path` when set (or one `--location` inside them). A listed file is an orphan
//! when nothing referenced has its path and it is older than the cutoff (3 days by default; under
//! 24 hours is refused without `allow_recent`, since in-flight writers' files are not referenced
//! yet).
//!
//! Tables can share locations (one data bucket for many tables with `write.data.path` and
//! `write.object-storage.enabled`, or a table created inside another's folder). Every other table
//! of the catalog whose locations overlap the listed ones is loaded and its referenced files are
//! kept as well, so a file another table references is never deleted; a table of the catalog
//! that cannot be loaded is a refusal. (Spark's `remove_orphan_files` lists only the table
//! location and knows nothing of other tables.) Files of tables in *other* catalogs under a shared
//! location cannot be seen: do not point a listing at such a prefix.
//!
//! Paths are compared as Spark's `DeleteOrphanFiles` does: by path (percent-decoded, no repeated
//! or trailing slashes), then scheme (with `s3a`/`s3n` equal to `s3`, and `--equal-schemes`) and
//! authority; a listed file whose path is referenced under another scheme or authority is an
//! error by default ([`PrefixMismatchMode`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::table::Table;
use iceberg::TableIdent;
use serde::Serialize;

use crate::catalog::LakeCatalog;
use crate::cleanup::{
    self, check_list_totals, content_files, delete_files, manifest_lists, DeletionReport, Entries,
    EqualSchemes, FileKind, KindCount, NormalizedPath, PlannedFile,
};
use crate::commit::snapshot::metadata_dir;
use crate::error::{Error, Result};
use crate::metrics::{Operation, OperationMetrics, Run};
use crate::storage::ObjectStorage;

/// Default age below which listed files are never removed.
pub const DEFAULT_OLDER_THAN_HOURS: i64 = 72;
/// Ages under this are refused unless explicitly allowed.
pub const MIN_SAFE_AGE_HOURS: i64 = 24;

/// What to do with a listed file whose path is referenced under another scheme or authority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefixMismatchMode {
    /// Refuse: nothing is deleted.
    #[default]
    Error,
    /// Keep such files.
    Ignore,
    /// Delete such files.
    Delete,
}

/// Removes files no metadata of the table references.
#[must_use = "orphan removal does nothing until plan() or execute() is awaited"]
#[derive(Debug, Clone)]
pub struct RemoveOrphanFiles<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    older_than: Option<DateTime<Utc>>,
    allow_recent: bool,
    location: Option<String>,
    equal_schemes: EqualSchemes,
    prefix_mismatch: PrefixMismatchMode,
    max_concurrent_deletes: usize,
    now: DateTime<Utc>,
}

/// What an orphan removal did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrphanMetrics {
    /// The fields every operation reports.
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// Files older than this were candidates (RFC 3339).
    pub older_than: String,
    /// The locations listed.
    pub locations: Vec<String>,
    /// Other tables of the catalog whose locations overlap the listed ones (a shared
    /// `write.data.path`, a table inside another's folder): their files count as referenced.
    pub shared_with: Vec<String>,
    /// Files listed.
    pub listed_files: u64,
    /// Listed files the metadata (of this table or of one sharing its locations) references.
    pub referenced_files: u64,
    /// Files no metadata references but younger than the cutoff (kept).
    pub too_recent_files: u64,
    /// Files whose path is referenced under another scheme or authority.
    pub prefix_mismatches: u64,
    /// Orphans deleted (on a dry run: to delete).
    pub deleted_files: u64,
    /// Their bytes.
    pub deleted_bytes: u64,
    /// Per kind (`other` for orphans: the metadata does not say what they are).
    pub deleted_by_kind: BTreeMap<FileKind, KindCount>,
    /// Files whose deletion failed.
    pub failed_deletes: Vec<String>,
    /// Files that were already gone when their deletion came (not counted as deleted).
    pub missing_files: Vec<String>,
    /// The orphans (deleted, or on a dry run to delete).
    pub files: Vec<PlannedFile>,
}

impl<'a> RemoveOrphanFiles<'a> {
    /// Orphan removal on `ident` with the defaults (3 days, the table's own locations).
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent) -> Self {
        RemoveOrphanFiles {
            catalog,
            ident,
            older_than: None,
            allow_recent: false,
            location: None,
            equal_schemes: EqualSchemes::default(),
            prefix_mismatch: PrefixMismatchMode::Error,
            max_concurrent_deletes: cleanup::DEFAULT_MAX_CONCURRENT_DELETES.get(),
            now: Utc::now(),
        }
    }

    /// Only files last modified before this are removed.
    pub fn with_older_than(mut self, ts: DateTime<Utc>) -> Self {
        self.older_than = Some(ts);
        self
    }

    /// Allows a cutoff less than 24 hours ago (files of writers still in flight may go).
    pub fn with_allow_recent(mut self, allow: bool) -> Self {
        self.allow_recent = allow;
        self
    }

    /// Lists only this location (it must be inside one of the table's locations).
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Treats `scheme` as `as_scheme` (beside `s3a`/`s3n` = `s3`).
    pub fn with_equal_scheme(mut self, scheme: &str, as_scheme: &str) -> Self {
        self.equal_schemes = self.equal_schemes.with(scheme, as_scheme);
        self
    }

    /// What to do with a path referenced under another scheme or authority.
    pub fn with_prefix_mismatch(mut self, mode: PrefixMismatchMode) -> Self {
        self.prefix_mismatch = mode;
        self
    }

    /// Deletes this many files at once.
    pub fn with_max_concurrent_deletes(mut self, n: std::num::NonZeroUsize) -> Self {
        self.max_concurrent_deletes = n.get();
        self
    }

    /// Uses this as the current time.
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    fn cutoff(&self) -> Result<DateTime<Utc>> {
        let cutoff = self
            .older_than
            .unwrap_or(self.now - chrono::Duration::hours(DEFAULT_OLDER_THAN_HOURS));
        if !self.allow_recent && cutoff > self.now - chrono::Duration::hours(MIN_SAFE_AGE_HOURS) {
            return Err(Error::UnsafeAge {
                cutoff: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                min_hours: MIN_SAFE_AGE_HOURS,
            });
        }
        Ok(cutoff)
    }

    /// Lists, compares and returns the orphans without deleting anything.
    pub async fn plan(&self) -> Result<OrphanPlan<'a>> {
        let run = Run::start(Operation::RemoveOrphanFiles, &self.ident, true);
        let cutoff = self.cutoff()?;
        let table = self.catalog.load_table(&self.ident).await?;
        if !cleanup::gc_enabled(table.metadata().properties())? {
            return Err(Error::GcDisabled {
                table: self.ident.to_string(),
            });
        }
        let mut m = self.find(&table, cutoff).await?;
        m.operation = run.finish();
        Ok(OrphanPlan {
            removal: self.clone(),
            metadata_location: table.metadata_location().map(str::to_string),
            metrics: m,
        })
    }

    /// Plans and deletes the orphans; awaiting the builder itself does the same.
    pub async fn execute(self) -> Result<OrphanMetrics> {
        self.plan().await?.execute().await
    }

    /// Every other table of the catalog with a location overlapping `locations`. A table that
    /// cannot be loaded is a refusal: its files might be under them.
    async fn tables_sharing(&self, locations: &[String]) -> Result<Vec<Table>> {
        let norm = &self.equal_schemes;
        let listed: Vec<_> = locations.iter().map(|l| norm.normalize(l)).collect();
        let mut idents = Vec::new();
        let mut namespaces = self.catalog.list_namespaces(None).await?;
        let mut visited = HashSet::new();
        while let Some(ns) = namespaces.pop() {
            if !visited.insert(ns.clone()) {
                continue;
            }
            idents.extend(self.catalog.list_tables(&ns).await?);
            // nested namespaces, where the catalog has them
            if let Ok(children) = self.catalog.list_namespaces(Some(&ns)).await {
                namespaces.extend(children);
            }
        }
        idents.retain(|i| i != &self.ident);
        idents.sort_by_key(|i| i.to_string());
        idents.dedup();
        let tables: Vec<Table> = stream::iter(idents)
            .map(|ident| async move {
                self.catalog
                    .load_table(&ident)
                    .await
                    .map_err(|e| Error::SharedLocationUnverified {
                        table: self.ident.to_string(),
                        other: ident.to_string(),
                        source: Box::new(e),
                    })
            })
            .buffer_unordered(cleanup::READ_CONCURRENCY)
            .try_collect()
            .await?;
        let mut sharing: Vec<Table> = tables
            .into_iter()
            .filter(|t| {
                table_roots(t)
                    .iter()
                    .any(|r| listed.iter().any(|l| l.overlaps(&norm.normalize(r))))
            })
            .collect();
        sharing.sort_by_key(|t| t.identifier().to_string());
        Ok(sharing)
    }

    async fn find(&self, table: &Table, cutoff: DateTime<Utc>) -> Result<OrphanMetrics> {
        let ident = self.ident.to_string();
        let norm = &self.equal_schemes;
        let roots = table_roots(table);
        let locations = match &self.location {
            None => roots.clone(),
            Some(l) => {
                let n = norm.normalize(l);
                let inside = roots.iter().any(|r| n.is_within(&norm.normalize(r)));
                if !inside {
                    return Err(Error::option(
                        "location",
                        format!(
                            "{l} is not inside the table's locations ({}): files there may belong to other tables",
                            roots.join(", ")
                        ),
                    ));
                }
                vec![l.clone()]
            }
        };
        // referenced: path -> the full location it is referenced as; files of every other table
        // whose locations overlap the listed ones count as referenced too
        let mut referenced = referenced_files(table).await?;
        let shared_with = self.tables_sharing(&locations).await?;
        for other in &shared_with {
            referenced.extend(referenced_files(other).await?);
        }
        let mut by_path: HashMap<String, Vec<NormalizedPath>> = HashMap::new();
        for r in &referenced {
            let n = norm.normalize(r);
            by_path.entry(n.path.clone()).or_default().push(n);
        }
        let storage = ObjectStorage::new(
            self.catalog
                .config()
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(
                    table
                        .metadata()
                        .properties()
                        .iter()
                        .filter(|(k, _)| k.starts_with("s3."))
                        .map(|(k, v)| (k.clone(), v.clone())),
                )
                .collect(),
        );
        let mut listed = Vec::new();
        let mut seen = HashSet::new();
        for loc in &locations {
            for f in storage.list(loc).await.map_err(|e| Error::Storage {
                location: loc.clone(),
                reason: crate::catalog::one_line(&e),
            })? {
                if seen.insert(f.location.clone()) {
                    listed.push(f);
                }
            }
        }
        let mut m = OrphanMetrics {
            older_than: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            locations,
            listed_files: listed.len() as u64,
            shared_with: shared_with
                .iter()
                .map(|t| t.identifier().to_string())
                .collect(),
            // the shared fields are the driver's: plan() and execute() set them
            operation: Run::start(Operation::RemoveOrphanFiles, &self.ident, true).finish(),
            referenced_files: 0,
            too_recent_files: 0,
            prefix_mismatches: 0,
            deleted_files: 0,
            deleted_bytes: 0,
            deleted_by_kind: BTreeMap::new(),
            failed_deletes: Vec::new(),
            missing_files: Vec::new(),
            files: Vec::new(),
        };
        let mut mismatch: Option<(String, String)> = None;
        let mut orphans = Vec::new();
        for f in listed {
            let n = norm.normalize(&f.location);
            let orphan = match by_path.get(&n.path) {
                None => true,
                Some(refs)
                    if refs
                        .iter()
                        .any(|r| r.scheme == n.scheme && r.authority == n.authority) =>
                {
                    m.referenced_files += 1;
                    false
                }
                Some(refs) => {
                    m.prefix_mismatches += 1;
                    if mismatch.is_none() {
                        let r = &refs[0];
                        mismatch = Some((
                            f.location.clone(),
                            format!("{}://{}{}", r.scheme, r.authority, r.path),
                        ));
                    }
                    self.prefix_mismatch == PrefixMismatchMode::Delete
                }
            };
            if !orphan {
                continue;
            }
            if f.last_modified >= cutoff {
                m.too_recent_files += 1;
                continue;
            }
            orphans.push(PlannedFile {
                path: f.location,
                kind: FileKind::Other,
                size: Some(f.size),
            });
        }
        if let (PrefixMismatchMode::Error, Some((listed, referenced))) =
            (self.prefix_mismatch, mismatch)
        {
            return Err(Error::PrefixMismatch {
                table: ident,
                count: m.prefix_mismatches as usize,
                listed,
                referenced,
            });
        }
        orphans.sort_by(|a, b| a.path.cmp(&b.path));
        let report = DeletionReport::planned(&orphans);
        m.deleted_files = report.files;
        m.deleted_bytes = report.bytes;
        m.deleted_by_kind = report.by_kind;
        m.files = orphans;
        Ok(m)
    }
}

/// The table location, and `write.data.path` / `write.metadata.path` (and the older
/// `write.object-storage.path`, `write.folder-storage.path`) when set outside it.
pub fn table_roots(table: &Table) -> Vec<String> {
    let md = table.metadata();
    let mut roots = vec![md.location().trim_end_matches('/').to_string()];
    let norm = EqualSchemes::default();
    for key in [
        "write.data.path",
        "write.metadata.path",
        "write.object-storage.path",
        "write.folder-storage.path",
    ] {
        if let Some(p) = md.properties().get(key) {
            let p = p.trim_end_matches('/').to_string();
            let n = norm.normalize(&p);
            let covered = roots.iter().any(|r| n.is_within(&norm.normalize(r)));
            if !covered {
                roots.push(p);
            }
        }
    }
    roots
}

/// Every file the table's metadata references (see the module docs).
pub async fn referenced_files(table: &Table) -> Result<HashSet<String>> {
    let md = table.metadata();
    let io = table.file_io();
    let mut out: HashSet<String> = HashSet::new();
    if let Some(l) = table.metadata_location() {
        out.insert(l.to_string());
    }
    for l in md.metadata_log() {
        out.insert(l.metadata_file.clone());
    }
    out.insert(format!("{}/version-hint.text", metadata_dir(table)));
    for s in md.statistics_iter() {
        out.insert(s.statistics_path.clone());
    }
    for s in md.partition_statistics_iter() {
        out.insert(s.statistics_path.clone());
    }
    let snapshots: Vec<_> = md.snapshots().cloned().collect();
    for s in &snapshots {
        out.insert(s.manifest_list().to_string());
    }
    let lists = manifest_lists(io, md.format_version(), &snapshots).await?;
    check_list_totals(&snapshots, &lists)?;
    let mut manifests = HashMap::new();
    for (_, ms, _) in lists {
        for m in ms {
            manifests.entry(m.manifest_path.clone()).or_insert(m);
        }
    }
    out.extend(manifests.keys().cloned());
    let files = content_files(io, manifests.into_values().collect(), Entries::Live).await?;
    out.extend(files.into_keys());
    Ok(out)
}

into_future!(RemoveOrphanFiles => OrphanMetrics);

/// The orphans found: print [`metrics`](Self::metrics) (a dry run), then
/// [`execute`](Self::execute), which deletes exactly these files, unless the table has moved
/// since the plan: then it looks again (a commit meanwhile may reference a listed file).
#[must_use = "a plan changes nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct OrphanPlan<'a> {
    removal: RemoveOrphanFiles<'a>,
    metadata_location: Option<String>,
    metrics: OrphanMetrics,
}

impl OrphanPlan<'_> {
    /// What executing would do: the dry run's report, every orphan in `files`.
    pub fn metrics(&self) -> OrphanMetrics {
        self.metrics.clone()
    }

    /// Deletes the planned orphans.
    pub async fn execute(self) -> Result<OrphanMetrics> {
        let op = &self.removal;
        let run = Run::start(Operation::RemoveOrphanFiles, &op.ident, false);
        let table = op.catalog.load_table(&op.ident).await?;
        let mut m = if table.metadata_location() == self.metadata_location.as_deref() {
            self.metrics
        } else {
            tracing::info!(table = %op.ident, "the table moved since the plan; looking for orphans again");
            if !cleanup::gc_enabled(table.metadata().properties())? {
                return Err(Error::GcDisabled {
                    table: op.ident.to_string(),
                });
            }
            op.find(&table, op.cutoff()?).await?
        };
        let report =
            delete_files(table.file_io(), m.files.clone(), op.max_concurrent_deletes).await;
        m.deleted_files = report.files;
        m.deleted_bytes = report.bytes;
        m.deleted_by_kind = report.by_kind;
        let kept: HashSet<&String> = report.failed.iter().chain(&report.missing).collect();
        m.files.retain(|f| !kept.contains(&f.path));
        m.failed_deletes = report.failed;
        m.missing_files = report.missing;
        m.operation = run.finish();
        Ok(m)
    }
}
