//! Versioned schema, partition-spec and sort-order migrations, applied like Flyway.
//!
//! A folder holds numbered TOML files (`0001_add_channel.toml`, `0002_widen_qty.toml`, ...),
//! each a list of `[[change]]`s ([`Change`]). [`Migrate`] applies the files the table has not
//! had yet, in version order, **one atomic commit per file**. The commit also records the file
//! in the table's properties:
//!
//! - `icehelper.migrate.version`: the last applied version (as written in its file name);
//! - `icehelper.migrate.<version>.checksum`: sha256 of the file (CRLF read as LF).
//!
//! so a second run applies only new files and commits nothing when there are none. A file that
//! was applied and then edited, an applied version without a file, or a file older than the
//! applied version that was never applied are errors.
//!
//! Every pending file is parsed and validated against the table (each on the result of the
//! previous ones) before anything is written: an unsafe or invalid change (an incompatible type
//! change, a required column, a missing column, dropping a partition source or identifier field,
//! a name clash) is refused with the file, the change and the reason
//! ([`Error::MigrationInvalid`]). Each commit requires the table's schema id, last column id,
//! default spec id, last partition id and default sort order id to be what the file was
//! validated on; when another writer changed them meanwhile, the file is re-validated on the new
//! table and retried (or refused), never applied over the other change.
//!
//! ```no_run
//! use icehelper_core::{catalog::{parse_table_ident, LakeCatalog}, config::CatalogConfig, migrate::Migrate};
//! # async fn run() -> icehelper_core::Result<()> {
//! let catalog = LakeCatalog::open(&CatalogConfig::resolve(None, &Default::default())?).await?;
//! let plan = Migrate::new(&catalog, parse_table_ident("db.events")?, "migrations").plan().await?;
//! for m in &plan.metrics().migrations {
//!     println!("{} {:?}\n{}", m.file, m.status, m.diff); // the dry run
//! }
//! let applied = plan.execute().await?;
//! println!("now at version {:?}", applied.to_version);
//! # Ok(()) }
//! ```

mod apply;
pub mod file;
pub mod generate;
pub mod types;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iceberg::spec::TableMetadata;
use iceberg::table::Table;
use iceberg::{TableIdent, TableUpdate};
use serde::Serialize;

use crate::catalog::LakeCatalog;
use crate::commit::{commit_with_retry, RetryPolicy, TableChange};
use crate::error::{Error, Result};
use crate::metrics::{Operation, OperationMetrics, Run};
use crate::schema_diff::{diff_matched_by, MatchedBy, SchemaDiff, SchemaSide};

pub use apply::{default_partition_name, parse_transform, PROPERTY_PREFIX};
pub use file::{Change, MigrationFile, SortFieldSpec};

/// The property holding the last applied version.
pub const VERSION_PROPERTY: &str = "icehelper.migrate.version";

/// The property holding the checksum of an applied version.
pub fn checksum_property(version_text: &str) -> String {
    format!("{PROPERTY_PREFIX}{version_text}.checksum")
}

/// The versions recorded as applied in a table's properties: version → (text, checksum).
pub fn applied_versions(md: &TableMetadata) -> BTreeMap<u64, (String, String)> {
    md.properties()
        .iter()
        .filter_map(|(k, v)| {
            let text = k.strip_prefix(PROPERTY_PREFIX)?.strip_suffix(".checksum")?;
            let n = text
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| text.parse::<u64>().ok())
                .flatten()?;
            Some((n, (text.to_string(), v.clone())))
        })
        .collect()
}

/// What happened (or would happen) to one migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationStatus {
    /// Dry run: it would be applied.
    Pending,
    /// Applied by this run.
    Applied,
    /// Another run applied it meanwhile (same checksum); nothing was done.
    AlreadyApplied,
}

/// One migration file in a [`MigrateMetrics`] report.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    /// Its version as written in the file name.
    pub version: String,
    /// The file name.
    pub file: String,
    /// sha256 of the file.
    pub checksum: String,
    /// How many changes it lists.
    pub changes: usize,
    /// What happened to it.
    pub status: MigrationStatus,
    /// The schema, partition spec and sort order difference it makes (from the table before it
    /// to the table after it).
    pub diff: SchemaDiff,
    /// Table properties it sets or removes (besides the bookkeeping).
    pub properties_changed: Vec<String>,
}

