//! # icehelper-core
//!
//! Apache Iceberg table inspection and maintenance on [iceberg-rust](https://docs.rs/iceberg),
//! for tables written by Spark, PyIceberg, Trino or Flink.
//!
//! - [`config`]: catalog configuration the way PyIceberg reads it (`.pyiceberg.yaml`,
//!   `PYICEBERG_CATALOG__*`), with an embedded SQLite default.
//! - [`catalog`]: SQL (SQLite/PostgreSQL, PyIceberg and Java JDBC layouts) and REST catalogs.
//! - [`storage`]: an `object_store`-backed iceberg storage for `file://` and `s3://`.
//! - [`layout`]: where new data files go, partition folders named as Iceberg Java names them.
//! - [`commit`]: the commit layer (requirements + updates per catalog kind, retries, snapshots
//!   that add and remove files).
//! - [`compact`]: bin-pack compaction through deletes, as Spark's `rewrite_data_files`.
//! - [`expire`], [`orphans`], [`manifests`], [`rollback`]: snapshot retention that deletes the files only
//!   expired snapshots reached, orphan-file removal, manifest rewrites, moving a branch back ([`cleanup`] holds
//!   what they share: reachability, deletion, ages, path comparison).
//! - [`inspect`]: describe a table and list its snapshots.
//! - [`health`]: per-partition figures (as Iceberg's `partitions` metadata table) and a health score.
//! - [`schema_diff`]: compare two schemas by field id, with compatibility verdicts.
//! - [`migrate`]: versioned schema, partition-spec and sort-order migrations (Flyway-like).
//! - [`refs`]: branches and tags, fast-forward for write-audit-publish.
//! - `quickstart` and `append` (feature `demo`, which the CLI enables): create a demo table with
//!   the small-files problem, append Arrow batches as Parquet data files.
//!
//! ## Why not upstream
//!
//! Parts iceberg 0.10.1 has but keeps private, or lacks, and what upstream change would retire ours:
//! - **Snapshots that remove files** (`commit::snapshot`): iceberg-rust's transactions only
//!   append (`FastAppend`); a public `RewriteFiles`/`OverwriteFiles` action would retire it.
//! - **REST commits** (`catalog::RestCommitter`): `iceberg-catalog-rest` commits only a crate-private
//!   `TableCommit`; a public `update_table(requirements, updates)` would.
//! - **Branches and tags** (`refs`, `rollback`): no `ManageSnapshots` action in iceberg-rust.
//! - **SQL catalog layouts** (`catalog::sql`): `iceberg-catalog-sql` knows neither PyIceberg's
//!   nor Java JDBC's V0 layout, nor `iceberg_type`; one shared layout upstream would.
//! - **Reading metadata** (`catalog`'s reader): `TableMetadata::read_from` parses with
//!   serde_json's recursion limit; a reader taking a deserializer would.
//! - **Storage** (`storage`): iceberg's own `FileIO` backends are opendal's; ours is object_store
//!   with byte-exact paths, so a `Storage` trait upstream (0.10 has it) keeps this a plug-in.
//!
//! ```no_run
//! use icehelper_core::{catalog::{parse_table_ident, LakeCatalog}, config::CatalogConfig, health};
//! # async fn run() -> icehelper_core::Result<()> {
//! let config = CatalogConfig::resolve(None, &Default::default())?;
//! let catalog = LakeCatalog::open(&config).await?;
//! let table = catalog.load_table(&parse_table_ident("demo.events")?).await?;
//! let report = health::PartitionHealth::new(&table).execute().await?;
//! println!("score {}", report.table.score);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

#[macro_use]
mod macros;

#[cfg(feature = "demo")]
pub mod append;
pub mod catalog;
pub mod cleanup;
pub mod commit;
pub mod compact;
pub mod config;
pub mod error;
pub mod expire;
pub mod files;
pub mod health;
pub mod inspect;
pub mod layout;
pub mod manifests;
pub mod metrics;
pub mod migrate;
pub mod orphans;
pub mod partition;
mod planned;
#[cfg(feature = "demo")]
pub mod quickstart;
pub mod refs;
pub mod rollback;
pub mod schema_diff;
pub mod storage;

pub use error::{Error, Result};
pub use planned::Planned;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
