//! Building a snapshot that adds and removes files, from iceberg's public parts.
//!
//! [`SnapshotProducer`] does what Iceberg Java's `MergingSnapshotProducer` does for a
//! `RewriteFiles`/`OverwriteFiles`/`RowDelta` commit:
//!
//! - manifests of the parent that list none of the removed files are carried over as they are
//!   (same file, same sequence numbers);
//! - a manifest that lists a removed file is rewritten (in its own partition spec): the removed
//!   entries become `DELETED` by the new snapshot, every other live entry stays `EXISTING` with
//!   its snapshot id, data and file sequence numbers and all its column statistics;
//! - added data files go into a new manifest, with an explicit data sequence number when asked
//!   (compaction keeps the starting snapshot's, so equality deletes committed meanwhile still
//!   apply to the rewritten rows), added delete files into a new delete manifest;
//! - the summary carries Java's fields (`added-data-files`, `deleted-records`, `removed-files-size`,
//!   delete-file counts, `changed-partition-count`, the `total-*` fields);
//! - the commit requires the table's UUID and the branch's snapshot to be what it was built on.
//!
//! Every removed file must be live in the parent: a file that is gone (a concurrent commit
//! removed it) is an [`Error::CommitConflict`], so a re-planned attempt never removes twice.

use std::collections::{BTreeMap, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::io::FileIO;
use iceberg::spec::{
    DataContentType, DataFile, FormatVersion, Manifest, ManifestContentType, ManifestFile,
    ManifestListWriter, ManifestWriter, ManifestWriterBuilder, Operation, PartitionSpec, SchemaRef,
    Snapshot, SnapshotRef, SnapshotReference, SnapshotRetention, Struct, Summary, MAIN_BRANCH,
};
use iceberg::table::Table;
use iceberg::{TableRequirement, TableUpdate};
use serde::Serialize;

use super::TableChange;
use crate::error::{Error, Result};

const MANIFEST_READ_CONCURRENCY: usize = 8;

/// Counts of what a snapshot adds and removes (the numbers behind its summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    /// Data files added.
    pub added_data_files: u64,
    /// Data files removed.
    pub removed_data_files: u64,
    /// Delete files added.
    pub added_delete_files: u64,
    /// Delete files removed.
    pub removed_delete_files: u64,
    /// Records in added data files.
    pub added_records: u64,
    /// Records in removed data files.
    pub removed_records: u64,
    /// Bytes of added files (data and delete).
    pub added_bytes: u64,
    /// Bytes of removed files (data and delete).
    pub removed_bytes: u64,
}

/// A snapshot ready to commit.
#[derive(Debug, Clone)]
pub struct ProducedSnapshot {
    /// The requirements and updates to commit, with the manifests and manifest list as staged
    /// files.
    pub change: TableChange,
    /// The new snapshot's id.
    pub snapshot_id: i64,
    /// The snapshot it was built on (`None` for a branch's first snapshot).
    pub parent_snapshot_id: Option<i64>,
    /// Its sequence number.
    pub sequence_number: i64,
    /// What it adds and removes.
    pub counts: ChangeCounts,
}

/// Builds a snapshot that adds and removes data and delete files on one branch.
#[must_use = "a producer does nothing until produce() is awaited"]
#[derive(Debug)]
pub struct SnapshotProducer<'a> {
    table: &'a Table,
    branch: String,
    operation: Operation,
    added_data: Vec<DataFile>,
    added_deletes: Vec<DataFile>,
    removed: HashSet<String>,
    data_sequence_number: Option<i64>,
    extra_summary: BTreeMap<String, String>,
}

impl<'a> SnapshotProducer<'a> {
    /// A producer of a snapshot of `operation` on `table`'s `main` branch.
    pub fn new(table: &'a Table, operation: Operation) -> Self {
        SnapshotProducer {
            table,
            branch: MAIN_BRANCH.to_string(),
            operation,
            added_data: Vec::new(),
            added_deletes: Vec::new(),
            removed: HashSet::new(),
            data_sequence_number: None,
            extra_summary: BTreeMap::new(),
        }
    }

    /// Commits to this branch instead of `main`.
    pub fn with_branch(mut self, branch: impl Into<String>) -> Self {
        self.branch = branch.into();
        self
    }

    /// Adds data files (written in the table's default partition spec).
    pub fn with_added_data_files(mut self, files: impl IntoIterator<Item = DataFile>) -> Self {
        self.added_data.extend(files);
        self
    }

    /// Adds delete files (written in the table's default partition spec).
    pub fn with_added_delete_files(mut self, files: impl IntoIterator<Item = DataFile>) -> Self {
        self.added_deletes.extend(files);
        self
    }

