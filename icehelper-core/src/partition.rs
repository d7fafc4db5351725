//! Partition values across partition specs: the unified partition type (every field of every
//! spec, as Iceberg's `partitions` metadata table has it) and values rendered for people and JSON.

use chrono::{DateTime, Datelike, NaiveDate};
use iceberg::spec::{
    Literal, PartitionSpec, PrimitiveLiteral, PrimitiveType, Struct, TableMetadata, Transform, Type,
};
use serde_json::Value;

/// One field of the unified partition type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedField {
    /// Partition field id.
    pub field_id: i32,
    /// Name (from the first spec that has the field, as PyIceberg's `specs_struct`).
    pub name: String,
    /// The field's transform.
    pub transform: Transform,
    /// The transform's result type.
    pub result_type: Option<Type>,
}

/// The union of the partition fields of the given specs (all specs when `spec_ids` is `None`),
/// in spec-id then field order, void fields left out. PyIceberg's `inspect.partitions()` uses
/// the specs of the snapshot's manifests; Iceberg Java's uses all specs (the extra fields are
/// always null there).
pub fn unified_fields(metadata: &TableMetadata, spec_ids: Option<&[i32]>) -> Vec<UnifiedField> {
    let schema = metadata.current_schema();
    let mut specs: Vec<_> = metadata
        .partition_specs_iter()
        .filter(|s| spec_ids.is_none_or(|ids| ids.contains(&s.spec_id())))
        .collect();
    specs.sort_by_key(|s| s.spec_id());
    let mut out: Vec<UnifiedField> = Vec::new();
    for spec in specs {
        for f in spec.fields() {
            if f.transform == Transform::Void || out.iter().any(|u| u.field_id == f.field_id) {
                continue;
            }
            let result_type = schema
                .field_by_id(f.source_id)
                .and_then(|sf| f.transform.result_type(&sf.field_type).ok());
            out.push(UnifiedField {
                field_id: f.field_id,
                name: f.name.clone(),
                transform: f.transform,
                result_type,
            });
        }
    }
    out
}

/// A file's partition tuple projected onto the unified fields (`None` where its spec lacks one).
pub fn project(
    unified: &[UnifiedField],
    spec: Option<&PartitionSpec>,
    partition: &Struct,
) -> Vec<Option<Literal>> {
    let mut values = vec![None; unified.len()];
    if let Some(spec) = spec {
        for (pos, f) in spec.fields().iter().enumerate() {
            if let Some(i) = unified.iter().position(|u| u.field_id == f.field_id) {
                values[i] = partition.fields().get(pos).cloned().flatten();
            }
        }
    }
    values
}

