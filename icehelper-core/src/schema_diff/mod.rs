//! Compare two Iceberg schemas (plus partition spec and sort order) and say, for every
//! difference, whether readers and writers still on the left side survive it.
//!
//! `icehelper schema-diff LEFT RIGHT` resolves each side to a schema, its default partition
//! spec and its default sort order and calls [`diff`]. The result serialises as the JSON
//! output (field names are part of the contract) and renders as text through `Display`.
//!
//! # How fields are matched
//!
//! Iceberg identifies columns by field id, so two versions of one table are compared by id:
//! a field with the same id on both sides is the same field, whatever its name or position.
//! Two unrelated tables usually also number their fields from 1, so shared ids alone prove
//! nothing. The rule ([`detect_matching`]): the sides are *related*, and matched by field id,
//! when at least half of the fields of the smaller side (nested fields included, at least one)
//! have a field with the same id **and the same name** on the other side. A table whose
//! columns were mostly renamed therefore counts as unrelated; a caller that knows both sides
//! are the same table (same table UUID) should call [`diff_matched_by`] with
//! [`MatchedBy::FieldId`]. Otherwise fields are matched by their
//! dotted path (`address.city`, `tags.element`, `attrs.key`, `attrs.value`) and
//! [`SchemaDiff::matched_by`] is [`MatchedBy::Name`]. Matching by name cannot see renames
//! (they appear as a drop plus an add) nor moves to another struct. [`diff_matched_by`]
//! forces one way.
//!
//! # Compatibility verdicts
//!
//! LEFT is taken as the old schema and RIGHT as the new one:
//!
//! - **old readers survive** ([`Change::old_readers`]): a reader still using LEFT can read
//!   data written with RIGHT.
//! - **old writers survive** ([`Change::old_writers`]): a writer still using LEFT produces
//!   data that is valid under RIGHT (RIGHT readers can read it).
//!
//! Readers are assumed to resolve columns the Iceberg way, by field id, with missing optional
//! columns read as null (or as the field's v3 `initial-default`). When the sides are matched
//! by name the verdicts assume data moves between the tables by column name (`INSERT ...
//! SELECT`, a name mapping).
//!
//! | change | old readers | old writers |
//! |---|---|---|
//! | added, optional (or with an initial default) | yes | yes |
//! | added, required | yes | **no** |
//! | dropped, optional | yes | yes |
//! | dropped, required | **no** | yes |
//! | renamed | yes (by id) | yes |
//! | type promoted (`int`→`long`, ...) | **no** | yes |
//! | incompatible type change | **no** | **no** |
//! | required → optional | **no** | yes |
//! | optional → required | yes | **no** |
//! | doc, default value, position among siblings, identifier fields | yes | yes |
//! | moved to another struct | yes if it was optional | yes if it is optional |
//!
//! Legal promotions are Iceberg's: `int`→`long`, `float`→`double`, `decimal(P,S)`→
//! `decimal(P',S)` with `P' > P`, and in format v3 `date`→`timestamp`/`timestamp_ns` (not to
//! the `tz` types, and not when a partition field of RIGHT's spec uses the column with a
//! transform other than `year`/`month`/`day`). The RIGHT side's format version decides.
//! v3's `unknown` type is not modelled by iceberg-rust 0.10 and so not handled.
//!
//! Partition spec and sort order changes are reported separately and never affect the two
//! verdicts: every data file keeps the spec id and sort order id it was written with, and
//! both old and new specs and orders stay valid in the table.

mod fields;
mod flat;
mod moves;
mod render;
mod spec_and_order;
#[cfg(test)]
mod tests;

use std::fmt;

use iceberg::spec::{FormatVersion, PartitionSpec, PrimitiveType, Schema, SortOrder};
use serde::Serialize;

use crate::inspect::flatten_schema;

use fields::{added, compare_field, dropped, identifier_change};
use flat::Flat;
use moves::sibling_moves;
use spec_and_order::{partition_diff, sort_order_diff};

/// One side of a comparison: a schema with the partition spec and sort order in force.
#[derive(Debug, Clone)]
pub struct SchemaSide<'a> {
    /// How the side was named on the command line (`db.t`, `db.t@123`, `db.t@main`).
    pub label: String,
    /// The schema (the snapshot's schema, else the table's current one).
    pub schema: &'a Schema,
    /// The default partition spec.
    pub spec: &'a PartitionSpec,
    /// The default sort order.
    pub sort_order: &'a SortOrder,
    /// The table's format version; on the RIGHT side it decides whether v3-only type
    /// promotions (`date`→`timestamp`) are legal.
    pub format_version: FormatVersion,
}

/// How fields of the two sides were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// By field id: the two sides are versions of the same table.
    FieldId,
    /// By dotted name path: the two sides are unrelated tables.
    Name,
}

impl fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchedBy::FieldId => "field id",
            MatchedBy::Name => "name",
        })
    }
}

/// Whether readers or writers still on the LEFT schema survive a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// They keep working.
    Yes,
    /// They break (fail, or produce or read invalid data).
    No,
}

