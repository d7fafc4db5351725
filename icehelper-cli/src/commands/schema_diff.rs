//! `schema-diff LEFT RIGHT`: exit 0 when equal, 1 when they differ.

use anyhow::Result;
use iceberg::spec::{PartitionSpecRef, SchemaRef, SortOrderRef};
use iceberg::table::Table;
use icehelper_core::catalog::{LakeCatalog, TableVersionSpec};
use icehelper_core::schema_diff::{diff, diff_matched_by, MatchedBy, SchemaSide};

use super::open_catalog;
use crate::cli::{CatalogArgs, OutputFormat, SchemaDiffArgs};
use crate::output::emit;
use crate::Outcome;

pub(super) struct Resolved {
    pub(super) label: String,
    pub(super) table: Table,
    pub(super) schema: SchemaRef,
    spec: PartitionSpecRef,
    sort_order: SortOrderRef,
}

/// The schema a side names: the snapshot's own schema, and the partition spec its newest
/// manifests were written with (the default spec at that time); the current ones without `@`.
pub(super) async fn resolve(catalog: &LakeCatalog, label: &str) -> Result<Resolved> {
    let spec: TableVersionSpec = label.parse()?;
    let table = catalog.load_table(&spec.table).await?;
    let md = table.metadata();
    let mut schema = md.current_schema().clone();
    let mut partition_spec = md.default_partition_spec().clone();
    if spec.version != icehelper_core::catalog::SnapshotSelector::Current {
        if let Some(snapshot) = spec.version.resolve(&table)? {
            if let Some(s) = snapshot.schema_id().and_then(|id| md.schema_by_id(id)) {
                schema = s.clone();
            }
            let manifests = icehelper_core::files::manifests(&table, &snapshot).await?;
            if let Some(p) = manifests
                .iter()
                .map(|m| m.partition_spec_id)
                .max()
                .and_then(|id| md.partition_spec_by_id(id))
            {
                partition_spec = p.clone();
            }
        }
    }
    let sort_order = md.default_sort_order().clone();
    Ok(Resolved {
        label: label.to_string(),
        table,
        schema,
        spec: partition_spec,
        sort_order,
    })
}

pub(super) fn side(r: &Resolved) -> SchemaSide<'_> {
    SchemaSide {
        label: r.label.clone(),
        schema: r.schema.as_ref(),
        spec: r.spec.as_ref(),
        sort_order: r.sort_order.as_ref(),
        format_version: r.table.metadata().format_version(),
    }
}

pub(super) async fn run(
    catalog: &CatalogArgs,
    format: OutputFormat,
    args: &SchemaDiffArgs,
) -> Result<Outcome> {
    // parse both before touching the catalog, so a typo fails fast
    let _: TableVersionSpec = args.left.parse()?;
    let _: TableVersionSpec = args.right.parse()?;
    let cat = open_catalog(catalog).await?;
    let left = resolve(&cat, &args.left).await?;
    let right = resolve(&cat, &args.right).await?;
    let (l, r) = (side(&left), side(&right));
    // Two versions of one table share field ids by construction: always match by id there.
    let result = if left.table.metadata().uuid() == right.table.metadata().uuid() {
        diff_matched_by(&l, &r, MatchedBy::FieldId)
    } else {
        diff(&l, &r)
    };
    emit(format, &result, |d| d.to_string())?;
    Ok(if result.equal {
        Outcome::Ok
    } else {
        Outcome::Problem
    })
}
