//! The templates: one builder per Kustomize base.

pub mod aggregation_batch;
pub mod cdc_to_iceberg;
pub mod dbt_runner;
pub mod iceberg_maintenance;
pub mod partition_rebuild;

use crate::error::{Error, Result};

/// Whether SQL text uses the run-time `{{ ds }}` parameter.
pub(crate) fn uses_ds(sql: &str) -> bool {
    let compact: String = sql.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("{{ds}}") || compact.contains("{{ds_nodash}}")
}

/// Checks a `YYYY-MM-DD` date.
pub(crate) fn check_date(field: &str, value: &str) -> Result<()> {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && (1..=12).contains(&value[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&value[8..10].parse::<u32>().unwrap_or(0));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            field: field.to_owned(),
            value: value.to_owned(),
            reason: "a date written YYYY-MM-DD".into(),
        })
    }
}

/// Checks a column name (letters, digits, underscores).
pub(crate) fn check_column(field: &str, value: &str) -> Result<()> {
    if crate::catalog::is_identifier(value) {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            field: field.to_owned(),
            value: value.to_owned(),
            reason: "a column name: letters, digits and underscores, starting with a letter".into(),
        })
    }
}