    /// Removes these data or delete files (by path); each must be live on the branch.
    pub fn with_removed_files(mut self, paths: impl IntoIterator<Item = String>) -> Self {
        self.removed.extend(paths);
        self
    }

    /// Gives added data files this data sequence number instead of the new snapshot's
    /// (Iceberg's `use-starting-sequence-number` for rewrites).
    pub fn with_data_sequence_number(mut self, sequence_number: i64) -> Self {
        self.data_sequence_number = Some(sequence_number);
        self
    }

    /// Adds a property to the snapshot summary.
    pub fn with_summary_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.extra_summary.insert(key.into(), value.into());
        self
    }

    /// Writes the manifests and the manifest list and returns the change to commit.
    pub async fn produce(self) -> Result<ProducedSnapshot> {
        let table = self.table;
        let md = table.metadata();
        let ident = table.identifier().to_string();
        let retention = self.branch_retention(&ident)?;
        let parent = md.snapshot_for_ref(&self.branch).cloned();
        let parent_id = parent.as_ref().map(|s| s.snapshot_id());
        let snapshot_id = unique_snapshot_id(table);
        let sequence_number = if md.format_version() == FormatVersion::V1 {
            0
        } else {
            md.next_sequence_number()
        };
        let mut staging = Staging::new(table, snapshot_id);
        let mut tally = Tally::default();

        let (mut keep, scanned) = self.manifests_to_scan(parent.as_ref()).await?;
        let rewritten = self
            .rewrite_removed(&mut staging, &mut tally, scanned, &mut keep, &ident)
            .await?;
        let new_manifests = self.write_added(&mut staging, &mut tally, &ident).await?;
        // The manifest list: new manifests first, then rewritten, then carried over.
        let list_path = staging
            .write_manifest_list(
                parent_id,
                sequence_number,
                new_manifests.into_iter().chain(rewritten).chain(keep),
            )
            .await?;

        let previous = parent.as_ref().map(|s| s.summary());
        let mut props = tally
            .summary
            .into_properties(previous, tally.partitions.len());
        props.extend(self.extra_summary);
        let snapshot = Snapshot::builder()
            .with_snapshot_id(snapshot_id)
            .with_parent_snapshot_id(parent_id)
            .with_sequence_number(sequence_number)
            .with_timestamp_ms(
                chrono::Utc::now()
                    .timestamp_millis()
                    .max(md.last_updated_ms()),
            )
            .with_manifest_list(list_path)
            .with_schema_id(md.current_schema_id())
            .with_summary(Summary {
                operation: self.operation,
                additional_properties: props.into_iter().collect(),
            })
            .build();
        let change = TableChange {
            requirements: vec![
                TableRequirement::UuidMatch { uuid: md.uuid() },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.branch.clone(),
                    snapshot_id: parent_id,
                },
            ],
            updates: vec![
                TableUpdate::AddSnapshot { snapshot },
                TableUpdate::SetSnapshotRef {
                    ref_name: self.branch.clone(),
                    reference: SnapshotReference::new(snapshot_id, retention),
                },
            ],
            staged_files: staging.staged,
        };
        Ok(ProducedSnapshot {
            change,
            snapshot_id,
            parent_snapshot_id: parent_id,
            sequence_number,
            counts: tally.counts,
        })
    }

    /// The retention of the branch to commit to (a new branch's is the default), refusing
    /// format v3 tables and tags.
    fn branch_retention(&self, ident: &str) -> Result<SnapshotRetention> {
        let md = self.table.metadata();
        if md.format_version() == FormatVersion::V3 {
            return Err(Error::option(
                "format-version",
                format!(
                    "table '{ident}' is format version 3; icehelper writes versions 1 and 2 only"
                ),
            ));
        }
        let retention = crate::catalog::table_refs(md)?
            .get(&self.branch)
            .map(|r| r.retention.clone())
            .unwrap_or(SnapshotRetention::Branch {
                min_snapshots_to_keep: None,
                max_snapshot_age_ms: None,
                max_ref_age_ms: None,
            });
        if !matches!(retention, SnapshotRetention::Branch { .. }) {
            return Err(Error::option(
                "branch",
                format!(
                    "'{}' is a tag of table '{ident}'; only branches take new snapshots",
                    self.branch
                ),
            ));
        }
        Ok(retention)
    }

    /// The parent's live manifests: those kept as they are, and those read (once each, only
    /// when files are removed) because they may list a removed file.
    async fn manifests_to_scan(
        &self,
        parent: Option<&SnapshotRef>,
    ) -> Result<(Vec<ManifestFile>, Vec<(ManifestFile, Manifest)>)> {
        let io = self.table.file_io();
        let parent_manifests: Vec<ManifestFile> = match parent {
            Some(s) => self
                .table
                .manifest_list_reader(s)
                .load()
                .await?
                .entries()
                .to_vec(),
            None => Vec::new(),
        };
        let mut keep: Vec<ManifestFile> = Vec::new();
        let mut to_scan: Vec<ManifestFile> = Vec::new();
        for mf in parent_manifests {
            let live = mf.has_added_files() || mf.has_existing_files();
            if !live {
                continue; // only DELETED entries of an earlier snapshot: history, not state
            }
            if !self.removed.is_empty() && live {
                to_scan.push(mf);
            } else {
                keep.push(mf);
            }
        }
        let scanned: Vec<(ManifestFile, Manifest)> = stream::iter(to_scan)
            .map(|mf| async move {
                let m = mf.load_manifest(io).await?;
                Ok::<_, Error>((mf, m))
            })
            .buffered(MANIFEST_READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok((keep, scanned))
    }

    /// Rewrites each scanned manifest that lists a removed file (the others go to `keep`);
    /// a removed file no manifest lists is a [`Error::CommitConflict`].
    async fn rewrite_removed(
        &self,
        staging: &mut Staging<'_>,
        tally: &mut Tally,
        scanned: Vec<(ManifestFile, Manifest)>,
        keep: &mut Vec<ManifestFile>,
        ident: &str,
    ) -> Result<Vec<ManifestFile>> {
        let md = self.table.metadata();
        let mut found: HashSet<String> = HashSet::new();
        let mut rewritten: Vec<ManifestFile> = Vec::new();
        for (mf, manifest) in scanned {
            let hits = manifest
                .entries()
                .iter()
                .any(|e| e.is_alive() && self.removed.contains(e.file_path()));
            if !hits {
                keep.push(mf);
                continue;
            }
            let spec = md
                .partition_spec_by_id(mf.partition_spec_id)
                .ok_or_else(|| {
                    Error::option(
                        "partition-spec",
                        format!(
                            "manifest {} names unknown spec {}",
                            mf.manifest_path, mf.partition_spec_id
                        ),
                    )
                })?
                .as_ref()
                .clone();
            let (path, mut writer) = staging.manifest_writer(spec, mf.content)?;
            for entry in manifest.entries() {
                if !entry.is_alive() {
                    continue;
                }
                let file = entry.data_file().clone();
                let seq = entry.sequence_number().unwrap_or(0);
                let file_seq = entry.file_sequence_number.or(Some(seq));
                if self.removed.contains(file.file_path()) {
                    found.insert(file.file_path().to_string());
                    tally.removed(mf.partition_spec_id, &file);
                    writer.add_delete_file(file, seq, file_seq)?;
                } else {
                    let added_by = entry.snapshot_id().unwrap_or(mf.added_snapshot_id);
                    writer.add_existing_file(file, added_by, seq, file_seq)?;
                }
            }
            staging.staged.push(path);
            rewritten.push(writer.write_manifest_file().await?);
        }
        if let Some(missing) = self.removed.iter().find(|p| !found.contains(*p)) {
            delete_all(staging.io, &staging.staged).await;
            return Err(Error::CommitConflict {
                table: ident.to_string(),
                reason: format!(
                    "file {missing} is no longer live on branch '{}' (removed by another commit)",
                    self.branch
                ),
            });
        }
        Ok(rewritten)
    }

    /// New manifests for the added data and delete files, in the default spec.
    async fn write_added(
        &self,
        staging: &mut Staging<'_>,
        tally: &mut Tally,
        ident: &str,
    ) -> Result<Vec<ManifestFile>> {
        let format = staging.format;
        let spec = self
            .table
            .metadata()
            .default_partition_spec()
            .as_ref()
            .clone();
        let mut new_manifests = Vec::new();
        for (files, content) in [
            (&self.added_data, ManifestContentType::Data),
            (&self.added_deletes, ManifestContentType::Deletes),
        ] {
            if files.is_empty() {
                continue;
            }
            if format == FormatVersion::V1 && content == ManifestContentType::Deletes {
                delete_all(staging.io, &staging.staged).await;
                return Err(Error::option(
                    "format-version",
                    format!("table '{ident}' is format version 1, which has no delete files"),
                ));
            }
            let (path, mut writer) = staging.manifest_writer(spec.clone(), content)?;
            for file in files {
                tally.added(spec.spec_id(), file);
                let seq = match (content, self.data_sequence_number) {
                    (ManifestContentType::Data, Some(s)) if format != FormatVersion::V1 => s,
                    _ => -1,
                };
                writer.add_file(file.clone(), seq)?;
            }
            staging.staged.push(path);
            new_manifests.push(writer.write_manifest_file().await?);
        }
        Ok(new_manifests)
    }
}

