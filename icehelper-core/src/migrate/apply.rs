//! Applying a migration file's changes to a table's metadata: a draft of the schema, the
//! default partition spec, the default sort order and the properties, changed one change at a
//! time and validated as it goes, then turned into the commit's requirements and updates.
//!
//! Field ids follow Iceberg Java and PyIceberg: a new column gets `last-column-id + 1`, the
//! fields nested in its type the next ids level by level (a struct's fields first, then their
//! children); a new partition field reuses the id of an equal field (same source, transform and
//! name) of an earlier spec in format v2, else gets `last-partition-id + 1`; the new schema's id
//! is one more than the highest (iceberg reuses the id of an identical earlier schema).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use iceberg::spec::{
    FormatVersion, Literal, NestedField, NestedFieldRef, NullOrder, PrimitiveType, Schema,
    SortDirection, SortField, SortOrder, TableMetadata, Transform, Type, UnboundPartitionField,
    UnboundPartitionSpec,
};
use iceberg::{TableRequirement, TableUpdate};

use super::file::{Change, SortFieldSpec};
use super::types::{parse_primitive, parse_type, TypeSpec};
use crate::schema_diff::is_legal_promotion;

/// Properties under this prefix are icehelper's migration bookkeeping.
pub const PROPERTY_PREFIX: &str = "icehelper.migrate.";

#[derive(Debug, Clone)]
struct MField {
    id: i32,
    name: String,
    required: bool,
    ty: MType,
    doc: Option<String>,
    initial_default: Option<Literal>,
    write_default: Option<Literal>,
}

#[derive(Debug, Clone)]
enum MType {
    Prim(PrimitiveType),
    Struct(Vec<MField>),
    List(Box<MField>),
    Map(Box<MField>, Box<MField>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Child(usize),
    Element,
    Key,
    Value,
}

impl MField {
    fn from_nested(f: &NestedField) -> MField {
        MField {
            id: f.id,
            name: f.name.clone(),
            required: f.required,
            ty: MType::from_type(&f.field_type),
            doc: f.doc.clone(),
            initial_default: f.initial_default.clone(),
            write_default: f.write_default.clone(),
        }
    }

    fn to_nested(&self) -> NestedFieldRef {
        let mut f = NestedField::new(self.id, &self.name, self.ty.to_type(), self.required);
        f.doc = self.doc.clone();
        f.initial_default = self.initial_default.clone();
        f.write_default = self.write_default.clone();
        Arc::new(f)
    }

    fn child(&self, step: Step) -> Option<&MField> {
        match (step, &self.ty) {
            (Step::Child(i), MType::Struct(v)) => v.get(i),
            (Step::Element, MType::List(e)) => Some(e),
            (Step::Key, MType::Map(k, _)) => Some(k),
            (Step::Value, MType::Map(_, v)) => Some(v),
            _ => None,
        }
    }

    fn child_mut(&mut self, step: Step) -> Option<&mut MField> {
        match (step, &mut self.ty) {
            (Step::Child(i), MType::Struct(v)) => v.get_mut(i),
            (Step::Element, MType::List(e)) => Some(e),
            (Step::Key, MType::Map(k, _)) => Some(k),
            (Step::Value, MType::Map(_, v)) => Some(v),
            _ => None,
        }
    }

    /// Ids of this field and everything nested in it.
    fn all_ids(&self, out: &mut Vec<i32>) {
        out.push(self.id);
        match &self.ty {
            MType::Prim(_) => {}
            MType::Struct(v) => v.iter().for_each(|f| f.all_ids(out)),
            MType::List(e) => e.all_ids(out),
            MType::Map(k, v) => {
                k.all_ids(out);
                v.all_ids(out);
            }
        }
    }
}

impl MType {
    fn from_type(t: &Type) -> MType {
        match t {
            Type::Primitive(p) => MType::Prim(p.clone()),
            Type::Struct(s) => {
                MType::Struct(s.fields().iter().map(|f| MField::from_nested(f)).collect())
            }
            Type::List(l) => MType::List(Box::new(MField::from_nested(&l.element_field))),
            Type::Map(m) => MType::Map(
                Box::new(MField::from_nested(&m.key_field)),
                Box::new(MField::from_nested(&m.value_field)),
            ),
        }
    }

