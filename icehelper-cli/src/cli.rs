//! Command-line arguments.

use std::collections::BTreeMap;
use std::num::{NonZeroU64, NonZeroUsize};

use clap::{Args, Parser, Subcommand, ValueEnum};
use icehelper_core::{cleanup, compact};

/// Inspect and maintain Apache Iceberg tables.
///
/// Catalogs are configured as in PyIceberg: `.pyiceberg.yaml`, `PYICEBERG_CATALOG__<NAME>__<KEY>`
/// environment variables, or the flags below. With no configuration at all, icehelper uses an
/// embedded lakehouse: a SQLite catalog at ./lakehouse/catalog.db, warehouse ./lakehouse/warehouse.
///
/// Exit codes: 0 ok, 1 a problem was found (health under --fail-under, schemas differ), 2 error.
#[derive(Debug, Parser)]
#[command(
    name = "icehelper",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Which catalog to open.
#[derive(Debug, Args)]
#[command(next_help_heading = "Catalog")]
pub(crate) struct CatalogArgs {
    /// Catalog name (as in .pyiceberg.yaml; SQL catalogs key their rows by it) [default: default]
    #[arg(long, global = true, env = "ICEHELPER_CATALOG")]
    pub catalog: Option<String>,

    /// Catalog URI: sqlite:///path.db, postgresql://host/db, http(s)://rest-server
    #[arg(long, global = true)]
    pub uri: Option<String>,

    /// Warehouse location: a path, file:///..., or s3://bucket/prefix
    #[arg(long, global = true)]
    pub warehouse: Option<String>,

    /// Any catalog or storage property, e.g. -P s3.endpoint=http://127.0.0.1:9000 (repeatable)
    #[arg(short = 'P', long = "property", global = true, value_name = "KEY=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

impl CatalogArgs {
    /// The explicit overrides, later wins.
    pub(crate) fn overrides(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self.properties.iter().cloned().collect();
        if let Some(uri) = &self.uri {
            out.insert("uri".into(), uri.clone());
        }
        if let Some(w) = &self.warehouse {
            out.insert("warehouse".into(), w.clone());
        }
        out
    }
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got '{s}'")),
    }
}

/// Output and verbosity.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct GlobalArgs {
    /// Output format for results on stdout
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Only errors on stderr; no progress
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// More log detail on stderr (repeat for more)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// A readable table
    Text,
    /// JSON with stable field names
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the embedded lakehouse with a demo table that has the small-files problem, then show its health
    Quickstart(QuickstartArgs),
    /// List namespaces, or the tables of a namespace
    List(ListArgs),
    /// Show a table's schema, partition specs, sort orders, properties, location and refs
    Describe(TableArg),
    /// List a table's snapshots, oldest first
    Snapshots(TableArg),
    /// Per-partition figures (as Iceberg's `partitions` table) with file sizes, a score and a verdict
    PartitionHealth(PartitionHealthArgs),
    /// Compare two schemas by field id (TABLE, TABLE@SNAPSHOT_ID or TABLE@REF each); exit 1 when they differ
    SchemaDiff(SchemaDiffArgs),
    /// Bin-pack small files per partition into files of the target size, applying deletes (a `replace` snapshot)
    Compact(CompactArgs),
    /// Expire old snapshots per the retention policy, then delete the files only they reached
    ExpireSnapshots(ExpireSnapshotsArgs),
    /// Delete files under the table's locations that no metadata references
    RemoveOrphanFiles(RemoveOrphanFilesArgs),
    /// Rewrite data manifests into ones of commit.manifest.target-size-bytes, clustered by partition
    RewriteManifests(RewriteManifestsArgs),
    /// Move main (or --ref) back to an ancestor snapshot
    Rollback(RollbackArgs),
    /// Apply versioned schema, partition and sort-order migrations from a folder (one commit per file)
    Migrate(MigrateArgs),
    /// Create, list, drop and fast-forward branches
    #[command(subcommand)]
    Branch(BranchCommand),
    /// Create and drop tags
    #[command(subcommand)]
    Tag(TagCommand),
}

