//! Partition health: Iceberg's `partitions` metadata table, computed from manifests, plus
//! file-size figures, a 0–100 score and a verdict per partition and for the table.
//!
//! The per-partition columns are exactly those of Iceberg's `partitions` table (Spark's
//! `TABLE.partitions`, PyIceberg's `inspect.partitions()`), with the same semantics: live data
//! and delete files of the snapshot, keyed by spec id and the partition tuple projected onto the
//! union of the snapshot's partition specs; `last_updated_*` from the newest snapshot that added a file to it (and
//! still exists).
//!
//! The score of a partition is `100 × ideal files / actual files × (1 − deleted share / 2)`,
//! where the ideal file count is `⌈data bytes / target file size⌉` and the deleted share is the
//! records covered by delete files over the data records (capped at 1). The table's score
//! applies the same formula to the whole table. Verdicts: `healthy` (≥ 80), `degraded` (≥ 50),
//! `unhealthy` (< 50).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use iceberg::spec::{DataContentType, TableMetadata};
use iceberg::table::Table;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::SnapshotSelector;
use crate::error::{Error, Result};
use crate::files::{live_files, manifests, LiveFile};
use crate::partition::{partition_path, project, unified_fields, value_to_json, UnifiedField};

/// Iceberg's default `write.target-file-size-bytes` (512 MiB).
pub const DEFAULT_TARGET_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// The table property that sets the target data file size.
pub const TARGET_FILE_SIZE_PROP: &str = "write.target-file-size-bytes";

/// The smallest target file size icehelper accepts (1 MiB): below it, a Parquet file is mostly
/// footer, and a mistyped value (`1`, `0.5k`) would plan millions of files.
pub const MIN_TARGET_FILE_SIZE: u64 = 1 << 20;

/// The target file size of a table: its `write.target-file-size-bytes`, else 512 MiB.
pub fn target_file_size(table: &Table) -> Result<u64> {
    match table.metadata().properties().get(TARGET_FILE_SIZE_PROP) {
        None => Ok(DEFAULT_TARGET_FILE_SIZE),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= MIN_TARGET_FILE_SIZE => Ok(n),
            _ => Err(Error::option(
                TARGET_FILE_SIZE_PROP,
                format!("table property must be a number of bytes of at least {MIN_TARGET_FILE_SIZE} (1 MiB), got '{v}'"),
            )),
        },
    }
}

/// A health verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Score ≥ 80.
    Healthy,
    /// Score ≥ 50: compaction would help.
    Degraded,
    /// Score < 50: compaction is needed.
    Unhealthy,
}

impl Verdict {
    fn from_score(score: u8) -> Self {
        match score {
            80.. => Verdict::Healthy,
            50.. => Verdict::Degraded,
            _ => Verdict::Unhealthy,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Healthy => "healthy",
            Verdict::Degraded => "degraded",
            Verdict::Unhealthy => "unhealthy",
        })
    }
}

/// One row per partition: Iceberg's `partitions` columns, then health figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionRow {
    /// Partition field name → value (time transforms as human strings, null stays null).
    pub partition: Map<String, Value>,
    /// Spec id of the partition's files.
    pub spec_id: i32,
    /// Records in live data files.
    pub record_count: u64,
    /// Live data files.
    pub file_count: u64,
    /// Bytes of live data files.
    pub total_data_file_size_in_bytes: u64,
    /// Records in position delete files.
    pub position_delete_record_count: u64,
    /// Position delete files.
    pub position_delete_file_count: u64,
    /// Records in equality delete files.
    pub equality_delete_record_count: u64,
    /// Equality delete files.
    pub equality_delete_file_count: u64,
    /// Commit time of the newest snapshot that added a file here.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// That snapshot's id.
    pub last_updated_snapshot_id: Option<i64>,
    /// Data files smaller than the small-file threshold.
    pub small_file_count: u64,
    /// Smallest data file.
    pub min_file_size_in_bytes: Option<u64>,
    /// Mean data file size.
    pub avg_file_size_in_bytes: Option<u64>,
    /// Largest data file.
    pub max_file_size_in_bytes: Option<u64>,
    /// 0–100.
    pub score: u8,
    /// Verdict from the score.
    pub verdict: Verdict,
}

