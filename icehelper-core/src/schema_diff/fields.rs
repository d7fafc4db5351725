//! Per-field comparison: what changed about a field and whether old readers and writers
//! survive it.

use std::collections::BTreeSet;

use iceberg::spec::{
    FormatVersion, NestedFieldRef, PartitionSpec, PrimitiveType, Schema, Transform, Type,
};

use super::flat::{Flat, Node};
use super::{is_legal_promotion, Change, ChangeKind, Compat, MatchedBy, SchemaSide};
use crate::inspect::{type_name, FieldDescription};

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

#[allow(clippy::too_many_arguments)]
pub(crate) fn change(
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

pub(crate) fn added(r: &Flat, ri: usize) -> Change {
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

pub(crate) fn dropped(l: &Flat, li: usize) -> Change {
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

/// A field present on both sides: what every change reported about it shares.
struct Pair<'n, 's> {
    left: &'n Node<'s>,
    right: &'n Node<'s>,
    /// The field id when matched by field id.
    id: Option<i32>,
}

impl Pair<'_, '_> {
    /// A change of this field, reported under its RIGHT path.
    fn change(
        &self,
        kind: ChangeKind,
        from: Option<String>,
        to: Option<String>,
        readers: bool,
        writers: bool,
        note: impl Into<String>,
    ) -> Change {
        change(
            kind,
            self.id,
            &self.right.desc.path,
            from,
            to,
            readers,
            writers,
            note,
        )
    }

    /// The LEFT and RIGHT types as a change's `from` and `to`.
    fn types(&self) -> (Option<String>, Option<String>) {
        (
            Some(self.left.desc.field_type.clone()),
            Some(self.right.desc.field_type.clone()),
        )
    }
}

/// Every change of a field present on both sides (`li` on the LEFT, `ri` on the RIGHT), in
/// report order: name, parent, type, nullability, doc, defaults.
pub(crate) fn compare_field(
    l: &Flat,
    li: usize,
    r: &Flat,
    ri: usize,
    right: &SchemaSide,
    out: &mut Vec<Change>,
) {
    let pair = Pair {
        left: &l.nodes[li],
        right: &r.nodes[ri],
        id: r.field_id(ri),
    };
    out.extend(renamed(&pair));
    if l.parent_key(li) != r.parent_key(ri) {
        out.push(moved_to_another_struct(&pair));
    }
    out.extend(type_change(&pair, right));
    out.extend(nullability_change(&pair));
    out.extend(doc_change(&pair));
    out.extend(default_changes(&pair));
}

fn renamed(pair: &Pair) -> Option<Change> {
    (pair.left.field.name != pair.right.field.name).then(|| {
        pair.change(
            ChangeKind::Renamed,
            Some(pair.left.desc.path.clone()),
            Some(pair.right.desc.path.clone()),
            true,
            true,
            "Iceberg resolves columns by field id; queries and name-based readers using the \
             old name must change",
        )
    })
}

fn moved_to_another_struct(pair: &Pair) -> Change {
    pair.change(
        ChangeKind::Moved,
        Some(pair.left.desc.path.clone()),
        Some(pair.right.desc.path.clone()),
        may_be_missing(pair.left.field),
        may_be_missing(pair.right.field),
        "moved to another struct: each side looks for it under its own parent and finds \
         it missing in the other side's data (Iceberg's schema updates cannot do this)",
    )
}

fn type_change(pair: &Pair, right: &SchemaSide) -> Option<Change> {
    let (from_t, to_t) = (&*pair.left.field.field_type, &*pair.right.field.field_type);
    match compare_types(from_t, to_t, right.format_version) {
        TypeChange::Same => None,
        TypeChange::Promoted => Some(promotion(pair, right.spec)),
        TypeChange::Incompatible(note) => {
            let (from, to) = pair.types();
            Some(pair.change(ChangeKind::TypeIncompatible, from, to, false, false, note))
        }
    }
}

/// A legal promotion, unless a partition field of RIGHT's spec uses the promoted `date` column
/// with a transform whose value would change (anything but `year`, `month`, `day`, `void`).
fn promotion(pair: &Pair, spec: &PartitionSpec) -> Change {
    let from_t = &*pair.left.field.field_type;
    let blocking = spec.fields().iter().find(|pf| {
        pf.source_id == pair.right.field.id
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
                pair.left.desc.field_type, pair.right.desc.field_type
            ),
        ),
    };
    let (from, to) = pair.types();
    pair.change(kind, from, to, readers, writers, note)
}

fn nullability_change(pair: &Pair) -> Option<Change> {
    match (pair.left.field.required, pair.right.field.required) {
        (true, false) => Some(pair.change(
            ChangeKind::MadeOptional,
            Some("required".into()),
            Some("optional".into()),
            false,
            true,
            "new writers may write nulls that old readers do not expect",
        )),
        (false, true) => Some(pair.change(
            ChangeKind::MadeRequired,
            Some("optional".into()),
            Some("required".into()),
            true,
            false,
            "old writers may write nulls (Iceberg allows this only as an incompatible change)",
        )),
        _ => None,
    }
}

fn doc_change(pair: &Pair) -> Option<Change> {
    let (lf, rf) = (pair.left.field, pair.right.field);
    (lf.doc != rf.doc).then(|| {
        pair.change(
            ChangeKind::DocChanged,
            lf.doc.clone(),
            rf.doc.clone(),
            true,
            true,
            "documentation only",
        )
    })
}

/// Changes of the v3 `initial-default`, then of the `write-default`.
fn default_changes(pair: &Pair) -> Vec<Change> {
    let (lf, rf) = (pair.left.field, pair.right.field);
    let (from_t, to_t) = (&*lf.field_type, &*rf.field_type);
    [
        (
            &lf.initial_default,
            &rf.initial_default,
            "initial-default changed (the spec forbids changing it once set): rows written \
             before the field existed now read differently",
        ),
        (
            &lf.write_default,
            &rf.write_default,
            "write-default changed: only what writers fill in when they omit the field",
        ),
    ]
    .into_iter()
    .filter(|(from, to, _)| from != to)
    .map(|(from, to, note)| {
        pair.change(
            ChangeKind::DefaultChanged,
            render_default(from, from_t),
            render_default(to, to_t),
            true,
            true,
            note,
        )
    })
    .collect()
}

pub(crate) fn identifier_change(
    left: &Schema,
    right: &Schema,
    mode: MatchedBy,
    out: &mut Vec<Change>,
) {
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