/// What a snapshot adds and removes, counted as its files are written.
#[derive(Default)]
struct Tally {
    counts: ChangeCounts,
    summary: SummaryCounts,
    /// (spec id, partition) of every added or removed file.
    partitions: HashSet<(i32, Struct)>,
}

impl Tally {
    fn added(&mut self, spec_id: i32, file: &DataFile) {
        self.counts.count_added(file);
        self.summary.added(file);
        self.partitions.insert((spec_id, file.partition().clone()));
    }

    fn removed(&mut self, spec_id: i32, file: &DataFile) {
        self.counts.count_removed(file);
        self.summary.removed(file);
        self.partitions.insert((spec_id, file.partition().clone()));
    }
}

/// The files one snapshot writes: numbered manifest paths in the metadata folder, and the
/// list of what was written (deleted when the snapshot is abandoned).
struct Staging<'t> {
    io: &'t FileIO,
    meta_dir: String,
    commit_uuid: uuid::Uuid,
    counter: u32,
    staged: Vec<String>,
    snapshot_id: i64,
    format: FormatVersion,
    schema: SchemaRef,
}

impl<'t> Staging<'t> {
    fn new(table: &'t Table, snapshot_id: i64) -> Self {
        let md = table.metadata();
        Staging {
            io: table.file_io(),
            meta_dir: metadata_dir(table),
            commit_uuid: uuid::Uuid::now_v7(),
            counter: 0,
            staged: Vec::new(),
            snapshot_id,
            format: md.format_version(),
            schema: md.current_schema().clone(),
        }
    }

