//! `migrate TABLE --dir DIR [--dry-run] [--to VERSION]` and `migrate --generate LEFT RIGHT`.

use anyhow::Result;
use icehelper_core::catalog::parse_table_ident;
use icehelper_core::migrate::generate::generate;
use icehelper_core::migrate::{Migrate, MigrateMetrics, MigrationStatus};
use icehelper_core::schema_diff::{detect_matching, MatchedBy};

use super::open_catalog;
use super::schema_diff::{resolve, side};
use crate::cli::{CatalogArgs, MigrateArgs, OutputFormat};
use crate::output::{emit, print_text};
use crate::Outcome;

pub(super) async fn run(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &MigrateArgs,
) -> Result<Outcome> {
    if let Some(sides) = &args.generate {
        return run_generate(catalog, &sides[0], &sides[1]).await;
    }
    let (Some(table), Some(dir)) = (&args.table, &args.dir) else {
        anyhow::bail!("migrate needs TABLE and --dir DIR (or --generate LEFT RIGHT)");
    };
    let ident = parse_table_ident(table)?;
    if !dir.is_dir() {
        anyhow::bail!("invalid --dir: {} is not a folder", dir.display());
    }
    let cat = open_catalog(catalog).await?;
    let mut op = Migrate::new(&cat, ident, dir);
    if let Some(v) = args.to {
        op = op.with_target_version(v);
    }
    let plan = op.plan().await?;
    let report = if args.dry_run {
        plan.metrics()
    } else {
        plan.execute().await?
    };
    emit(format, &report, render)?;
    Ok(Outcome::Ok)
}

fn render(m: &MigrateMetrics) -> String {
    let mut out = String::new();
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    if m.migrations.is_empty() {
        out.push_str(&format!(
            "{} is up to date at migration version {}\n",
            m.operation.table,
            version(&m.from_version)
        ));
        return out;
    }
    for r in &m.migrations {
        let status = match r.status {
            MigrationStatus::Pending => "would apply",
            MigrationStatus::Applied => "applied",
            MigrationStatus::AlreadyApplied => "already applied by another run",
        };
        out.push_str(&format!("{} ({} changes): {status}\n", r.file, r.changes));
        for line in r.diff.to_text().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        for p in &r.properties_changed {
            out.push_str(&format!("  property: {p}\n"));
        }
    }
    out.push_str(&format!(
        "{}: migration version {} -> {}{}\n",
        m.operation.table,
        version(&m.from_version),
        version(&m.to_version),
        if m.operation.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    ));
    out
}

async fn run_generate(catalog: &CatalogArgs, left: &str, right: &str) -> Result<Outcome> {
    let _: icehelper_core::catalog::TableVersionSpec = left.parse()?;
    let _: icehelper_core::catalog::TableVersionSpec = right.parse()?;
    let cat = open_catalog(catalog).await?;
    let l = resolve(&cat, left).await?;
    let r = resolve(&cat, right).await?;
    let matched_by = if l.table.metadata().uuid() == r.table.metadata().uuid() {
        MatchedBy::FieldId
    } else {
        detect_matching(l.schema.as_ref(), r.schema.as_ref())
    };
    let generated = generate(&side(&l), &side(&r), matched_by);
    print_text(&generated.to_toml())?;
    if generated.unsupported.is_empty() {
        Ok(Outcome::Ok)
    } else {
        for u in &generated.unsupported {
            tracing::warn!("not expressible as a migration: {u}");
        }
        eprintln!(
            "{} difference(s) cannot be expressed as a migration (listed as comments at the top)",
            generated.unsupported.len()
        );
        Ok(Outcome::Problem)
    }
}