/// Table-level figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableHealth {
    /// `namespace.table`.
    pub table: String,
    /// The snapshot measured (`None`: the table has none yet).
    pub snapshot_id: Option<i64>,
    /// Partitions (rows).
    pub partition_count: u64,
    /// Live data files.
    pub data_file_count: u64,
    /// Live delete files.
    pub delete_file_count: u64,
    /// Records in live data files.
    pub record_count: u64,
    /// Bytes of live data files.
    pub total_data_file_size_in_bytes: u64,
    /// Data files under the small-file threshold.
    pub small_file_count: u64,
    /// Target file size used (table property or default).
    pub target_file_size_in_bytes: u64,
    /// Small-file threshold used.
    pub small_file_threshold_in_bytes: u64,
    /// Largest partition bytes / median partition bytes (1.0 for one partition).
    pub skew: Option<f64>,
    /// Manifests of the snapshot.
    pub manifest_count: u64,
    /// Their bytes.
    pub manifest_bytes: u64,
    /// Snapshots kept in the metadata.
    pub snapshot_count: u64,
    /// Size of the current metadata.json.
    pub metadata_json_bytes: Option<u64>,
    /// 0–100.
    pub score: u8,
    /// Verdict from the score.
    pub verdict: Verdict,
    /// Why the score is what it is, in words.
    pub findings: Vec<String>,
}

/// What [`PartitionHealth::execute`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// Table-level figures.
    pub table: TableHealth,
    /// One row per partition, sorted by partition value.
    pub partitions: Vec<PartitionRow>,
}

/// Measures partition health of one snapshot of a table.
#[must_use = "a PartitionHealth does nothing until executed"]
#[derive(Debug)]
pub struct PartitionHealth<'a> {
    table: &'a Table,
    version: SnapshotSelector,
    small_file_size: Option<u64>,
}

#[derive(Default)]
struct Acc {
    spec_id: i32,
    record_count: u64,
    file_count: u64,
    bytes: u64,
    pos_records: u64,
    pos_files: u64,
    eq_records: u64,
    eq_files: u64,
    last_ms: Option<i64>,
    last_id: Option<i64>,
    small: u64,
    min: Option<u64>,
    max: Option<u64>,
}

fn score(bytes: u64, files: u64, deleted_records: u64, records: u64, target: u64) -> u8 {
    if files == 0 {
        return if deleted_records > 0 { 50 } else { 100 };
    }
    let ideal = bytes.div_ceil(target).max(1);
    let file_factor = (ideal as f64 / files as f64).min(1.0);
    let deleted_share = if records == 0 {
        0.0
    } else {
        (deleted_records as f64 / records as f64).min(1.0)
    };
    (100.0 * file_factor * (1.0 - deleted_share / 2.0)).round() as u8
}

impl<'a> PartitionHealth<'a> {
    /// Health of the table's current snapshot, with the default small-file threshold.
    pub fn new(table: &'a Table) -> Self {
        PartitionHealth {
            table,
            version: SnapshotSelector::Current,
            small_file_size: None,
        }
    }

    /// Measure another snapshot or ref.
    pub fn with_snapshot(mut self, version: SnapshotSelector) -> Self {
        self.version = version;
        self
    }

    /// Files smaller than this many bytes count as small (default: 75% of the target file size).
    pub fn with_small_file_size(mut self, bytes: std::num::NonZeroU64) -> Self {
        self.small_file_size = Some(bytes.get());
        self
    }

    /// Reads the snapshot's manifests once and computes the report.
    pub async fn execute(self) -> Result<HealthReport> {
        let table = self.table;
        let md = table.metadata();
        let target = target_file_size(table)?;
        let threshold = self.small_file_threshold(target)?;
        let snapshot = self.version.resolve(table)?;
        let metadata_json_bytes = metadata_json_bytes(table).await?;
        let mut th = TableHealth {
            table: table.identifier().to_string(),
            snapshot_id: snapshot.as_ref().map(|s| s.snapshot_id()),
            partition_count: 0,
            data_file_count: 0,
            delete_file_count: 0,
            record_count: 0,
            total_data_file_size_in_bytes: 0,
            small_file_count: 0,
            target_file_size_in_bytes: target,
            small_file_threshold_in_bytes: threshold,
            skew: None,
            manifest_count: 0,
            manifest_bytes: 0,
            snapshot_count: md.snapshots().len() as u64,
            metadata_json_bytes,
            score: 100,
            verdict: Verdict::Healthy,
            findings: Vec::new(),
        };
        let Some(snapshot) = snapshot else {
            th.findings.push("the table has no snapshot yet".into());
            return Ok(HealthReport {
                table: th,
                partitions: Vec::new(),
            });
        };
        let manifest_list = manifests(table, &snapshot).await?;
        th.manifest_count = manifest_list.len() as u64;
        th.manifest_bytes = manifest_list
            .iter()
            .map(|m| m.manifest_length.max(0) as u64)
            .sum();

        let spec_ids: Vec<i32> = manifest_list.iter().map(|m| m.partition_spec_id).collect();
        let unified = unified_fields(md, Some(&spec_ids));
        let files = live_files(table, &snapshot).await?;
        let groups = group_by_partition(md, &unified, &files, threshold);
        let (rows, deleted_total) = partition_rows(groups, &unified, target, &mut th);
        th.partition_count = rows.len() as u64;
        th.skew = skew(&rows);
        let ideal_files = judge(&mut th, &rows, deleted_total, target);
        th.findings = findings(&th, &rows, ideal_files, deleted_total, threshold);
        Ok(HealthReport {
            table: th,
            partitions: rows,
        })
    }