    /// A writer of the next manifest (in `spec`, of `content`) and its path.
    fn manifest_writer(
        &mut self,
        spec: PartitionSpec,
        content: ManifestContentType,
    ) -> Result<(String, ManifestWriter)> {
        self.counter += 1;
        let path = format!(
            "{}/{}-m{}.avro",
            self.meta_dir, self.commit_uuid, self.counter
        );
        let builder = ManifestWriterBuilder::new(
            self.io.new_output(&path)?,
            Some(self.snapshot_id),
            self.schema.clone(),
            spec,
        );
        let writer = match (self.format, content) {
            (FormatVersion::V1, _) => builder.build_v1(),
            (_, ManifestContentType::Data) => builder.build_v2_data(),
            (_, ManifestContentType::Deletes) => builder.build_v2_deletes(),
        };
        Ok((path, writer))
    }

    /// Writes the manifest list and returns its path.
    async fn write_manifest_list(
        &mut self,
        parent_id: Option<i64>,
        sequence_number: i64,
        manifests: impl IntoIterator<Item = ManifestFile>,
    ) -> Result<String> {
        let snapshot_id = self.snapshot_id;
        let list_path = format!(
            "{}/snap-{snapshot_id}-1-{}.avro",
            self.meta_dir, self.commit_uuid
        );
        let out = self.io.new_output(&list_path)?.writer().await?;
        let mut list = match self.format {
            FormatVersion::V1 => ManifestListWriter::v1(out, snapshot_id, parent_id),
            _ => ManifestListWriter::v2(out, snapshot_id, parent_id, sequence_number),
        };
        list.add_manifests(manifests.into_iter())?;
        self.staged.push(list_path.clone());
        list.close().await?;
        Ok(list_path)
    }
}

impl ChangeCounts {
    fn count_added(&mut self, f: &DataFile) {
        self.added_bytes += f.file_size_in_bytes();
        if f.content_type() == DataContentType::Data {
            self.added_data_files += 1;
            self.added_records += f.record_count();
        } else {
            self.added_delete_files += 1;
        }
    }

    fn count_removed(&mut self, f: &DataFile) {
        self.removed_bytes += f.file_size_in_bytes();
        if f.content_type() == DataContentType::Data {
            self.removed_data_files += 1;
            self.removed_records += f.record_count();
        } else {
            self.removed_delete_files += 1;
        }
    }
}

/// The per-kind counters of Iceberg Java's `SnapshotSummary`.
#[derive(Default)]
struct SummaryCounts {
    added_files: i64,
    removed_files: i64,
    added_records: i64,
    removed_records: i64,
    added_size: i64,
    removed_size: i64,
    added_delete_files: i64,
    removed_delete_files: i64,
    added_pos_delete_files: i64,
    removed_pos_delete_files: i64,
    added_eq_delete_files: i64,
    removed_eq_delete_files: i64,
    added_pos_deletes: i64,
    removed_pos_deletes: i64,
    added_eq_deletes: i64,
    removed_eq_deletes: i64,
}

