//! Applying a migration file's changes to a table's metadata: a draft of the schema, the
//! default partition spec, the default sort order and the properties, changed one change at a
//! time and validated as it goes, then turned into the commit's requirements and updates.
//!
//! Field ids follow Iceberg Java and PyIceberg: a new column gets `last-column-id + 1`, the
//! fields nested in its type the next ids level by level (a struct's fields first, then their
//! children); a new partition field reuses the id of an equal field (same source, transform and
//! name) of an earlier spec in format v2, else gets `last-partition-id + 1`; the new schema's id
//! is one more than the highest (iceberg reuses the id of an identical earlier schema).

mod columns;
mod identifier;
mod model;
mod partition_spec;
mod place;
mod properties;
mod sort_order;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iceberg::spec::{
    Schema, SortField, SortOrder, TableMetadata, UnboundPartitionField, UnboundPartitionSpec,
};
use iceberg::{TableRequirement, TableUpdate};

use super::file::Change;
use model::{MField, MType, PField};
use place::place_of;

pub use partition_spec::{default_partition_name, parse_transform};

/// Properties under this prefix are icehelper's migration bookkeeping.
pub const PROPERTY_PREFIX: &str = "icehelper.migrate.";

/// The table's metadata being changed by one migration file.
pub(crate) struct Draft<'m> {
    md: &'m TableMetadata,
    root: MField,
    identifier: Vec<i32>,
    last_column_id: i32,
    spec: Vec<PField>,
    last_partition_id: i32,
    sort: Vec<SortField>,
    set_props: BTreeMap<String, String>,
    remove_props: BTreeSet<String>,
    schema_changed: bool,
    spec_changed: bool,
    sort_changed: bool,
}

impl<'m> Draft<'m> {
    pub(crate) fn new(md: &'m TableMetadata) -> Self {
        let schema = md.current_schema();
        let root = MField {
            id: 0,
            name: String::new(),
            required: true,
            ty: MType::Struct(
                schema
                    .as_struct()
                    .fields()
                    .iter()
                    .map(|f| MField::from_nested(f))
                    .collect(),
            ),
            doc: None,
            initial_default: None,
            write_default: None,
        };
        Draft {
            md,
            root,
            identifier: schema.identifier_field_ids().collect(),
            last_column_id: md.last_column_id(),
            spec: md
                .default_partition_spec()
                .fields()
                .iter()
                .map(|f| PField {
                    field_id: f.field_id,
                    source_id: f.source_id,
                    transform: f.transform,
                    name: f.name.clone(),
                })
                .collect(),
            last_partition_id: md.last_partition_id(),
            sort: md.default_sort_order().fields.clone(),
            set_props: BTreeMap::new(),
            remove_props: BTreeSet::new(),
            schema_changed: false,
            spec_changed: false,
            sort_changed: false,
        }
    }

    /// Applies one change; the error is the reason it is refused.
    pub(crate) fn apply(&mut self, change: &Change) -> Result<(), String> {
        match change {
            Change::AddColumn {
                name,
                ty,
                doc,
                required,
                first,
                after,
                before,
            } => self.add_column(name, ty, doc, *required, place_of(first, after, before)),
            Change::RenameColumn { from, to } => self.rename_column(from, to),
            Change::WidenType { column, to } => self.widen_type(column, to),
            Change::DropColumn { column } => self.drop_column(column),
            Change::MakeOptional { column } => self.make_optional(column),
            Change::UpdateDoc { column, doc } => self.update_doc(column, doc),
            Change::MoveColumn {
                column,
                first,
                after,
                before,
            } => self.move_column(column, place_of(first, after, before)?),
            Change::SetIdentifierFields { fields } => self.set_identifier_fields(fields),
            Change::AddPartitionField {
                source,
                transform,
                name,
            } => self.add_partition_field(source, transform, name),
            Change::RemovePartitionField { name } => self.remove_partition_field(name),
            Change::SetSortOrder { fields } => self.set_sort_order(fields),
            Change::SetProperties { properties } => self.set_properties(properties),
            Change::RemoveProperties { keys } => self.remove_properties(keys),
        }
    }

    /// The requirements and updates that make the table what the draft describes (no updates
    /// when nothing changed), plus the bookkeeping properties.
    pub(crate) fn finish(
        self,
        bookkeeping: BTreeMap<String, String>,
    ) -> Result<(Vec<TableRequirement>, Vec<TableUpdate>), String> {
        let md = self.md;
        let mut updates = Vec::new();
        if self.schema_changed {
            let MType::Struct(fields) = &self.root.ty else {
                unreachable!("the root is a struct")
            };
            let next_id = md.schemas_iter().map(|s| s.schema_id()).max().unwrap_or(0) + 1;
            let schema = Schema::builder()
                .with_schema_id(next_id)
                .with_fields(fields.iter().map(MField::to_nested))
                .with_identifier_field_ids(self.identifier.clone())
                .build()
                .map_err(|e| crate::catalog::one_line(&e))?;
            updates.push(TableUpdate::AddSchema { schema });
            updates.push(TableUpdate::SetCurrentSchema { schema_id: -1 });
        }
        if self.spec_changed {
            let spec = UnboundPartitionSpec::builder()
                .add_partition_fields(self.spec.iter().map(|pf| UnboundPartitionField {
                    source_id: pf.source_id,
                    field_id: Some(pf.field_id),
                    name: pf.name.clone(),
                    transform: pf.transform,
                }))
                .map_err(|e| crate::catalog::one_line(&e))?
                .build();
            updates.push(TableUpdate::AddSpec { spec });
            updates.push(TableUpdate::SetDefaultSpec { spec_id: -1 });
        }
        if self.sort_changed {
            let order = if self.sort.is_empty() {
                SortOrder::unsorted_order()
            } else {
                let max = md.sort_orders_iter().map(|o| o.order_id).max().unwrap_or(0);
                SortOrder {
                    order_id: max + 1,
                    fields: self.sort.clone(),
                }
            };
            updates.push(TableUpdate::AddSortOrder { sort_order: order });
            updates.push(TableUpdate::SetDefaultSortOrder { sort_order_id: -1 });
        }
        if !self.remove_props.is_empty() {
            updates.push(TableUpdate::RemoveProperties {
                removals: self.remove_props.iter().cloned().collect(),
            });
        }
        let mut set: HashMap<String, String> = self.set_props.into_iter().collect();
        set.extend(bookkeeping);
        if !set.is_empty() {
            updates.push(TableUpdate::SetProperties { updates: set });
        }
        let requirements = vec![
            TableRequirement::UuidMatch { uuid: md.uuid() },
            TableRequirement::CurrentSchemaIdMatch {
                current_schema_id: md.current_schema_id(),
            },
            TableRequirement::LastAssignedFieldIdMatch {
                last_assigned_field_id: md.last_column_id(),
            },
            TableRequirement::DefaultSpecIdMatch {
                default_spec_id: md.default_partition_spec_id(),
            },
            TableRequirement::LastAssignedPartitionIdMatch {
                last_assigned_partition_id: md.last_partition_id(),
            },
            TableRequirement::DefaultSortOrderIdMatch {
                default_sort_order_id: md.default_sort_order_id(),
            },
        ];
        Ok((requirements, updates))
    }
}
