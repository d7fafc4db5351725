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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use iceberg::spec::{
    FormatVersion, NestedFieldRef, PartitionSpec, PrimitiveType, Schema, SortOrder, Transform, Type,
};
use serde::Serialize;

use crate::inspect::{
    describe_sort_order, describe_spec, flatten_schema, type_name, FieldDescription,
};

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

// ---------------------------------------------------------------------------------------------
// Flattened schemas

/// What pairs a field with its counterpart: its id, or its dotted path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Id(i32),
    Path(String),
}

struct Node<'s> {
    desc: FieldDescription,
    field: &'s NestedFieldRef,
    parent: Option<usize>,
    /// Position among the parent's children.
    pos: usize,
    /// The preceding sibling.
    prev: Option<usize>,
}

struct Flat<'s> {
    mode: MatchedBy,
    nodes: Vec<Node<'s>>,
    keys: Vec<Key>,
    index: HashMap<Key, usize>,
}

impl<'s> Flat<'s> {
    fn new(schema: &'s Schema, mode: MatchedBy) -> Self {
        let mut nodes: Vec<Node<'s>> = Vec::new();
        let mut ancestors: Vec<usize> = Vec::new();
        let mut last_child: HashMap<Option<usize>, usize> = HashMap::new();
        for desc in flatten_schema(schema) {
            ancestors.truncate(desc.depth);
            let parent = ancestors.last().copied();
            // Every flattened field is in the schema's id index.
            let Some(field) = schema.field_by_id(desc.id) else {
                continue;
            };
            let i = nodes.len();
            let prev = last_child.insert(parent, i);
            let pos = prev.map_or(0, |p| nodes[p].pos + 1);
            nodes.push(Node {
                desc,
                field,
                parent,
                pos,
                prev,
            });
            ancestors.push(i);
        }
        let keys: Vec<Key> = nodes
            .iter()
            .map(|n| match mode {
                MatchedBy::FieldId => Key::Id(n.desc.id),
                MatchedBy::Name => Key::Path(n.desc.path.clone()),
            })
            .collect();
        let mut index = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            index.entry(k.clone()).or_insert(i);
        }
        Flat {
            mode,
            nodes,
            keys,
            index,
        }
    }

    fn key(&self, i: usize) -> Key {
        self.keys[i].clone()
    }

    fn parent_key(&self, i: usize) -> Option<Key> {
        self.nodes[i].parent.map(|p| self.key(p))
    }

    fn field_id(&self, i: usize) -> Option<i32> {
        (self.mode == MatchedBy::FieldId).then_some(self.nodes[i].desc.id)
    }

    /// How many fields are nested below field `i`.
    fn nested_count(&self, i: usize) -> usize {
        let depth = self.nodes[i].desc.depth;
        self.nodes[i + 1..]
            .iter()
            .take_while(|n| n.desc.depth > depth)
            .count()
    }

    /// `first` or `after <sibling>`.
    fn place(&self, i: usize) -> String {
        match self.nodes[i].prev {
            None => "first".into(),
            Some(p) => format!("after {}", self.nodes[p].field.name),
        }
    }
}

fn type_and_nullability(f: &FieldDescription) -> String {
    let req = if f.required { "required" } else { "optional" };
    format!("{} {req}", f.field_type)
}

/// A missing value reads as null (optional) or as the initial default.
fn may_be_missing(f: &NestedFieldRef) -> bool {
    !f.required || f.initial_default.is_some()
}

fn render_default(value: &Option<iceberg::spec::Literal>, t: &Type) -> Option<String> {
    value.as_ref().map(|v| {
        v.clone()
            .try_into_json(t)
            .map(|j| j.to_string())
            .unwrap_or_else(|_| format!("{v:?}"))
    })
}

fn resolved_by(mode: MatchedBy) -> &'static str {
    match mode {
        MatchedBy::FieldId => "field id",
        MatchedBy::Name => "name",
    }
}

// ---------------------------------------------------------------------------------------------
// Field changes

#[allow(clippy::too_many_arguments)]
fn change(
    kind: ChangeKind,
    field_id: Option<i32>,
    path: &str,
    from: Option<String>,
    to: Option<String>,
    readers: bool,
    writers: bool,
    note: impl Into<String>,
) -> Change {
    Change {
        kind,
        field_id,
        path: path.to_string(),
        from,
        to,
        old_readers: Compat::from_bool(readers),
        old_writers: Compat::from_bool(writers),
        note: note.into(),
    }
}

fn nested_suffix(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (with 1 nested field)".into(),
        n => format!(" (with {n} nested fields)"),
    }
}

fn added(r: &Flat, ri: usize) -> Change {
    let n = &r.nodes[ri];
    let f = n.field;
    let note = if !f.required {
        "old readers ignore it; rows from old writers read as null"
    } else if f.initial_default.is_some() {
        "old readers ignore it; rows from old writers read as its initial-default"
    } else {
        "required, but old writers do not write it"
    };
    change(
        ChangeKind::Added,
        r.field_id(ri),
        &n.desc.path,
        None,
        Some(type_and_nullability(&n.desc)),
        true,
        may_be_missing(f),
        format!("{note}{}", nested_suffix(r.nested_count(ri))),
    )
}

fn dropped(l: &Flat, li: usize) -> Change {
    let n = &l.nodes[li];
    let f = n.field;
    let note = if !f.required {
        "old readers read it as null in new data; new readers ignore it in old writers' data"
    } else if f.initial_default.is_some() {
        "old readers read its initial-default in new data; new readers ignore it in old writers' data"
    } else {
        "required, and old readers find it missing in new data"
    };
    change(
        ChangeKind::Dropped,
        l.field_id(li),
        &n.desc.path,
        Some(type_and_nullability(&n.desc)),
        None,
        may_be_missing(f),
        true,
        format!("{note}{}", nested_suffix(l.nested_count(li))),
    )
}

