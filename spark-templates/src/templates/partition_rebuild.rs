//! `partition-rebuild`: backfill or rewrite a date range of a table, one idempotent commit per day.

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::{parse_table, AppRequest, JobBundle, SparkJob, SparkJobOptions};
use crate::render::{self, param, ReadmeParts};

const TEMPLATE: &str = crate::names::PARTITION_REBUILD;

/// How each day is rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RebuildMode {
    /// Replace the day's rows with the result of a source query using `{{ ds }}` (INSERT OVERWRITE).
    Overwrite {
        /// Spark SQL returning the day's rows.
        query: String,
    },
    /// Rewrite the day's data files with `rewrite_data_files(where => ...)`.
    Rewrite,
}

/// Builder of the `partition-rebuild` base (a one-off `SparkApplication`).
#[derive(Debug, Clone)]
#[must_use]
pub struct PartitionRebuild {
    job: SparkJob,
    table: String,
    partition_column: String,
    mode: RebuildMode,
    start: String,
    end: String,
    target_file_size: Option<u64>,
    min_input_files: Option<u32>,
    rewrite_all: bool,
}

impl SparkJobOptions for PartitionRebuild {
    fn job_mut(&mut self) -> &mut SparkJob {
        &mut self.job
    }
}

#[derive(Serialize)]
struct Config<'a> {
    app_name: &'a str,
    table: &'a str,
    partition_column: &'a str,
    mode: &'a str,
    start: &'a str,
    end: &'a str,
}

impl PartitionRebuild {
    /// Rebuilds `table` (`namespace.table`, partitioned by a date column) day by day.
    pub fn new(name: impl Into<String>, table: impl Into<String>, mode: RebuildMode) -> Self {
        PartitionRebuild {
            job: SparkJob::new(name),
            table: table.into(),
            partition_column: "ds".into(),
            mode,
            start: "2024-01-01".into(),
            end: "2024-01-07".into(),
            target_file_size: None,
            min_input_files: None,
            rewrite_all: true,
        }
    }

    /// The date partition column (default `ds`; a DATE or `YYYY-MM-DD` STRING column).
    pub fn partition_column(mut self, column: impl Into<String>) -> Self {
        self.partition_column = column.into();
        self
    }

    /// The days to rebuild, inclusive (`YYYY-MM-DD`); `--start`/`--end` arguments override them.
    pub fn range(mut self, start: impl Into<String>, end: impl Into<String>) -> Self {
        self.start = start.into();
        self.end = end.into();
        self
    }

    /// Rewrite mode: target file size in bytes (icehelper `target-file-size`).
    pub fn target_file_size(mut self, bytes: u64) -> Self {
        self.target_file_size = Some(bytes);
        self
    }

    /// Rewrite mode: minimum input files per group (icehelper `min-input-files`).
    pub fn min_input_files(mut self, files: u32) -> Self {
        self.min_input_files = Some(files);
        self
    }

    /// Rewrite mode: rewrite every file of the day, even well-sized ones (default true).
    pub fn rewrite_all(mut self, yes: bool) -> Self {
        self.rewrite_all = yes;
        self
    }

    /// Validates the parameters and produces the objects.
    pub fn build(self) -> Result<JobBundle> {
        self.job.validate(TEMPLATE)?;
        parse_table("table", &self.table)?;
        super::check_column("partition column", &self.partition_column)?;
        super::check_date("start", &self.start)?;
        super::check_date("end", &self.end)?;
        if self.end < self.start {
            return Err(Error::InvalidValue {
                field: "end".into(),
                value: self.end.clone(),
                reason: format!("before start {}", self.start),
            });
        }
        if self.target_file_size == Some(0) || self.min_input_files == Some(0) {
            return Err(Error::InvalidCount {
                field: "target_file_size / min_input_files",
                value: 0,
                reason: "at least 1",
            });
        }
        let name = self.job.name();
        let catalog = self.job.catalog_name(TEMPLATE)?;
        let mut options = BTreeMap::new();
        if let Some(n) = self.target_file_size {
            options.insert("target-file-size-bytes", n.to_string());
        }
        if let Some(n) = self.min_input_files {
            options.insert("min-input-files", n.to_string());
        }
        if self.rewrite_all {
            options.insert("rewrite-all", "true".into());
        }
        let (mode, sql_key, sql) = match &self.mode {
            RebuildMode::Overwrite { query } => {
                if !super::uses_ds(query) {
                    return Err(Error::InvalidValue {
                        field: "query".into(),
                        value: query.clone(),
                        reason: "the source query must use {{ ds }} to select one day".into(),
                    });
                }
                let ctx = minijinja::context! {
                    name, table => self.table.clone(), partition_column => self.partition_column.clone(),
                    query => query.trim_end(),
                };
                (
                    "overwrite",
                    "source.sql",
                    render::render("partition_rebuild_source.sql", &ctx)?,
                )
            }
            RebuildMode::Rewrite => {
                let ctx = minijinja::context! {
                    name, table => self.table.clone(), partition_column => self.partition_column.clone(),
                    catalog, options,
                };
                (
                    "rewrite",
                    "rewrite.sql",
                    render::render("partition_rebuild_rewrite.sql", &ctx)?,
                )
            }
        };
        let ctx = minijinja::context! {
            mode, table => self.table.clone(), partition_column => self.partition_column.clone(),
            description => format!("rebuild {} day by day ({mode})", self.table),
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file(
                "partition_rebuild.py",
                render::render("partition_rebuild.py", &ctx)?,
            )
            .file(sql_key, sql)
            .file(
                "job.json",
                render::job_json(&Config {
                    app_name: name,
                    table: &self.table,
                    partition_column: &self.partition_column,
                    mode,
                    start: &self.start,
                    end: &self.end,
                })?,
            );
        let mut bundle = self.job.assemble(AppRequest::new(
            TEMPLATE,
            "partition_rebuild.py",
            vec![code],
        ))?;
        let mut params = render::common_params(&self.job, &bundle);
        params.extend([
            param("table", &self.table, "`job.json` `table`"),
            param(
                "partition column",
                &self.partition_column,
                "`job.json` `partition_column`",
            ),
            param("mode", mode, "builder (`RebuildMode`)"),
            param(
                "days",
                format!("{} … {}", self.start, self.end),
                "`job.json` `start`/`end`, or `--start`/`--end` in `arguments`",
            ),
            param("SQL", sql_key, &format!("`{sql_key}`")),
        ]);
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "PartitionRebuild",
            overview: format!(
                "Rebuilds `{}` one day at a time from `start` to `end`, one Iceberg commit per day. \
                 Mode `overwrite` runs `source.sql` for the day (`{{{{ ds }}}}`) and atomically replaces the rows where \
                 `{} = ds`; mode `rewrite` calls `rewrite_data_files` with `where => \"{} = 'ds'\"`. \
                 Both are idempotent per partition: a failed run can simply be retried.",
                self.table, self.partition_column, self.partition_column
            ),
            params,
            extra_cms: vec![],
            requirements: vec![],
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/arguments".into(),
                "  value: [--config, /opt/spark/jobs/job.json, --start, \"2024-02-01\", --end, \"2024-02-29\"]".into(),
            ],
            notes: String::new(),
        })?;
        Ok(bundle)
    }
}
