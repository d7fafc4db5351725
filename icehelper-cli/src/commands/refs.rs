//! `branch create|list|drop|fast-forward` and `tag create|drop`.

use anyhow::Result;
use icehelper_core::catalog::{parse_table_ident, SnapshotSelector};
use icehelper_core::cleanup::parse_duration;
use icehelper_core::inspect::{describe_refs, RefDescription};
use icehelper_core::refs::{CreateRef, DropRef, FastForward, RefMetrics};

use super::open_catalog;
use crate::cli::{BranchCommand, CatalogArgs, OutputFormat, TagCommand};
use crate::output::{emit, table};
use crate::Outcome;

/// A positive retention age (a ref kept for no time at all is a mistake, not a setting).
fn duration(flag: &str, v: &Option<String>) -> Result<Option<std::time::Duration>> {
    v.as_deref()
        .map(|s| {
            parse_duration(s)
                .ok()
                .and_then(|d| d.to_std().ok())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "invalid {flag}: '{s}' is not a duration like 7d, 12h, 30m, 45s or 500ms"
                    )
                })
        })
        .transpose()
}

fn render(m: &RefMetrics) -> String {
    let snap = |s: Option<i64>| s.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
    match m.operation.operation.name() {
        "branch-fast-forward" if m.operation.commits == 0 => format!(
            "branch '{}' of {} is already at snapshot {}",
            m.name,
            m.operation.table,
            snap(m.operation.snapshot_id)
        ),
        "branch-fast-forward" => format!(
            "branch '{}' of {} moved from snapshot {} to {}",
            m.name,
            m.operation.table,
            snap(m.previous_snapshot_id),
            snap(m.operation.snapshot_id)
        ),
        op if op.ends_with("-drop") => format!(
            "{} '{}' of {} dropped (it pointed at snapshot {})",
            m.kind,
            m.name,
            m.operation.table,
            snap(m.previous_snapshot_id)
        ),
        _ => format!(
            "{} '{}' of {} created at snapshot {}",
            m.kind,
            m.name,
            m.operation.table,
            snap(m.operation.snapshot_id)
        ),
    }
}

fn render_list(refs: &[RefDescription]) -> String {
    let ms = |v: Option<i64>| {
        v.map(|v| icehelper_core::cleanup::format_duration(chrono::Duration::milliseconds(v)))
            .unwrap_or_else(|| "-".into())
    };
    let rows: Vec<Vec<String>> = refs
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.kind.clone(),
                r.snapshot_id.to_string(),
                r.min_snapshots_to_keep
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                ms(r.max_snapshot_age_ms),
                ms(r.max_ref_age_ms),
            ]
        })
        .collect();
    table(
        &[
            "name",
            "kind",
            ">snapshot",
            ">min snapshots",
            ">max snapshot age",
            ">max ref age",
        ],
        &rows,
    )
}

pub(super) async fn branch(
    catalog: &CatalogArgs,
    format: OutputFormat,
    cmd: &BranchCommand,
) -> Result<Outcome> {
    match cmd {
        BranchCommand::Create(a) => {
            let ident = parse_table_ident(&a.table)?;
            let max_snapshot_age = duration("--max-snapshot-age", &a.max_snapshot_age)?;
            let max_ref_age = duration("--max-ref-age", &a.max_ref_age)?;
            let cat = open_catalog(catalog).await?;
            let mut op = CreateRef::branch(&cat, ident, &a.name);
            if let Some(from) = &a.from {
                op = op.with_from(match from.parse::<i64>() {
                    Ok(id) => SnapshotSelector::Id(id),
                    Err(_) => SnapshotSelector::Ref(from.clone()),
                });
            }
            if let Some(v) = max_snapshot_age {
                op = op.with_max_snapshot_age(v);
            }
            if let Some(n) = a.min_snapshots_to_keep {
                op = op.with_min_snapshots_to_keep(n);
            }
            if let Some(v) = max_ref_age {
                op = op.with_max_ref_age(v);
            }
            emit(format, &op.execute().await?, render)?;
        }
        BranchCommand::List(a) => {
            let ident = parse_table_ident(&a.table)?;
            let cat = open_catalog(catalog).await?;
            let t = cat.load_table(&ident).await?;
            emit(format, &describe_refs(&t)?, |r| render_list(r))?;
        }
        BranchCommand::Drop(a) => {
            let ident = parse_table_ident(&a.table)?;
            let cat = open_catalog(catalog).await?;
            emit(
                format,
                &DropRef::branch(&cat, ident, &a.name).execute().await?,
                render,
            )?;
        }
        BranchCommand::FastForward(a) => {
            let ident = parse_table_ident(&a.table)?;
            let cat = open_catalog(catalog).await?;
            let m = FastForward::new(&cat, ident, &a.target, &a.from)
                .execute()
                .await?;
            emit(format, &m, render)?;
        }
    }
    Ok(Outcome::Ok)
}

pub(super) async fn tag(
    catalog: &CatalogArgs,
    format: OutputFormat,
    cmd: &TagCommand,
) -> Result<Outcome> {
    match cmd {
        TagCommand::Create(a) => {
            let ident = parse_table_ident(&a.table)?;
            let max_ref_age = duration("--max-ref-age", &a.max_ref_age)?;
            let cat = open_catalog(catalog).await?;
            let mut op = CreateRef::tag(&cat, ident, &a.name);
            if let Some(id) = a.snapshot {
                op = op.with_from(SnapshotSelector::Id(id));
            }
            if let Some(v) = max_ref_age {
                op = op.with_max_ref_age(v);
            }
            emit(format, &op.execute().await?, render)?;
        }
        TagCommand::Drop(a) => {
            let ident = parse_table_ident(&a.table)?;
            let cat = open_catalog(catalog).await?;
            emit(
                format,
                &DropRef::tag(&cat, ident, &a.name).execute().await?,
                render,
            )?;
        }
    }
    Ok(Outcome::Ok)
}