enum TypeChange {
    Same,
    Promoted,
    Incompatible(String),
}

fn compare_types(from: &Type, to: &Type, format_version: FormatVersion) -> TypeChange {
    match (from, to) {
        (Type::Primitive(a), Type::Primitive(b)) => {
            if a == b {
                TypeChange::Same
            } else if is_legal_promotion(a, b, format_version) {
                TypeChange::Promoted
            } else if is_legal_promotion(a, b, FormatVersion::V3) {
                TypeChange::Incompatible(format!(
                    "{a} -> {b} is a legal promotion only in format v3; RIGHT is format v{}",
                    format_version as u8
                ))
            } else {
                TypeChange::Incompatible(format!(
                    "{a} -> {b} is not an Iceberg type promotion (legal: int -> long, \
                     float -> double, decimal precision widening, v3: date -> timestamp); \
                     existing data must be rewritten"
                ))
            }
        }
        (Type::Struct(_), Type::Struct(_))
        | (Type::List(_), Type::List(_))
        | (Type::Map(_), Type::Map(_)) => TypeChange::Same,
        _ => TypeChange::Incompatible(format!(
            "{} -> {} changes the kind of type; existing data must be rewritten",
            type_name(from),
            type_name(to)
        )),
    }
}

fn compare_field(
    l: &Flat,
    li: usize,
    r: &Flat,
    ri: usize,
    right: &SchemaSide,
    out: &mut Vec<Change>,
) {
    let (ln, rn) = (&l.nodes[li], &r.nodes[ri]);
    let (lf, rf) = (ln.field, rn.field);
    let id = r.field_id(ri);
    let path = rn.desc.path.as_str();
    if lf.name != rf.name {
        out.push(change(
            ChangeKind::Renamed,
            id,
            path,
            Some(ln.desc.path.clone()),
            Some(rn.desc.path.clone()),
            true,
            true,
            "Iceberg resolves columns by field id; queries and name-based readers using the \
             old name must change",
        ));
    }
    if l.parent_key(li) != r.parent_key(ri) {
        out.push(change(
            ChangeKind::Moved,
            id,
            path,
            Some(ln.desc.path.clone()),
            Some(rn.desc.path.clone()),
            may_be_missing(lf),
            may_be_missing(rf),
            "moved to another struct: each side looks for it under its own parent and finds \
             it missing in the other side's data (Iceberg's schema updates cannot do this)",
        ));
    }
    let (from_t, to_t) = (&*lf.field_type, &*rf.field_type);
    match compare_types(from_t, to_t, right.format_version) {
        TypeChange::Same => {}
        TypeChange::Promoted => {
            let blocking = right.spec.fields().iter().find(|pf| {
                pf.source_id == rf.id
                    && matches!(from_t, Type::Primitive(PrimitiveType::Date))
                    && !matches!(
                        pf.transform,
                        Transform::Year | Transform::Month | Transform::Day | Transform::Void
                    )
            });
            let (kind, readers, writers, note) = match blocking {
                Some(pf) => (
                    ChangeKind::TypeIncompatible,
                    false,
                    false,
                    format!(
                        "the spec forbids promoting a partition source whose transform \
                         ({}) would change value: partition field {}",
                        pf.transform, pf.name
                    ),
                ),
                None => (
                    ChangeKind::TypePromoted,
                    false,
                    true,
                    format!(
                        "new readers widen old {} values; old readers cannot read {} values",
                        ln.desc.field_type, rn.desc.field_type
                    ),
                ),
            };
            out.push(change(
                kind,
                id,
                path,
                Some(ln.desc.field_type.clone()),
                Some(rn.desc.field_type.clone()),
                readers,
                writers,
                note,
            ));
        }
        TypeChange::Incompatible(note) => out.push(change(
            ChangeKind::TypeIncompatible,
            id,
            path,
            Some(ln.desc.field_type.clone()),
            Some(rn.desc.field_type.clone()),
            false,
            false,
            note,
        )),
    }
    match (lf.required, rf.required) {
        (true, false) => out.push(change(
            ChangeKind::MadeOptional,
            id,
            path,
            Some("required".into()),
            Some("optional".into()),
            false,
            true,
            "new writers may write nulls that old readers do not expect",
        )),
        (false, true) => out.push(change(
            ChangeKind::MadeRequired,
            id,
            path,
            Some("optional".into()),
            Some("required".into()),
            true,
            false,
            "old writers may write nulls (Iceberg allows this only as an incompatible change)",
        )),
        _ => {}
    }
    if lf.doc != rf.doc {
        out.push(change(
            ChangeKind::DocChanged,
            id,
            path,
            lf.doc.clone(),
            rf.doc.clone(),
            true,
            true,
            "documentation only",
        ));
    }
    if lf.initial_default != rf.initial_default {
        out.push(change(
            ChangeKind::DefaultChanged,
            id,
            path,
            render_default(&lf.initial_default, from_t),
            render_default(&rf.initial_default, to_t),
            true,
            true,
            "initial-default changed (the spec forbids changing it once set): rows written \
             before the field existed now read differently",
        ));
    }
    if lf.write_default != rf.write_default {
        out.push(change(
            ChangeKind::DefaultChanged,
            id,
            path,
            render_default(&lf.write_default, from_t),
            render_default(&rf.write_default, to_t),
            true,
            true,
            "write-default changed: only what writers fill in when they omit the field",
        ));
    }
}

