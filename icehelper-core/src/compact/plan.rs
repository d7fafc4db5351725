//! Planning a bin-pack compaction the way Iceberg's Spark `rewrite_data_files` does: select
//! files per partition (too small, too large, too many deletes, written in an older spec), pack
//! them into groups, keep the groups worth rewriting.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::TryStreamExt;
use iceberg::expr::Predicate;
use iceberg::scan::FileScanTask;
use iceberg::spec::{SnapshotRef, Struct, TableMetadata};
use iceberg::table::Table;
use serde::Serialize;

use super::CompactOptions;
use crate::catalog::SnapshotSelector;
use crate::error::{Error, Result};
use crate::partition;

/// The grouping key of a file written under the older spec `spec_id`: its partition values for
/// the fields (same source column, same transform) the current spec also has.
fn evolved_key(md: &TableMetadata, spec_id: i32, partition: Option<&Struct>) -> String {
    let (Some(old), current) = (
        md.partition_spec_by_id(spec_id),
        md.default_partition_spec(),
    ) else {
        return format!("{partition:?}");
    };
    let shared: Vec<_> = current
        .fields()
        .iter()
        .map(|f| {
            old.fields()
                .iter()
                .position(|o| o.source_id == f.source_id && o.transform == f.transform)
                .and_then(|i| partition.and_then(|p| p[i].clone()))
        })
        .collect();
    format!("{shared:?}")
}

/// The partition fields of `partition` (in the unified naming) whose old-spec field the
/// current spec shares.
fn shared_fields(
    md: &TableMetadata,
    spec_id: i32,
    partition: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let (Some(old), current) = (
        md.partition_spec_by_id(spec_id),
        md.default_partition_spec(),
    ) else {
        return partition.clone();
    };
    old.fields()
        .iter()
        .filter(|o| {
            current
                .fields()
                .iter()
                .any(|f| f.source_id == o.source_id && f.transform == o.transform)
        })
        .filter_map(|o| partition.get(&o.name).map(|v| (o.name.clone(), v.clone())))
        .collect()
}

/// Files rewritten together into one partition's new files.
#[derive(Debug, Clone, Serialize)]
pub struct FileGroup {
    /// Position in the plan (0-based).
    pub index: usize,
    /// The partition spec of the input files.
    pub spec_id: i32,
    /// The partition, as Iceberg's human values (`{"ts_day": "2024-01-01"}`).
    pub partition: serde_json::Map<String, serde_json::Value>,
    /// Input data files.
    pub input_files: usize,
    /// Their bytes.
    pub input_bytes: u64,
    /// Their records (before deletes are applied).
    pub input_records: u64,
    /// Delete files that apply to the inputs (read through, and removed when nothing else needs them).
    pub delete_files: usize,
    /// Output files the target size implies.
    pub expected_output_files: u64,
    #[serde(skip)]
    pub(crate) partition_value: Struct,
    #[serde(skip)]
    pub(crate) tasks: Vec<FileScanTask>,
}

impl FileGroup {
    /// Paths of the input data files.
    pub fn input_paths(&self) -> impl Iterator<Item = &str> {
        self.tasks.iter().map(|t| t.data_file_path.as_str())
    }

    /// The partition as `name=value/...`.
    pub fn partition_path(&self) -> String {
        partition::partition_path(&self.partition)
    }
}

/// The plan of a compaction: which groups, on which snapshot, with which sizes.
#[derive(Debug, Clone, Serialize)]
pub struct CompactPlan {
    /// The table.
    pub table: String,
    /// The branch compacted.
    pub branch: String,
    /// The snapshot planned on (`None` for an empty table).
    pub snapshot_id: Option<i64>,
    /// Its sequence number: the data sequence number of the rewritten files.
    pub sequence_number: i64,
    /// Target output file size in bytes.
    pub target_file_size: u64,
    /// Files below this are rewritten.
    pub min_file_size: u64,
    /// Files above this are rewritten (split).
    pub max_file_size: u64,
    /// Data files in the snapshot.
    pub total_data_files: usize,
    /// The groups to rewrite.
    pub groups: Vec<FileGroup>,
    /// For each delete file of the snapshot, the data files it applies to.
    #[serde(skip)]
    pub(crate) delete_targets: HashMap<String, HashSet<String>>,
}

