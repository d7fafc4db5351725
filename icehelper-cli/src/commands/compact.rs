//! `compact`.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Result;
use icehelper_core::catalog::parse_table_ident;
use icehelper_core::compact::{CompactMetrics, CompactOptions, Compaction};
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
    let defaults = CompactOptions::default();
    let options = CompactOptions {
        target_file_size: args.target_file_size,
        min_file_size: args.min_file_size,
        max_file_size: args.max_file_size,
        min_input_files: args.min_input_files,
        rewrite_all: args.rewrite_all,
        delete_file_threshold: args
            .delete_file_threshold
            .unwrap_or(defaults.delete_file_threshold),
        filter: args.filter.clone(),
        partial_progress: args.partial_progress,
        max_commits: args.max_commits,
        max_concurrent_groups: args
            .max_concurrent_groups
            .unwrap_or(defaults.max_concurrent_groups),
        max_files: args.max_files,
        max_file_group_size: defaults.max_file_group_size,
        branch: args.ref_name.clone(),
    };
    let cat = open_catalog(catalog).await?;
    let bar = progress_bar(quiet);
    let shown = bar.clone();
    let op = Compaction::new(&cat, ident)
        .with_options(options)
        .with_progress(Arc::new(move |done, total, _bytes| {
            shown.set_length(total as u64);
            shown.set_position(done as u64);
        }));
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
