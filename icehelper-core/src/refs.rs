//! Branches and tags: create, drop, fast-forward, for write-audit-publish.
//!
//! A backfill writes to a branch (`INSERT INTO db.t.branch_backfill ...` in Spark, or
//! `icehelper compact --branch`), is checked there while `main` stays untouched, and is
//! published with [`FastForward`]: `main` moves to the branch's head, which is allowed only when
//! `main`'s snapshot is an ancestor of it (nothing committed to `main` meanwhile is lost).
//!
//! Every change is one commit of `SetSnapshotRef`/`RemoveSnapshotRef` through
//! [`crate::commit`], requiring the table's UUID and the refs involved to point where they did
//! when the change was decided; a conflicting commit makes it re-check and retry.
//!
//! ```no_run
//! use icehelper_core::{catalog::{parse_table_ident, LakeCatalog}, config::CatalogConfig, refs};
//! # async fn run() -> icehelper_core::Result<()> {
//! let catalog = LakeCatalog::open(&CatalogConfig::resolve(None, &Default::default())?).await?;
//! let t = parse_table_ident("db.events")?;
//! refs::CreateRef::branch(&catalog, t.clone(), "backfill")
//!     .with_max_snapshot_age(std::time::Duration::from_secs(7 * 24 * 3600))
//!     .await?; // awaiting a builder plans and executes
//! // ... write to db.events.branch_backfill, audit it ...
//! refs::FastForward::new(&catalog, t.clone(), "main", "backfill").execute().await?;
//! refs::DropRef::branch(&catalog, t, "backfill").execute().await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use iceberg::spec::{SnapshotReference, SnapshotRetention, TableMetadata, MAIN_BRANCH};
use iceberg::table::Table;
use iceberg::{TableIdent, TableRequirement, TableUpdate};
use serde::Serialize;

use crate::catalog::{table_refs, LakeCatalog, SnapshotSelector};
use crate::commit::{commit_with_retry, Attempt, RetryPolicy, TableChange};
use crate::error::{Error, Result};
use crate::metrics::{Operation, OperationMetrics, Run};
use crate::Planned;

/// A branch or a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    /// A branch: takes new snapshots.
    Branch,
    /// A tag: a fixed name for one snapshot.
    Tag,
}

impl fmt::Display for RefKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        })
    }
}

fn kind_of(r: &SnapshotReference) -> RefKind {
    match r.retention {
        SnapshotRetention::Branch { .. } => RefKind::Branch,
        SnapshotRetention::Tag { .. } => RefKind::Tag,
    }
}

/// What a ref operation did.
#[derive(Debug, Clone, Serialize)]
pub struct RefMetrics {
    /// The shared fields (`snapshot_id`: where the ref points after the operation).
    #[serde(flatten)]
    pub operation: OperationMetrics,
    /// The ref.
    pub name: String,
    /// Branch or tag.
    pub kind: RefKind,
    /// Where it pointed before (`None`: it did not exist).
    pub previous_snapshot_id: Option<i64>,
}

/// Milliseconds, as Iceberg's ref retention records them (saturating: no real age overflows).
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.trim() != name {
        return Err(Error::option(
            "ref name",
            format!("'{name}' is not a usable branch or tag name"),
        ));
    }
    Ok(())
}

fn metrics(
    operation: Operation,
    ident: &TableIdent,
    name: &str,
    kind: RefKind,
) -> (RefMetrics, Run) {
    let run = Run::start(operation, ident, false);
    (
        RefMetrics {
            // the shared fields are the driver's: set when the operation finishes
            operation: run.snapshot(),
            name: name.to_string(),
            kind,
            previous_snapshot_id: None,
        },
        run,
    )
}

fn policy(table: &Table) -> Result<RetryPolicy> {
    Ok(RetryPolicy::for_write(table.metadata().properties()))
}

/// Creates a branch or a tag.
#[must_use = "an operation does nothing until execute() is awaited"]
#[derive(Debug)]
pub struct CreateRef<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    name: String,
    kind: RefKind,
    from: SnapshotSelector,
    min_snapshots_to_keep: Option<i32>,
    max_snapshot_age_ms: Option<i64>,
    max_ref_age_ms: Option<i64>,
}

