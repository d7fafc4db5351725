//! Column changes: add, rename, widen, drop, make optional, document and move columns.

use super::model::{MField, MType, Step};
use super::place::Place;
use super::Draft;
use crate::migrate::types::{parse_primitive, parse_type};
use crate::schema_diff::is_legal_promotion;

impl Draft<'_> {
    /// Adds an optional column (`required` and `place` are checked in that order).
    pub(crate) fn add_column(
        &mut self,
        name: &str,
        ty: &str,
        doc: &Option<String>,
        required: Option<bool>,
        place: Result<Place, String>,
    ) -> Result<(), String> {
        if required == Some(true) {
            return Err("cannot add a required column: rows already written have no value for it and writers on the old schema do not write it (add it optional)".into());
        }
        let place = place?;
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
        Ok(())
    }

    /// Renames a column in place (the new name stays in the same struct).
    pub(crate) fn rename_column(&mut self, from: &str, to: &str) -> Result<(), String> {
        let steps = self.resolve(from)?;
        let Some(Step::Child(_)) = steps.last() else {
            return Err(format!(
                "'{from}' is a list element or map key/value, which cannot be renamed"
            ));
        };
        let parent_path = from.rsplit_once('.').map(|(p, _)| p);
        let leaf = match to.rsplit_once('.') {
            None => to.to_string(),
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
        Ok(())
    }

    /// Widens a primitive column by a legal Iceberg promotion.
    pub(crate) fn widen_type(&mut self, column: &str, to: &str) -> Result<(), String> {
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
        Ok(())
    }

    /// Drops a column no identifier field, partition field or sort field uses.
    pub(crate) fn drop_column(&mut self, column: &str) -> Result<(), String> {
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
            return Err(
                "the table's sort order uses it: change the sort order first (set-sort-order)"
                    .into(),
            );
        }
        let parent = steps[..steps.len() - 1].to_vec();
        let siblings = self.siblings_mut(&parent);
        if siblings.len() == 1 && !parent.is_empty() {
            return Err("it is the last field of its struct (drop the struct instead)".into());
        }
        siblings.remove(i);
        self.schema_changed = true;
        Ok(())
    }

    /// Makes a column optional (not a map key or an identifier field).
    pub(crate) fn make_optional(&mut self, column: &str) -> Result<(), String> {
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
        Ok(())
    }

    /// Sets a column's doc string.
    pub(crate) fn update_doc(&mut self, column: &str, doc: &str) -> Result<(), String> {
        let steps = self.resolve(column)?;
        let f = self.at_mut(&steps);
        if f.doc.as_deref() != Some(doc) {
            f.doc = Some(doc.to_string());
            self.schema_changed = true;
        }
        Ok(())
    }

    /// Moves a column among its siblings.
    pub(crate) fn move_column(&mut self, column: &str, place: Place) -> Result<(), String> {
        if matches!(place, Place::Last) {
            return Err(
                "say where to move it: first = true, after = \"col\" or before = \"col\"".into(),
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
            Place::Before(s) => Place::Before(s.rsplit('.').next().unwrap_or(&s).to_string()),
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
        Ok(())
    }
}