    fn to_type(&self) -> Type {
        match self {
            MType::Prim(p) => Type::Primitive(p.clone()),
            MType::Struct(v) => Type::Struct(iceberg::spec::StructType::new(
                v.iter().map(MField::to_nested).collect(),
            )),
            MType::List(e) => Type::List(iceberg::spec::ListType::new(e.to_nested())),
            MType::Map(k, v) => {
                Type::Map(iceberg::spec::MapType::new(k.to_nested(), v.to_nested()))
            }
        }
    }

    /// A type from a parsed type name, with fresh ids (PyIceberg's `_SetFreshIDs` order).
    fn fresh(spec: &TypeSpec, next: &mut impl FnMut() -> i32) -> MType {
        let field = |id: i32, name: &str, required: bool, ty: MType| MField {
            id,
            name: name.to_string(),
            required,
            ty,
            doc: None,
            initial_default: None,
            write_default: None,
        };
        match spec {
            TypeSpec::Primitive(p) => MType::Prim(p.clone()),
            TypeSpec::Struct(fields) => {
                let ids: Vec<i32> = fields.iter().map(|_| next()).collect();
                MType::Struct(
                    fields
                        .iter()
                        .zip(ids)
                        .map(|(f, id)| field(id, &f.name, f.required, MType::fresh(&f.ty, next)))
                        .collect(),
                )
            }
            TypeSpec::List {
                element_required,
                element,
            } => {
                let id = next();
                MType::List(Box::new(field(
                    id,
                    "element",
                    *element_required,
                    MType::fresh(element, next),
                )))
            }
            TypeSpec::Map {
                key,
                value_required,
                value,
            } => {
                let key_id = next();
                let value_id = next();
                let k = field(key_id, "key", true, MType::fresh(key, next));
                let v = field(
                    value_id,
                    "value",
                    *value_required,
                    MType::fresh(value, next),
                );
                MType::Map(Box::new(k), Box::new(v))
            }
        }
    }
}

#[derive(Debug, Clone)]
struct PField {
    field_id: i32,
    source_id: i32,
    transform: Transform,
    name: String,
}

/// Where to put a column among its siblings.
enum Place {
    Last,
    First,
    After(String),
    Before(String),
}

fn place_of(
    first: &Option<bool>,
    after: &Option<String>,
    before: &Option<String>,
) -> Result<Place, String> {
    let first = first.unwrap_or(false);
    match (first, after, before) {
        (false, None, None) => Ok(Place::Last),
        (true, None, None) => Ok(Place::First),
        (false, Some(a), None) => Ok(Place::After(a.clone())),
        (false, None, Some(b)) => Ok(Place::Before(b.clone())),
        _ => Err("give at most one of first, after, before".into()),
    }
}

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

    fn at(&self, steps: &[Step]) -> &MField {
        let mut f = &self.root;
        for s in steps {
            f = f.child(*s).expect("a resolved path");
        }
        f
    }

    fn at_mut(&mut self, steps: &[Step]) -> &mut MField {
        let mut f = &mut self.root;
        for s in steps {
            f = f.child_mut(*s).expect("a resolved path");
        }
        f
    }

    fn resolve(&self, path: &str) -> Result<Vec<Step>, String> {
        if path.is_empty() {
            return Err("empty column name".into());
        }
        let mut steps = Vec::new();
        let mut cur = &self.root;
        for seg in path.split('.') {
            let step = match &cur.ty {
                MType::Struct(v) => v.iter().position(|f| f.name == seg).map(Step::Child),
                MType::List(_) if seg == "element" => Some(Step::Element),
                MType::Map(..) if seg == "key" => Some(Step::Key),
                MType::Map(..) if seg == "value" => Some(Step::Value),
                _ => None,
            };
            let Some(step) = step else {
                let similar = self.path_of_name_ci(path);
                return Err(match similar {
                    Some(p) => format!("column '{path}' does not exist (did you mean '{p}'?)"),
                    None => format!("column '{path}' does not exist"),
                });
            };
            steps.push(step);
            cur = cur.child(step).expect("just found");
        }
        Ok(steps)
    }

    /// A column whose path matches `path` ignoring case.
    fn path_of_name_ci(&self, path: &str) -> Option<String> {
        self.paths()
            .into_iter()
            .map(|(p, _)| p)
            .find(|p| p.eq_ignore_ascii_case(path))
    }

