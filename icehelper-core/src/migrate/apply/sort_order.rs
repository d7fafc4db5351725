//! Sort order changes.

use iceberg::spec::{NullOrder, SortDirection, SortField, Transform};

use super::partition_spec::parse_transform;
use super::Draft;
use crate::migrate::file::SortFieldSpec;

impl Draft<'_> {
    /// Replaces the default sort order (an empty list makes the table unsorted).
    pub(crate) fn set_sort_order(&mut self, fields: &[SortFieldSpec]) -> Result<(), String> {
        let mut out = Vec::new();
        for f in fields {
            out.push(self.sort_field(f)?);
        }
        if out != self.sort {
            self.sort = out;
            self.sort_changed = true;
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
}
