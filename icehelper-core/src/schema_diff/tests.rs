//! Unit tests of the schema comparison.

use std::sync::Arc;

use iceberg::spec::{
    ListType, MapType, NestedField, NullOrder, SortDirection, SortField, StructType, Transform,
    Type,
};

use super::*;
use crate::inspect::type_name;

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