impl CompactPlan {
    /// Input files over all groups.
    pub fn input_files(&self) -> usize {
        self.groups.iter().map(|g| g.input_files).sum()
    }

    /// Input bytes over all groups.
    pub fn input_bytes(&self) -> u64 {
        self.groups.iter().map(|g| g.input_bytes).sum()
    }

    /// Expected output files over all groups.
    pub fn expected_output_files(&self) -> u64 {
        self.groups.iter().map(|g| g.expected_output_files).sum()
    }

    /// Delete files that no live data file needs once the data files in `rewritten` are gone.
    pub(crate) fn removable_deletes(&self, rewritten: &HashSet<String>) -> Vec<String> {
        let mut out: Vec<String> = self
            .delete_targets
            .iter()
            .filter(|(_, targets)| {
                !targets.is_empty() && targets.iter().all(|t| rewritten.contains(t))
            })
            .map(|(d, _)| d.clone())
            .collect();
        out.sort();
        out
    }
}

/// Spark's `numOutputFiles`: round to the target, but never leave a remainder file smaller
/// than the minimum when an average a little above the target avoids it.
pub(crate) fn expected_output_files(input: u64, target: u64, min: u64, max: u64) -> u64 {
    if input <= target {
        return 1;
    }
    let with_remainder = input.div_ceil(target);
    let without = (input / target).max(1);
    if input % target > min {
        with_remainder
    } else {
        let avg = input / without;
        let cap = ((target as f64) * 1.1) as u64;
        if avg < cap.min(max) {
            without
        } else {
            with_remainder
        }
    }
}

/// The file sizes a plan works with: files under `min` or over `max` are rewritten into files
/// of about `target`.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    target: u64,
    min: u64,
    max: u64,
}

impl Sizes {
    /// The options' sizes, the target defaulting to the table's.
    fn of(table: &Table, options: &CompactOptions) -> Result<Sizes> {
        let target = match options.target_file_size {
            Some(t) => t,
            None => crate::health::target_file_size(table)?,
        };
        let min = options.min_file_size.unwrap_or(target * 3 / 4);
        let max = options.max_file_size.unwrap_or(target * 9 / 5);
        if !(min <= target && target <= max) {
            return Err(Error::option(
                "target-file-size-bytes",
                format!("need min-file-size ({min}) <= target-file-size ({target}) <= max-file-size ({max})"),
            ));
        }
        Ok(Sizes { target, min, max })
    }
}

/// Plans a compaction of the branch's files: selects, groups and bin-packs them, reading nothing
/// but metadata.
pub(crate) async fn plan(table: &Table, options: &CompactOptions) -> Result<CompactPlan> {
    let md = table.metadata();
    let ident = table.identifier().to_string();
    let branch = options
        .branch
        .clone()
        .unwrap_or_else(|| iceberg::spec::MAIN_BRANCH.to_string());
    let sizes = Sizes::of(table, options)?;
    if options.min_input_files == 0 {
        return Err(Error::option("min-input-files", "must be at least 1"));
    }
    let filter = options
        .filter
        .as_deref()
        .map(|w| super::predicate::parse_where(w, md.current_schema()))
        .transpose()?;
    let snapshot = if options.branch.is_some() {
        SnapshotSelector::Ref(branch.clone()).resolve(table)?
    } else {
        md.snapshot_for_ref(&branch).cloned()
    };
    let Some(snapshot) = snapshot else {
        return Ok(CompactPlan {
            table: ident,
            branch,
            snapshot_id: None,
            sequence_number: 0,
            target_file_size: sizes.target,
            min_file_size: sizes.min,
            max_file_size: sizes.max,
            total_data_files: 0,
            groups: Vec::new(),
            delete_targets: HashMap::new(),
        });
    };

    let (tasks, matching) = scan(table, &snapshot, filter).await?;
    // iceberg's scan tasks do not carry the data file's spec: take it from the manifests
    let spec_of: HashMap<String, i32> = crate::files::live_files(table, &snapshot)
        .await?
        .into_iter()
        .filter(|f| f.content() == iceberg::spec::DataContentType::Data)
        .map(|f| (f.file.file_path().to_string(), f.spec_id))
        .collect();
    let delete_targets = delete_targets(&tasks);
    let total_data_files = tasks.len();
    let by_partition = select(table, options, sizes, tasks, matching.as_ref(), &spec_of)?;
    let mut groups = bin_pack(table, options, sizes, by_partition);
    if let Some(limit) = options.max_files {
        let mut taken = 0;
        groups.retain(|g| {
            if taken + g.input_files <= limit {
                taken += g.input_files;
                true
            } else {
                false
            }
        });
    }
    for (i, g) in groups.iter_mut().enumerate() {
        g.index = i;
    }
    Ok(CompactPlan {
        table: ident,
        branch,
        snapshot_id: Some(snapshot.snapshot_id()),
        sequence_number: snapshot.sequence_number(),
        target_file_size: sizes.target,
        min_file_size: sizes.min,
        max_file_size: sizes.max,
        total_data_files,
        groups,
        delete_targets,
    })
}

