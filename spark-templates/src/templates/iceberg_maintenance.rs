//! `iceberg-maintenance`: Iceberg's Spark procedures for a list of tables, with icehelper's option names.

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::{parse_table, AppRequest, JobBundle, SparkJob, SparkJobOptions};
use crate::render::{self, param, ReadmeParts};

const TEMPLATE: &str = crate::names::ICEBERG_MAINTENANCE;

/// One of the procedures run per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Procedure {
    /// `rewrite_data_files` (compaction), always with `remove-dangling-deletes`: delete files whose
    /// data files were all rewritten are dropped in the same run (Iceberg keeps them otherwise, and
    /// `rewrite_position_delete_files` does not pick a lone dangling delete file).
    RewriteDataFiles,
    /// `rewrite_position_delete_files`.
    RewritePositionDeleteFiles,
    /// `rewrite_manifests`.
    RewriteManifests,
    /// `expire_snapshots`.
    ExpireSnapshots,
    /// `remove_orphan_files`.
    RemoveOrphanFiles,
}

/// Maintenance of one table; option names follow icehelper.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct TableMaintenance {
    table: String,
    skip: Vec<Procedure>,
    target_file_size: Option<u64>,
    min_input_files: Option<u32>,
    where_: Option<String>,
    partial_progress: Option<bool>,
    older_than: String,
    orphan_older_than: String,
    retain_last: Option<u32>,
    max_concurrent_deletes: Option<u32>,
    rewrite_all_delete_files: bool,
}

impl TableMaintenance {
    /// Every procedure on `table` (`namespace.table`); snapshots older than 5 days expire, orphan
    /// files older than 3 days are removed.
    pub fn new(table: impl Into<String>) -> Self {
        TableMaintenance {
            table: table.into(),
            skip: Vec::new(),
            target_file_size: None,
            min_input_files: None,
            where_: None,
            partial_progress: None,
            older_than: "5d".into(),
            orphan_older_than: "3d".into(),
            retain_last: Some(1),
            max_concurrent_deletes: None,
            rewrite_all_delete_files: true,
        }
    }

    /// Leaves a procedure out.
    pub fn skip(mut self, procedure: Procedure) -> Self {
        self.skip.push(procedure);
        self
    }

    /// `target-file-size` in bytes (Spark `target-file-size-bytes`).
    pub fn target_file_size(mut self, bytes: u64) -> Self {
        self.target_file_size = Some(bytes);
        self
    }

    /// `min-input-files`.
    pub fn min_input_files(mut self, files: u32) -> Self {
        self.min_input_files = Some(files);
        self
    }

    /// `where`: compact only rows matching this Spark SQL predicate.
    pub fn where_(mut self, predicate: impl Into<String>) -> Self {
        self.where_ = Some(predicate.into());
        self
    }

    /// `partial-progress` (Spark `partial-progress.enabled`).
    pub fn partial_progress(mut self, yes: bool) -> Self {
        self.partial_progress = Some(yes);
        self
    }

    /// `older-than` for expire_snapshots: a duration such as `7d`, `12h`, `30m`, `0s`.
    pub fn older_than(mut self, duration: impl Into<String>) -> Self {
        self.older_than = duration.into();
        self
    }

    /// `older-than` for remove_orphan_files (at least `1d`, which Spark enforces).
    pub fn orphan_older_than(mut self, duration: impl Into<String>) -> Self {
        self.orphan_older_than = duration.into();
        self
    }

    /// `retain-last`: snapshots always kept.
    pub fn retain_last(mut self, snapshots: u32) -> Self {
        self.retain_last = Some(snapshots);
        self
    }

    /// `max-concurrent-deletes`.
    pub fn max_concurrent_deletes(mut self, threads: u32) -> Self {
        self.max_concurrent_deletes = Some(threads);
        self
    }