/// A partition value as JSON: time transforms as Iceberg's human strings (`2024-01-01`,
/// `2024-01`, `2024`, `2024-01-01-10`), numbers as numbers, null as null.
pub fn value_to_json(field: &UnifiedField, value: Option<&Literal>) -> Value {
    let Some(Literal::Primitive(p)) = value else {
        return Value::Null;
    };
    match (field.transform, p) {
        (Transform::Year, PrimitiveLiteral::Int(v)) => Value::String(format!("{:04}", 1970 + v)),
        (Transform::Month, PrimitiveLiteral::Int(v)) => {
            let y = 1970 + v.div_euclid(12);
            let m = v.rem_euclid(12) + 1;
            Value::String(format!("{y:04}-{m:02}"))
        }
        (Transform::Day, PrimitiveLiteral::Int(v)) => Value::String(day_string(*v as i64)),
        (Transform::Hour, PrimitiveLiteral::Int(v)) => {
            let secs = (*v as i64) * 3600;
            match DateTime::from_timestamp(secs, 0) {
                Some(t) => Value::String(t.format("%Y-%m-%d-%H").to_string()),
                None => Value::Null,
            }
        }
        (_, PrimitiveLiteral::Boolean(b)) => Value::Bool(*b),
        (_, PrimitiveLiteral::Int(v)) => match &field.result_type {
            Some(Type::Primitive(PrimitiveType::Date)) => Value::String(day_string(*v as i64)),
            _ => Value::from(*v),
        },
        (_, PrimitiveLiteral::Long(v)) => match &field.result_type {
            Some(Type::Primitive(
                t @ (PrimitiveType::Timestamp
                | PrimitiveType::Timestamptz
                | PrimitiveType::TimestampNs
                | PrimitiveType::TimestamptzNs
                | PrimitiveType::Time),
            )) => Value::String(time_string(t, *v)),
            _ => Value::from(*v),
        },
        (_, PrimitiveLiteral::Float(v)) => serde_json::Number::from_f64(v.0 as f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        (_, PrimitiveLiteral::Double(v)) => serde_json::Number::from_f64(v.0)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        (_, PrimitiveLiteral::String(s)) => Value::String(s.clone()),
        (_, PrimitiveLiteral::Int128(v)) => match &field.result_type {
            Some(Type::Primitive(PrimitiveType::Decimal { scale, .. })) => {
                Value::String(decimal_string(*v, *scale))
            }
            _ => Value::String(v.to_string()),
        },
        (_, PrimitiveLiteral::UInt128(v)) => Value::String(uuid::Uuid::from_u128(*v).to_string()),
        (_, PrimitiveLiteral::Binary(b)) => {
            Value::String(b.iter().map(|x| format!("{x:02x}")).collect())
        }
        (_, PrimitiveLiteral::AboveMax | PrimitiveLiteral::BelowMin) => Value::Null,
    }
}

fn time_string(t: &PrimitiveType, v: i64) -> String {
    let (secs, nanos) = match t {
        PrimitiveType::TimestampNs | PrimitiveType::TimestamptzNs => (
            v.div_euclid(1_000_000_000),
            v.rem_euclid(1_000_000_000) as u32,
        ),
        _ => (
            v.div_euclid(1_000_000),
            (v.rem_euclid(1_000_000) * 1000) as u32,
        ),
    };
    match (t, DateTime::from_timestamp(secs, nanos)) {
        (PrimitiveType::Time, Some(d)) => d.format("%H:%M:%S%.f").to_string(),
        (PrimitiveType::Timestamptz | PrimitiveType::TimestamptzNs, Some(d)) => {
            d.format("%Y-%m-%dT%H:%M:%S%.f+00:00").to_string()
        }
        (_, Some(d)) => d.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        (_, None) => v.to_string(),
    }
}

fn decimal_string(unscaled: i128, scale: u32) -> String {
    if scale == 0 {
        return unscaled.to_string();
    }
    let sign = if unscaled < 0 { "-" } else { "" };
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn day_string(days: i64) -> String {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    match epoch.checked_add_signed(chrono::Duration::days(days)) {
        Some(d) if d.year() >= 0 => d.format("%Y-%m-%d").to_string(),
        _ => days.to_string(),
    }
}

/// A partition as `name=value/...` for text output.
pub fn partition_path(partition: &serde_json::Map<String, Value>) -> String {
    if partition.is_empty() {
        return "(unpartitioned)".into();
    }
    partition
        .iter()
        .map(|(name, v)| match v {
            Value::String(s) => format!("{name}={s}"),
            other => format!("{name}={other}"),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(t: Transform, ty: PrimitiveType) -> UnifiedField {
        UnifiedField {
            field_id: 1000,
            name: "p".into(),
            transform: t,
            result_type: Some(Type::Primitive(ty)),
        }
    }

    #[test]
    fn time_transforms_render_as_iceberg_human_strings() {
        let lit = |v: i32| Literal::Primitive(PrimitiveLiteral::Int(v));
        // 2024-01-01 is day 19723, month 648, year 54, hour 473352
        assert_eq!(
            value_to_json(
                &field(Transform::Day, PrimitiveType::Date),
                Some(&lit(19723))
            ),
            "2024-01-01"
        );
        assert_eq!(
            value_to_json(
                &field(Transform::Month, PrimitiveType::Int),
                Some(&lit(648))
            ),
            "2024-01"
        );
        assert_eq!(
            value_to_json(&field(Transform::Year, PrimitiveType::Int), Some(&lit(54))),
            "2024"
        );
        assert_eq!(
            value_to_json(
                &field(Transform::Hour, PrimitiveType::Int),
                Some(&lit(473362))
            ),
            "2024-01-01-10"
        );
        assert_eq!(
            value_to_json(&field(Transform::Month, PrimitiveType::Int), Some(&lit(-1))),
            "1969-12"
        );
        assert_eq!(
            value_to_json(
                &field(Transform::Bucket(16), PrimitiveType::Int),
                Some(&lit(7))
            ),
            7
        );
        assert_eq!(
            value_to_json(&field(Transform::Day, PrimitiveType::Date), None),
            Value::Null
        );
        let s = Literal::Primitive(PrimitiveLiteral::String("eu".into()));
        assert_eq!(
            value_to_json(&field(Transform::Identity, PrimitiveType::String), Some(&s)),
            "eu"
        );
    }
}
