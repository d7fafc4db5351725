//! `partition-health`.

use anyhow::Result;
use icehelper_core::catalog::{parse_table_ident, SnapshotSelector};
use icehelper_core::health::{row_path, HealthReport, PartitionHealth};

use super::open_catalog;
use crate::cli::{CatalogArgs, OutputFormat, PartitionHealthArgs};
use crate::output::{emit, human_bytes, table};
use crate::Outcome;

pub(super) async fn run(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &PartitionHealthArgs,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let cat = open_catalog(catalog).await?;
    let t = cat.load_table(&ident).await?;
    let mut op = PartitionHealth::new(&t);
    if let Some(id) = args.snapshot {
        op = op.with_snapshot(SnapshotSelector::Id(id));
    }
    if let Some(name) = &args.ref_name {
        op = op.with_snapshot(SnapshotSelector::Ref(name.clone()));
    }
    if let Some(n) = args.small_file_size {
        op = op.with_small_file_size(n);
    }
    let report = op.execute().await?;
    report_and_judge(format, &report, args.fail_under)
}

/// Prints the report; `Problem` when the table's score is under `fail_under`.
pub(super) fn report_and_judge(
    format: OutputFormat,
    report: &HealthReport,
    fail_under: Option<u8>,
) -> Result<Outcome> {
    emit(format, report, render)?;
    match fail_under {
        Some(min) if report.table.score < min => {
            tracing::warn!(
                score = report.table.score,
                fail_under = min,
                "health score below threshold"
            );
            Ok(Outcome::Problem)
        }
        _ => Ok(Outcome::Ok),
    }
}

pub(super) fn render(r: &HealthReport) -> String {
    let rows: Vec<Vec<String>> = r
        .partitions
        .iter()
        .map(|p| {
            vec![
                row_path(p),
                p.spec_id.to_string(),
                p.record_count.to_string(),
                p.file_count.to_string(),
                p.small_file_count.to_string(),
                human_bytes(p.total_data_file_size_in_bytes),
                p.avg_file_size_in_bytes
                    .map(human_bytes)
                    .unwrap_or_else(|| "-".into()),
                (p.position_delete_file_count + p.equality_delete_file_count).to_string(),
                p.score.to_string(),
                p.verdict.to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "partition",
            ">spec",
            ">records",
            ">files",
            ">small",
            ">size",
            ">avg file",
            ">delete files",
            ">score",
            "verdict",
        ],
        &rows,
    );
    let t = &r.table;
    out.push('\n');
    out.push_str(&format!(
        "Table {} at snapshot {}\n",
        t.table,
        t.snapshot_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into())
    ));
    out.push_str(&format!(
        "  partitions {}   data files {} ({} small, under {})   delete files {}\n",
        t.partition_count,
        t.data_file_count,
        t.small_file_count,
        human_bytes(t.small_file_threshold_in_bytes),
        t.delete_file_count
    ));
    out.push_str(&format!(
        "  records {}   data {}   target file size {}   skew {}\n",
        t.record_count,
        human_bytes(t.total_data_file_size_in_bytes),
        human_bytes(t.target_file_size_in_bytes),
        t.skew
            .map(|s| format!("{s:.2}"))
            .unwrap_or_else(|| "-".into())
    ));
    out.push_str(&format!(
        "  manifests {} ({})   snapshots {}   metadata.json {}\n",
        t.manifest_count,
        human_bytes(t.manifest_bytes),
        t.snapshot_count,
        t.metadata_json_bytes
            .map(human_bytes)
            .unwrap_or_else(|| "-".into())
    ));
    out.push_str(&format!("  score {}/100: {}\n", t.score, t.verdict));
    for f in &t.findings {
        out.push_str(&format!("  - {f}\n"));
    }
    out
}
