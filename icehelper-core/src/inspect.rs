//! Read-only views of a table: its description and its snapshots.
//!
//! Field names of the serialised structs are part of the JSON output contract
//! (`icehelper describe --output json`, `icehelper snapshots --output json`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use iceberg::spec::{NestedFieldRef, PartitionSpec, Schema, SnapshotRetention, SortOrder, Type};
use iceberg::table::Table;
use serde::Serialize;

use crate::catalog::table_refs;
use crate::error::Result;

/// One field of a schema, flattened: nested fields follow their parent with a dotted path
/// (`address.city`, `tags.element`, `attrs.key`, `attrs.value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDescription {
    /// Field id.
    pub id: i32,
    /// Dotted path from the top level.
    pub path: String,
    /// Nesting depth, 0 for top-level fields.
    pub depth: usize,
    /// Iceberg type name (`long`, `decimal(10,2)`, `struct`, `list`, `map`).
    #[serde(rename = "type")]
    pub field_type: String,
    /// Whether the field is required.
    pub required: bool,
    /// The field's doc string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// A partition field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionFieldDescription {
    /// Partition field id.
    pub field_id: i32,
    /// Partition field name.
    pub name: String,
    /// Transform (`identity`, `day`, `bucket[16]`, ...).
    pub transform: String,
    /// Source column id.
    pub source_id: i32,
    /// Source column path in the current schema, if it still exists.
    pub source: Option<String>,
}

/// A partition spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecDescription {
    /// Spec id.
    pub spec_id: i32,
    /// Whether new data is written with this spec.
    pub default: bool,
    /// Its fields; empty for an unpartitioned spec.
    pub fields: Vec<PartitionFieldDescription>,
}

/// A sort order field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SortFieldDescription {
    /// Source column id.
    pub source_id: i32,
    /// Source column path.
    pub source: Option<String>,
    /// Transform.
    pub transform: String,
    /// `asc` or `desc`.
    pub direction: String,
    /// `nulls-first` or `nulls-last`.
    pub null_order: String,
}

/// A sort order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SortOrderDescription {
    /// Order id (0 is unsorted).
    pub order_id: i64,
    /// Whether it is the table's default.
    pub default: bool,
    /// Its fields.
    pub fields: Vec<SortFieldDescription>,
}

/// A branch or tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefDescription {
    /// Ref name.
    pub name: String,
    /// `branch` or `tag`.
    pub kind: String,
    /// The snapshot it points at.
    pub snapshot_id: i64,
    /// Retention: minimum snapshots to keep (branches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_snapshots_to_keep: Option<i32>,
    /// Retention: maximum snapshot age (branches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_snapshot_age_ms: Option<i64>,
    /// Retention: maximum age of the ref itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ref_age_ms: Option<i64>,
}

/// Everything `icehelper describe` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDescription {
    /// `namespace.table`.
    pub table: String,
    /// Table location.
    pub location: String,
    /// The metadata.json the catalog points at.
    pub metadata_location: Option<String>,
    /// Iceberg format version.
    pub format_version: u8,
    /// Table UUID.
    pub table_uuid: String,
    /// Last update time.
    pub last_updated: DateTime<Utc>,
    /// The current snapshot of `main`.
    pub current_snapshot_id: Option<i64>,
    /// The current schema id.
    pub current_schema_id: i32,
    /// The current schema's fields, flattened.
    pub schema: Vec<FieldDescription>,
    /// Identifier field ids of the current schema.
    pub identifier_field_ids: Vec<i32>,
    /// All partition specs, the default marked.
    pub partition_specs: Vec<SpecDescription>,
    /// All sort orders, the default marked.
    pub sort_orders: Vec<SortOrderDescription>,
    /// Table properties, sorted; secret values (`s3.secret-access-key`, ...) as `***`.
    pub properties: BTreeMap<String, String>,
    /// Branches and tags, sorted by name.
    pub refs: Vec<RefDescription>,
}