impl Compat {
    /// `true` for [`Compat::Yes`].
    pub fn is_yes(self) -> bool {
        self == Compat::Yes
    }

    fn from_bool(ok: bool) -> Self {
        if ok {
            Compat::Yes
        } else {
            Compat::No
        }
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compat::Yes => "yes",
            Compat::No => "no",
        })
    }
}

/// What changed about a field. Declaration order is the sort order of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// The field exists only on the RIGHT. Fields nested in an added field are not listed.
    Added,
    /// The field exists only on the LEFT. Fields nested in a dropped field are not listed.
    Dropped,
    /// Same field id, different name.
    Renamed,
    /// A legal Iceberg type promotion.
    TypePromoted,
    /// Any other type change.
    TypeIncompatible,
    /// Required on the LEFT, optional on the RIGHT.
    MadeOptional,
    /// Optional on the LEFT, required on the RIGHT.
    MadeRequired,
    /// The doc string changed.
    DocChanged,
    /// The v3 `initial-default` or `write-default` changed (see [`Change::note`]).
    DefaultChanged,
    /// The field moved: to another position among its siblings (`from`/`to` name the
    /// preceding sibling) or to another parent struct (`from`/`to` are the paths).
    Moved,
    /// The schema's identifier fields (row identity) changed; `field_id` is `None`.
    IdentifierFieldsChanged,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Dropped => "dropped",
            ChangeKind::Renamed => "renamed",
            ChangeKind::TypePromoted => "type-promoted",
            ChangeKind::TypeIncompatible => "type-incompatible",
            ChangeKind::MadeOptional => "made-optional",
            ChangeKind::MadeRequired => "made-required",
            ChangeKind::DocChanged => "doc-changed",
            ChangeKind::DefaultChanged => "default-changed",
            ChangeKind::Moved => "moved",
            ChangeKind::IdentifierFieldsChanged => "identifier-fields-changed",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The field id when matched by field id (`None` when matched by name, and for
    /// [`ChangeKind::IdentifierFieldsChanged`]).
    pub field_id: Option<i32>,
    /// Dotted path of the field on the RIGHT (on the LEFT for drops).
    pub path: String,
    /// The LEFT value of what changed (type, name/path, doc, ...), if any.
    pub from: Option<String>,
    /// The RIGHT value of what changed, if any.
    pub to: Option<String>,
    /// Whether a reader on LEFT can read data written with RIGHT.
    pub old_readers: Compat,
    /// Whether a writer on LEFT writes data valid under RIGHT.
    pub old_writers: Compat,
    /// Why, in one sentence.
    pub note: String,
}

/// What changed about a partition field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionChangeKind {
    /// A partition field only the RIGHT spec has.
    Added,
    /// A partition field only the LEFT spec has (`void` fields count as absent).
    Removed,
    /// Same source column and transform, different partition field name.
    Renamed,
    /// Same source column, different transform (`bucket[16]` → `bucket[32]`).
    TransformChanged,
}

impl fmt::Display for PartitionChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartitionChangeKind::Added => "added",
            PartitionChangeKind::Removed => "removed",
            PartitionChangeKind::Renamed => "renamed",
            PartitionChangeKind::TransformChanged => "transform-changed",
        })
    }
}

/// One difference between the two default partition specs. Never breaks readers or writers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionChange {
    /// What changed.
    pub kind: PartitionChangeKind,
    /// Partition field name (RIGHT, LEFT for removals).
    pub name: String,
    /// Source column id (RIGHT, LEFT for removals).
    pub source_id: i32,
    /// Source column path, if the side's schema has it.
    pub source: Option<String>,
    /// LEFT value (name or transform).
    pub from: Option<String>,
    /// RIGHT value (name or transform).
    pub to: Option<String>,
}

/// What changed about a sort field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortChangeKind {
    /// A sort field only the RIGHT order has.
    Added,
    /// A sort field only the LEFT order has.
    Removed,
    /// Same source column, different transform.
    TransformChanged,
    /// `ascending` ↔ `descending`.
    DirectionChanged,
    /// `first` ↔ `last` for nulls.
    NullOrderChanged,
    /// The field's position in the order changed (`from`/`to` are 1-based positions).
    Moved,
}

impl fmt::Display for SortChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SortChangeKind::Added => "added",
            SortChangeKind::Removed => "removed",
            SortChangeKind::TransformChanged => "transform-changed",
            SortChangeKind::DirectionChanged => "direction-changed",
            SortChangeKind::NullOrderChanged => "null-order-changed",
            SortChangeKind::Moved => "moved",
        })
    }
}

/// One difference between the two default sort orders. Never breaks readers or writers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SortOrderChange {
    /// What changed.
    pub kind: SortChangeKind,
    /// Source column id (RIGHT, LEFT for removals).
    pub source_id: i32,
    /// Source column path, if the side's schema has it.
    pub source: Option<String>,
    /// LEFT value (transform, direction, null order, position; for removals the field).
    pub from: Option<String>,
    /// RIGHT value.
    pub to: Option<String>,
}

