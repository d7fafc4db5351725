//! One function per verb; each returns what to exit with.

mod compact;
mod health;
mod inspect;
mod maintenance;
mod migrate;
mod quickstart;
mod refs;
mod schema_diff;

use anyhow::Result;
use icehelper_core::catalog::LakeCatalog;
use icehelper_core::config::CatalogConfig;

use crate::cli::{CatalogArgs, Cli, Command};
use crate::Outcome;

/// Resolves the configuration and opens the catalog (never creating anything).
pub(crate) async fn open_catalog(args: &CatalogArgs) -> Result<LakeCatalog> {
    let config = CatalogConfig::resolve(args.catalog.as_deref(), &args.overrides())?;
    tracing::info!(catalog = %config.name, kind = ?config.kind().ok(), "opening catalog");
    Ok(LakeCatalog::open(&config).await?)
}

pub(crate) async fn run(cli: Cli) -> Result<Outcome> {
    let format = cli.global.output;
    match &cli.command {
        Command::Quickstart(args) => quickstart::run(&cli, args).await,
        Command::List(args) => inspect::list(&cli.catalog, format, args).await,
        Command::Describe(args) => inspect::describe(&cli.catalog, format, args).await,
        Command::Snapshots(args) => inspect::snapshots(&cli.catalog, format, args).await,
        Command::PartitionHealth(args) => health::run(&cli.catalog, format, args).await,
        Command::SchemaDiff(args) => schema_diff::run(&cli.catalog, format, args).await,
        Command::Compact(args) => compact::run(&cli.catalog, format, cli.global.quiet, args).await,
        Command::ExpireSnapshots(args) => maintenance::expire(&cli.catalog, format, args).await,
        Command::RemoveOrphanFiles(args) => maintenance::orphans(&cli.catalog, format, args).await,
        Command::RewriteManifests(args) => {
            maintenance::rewrite_manifests(&cli.catalog, format, args).await
        }
        Command::Rollback(args) => maintenance::rollback(&cli.catalog, format, args).await,
        Command::Migrate(args) => migrate::run(&cli.catalog, format, args).await,
        Command::Branch(cmd) => refs::branch(&cli.catalog, format, cmd).await,
        Command::Tag(cmd) => refs::tag(&cli.catalog, format, cmd).await,
    }
}