/// Iceberg's name for a type (`long`, `decimal(10,2)`, `struct`, `list`, `map`).
pub fn type_name(t: &Type) -> String {
    match t {
        Type::Primitive(p) => p.to_string(),
        Type::Struct(_) => "struct".into(),
        Type::List(_) => "list".into(),
        Type::Map(_) => "map".into(),
    }
}

/// Flattens a schema into [`FieldDescription`]s in schema order.
pub fn flatten_schema(schema: &Schema) -> Vec<FieldDescription> {
    let mut out = Vec::new();
    for f in schema.as_struct().fields() {
        push_field(f, "", 0, &mut out);
    }
    out
}

fn push_field(f: &NestedFieldRef, parent: &str, depth: usize, out: &mut Vec<FieldDescription>) {
    let path = if parent.is_empty() {
        f.name.clone()
    } else {
        format!("{parent}.{}", f.name)
    };
    out.push(FieldDescription {
        id: f.id,
        path: path.clone(),
        depth,
        field_type: type_name(&f.field_type),
        required: f.required,
        doc: f.doc.clone(),
    });
    match f.field_type.as_ref() {
        Type::Struct(s) => {
            for c in s.fields() {
                push_field(c, &path, depth + 1, out);
            }
        }
        Type::List(l) => push_field(&l.element_field, &path, depth + 1, out),
        Type::Map(m) => {
            push_field(&m.key_field, &path, depth + 1, out);
            push_field(&m.value_field, &path, depth + 1, out);
        }
        Type::Primitive(_) => {}
    }
}

/// The dotted path of a field id in a schema.
pub fn field_path(schema: &Schema, id: i32) -> Option<String> {
    schema.name_by_field_id(id).map(str::to_string)
}

pub(crate) fn describe_spec(
    spec: &PartitionSpec,
    schema: &Schema,
    default: bool,
) -> SpecDescription {
    SpecDescription {
        spec_id: spec.spec_id(),
        default,
        fields: spec
            .fields()
            .iter()
            .map(|f| PartitionFieldDescription {
                field_id: f.field_id,
                name: f.name.clone(),
                transform: f.transform.to_string(),
                source_id: f.source_id,
                source: field_path(schema, f.source_id),
            })
            .collect(),
    }
}

pub(crate) fn describe_sort_order(
    order: &SortOrder,
    schema: &Schema,
    default: bool,
) -> SortOrderDescription {
    SortOrderDescription {
        order_id: order.order_id,
        default,
        fields: order
            .fields
            .iter()
            .map(|f| SortFieldDescription {
                source_id: f.source_id,
                source: field_path(schema, f.source_id),
                transform: f.transform.to_string(),
                direction: f.direction.to_string().to_ascii_lowercase(),
                null_order: f
                    .null_order
                    .to_string()
                    .to_ascii_lowercase()
                    .replace(['_', ' '], "-"),
            })
            .collect(),
    }
}

/// The table's branches and tags, sorted by name.
pub fn describe_refs(table: &Table) -> Result<Vec<RefDescription>> {
    Ok(table_refs(table.metadata())?
        .into_iter()
        .map(|(name, r)| match r.retention {
            SnapshotRetention::Branch {
                min_snapshots_to_keep,
                max_snapshot_age_ms,
                max_ref_age_ms,
            } => RefDescription {
                name,
                kind: "branch".into(),
                snapshot_id: r.snapshot_id,
                min_snapshots_to_keep,
                max_snapshot_age_ms,
                max_ref_age_ms,
            },
            SnapshotRetention::Tag { max_ref_age_ms } => RefDescription {
                name,
                kind: "tag".into(),
                snapshot_id: r.snapshot_id,
                min_snapshots_to_keep: None,
                max_snapshot_age_ms: None,
                max_ref_age_ms,
            },
        })
        .collect())
}

