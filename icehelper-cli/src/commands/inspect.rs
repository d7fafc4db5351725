//! `list`, `describe`, `snapshots`.

use anyhow::Result;
use icehelper_core::catalog::{parse_namespace, parse_table_ident};
use icehelper_core::inspect::{self, SnapshotInfo, TableDescription};
use serde::Serialize;

use super::open_catalog;
use crate::cli::{CatalogArgs, ListArgs, OutputFormat, TableArg};
use crate::output::{emit, table as text_table};
use crate::Outcome;

#[derive(Serialize)]
struct Listing {
    namespace: Option<String>,
    namespaces: Vec<String>,
    tables: Vec<String>,
}

pub(super) async fn list(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &ListArgs,
) -> Result<Outcome> {
    let parent = args.namespace.as_deref().map(parse_namespace).transpose()?;
    let cat = open_catalog(catalog).await?;
    let listing = match &parent {
        None => Listing {
            namespace: None,
            namespaces: cat
                .list_namespaces(None)
                .await?
                .iter()
                .map(|n| n.as_ref().join("."))
                .collect(),
            tables: Vec::new(),
        },
        Some(ns) => Listing {
            namespace: Some(ns.as_ref().join(".")),
            namespaces: cat
                .list_namespaces(Some(ns))
                .await?
                .iter()
                .map(|n| n.as_ref().join("."))
                .collect(),
            tables: cat
                .list_tables(ns)
                .await?
                .iter()
                .map(|t| t.to_string())
                .collect(),
        },
    };
    emit(format, &listing, |l| {
        let mut out = String::new();
        for n in &l.namespaces {
            out.push_str(&format!("{n}/\n"));
        }
        for t in &l.tables {
            out.push_str(&format!("{t}\n"));
        }
        out
    })?;
    Ok(Outcome::Ok)
}

pub(super) async fn describe(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &TableArg,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let cat = open_catalog(catalog).await?;
    let table = cat.load_table(&ident).await?;
    let d = inspect::describe(&table)?;
    emit(format, &d, render_description)?;
    Ok(Outcome::Ok)
}

fn render_description(d: &TableDescription) -> String {
    let mut out = String::new();
    out.push_str(&format!("Table:            {}\n", d.table));
    out.push_str(&format!("Location:         {}\n", d.location));
    if let Some(m) = &d.metadata_location {
        out.push_str(&format!("Metadata:         {m}\n"));
    }
    out.push_str(&format!("Format version:   {}\n", d.format_version));
    out.push_str(&format!("UUID:             {}\n", d.table_uuid));
    out.push_str(&format!(
        "Last updated:     {}\n",
        d.last_updated.to_rfc3339()
    ));
    out.push_str(&format!(
        "Current snapshot: {}\n",
        d.current_snapshot_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into())
    ));
    out.push_str(&format!("\nSchema (id {}):\n", d.current_schema_id));
    let rows: Vec<Vec<String>> = d
        .schema
        .iter()
        .map(|f| {
            vec![
                f.id.to_string(),
                format!(
                    "{}{}",
                    "  ".repeat(f.depth),
                    f.path.rsplit('.').next().unwrap_or(&f.path)
                ),
                f.field_type.clone(),
                if f.required { "required" } else { "optional" }.to_string(),
                if d.identifier_field_ids.contains(&f.id) {
                    "identifier".into()
                } else {
                    String::new()
                },
                f.doc.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&text_table(
        &[">id", "name", "type", "nullability", "key", "doc"],
        &rows,
    ));
    out.push_str("\nPartition specs:\n");
    for s in &d.partition_specs {
        let fields = if s.fields.is_empty() {
            "unpartitioned".to_string()
        } else {
            s.fields
                .iter()
                .map(|f| {
                    format!(
                        "{}={}({})",
                        f.name,
                        f.transform,
                        f.source.as_deref().unwrap_or("?")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "  {}{} {fields}\n",
            s.spec_id,
            if s.default { "*" } else { " " }
        ));
    }
    out.push_str("\nSort orders:\n");
    for o in &d.sort_orders {
        let fields = if o.fields.is_empty() {
            "unsorted".to_string()
        } else {
            o.fields
                .iter()
                .map(|f| {
                    format!(
                        "{}({}) {} {}",
                        f.transform,
                        f.source.as_deref().unwrap_or("?"),
                        f.direction,
                        f.null_order
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "  {}{} {fields}\n",
            o.order_id,
            if o.default { "*" } else { " " }
        ));
    }
    out.push_str("\nRefs:\n");
    if d.refs.is_empty() {
        out.push_str("  none\n");
    }
    for r in &d.refs {
        out.push_str(&format!(
            "  {:<6} {} -> {}\n",
            r.kind, r.name, r.snapshot_id
        ));
    }
    out.push_str("\nProperties:\n");
    for (k, v) in &d.properties {
        out.push_str(&format!("  {k} = {v}\n"));
    }
    out
}

pub(super) async fn snapshots(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &TableArg,
) -> Result<Outcome> {
    let ident = parse_table_ident(&args.table)?;
    let cat = open_catalog(catalog).await?;
    let table = cat.load_table(&ident).await?;
    let snaps = inspect::snapshots(&table)?;
    emit(format, &snaps, |snaps: &Vec<SnapshotInfo>| {
        let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        let rows: Vec<Vec<String>> = snaps
            .iter()
            .map(|s| {
                vec![
                    s.snapshot_id.to_string(),
                    s.parent_id
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                    s.sequence_number.to_string(),
                    s.timestamp.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                    s.operation.clone(),
                    opt(s.added_data_files),
                    opt(s.deleted_data_files),
                    opt(s.added_records),
                    opt(s.deleted_records),
                    s.refs.join(","),
                ]
            })
            .collect();
        text_table(
            &[
                "snapshot_id",
                "parent_id",
                ">seq",
                "timestamp (UTC)",
                "operation",
                ">+files",
                ">-files",
                ">+records",
                ">-records",
                "refs",
            ],
            &rows,
        )
    })?;
    Ok(Outcome::Ok)
}