/// What `migrate` did or, with `dry_run`, would do.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateMetrics {
    /// The shared fields.
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// The version recorded before this run (`None`: no migration applied yet).
    pub from_version: Option<String>,
    /// The version recorded after this run (on a dry run: after the pending files).
    pub to_version: Option<String>,
    /// The files applied (or pending), in order; empty when the table is up to date.
    pub migrations: Vec<MigrationReport>,
}

/// The plan: the files still to apply and what each would change. Print its
/// [`metrics`](Self::metrics) (a dry run), then [`execute`](Self::execute) it.
#[must_use = "a plan changes nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct MigrationPlan<'a> {
    migrate: Migrate<'a>,
    planned: OperationMetrics,
    /// The table as it was read.
    pub table: Table,
    /// The applied version (`None`: none yet).
    pub applied_version: Option<String>,
    /// The pending files, in order, with their diffs.
    pub pending: Vec<(MigrationFile, SchemaDiff, Vec<String>)>,
}

/// Applies pending migration files to a table.
#[must_use = "an operation does nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct Migrate<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    dir: PathBuf,
    target: Option<u64>,
}

impl<'a> Migrate<'a> {
    /// Migrations of `ident` from the files of `dir`.
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent, dir: impl AsRef<Path>) -> Self {
        Migrate {
            catalog,
            ident,
            dir: dir.as_ref().to_path_buf(),
            target: None,
        }
    }

    /// Applies files up to and including this version only.
    pub fn with_target_version(mut self, version: u64) -> Self {
        self.target = Some(version);
        self
    }

    /// Reads the files and the table, checks the recorded history and validates every pending
    /// file (each on the result of the ones before). Writes nothing.
    pub async fn plan(&self) -> Result<MigrationPlan<'a>> {
        let run = Run::start(Operation::Migrate, &self.ident, true);
        let files = file::read_dir(&self.dir)?;
        let table = self.catalog.load_table(&self.ident).await?;
        let md = table.metadata();
        let table_name = self.ident.to_string();
        let applied = applied_versions(md);
        check_history(&table_name, &files, &applied)?;
        let last_applied = applied.keys().max().copied();
        if let Some(target) = self.target {
            if !files.iter().any(|f| f.version == target) {
                return Err(Error::option(
                    "target-version",
                    format!("no migration file has version {target}"),
                ));
            }
            if last_applied.is_some_and(|v| target < v) {
                return Err(Error::option(
                    "target-version",
                    format!(
                        "version {target} is older than the applied version {}; migrations are not undone",
                        last_applied.unwrap_or_default()
                    ),
                ));
            }
        }
        let pending: Vec<MigrationFile> = files
            .into_iter()
            .filter(|f| last_applied.is_none_or(|v| f.version > v))
            .filter(|f| self.target.is_none_or(|t| f.version <= t))
            .collect();
        let mut current = md.clone();
        let mut out = Vec::new();
        for f in pending {
            let (updates, props) = changes_for(&current, &f)?;
            let next = simulate(&current, &updates).map_err(|reason| Error::MigrationInvalid {
                file: f.file_name.clone(),
                change: "file".into(),
                reason,
            })?;
            let d = diff_of(&current, &next, &table_name, &f);
            current = next;
            out.push((f, d, props));
        }
        Ok(MigrationPlan {
            migrate: self.clone(),
            planned: run.finish(),
            applied_version: md.properties().get(VERSION_PROPERTY).cloned(),
            table,
            pending: out,
        })
    }

    /// Plans and applies the pending files, one commit each; awaiting the builder itself does
    /// the same.
    pub async fn execute(self) -> Result<MigrateMetrics> {
        self.plan().await?.execute().await
    }
}