    /// The small-file threshold: as set, else 75% of the target.
    fn small_file_threshold(&self, target: u64) -> Result<u64> {
        Ok(self.small_file_size.unwrap_or(target / 4 * 3))
    }
}

/// The size of the table's current metadata JSON, when the storage says.
async fn metadata_json_bytes(table: &Table) -> Result<Option<u64>> {
    Ok(match table.metadata_location() {
        Some(loc) => table
            .file_io()
            .new_input(loc)?
            .metadata()
            .await
            .ok()
            .map(|m| m.size),
        None => None,
    })
}

/// The live files summed up per spec and partition value, keyed by the JSON rendering of the
/// projected tuple (hashable, and sorts readably).
fn group_by_partition(
    md: &TableMetadata,
    unified: &[UnifiedField],
    files: &[LiveFile],
    threshold: u64,
) -> BTreeMap<String, (Vec<Value>, Acc)> {
    let snapshot_times: HashMap<i64, i64> = md
        .snapshots()
        .map(|s| (s.snapshot_id(), s.timestamp_ms()))
        .collect();
    let mut groups: BTreeMap<String, (Vec<Value>, Acc)> = BTreeMap::new();
    for f in files {
        let spec = md.partition_spec_by_id(f.spec_id);
        let projected = project(unified, spec.map(|s| s.as_ref()), f.file.partition());
        let values: Vec<Value> = unified
            .iter()
            .zip(&projected)
            .map(|(u, v)| value_to_json(u, v.as_ref()))
            .collect();
        // Rows are per spec and partition value, as in Iceberg 1.10's partitions table and
        // PyIceberg's: files of two specs whose tuples coincide stay apart.
        let key = format!(
            "{}|{:010}",
            serde_json::to_string(&values).expect("JSON values serialise"),
            f.spec_id
        );
        let (_, acc) = groups
            .entry(key)
            .or_insert_with(|| (values, Acc::default()));
        acc.add(f, &snapshot_times, threshold);
    }
    groups
}

impl Acc {
    /// Counts one live file of the partition.
    fn add(&mut self, f: &LiveFile, snapshot_times: &HashMap<i64, i64>, threshold: u64) {
        self.spec_id = f.spec_id;
        if let Some(ts) = f
            .added_snapshot_id
            .and_then(|id| snapshot_times.get(&id).map(|t| (id, *t)))
        {
            if self.last_ms.is_none_or(|cur| ts.1 > cur) {
                self.last_ms = Some(ts.1);
                self.last_id = Some(ts.0);
            }
        }
        let size = f.file.file_size_in_bytes();
        let records = f.file.record_count();
        match f.content() {
            DataContentType::Data => {
                self.record_count += records;
                self.file_count += 1;
                self.bytes += size;
                if size < threshold {
                    self.small += 1;
                }
                self.min = Some(self.min.map_or(size, |m| m.min(size)));
                self.max = Some(self.max.map_or(size, |m| m.max(size)));
            }
            DataContentType::PositionDeletes => {
                self.pos_records += records;
                self.pos_files += 1;
            }
            DataContentType::EqualityDeletes => {
                self.eq_records += records;
                self.eq_files += 1;
            }
        }
    }
}

/// One row per partition, adding each to the table's totals; also the deleted records of all.
fn partition_rows(
    groups: BTreeMap<String, (Vec<Value>, Acc)>,
    unified: &[UnifiedField],
    target: u64,
    th: &mut TableHealth,
) -> (Vec<PartitionRow>, u64) {
    let mut rows = Vec::with_capacity(groups.len());
    let mut deleted_total = 0;
    for (_, (values, a)) in groups {
        let deleted = a.pos_records + a.eq_records;
        deleted_total += deleted;
        let s = score(a.bytes, a.file_count, deleted, a.record_count, target);
        let partition: Map<String, Value> = unified
            .iter()
            .zip(values)
            .map(|(u, v)| (u.name.clone(), v))
            .collect();
        th.data_file_count += a.file_count;
        th.delete_file_count += a.pos_files + a.eq_files;
        th.record_count += a.record_count;
        th.total_data_file_size_in_bytes += a.bytes;
        th.small_file_count += a.small;
        rows.push(PartitionRow {
            partition,
            spec_id: a.spec_id,
            record_count: a.record_count,
            file_count: a.file_count,
            total_data_file_size_in_bytes: a.bytes,
            position_delete_record_count: a.pos_records,
            position_delete_file_count: a.pos_files,
            equality_delete_record_count: a.eq_records,
            equality_delete_file_count: a.eq_files,
            last_updated_at: a.last_ms.and_then(DateTime::from_timestamp_millis),
            last_updated_snapshot_id: a.last_id,
            small_file_count: a.small,
            min_file_size_in_bytes: a.min,
            avg_file_size_in_bytes: a.bytes.checked_div(a.file_count),
            max_file_size_in_bytes: a.max,
            score: s,
            verdict: Verdict::from_score(s),
        });
    }
    (rows, deleted_total)
}

