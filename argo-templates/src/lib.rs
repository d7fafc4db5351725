//! Typed builders and rendered Kustomize bases for Argo Workflows v4.1 (`argoproj.io/v1alpha1`):
//! WorkflowTemplates that compose with `templateRef` into lakehouse pipelines (Spark jobs from
//! spark-templates, icehelper table maintenance, CDC backfill) and CronWorkflows that schedule them
//! (v4 `schedules` list, `concurrencyPolicy: Forbid`).
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

/// The folder of the committed bases in the source tree.
pub fn bases_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bases")
}

/// Every committed base ([`bases::bundles`]) as this version's release: what the `render-bases`
/// example writes, checks and packs.
pub fn release() -> Result<manifest_bundle::Release> {
    Ok(manifest_bundle::Release::new(
        env!("CARGO_PKG_NAME"),
        VERSION,
        bases_dir(),
        bases::bundles()?,
    ))
}