    /// Every field's dotted path with its id, in schema order.
    fn paths(&self) -> Vec<(String, i32)> {
        fn walk(f: &MField, prefix: &str, out: &mut Vec<(String, i32)>) {
            let children: Vec<&MField> = match &f.ty {
                MType::Prim(_) => vec![],
                MType::Struct(v) => v.iter().collect(),
                MType::List(e) => vec![e],
                MType::Map(k, v) => vec![k, v],
            };
            for c in children {
                let p = if prefix.is_empty() {
                    c.name.clone()
                } else {
                    format!("{prefix}.{}", c.name)
                };
                out.push((p.clone(), c.id));
                walk(c, &p, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out);
        out
    }

    fn path_of_id(&self, id: i32) -> Option<String> {
        self.paths()
            .into_iter()
            .find(|(_, i)| *i == id)
            .map(|(p, _)| p)
    }

    /// The struct children of the parent of `path` (the top level for a plain name), the steps
    /// to that parent, and the leaf name.
    fn parent_of(&self, path: &str) -> Result<(Vec<Step>, String), String> {
        let (parent, leaf) = match path.rsplit_once('.') {
            Some((p, l)) => (p, l),
            None => ("", path),
        };
        if leaf.is_empty() {
            return Err(format!("'{path}' is not a column name"));
        }
        let mut steps = if parent.is_empty() {
            Vec::new()
        } else {
            self.resolve(parent)?
        };
        // Like Java and PyIceberg: a list's element or a map's value stands for its struct.
        match &self.at(&steps).ty {
            MType::List(_) => steps.push(Step::Element),
            MType::Map(..) => steps.push(Step::Value),
            _ => {}
        }
        if !matches!(self.at(&steps).ty, MType::Struct(_)) {
            return Err(format!("'{parent}' is not a struct"));
        }
        Ok((steps, leaf.to_string()))
    }

    fn siblings_mut(&mut self, parent: &[Step]) -> &mut Vec<MField> {
        match &mut self.at_mut(parent).ty {
            MType::Struct(v) => v,
            _ => unreachable!("parent_of checks it is a struct"),
        }
    }

    fn siblings(&self, parent: &[Step]) -> &[MField] {
        match &self.at(parent).ty {
            MType::Struct(v) => v,
            _ => &[],
        }
    }

    fn check_name_free(
        &self,
        parent: &[Step],
        leaf: &str,
        except: Option<i32>,
    ) -> Result<(), String> {
        if leaf.contains('.') || leaf.trim() != leaf || leaf.is_empty() {
            return Err(format!("'{leaf}' is not a valid column name"));
        }
        if let Some(f) = self
            .siblings(parent)
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(leaf) && Some(f.id) != except)
        {
            return Err(format!(
                "name clash: a column '{}' already exists there (engines such as Spark and Trino resolve names ignoring case)",
                f.name
            ));
        }
        Ok(())
    }

    /// Partition field names must not clash with column names, except an identity partition
    /// field named after its own source column (Iceberg's rule, across all specs).
    fn check_partition_names(&self, full_path: &str, field_id: i32) -> Result<(), String> {
        for spec in self.md.partition_specs_iter() {
            for pf in spec.fields() {
                if pf.name == full_path
                    && !(pf.transform == Transform::Identity && pf.source_id == field_id)
                {
                    return Err(format!(
                        "name clash with partition field '{}' of spec {}",
                        pf.name,
                        spec.spec_id()
                    ));
                }
            }
        }
        for pf in &self.spec {
            if pf.name == full_path
                && !(pf.transform == Transform::Identity && pf.source_id == field_id)
            {
                return Err(format!("name clash with partition field '{}'", pf.name));
            }
        }
        Ok(())
    }

    fn place(siblings: &mut Vec<MField>, field: MField, place: Place) -> Result<(), String> {
        let find = |siblings: &Vec<MField>, name: &str| {
            siblings
                .iter()
                .position(|f| f.name == name)
                .ok_or_else(|| format!("there is no column '{name}' beside it to place it by"))
        };
        let at = match place {
            Place::Last => siblings.len(),
            Place::First => 0,
            Place::After(name) => find(siblings, &name)? + 1,
            Place::Before(name) => find(siblings, &name)?,
        };
        siblings.insert(at, field);
        Ok(())
    }

    fn next_column_id(&mut self) -> i32 {
        self.last_column_id += 1;
        self.last_column_id
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
            } => {
                if *required == Some(true) {
                    return Err("cannot add a required column: rows already written have no value for it and writers on the old schema do not write it (add it optional)".into());
                }
                let place = place_of(first, after, before)?;
                let spec = parse_type(ty)?;
                let (parent, leaf) = self.parent_of(name)?;
                self.check_name_free(&parent, &leaf, None)?;
                if let Place::After(s) | Place::Before(s) = &place {
                    if s == &leaf {
                        return Err("a column cannot be placed by itself".into());
                    }
                }
                let id = self.next_column_id();
                let mut last = self.last_column_id;
                let mut next = || {
                    last += 1;
                    last
                };
                let t = MType::fresh(&spec, &mut next);
                self.last_column_id = last;
                let field = MField {
                    id,
                    name: leaf.clone(),
                    required: false,
                    ty: t,
                    doc: doc.clone(),
                    initial_default: None,
                    write_default: None,
                };
                let full = match name.rsplit_once('.') {
                    Some((p, _)) => format!("{p}.{leaf}"),
                    None => leaf,
                };
                self.check_partition_names(&full, id)?;
                Self::place(self.siblings_mut(&parent), field, place)?;
                self.schema_changed = true;
            }
            Change::RenameColumn { from, to } => {
                let steps = self.resolve(from)?;
                let Some(Step::Child(_)) = steps.last() else {
                    return Err(format!(
                        "'{from}' is a list element or map key/value, which cannot be renamed"
                    ));
                };
                let parent_path = from.rsplit_once('.').map(|(p, _)| p);
                let leaf = match to.rsplit_once('.') {
                    None => to.clone(),
                    Some((p, l)) if Some(p) == parent_path => l.to_string(),
                    Some(_) => {
                        return Err(format!(
                            "'{to}' is in another struct: a rename keeps the column where it is (give the new name only)"
                        ))
                    }
                };
                let parent = steps[..steps.len() - 1].to_vec();
                let id = self.at(&steps).id;
                if self.at(&steps).name == leaf {
                    return Err(format!("'{from}' is already named '{leaf}'"));
                }
                self.check_name_free(&parent, &leaf, Some(id))?;
                let full = match parent_path {
                    Some(p) => format!("{p}.{leaf}"),
                    None => leaf.clone(),
                };
                self.check_partition_names(&full, id)?;
                self.at_mut(&steps).name = leaf;
                self.schema_changed = true;
            }
            Change::WidenType { column, to } => {
                let steps = self.resolve(column)?;
                let target = parse_primitive(to)?;
                let format = self.md.format_version();
                let f = self.at_mut(&steps);
                let MType::Prim(current) = &f.ty else {
                    return Err(format!("'{column}' is not of a primitive type"));
                };
                if *current == target {
                    return Err(format!("'{column}' is already {target}"));
                }
                if !is_legal_promotion(current, &target, format) {
                    return Err(format!(
                        "incompatible type change from {current} to {target} (Iceberg only widens int to long, float to double and a decimal's precision at the same scale)"
                    ));
                }
                f.ty = MType::Prim(target);
                self.schema_changed = true;
            }
            Change::DropColumn { column } => {
                let steps = self.resolve(column)?;
                let Some(Step::Child(i)) = steps.last().copied() else {
                    return Err(format!(
                        "'{column}' is a list element or map key/value, which cannot be dropped"
                    ));
                };
                let mut ids = Vec::new();
                self.at(&steps).all_ids(&mut ids);
                if let Some(id) = ids.iter().find(|id| self.identifier.contains(id)) {
                    let p = self.path_of_id(*id).unwrap_or_default();
                    return Err(format!(
                        "'{p}' is an identifier field: change the identifier fields first (set-identifier-fields)"
                    ));
                }
                if let Some(pf) = self.spec.iter().find(|pf| ids.contains(&pf.source_id)) {
                    return Err(format!(
                        "it is the source of partition field '{}' ({}): remove the partition field first",
                        pf.name, pf.transform
                    ));
                }
                for spec in self.md.partition_specs_iter() {
                    if let Some(pf) = spec.fields().iter().find(|pf| ids.contains(&pf.source_id)) {
                        return Err(format!(
                            "it is the source of partition field '{}' of partition spec {}, which files of the table may still be written in; readers need the column to interpret them",
                            pf.name,
                            spec.spec_id()
                        ));
                    }
                }
                if self.sort.iter().any(|s| ids.contains(&s.source_id)) {
                    return Err("the table's sort order uses it: change the sort order first (set-sort-order)".into());
                }
                let parent = steps[..steps.len() - 1].to_vec();
                let siblings = self.siblings_mut(&parent);
                if siblings.len() == 1 && !parent.is_empty() {
                    return Err(
                        "it is the last field of its struct (drop the struct instead)".into(),
                    );
                }
                siblings.remove(i);
                self.schema_changed = true;
            }
            Change::MakeOptional { column } => {
                let steps = self.resolve(column)?;
                if steps.last() == Some(&Step::Key) {
                    return Err("map keys are always required".into());
                }
                let id = self.at(&steps).id;
                if self.identifier.contains(&id) {
                    return Err("it is an identifier field, which must be required".into());
                }
                let f = self.at_mut(&steps);
                if f.required {
                    f.required = false;
                    self.schema_changed = true;
                }
            }
            Change::UpdateDoc { column, doc } => {
                let steps = self.resolve(column)?;
                let f = self.at_mut(&steps);
                if f.doc.as_deref() != Some(doc.as_str()) {
                    f.doc = Some(doc.clone());
                    self.schema_changed = true;
                }
            }
            Change::MoveColumn {
                column,
                first,
                after,
                before,
            } => {
                let place = place_of(first, after, before)?;
                if matches!(place, Place::Last) {
                    return Err(
                        "say where to move it: first = true, after = \"col\" or before = \"col\""
                            .into(),
                    );
                }
                let steps = self.resolve(column)?;
                let Some(Step::Child(i)) = steps.last().copied() else {
                    return Err(format!(
                        "'{column}' is a list element or map key/value, which cannot be moved"
                    ));
                };
                let parent = steps[..steps.len() - 1].to_vec();
                let name = self.at(&steps).name.clone();
                if let Place::After(s) | Place::Before(s) = &place {
                    let s_leaf = match s.rsplit_once('.') {
                        Some((p, l)) if Some(p) == column.rsplit_once('.').map(|(p, _)| p) => l,
                        Some(_) => {
                            return Err(format!(
                                "'{s}' is in another struct: columns move among their siblings only"
                            ))
                        }
                        None => s.as_str(),
                    };
                    if s_leaf == name {
                        return Err("a column cannot be placed by itself".into());
                    }
                }
                let place = match place {
                    Place::After(s) => Place::After(s.rsplit('.').next().unwrap_or(&s).to_string()),
                    Place::Before(s) => {
                        Place::Before(s.rsplit('.').next().unwrap_or(&s).to_string())
                    }
                    p => p,
                };
                let siblings = self.siblings_mut(&parent);
                let before_move: Vec<i32> = siblings.iter().map(|f| f.id).collect();
                let field = siblings.remove(i);
                if let Err(e) = Self::place(siblings, field.clone(), place) {
                    siblings.insert(i, field);
                    return Err(e);
                }
                if siblings.iter().map(|f| f.id).collect::<Vec<_>>() != before_move {
                    self.schema_changed = true;
                }
            }
            Change::SetIdentifierFields { fields } => {
                let mut ids = Vec::new();
                for path in fields {
                    let steps = self.resolve(path)?;
                    let f = self.at(&steps);
                    if !f.required {
                        return Err(format!(
                            "'{path}' is optional; identifier fields must be required"
                        ));
                    }
                    match &f.ty {
                        MType::Prim(PrimitiveType::Float | PrimitiveType::Double) => {
                            return Err(format!(
                                "'{path}' is a float or double, which cannot identify rows"
                            ))
                        }
                        MType::Prim(_) => {}
                        _ => return Err(format!("'{path}' is not of a primitive type")),
                    }
                    if steps
                        .iter()
                        .any(|s| *s != Step::Child(0) && !matches!(s, Step::Child(_)))
                    {
                        return Err(format!("'{path}' is inside a list or map"));
                    }
                    for k in 1..steps.len() {
                        if !self.at(&steps[..k]).required {
                            return Err(format!("'{path}' is inside an optional struct"));
                        }
                    }
                    if !ids.contains(&f.id) {
                        ids.push(f.id);
                    }
                }
                if ids != self.identifier {
                    self.identifier = ids;
                    self.schema_changed = true;
                }
            }
            Change::AddPartitionField {
                source,
                transform,
                name,
            } => {
                let steps = self.resolve(source)?;
                let src = self.at(&steps);
                let transform = parse_transform(transform)?;
                let src_type = src.ty.to_type();
                transform.result_type(&src_type).map_err(|_| {
                    format!(
                        "transform {transform} does not apply to '{source}' of type {}",
                        super::types::type_to_string(&src_type)
                    )
                })?;
                let source_id = src.id;
                if let Some(pf) = self
                    .spec
                    .iter()
                    .find(|pf| pf.source_id == source_id && pf.transform == transform)
                {
                    return Err(format!(
                        "the table is already partitioned by {transform}({source}) as '{}'",
                        pf.name
                    ));
                }
                let default_name = default_partition_name(source, &transform);
                // Format v2: reuse the id (and name) of an equal field of an earlier spec.
                let historical = (self.md.format_version() >= FormatVersion::V2)
                    .then(|| {
                        self.md
                            .partition_specs_iter()
                            .flat_map(|s| s.fields().iter())
                            .find(|f| {
                                f.source_id == source_id
                                    && f.transform == transform
                                    && name.as_ref().is_none_or(|n| *n == f.name)
                            })
                            .map(|f| (f.field_id, f.name.clone()))
                    })
                    .flatten();
                let (field_id, pname) = match historical {
                    Some(found) => found,
                    None => {
                        self.last_partition_id += 1;
                        (self.last_partition_id, name.clone().unwrap_or(default_name))
                    }
                };
                if self.spec.iter().any(|pf| pf.name == pname) {
                    return Err(format!(
                        "name clash: the partition spec already has a field '{pname}'"
                    ));
                }
                if let Some((p, id)) = self.paths().into_iter().find(|(p, _)| *p == pname) {
                    if !(transform == Transform::Identity && id == source_id) {
                        return Err(format!(
                            "name clash: '{p}' is a column; only an identity partition of that column may share its name"
                        ));
                    }
                }
                self.spec.push(PField {
                    field_id,
                    source_id,
                    transform,
                    name: pname,
                });
                self.spec_changed = true;
            }
            Change::RemovePartitionField { name } => {
                let Some(i) = self
                    .spec
                    .iter()
                    .position(|pf| pf.name == *name && pf.transform != Transform::Void)
                else {
                    let names: Vec<&str> = self
                        .spec
                        .iter()
                        .filter(|pf| pf.transform != Transform::Void)
                        .map(|pf| pf.name.as_str())
                        .collect();
                    return Err(format!(
                        "the partition spec has no field '{name}' (it has: {})",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                };
                if self.md.format_version() == FormatVersion::V1 {
                    self.spec[i].transform = Transform::Void;
                } else {
                    self.spec.remove(i);
                }
                self.spec_changed = true;
            }
            Change::SetSortOrder { fields } => {
                let mut out = Vec::new();
                for f in fields {
                    out.push(self.sort_field(f)?);
                }
                if out != self.sort {
                    self.sort = out;
                    self.sort_changed = true;
                }
            }
            Change::SetProperties { properties } => {
                for (k, v) in properties {
                    check_property_key(k)?;
                    check_property_value(k, v)?;
                    self.remove_props.remove(k);
                    self.set_props.insert(k.clone(), v.clone());
                }
            }
            Change::RemoveProperties { keys } => {
                for k in keys {
                    check_property_key(k)?;
                    self.set_props.remove(k);
                    self.remove_props.insert(k.clone());
                }
            }
        }
        Ok(())
    }

    fn sort_field(&self, f: &SortFieldSpec) -> Result<SortField, String> {
        let steps = self.resolve(&f.column)?;
        let src = self.at(&steps);
        let transform = match &f.transform {
            None => Transform::Identity,
            Some(t) => parse_transform(t)?,
        };
        let src_type = src.ty.to_type();
        if !src_type.is_primitive() {
            return Err(format!(
                "'{}' is not of a primitive type and cannot be sorted by",
                f.column
            ));
        }
        transform
            .result_type(&src_type)
            .map_err(|_| format!("transform {transform} does not apply to '{}'", f.column))?;
        let direction = match f.direction.as_deref().unwrap_or("asc") {
            "asc" | "ascending" => SortDirection::Ascending,
            "desc" | "descending" => SortDirection::Descending,
            other => return Err(format!("direction must be asc or desc, not '{other}'")),
        };
        let null_order = match f.null_order.as_deref() {
            None if direction == SortDirection::Ascending => NullOrder::First,
            None => NullOrder::Last,
            Some("nulls-first") | Some("first") => NullOrder::First,
            Some("nulls-last") | Some("last") => NullOrder::Last,
            Some(other) => {
                return Err(format!(
                    "null-order must be nulls-first or nulls-last, not '{other}'"
                ))
            }
        };
        Ok(SortField {
            source_id: src.id,
            transform,
            direction,
            null_order,
        })
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

fn check_property_key(k: &str) -> Result<(), String> {
    if k.starts_with(PROPERTY_PREFIX) {
        return Err(format!(
            "'{k}' is icehelper's migration bookkeeping and cannot be set by a migration"
        ));
    }
    if k == "format-version" {
        return Err("format-version is not a property to set: upgrading the format version is not a migration icehelper makes".into());
    }
    if k.trim().is_empty() {
        return Err("empty property key".into());
    }
    Ok(())
}

/// A value of a property Iceberg (and so icehelper) interprets must parse: a malformed
/// `commit.retry.num-retries` or `gc.enabled` set by a migration would break every later write.
/// Parsed as iceberg-rust's `TableProperties` parses them, plus icehelper's own floor for the
/// target file size.
fn check_property_value(k: &str, v: &str) -> Result<(), String> {
    let one = HashMap::from([(k.to_string(), v.to_string())]);
    iceberg::spec::TableProperties::try_from(&one)
        .map_err(|e| format!("'{v}' is not a valid value of {k}: {}", e.message()))?;
    if k == crate::health::TARGET_FILE_SIZE_PROP {
        match v.trim().parse::<u64>() {
            Ok(n) if n >= crate::health::MIN_TARGET_FILE_SIZE => {}
            _ => {
                return Err(format!(
                    "{k} must be a number of bytes of at least 1 MiB, got '{v}'"
                ))
            }
        }
    }
    Ok(())
}

/// The transforms a migration may use: `identity`, `year`, `month`, `day`, `hour`,
/// `bucket[N]`, `truncate[W]` (also written with parentheses).
pub fn parse_transform(s: &str) -> Result<Transform, String> {
    let t = s.trim().to_ascii_lowercase();
    let arg = |prefix: &str| -> Option<Result<u32, String>> {
        let rest = t.strip_prefix(prefix)?;
        let inner = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .or_else(|| rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')))?;
        Some(
            inner
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("'{s}': expected a positive number in brackets")),
        )
    };
    match t.as_str() {
        "identity" => Ok(Transform::Identity),
        "year" | "years" => Ok(Transform::Year),
        "month" | "months" => Ok(Transform::Month),
        "day" | "days" => Ok(Transform::Day),
        "hour" | "hours" => Ok(Transform::Hour),
        _ => {
            if let Some(n) = arg("bucket") {
                return Ok(Transform::Bucket(n?));
            }
            if let Some(n) = arg("truncate") {
                return Ok(Transform::Truncate(n?));
            }
            Err(format!(
                "unknown transform '{s}' (identity, year, month, day, hour, bucket[N], truncate[W])"
            ))
        }
    }
}

/// Iceberg's default partition field name (Java's and PyIceberg's `PartitionNameGenerator`).
pub fn default_partition_name(source: &str, t: &Transform) -> String {
    match t {
        Transform::Identity => source.to_string(),
        Transform::Bucket(n) => format!("{source}_bucket_{n}"),
        Transform::Truncate(w) => format!("{source}_trunc_{w}"),
        Transform::Year => format!("{source}_year"),
        Transform::Month => format!("{source}_month"),
        Transform::Day => format!("{source}_day"),
        Transform::Hour => format!("{source}_hour"),
        Transform::Void => format!("{source}_null"),
        Transform::Unknown => format!("{source}_unknown"),
    }
}