impl<'a> CreateRef<'a> {
    fn new(catalog: &'a LakeCatalog, ident: TableIdent, name: &str, kind: RefKind) -> Self {
        CreateRef {
            catalog,
            ident,
            name: name.to_string(),
            kind,
            from: SnapshotSelector::Current,
            min_snapshots_to_keep: None,
            max_snapshot_age_ms: None,
            max_ref_age_ms: None,
        }
    }

    /// A branch `name` at the current snapshot of `main` (see [`CreateRef::with_from`]).
    pub fn branch(catalog: &'a LakeCatalog, ident: TableIdent, name: &str) -> Self {
        Self::new(catalog, ident, name, RefKind::Branch)
    }

    /// A tag `name` at the current snapshot of `main` (see [`CreateRef::with_from`]).
    pub fn tag(catalog: &'a LakeCatalog, ident: TableIdent, name: &str) -> Self {
        Self::new(catalog, ident, name, RefKind::Tag)
    }

    /// Points it at this snapshot, or at the snapshot of this branch or tag.
    pub fn with_from(mut self, from: SnapshotSelector) -> Self {
        self.from = from;
        self
    }

    /// Branch retention: snapshots of the branch kept by snapshot expiry whatever their age.
    pub fn with_min_snapshots_to_keep(mut self, n: i32) -> Self {
        self.min_snapshots_to_keep = Some(n);
        self
    }

    /// Branch retention: the age after which its snapshots may be expired
    /// (`max-snapshot-age-ms`).
    pub fn with_max_snapshot_age(mut self, age: Duration) -> Self {
        self.max_snapshot_age_ms = Some(millis(age));
        self
    }

    /// The age after which the ref itself may be removed by snapshot expiry (`max-ref-age-ms`).
    pub fn with_max_ref_age(mut self, age: Duration) -> Self {
        self.max_ref_age_ms = Some(millis(age));
        self
    }

    fn retention(&self) -> Result<SnapshotRetention> {
        match self.kind {
            RefKind::Branch => Ok(SnapshotRetention::Branch {
                min_snapshots_to_keep: self.min_snapshots_to_keep,
                max_snapshot_age_ms: self.max_snapshot_age_ms,
                max_ref_age_ms: self.max_ref_age_ms,
            }),
            RefKind::Tag => {
                if self.min_snapshots_to_keep.is_some() || self.max_snapshot_age_ms.is_some() {
                    return Err(Error::option(
                        "tag",
                        "a tag has no snapshots to keep: only its max ref age can be set",
                    ));
                }
                Ok(SnapshotRetention::Tag {
                    max_ref_age_ms: self.max_ref_age_ms,
                })
            }
        }
    }

    fn attempt(&self, table: &Table, retention: &SnapshotRetention) -> Result<Attempt<i64>> {
        let md = table.metadata();
        let ident = self.ident.to_string();
        if let Some(existing) = table_refs(md)?.get(&self.name) {
            return Err(Error::RefExists {
                table: ident,
                name: self.name.clone(),
                kind: kind_of(existing).to_string(),
            });
        }
        let snapshot = self
            .from
            .resolve(table)?
            .ok_or(Error::EmptyTable { table: ident })?;
        let id = snapshot.snapshot_id();
        let change = TableChange::new(
            vec![
                TableRequirement::UuidMatch { uuid: md.uuid() },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.name.clone(),
                    snapshot_id: None,
                },
            ],
            vec![TableUpdate::SetSnapshotRef {
                ref_name: self.name.clone(),
                reference: SnapshotReference::new(id, retention.clone()),
            }],
        );
        Ok((Some(change), id))
    }

    /// Creates it; an existing ref of that name is [`Error::RefExists`].
    pub async fn execute(self) -> Result<RefMetrics> {
        check_name(&self.name)?;
        if self.min_snapshots_to_keep.is_some_and(|n| n < 1) {
            return Err(Error::option("min-snapshots-to-keep", "must be at least 1"));
        }
        let retention = self.retention()?;
        let operation = match self.kind {
            RefKind::Branch => Operation::BranchCreate,
            RefKind::Tag => Operation::TagCreate,
        };
        let (mut m, mut run) = metrics(operation, &self.ident, &self.name, self.kind);
        let table = self.catalog.load_table(&self.ident).await?;
        let committed = commit_with_retry(self.catalog, &self.ident, policy(&table)?, |table| {
            std::future::ready(self.attempt(&table, &retention))
        })
        .await?;
        run.record(&committed);
        run.set_snapshot(Some(committed.value));
        m.operation = run.finish();
        Ok(m)
    }
}

