//! Command-line arguments.

use std::collections::BTreeMap;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
pub struct Cli {
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
pub struct CatalogArgs {
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
    pub fn overrides(&self) -> BTreeMap<String, String> {
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
pub struct GlobalArgs {
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
pub enum OutputFormat {
    /// A readable table
    Text,
    /// JSON with stable field names
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
pub struct QuickstartArgs {
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
pub struct ListArgs {
    /// Namespace whose tables to list; without it, the namespaces
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct TableArg {
    /// Table identifier: namespace.table
    pub table: String,
}

#[derive(Debug, Args)]
pub struct PartitionHealthArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Measure this snapshot instead of the current one
    #[arg(long, conflicts_with = "ref_name")]
    pub snapshot: Option<i64>,
    /// Measure this branch or tag instead of main
    #[arg(long = "ref", visible_alias = "branch", value_name = "NAME")]
    pub ref_name: Option<String>,
    /// Files smaller than this count as small [default: 75% of write.target-file-size-bytes]
    #[arg(long, value_name = "BYTES")]
    pub small_file_size: Option<u64>,
    /// Exit with code 1 when the table's score is below this (0-100)
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
}

#[derive(Debug, Args)]
pub struct SchemaDiffArgs {
    /// Left side: TABLE, TABLE@SNAPSHOT_ID or TABLE@REF
    pub left: String,
    /// Right side: TABLE, TABLE@SNAPSHOT_ID or TABLE@REF
    pub right: String,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
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
pub enum BranchCommand {
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
pub enum TagCommand {
    /// Create a tag at main's current snapshot (or --snapshot ID)
    Create(TagCreateArgs),
    /// Drop a tag
    Drop(RefNameArgs),
}

#[derive(Debug, Args)]
pub struct BranchCreateArgs {
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
pub struct TagCreateArgs {
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
pub struct RefNameArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// Branch or tag name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct FastForwardArgs {
    /// Table identifier: namespace.table
    pub table: String,
    /// The branch that moves (e.g. main)
    pub target: String,
    /// The branch (or tag) whose snapshot TARGET moves to
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
}
