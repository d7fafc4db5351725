//! Finding columns in the draft by dotted path, checking names, and placing columns among their siblings.

use iceberg::spec::Transform;

use super::model::{MField, MType, Step};
use super::Draft;

/// Where to put a column among its siblings.
pub(crate) enum Place {
    Last,
    First,
    After(String),
    Before(String),
}

pub(crate) fn place_of(
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

impl Draft<'_> {
    pub(crate) fn at(&self, steps: &[Step]) -> &MField {
        let mut f = &self.root;
        for s in steps {
            f = f.child(*s).expect("a resolved path");
        }
        f
    }

    pub(crate) fn at_mut(&mut self, steps: &[Step]) -> &mut MField {
        let mut f = &mut self.root;
        for s in steps {
            f = f.child_mut(*s).expect("a resolved path");
        }
        f
    }

    pub(crate) fn resolve(&self, path: &str) -> Result<Vec<Step>, String> {
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
    pub(crate) fn path_of_name_ci(&self, path: &str) -> Option<String> {
        self.paths()
            .into_iter()
            .map(|(p, _)| p)
            .find(|p| p.eq_ignore_ascii_case(path))
    }

    /// Every field's dotted path with its id, in schema order.
    pub(crate) fn paths(&self) -> Vec<(String, i32)> {
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

    pub(crate) fn path_of_id(&self, id: i32) -> Option<String> {
        self.paths()
            .into_iter()
            .find(|(_, i)| *i == id)
            .map(|(p, _)| p)
    }

    /// The struct children of the parent of `path` (the top level for a plain name), the steps
    /// to that parent, and the leaf name.
    pub(crate) fn parent_of(&self, path: &str) -> Result<(Vec<Step>, String), String> {
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

    pub(crate) fn siblings_mut(&mut self, parent: &[Step]) -> &mut Vec<MField> {
        match &mut self.at_mut(parent).ty {
            MType::Struct(v) => v,
            _ => unreachable!("parent_of checks it is a struct"),
        }
    }

    pub(crate) fn siblings(&self, parent: &[Step]) -> &[MField] {
        match &self.at(parent).ty {
            MType::Struct(v) => v,
            _ => &[],
        }
    }

    pub(crate) fn check_name_free(
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
    pub(crate) fn check_partition_names(
        &self,
        full_path: &str,
        field_id: i32,
    ) -> Result<(), String> {
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

    pub(crate) fn place(
        siblings: &mut Vec<MField>,
        field: MField,
        place: Place,
    ) -> Result<(), String> {
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

    pub(crate) fn next_column_id(&mut self) -> i32 {
        self.last_column_id += 1;
        self.last_column_id
    }
}