#[derive(Debug, Args)]
pub(crate) struct QuickstartArgs {
    /// Table to create
    #[arg(long, default_value = "demo.events")]
    pub table: String,
    /// Rows to write
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Append commits to spread them over (each writes one small file per partition it touches)
    #[arg(long, default_value_t = 30)]
    pub commits: u32,
    /// Days the events span (the day(ts) partitions)
    #[arg(long, default_value_t = 10)]
    pub days: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Namespace whose tables to list; without it, the namespaces
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TableArg {
    /// Table identifier: namespace.table
    pub table: String,
}

#[derive(Debug, Args)]
pub(crate) struct PartitionHealthArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Measure this snapshot instead of the current one
    #[arg(long, conflicts_with = "ref_name")]
    pub snapshot: Option<i64>,
    /// Measure this branch or tag instead of main
    #[arg(long = "ref", visible_alias = "branch", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Files smaller than this count as small, bytes or with a unit (96MiB) [default: 75% of write.target-file-size-bytes]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub small_file_size: Option<NonZeroU64>,
    /// Exit with code 1 when the table's score is below this (0-100)
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaDiffArgs {
    /// Left side: TABLE, TABLE@SNAPSHOT_ID or TABLE@REF
    pub left: String,
    /// Right side: TABLE, TABLE@SNAPSHOT_ID or TABLE@REF
    pub right: String,
}

#[derive(Debug, Args)]
pub(crate) struct ExpireSnapshotsArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Expire snapshots older than this: a duration (7d, 36h, 90m) or an RFC 3339 timestamp
    /// [default: history.expire.max-snapshot-age-ms, 5 days]
    #[arg(long, value_name = "DURATION|TIMESTAMP")]
    pub older_than: Option<String>,
    /// Keep at least this many snapshots of each branch [default: history.expire.min-snapshots-to-keep, 1]
    #[arg(long, value_name = "N")]
    pub retain_last: Option<u32>,
    /// Also expire this snapshot (repeatable); refused when a branch or tag points at it
    #[arg(long = "snapshot-id", value_name = "ID")]
    pub snapshot_ids: Vec<i64>,
    #[command(flatten)]
    pub deletion: DeletionArgs,
}

/// What every verb that deletes files takes.
#[derive(Debug, Args)]
pub(crate) struct DeletionArgs {
    /// Print what would be deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Files deleted at once
    #[arg(long, value_name = "N", default_value_t = cleanup::DEFAULT_MAX_CONCURRENT_DELETES)]
    pub max_concurrent_deletes: NonZeroUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PrefixMismatch {
    /// Refuse, deleting nothing
    Error,
    /// Keep such files
    Ignore,
    /// Delete such files
    Delete,
}

#[derive(Debug, Args)]
pub(crate) struct RemoveOrphanFilesArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Only remove files last modified before this: a duration (3d, 36h) or an RFC 3339 timestamp [default: 3d]
    #[arg(long, value_name = "DURATION|TIMESTAMP")]
    pub older_than: Option<String>,
    /// Allow --older-than under 24 hours (only when no writer is running)
    #[arg(long)]
    pub allow_recent: bool,
    /// List only this location (inside the table's locations) [default: the table location, write.data.path, write.metadata.path]
    #[arg(long, value_name = "URI")]
    pub location: Option<String>,
    /// Treat scheme A as scheme B, e.g. --equal-schemes wasbs=abfss (repeatable; s3a and s3n equal s3 always)
    #[arg(long, value_name = "A=B", value_parser = parse_property)]
    pub equal_schemes: Vec<(String, String)>,
    /// A listed file whose path is referenced under another scheme or authority
    #[arg(long, value_enum, default_value_t = PrefixMismatch::Error)]
    pub prefix_mismatch: PrefixMismatch,
    #[command(flatten)]
    pub deletion: DeletionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RewriteManifestsArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Rewrite this branch instead of main
    #[arg(long = "ref", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Print the plan; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_snapshot", "to_timestamp"])))]
pub(crate) struct RollbackArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// The snapshot to move to
    #[arg(long, value_name = "ID")]
    pub to_snapshot: Option<i64>,
    /// Move to the latest ancestor committed at or before this RFC 3339 time
    #[arg(long, value_name = "TIMESTAMP")]
    pub to_timestamp: Option<String>,
    /// The branch to move [default: main]
    #[arg(long = "ref", visible_alias = "branch", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Allow a snapshot that is not an ancestor of the branch (set-current)
    #[arg(long)]
    pub allow_non_ancestor: bool,
    /// Print what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Options named after Iceberg's Spark procedure `rewrite_data_files`.
#[derive(Debug, Args)]
pub(crate) struct CompactArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Target output file size, bytes or with a unit (128MiB, 1g) [default: write.target-file-size-bytes, else 512MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub target_file_size: Option<NonZeroU64>,
    /// Files smaller than this are rewritten [default: 75% of the target]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub min_file_size: Option<NonZeroU64>,
    /// Files larger than this are rewritten (split) [default: 180% of the target]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<NonZeroU64>,
    /// A partition's group is rewritten when it has at least this many files (or more bytes than the target)
    #[arg(long, value_name = "N", default_value_t = compact::DEFAULT_MIN_INPUT_FILES)]
    pub min_input_files: NonZeroUsize,
    /// Rewrite every file, whatever its size
    #[arg(long)]
    pub rewrite_all: bool,
    /// Rewrite any file that has at least this many delete files
    #[arg(long, value_name = "N")]
    pub delete_file_threshold: Option<NonZeroUsize>,
    /// Only files that may hold rows matching this filter, e.g. "region = 'eu' AND ts >= '2024-01-01'"
    #[arg(long = "where", value_name = "FILTER")]
    pub filter: Option<String>,
    /// Commit groups as they finish (in up to --max-commits commits) instead of all at the end
    #[arg(long)]
    pub partial_progress: bool,
    /// With --partial-progress: the most commits to make
    #[arg(
        long,
        value_name = "N",
        default_value_t = compact::DEFAULT_MAX_COMMITS,
        requires = "partial_progress"
    )]
    pub max_commits: NonZeroUsize,
    /// File groups rewritten at the same time [default: the number of cores]
    #[arg(long, value_name = "N")]
    pub max_concurrent_groups: Option<NonZeroUsize>,
    /// Rewrite at most this many input files (the first groups of the plan that fit)
    #[arg(long, value_name = "N")]
    pub max_files: Option<usize>,
    /// Compact this branch instead of main
    #[arg(long = "ref", visible_alias = "branch", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Print the plan (groups, input files and bytes, expected output files) and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// A size in bytes: a number, or a number with a unit (k, m, g, t; KiB, MiB, GiB, TiB; KB, MB, GB: all powers of 1024).