/// The result of [`diff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaDiff {
    /// LEFT label.
    pub left: String,
    /// RIGHT label.
    pub right: String,
    /// How fields were paired.
    pub matched_by: MatchedBy,
    /// Schema changes, sorted by field id (path when matched by name), then kind.
    pub changes: Vec<Change>,
    /// Default partition spec changes.
    pub partition_changes: Vec<PartitionChange>,
    /// Default sort order changes.
    pub sort_order_changes: Vec<SortOrderChange>,
    /// No change of any kind.
    pub equal: bool,
    /// Every change keeps old readers working.
    pub old_readers_survive: bool,
    /// Every change keeps old writers working.
    pub old_writers_survive: bool,
}

impl SchemaDiff {
    /// The text report (same as `Display`).
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

/// Compares two sides, matching fields by id when the sides are related (see the module
/// docs for the rule), else by name.
pub fn diff(left: &SchemaSide, right: &SchemaSide) -> SchemaDiff {
    diff_matched_by(left, right, detect_matching(left.schema, right.schema))
}

/// Compares two sides, pairing fields the given way.
pub fn diff_matched_by(left: &SchemaSide, right: &SchemaSide, matched_by: MatchedBy) -> SchemaDiff {
    let l = Flat::new(left.schema, matched_by);
    let r = Flat::new(right.schema, matched_by);
    let mut changes = Vec::new();

    for (li, ln) in l.nodes.iter().enumerate() {
        match r.index.get(&l.key(li)) {
            Some(&ri) => compare_field(&l, li, &r, ri, right, &mut changes),
            None => {
                // Listed only at the top of a dropped subtree.
                if ln.parent.is_none_or(|p| r.index.contains_key(&l.key(p))) {
                    changes.push(dropped(&l, li));
                }
            }
        }
    }
    for (ri, rn) in r.nodes.iter().enumerate() {
        if !l.index.contains_key(&r.key(ri))
            && rn.parent.is_none_or(|p| l.index.contains_key(&r.key(p)))
        {
            changes.push(added(&r, ri));
        }
    }
    sibling_moves(&l, &r, &mut changes);
    identifier_change(left.schema, right.schema, matched_by, &mut changes);
    changes.sort_by(|a, b| {
        (a.field_id.is_none() && a.kind == ChangeKind::IdentifierFieldsChanged)
            .cmp(&(b.field_id.is_none() && b.kind == ChangeKind::IdentifierFieldsChanged))
            .then(a.field_id.cmp(&b.field_id))
            .then_with(|| a.path.cmp(&b.path))
            .then(a.kind.cmp(&b.kind))
    });

    let partition_changes = partition_diff(left, right, matched_by);
    let sort_order_changes = sort_order_diff(left, right, matched_by);
    SchemaDiff {
        left: left.label.clone(),
        right: right.label.clone(),
        matched_by,
        equal: changes.is_empty() && partition_changes.is_empty() && sort_order_changes.is_empty(),
        old_readers_survive: changes.iter().all(|c| c.old_readers.is_yes()),
        old_writers_survive: changes.iter().all(|c| c.old_writers.is_yes()),
        changes,
        partition_changes,
        sort_order_changes,
    }
}

/// The matching rule of [`diff`]: by field id when at least half (and at least one) of the
/// fields of the smaller schema, nested fields included, have a field of the same id and name
/// in the other one; by name otherwise. Two empty schemas count as related.
pub fn detect_matching(left: &Schema, right: &Schema) -> MatchedBy {
    let l = flatten_schema(left);
    let r = flatten_schema(right);
    let smaller = l.len().min(r.len());
    if smaller == 0 {
        return MatchedBy::FieldId;
    }
    let shared = l
        .iter()
        .filter(|lf| {
            right
                .field_by_id(lf.id)
                .zip(left.field_by_id(lf.id))
                .is_some_and(|(rf, lf)| rf.name == lf.name)
        })
        .count();
    if shared > 0 && shared * 2 >= smaller {
        MatchedBy::FieldId
    } else {
        MatchedBy::Name
    }
}

/// Whether `from` → `to` is a legal Iceberg type promotion in the given format version:
/// `int`→`long`, `float`→`double`, `decimal(P,S)`→`decimal(P',S)` with `P' > P`, and from
/// v3 on `date`→`timestamp`/`timestamp_ns`.
pub fn is_legal_promotion(
    from: &PrimitiveType,
    to: &PrimitiveType,
    format_version: FormatVersion,
) -> bool {
    use PrimitiveType as P;
    match (from, to) {
        (P::Int, P::Long) | (P::Float, P::Double) => true,
        (
            P::Decimal {
                precision: p1,
                scale: s1,
            },
            P::Decimal {
                precision: p2,
                scale: s2,
            },
        ) => s1 == s2 && p2 > p1,
        (P::Date, P::Timestamp | P::TimestampNs) => format_version >= FormatVersion::V3,
        _ => false,
    }
}
