//! `rewrite-manifests`: rewrite a branch's data manifests into manifests of about
//! `commit.manifest.target-size-bytes` (8 MiB), clustered by partition spec and partition, as
//! one `replace` snapshot (Iceberg's `RewriteManifests`).
//!
//! Every live entry is written again as `EXISTING` with the snapshot id that added it, its data
//! and file sequence numbers and all its statistics; delete manifests are carried over as they
//! are. Each data manifest is read once. The commit requires the branch to still be at the
//! snapshot it was planned on; on a conflict it re-plans from the new snapshot.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::spec::{
    DataFile, FormatVersion, ManifestContentType, ManifestFile, ManifestListWriter,
    ManifestWriterBuilder, Operation, Snapshot, SnapshotReference, Summary, MAIN_BRANCH,
};
use iceberg::table::Table;
use iceberg::{TableIdent, TableRequirement, TableUpdate};
use serde::Serialize;

use crate::catalog::{table_refs, LakeCatalog};
use crate::cleanup::{self, READ_CONCURRENCY};
use crate::commit::snapshot::{metadata_dir, unique_snapshot_id};
use crate::commit::{commit_with_retry, RetryPolicy, TableChange};
use crate::error::{Error, Result};
use crate::metrics::{Operation as MaintenanceOperation, OperationMetrics, Run};
use crate::Planned;

/// `commit.manifest.target-size-bytes` default: 8 MiB.
pub const DEFAULT_TARGET_MANIFEST_SIZE: u64 = 8 * 1024 * 1024;

/// Rewrites the data manifests of a branch.
#[must_use = "a rewrite does nothing until plan() or execute() is awaited"]
#[derive(Debug, Clone)]
pub struct RewriteManifests<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    branch: String,
    target_size: Option<u64>,
}

/// What a manifest rewrite did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RewriteManifestsMetrics {
    /// The fields every operation reports.
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// The branch rewritten.
    pub branch: String,
    /// Data manifests replaced.
    pub manifests_replaced: u64,
    /// Manifests written (on a dry run: the estimate).
    pub manifests_created: u64,
    /// Manifests carried over unchanged (delete manifests).
    pub manifests_kept: u64,
    /// Live entries rewritten.
    pub entries_processed: u64,
    /// The target manifest size in bytes.
    pub target_manifest_size_bytes: u64,
}

struct Entry {
    file: DataFile,
    snapshot_id: i64,
    sequence_number: i64,
    file_sequence_number: Option<i64>,
}