pub(crate) fn parse_size(s: &str) -> Result<NonZeroU64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 134217728, 128MiB, 1g)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit '{other}' in '{s}' (use KiB, MiB, GiB, TiB)"
            ))
        }
    };
    let bytes = value * mult as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("'{s}' must be a positive size"));
    }
    if bytes.fract() != 0.0 {
        return Err(format!("'{s}' is not a whole number of bytes"));
    }
    NonZeroU64::new(bytes as u64).ok_or_else(|| format!("'{s}' must be a positive size"))
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// Table identifier: namespace.table
    #[arg(required_unless_present = "generate")]
    pub table: Option<String>,
    /// Folder of numbered migration files (0001_add_channel.toml, 0002_widen_qty.toml, ...)
    #[arg(long, value_name = "DIR", required_unless_present = "generate")]
    pub dir: Option<std::path::PathBuf>,
    /// Print the schema diff each pending file would make; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply files up to and including this version only
    #[arg(long, value_name = "VERSION")]
    pub to: Option<u64>,
    /// Print the migration that turns LEFT's schema into RIGHT's (TABLE, TABLE@SNAPSHOT_ID or TABLE@REF each); exit 1 when part of it cannot be expressed
    #[arg(long, num_args = 2, value_names = ["LEFT", "RIGHT"], conflicts_with_all = ["table", "dir", "dry_run", "to"])]
    pub generate: Option<Vec<String>>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BranchCommand {
    /// Create a branch at main's current snapshot (or --from a snapshot, branch or tag)
    Create(BranchCreateArgs),
    /// List a table's branches and tags
    List(TableArg),
    /// Drop a branch (never main)
    Drop(RefNameArgs),
    /// Move branch TARGET to the head of SOURCE; refused unless TARGET is an ancestor of SOURCE
    FastForward(FastForwardArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TagCommand {
    /// Create a tag at main's current snapshot (or --snapshot ID)
    Create(TagCreateArgs),
    /// Drop a tag
    Drop(RefNameArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BranchCreateArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Branch name
    pub name: String,
    /// Start at this snapshot id, or at the snapshot of this branch or tag [default: main]
    #[arg(long, value_name = "SNAPSHOT|REF")]
    pub from: Option<String>,
    /// Snapshots of the branch older than this may be expired (7d, 12h, 30m, ...)
    #[arg(long, value_name = "DUR")]
    pub max_snapshot_age: Option<String>,
    /// Snapshots of the branch kept by expiry whatever their age
    #[arg(long, value_name = "N")]
    pub min_snapshots_to_keep: Option<i32>,
    /// The branch itself may be removed by expiry after this (7d, 12h, ...)
    #[arg(long, value_name = "DUR")]
    pub max_ref_age: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TagCreateArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Tag name
    pub name: String,
    /// Tag this snapshot id [default: main's current snapshot]
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<i64>,
    /// The tag may be removed by expiry after this (7d, 12h, ...)
    #[arg(long, value_name = "DUR")]
    pub max_ref_age: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RefNameArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Branch or tag name
    pub name: String,
}

#[derive(Debug, Args)]
pub(crate) struct FastForwardArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// The branch that moves (e.g. main)
    pub target: String,
    /// The branch (or tag) whose snapshot TARGET moves to
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
}
