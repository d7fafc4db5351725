//! What other writers committed since compaction started, for re-planning a conflicting commit:
//! files they removed (a group that rewrote one of them must not commit) and position delete
//! files they added (a group whose inputs they may touch must not commit, or the deletes would
//! be lost). Equality deletes added meanwhile are harmless: the rewritten files keep the starting
//! sequence number, so those deletes still apply to them.

use std::collections::HashSet;

use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::spec::{DataContentType, DataFile, Datum, ManifestStatus, PrimitiveLiteral, Struct};
use iceberg::table::Table;

use crate::error::{Error, Result};

/// Field id of the `file_path` column of position delete files.
const POS_DELETE_FILE_PATH_ID: i32 = 2147483546;

/// What happened on a branch after a given snapshot.
#[derive(Debug, Default)]
pub(crate) struct ChangesSince {
    /// Paths of files removed by the newer snapshots.
    pub removed: HashSet<String>,
    /// Position delete files added by the newer snapshots, with their spec id.
    pub position_deletes: Vec<(i32, DataFile)>,
}

impl ChangesSince {
    /// Whether any new position delete may apply to this data file.
    pub(super) fn may_delete_from(&self, path: &str, spec_id: i32, partition: &Struct) -> bool {
        self.position_deletes.iter().any(|(spec, d)| {
            if *spec != spec_id || d.partition() != partition {
                return false;
            }
            if let Some(r) = d.referenced_data_file() {
                return r == path;
            }
            let bound = |b: Option<&Datum>| match b.map(|d| d.literal()) {
                Some(PrimitiveLiteral::String(s)) => Some(s.clone()),
                _ => None,
            };
            let lower = bound(d.lower_bounds().get(&POS_DELETE_FILE_PATH_ID));
            let upper = bound(d.upper_bounds().get(&POS_DELETE_FILE_PATH_ID));
            lower.is_none_or(|l| l.as_str() <= path) && upper.is_none_or(|u| path <= u.as_str())
        })
    }
}

/// Walks `branch` back from its head to `start`; `Err(CommitConflict)` when `start` is no longer
/// an ancestor (the branch was rolled back or replaced).
pub(crate) async fn changes_since(table: &Table, branch: &str, start: i64) -> Result<ChangesSince> {
    let md = table.metadata();
    let mut newer = Vec::new();
    let mut cursor = md.snapshot_for_ref(branch).cloned();
    loop {
        match cursor {
            Some(s) if s.snapshot_id() == start => break,
            Some(s) => {
                cursor = s.parent_snapshot_id().and_then(|p| md.snapshot_by_id(p).cloned());
                newer.push(s);
            }
            None => {
                return Err(Error::CommitConflict {
                    table: table.identifier().to_string(),
                    reason: format!(
                        "snapshot {start} is no longer an ancestor of branch '{branch}' (rolled back or replaced meanwhile)"
                    ),
                })
            }
        }
    }
    let io = table.file_io();
    let mut out = ChangesSince::default();
    for snap in newer {
        let id = snap.snapshot_id();
        let manifests: Vec<_> = table
            .manifest_list_reader(&snap)
            .load()
            .await?
            .entries()
            .iter()
            .filter(|m| m.added_snapshot_id == id)
            .cloned()
            .collect();
        let loaded: Vec<_> = stream::iter(manifests)
            .map(|mf| async move {
                let m = mf.load_manifest(io).await?;
                Ok::<_, Error>((mf.partition_spec_id, m))
            })
            .buffered(8)
            .try_collect()
            .await?;
        for (spec_id, m) in loaded {
            for e in m.entries() {
                if e.snapshot_id() != Some(id) {
                    continue;
                }
                match e.status() {
                    ManifestStatus::Deleted => {
                        out.removed.insert(e.file_path().to_string());
                    }
                    ManifestStatus::Added
                        if e.content_type() == DataContentType::PositionDeletes =>
                    {
                        out.position_deletes.push((spec_id, e.data_file().clone()));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(out)
}