impl MigrationPlan<'_> {
    /// What executing would do: the dry run's report (every pending file, `pending`).
    pub fn metrics(&self) -> MigrateMetrics {
        let migrations: Vec<MigrationReport> = self
            .pending
            .iter()
            .map(|(f, diff, props)| {
                report(f, MigrationStatus::Pending, diff.clone(), props.clone())
            })
            .collect();
        MigrateMetrics {
            operation: self.planned.clone(),
            from_version: self.applied_version.clone(),
            to_version: self
                .pending
                .last()
                .map(|(f, _, _)| f.version_text.clone())
                .or_else(|| self.applied_version.clone()),
            migrations,
        }
    }

    /// Applies the planned files in order, one commit each; a file another writer's change
    /// invalidated meanwhile is re-validated on the new table (and refused if it no longer fits).
    pub async fn execute(self) -> Result<MigrateMetrics> {
        let m = &self.migrate;
        let mut run = Run::start(Operation::Migrate, &m.ident, false);
        let from_version = self.applied_version.clone();
        let mut to_version = from_version.clone();
        let mut migrations = Vec::new();
        let policy = RetryPolicy::for_write(self.table.metadata().properties());
        let table_name = m.ident.to_string();
        for (f, _, _) in self.pending {
            let committed = commit_with_retry(m.catalog, &m.ident, policy, |table| {
                std::future::ready(attempt(&table_name, &table, &f))
            })
            .await?;
            run.record(&committed);
            let (status, diff, props) = committed.value;
            if status == MigrationStatus::Applied {
                tracing::info!(table = %table_name, file = %f.file_name, "migration applied");
            }
            to_version = Some(f.version_text.clone());
            migrations.push(report(&f, status, diff, props));
        }
        Ok(MigrateMetrics {
            operation: run.finish(),
            from_version,
            to_version,
            migrations,
        })
    }
}

fn report(
    f: &MigrationFile,
    status: MigrationStatus,
    diff: SchemaDiff,
    properties_changed: Vec<String>,
) -> MigrationReport {
    MigrationReport {
        version: f.version_text.clone(),
        file: f.file_name.clone(),
        checksum: f.checksum.clone(),
        changes: f.changes.len(),
        status,
        diff,
        properties_changed,
    }
}

type AttemptValue = (MigrationStatus, SchemaDiff, Vec<String>);

/// One commit attempt of one file on the latest table: re-checks the history and re-validates.
fn attempt(
    table_name: &str,
    table: &Table,
    f: &MigrationFile,
) -> Result<(Option<TableChange>, AttemptValue)> {
    let md = table.metadata();
    let applied = applied_versions(md);
    if let Some((_, recorded)) = applied.get(&f.version) {
        if *recorded != f.checksum {
            return Err(Error::MigrationEdited {
                table: table_name.to_string(),
                file: f.file_name.clone(),
                version: f.version_text.clone(),
                recorded: recorded.clone(),
                actual: f.checksum.clone(),
            });
        }
        let d = diff_of(md, md, table_name, f);
        return Ok((None, (MigrationStatus::AlreadyApplied, d, Vec::new())));
    }
    if let Some(newer) = applied.keys().max().filter(|v| **v > f.version) {
        return Err(Error::MigrationHistory {
            table: table_name.to_string(),
            reason: format!(
                "version {newer} was applied meanwhile, after which {} can no longer be applied in order",
                f.file_name
            ),
        });
    }
    let (updates, props) = changes_for(md, f)?;
    let next = simulate(md, &updates).map_err(|reason| Error::MigrationInvalid {
        file: f.file_name.clone(),
        change: "file".into(),
        reason,
    })?;
    let d = diff_of(md, &next, table_name, f);
    let (requirements, updates) = requirements_and_updates(md, f)?;
    Ok((
        Some(TableChange::new(requirements, updates)),
        (MigrationStatus::Applied, d, props),
    ))
}

fn bookkeeping(f: &MigrationFile) -> BTreeMap<String, String> {
    BTreeMap::from([
        (VERSION_PROPERTY.to_string(), f.version_text.clone()),
        (checksum_property(&f.version_text), f.checksum.clone()),
    ])
}

fn invalid_change(f: &MigrationFile, i: usize, c: &Change, reason: String) -> Error {
    Error::MigrationInvalid {
        file: f.file_name.clone(),
        change: format!("change {} ({} {})", i + 1, c.op(), c.subject()),
        reason,
    }
}

fn requirements_and_updates(
    md: &TableMetadata,
    f: &MigrationFile,
) -> Result<(Vec<iceberg::TableRequirement>, Vec<TableUpdate>)> {
    let mut draft = apply::Draft::new(md);
    for (i, c) in f.changes.iter().enumerate() {
        draft
            .apply(c)
            .map_err(|reason| invalid_change(f, i, c, reason))?;
    }
    draft
        .finish(bookkeeping(f))
        .map_err(|reason| Error::MigrationInvalid {
            file: f.file_name.clone(),
            change: "file".into(),
            reason,
        })
}

