//! `quickstart`: the embedded lakehouse and a demo table with the small-files problem.

use anyhow::Result;
use icehelper_core::catalog::{parse_table_ident, LakeCatalog};
use icehelper_core::config::CatalogConfig;
use icehelper_core::health::PartitionHealth;

use super::health::report_and_judge;
use crate::cli::{Cli, OutputFormat, QuickstartArgs};
use crate::output::human_bytes;
use crate::Outcome;

pub(super) async fn run(cli: &Cli, args: &QuickstartArgs) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let config = CatalogConfig::resolve(cli.catalog.catalog.as_deref(), &cli.catalog.overrides())?;
    let catalog = LakeCatalog::open_or_create(&config).await?;
    if catalog.iceberg().table_exists(&ident).await? {
        anyhow::bail!("table {ident} already exists; drop it or pick another name with --table");
    }
    if !cli.global.quiet {
        eprintln!(
            "writing {} rows to {} in {} commits (catalog '{}', warehouse {}) ...",
            args.rows,
            ident,
            args.commits,
            config.name,
            config.get("warehouse").unwrap_or("?")
        );
    }
    let report = icehelper_core::quickstart::Quickstart::new(&catalog)
        .with_table(ident.clone())
        .with_rows(args.rows)
        .with_commits(args.commits)
        .with_days(args.days)
        .execute()
        .await?;
    if !cli.global.quiet {
        eprintln!(
            "created {}: {} rows, {} data files ({}) in {} commits, {:.1} s\n",
            report.table,
            report.rows,
            report.data_files,
            human_bytes(report.bytes),
            report.commits,
            report.duration_ms as f64 / 1000.0
        );
    }
    let table = catalog.load_table(&ident).await?;
    let health = PartitionHealth::new(&table).execute().await?;
    if cli.global.output == OutputFormat::Json {
        crate::output::print_json(&serde_json::json!({ "quickstart": report, "health": health }))?;
        return Ok(Outcome::Ok);
    }
    report_and_judge(OutputFormat::Text, &health, None)?;
    crate::output::print_text(&format!(
        "\nNext: icehelper describe {t}   icehelper compact {t} --dry-run   icehelper compact {t}   icehelper partition-health {t}",
        t = report.table
    ))?;
    Ok(Outcome::Ok)
}