impl<'a> RewriteManifests<'a> {
    /// Rewrites `main` of `ident`.
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent) -> Self {
        RewriteManifests {
            catalog,
            ident,
            branch: MAIN_BRANCH.to_string(),
            target_size: None,
        }
    }

    /// Rewrites this branch instead.
    pub fn with_branch(mut self, branch: impl Into<String>) -> Self {
        self.branch = branch.into();
        self
    }

    /// Aims at manifests of this size instead of `commit.manifest.target-size-bytes`.
    pub fn with_target_size(mut self, bytes: std::num::NonZeroU64) -> Self {
        self.target_size = Some(bytes.get());
        self
    }

    fn target(&self, table: &Table) -> Result<u64> {
        match self.target_size {
            Some(t) => Ok(t),
            None => Ok(cleanup::prop_i64(
                table.metadata().properties(),
                "commit.manifest.target-size-bytes",
                DEFAULT_TARGET_MANIFEST_SIZE as i64,
            )?
            .max(1) as u64),
        }
    }

    /// Counts what a rewrite would do; writes nothing.
    pub async fn plan(&self) -> Result<RewriteManifestsPlan<'a>> {
        let run = Run::start(MaintenanceOperation::RewriteManifests, &self.ident, true);
        let table = self.catalog.load_table(&self.ident).await?;
        let (mut m, _) = self.attempt(&table, false).await?;
        m.operation = run.finish();
        Ok(Planned {
            operation: self.clone(),
            metrics: m,
        })
    }

    /// Writes the new manifests and commits the `replace` snapshot.
    pub async fn execute(self) -> Result<RewriteManifestsMetrics> {
        let mut run = Run::start(MaintenanceOperation::RewriteManifests, &self.ident, false);
        let first = self.catalog.load_table(&self.ident).await?;
        let policy = RetryPolicy::for_write(first.metadata().properties());
        let committed = commit_with_retry(self.catalog, &self.ident, policy, |table| {
            let this = &self;
            async move {
                let (m, change) = this.attempt(&table, true).await?;
                Ok((change, m))
            }
        })
        .await?;
        run.record(&committed);
        let mut m = committed.value;
        if committed.table.is_some() {
            run.set_snapshot(m.operation.snapshot_id);
        }
        m.operation = run.finish();
        Ok(m)
    }

    async fn attempt(
        &self,
        table: &Table,
        write: bool,
    ) -> Result<(RewriteManifestsMetrics, Option<TableChange>)> {
        let md = table.metadata();
        let ident = self.ident.to_string();
        let format = md.format_version();
        if format == FormatVersion::V3 {
            return Err(Error::option(
                "format-version",
                format!(
                    "table '{ident}' is format version 3; icehelper writes versions 1 and 2 only"
                ),
            ));
        }
        let target = self.target(table)?;
        let mut m = RewriteManifestsMetrics {
            // the shared fields are the driver's: plan() and execute() set them
            operation: Run::start(MaintenanceOperation::RewriteManifests, &self.ident, !write)
                .finish(),
            branch: self.branch.clone(),
            target_manifest_size_bytes: target,
            manifests_replaced: 0,
            manifests_created: 0,
            manifests_kept: 0,
            entries_processed: 0,
        };
        let refs = table_refs(md)?;
        let Some(current) = refs.get(&self.branch) else {
            if self.branch == MAIN_BRANCH {
                return Ok((m, None)); // an empty table: nothing to rewrite
            }
            return Err(Error::RefNotFound {
                table: ident,
                name: self.branch.clone(),
            });
        };
        if !current.is_branch() {
            return Err(Error::option(
                "ref",
                format!(
                    "'{}' is a tag of table '{ident}'; only branches take new snapshots",
                    self.branch
                ),
            ));
        }
        let parent = md
            .snapshot_by_id(current.snapshot_id)
            .ok_or_else(|| Error::SnapshotNotFound {
                table: ident.clone(),
                snapshot_id: current.snapshot_id,
            })?
            .clone();
        let io = table.file_io();
        let (manifests, _) =
            cleanup::read_manifest_list(io, parent.manifest_list(), format).await?;
        let (data, kept): (Vec<ManifestFile>, Vec<ManifestFile>) = manifests
            .into_iter()
            .partition(|mf| mf.content == ManifestContentType::Data);
        m.manifests_kept = kept.len() as u64;
        if data.len() <= 1 {
            m.manifests_kept += data.len() as u64;
            return Ok((m, None));
        }
        m.manifests_replaced = data.len() as u64;
        let total_bytes: u64 = data.iter().map(|mf| mf.manifest_length.max(0) as u64).sum();
        let loaded: Vec<(i32, Vec<Entry>)> = stream::iter(data)
            .map(|mf| async move {
                let manifest = mf.load_manifest(io).await?;
                let entries = manifest
                    .entries()
                    .iter()
                    .filter(|e| e.is_alive())
                    .map(|e| {
                        let seq = e.sequence_number().unwrap_or(0);
                        Entry {
                            file: e.data_file().clone(),
                            snapshot_id: e.snapshot_id().unwrap_or(mf.added_snapshot_id),
                            sequence_number: seq,
                            file_sequence_number: e.file_sequence_number.or(Some(seq)),
                        }
                    })
                    .collect::<Vec<_>>();
                Ok::<_, Error>((mf.partition_spec_id, entries))
            })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        // cluster by (spec, partition); the partition's debug form orders it deterministically
        let mut groups: BTreeMap<(i32, String), Vec<Entry>> = BTreeMap::new();
        let mut count = 0u64;
        for (spec, entries) in loaded {
            for e in entries {
                count += 1;
                groups
                    .entry((spec, format!("{:?}", e.file.partition())))
                    .or_default()
                    .push(e);
            }
        }
        m.entries_processed = count;
        let bytes_per_entry = (total_bytes / count.max(1)).max(1);
        let per_manifest = (target / bytes_per_entry).max(1) as usize;
        // chunks per spec: a manifest holds one spec's entries
        let mut chunks: Vec<(i32, Vec<Entry>)> = Vec::new();
        for ((spec, _), entries) in groups {
            for e in entries {
                match chunks.last_mut() {
                    Some((s, c)) if *s == spec && c.len() < per_manifest => c.push(e),
                    _ => chunks.push((spec, vec![e])),
                }
            }
        }
        m.manifests_created = chunks.len() as u64;
        if !write {
            return Ok((m, None));
        }

        let snapshot_id = unique_snapshot_id(table);
        let sequence_number = if format == FormatVersion::V1 {
            0
        } else {
            md.next_sequence_number()
        };
        let commit_uuid = uuid::Uuid::now_v7();
        let meta_dir = metadata_dir(table);
        let schema = md.current_schema().clone();
        let mut staged = Vec::new();
        let mut written = Vec::new();
        let result: Result<()> = async {
            for (i, (spec_id, entries)) in chunks.into_iter().enumerate() {
                let spec = md
                    .partition_spec_by_id(spec_id)
                    .ok_or_else(|| {
                        Error::option(
                            "partition-spec",
                            format!("unknown partition spec {spec_id}"),
                        )
                    })?
                    .as_ref()
                    .clone();
                let path = format!("{meta_dir}/{commit_uuid}-m{i}.avro");
                staged.push(path.clone());
                let builder = ManifestWriterBuilder::new(
                    io.new_output(&path)?,
                    Some(snapshot_id),
                    schema.clone(),
                    spec,
                );
                let mut w = match format {
                    FormatVersion::V1 => builder.build_v1(),
                    _ => builder.build_v2_data(),
                };
                for e in entries {
                    w.add_existing_file(
                        e.file,
                        e.snapshot_id,
                        e.sequence_number,
                        e.file_sequence_number,
                    )?;
                }
                written.push(w.write_manifest_file().await?);
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            crate::commit::delete_quietly(self.catalog, &staged).await;
            return Err(e);
        }
        let list_path = format!("{meta_dir}/snap-{snapshot_id}-1-{commit_uuid}.avro");
        staged.push(list_path.clone());
        let out = io.new_output(&list_path)?.writer().await?;
        let parent_id = Some(parent.snapshot_id());
        let mut list = match format {
            FormatVersion::V1 => ManifestListWriter::v1(out, snapshot_id, parent_id),
            _ => ManifestListWriter::v2(out, snapshot_id, parent_id, sequence_number),
        };
        list.add_manifests(written.into_iter().chain(kept))?;
        list.close().await?;

        let mut props: std::collections::HashMap<String, String> = parent
            .summary()
            .additional_properties
            .iter()
            .filter(|(k, _)| k.starts_with("total-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        props.insert("manifests-created".into(), m.manifests_created.to_string());
        props.insert(
            "manifests-replaced".into(),
            m.manifests_replaced.to_string(),
        );
        props.insert("manifests-kept".into(), m.manifests_kept.to_string());
        props.insert("entries-processed".into(), m.entries_processed.to_string());
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
                operation: Operation::Replace,
                additional_properties: props,
            })
            .build();
        let retention = current.retention.clone();
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
            staged_files: staged,
        };
        m.operation.snapshot_id = Some(snapshot_id);
        Ok((m, Some(change)))
    }
}

into_future!(RewriteManifests => RewriteManifestsMetrics);

/// A planned manifest rewrite; see [`Planned`].
pub type RewriteManifestsPlan<'a> = Planned<RewriteManifests<'a>, RewriteManifestsMetrics>;

impl RewriteManifestsPlan<'_> {
    /// Writes the new manifests and commits them (grouping again the manifests of the table it
    /// commits on).
    pub async fn execute(self) -> Result<RewriteManifestsMetrics> {
        self.operation.execute().await
    }
}
