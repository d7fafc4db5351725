//! Validation of CronWorkflow schedules and timezones, matching Argo's parser (robfig/cron
//! standard: five fields or a `@descriptor`).

use crate::error::{Error, Result};

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DESCRIPTORS: [&str; 8] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@reboot",
];

fn invalid(expression: &str, reason: impl Into<String>) -> Error {
    Error::InvalidCron {
        expression: expression.to_owned(),
        reason: reason.into(),
    }
}

fn value(expr: &str, field: &str, s: &str, min: u32, max: u32, names: &[&str]) -> Result<u32> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        let offset = if names.len() == 12 { 1 } else { 0 };
        return Ok(u32::try_from(i).unwrap_or(0) + offset);
    }
    let v: u32 = s
        .parse()
        .map_err(|_| invalid(expr, format!("{field}: `{s}` is not a number")))?;
    if v < min || v > max {
        return Err(invalid(
            expr,
            format!("{field}: {v} is outside {min}-{max}"),
        ));
    }
    Ok(v)
}

fn field(expr: &str, name: &str, f: &str, min: u32, max: u32, names: &[&str]) -> Result<()> {
    for part in f.split(',') {
        if part.is_empty() {
            return Err(invalid(expr, format!("{name}: empty list element")));
        }
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            let s: u32 = step
                .parse()
                .map_err(|_| invalid(expr, format!("{name}: step `{step}` is not a number")))?;
            if s == 0 {
                return Err(invalid(expr, format!("{name}: step must be positive")));
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let a = value(expr, name, a, min, max, names)?;
                let b = value(expr, name, b, min, max, names)?;
                if a > b {
                    return Err(invalid(expr, format!("{name}: range {a}-{b} is backwards")));
                }
            }
            None => {
                value(expr, name, range, min, max, names)?;
            }
        }
    }
    Ok(())
}

/// Checks one schedule: five fields (minute hour day-of-month month day-of-week) with `*`, `?`,
/// lists, ranges, steps and month/day names, or a descriptor such as `@daily` or `@every 1h`.
pub fn validate_schedule(expr: &str) -> Result<()> {
    let trimmed = expr.trim();
    if trimmed.is_empty() {
        return Err(invalid(expr, "empty"));
    }
    if let Some(d) = trimmed.strip_prefix("@every ") {
        let ok = !d.is_empty()
            && d.chars().all(|c| c.is_ascii_digit() || "hms.".contains(c))
            && d.chars().any(|c| "hms".contains(c));
        return if ok {
            Ok(())
        } else {
            Err(invalid(expr, "`@every` needs a duration such as 1h30m"))
        };
    }
    if trimmed.starts_with('@') {
        return if DESCRIPTORS.contains(&trimmed) {
            Ok(())
        } else {
            Err(invalid(expr, "unknown descriptor"))
        };
    }
    let fields: Vec<&str> = trimmed.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(invalid(
            expr,
            format!("expected 5 fields, found {}", fields.len()),
        ));
    }
    field(expr, "minute", fields[0], 0, 59, &[])?;
    field(expr, "hour", fields[1], 0, 23, &[])?;
    field(expr, "day of month", fields[2], 1, 31, &[])?;
    field(expr, "month", fields[3], 1, 12, &MONTHS)?;
    field(expr, "day of week", fields[4], 0, 7, &DAYS)?;
    Ok(())
}

/// Checks an IANA timezone name syntactically (`UTC`, `Etc/UTC`, `America/Argentina/Buenos_Aires`).
pub fn validate_timezone(tz: &str) -> Result<()> {
    let err = || Error::InvalidTimezone {
        timezone: tz.to_owned(),
    };
    if tz == "UTC" {
        return Ok(());
    }
    let parts: Vec<&str> = tz.split('/').collect();
    if parts.len() < 2 {
        return Err(err());
    }
    for p in parts {
        let mut chars = p.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        if !first_ok
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        {
            return Err(err());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_standard_forms() {
        for ok in [
            "0 2 * * *",
            "*/15 * * * *",
            "0 3 * * sun",
            "30 4 1-7 jan-mar mon-fri",
            "0 0,12 * * 0",
            "@daily",
            "@every 1h30m",
        ] {
            validate_schedule(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "0 2 * *",
            "0 2 * * * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "0 0 * * funday",
            "@fortnightly",
        ] {
            let err = validate_schedule(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidCron { .. }), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        assert!(validate_timezone("Etc/UTC").is_ok());
        assert!(validate_timezone("America/Argentina/Buenos_Aires").is_ok());
        assert!(validate_timezone("utc+1").is_err());
        assert!(validate_timezone("").is_err());
    }
}