/// Describes a table.
pub fn describe(table: &Table) -> Result<TableDescription> {
    let md = table.metadata();
    let schema = md.current_schema();
    let mut specs: Vec<_> = md
        .partition_specs_iter()
        .map(|s| describe_spec(s, schema, s.spec_id() == md.default_partition_spec_id()))
        .collect();
    specs.sort_by_key(|s| s.spec_id);
    let mut orders: Vec<_> = md
        .sort_orders_iter()
        .map(|o| describe_sort_order(o, schema, o.order_id == md.default_sort_order_id()))
        .collect();
    orders.sort_by_key(|o| o.order_id);
    let mut ids: Vec<i32> = schema.identifier_field_ids().collect();
    ids.sort();
    Ok(TableDescription {
        table: table.identifier().to_string(),
        location: md.location().to_string(),
        metadata_location: table.metadata_location().map(str::to_string),
        format_version: md.format_version() as u8,
        table_uuid: md.uuid().to_string(),
        last_updated: md.last_updated_timestamp()?,
        current_snapshot_id: md.current_snapshot_id(),
        current_schema_id: md.current_schema_id(),
        schema: flatten_schema(schema),
        identifier_field_ids: ids,
        partition_specs: specs,
        sort_orders: orders,
        properties: crate::config::redact_properties(md.properties()),
        refs: describe_refs(table)?,
    })
}

/// One snapshot, as `icehelper snapshots` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// Snapshot id.
    pub snapshot_id: i64,
    /// Parent snapshot id.
    pub parent_id: Option<i64>,
    /// Sequence number.
    pub sequence_number: i64,
    /// Commit time.
    pub timestamp: DateTime<Utc>,
    /// Commit time in milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// `append`, `replace`, `overwrite` or `delete`.
    pub operation: String,
    /// Data files added (from the summary).
    pub added_data_files: Option<u64>,
    /// Data files removed.
    pub deleted_data_files: Option<u64>,
    /// Records added.
    pub added_records: Option<u64>,
    /// Records removed.
    pub deleted_records: Option<u64>,
    /// Schema id the snapshot was written with.
    pub schema_id: Option<i32>,
    /// The manifest list.
    pub manifest_list: String,
    /// Branches and tags pointing at this snapshot.
    pub refs: Vec<String>,
    /// The full summary.
    pub summary: BTreeMap<String, String>,
}

/// The table's snapshots, oldest first (by sequence number, then time).
pub fn snapshots(table: &Table) -> Result<Vec<SnapshotInfo>> {
    let md = table.metadata();
    let mut by_snapshot: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in describe_refs(table)? {
        by_snapshot.entry(r.snapshot_id).or_default().push(r.name);
    }
    let mut out: Vec<SnapshotInfo> = md
        .snapshots()
        .map(|s| {
            let summary = s.summary();
            let num = |k: &str| {
                summary
                    .additional_properties
                    .get(k)
                    .and_then(|v| v.parse().ok())
            };
            Ok(SnapshotInfo {
                snapshot_id: s.snapshot_id(),
                parent_id: s.parent_snapshot_id(),
                sequence_number: s.sequence_number(),
                timestamp: s.timestamp()?,
                timestamp_ms: s.timestamp_ms(),
                operation: summary.operation.as_str().to_string(),
                added_data_files: num("added-data-files"),
                deleted_data_files: num("deleted-data-files"),
                added_records: num("added-records"),
                deleted_records: num("deleted-records"),
                schema_id: s.schema_id(),
                manifest_list: s.manifest_list().to_string(),
                refs: by_snapshot
                    .get(&s.snapshot_id())
                    .cloned()
                    .unwrap_or_default(),
                summary: summary.additional_properties.clone().into_iter().collect(),
            })
        })
        .collect::<Result<_>>()?;
    out.sort_by_key(|s| (s.sequence_number, s.timestamp_ms, s.snapshot_id));
    Ok(out)
}
