//! Position changes: fields that moved among their siblings, found as the complement of a
//! longest increasing subsequence.

use std::collections::{BTreeMap, BTreeSet};

use iceberg::spec::Type;

use super::fields::change;
use super::flat::{Flat, Key};
use super::{Change, ChangeKind, MatchedBy};

fn resolved_by(mode: MatchedBy) -> &'static str {
    match mode {
        MatchedBy::FieldId => "field id",
        MatchedBy::Name => "name",
    }
}

/// Indices (into `seq`) of one longest strictly increasing subsequence, first-found on ties.
pub(crate) fn longest_increasing(seq: &[usize]) -> BTreeSet<usize> {
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
pub(crate) fn sibling_moves(l: &Flat, r: &Flat, out: &mut Vec<Change>) {
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