/// Indices (into `seq`) of one longest strictly increasing subsequence, first-found on ties.
fn longest_increasing(seq: &[usize]) -> BTreeSet<usize> {
    let mut len = vec![1usize; seq.len()];
    let mut back = vec![None; seq.len()];
    for i in 0..seq.len() {
        for j in 0..i {
            if seq[j] < seq[i] && len[j] + 1 > len[i] {
                len[i] = len[j] + 1;
                back[i] = Some(j);
            }
        }
    }
    let mut keep = BTreeSet::new();
    let mut best = None;
    for i in 0..seq.len() {
        if best.is_none_or(|b: usize| len[i] > len[b]) {
            best = Some(i);
        }
    }
    while let Some(i) = best {
        keep.insert(i);
        best = back[i];
    }
    keep
}

/// A field present on both sides under the same parent: (left pos, right pos, left index,
/// right index).
type SiblingPair = (usize, usize, usize, usize);

/// Fields that changed position among the siblings they have on both sides.
fn sibling_moves(l: &Flat, r: &Flat, out: &mut Vec<Change>) {
    // parent key -> its children on both sides, for struct parents (and the root) only.
    let mut groups: BTreeMap<Option<Key>, Vec<SiblingPair>> = BTreeMap::new();
    for li in 0..l.nodes.len() {
        let Some(&ri) = r.index.get(&l.key(li)) else {
            continue;
        };
        let parent = l.parent_key(li);
        if parent != r.parent_key(ri) {
            continue;
        }
        let in_struct = l.nodes[li]
            .parent
            .is_none_or(|p| matches!(*l.nodes[p].field.field_type, Type::Struct(_)));
        if in_struct {
            groups
                .entry(parent)
                .or_default()
                .push((l.nodes[li].pos, r.nodes[ri].pos, li, ri));
        }
    }
    for mut members in groups.into_values() {
        members.sort();
        let seq: Vec<usize> = members.iter().map(|m| m.1).collect();
        let keep = longest_increasing(&seq);
        for (k, &(_, _, li, ri)) in members.iter().enumerate() {
            if !keep.contains(&k) {
                out.push(change(
                    ChangeKind::Moved,
                    r.field_id(ri),
                    &r.nodes[ri].desc.path,
                    Some(l.place(li)),
                    Some(r.place(ri)),
                    true,
                    true,
                    format!(
                        "position only: columns are resolved by {}",
                        resolved_by(l.mode)
                    ),
                ));
            }
        }
    }
}