/// Drops a branch or a tag (never `main`).
#[must_use = "an operation does nothing until execute() is awaited"]
#[derive(Debug)]
pub struct DropRef<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    name: String,
    kind: RefKind,
}

impl<'a> DropRef<'a> {
    /// Drops branch `name`.
    pub fn branch(catalog: &'a LakeCatalog, ident: TableIdent, name: &str) -> Self {
        DropRef {
            catalog,
            ident,
            name: name.to_string(),
            kind: RefKind::Branch,
        }
    }

    /// Drops tag `name`.
    pub fn tag(catalog: &'a LakeCatalog, ident: TableIdent, name: &str) -> Self {
        DropRef {
            catalog,
            ident,
            name: name.to_string(),
            kind: RefKind::Tag,
        }
    }

    fn attempt(&self, table: &Table) -> Result<Attempt<i64>> {
        let md = table.metadata();
        let ident = self.ident.to_string();
        let refs = table_refs(md)?;
        let existing = refs.get(&self.name).ok_or_else(|| Error::RefNotFound {
            table: ident.clone(),
            name: self.name.clone(),
        })?;
        let kind = kind_of(existing);
        if kind != self.kind {
            return Err(Error::option(
                self.kind.to_string(),
                format!(
                    "'{}' of table '{ident}' is a {kind}, not a {} (use `icehelper {kind} drop`)",
                    self.name, self.kind
                ),
            ));
        }
        let id = existing.snapshot_id;
        let change = TableChange::new(
            vec![
                TableRequirement::UuidMatch { uuid: md.uuid() },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.name.clone(),
                    snapshot_id: Some(id),
                },
            ],
            vec![TableUpdate::RemoveSnapshotRef {
                ref_name: self.name.clone(),
            }],
        );
        Ok((Some(change), id))
    }

    /// Drops it. A missing ref is [`Error::RefNotFound`]; a ref of the other kind and `main`
    /// are refused.
    pub async fn execute(self) -> Result<RefMetrics> {
        if self.name == MAIN_BRANCH {
            return Err(Error::option(
                "branch",
                "'main' is the table's current state and cannot be dropped",
            ));
        }
        let operation = match self.kind {
            RefKind::Branch => Operation::BranchDrop,
            RefKind::Tag => Operation::TagDrop,
        };
        let (mut m, mut run) = metrics(operation, &self.ident, &self.name, self.kind);
        let table = self.catalog.load_table(&self.ident).await?;
        let committed = commit_with_retry(self.catalog, &self.ident, policy(&table)?, |table| {
            std::future::ready(self.attempt(&table))
        })
        .await?;
        run.record(&committed);
        m.previous_snapshot_id = Some(committed.value);
        m.operation = run.finish();
        Ok(m)
    }
}

/// Whether `ancestor` is `id` or one of its ancestors in `md`.
pub fn is_ancestor_of(md: &TableMetadata, ancestor: i64, id: i64) -> bool {
    let mut cur = Some(id);
    let mut steps = 0usize;
    while let Some(c) = cur {
        if c == ancestor {
            return true;
        }
        steps += 1;
        if steps > md.snapshots().len() {
            return false; // a cycle in broken metadata
        }
        cur = md.snapshot_by_id(c).and_then(|s| s.parent_snapshot_id());
    }
    false
}

/// Moves a branch to the head of another ref when it is an ancestor of it.
#[must_use = "an operation does nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct FastForward<'a> {
    catalog: &'a LakeCatalog,
    ident: TableIdent,
    target: String,
    source: String,
}

/// Where a fast-forward would move its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastForwardDecision {
    /// The target's snapshot now.
    pub target_snapshot_id: i64,
    /// The source's snapshot, where the target moves.
    pub source_snapshot_id: i64,
}

impl<'a> FastForward<'a> {
    /// Moves branch `target` (e.g. `main`) to the snapshot of `source` (a branch or a tag).
    pub fn new(catalog: &'a LakeCatalog, ident: TableIdent, target: &str, source: &str) -> Self {
        FastForward {
            catalog,
            ident,
            target: target.to_string(),
            source: source.to_string(),
        }
    }

