//! The plan of an operation whose commit re-decides on the table as it is at commit time (a
//! rollback, a fast-forward, a manifest rewrite): what it would do, as the dry run reports it,
//! and the operation to carry it out.

/// A planned operation: [`metrics`](Self::metrics) is the dry run; `execute()` (on each
/// operation's plan type, e.g. [`crate::rollback::RollbackPlan`]) commits it. The commit loop
/// decides again on the table it commits on (that decision is cheap, and a plan made on an older
/// table must not be forced onto a newer one); nothing of the plan has been written.
#[must_use = "a plan changes nothing until execute() is awaited"]
#[derive(Debug, Clone)]
pub struct Planned<O, M> {
    pub(crate) operation: O,
    pub(crate) metrics: M,
}

impl<O, M> Planned<O, M> {
    /// What executing would do: the dry run's report.
    pub fn metrics(&self) -> M
    where
        M: Clone,
    {
        self.metrics.clone()
    }

    /// The dry run's report, taking the plan apart.
    pub fn into_metrics(self) -> M {
        self.metrics
    }
}