/// Every data file of the snapshot with the delete files that apply to it (iceberg's delete
/// index), and the paths of those that may hold rows matching `filter`, if any.
async fn scan(
    table: &Table,
    snapshot: &SnapshotRef,
    filter: Option<Predicate>,
) -> Result<(Vec<FileScanTask>, Option<HashSet<String>>)> {
    let tasks: Vec<FileScanTask> = table
        .scan()
        .snapshot_id(snapshot.snapshot_id())
        .select_all()
        .build()?
        .plan_files()
        .await?
        .try_collect()
        .await?;
    let matching: Option<HashSet<String>> = match filter {
        None => None,
        Some(pred) => Some(
            table
                .scan()
                .snapshot_id(snapshot.snapshot_id())
                .select_all()
                .with_filter(pred)
                .build()?
                .plan_files()
                .await?
                .map_ok(|t| t.data_file_path)
                .try_collect()
                .await?,
        ),
    };
    Ok((tasks, matching))
}

/// For each delete file, the data files it applies to.
fn delete_targets(tasks: &[FileScanTask]) -> HashMap<String, HashSet<String>> {
    let mut delete_targets: HashMap<String, HashSet<String>> = HashMap::new();
    for t in tasks {
        for d in &t.deletes {
            delete_targets
                .entry(d.file_path.clone())
                .or_default()
                .insert(t.data_file_path.clone());
        }
    }
    delete_targets
}

/// The files to rewrite (matching the filter; too small, too large, with too many deletes or
/// in an older spec), by (spec, partition).
fn select(
    table: &Table,
    options: &CompactOptions,
    sizes: Sizes,
    tasks: Vec<FileScanTask>,
    matching: Option<&HashSet<String>>,
    spec_of: &HashMap<String, i32>,
) -> Result<BTreeMap<(i32, String), Vec<FileScanTask>>> {
    let md = table.metadata();
    let default_spec = md.default_partition_spec_id();
    let mut by_partition: BTreeMap<(i32, String), Vec<FileScanTask>> = BTreeMap::new();
    for mut t in tasks {
        if let Some(m) = matching {
            if !m.contains(&t.data_file_path) {
                continue;
            }
        }
        let spec_id = *spec_of.get(&t.data_file_path).ok_or_else(|| {
            Error::option(
                "snapshot",
                format!(
                    "data file {} is in the scan but in no manifest",
                    t.data_file_path
                ),
            )
        })?;

        let size = t.file_size_in_bytes;
        let selected = options.rewrite_all
            || size < sizes.min
            || size > sizes.max
            || t.deletes.len() >= options.delete_file_threshold
            || spec_id != default_spec;
        if !selected {
            continue;
        }
        t.predicate = None; // every row of a rewritten file is kept
        let key = if spec_id == default_spec {
            format!("{:?}", t.partition)
        } else {
            // written under an older spec, rewritten into the current one: files of one old
            // spec whose partitions agree on every field the current spec shares with it go
            // together, so each new partition gets one set of files, not one per old partition
            // (groups never mix specs: conflict checks read a group's spec)
            evolved_key(md, spec_id, t.partition.as_ref())
        };
        by_partition.entry((spec_id, key)).or_default().push(t);
    }
    Ok(by_partition)
}