/// The updates of one file on `md` and the properties it changes.
fn changes_for(md: &TableMetadata, f: &MigrationFile) -> Result<(Vec<TableUpdate>, Vec<String>)> {
    let (_, updates) = requirements_and_updates(md, f)?;
    let mut props = Vec::new();
    for u in &updates {
        match u {
            TableUpdate::SetProperties { updates } => props.extend(
                updates
                    .keys()
                    .filter(|k| !k.starts_with(PROPERTY_PREFIX))
                    .map(|k| format!("set {k}")),
            ),
            TableUpdate::RemoveProperties { removals } => {
                props.extend(removals.iter().map(|k| format!("remove {k}")))
            }
            _ => {}
        }
    }
    props.sort();
    Ok((updates, props))
}

/// The metadata `updates` make of `md`, built by iceberg's own metadata builder (which checks
/// what the catalog will check).
fn simulate(
    md: &TableMetadata,
    updates: &[TableUpdate],
) -> std::result::Result<TableMetadata, String> {
    let mut builder = md.clone().into_builder(None);
    for u in updates {
        builder = u
            .clone()
            .apply(builder)
            .map_err(|e| crate::catalog::one_line(&e))?;
    }
    builder
        .build()
        .map(|r| r.metadata)
        .map_err(|e| crate::catalog::one_line(&e))
}

fn diff_of(
    before: &TableMetadata,
    after: &TableMetadata,
    table: &str,
    f: &MigrationFile,
) -> SchemaDiff {
    let side = |md: &TableMetadata, label: String| {
        (
            label,
            md.current_schema().clone(),
            md.default_partition_spec().clone(),
            md.default_sort_order().clone(),
            md.format_version(),
        )
    };
    let l = side(before, format!("{table} before {}", f.file_name));
    let r = side(after, format!("{table} after {}", f.file_name));
    diff_matched_by(
        &SchemaSide {
            label: l.0,
            schema: &l.1,
            spec: &l.2,
            sort_order: &l.3,
            format_version: l.4,
        },
        &SchemaSide {
            label: r.0,
            schema: &r.1,
            spec: &r.2,
            sort_order: &r.3,
            format_version: r.4,
        },
        MatchedBy::FieldId,
    )
}

/// The recorded history must agree with the files: every applied version has its file,
/// unchanged, and no file older than the last applied version was skipped.
fn check_history(
    table: &str,
    files: &[MigrationFile],
    applied: &BTreeMap<u64, (String, String)>,
) -> Result<()> {
    for (v, (text, recorded)) in applied {
        match files.iter().find(|f| f.version == *v) {
            None => {
                return Err(Error::MigrationHistory {
                    table: table.to_string(),
                    reason: format!(
                        "version {text} was applied but the migrations folder has no file for it (is this an older checkout?)"
                    ),
                })
            }
            Some(f) if f.checksum != *recorded => {
                return Err(Error::MigrationEdited {
                    table: table.to_string(),
                    file: f.file_name.clone(),
                    version: text.clone(),
                    recorded: recorded.clone(),
                    actual: f.checksum.clone(),
                })
            }
            Some(_) => {}
        }
    }
    if let Some(last) = applied.keys().max() {
        if let Some(f) = files
            .iter()
            .find(|f| f.version < *last && !applied.contains_key(&f.version))
        {
            return Err(Error::MigrationHistory {
                table: table.to_string(),
                reason: format!(
                    "{} is older than the applied version {} but was never applied; give it a version after {}",
                    f.file_name, applied[last].0, applied[last].0
                ),
            });
        }
    }
    Ok(())
}