    fn decide(&self, table: &Table) -> Result<(FastForwardDecision, SnapshotReference)> {
        let md = table.metadata();
        let ident = self.ident.to_string();
        let refs = table_refs(md)?;
        let not_found = |name: &str| Error::RefNotFound {
            table: ident.clone(),
            name: name.to_string(),
        };
        let target = refs
            .get(&self.target)
            .ok_or_else(|| not_found(&self.target))?;
        let source = refs
            .get(&self.source)
            .ok_or_else(|| not_found(&self.source))?;
        if kind_of(target) != RefKind::Branch {
            return Err(Error::option(
                "branch",
                format!(
                    "'{}' of table '{ident}' is a tag; only a branch moves",
                    self.target
                ),
            ));
        }
        let plan = FastForwardDecision {
            target_snapshot_id: target.snapshot_id,
            source_snapshot_id: source.snapshot_id,
        };
        if !is_ancestor_of(md, plan.target_snapshot_id, plan.source_snapshot_id) {
            return Err(Error::NotAncestor {
                table: ident,
                target: self.target.clone(),
                target_snapshot_id: plan.target_snapshot_id,
                source_ref: self.source.clone(),
                source_snapshot_id: plan.source_snapshot_id,
            });
        }
        Ok((plan, target.clone()))
    }

    fn attempt(&self, table: &Table) -> Result<Attempt<FastForwardDecision>> {
        let (plan, target) = self.decide(table)?;
        if plan.target_snapshot_id == plan.source_snapshot_id {
            return Ok((None, plan));
        }
        let md = table.metadata();
        let change = TableChange::new(
            vec![
                TableRequirement::UuidMatch { uuid: md.uuid() },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.target.clone(),
                    snapshot_id: Some(plan.target_snapshot_id),
                },
                TableRequirement::RefSnapshotIdMatch {
                    r#ref: self.source.clone(),
                    snapshot_id: Some(plan.source_snapshot_id),
                },
            ],
            vec![TableUpdate::SetSnapshotRef {
                ref_name: self.target.clone(),
                reference: SnapshotReference::new(
                    plan.source_snapshot_id,
                    target.retention.clone(),
                ),
            }],
        );
        Ok((Some(change), plan))
    }

    /// Checks the move without making it.
    pub async fn plan(&self) -> Result<FastForwardPlan<'a>> {
        let (mut m, mut run) = metrics(
            Operation::BranchFastForward,
            &self.ident,
            &self.target,
            RefKind::Branch,
        );
        let table = self.catalog.load_table(&self.ident).await?;
        let decision = self.decide(&table)?.0;
        run.set_snapshot(Some(decision.source_snapshot_id));
        m.previous_snapshot_id = Some(decision.target_snapshot_id);
        m.operation = run.finish();
        m.operation.dry_run = true;
        Ok(Planned {
            operation: self.clone(),
            metrics: m,
        })
    }

    /// Moves the target; nothing is committed when it is already at the source's snapshot.
    pub async fn execute(self) -> Result<RefMetrics> {
        let (mut m, mut run) = metrics(
            Operation::BranchFastForward,
            &self.ident,
            &self.target,
            RefKind::Branch,
        );
        let table = self.catalog.load_table(&self.ident).await?;
        let committed = commit_with_retry(self.catalog, &self.ident, policy(&table)?, |table| {
            std::future::ready(self.attempt(&table))
        })
        .await?;
        let plan = committed.value;
        run.record(&committed);
        run.set_snapshot(Some(plan.source_snapshot_id));
        m.previous_snapshot_id = Some(plan.target_snapshot_id);
        m.operation = run.finish();
        Ok(m)
    }
}

into_future!(CreateRef => RefMetrics);
into_future!(DropRef => RefMetrics);
into_future!(FastForward => RefMetrics);

/// A planned fast-forward; see [`Planned`].
pub type FastForwardPlan<'a> = Planned<FastForward<'a>, RefMetrics>;

impl FastForwardPlan<'_> {
    /// Moves the target (checking the move again on the table it commits on).
    pub async fn execute(self) -> Result<RefMetrics> {
        self.operation.execute().await
    }
}
