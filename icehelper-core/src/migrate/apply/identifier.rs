//! Identifier fields: the columns that identify a row for upserts and equality deletes.

use iceberg::spec::PrimitiveType;

use super::model::{MType, Step};
use super::Draft;

impl Draft<'_> {
    /// Sets the identifier fields: required primitive columns, not float or double, outside lists, maps and optional structs.
    pub(crate) fn set_identifier_fields(&mut self, fields: &[String]) -> Result<(), String> {
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
        Ok(())
    }
}
