//! Bounded replay: a `cdc-to-iceberg` job that reads a window of the topic into a branch or a
//! staging table and ends (the Argo `cdc-backfill` pipeline).

use serde::Serialize;

use super::{CdcToIceberg, TEMPLATE};
use crate::error::{Error, Result};
use crate::job::{parse_table, Restart};

/// A bounded replay of the topic (the Argo `cdc-backfill` pipeline): read from a point in time up to
/// the end offsets present when the job starts (`trigger(availableNow=True)`), merging into an
/// Iceberg branch of the target table or into a staging table, never into the table's `main`.
///
/// Kafka's `startingTimestamp` picks, per partition, the first offset whose record timestamp is at
/// or after the start (`startingOffsetsByTimestampStrategy=latest`: a partition without such a
/// record contributes nothing). The replay has its own checkpoint, so a failed run resumes where it
/// stopped instead of starting over; the start timestamp only applies to a new checkpoint.
///
/// ```no_run
/// use spark_templates::prelude::*;
///
/// # fn main() -> Result<(), spark_templates::Error> {
/// let backfill = CdcToIceberg::new("orders-backfill", "pg.public.orders", "sales.orders")
///     .column("id", ColumnType::BigInt)
///     .column("status", ColumnType::String)
///     .key("id")
///     .catalog(IcebergCatalog::rest("lake", "http://polaris:8181/api/catalog"))
///     .bounded_replay(
///         BoundedReplay::from_timestamp("2024-06-01T00:00:00Z")
///             .branch("backfill_20240601")
///             .checkpoint_location("s3a://lake/checkpoints/orders-backfill-20240601"),
///     )
///     .build()?;
/// # let _ = backfill;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct BoundedReplay {
    from: String,
    branch: Option<String>,
    staging_table: Option<String>,
    checkpoint_location: Option<String>,
}

impl BoundedReplay {
    /// Replays the events from `timestamp`: RFC 3339 (`2024-06-01T00:00:00Z`, offsets allowed) or
    /// epoch milliseconds (`1717200000000`). Checked by [`CdcToIceberg::build`].
    pub fn from_timestamp(timestamp: impl Into<String>) -> Self {
        BoundedReplay {
            from: timestamp.into(),
            branch: None,
            staging_table: None,
            checkpoint_location: None,
        }
    }

    /// Merges into the Iceberg branch `name` of the target table (`MERGE INTO <table>.branch_<name>`),
    /// created from the current `main` when missing. Letters, digits and `_`, starting with a letter;
    /// not `main`.
    pub fn branch(mut self, name: impl Into<String>) -> Self {
        self.branch = Some(name.into());
        self
    }

    /// Merges into `table` (`namespace.table`), created with the target's columns when missing.
    pub fn staging_table(mut self, table: impl Into<String>) -> Self {
        self.staging_table = Some(table.into());
        self
    }

    /// Checkpoint location of the replay (default `s3a://lake/checkpoints/<name>-replay-<branch or
    /// staging table>`); must differ from the streaming checkpoint.
    pub fn checkpoint_location(mut self, location: impl Into<String>) -> Self {
        self.checkpoint_location = Some(location.into());
        self
    }
}

/// Epoch milliseconds of an RFC 3339 timestamp or of a decimal epoch-milliseconds string.
pub(super) fn timestamp_millis(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return value.parse().ok();
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = b.get(from..to)?;
        if part.iter().all(u8::is_ascii_digit) {
            value[from..to].parse().ok()
        } else {
            None
        }
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[(month - 1) as usize]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &value[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let ms = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = ms.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let o = rest.as_bytes();
            if o.len() != 6 || !(o[0] == b'+' || o[0] == b'-') || o[3] != b':' {
                return None;
            }
            let digits = |r: std::ops::Range<usize>| -> Option<i64> {
                o[r.clone()]
                    .iter()
                    .all(u8::is_ascii_digit)
                    .then(|| rest[r].parse().ok())?
            };
            let (h, m) = (digits(1..3)?, digits(4..6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if o[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
    };
    // days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let ms = (days * 86_400 + hour * 3600 + minute * 60 + second - offset) * 1000 + millis;
    (ms >= 0).then_some(ms)
}

#[derive(Clone, Serialize)]
pub(super) struct ReplayConfig<'a> {
    pub(super) starting_timestamp: &'a str,
    pub(super) starting_timestamp_ms: i64,
    pub(super) branch: Option<&'a str>,
    pub(super) staging_table: Option<&'a str>,
    pub(super) target: String,
    pub(super) checkpoint_location: String,
}

impl CdcToIceberg {
    /// Checks the replay settings: (epoch millis, merge target, checkpoint).
    pub(super) fn validate_replay<'a>(
        &'a self,
        r: &'a BoundedReplay,
        stream_checkpoint: &str,
    ) -> Result<ReplayConfig<'a>> {
        let ms = timestamp_millis(r.from.trim()).ok_or_else(|| Error::InvalidTimestamp {
            field: "bounded replay start",
            value: r.from.clone(),
        })?;
        let (target, suffix) = match (&r.branch, &r.staging_table) {
            (Some(_), Some(_)) => {
                return Err(Error::ConflictingParameters {
                    template: TEMPLATE,
                    first: "bounded replay branch",
                    second: "bounded replay staging table",
                })
            }
            (None, None) => {
                return Err(Error::MissingParameter {
                    template: TEMPLATE,
                    field: "bounded replay target (a branch or a staging table)",
                })
            }
            (Some(b), None) => {
                let reason = if b.is_empty() || b.len() > 100 {
                    Some("1 to 100 characters")
                } else if !crate::catalog::is_identifier(b) {
                    Some("letters, digits and underscores, starting with a letter")
                } else if b == "main" {
                    Some("`main` is the table itself; a replay writes beside it")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(Error::InvalidBranchName {
                        value: b.clone(),
                        reason,
                    });
                }
                (format!("{}.branch_{b}", self.table), b.clone())
            }
            (None, Some(t)) => {
                parse_table("bounded replay staging table", t)?;
                if t == &self.table {
                    return Err(Error::InvalidValue {
                        field: "bounded replay staging table".into(),
                        value: t.clone(),
                        reason: "is the target table; use a branch to write beside it".into(),
                    });
                }
                (t.clone(), t.replace('.', "-"))
            }
        };
        let checkpoint = r.checkpoint_location.clone().unwrap_or_else(|| {
            format!(
                "s3a://lake/checkpoints/{}-replay-{}",
                self.job.name(),
                suffix.replace('_', "-")
            )
        });
        if !checkpoint.contains("://") {
            return Err(Error::InvalidValue {
                field: "bounded replay checkpoint location".into(),
                value: checkpoint,
                reason: "a URI such as s3a://bucket/path".into(),
            });
        }
        if checkpoint.trim_end_matches('/') == stream_checkpoint.trim_end_matches('/') {
            return Err(Error::InvalidValue {
                field: "bounded replay checkpoint location".into(),
                value: checkpoint,
                reason: "is the streaming checkpoint; a replay needs its own".into(),
            });
        }
        if matches!(self.job.restart, Restart::Always { .. }) {
            return Err(Error::InvalidValue {
                field: "restart".into(),
                value: "Always".into(),
                reason: "a bounded replay ends; use OnFailure or Never".into(),
            });
        }
        Ok(ReplayConfig {
            starting_timestamp: r.from.trim(),
            starting_timestamp_ms: ms,
            branch: r.branch.as_deref(),
            staging_table: r.staging_table.as_deref(),
            target,
            checkpoint_location: checkpoint,
        })
    }
}