/// Each partition's files packed first-fit decreasing into groups of at most
/// `max-file-group-size-bytes`, keeping the groups worth rewriting.
fn bin_pack(
    table: &Table,
    options: &CompactOptions,
    sizes: Sizes,
    by_partition: BTreeMap<(i32, String), Vec<FileScanTask>>,
) -> Vec<FileGroup> {
    let md = table.metadata();
    let default_spec = md.default_partition_spec_id();
    let max_group = options.max_file_group_size;
    let mut evolved_partition: HashMap<(i32, String), serde_json::Map<String, serde_json::Value>> =
        HashMap::new();
    let mut groups = Vec::new();
    for ((spec_id, key), mut files) in by_partition {
        files.sort_by_key(|f| std::cmp::Reverse(f.file_size_in_bytes));
        let mut bins: Vec<(u64, Vec<FileScanTask>)> = Vec::new();
        for f in files {
            let size = f.file_size_in_bytes;
            match bins.iter_mut().find(|(s, _)| s + size <= max_group) {
                Some(bin) => {
                    bin.0 += size;
                    bin.1.push(f)
                }
                None => bins.push((size, vec![f])),
            }
        }
        for (bytes, files) in bins {
            let n = files.len();
            let too_many_deletes = files
                .iter()
                .any(|f| f.deletes.len() >= options.delete_file_threshold);
            let wrong_spec = spec_id != default_spec;
            let worth = options.rewrite_all
                || (n > 1 && n >= options.min_input_files)
                || (n > 1 && bytes > sizes.target)
                || bytes > max_group
                || too_many_deletes
                || wrong_spec;
            if !worth {
                continue;
            }
            let mut group = file_group(md, spec_id, bytes, files, sizes);
            if wrong_spec {
                // the group spans old partitions: show only what they share with the current spec
                let shared = evolved_partition
                    .entry((spec_id, key.clone()))
                    .or_insert_with(|| shared_fields(md, spec_id, &group.partition));
                group.partition = shared.clone();
            }
            groups.push(group);
        }
    }
    groups
}

/// A group of files of one spec and partition, described by their first file's partition.
fn file_group(
    md: &TableMetadata,
    spec_id: i32,
    bytes: u64,
    files: Vec<FileScanTask>,
    sizes: Sizes,
) -> FileGroup {
    let first = &files[0];
    let spec = md.partition_spec_by_id(spec_id).cloned();
    let partition_value = first.partition.clone().unwrap_or_else(Struct::empty);
    let unified = partition::unified_fields(md, Some(&[spec_id]));
    let values = partition::project(&unified, spec.as_deref(), &partition_value);
    let partition_json: serde_json::Map<_, _> = unified
        .iter()
        .zip(values.iter())
        .map(|(f, v)| (f.name.clone(), partition::value_to_json(f, v.as_ref())))
        .collect();
    let deletes: HashSet<&str> = files
        .iter()
        .flat_map(|f| f.deletes.iter().map(|d| d.file_path.as_str()))
        .collect();
    FileGroup {
        index: 0,
        spec_id,
        partition: partition_json,
        input_files: files.len(),
        input_bytes: bytes,
        input_records: files.iter().map(|f| f.record_count.unwrap_or(0)).sum(),
        delete_files: deletes.len(),
        expected_output_files: expected_output_files(bytes, sizes.target, sizes.min, sizes.max),
        partition_value,
        tasks: files,
    }
}

#[cfg(test)]
mod tests {
    use super::expected_output_files;

    #[test]
    fn output_files_follow_sparks_rounding() {
        let mib = 1 << 20;
        let (t, min, max) = (512 * mib, 384 * mib, 921 * mib);
        assert_eq!(expected_output_files(10 * mib, t, min, max), 1);
        assert_eq!(expected_output_files(512 * mib, t, min, max), 1);
        // a 100 MiB remainder is folded into the one file (avg 612 MiB > 1.1 x 512): two files
        assert_eq!(expected_output_files(612 * mib, t, min, max), 2);
        // a small remainder with an average under 1.1 x target: no extra file
        assert_eq!(expected_output_files(1044 * mib, t, min, max), 2);
        // a remainder above the minimum is its own file
        assert_eq!(expected_output_files(1424 * mib, t, min, max), 3);
    }
}
