//! Typed builders and rendered Kustomize bases for Argo Workflows v4.1 (`argoproj.io/v1alpha1`):
//! WorkflowTemplates that compose with `templateRef` into lakehouse pipelines (Spark jobs from
//! spark-templates, icehelper table maintenance, CDC backfill) and CronWorkflows that schedule them
//! (v4 `schedules` list, `concurrencyPolicy: Forbid`).
//!
//! ## Builders
//!
//! Every builder of this crate has one shape, the same as in spark-templates and strimzi-templates:
//!
//! - `XBuilder::new(required…)` takes what the object cannot exist without; everything else has a
//!   documented default.
//! - Setters take `impl Into<String>` (or the value's own type), lists any iterable of string-likes
//!   (`impl IntoIterator<Item = impl AsRef<str>>`), and return `Self`.
//! - `build(self) -> Result<X>` validates the whole configuration and returns a typed [`Error`].
//! - What it builds implements [`manifest_bundle::Objects`]: `push_into(&mut bundle)` adds its
//!   Kubernetes objects to a [`manifest_bundle::Bundle`], `objects()` returns them as JSON.
//! - The committed bases are [`release`] ([`manifest_bundle::Release`]): the `render-bases` command
//!   writes them, `--check`s them (exit 1, one line per stale file) and packs the release tarball.
//!
//! Here: one builder per pipeline, `DailyAggregationBuilder`, `MlFeaturePrepBuilder`,
//! `IcebergMaintenanceBuilder` → [`pipelines::Pipeline`] and `CdcBackfillBuilder` →
//! [`pipelines::CdcBackfill`], and `CronWorkflowBuilder` → [`model::CronWorkflow`] (a
//! [`manifest_bundle::CustomResource`]).
//!
//! ```no_run
//! use argo_templates::pipelines::{CronWorkflowBuilder, IcebergMaintenanceBuilder};
//!
//! let pipeline = IcebergMaintenanceBuilder::new(["raw.orders"]).build()?;
//! let cron = CronWorkflowBuilder::new("iceberg-maintenance", "iceberg-maintenance")
//!     .schedule("30 3 * * *")
//!     .build()?;
//! // An invalid schedule is a typed error.
//! assert!(CronWorkflowBuilder::new("x", "y").schedule("61 * * * *").build().is_err());
//! # Ok::<(), argo_templates::Error>(())
//! ```
#![deny(missing_docs)]

pub mod bases;
pub mod cron;
mod error;
pub mod icehelper;
pub mod library;
pub mod model;
pub mod pipelines;
mod render;
pub mod spark;

pub use error::{Error, Result};

/// This crate's version: its release tag is `argo-templates-v<VERSION>` and its release tarball
/// `argo-templates-<VERSION>-kustomize.tar.gz` unpacks to `argo-templates-<VERSION>/bases/<base>/`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every committed base ([`bases::bundles`]) as this version's release: what the `render-bases`
/// example writes, checks and packs.
pub fn release() -> Result<manifest_bundle::Release> {
    Ok(manifest_bundle::release!(bases::bundles()?))
}
