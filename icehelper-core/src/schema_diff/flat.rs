//! Schemas flattened into one list of fields, each keyed by field id or dotted path.

use std::collections::HashMap;

use iceberg::spec::{NestedFieldRef, Schema};

use super::MatchedBy;
use crate::inspect::{flatten_schema, FieldDescription};

/// What pairs a field with its counterpart: its id, or its dotted path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Id(i32),
    Path(String),
}

/// One field of a flattened schema.
pub(crate) struct Node<'s> {
    /// The field as `inspect` describes it (path, type, depth).
    pub(crate) desc: FieldDescription,
    /// The field itself.
    pub(crate) field: &'s NestedFieldRef,
    /// The enclosing field (index into [`Flat::nodes`]), `None` at the top level.
    pub(crate) parent: Option<usize>,
    /// Position among the parent's children.
    pub(crate) pos: usize,
    /// The preceding sibling.
    pub(crate) prev: Option<usize>,
}

/// A schema's fields in depth-first order, with the key that pairs each with its counterpart.
pub(crate) struct Flat<'s> {
    /// How fields are keyed.
    pub(crate) mode: MatchedBy,
    /// The fields, parents before their children.
    pub(crate) nodes: Vec<Node<'s>>,
    keys: Vec<Key>,
    /// The first field with each key.
    pub(crate) index: HashMap<Key, usize>,
}

impl<'s> Flat<'s> {
    pub(crate) fn new(schema: &'s Schema, mode: MatchedBy) -> Self {
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

    pub(crate) fn key(&self, i: usize) -> Key {
        self.keys[i].clone()
    }

    pub(crate) fn parent_key(&self, i: usize) -> Option<Key> {
        self.nodes[i].parent.map(|p| self.key(p))
    }

    pub(crate) fn field_id(&self, i: usize) -> Option<i32> {
        (self.mode == MatchedBy::FieldId).then_some(self.nodes[i].desc.id)
    }

    /// How many fields are nested below field `i`.
    pub(crate) fn nested_count(&self, i: usize) -> usize {
        let depth = self.nodes[i].desc.depth;
        self.nodes[i + 1..]
            .iter()
            .take_while(|n| n.desc.depth > depth)
            .count()
    }

    /// `first` or `after <sibling>`.
    pub(crate) fn place(&self, i: usize) -> String {
        match self.nodes[i].prev {
            None => "first".into(),
            Some(p) => format!("after {}", self.nodes[p].field.name),
        }
    }
}