    /// Whether `rewrite_position_delete_files` rewrites every position delete file (Iceberg's
    /// `rewrite-all`; default true). Rewriting drops the positions of data files that are no longer
    /// live, which is how the delete files left behind by `rewrite_data_files` on format-version 2
    /// tables go away: Iceberg's planner never selects a group of a single delete file, whatever
    /// `min-input-files` says, so without `rewrite-all` a partition's lone dangling delete file stays
    /// (and is read by every scan of that partition). `false` rewrites only groups that meet
    /// `min-input-files` / `target-file-size`, which is cheaper on tables with many live delete files.
    pub fn rewrite_all_delete_files(mut self, yes: bool) -> Self {
        self.rewrite_all_delete_files = yes;
        self
    }

    fn runs(&self, p: Procedure) -> bool {
        !self.skip.contains(&p)
    }
}

/// Seconds of a duration `<n>s|m|h|d`.
fn duration_seconds(field: &str, value: &str) -> Result<u64> {
    let err = || Error::InvalidValue {
        field: field.to_owned(),
        value: value.to_owned(),
        reason: "a duration such as 7d, 12h, 30m or 0s".into(),
    };
    let (n, unit) = value.split_at(value.len().saturating_sub(1));
    let n: u64 = n.parse().map_err(|_| err())?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    Ok(n * factor)
}

#[derive(Serialize)]
struct TableCtx<'a> {
    table: &'a str,
    rewrite_data_files: bool,
    rewrite_position_delete_files: bool,
    rewrite_manifests: bool,
    expire_snapshots: bool,
    remove_orphan_files: bool,
    #[serde(rename = "where")]
    where_: Option<String>,
    data_options: BTreeMap<&'static str, String>,
    delete_options: BTreeMap<&'static str, String>,
    older_than: &'a str,
    orphan_older_than: &'a str,
    retain_last: Option<u32>,
    max_concurrent_deletes: Option<u32>,
}

#[derive(Serialize)]
struct Config<'a> {
    app_name: &'a str,
    tables: Vec<&'a str>,
}

/// Builder of the `iceberg-maintenance` base (daily at 03:00 UTC by default).
#[derive(Debug, Clone)]
#[must_use]
pub struct IcebergMaintenance {
    job: SparkJob,
    tables: Vec<TableMaintenance>,
}

impl SparkJobOptions for IcebergMaintenance {
    fn job_mut(&mut self) -> &mut SparkJob {
        &mut self.job
    }
}

impl IcebergMaintenance {
    /// Maintenance without tables yet; add them with [`IcebergMaintenance::table`].
    pub fn new(name: impl Into<String>) -> Self {
        IcebergMaintenance {
            job: SparkJob::new(name).schedule("0 3 * * *"),
            tables: Vec::new(),
        }
    }

    /// Adds a table.
    pub fn table(mut self, table: TableMaintenance) -> Self {
        self.tables.push(table);
        self
    }