fn identifier_change(left: &Schema, right: &Schema, mode: MatchedBy, out: &mut Vec<Change>) {
    let paths = |s: &Schema| -> Vec<(i32, String)> {
        let mut v: Vec<(i32, String)> = s
            .identifier_field_ids()
            .map(|id| {
                let path = s
                    .name_by_field_id(id)
                    .map_or_else(|| format!("#{id}"), str::to_string);
                (id, path)
            })
            .collect();
        v.sort();
        v
    };
    let (l, r) = (paths(left), paths(right));
    let same = match mode {
        MatchedBy::FieldId => {
            l.iter().map(|x| x.0).collect::<BTreeSet<_>>()
                == r.iter().map(|x| x.0).collect::<BTreeSet<_>>()
        }
        MatchedBy::Name => {
            l.iter().map(|x| &x.1).collect::<BTreeSet<_>>()
                == r.iter().map(|x| &x.1).collect::<BTreeSet<_>>()
        }
    };
    if !same {
        let list = |v: &[(i32, String)]| {
            format!(
                "[{}]",
                v.iter()
                    .map(|x| x.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push(change(
            ChangeKind::IdentifierFieldsChanged,
            None,
            "",
            Some(list(&l)),
            Some(list(&r)),
            true,
            true,
            "row identity changed: upserts and equality deletes from old writers still key on \
             the old fields",
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Partition spec and sort order

fn source_key(mode: MatchedBy, source_id: i32, source: &Option<String>) -> Key {
    match mode {
        MatchedBy::FieldId => Key::Id(source_id),
        MatchedBy::Name => Key::Path(source.clone().unwrap_or_else(|| format!("#{source_id}"))),
    }
}

/// Pairs `l` and `r` items: first equal (key, transform), then equal key. Returns, for each
/// right item, the paired left item.
fn pair_by_source(l: &[(Key, String)], r: &[(Key, String)]) -> Vec<Option<usize>> {
    let mut used = vec![false; l.len()];
    let mut pairs = vec![None; r.len()];
    for exact in [true, false] {
        for (j, (rk, rt)) in r.iter().enumerate() {
            if pairs[j].is_some() {
                continue;
            }
            if let Some(i) =
                (0..l.len()).find(|&i| !used[i] && l[i].0 == *rk && (!exact || l[i].1 == *rt))
            {
                used[i] = true;
                pairs[j] = Some(i);
            }
        }
    }
    pairs
}

fn partition_diff(left: &SchemaSide, right: &SchemaSide, mode: MatchedBy) -> Vec<PartitionChange> {
    let fields = |side: &SchemaSide| {
        describe_spec(side.spec, side.schema, true)
            .fields
            .into_iter()
            .filter(|f| f.transform != Transform::Void.to_string())
            .collect::<Vec<_>>()
    };
    let (l, r) = (fields(left), fields(right));
    let keys = |v: &[crate::inspect::PartitionFieldDescription]| {
        v.iter()
            .map(|f| {
                (
                    source_key(mode, f.source_id, &f.source),
                    f.transform.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let pairs = pair_by_source(&keys(&l), &keys(&r));
    let mut out = Vec::new();
    let mut used = vec![false; l.len()];
    for (j, rf) in r.iter().enumerate() {
        let base = |kind, from, to| PartitionChange {
            kind,
            name: rf.name.clone(),
            source_id: rf.source_id,
            source: rf.source.clone(),
            from,
            to,
        };
        match pairs[j] {
            None => out.push(base(
                PartitionChangeKind::Added,
                None,
                Some(rf.transform.clone()),
            )),
            Some(i) => {
                used[i] = true;
                let lf = &l[i];
                if lf.transform != rf.transform {
                    out.push(base(
                        PartitionChangeKind::TransformChanged,
                        Some(lf.transform.clone()),
                        Some(rf.transform.clone()),
                    ));
                }
                if lf.name != rf.name {
                    out.push(base(
                        PartitionChangeKind::Renamed,
                        Some(lf.name.clone()),
                        Some(rf.name.clone()),
                    ));
                }
            }
        }
    }
    for (_, lf) in l.iter().enumerate().filter(|(i, _)| !used[*i]) {
        out.push(PartitionChange {
            kind: PartitionChangeKind::Removed,
            name: lf.name.clone(),
            source_id: lf.source_id,
            source: lf.source.clone(),
            from: Some(lf.transform.clone()),
            to: None,
        });
    }
    out
}

fn sort_order_diff(left: &SchemaSide, right: &SchemaSide, mode: MatchedBy) -> Vec<SortOrderChange> {
    let (l, r) = (
        describe_sort_order(left.sort_order, left.schema, true).fields,
        describe_sort_order(right.sort_order, right.schema, true).fields,
    );
    let keys = |v: &[crate::inspect::SortFieldDescription]| {
        v.iter()
            .map(|f| {
                (
                    source_key(mode, f.source_id, &f.source),
                    f.transform.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let render = |f: &crate::inspect::SortFieldDescription| {
        format!("{} {} nulls-{}", f.transform, f.direction, f.null_order)
    };
    let pairs = pair_by_source(&keys(&l), &keys(&r));
    let mut out = Vec::new();
    let mut used = vec![false; l.len()];
    let mut matched = Vec::new();
    for (j, rf) in r.iter().enumerate() {
        let base = |kind, from, to| SortOrderChange {
            kind,
            source_id: rf.source_id,
            source: rf.source.clone(),
            from,
            to,
        };
        let Some(i) = pairs[j] else {
            out.push(base(SortChangeKind::Added, None, Some(render(rf))));
            continue;
        };
        used[i] = true;
        matched.push((i, j));
        let lf = &l[i];
        if lf.transform != rf.transform {
            out.push(base(
                SortChangeKind::TransformChanged,
                Some(lf.transform.clone()),
                Some(rf.transform.clone()),
            ));
        }
        if lf.direction != rf.direction {
            out.push(base(
                SortChangeKind::DirectionChanged,
                Some(lf.direction.clone()),
                Some(rf.direction.clone()),
            ));
        }
        if lf.null_order != rf.null_order {
            out.push(base(
                SortChangeKind::NullOrderChanged,
                Some(format!("nulls-{}", lf.null_order)),
                Some(format!("nulls-{}", rf.null_order)),
            ));
        }
    }
    // Order matters in a sort order: report fields whose relative position changed.
    matched.sort();
    let seq: Vec<usize> = matched.iter().map(|m| m.1).collect();
    let keep = longest_increasing(&seq);
    for (k, &(i, j)) in matched.iter().enumerate() {
        if !keep.contains(&k) {
            out.push(SortOrderChange {
                kind: SortChangeKind::Moved,
                source_id: r[j].source_id,
                source: r[j].source.clone(),
                from: Some(format!("position {}", i + 1)),
                to: Some(format!("position {}", j + 1)),
            });
        }
    }
    for (i, lf) in l.iter().enumerate() {
        if !used[i] {
            out.push(SortOrderChange {
                kind: SortChangeKind::Removed,
                source_id: lf.source_id,
                source: lf.source.clone(),
                from: Some(render(lf)),
                to: None,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Text report

fn symbol(added: bool, removed: bool) -> char {
    if added {
        '+'
    } else if removed {
        '-'
    } else {
        '~'
    }
}

fn from_to(from: &Option<String>, to: &Option<String>) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    format!("{} -> {}", show(from), show(to))
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.matched_by {
            MatchedBy::FieldId => writeln!(
                f,
                "schema-diff {} -> {}: fields matched by field id",
                self.left, self.right
            )?,
            MatchedBy::Name => writeln!(
                f,
                "schema-diff {} -> {}: fields matched by name (too few field ids agree, so the \
                 tables are taken as unrelated; renames show as dropped + added)",
                self.left, self.right
            )?,
        }
        if self.equal {
            return writeln!(f, "no differences");
        }
        for c in &self.changes {
            let id = c
                .field_id
                .map_or_else(|| "-".to_string(), |id| format!("id={id}"));
            let what = match c.kind {
                ChangeKind::Added => format!("{} ({})", c.path, c.to.as_deref().unwrap_or("")),
                ChangeKind::Dropped => {
                    format!("{} ({})", c.path, c.from.as_deref().unwrap_or(""))
                }
                ChangeKind::Renamed | ChangeKind::IdentifierFieldsChanged => {
                    from_to(&c.from, &c.to)
                }
                ChangeKind::Moved if c.from.as_deref() == Some(c.path.as_str()) => {
                    from_to(&c.from, &c.to)
                }
                _ => format!("{}: {}", c.path, from_to(&c.from, &c.to)),
            };
            writeln!(
                f,
                "{} {:<25} {:<8} {}   readers: {}  writers: {}   # {}",
                symbol(c.kind == ChangeKind::Added, c.kind == ChangeKind::Dropped),
                c.kind.as_str(),
                id,
                what,
                c.old_readers,
                c.old_writers,
                c.note
            )?;
        }
        if !self.partition_changes.is_empty() {
            writeln!(f, "partition spec:")?;
            for c in &self.partition_changes {
                let source = c
                    .source
                    .clone()
                    .unwrap_or_else(|| format!("#{}", c.source_id));
                writeln!(
                    f,
                    "{} {:<25} {} (source {}): {}",
                    symbol(
                        c.kind == PartitionChangeKind::Added,
                        c.kind == PartitionChangeKind::Removed
                    ),
                    c.kind.to_string(),
                    c.name,
                    source,
                    from_to(&c.from, &c.to)
                )?;
            }
        }
        if !self.sort_order_changes.is_empty() {
            writeln!(f, "sort order:")?;
            for c in &self.sort_order_changes {
                let source = c
                    .source
                    .clone()
                    .unwrap_or_else(|| format!("#{}", c.source_id));
                writeln!(
                    f,
                    "{} {:<25} {}: {}",
                    symbol(
                        c.kind == SortChangeKind::Added,
                        c.kind == SortChangeKind::Removed
                    ),
                    c.kind.to_string(),
                    source,
                    from_to(&c.from, &c.to)
                )?;
            }
        }
        if !self.partition_changes.is_empty() || !self.sort_order_changes.is_empty() {
            writeln!(
                f,
                "(partition spec and sort order changes never break old readers or writers: \
                 every data file keeps the spec and order it was written with)"
            )?;
        }
        writeln!(
            f,
            "old readers survive: {}  old writers survive: {}",
            Compat::from_bool(self.old_readers_survive),
            Compat::from_bool(self.old_writers_survive)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use iceberg::spec::{
        ListType, MapType, NestedField, NullOrder, SortDirection, SortField, StructType,
    };

    use super::*;

    fn p(t: PrimitiveType) -> Type {
        Type::Primitive(t)
    }

    fn dec(precision: u32, scale: u32) -> Type {
        p(PrimitiveType::Decimal { precision, scale })
    }

    fn schema(fields: Vec<NestedField>) -> Schema {
        Schema::builder()
            .with_fields(fields.into_iter().map(Arc::new))
            .build()
            .unwrap()
    }

    fn strukt(fields: Vec<NestedField>) -> Type {
        Type::Struct(StructType::new(fields.into_iter().map(Arc::new).collect()))
    }

    fn side<'a>(
        label: &str,
        schema: &'a Schema,
        spec: &'a PartitionSpec,
        sort_order: &'a SortOrder,
    ) -> SchemaSide<'a> {
        SchemaSide {
            label: label.into(),
            schema,
            spec,
            sort_order,
            format_version: FormatVersion::V2,
        }
    }

    /// Diffs two schemas, unpartitioned and unsorted, in the given format version.
    fn diff_v(l: &Schema, r: &Schema, v: FormatVersion) -> SchemaDiff {
        let spec = PartitionSpec::unpartition_spec();
        let order = SortOrder::unsorted_order();
        let left = side("t@1", l, &spec, &order);
        let mut right = side("t@2", r, &spec, &order);
        right.format_version = v;
        diff(&left, &right)
    }

    fn diff_schemas(l: &Schema, r: &Schema) -> SchemaDiff {
        diff_v(l, r, FormatVersion::V2)
    }

    fn kinds(d: &SchemaDiff) -> Vec<(ChangeKind, Option<i32>, &str)> {
        d.changes
            .iter()
            .map(|c| (c.kind, c.field_id, c.path.as_str()))
            .collect()
    }

    fn orders() -> Schema {
        schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(2, "amount", dec(10, 2)),
            NestedField::optional(3, "ts", p(PrimitiveType::Timestamp)),
            NestedField::optional(4, "category", p(PrimitiveType::String)),
        ])
    }

    #[test]
    fn rename_and_optional_add_by_id() {
        let l = orders();
        let r = schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(2, "amount_usd", dec(10, 2)),
            NestedField::optional(3, "ts", p(PrimitiveType::Timestamp)),
            NestedField::optional(4, "category", p(PrimitiveType::String)),
            NestedField::optional(5, "note", p(PrimitiveType::String)),
        ]);
        let d = diff_schemas(&l, &r);
        assert_eq!(d.matched_by, MatchedBy::FieldId);
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::Renamed, Some(2), "amount_usd"),
                (ChangeKind::Added, Some(5), "note"),
            ]
        );
        let rename = &d.changes[0];
        assert_eq!(rename.from.as_deref(), Some("amount"));
        assert_eq!(rename.to.as_deref(), Some("amount_usd"));
        assert!(rename.note.contains("field id"));
        assert_eq!(d.changes[1].to.as_deref(), Some("string optional"));
        assert!(d.old_readers_survive && d.old_writers_survive && !d.equal);
        let text = d.to_text();
        assert!(text.starts_with("schema-diff t@1 -> t@2: fields matched by field id\n"));
        assert!(
            text.contains("~ renamed                   id=2     amount -> amount_usd   readers: yes  writers: yes"),
            "{text}"
        );
        assert!(text.contains("+ added                     id=5     note (string optional)"));
    }

    #[test]
    fn required_add_breaks_old_writers_unless_it_has_an_initial_default() {
        let l = orders();
        let mut fields: Vec<NestedField> = l
            .as_struct()
            .fields()
            .iter()
            .map(|f| (**f).clone())
            .collect();
        fields.push(NestedField::required(5, "region", p(PrimitiveType::String)));
        let d = diff_schemas(&l, &schema(fields.clone()));
        assert_eq!(kinds(&d), vec![(ChangeKind::Added, Some(5), "region")]);
        assert_eq!(d.changes[0].old_readers, Compat::Yes);
        assert_eq!(d.changes[0].old_writers, Compat::No);
        assert!(!d.old_writers_survive && d.old_readers_survive);

        fields[4] = NestedField::required(5, "region", p(PrimitiveType::String))
            .with_initial_default(iceberg::spec::Literal::string("eu"));
        let d = diff_v(&l, &schema(fields), FormatVersion::V3);
        assert_eq!(d.changes[0].old_writers, Compat::Yes);
    }

    #[test]
    fn drops_break_old_readers_only_when_required() {
        let l = orders();
        let r = schema(vec![
            NestedField::optional(2, "amount", dec(10, 2)),
            NestedField::optional(3, "ts", p(PrimitiveType::Timestamp)),
        ]);
        let d = diff_schemas(&l, &r);
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::Dropped, Some(1), "id"),
                (ChangeKind::Dropped, Some(4), "category"),
            ]
        );
        assert_eq!(d.changes[0].old_readers, Compat::No);
        assert_eq!(d.changes[1].old_readers, Compat::Yes);
        assert!(d.changes.iter().all(|c| c.old_writers.is_yes()));
        assert_eq!(d.changes[0].from.as_deref(), Some("long required"));
    }

    fn one(t: Type) -> Schema {
        schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(2, "x", t),
        ])
    }

    #[test]
    fn only_legal_promotions_are_promotions() {
        use PrimitiveType as P;
        let cases = [
            (p(P::Int), p(P::Long), ChangeKind::TypePromoted),
            (p(P::Long), p(P::Int), ChangeKind::TypeIncompatible),
            (dec(10, 2), dec(12, 2), ChangeKind::TypePromoted),
            (dec(12, 2), dec(10, 2), ChangeKind::TypeIncompatible),
            (dec(10, 2), dec(12, 3), ChangeKind::TypeIncompatible),
            (p(P::Float), p(P::Double), ChangeKind::TypePromoted),
            (p(P::Double), p(P::Float), ChangeKind::TypeIncompatible),
            (p(P::String), p(P::Int), ChangeKind::TypeIncompatible),
            (p(P::Int), p(P::String), ChangeKind::TypeIncompatible),
            (p(P::Int), p(P::Double), ChangeKind::TypeIncompatible),
            (p(P::Date), p(P::Timestamp), ChangeKind::TypeIncompatible), // v2
            (p(P::Int), strukt(vec![]), ChangeKind::TypeIncompatible),
        ];
        for (from, to, want) in cases {
            let d = diff_schemas(&one(from.clone()), &one(to.clone()));
            assert_eq!(
                kinds(&d),
                vec![(want, Some(2), "x")],
                "{from} -> {to}: {:?}",
                d.changes
            );
            let c = &d.changes[0];
            assert_eq!(c.from.as_deref(), Some(type_name(&from).as_str()));
            assert_eq!(c.to.as_deref(), Some(type_name(&to).as_str()));
            match want {
                ChangeKind::TypePromoted => {
                    assert_eq!((c.old_readers, c.old_writers), (Compat::No, Compat::Yes));
                }
                _ => assert_eq!((c.old_readers, c.old_writers), (Compat::No, Compat::No)),
            }
        }
    }

    #[test]
    fn date_to_timestamp_is_a_v3_promotion_unless_partitioned_by_identity() {
        use PrimitiveType as P;
        assert!(!is_legal_promotion(
            &P::Date,
            &P::Timestamp,
            FormatVersion::V2
        ));
        assert!(is_legal_promotion(
            &P::Date,
            &P::Timestamp,
            FormatVersion::V3
        ));
        assert!(is_legal_promotion(
            &P::Date,
            &P::TimestampNs,
            FormatVersion::V3
        ));
        assert!(!is_legal_promotion(
            &P::Date,
            &P::Timestamptz,
            FormatVersion::V3
        ));

        let (l, r) = (one(p(P::Date)), one(p(P::Timestamp)));
        let v2 = diff_v(&l, &r, FormatVersion::V2);
        assert_eq!(v2.changes[0].kind, ChangeKind::TypeIncompatible);
        assert!(
            v2.changes[0].note.contains("only in format v3"),
            "{}",
            v2.changes[0].note
        );
        let v3 = diff_v(&l, &r, FormatVersion::V3);
        assert_eq!(v3.changes[0].kind, ChangeKind::TypePromoted);

        let order = SortOrder::unsorted_order();
        let r = Arc::new(r);
        for (transform, want) in [
            (Transform::Day, ChangeKind::TypePromoted),
            (Transform::Identity, ChangeKind::TypeIncompatible),
        ] {
            let spec = PartitionSpec::builder(r.clone())
                .add_partition_field("x", "x_part", transform)
                .unwrap()
                .build()
                .unwrap();
            let left = side("l", &l, &spec, &order);
            let mut right = side("r", &r, &spec, &order);
            right.format_version = FormatVersion::V3;
            let d = diff(&left, &right);
            assert_eq!(d.changes[0].kind, want, "{transform}");
        }
    }

    #[test]
    fn nullability_both_ways() {
        let l = schema(vec![
            NestedField::required(1, "a", p(PrimitiveType::Long)),
            NestedField::optional(2, "b", p(PrimitiveType::Long)),
        ]);
        let r = schema(vec![
            NestedField::optional(1, "a", p(PrimitiveType::Long)),
            NestedField::required(2, "b", p(PrimitiveType::Long)),
        ]);
        let d = diff_schemas(&l, &r);
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::MadeOptional, Some(1), "a"),
                (ChangeKind::MadeRequired, Some(2), "b"),
            ]
        );
        assert_eq!(
            (d.changes[0].old_readers, d.changes[0].old_writers),
            (Compat::No, Compat::Yes)
        );
        assert_eq!(
            (d.changes[1].old_readers, d.changes[1].old_writers),
            (Compat::Yes, Compat::No)
        );
        assert!(!d.old_readers_survive && !d.old_writers_survive);
    }

    #[test]
    fn nested_add_and_move_to_another_struct() {
        let l = schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(
                2,
                "address",
                strukt(vec![
                    NestedField::optional(3, "city", p(PrimitiveType::String)),
                    NestedField::optional(4, "zip", p(PrimitiveType::String)),
                ]),
            ),
            NestedField::optional(
                5,
                "billing",
                strukt(vec![NestedField::optional(
                    6,
                    "street",
                    p(PrimitiveType::String),
                )]),
            ),
        ]);
        let r = schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(
                2,
                "address",
                strukt(vec![
                    NestedField::optional(3, "city", p(PrimitiveType::String)),
                    NestedField::optional(7, "country", p(PrimitiveType::String)),
                ]),
            ),
            NestedField::optional(
                5,
                "billing",
                strukt(vec![
                    NestedField::optional(6, "street", p(PrimitiveType::String)),
                    NestedField::optional(4, "zip", p(PrimitiveType::String)),
                ]),
            ),
            NestedField::optional(
                8,
                "geo",
                strukt(vec![
                    NestedField::optional(9, "lat", p(PrimitiveType::Double)),
                    NestedField::optional(10, "lon", p(PrimitiveType::Double)),
                ]),
            ),
        ]);
        let d = diff_schemas(&l, &r);
        assert_eq!(d.matched_by, MatchedBy::FieldId);
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::Moved, Some(4), "billing.zip"),
                (ChangeKind::Added, Some(7), "address.country"),
                (ChangeKind::Added, Some(8), "geo"),
            ]
        );
        let moved = &d.changes[0];
        assert_eq!(moved.from.as_deref(), Some("address.zip"));
        assert_eq!(moved.to.as_deref(), Some("billing.zip"));
        assert_eq!(
            (moved.old_readers, moved.old_writers),
            (Compat::Yes, Compat::Yes)
        );
        assert!(d.changes[2].note.contains("with 2 nested fields"));
    }

    #[test]
    fn reorder_reports_only_the_moved_field() {
        let f = |id, name: &str| NestedField::optional(id, name, p(PrimitiveType::Int));
        let l = schema(vec![f(1, "a"), f(2, "b"), f(3, "c")]);
        // c moved first; d inserted in the middle does not move anything.
        let r = schema(vec![f(3, "c"), f(1, "a"), f(4, "d"), f(2, "b")]);
        let d = diff_schemas(&l, &r);
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::Moved, Some(3), "c"),
                (ChangeKind::Added, Some(4), "d"),
            ]
        );
        assert_eq!(d.changes[0].from.as_deref(), Some("after b"));
        assert_eq!(d.changes[0].to.as_deref(), Some("first"));
        assert!(d.old_readers_survive && d.old_writers_survive);
    }

    #[test]
    fn list_element_and_map_value_promotions() {
        let mk = |elem: PrimitiveType, key: PrimitiveType, value: PrimitiveType| {
            schema(vec![
                NestedField::optional(
                    1,
                    "tags",
                    Type::List(ListType::new(Arc::new(NestedField::list_element(
                        2,
                        p(elem),
                        false,
                    )))),
                ),
                NestedField::optional(
                    3,
                    "attrs",
                    Type::Map(MapType::optional(4, p(key), 5, p(value))),
                ),
            ])
        };
        use PrimitiveType as P;
        let d = diff_schemas(
            &mk(P::Int, P::Int, P::Float),
            &mk(P::Long, P::Long, P::Double),
        );
        assert_eq!(
            kinds(&d),
            vec![
                (ChangeKind::TypePromoted, Some(2), "tags.element"),
                (ChangeKind::TypePromoted, Some(4), "attrs.key"),
                (ChangeKind::TypePromoted, Some(5), "attrs.value"),
            ]
        );
        let d = diff_schemas(
            &mk(P::Int, P::Int, P::Float),
            &mk(P::Int, P::Int, P::String),
        );
        assert_eq!(
            kinds(&d),
            vec![(ChangeKind::TypeIncompatible, Some(5), "attrs.value")]
        );
    }

    #[test]
    fn doc_change_is_harmless() {
        let l = one(p(PrimitiveType::Int));
        let r = schema(vec![
            NestedField::required(1, "id", p(PrimitiveType::Long)),
            NestedField::optional(2, "x", p(PrimitiveType::Int)).with_doc("the x"),
        ]);
        let d = diff_schemas(&l, &r);
        assert_eq!(kinds(&d), vec![(ChangeKind::DocChanged, Some(2), "x")]);
        assert_eq!(d.changes[0].from, None);
        assert_eq!(d.changes[0].to.as_deref(), Some("the x"));
        assert!(d.old_readers_survive && d.old_writers_survive);
        assert!(
            d.to_text().contains("x: (none) -> the x"),
            "{}",
            d.to_text()
        );
    }

    #[test]
    fn unrelated_tables_are_matched_by_name() {
        let l = orders();
        // Same ids, other meanings: only `amount` and `category` share a name, at other ids.
        let r = schema(vec![
            NestedField::required(1, "customer_id", p(PrimitiveType::Long)),
            NestedField::optional(2, "category", p(PrimitiveType::String)),
            NestedField::optional(3, "amount", dec(12, 2)),
        ]);
        assert_eq!(detect_matching(&l, &r), MatchedBy::Name);
        let d = diff_schemas(&l, &r);
        assert_eq!(d.matched_by, MatchedBy::Name);
        let got: Vec<(ChangeKind, &str)> = d
            .changes
            .iter()
            .map(|c| (c.kind, c.path.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (ChangeKind::TypePromoted, "amount"),
                (ChangeKind::Moved, "category"),
                (ChangeKind::Added, "customer_id"),
                (ChangeKind::Dropped, "id"),
                (ChangeKind::Dropped, "ts"),
            ]
        );
        assert!(d.changes.iter().all(|c| c.field_id.is_none()));
        assert!(d.changes.iter().all(|c| c.kind != ChangeKind::Renamed));
        assert!(d.to_text().contains("fields matched by name"));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["matched_by"], "name");

        // The same pair forced to field ids shows the coincidences as renames.
        let spec = PartitionSpec::unpartition_spec();
        let order = SortOrder::unsorted_order();
        let forced = diff_matched_by(
            &side("a", &l, &spec, &order),
            &side("b", &r, &spec, &order),
            MatchedBy::FieldId,
        );
        assert!(forced.changes.iter().any(|c| c.kind == ChangeKind::Renamed));
    }

    #[test]
    fn equal_schemas_are_equal() {
        let d = diff_schemas(&orders(), &orders());
        assert!(d.equal);
        assert!(d.changes.is_empty() && d.partition_changes.is_empty());
        assert!(d.sort_order_changes.is_empty());
        assert!(d.old_readers_survive && d.old_writers_survive);
        assert_eq!(
            d.to_text(),
            "schema-diff t@1 -> t@2: fields matched by field id\nno differences\n"
        );
    }

    #[test]
    fn identifier_fields_change() {
        let l = orders();
        let r = Schema::builder()
            .with_fields(l.as_struct().fields().iter().cloned())
            .with_identifier_field_ids([1])
            .build()
            .unwrap();
        let d = diff_schemas(&l, &r);
        assert_eq!(
            kinds(&d),
            vec![(ChangeKind::IdentifierFieldsChanged, None, "")]
        );
        assert_eq!(d.changes[0].from.as_deref(), Some("[]"));
        assert_eq!(d.changes[0].to.as_deref(), Some("[id]"));
    }

    #[test]
    fn partition_spec_changes_are_reported_and_harmless() {
        let s = Arc::new(orders());
        let left_spec = PartitionSpec::builder(s.clone())
            .add_partition_field("category", "category", Transform::Identity)
            .unwrap()
            .add_partition_field("id", "id_bucket", Transform::Bucket(16))
            .unwrap()
            .build()
            .unwrap();
        let right_spec = PartitionSpec::builder(s.clone())
            .add_partition_field("category", "cat", Transform::Identity)
            .unwrap()
            .add_partition_field("id", "id_bucket", Transform::Bucket(32))
            .unwrap()
            .add_partition_field("ts", "ts_day", Transform::Day)
            .unwrap()
            .build()
            .unwrap();
        let order = SortOrder::unsorted_order();
        let d = diff(
            &side("t@1", &s, &left_spec, &order),
            &side("t@2", &s, &right_spec, &order),
        );
        assert!(d.changes.is_empty());
        assert!(!d.equal && d.old_readers_survive && d.old_writers_survive);
        let got: Vec<_> = d
            .partition_changes
            .iter()
            .map(|c| (c.kind, c.name.as_str(), c.from.as_deref(), c.to.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    PartitionChangeKind::Renamed,
                    "cat",
                    Some("category"),
                    Some("cat")
                ),
                (
                    PartitionChangeKind::TransformChanged,
                    "id_bucket",
                    Some("bucket[16]"),
                    Some("bucket[32]")
                ),
                (PartitionChangeKind::Added, "ts_day", None, Some("day")),
            ]
        );
        assert_eq!(d.partition_changes[2].source.as_deref(), Some("ts"));
        let text = d.to_text();
        assert!(text.contains("partition spec:\n"), "{text}");
        assert!(
            text.contains("never break old readers or writers"),
            "{text}"
        );

        // Back to unpartitioned: every field removed.
        let unpartitioned = PartitionSpec::unpartition_spec();
        let d = diff(
            &side("t@2", &s, &right_spec, &order),
            &side("t@3", &s, &unpartitioned, &order),
        );
        assert_eq!(d.partition_changes.len(), 3);
        assert!(d
            .partition_changes
            .iter()
            .all(|c| c.kind == PartitionChangeKind::Removed));
    }

    #[test]
    fn sort_order_changes_are_reported() {
        let s = orders();
        let sf = |id, direction, null_order| {
            SortField::builder()
                .source_id(id)
                .transform(Transform::Identity)
                .direction(direction)
                .null_order(null_order)
                .build()
        };
        let left_order = SortOrder::builder()
            .with_order_id(1)
            .with_sort_field(sf(3, SortDirection::Ascending, NullOrder::First))
            .with_sort_field(sf(4, SortDirection::Ascending, NullOrder::First))
            .build(&s)
            .unwrap();
        let right_order = SortOrder::builder()
            .with_order_id(2)
            .with_sort_field(sf(4, SortDirection::Ascending, NullOrder::Last))
            .with_sort_field(sf(3, SortDirection::Descending, NullOrder::First))
            .with_sort_field(sf(1, SortDirection::Ascending, NullOrder::First))
            .build(&s)
            .unwrap();
        let spec = PartitionSpec::unpartition_spec();
        let d = diff(
            &side("t@1", &s, &spec, &left_order),
            &side("t@2", &s, &spec, &right_order),
        );
        assert!(d.changes.is_empty() && !d.equal);
        let got: Vec<_> = d
            .sort_order_changes
            .iter()
            .map(|c| (c.kind, c.source.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            vec![
                (SortChangeKind::NullOrderChanged, "category"),
                (SortChangeKind::DirectionChanged, "ts"),
                (SortChangeKind::Added, "id"),
                (SortChangeKind::Moved, "category"),
            ]
        );
        let moved = &d.sort_order_changes[3];
        assert_eq!(moved.from.as_deref(), Some("position 2"));
        assert_eq!(moved.to.as_deref(), Some("position 1"));
        assert!(d.to_text().contains("sort order:\n"));
    }

    #[test]
    fn json_names_are_snake_case_and_kinds_kebab_case() {
        let d = diff_schemas(&one(p(PrimitiveType::Int)), &one(p(PrimitiveType::Long)));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["matched_by"], "field-id");
        assert_eq!(json["changes"][0]["kind"], "type-promoted");
        assert_eq!(json["changes"][0]["old_readers"], "no");
        assert_eq!(json["changes"][0]["old_writers"], "yes");
        assert_eq!(json["old_readers_survive"], false);
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "left",
                "right",
                "matched_by",
                "changes",
                "partition_changes",
                "sort_order_changes",
                "equal",
                "old_readers_survive",
                "old_writers_survive"
            ]
        );
    }
}
