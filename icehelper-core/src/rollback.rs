//! `rollback`: move a branch (`main` by default) back to one of its ancestors, by id or as of a
//! time. A snapshot that is not an ancestor is refused unless asked for (Iceberg's
//! `set_current_snapshot`). The commit requires the branch to still be where it was.

use chrono::{DateTime, Utc};
use iceberg::spec::{SnapshotReference, MAIN_BRANCH};
use iceberg::table::Table;
use iceberg::{TableIdent, TableRequirement, TableUpdate};
use serde::Serialize;

use crate::catalog::{table_refs, LakeCatalog};
use crate::commit::{commit_with_retry, RetryPolicy, TableChange};
use crate::error::{Error, Result};
use crate::expire::ancestors;
use crate::metrics::{Operation, OperationMetrics, Run};
use crate::Planned;

/// Where to roll back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget {
    /// This snapshot.
    Snapshot(i64),
    /// The branch's latest ancestor committed at or before this time.
    Timestamp(DateTime<Utc>),
}

/// Moves a branch back.
#[must_use = "a rollback does nothing until plan() or execute() is awaited"]
#[derive(Debug, Clone)]
pub struct Rollback<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    target: RollbackTarget,
    branch: String,
    allow_non_ancestor: bool,
}

/// What a rollback did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackMetrics {
    /// The fields every operation reports (`snapshot_id` is the branch's new snapshot).
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// The branch moved.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Its snapshot before.
    pub previous_snapshot_id: Option<i64>,
    /// Its snapshot after.
    pub target_snapshot_id: i64,
    /// True when the target was not an ancestor (allowed explicitly).
    pub non_ancestor: bool,
}

impl<'a> Rollback<'a> {
    /// Rolls `main` of `ident` back to `target`.
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent, target: RollbackTarget) -> Self {
        Rollback {
            catalog,
            ident,
            target,
            branch: MAIN_BRANCH.to_string(),
            allow_non_ancestor: false,
        }
    }

    /// Moves this branch instead of `main`.
    pub fn with_ref(mut self, name: impl Into<String>) -> Self {
        self.branch = name.into();
        self
    }

    /// Allows a snapshot that is not an ancestor of the branch.
    pub fn with_allow_non_ancestor(mut self, allow: bool) -> Self {
        self.allow_non_ancestor = allow;
        self
    }

    /// Resolves the target on the table as it is now; changes nothing.
    pub async fn plan(&self) -> Result<RollbackPlan<'a>> {
        let mut run = Run::start(Operation::Rollback, &self.ident, true);
        let table = self.catalog.load_table(&self.ident).await?;
        let (mut m, _) = self.resolve(&table)?;
        run.set_snapshot(Some(m.target_snapshot_id));
        m.operation = run.finish();
        Ok(Planned {
            operation: self.clone(),
            metrics: m,
        })
    }

    /// Commits the move.
    pub async fn execute(self) -> Result<RollbackMetrics> {
        let mut run = Run::start(Operation::Rollback, &self.ident, false);
        let first = self.catalog.load_table(&self.ident).await?;
        let policy = RetryPolicy::for_write(first.metadata().properties());
        let committed = commit_with_retry(self.catalog, &self.ident, policy, |table| {
            let this = &self;
            async move {
                let (m, change) = this.resolve(&table)?;
                Ok((change, m))
            }
        })
        .await?;
        run.record(&committed);
        let mut m = committed.value;
        run.set_snapshot(Some(m.target_snapshot_id));
        m.operation = run.finish();
        Ok(m)
    }

    fn resolve(&self, table: &Table) -> Result<(RollbackMetrics, Option<TableChange>)> {
        let md = table.metadata();
        let ident = self.ident.to_string();
        let refs = table_refs(md)?;
        let Some(current) = refs.get(&self.branch) else {
            return Err(Error::RefNotFound {
                table: ident,
                name: self.branch.clone(),
            });
        };
        if !current.is_branch() {
            return Err(Error::option(
                "ref",
                format!(
                    "'{}' is a tag of table '{ident}'; only branches roll back",
                    self.branch
                ),
            ));
        }
        let lineage: Vec<i64> = ancestors(md, current.snapshot_id)
            .map(|s| s.snapshot_id())
            .collect();
        let target = match self.target {
            RollbackTarget::Snapshot(id) => {
                if md.snapshot_by_id(id).is_none() {
                    return Err(Error::SnapshotNotFound {
                        table: ident,
                        snapshot_id: id,
                    });
                }
                id
            }
            RollbackTarget::Timestamp(ts) => {
                let ms = ts.timestamp_millis();
                ancestors(md, current.snapshot_id)
                    .find(|s| s.timestamp_ms() <= ms)
                    .map(|s| s.snapshot_id())
                    .ok_or_else(|| {
                        Error::option(
                            "timestamp",
                            format!(
                                "branch '{}' of table '{ident}' has no snapshot at or before {}",
                                self.branch,
                                ts.to_rfc3339()
                            ),
                        )
                    })?
            }
        };
        let non_ancestor = !lineage.contains(&target);
        if non_ancestor && !self.allow_non_ancestor {
            return Err(Error::NotAnAncestor {
                table: ident,
                snapshot_id: target,
                ref_name: self.branch.clone(),
            });
        }
        let m = RollbackMetrics {
            // the shared fields are the driver's: plan() and execute() set them
            operation: Run::start(Operation::Rollback, &self.ident, true).finish(),
            ref_name: self.branch.clone(),
            previous_snapshot_id: Some(current.snapshot_id),
            target_snapshot_id: target,
            non_ancestor,
        };
        if target == current.snapshot_id {
            return Ok((m, None));
        }
        let retention = current.retention.clone();
        let change = TableChange::new(
            vec![
                TableRequirement::UuidMatch { uuid: md.uuid() },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.branch.clone(),
                    snapshot_id: Some(current.snapshot_id),
                },
            ],
            vec![TableUpdate::SetSnapshotRef {
                ref_name: self.branch.clone(),
                reference: SnapshotReference::new(target, retention),
            }],
        );
        Ok((m, Some(change)))
    }
}

into_future!(Rollback => RollbackMetrics);

/// A planned rollback; see [`Planned`].
pub type RollbackPlan<'a> = Planned<Rollback<'a>, RollbackMetrics>;

impl RollbackPlan<'_> {
    /// Moves the branch (resolving the target again on the table it commits on).
    pub async fn execute(self) -> Result<RollbackMetrics> {
        self.operation.execute().await
    }
}