/// The largest partition's bytes over the median partition's (`None` when the median is 0).
fn skew(rows: &[PartitionRow]) -> Option<f64> {
    let mut sizes: Vec<u64> = rows
        .iter()
        .map(|r| r.total_data_file_size_in_bytes)
        .collect();
    sizes.sort_unstable();
    if let (Some(max), false) = (sizes.last(), sizes.is_empty()) {
        let mid = sizes.len() / 2;
        let median = if sizes.len().is_multiple_of(2) {
            (sizes[mid - 1] + sizes[mid]) as f64 / 2.0
        } else {
            sizes[mid] as f64
        };
        if median > 0.0 {
            return Some(((*max as f64 / median) * 100.0).round() / 100.0);
        }
    }
    None
}

/// Sets the table's score and verdict; returns the ideal number of data files (one set of
/// target-size files per partition).
fn judge(th: &mut TableHealth, rows: &[PartitionRow], deleted_total: u64, target: u64) -> u64 {
    th.score = score(
        th.total_data_file_size_in_bytes,
        th.data_file_count,
        deleted_total,
        th.record_count,
        target,
    );
    // A table of many partitions can't beat one file per partition: judge against that too.
    let ideal_files: u64 = rows
        .iter()
        .filter(|r| r.file_count > 0)
        .map(|r| r.total_data_file_size_in_bytes.div_ceil(target).max(1))
        .sum();
    if th.data_file_count > 0 {
        let per_partition = (100.0 * ideal_files as f64 / th.data_file_count as f64).min(100.0);
        let delete_factor = if th.record_count == 0 {
            1.0
        } else {
            1.0 - (deleted_total as f64 / th.record_count as f64).min(1.0) / 2.0
        };
        th.score = (per_partition * delete_factor).round() as u8;
    }
    th.verdict = Verdict::from_score(th.score);
    ideal_files
}

/// What the report says in words: mergeable small files, too many files, delete files, skew.
fn findings(
    th: &TableHealth,
    rows: &[PartitionRow],
    ideal_files: u64,
    deleted_total: u64,
    threshold: u64,
) -> Vec<String> {
    let mut findings = Vec::new();
    // a partition's only file cannot be merged with anything: small, but as good as it gets
    let mergeable_small: u64 = rows
        .iter()
        .filter(|r| r.file_count > 1)
        .map(|r| r.small_file_count)
        .sum();
    if mergeable_small > 0 {
        findings.push(format!(
            "{} of {} data files are smaller than {} in partitions with more than one file",
            mergeable_small,
            th.data_file_count,
            crate::metrics::human_bytes(threshold)
        ));
    }
    if ideal_files > 0 && th.data_file_count > ideal_files {
        findings.push(format!(
            "{} data files where {} would do at the target size: compaction would help",
            th.data_file_count, ideal_files
        ));
    }
    if th.delete_file_count > 0 {
        findings.push(format!(
            "{} delete files cover {} records: compaction would apply them",
            th.delete_file_count, deleted_total
        ));
    }
    if let Some(skew) = th.skew {
        if skew >= 10.0 {
            findings.push(format!(
                "the largest partition is {skew}× the median: partitioning is skewed"
            ));
        }
    }
    findings
}

/// The partition of a row as `name=value/...`.
pub fn row_path(row: &PartitionRow) -> String {
    partition_path(&row.partition)
}

into_future!(PartitionHealth => HealthReport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let mib = 1024 * 1024;
        // one right-sized file: perfect
        assert_eq!(score(500 * mib, 1, 0, 10, 512 * mib), 100);
        // 100 files that fit in one: 1
        assert_eq!(score(100 * mib, 100, 0, 10, 512 * mib), 1);
        // 2 files for 2 targets' worth, half the rows deleted: 75
        assert_eq!(score(1000 * mib, 2, 50, 100, 512 * mib), 75);
        assert_eq!(Verdict::from_score(80), Verdict::Healthy);
        assert_eq!(Verdict::from_score(79), Verdict::Degraded);
        assert_eq!(Verdict::from_score(49), Verdict::Unhealthy);
    }
}
