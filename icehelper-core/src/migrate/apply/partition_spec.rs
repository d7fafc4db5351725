//! Partition spec changes, and the transforms and partition field names they use.

use iceberg::spec::{FormatVersion, Transform};

use super::model::PField;
use super::Draft;

impl Draft<'_> {
    /// Adds a partition field, reusing the id of an equal field of an earlier spec in format v2.
    pub(crate) fn add_partition_field(
        &mut self,
        source: &str,
        transform: &str,
        name: &Option<String>,
    ) -> Result<(), String> {
        let steps = self.resolve(source)?;
        let src = self.at(&steps);
        let transform = parse_transform(transform)?;
        let src_type = src.ty.to_type();
        transform.result_type(&src_type).map_err(|_| {
            format!(
                "transform {transform} does not apply to '{source}' of type {}",
                crate::migrate::types::type_to_string(&src_type)
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
        Ok(())
    }

    /// Removes a partition field (in format v1 it becomes a `void` field).
    pub(crate) fn remove_partition_field(&mut self, name: &str) -> Result<(), String> {
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
        Ok(())
    }
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
