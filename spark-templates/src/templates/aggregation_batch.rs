//! `aggregation-batch`: a parameterised Spark SQL aggregation for one logical date, re-runnable.

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::{parse_table, AppRequest, JobBundle, SparkJob, SparkJobOptions};
use crate::render::{self, param, ReadmeParts};

const TEMPLATE: &str = crate::names::AGGREGATION_BATCH;

/// The default aggregation: daily counts per event type.
pub const DEFAULT_QUERY: &str = "SELECT\n  DATE '{{ ds }}' AS ds,\n  event_type,\n  count(*) AS events,\n  count(DISTINCT user_id) AS users\nFROM analytics.events\nWHERE event_time >= TIMESTAMP '{{ ds }} 00:00:00'\n  AND event_time < TIMESTAMP '{{ ds }} 00:00:00' + INTERVAL 1 DAY\nGROUP BY event_type";

/// Builder of the `aggregation-batch` base: runs an aggregation query for a date `{{ ds }}` and
/// atomically replaces that date's partition of the target table.
#[derive(Debug, Clone)]
#[must_use]
pub struct AggregationBatch {
    job: SparkJob,
    target: String,
    partition_column: String,
    query: String,
    ds_offset_days: i64,
}

impl SparkJobOptions for AggregationBatch {
    fn job_mut(&mut self) -> &mut SparkJob {
        &mut self.job
    }
}

#[derive(Serialize)]
struct Config<'a> {
    app_name: &'a str,
    target: &'a str,
    partition_column: &'a str,
    ds_offset_days: i64,
}

impl AggregationBatch {
    /// Aggregates into `target` (`namespace.table`), daily at 02:30 UTC for yesterday.
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        AggregationBatch {
            job: SparkJob::new(name).schedule("30 2 * * *"),
            target: target.into(),
            partition_column: "ds".into(),
            query: DEFAULT_QUERY.into(),
            ds_offset_days: 1,
        }
    }

    /// The aggregation query: Spark SQL using `{{ ds }}` (or `{{ ds_nodash }}`), returning the
    /// partition column equal to that date.
    pub fn query(mut self, sql: impl Into<String>) -> Self {
        self.query = sql.into();
        self
    }

    /// The target's partition column (default `ds`).
    pub fn partition_column(mut self, column: impl Into<String>) -> Self {
        self.partition_column = column.into();
        self
    }

    /// Days before today (UTC) a scheduled run processes (default 1: yesterday).
    pub fn ds_offset_days(mut self, days: i64) -> Self {
        self.ds_offset_days = days;
        self
    }

    /// Validates the parameters and produces the objects.
    pub fn build(self) -> Result<JobBundle> {
        self.job.validate(TEMPLATE)?;
        parse_table("target", &self.target)?;
        super::check_column("partition column", &self.partition_column)?;
        if !super::uses_ds(&self.query) {
            return Err(Error::InvalidValue {
                field: "query".into(),
                value: self.query.clone(),
                reason: "the query must use {{ ds }} so each run aggregates one date".into(),
            });
        }
        if self.ds_offset_days < 0 {
            return Err(Error::InvalidCount {
                field: "ds_offset_days",
                value: self.ds_offset_days,
                reason: "at least 0",
            });
        }
        let name = self.job.name();
        let ctx = minijinja::context! {
            name, target => self.target.clone(), partition_column => self.partition_column.clone(),
            query => self.query.trim_end(),
            description => format!("aggregate into {} for one date", self.target),
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file(
                "aggregation_batch.py",
                render::render("aggregation_batch.py", &ctx)?,
            )
            .file("aggregation.sql", render::render("aggregation.sql", &ctx)?)
            .file(
                "job.json",
                render::job_json(&Config {
                    app_name: name,
                    target: &self.target,
                    partition_column: &self.partition_column,
                    ds_offset_days: self.ds_offset_days,
                })?,
            );
        let mut bundle = self.job.assemble(AppRequest::new(
            TEMPLATE,
            "aggregation_batch.py",
            vec![code],
        ))?;
        let mut params = render::common_params(&self.job, &bundle);
        params.extend([
            param("target table", &self.target, "`job.json` `target`"),
            param(
                "partition column",
                &self.partition_column,
                "`job.json` `partition_column`",
            ),
            param(
                "date processed",
                format!("today − {} day(s), UTC", self.ds_offset_days),
                "`job.json` `ds_offset_days`, or `--ds YYYY-MM-DD` in `arguments`",
            ),
            param(
                "query",
                "see aggregation.sql",
                "`aggregation.sql` (replace the file in the overlay)",
            ),
        ]);
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "AggregationBatch",
            overview: format!(
                "Runs `aggregation.sql` for one logical date `{{{{ ds }}}}` and atomically replaces the rows of `{}` \
                 where `{} = ds` (Iceberg overwrite by filter): re-running a date gives the same table. \
                 The target is created, partitioned by `{}`, on the first run.",
                self.target, self.partition_column, self.partition_column
            ),
            params,
            extra_cms: vec![],
            requirements: vec![],
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/schedule".into(),
                "  value: \"15 1 * * *\"".into(),
                "- op: add".into(),
                "  path: /spec/template/arguments/-".into(),
                "  value: --ds=2024-01-31   # backfill one date".into(),
            ],
            notes: "Backfill a range with the `partition-rebuild` template (mode overwrite) and the same query.".into(),
        })?;
        Ok(bundle)
    }
}
