//! `expire-snapshots`, `remove-orphan-files`, `rewrite-manifests`, `rollback`.

use anyhow::Result;
use icehelper_core::catalog::parse_table_ident;
use icehelper_core::cleanup::{parse_older_than, FileKind, KindCount};
use icehelper_core::expire::{ExpireMetrics, ExpireSnapshots};
use icehelper_core::manifests::{RewriteManifests, RewriteManifestsMetrics};
use icehelper_core::orphans::{OrphanMetrics, PrefixMismatchMode, RemoveOrphanFiles};
use icehelper_core::rollback::{Rollback, RollbackMetrics, RollbackTarget};
use std::collections::BTreeMap;

use super::open_catalog;
use crate::cli::{
    CatalogArgs, ExpireSnapshotsArgs, OutputFormat, PrefixMismatch, RemoveOrphanFilesArgs,
    RewriteManifestsArgs, RollbackArgs,
};
use crate::output::{emit, human_bytes};
use crate::Outcome;

/// The `--older-than` cutoff of the verbs that delete files.
fn cutoff(
    older_than: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(older_than.map(|s| parse_older_than(s, now)).transpose()?)
}

pub(super) async fn expire(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &ExpireSnapshotsArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let now = chrono::Utc::now();
    let older_than = cutoff(args.older_than.as_deref(), now)?;
    let cat = open_catalog(catalog).await?;
    let mut op = ExpireSnapshots::new(&cat, ident)
        .with_now(now)
        .with_snapshot_ids(args.snapshot_ids.iter().copied())
        .with_max_concurrent_deletes(args.deletion.max_concurrent_deletes);
    if let Some(t) = older_than {
        op = op.with_older_than(t);
    }
    if let Some(n) = args.retain_last {
        op = op.with_retain_last(n);
    }
    let plan = op.plan().await?;
    let m = if args.deletion.dry_run {
        plan.metrics()
    } else {
        plan.execute().await?
    };
    emit(format, &m, render_expire)?;
    Ok(Outcome::Ok)
}

fn kinds(by_kind: &BTreeMap<FileKind, KindCount>) -> String {
    by_kind
        .iter()
        .map(|(k, c)| {
            let name = serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("  {name}: {} ({})\n", c.files, human_bytes(c.bytes))
        })
        .collect()
}

fn render_expire(m: &ExpireMetrics) -> String {
    let verb = if m.operation.dry_run {
        "would expire"
    } else {
        "expired"
    };
    let mut out = format!(
        "{}: {verb} {} snapshot(s) older than {}, {} retained\n",
        m.operation.table, m.expired_snapshots, m.older_than, m.retained_snapshots
    );
    for s in &m.expired {
        out.push_str(&format!("  snapshot {}\n", s.snapshot_id));
    }
    if !m.removed_refs.is_empty() {
        out.push_str(&format!("refs removed: {}\n", m.removed_refs.join(", ")));
    }
    let verb = if m.operation.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    out.push_str(&format!(
        "{verb} {} file(s), {}\n",
        m.deleted_files,
        human_bytes(m.deleted_bytes)
    ));
    out.push_str(&kinds(&m.deleted_by_kind));
    for f in &m.files {
        out.push_str(&format!("  {}\n", f.path));
    }
    if !m.failed_deletes.is_empty() {
        out.push_str(&format!(
            "{} file(s) could not be deleted (left for remove-orphan-files)\n",
            m.failed_deletes.len()
        ));
    }
    if !m.missing_files.is_empty() {
        out.push_str(&format!(
            "{} file(s) were already gone (not counted as deleted)\n",
            m.missing_files.len()
        ));
    }
    out
}

pub(super) async fn orphans(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &RemoveOrphanFilesArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let now = chrono::Utc::now();
    let older_than = cutoff(args.older_than.as_deref(), now)?;
    let cat = open_catalog(catalog).await?;
    let mut op = RemoveOrphanFiles::new(&cat, ident)
        .with_now(now)
        .with_allow_recent(args.allow_recent)
        .with_max_concurrent_deletes(args.deletion.max_concurrent_deletes)
        .with_prefix_mismatch(match args.prefix_mismatch {
            PrefixMismatch::Error => PrefixMismatchMode::Error,
            PrefixMismatch::Ignore => PrefixMismatchMode::Ignore,
            PrefixMismatch::Delete => PrefixMismatchMode::Delete,
        });
    if let Some(t) = older_than {
        op = op.with_older_than(t);
    }
    if let Some(l) = &args.location {
        op = op.with_location(l);
    }
    for (a, b) in &args.equal_schemes {
        op = op.with_equal_scheme(a, b);
    }
    let plan = op.plan().await?;
    let m = if args.deletion.dry_run {
        plan.metrics()
    } else {
        plan.execute().await?
    };
    emit(format, &m, render_orphans)?;
    Ok(Outcome::Ok)
}

