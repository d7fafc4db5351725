//! `compact`.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Result;
use icehelper_core::catalog::parse_table_ident;
use icehelper_core::compact::{CompactMetrics, Compaction};
use indicatif::{ProgressBar, ProgressStyle};

use super::open_catalog;
use crate::cli::{CatalogArgs, CompactArgs, OutputFormat};
use crate::output::{emit, human_bytes, table};
use crate::Outcome;

/// A bar on stderr, drawn only on a terminal and without `-q`.
fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} rewriting file groups {pos}/{len} [{elapsed}]")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub(super) async fn run(
    catalog: &CatalogArgs,
    format: OutputFormat,
    quiet: bool,
    args: &CompactArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let cat = open_catalog(catalog).await?;
    let bar = progress_bar(quiet);
    let shown = bar.clone();
    let mut op = Compaction::new(&cat, ident)
        .with_min_input_files(args.min_input_files)
        .with_rewrite_all(args.rewrite_all)
        .with_partial_progress(args.partial_progress)
        .with_max_commits(args.max_commits)
        .with_progress(Arc::new(move |done, total, _bytes| {
            shown.set_length(total as u64);
            shown.set_position(done as u64);
        }));
    if let Some(v) = args.target_file_size {
        op = op.with_target_file_size(v);
    }
    if let Some(v) = args.min_file_size {
        op = op.with_min_file_size(v);
    }
    if let Some(v) = args.max_file_size {
        op = op.with_max_file_size(v);
    }
    if let Some(v) = args.delete_file_threshold {
        op = op.with_delete_file_threshold(v);
    }
    if let Some(v) = &args.filter {
        op = op.with_where(v);
    }
    if let Some(v) = args.max_concurrent_groups {
        op = op.with_max_concurrent_groups(v);
    }
    if let Some(v) = args.max_files {
        op = op.with_max_files(v);
    }
    if let Some(v) = &args.ref_name {
        op = op.with_branch(v);
    }
    let metrics = match op.plan().await {
        Ok(plan) if args.dry_run => Ok(plan.metrics()),
        Ok(plan) => plan.execute().await,
        Err(e) => Err(e),
    };
    bar.finish_and_clear();
    let metrics = metrics?;
    emit(format, &metrics, render)?;
    Ok(Outcome::Ok)
}

pub(super) fn render(m: &CompactMetrics) -> String {
    let mut out = String::new();
    if let Some(plan) = &m.plan {
        let rows: Vec<Vec<String>> = plan
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.index.to_string(),
                    g.partition_path(),
                    g.spec_id.to_string(),
                    g.input_files.to_string(),
                    human_bytes(g.input_bytes),
                    g.delete_files.to_string(),
                    g.expected_output_files.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "group",
                "partition",
                "spec",
                "files",
                "bytes",
                "deletes",
                "output files",
            ],
            &rows,
        ));
        out.push_str(&format!(
            "dry run: {} groups would rewrite {} data files ({}) into about {} files and remove {} delete files; nothing changed\n",
            m.groups_planned,
            m.rewritten_data_files,
            human_bytes(m.rewritten_bytes),
            m.added_data_files,
            m.removed_delete_files,
        ));
        return out;
    }
    if m.groups_planned == 0 {
        return format!("{}: nothing to compact\n", m.operation.table);
    }
    out.push_str(&format!(
        "compacted {}: {} data files ({}) rewritten into {} ({}), {} delete files removed, {} records\n",
        m.operation.table,
        m.rewritten_data_files,
        human_bytes(m.rewritten_bytes),
        m.added_data_files,
        human_bytes(m.added_bytes),
        m.removed_delete_files,
        m.rewritten_records,
    ));
    out.push_str(&format!(
        "groups: {} planned, {} rewritten, {} aborted; commits: {} (retries {}); snapshot {}; {:.1} s\n",
        m.groups_planned,
        m.groups_rewritten,
        m.groups_aborted,
        m.operation.commits,
        m.operation.retries,
        m.operation
            .snapshot_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into()),
        m.operation.duration_ms as f64 / 1000.0,
    ));
    out
}