into_future!(Migrate => MigrateMetrics);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::commit_once;
    use crate::config::CatalogConfig;
    use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};
    use iceberg::{NamespaceIdent, TableCreation, TableRequirement};

    async fn setup(root: &Path) -> (LakeCatalog, TableIdent) {
        let cat = LakeCatalog::open_or_create(&CatalogConfig::embedded_at(root))
            .await
            .unwrap();
        let ns = NamespaceIdent::new("db".into());
        cat.iceberg()
            .create_namespace(&ns, Default::default())
            .await
            .unwrap();
        let schema = Schema::builder()
            .with_fields(vec![
                NestedField::required(1, "id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::optional(2, "amount", Type::Primitive(PrimitiveType::Double)).into(),
            ])
            .build()
            .unwrap();
        let creation = TableCreation::builder()
            .name("t".into())
            .schema(schema)
            .build();
        cat.iceberg().create_table(&ns, creation).await.unwrap();
        (cat, TableIdent::new(ns, "t".into()))
    }

    /// Another writer's schema change: `change` applied to the table's current schema.
    async fn concurrent_schema_change(cat: &LakeCatalog, ident: &TableIdent, text: &str) {
        let t = cat.load_table(ident).await.unwrap();
        let f = file::parse_migration("9999_other_writer.toml", text).unwrap();
        let mut draft = apply::Draft::new(t.metadata());
        for c in &f.changes {
            draft.apply(c).unwrap();
        }
        let (requirements, updates) = draft.finish(BTreeMap::new()).unwrap();
        commit_once(cat, ident, TableChange::new(requirements, updates))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_concurrent_schema_change_is_detected_kept_and_revalidated() {
        let dir = tempfile::tempdir().unwrap();
        let (cat, ident) = setup(dir.path()).await;
        let mig = dir.path().join("migrations");
        std::fs::create_dir(&mig).unwrap();
        std::fs::write(
            mig.join("0001_rename.toml"),
            "[[change]]\nop = \"rename-column\"\nfrom = \"amount\"\nto = \"amount_usd\"\n",
        )
        .unwrap();
        let f = file::read_dir(&mig).unwrap().remove(0);

        // an attempt planned on the old table, committed after another writer added a column,
        // conflicts instead of writing its schema over the other one
        let stale = cat.load_table(&ident).await.unwrap();
        let (change, _) = attempt("db.t", &stale, &f).unwrap();
        let change = change.unwrap();
        assert!(change
            .requirements
            .iter()
            .any(|r| matches!(r, TableRequirement::CurrentSchemaIdMatch { .. })));
        concurrent_schema_change(
            &cat,
            &ident,
            "[[change]]\nop = \"add-column\"\nname = \"channel\"\ntype = \"string\"\n",
        )
        .await;
        let err = commit_once(&cat, &ident, change).await.unwrap_err();
        assert!(matches!(err, Error::CommitConflict { .. }), "{err}");

        // run through Migrate: re-planned on the new table, both changes survive
        let m = Migrate::new(&cat, ident.clone(), &mig)
            .execute()
            .await
            .unwrap();
        assert_eq!(m.operation.commits, 1);
        let t = cat.load_table(&ident).await.unwrap();
        let s = t.metadata().current_schema();
        assert_eq!(s.field_by_name("amount_usd").map(|f| f.id), Some(2));
        assert_eq!(s.field_by_name("channel").map(|f| f.id), Some(3));
        assert_eq!(t.metadata().last_column_id(), 3);

        // a concurrent change that makes the next file invalid: refused, nothing written
        std::fs::write(
            mig.join("0002_rename_channel.toml"),
            "[[change]]\nop = \"rename-column\"\nfrom = \"channel\"\nto = \"source\"\n",
        )
        .unwrap();
        let f2 = file::read_dir(&mig).unwrap().remove(1);
        let stale = cat.load_table(&ident).await.unwrap();
        let (change, _) = attempt("db.t", &stale, &f2).unwrap();
        concurrent_schema_change(
            &cat,
            &ident,
            "[[change]]\nop = \"rename-column\"\nfrom = \"channel\"\nto = \"medium\"\n",
        )
        .await;
        assert!(commit_once(&cat, &ident, change.unwrap()).await.is_err());
        let loc = cat
            .load_table(&ident)
            .await
            .unwrap()
            .metadata_location()
            .map(str::to_string);
        let err = Migrate::new(&cat, ident.clone(), &mig)
            .execute()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::MigrationInvalid { file, .. } if file == "0002_rename_channel.toml"),
            "{err}"
        );
        let t = cat.load_table(&ident).await.unwrap();
        assert_eq!(t.metadata_location().map(str::to_string), loc);
        assert!(t
            .metadata()
            .current_schema()
            .field_by_name("medium")
            .is_some());
    }
}