    /// Validates the parameters and produces the objects.
    pub fn build(self) -> Result<JobBundle> {
        self.job.validate(TEMPLATE)?;
        if self.tables.is_empty() {
            return Err(Error::MissingParameter {
                template: TEMPLATE,
                field: "tables",
            });
        }
        let catalog = self.job.catalog_name(TEMPLATE)?;
        let mut tables = Vec::new();
        for t in &self.tables {
            parse_table("table", &t.table)?;
            duration_seconds("older-than", &t.older_than)?;
            if duration_seconds("orphan older-than", &t.orphan_older_than)? < 86_400 {
                return Err(Error::InvalidValue {
                    field: "orphan older-than".into(),
                    value: t.orphan_older_than.clone(),
                    reason: "remove_orphan_files refuses less than 1d (files still being written)"
                        .into(),
                });
            }
            if let Some(w) = &t.where_ {
                if w.contains('"') {
                    return Err(Error::InvalidValue {
                        field: "where".into(),
                        value: w.clone(),
                        reason: "use single quotes for string literals".into(),
                    });
                }
            }
            let zero = [
                t.target_file_size == Some(0),
                t.min_input_files == Some(0),
                t.max_concurrent_deletes == Some(0),
                t.retain_last == Some(0),
            ];
            if zero.iter().any(|z| *z) {
                return Err(Error::InvalidCount {
                    field:
                        "target-file-size / min-input-files / max-concurrent-deletes / retain-last",
                    value: 0,
                    reason: "at least 1",
                });
            }
            let mut data_options = BTreeMap::from([("remove-dangling-deletes", "true".to_owned())]);
            let mut delete_options = BTreeMap::new();
            if let Some(n) = t.target_file_size {
                data_options.insert("target-file-size-bytes", n.to_string());
                delete_options.insert("target-file-size-bytes", n.to_string());
            }
            if let Some(n) = t.min_input_files {
                data_options.insert("min-input-files", n.to_string());
                delete_options.insert("min-input-files", n.to_string());
            }
            if t.rewrite_all_delete_files {
                delete_options.insert("rewrite-all", "true".to_owned());
            }
            if let Some(p) = t.partial_progress {
                data_options.insert("partial-progress.enabled", p.to_string());
            }
            tables.push(TableCtx {
                table: &t.table,
                rewrite_data_files: t.runs(Procedure::RewriteDataFiles),
                rewrite_position_delete_files: t.runs(Procedure::RewritePositionDeleteFiles),
                rewrite_manifests: t.runs(Procedure::RewriteManifests),
                expire_snapshots: t.runs(Procedure::ExpireSnapshots),
                remove_orphan_files: t.runs(Procedure::RemoveOrphanFiles),
                where_: t.where_.clone(),
                data_options,
                delete_options,
                older_than: &t.older_than,
                orphan_older_than: &t.orphan_older_than,
                retain_last: t.retain_last,
                max_concurrent_deletes: t.max_concurrent_deletes,
            });
        }
        let name = self.job.name();
        let table_names: Vec<&str> = self.tables.iter().map(|t| t.table.as_str()).collect();
        let ctx = minijinja::context! {
            name, catalog, tables => render::sv(&tables),
            description => format!("Iceberg table maintenance of {}", table_names.join(", ")),
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file(
                "iceberg_maintenance.py",
                render::render("iceberg_maintenance.py", &ctx)?,
            )
            .file("maintenance.sql", render::render("maintenance.sql", &ctx)?)
            .file(
                "job.json",
                render::job_json(&Config {
                    app_name: name,
                    tables: table_names.clone(),
                })?,
            );
        let mut bundle = self.job.assemble(AppRequest::new(
            TEMPLATE,
            "iceberg_maintenance.py",
            vec![code],
        ))?;
        let mut params = render::common_params(&self.job, &bundle);
        params.push(param(
            "tables",
            table_names.join(", "),
            "`maintenance.sql` (builder: `TableMaintenance`)",
        ));
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "IcebergMaintenance",
            overview: "Runs Iceberg's Spark procedures per table: `rewrite_data_files`, `rewrite_position_delete_files`, \
                `rewrite_manifests`, `expire_snapshots`, `remove_orphan_files`, with the option names icehelper uses \
                (`target-file-size`, `min-input-files`, `where`, `partial-progress`, `older-than`, `retain-last`, \
                `max-concurrent-deletes`); `rewrite_data_files` also removes dangling delete files \
                (`remove-dangling-deletes`). It is the path for tables that outgrow one machine; icehelper does the same \
                on one node. A failing table does not stop the others; the run fails at the end.".into(),
            params,
            extra_cms: vec![],
            requirements: vec![],
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/schedule".into(),
                "  value: \"0 4 * * 0\"".into(),
                "- op: add".into(),
                "  path: /spec/template/arguments/-".into(),
                "  value: --only=analytics.events".into(),
            ],
            notes: "To change tables or options, regenerate with the Rust builder, or replace `maintenance.sql` \
                through the overlay's `configMapGenerator` (each statement follows a `-- @ <table> <procedure>` line)."
                .into(),
        })?;
        Ok(bundle)
    }
}