impl SummaryCounts {
    fn added(&mut self, f: &DataFile) {
        let n = f.record_count() as i64;
        self.added_size += f.file_size_in_bytes() as i64;
        match f.content_type() {
            DataContentType::Data => {
                self.added_files += 1;
                self.added_records += n;
            }
            DataContentType::PositionDeletes => {
                self.added_delete_files += 1;
                self.added_pos_delete_files += 1;
                self.added_pos_deletes += n;
            }
            DataContentType::EqualityDeletes => {
                self.added_delete_files += 1;
                self.added_eq_delete_files += 1;
                self.added_eq_deletes += n;
            }
        }
    }

    fn removed(&mut self, f: &DataFile) {
        let n = f.record_count() as i64;
        self.removed_size += f.file_size_in_bytes() as i64;
        match f.content_type() {
            DataContentType::Data => {
                self.removed_files += 1;
                self.removed_records += n;
            }
            DataContentType::PositionDeletes => {
                self.removed_delete_files += 1;
                self.removed_pos_delete_files += 1;
                self.removed_pos_deletes += n;
            }
            DataContentType::EqualityDeletes => {
                self.removed_delete_files += 1;
                self.removed_eq_delete_files += 1;
                self.removed_eq_deletes += n;
            }
        }
    }

    /// Java's summary: counters only when non-zero, totals carried from the parent's summary
    /// (when it has them; a first snapshot starts from zero).
    fn into_properties(
        self,
        previous: Option<&Summary>,
        changed_partitions: usize,
    ) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        let mut set = |k: &str, v: i64| {
            if v > 0 {
                p.insert(k.to_string(), v.to_string());
            }
        };
        set("added-data-files", self.added_files);
        set("deleted-data-files", self.removed_files);
        set("added-records", self.added_records);
        set("deleted-records", self.removed_records);
        set("added-files-size", self.added_size);
        set("removed-files-size", self.removed_size);
        set("added-delete-files", self.added_delete_files);
        set("removed-delete-files", self.removed_delete_files);
        set("added-position-delete-files", self.added_pos_delete_files);
        set(
            "removed-position-delete-files",
            self.removed_pos_delete_files,
        );
        set("added-equality-delete-files", self.added_eq_delete_files);
        set(
            "removed-equality-delete-files",
            self.removed_eq_delete_files,
        );
        set("added-position-deletes", self.added_pos_deletes);
        set("removed-position-deletes", self.removed_pos_deletes);
        set("added-equality-deletes", self.added_eq_deletes);
        set("removed-equality-deletes", self.removed_eq_deletes);
        p.insert(
            "changed-partition-count".into(),
            changed_partitions.to_string(),
        );
        let totals = [
            ("total-records", self.added_records - self.removed_records),
            ("total-files-size", self.added_size - self.removed_size),
            ("total-data-files", self.added_files - self.removed_files),
            (
                "total-delete-files",
                self.added_delete_files - self.removed_delete_files,
            ),
            (
                "total-position-deletes",
                self.added_pos_deletes - self.removed_pos_deletes,
            ),
            (
                "total-equality-deletes",
                self.added_eq_deletes - self.removed_eq_deletes,
            ),
        ];
        for (key, delta) in totals {
            let before = match previous {
                None => Some(0),
                Some(s) => s
                    .additional_properties
                    .get(key)
                    .and_then(|v| v.parse::<i64>().ok()),
            };
            if let Some(before) = before {
                p.insert(key.to_string(), (before + delta).max(0).to_string());
            }
        }
        p
    }
}

/// The table's metadata folder (`write.metadata.path` when set).
pub fn metadata_dir(table: &Table) -> String {
    let md = table.metadata();
    match md.properties().get("write.metadata.path") {
        Some(p) => p.trim_end_matches('/').to_string(),
        None => format!("{}/metadata", md.location().trim_end_matches('/')),
    }
}

/// A positive snapshot id the table does not use yet.
pub fn unique_snapshot_id(table: &Table) -> i64 {
    loop {
        let (a, b) = uuid::Uuid::new_v4().as_u64_pair();
        let id = ((a ^ b) & (i64::MAX as u64)) as i64;
        if id != 0 && table.metadata().snapshot_by_id(id).is_none() {
            return id;
        }
    }
}

async fn delete_all(io: &FileIO, files: &[String]) {
    for f in files {
        let _ = io.delete(f).await;
    }
}
