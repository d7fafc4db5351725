//! Partition spec and sort order differences (reported apart from the schema verdicts).

use iceberg::spec::Transform;

use super::flat::Key;
use super::moves::longest_increasing;
use super::{
    MatchedBy, PartitionChange, PartitionChangeKind, SchemaSide, SortChangeKind, SortOrderChange,
};
use crate::inspect::{describe_sort_order, describe_spec};

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

pub(crate) fn partition_diff(
    left: &SchemaSide,
    right: &SchemaSide,
    mode: MatchedBy,
) -> Vec<PartitionChange> {
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

pub(crate) fn sort_order_diff(
    left: &SchemaSide,
    right: &SchemaSide,
    mode: MatchedBy,
) -> Vec<SortOrderChange> {
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