fn render_orphans(m: &OrphanMetrics) -> String {
    let verb = if m.operation.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let mut out = format!(
        "{}: listed {} file(s) under {}; {} referenced; {verb} {} orphan(s) older than {} ({}); {} newer kept\n",
        m.operation.table,
        m.listed_files,
        m.locations.join(", "),
        m.referenced_files,
        m.deleted_files,
        m.older_than,
        human_bytes(m.deleted_bytes),
        m.too_recent_files
    );
    if !m.shared_with.is_empty() {
        out.push_str(&format!(
            "kept every file of {} other table(s) sharing these locations: {}\n",
            m.shared_with.len(),
            m.shared_with.join(", ")
        ));
    }
    for f in &m.files {
        out.push_str(&format!("  {}\n", f.path));
    }
    if !m.failed_deletes.is_empty() {
        out.push_str(&format!(
            "{} file(s) could not be deleted\n",
            m.failed_deletes.len()
        ));
    }
    if !m.missing_files.is_empty() {
        out.push_str(&format!(
            "{} file(s) were already gone (not counted as deleted)\n",
            m.missing_files.len()
        ));
    }
    out
}

pub(super) async fn rewrite_manifests(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &RewriteManifestsArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let cat = open_catalog(catalog).await?;
    let mut op = RewriteManifests::new(&cat, ident);
    if let Some(r) = &args.ref_name {
        op = op.with_branch(r);
    }
    let plan = op.plan().await?;
    let m = if args.dry_run {
        plan.metrics()
    } else {
        plan.execute().await?
    };
    emit(format, &m, render_rewrite)?;
    Ok(Outcome::Ok)
}

fn render_rewrite(m: &RewriteManifestsMetrics) -> String {
    let verb = if m.operation.dry_run {
        "would replace"
    } else {
        "replaced"
    };
    let mut out = format!(
        "{}: {verb} {} data manifest(s) with {} ({} entries); {} kept\n",
        m.operation.table,
        m.manifests_replaced,
        m.manifests_created,
        m.entries_processed,
        m.manifests_kept
    );
    if let Some(id) = m.operation.snapshot_id {
        out.push_str(&format!("snapshot {id}\n"));
    }
    out
}

pub(super) async fn rollback(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &RollbackArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let target = match (args.to_snapshot, &args.to_timestamp) {
        (Some(id), None) => RollbackTarget::Snapshot(id),
        (None, Some(ts)) => RollbackTarget::Timestamp(
            chrono::DateTime::parse_from_rfc3339(ts.trim())
                .map_err(|e| {
                    anyhow::anyhow!("invalid --to-timestamp: '{ts}' is not an RFC 3339 time ({e})")
                })?
                .with_timezone(&chrono::Utc),
        ),
        _ => anyhow::bail!("give exactly one of --to-snapshot and --to-timestamp"),
    };
    let cat = open_catalog(catalog).await?;
    let mut op =
        Rollback::new(&cat, ident, target).with_allow_non_ancestor(args.allow_non_ancestor);
    if let Some(r) = &args.ref_name {
        op = op.with_ref(r);
    }
    let plan = op.plan().await?;
    let m = if args.dry_run {
        plan.metrics()
    } else {
        plan.execute().await?
    };
    emit(format, &m, render_rollback)?;
    Ok(Outcome::Ok)
}

fn render_rollback(m: &RollbackMetrics) -> String {
    let verb = if m.operation.dry_run {
        "would move"
    } else if m.operation.commits == 0 {
        "left"
    } else {
        "moved"
    };
    format!(
        "{}: {verb} '{}' from {} to {}{}\n",
        m.operation.table,
        m.ref_name,
        m.previous_snapshot_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into()),
        m.target_snapshot_id,
        if m.non_ancestor {
            " (not an ancestor)"
        } else {
            ""
        }
    )
}
