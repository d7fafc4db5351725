//! The live files of a snapshot, read from its manifests (each manifest read once, several at a time).

use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::spec::{DataContentType, DataFile, ManifestFile, ManifestStatus, SnapshotRef};
use iceberg::table::Table;

use crate::error::Result;

/// How many manifests are read at once.
const MANIFEST_READ_CONCURRENCY: usize = 8;

/// A data or delete file live in a snapshot.
#[derive(Debug, Clone)]
pub struct LiveFile {
    /// The file's manifest entry data (path, partition, counts, statistics).
    pub file: DataFile,
    /// The partition spec the file was written with.
    pub spec_id: i32,
    /// The snapshot that added the file (from the manifest entry, inherited where implicit).
    pub added_snapshot_id: Option<i64>,
    /// The data sequence number of the entry.
    pub sequence_number: Option<i64>,
    /// The manifest listing it.
    pub manifest_path: Arc<str>,
}

impl LiveFile {
    /// Data, position deletes or equality deletes.
    pub fn content(&self) -> DataContentType {
        self.file.content_type()
    }
}

/// The manifests of a snapshot.
pub async fn manifests(table: &Table, snapshot: &SnapshotRef) -> Result<Vec<ManifestFile>> {
    let list = table.manifest_list_reader(snapshot).load().await?;
    Ok(list.entries().to_vec())
}

/// Every live (added or existing) file of a snapshot, data and delete files alike.
pub async fn live_files(table: &Table, snapshot: &SnapshotRef) -> Result<Vec<LiveFile>> {
    let manifest_files = manifests(table, snapshot).await?;
    let io = table.file_io().clone();
    let per_manifest: Vec<Vec<LiveFile>> = stream::iter(manifest_files)
        .map(|mf| {
            let io = io.clone();
            async move {
                let manifest = mf.load_manifest(&io).await?;
                let path: Arc<str> = Arc::from(mf.manifest_path.as_str());
                let files = manifest
                    .entries()
                    .iter()
                    .filter(|e| e.status() != ManifestStatus::Deleted)
                    .map(|e| LiveFile {
                        file: e.data_file().clone(),
                        spec_id: mf.partition_spec_id,
                        added_snapshot_id: e.snapshot_id(),
                        sequence_number: e.sequence_number(),
                        manifest_path: path.clone(),
                    })
                    .collect::<Vec<_>>();
                Ok::<_, crate::Error>(files)
            }
        })
        .buffered(MANIFEST_READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(per_manifest.into_iter().flatten().collect())
}
