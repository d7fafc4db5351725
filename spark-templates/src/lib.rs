//! Typed Spark Operator (`sparkoperator.k8s.io/v1beta2`) builders and Kustomize bases for an Apache
//! Iceberg lakehouse on Kubernetes, with the job code (PySpark and Spark SQL) shipped in each base.
//!
//! Templates (one builder each, returning a [`JobBundle`] of typed objects):
//!
//! | Template | Builder | Emits |
//! |---|---|---|
//! | `cdc-to-iceberg` | [`CdcToIceberg`] | streaming `SparkApplication`: Debezium topic → `MERGE INTO` per micro-batch |
//! | `partition-rebuild` | [`PartitionRebuild`] | `SparkApplication`: overwrite or rewrite a date range, per partition |
//! | `dbt-runner` | [`DbtRunner`] | `ScheduledSparkApplication`: dbt-spark in session mode |
//! | `aggregation-batch` | [`AggregationBatch`] | `ScheduledSparkApplication`: an aggregation for `{{ ds }}` |
//! | `iceberg-maintenance` | [`IcebergMaintenance`] | `ScheduledSparkApplication`: Iceberg procedures per table |
//!
//! Shared settings (catalog, S3, image, resources, restart, monitoring, schedule) come from the
//! [`SparkJobOptions`] trait. Every bundle also holds the driver's ServiceAccount, Role and RoleBinding
//! and a ConfigMap of job code; [`JobBundle::to_bundle`] turns it into a [`manifest_bundle::Bundle`]
//! that writes a Kustomize base.
//!
//! ## Builders
//!
//! Every builder of this crate has one shape, the same as in strimzi-templates and argo-templates:
//!
//! - `X::new(required…)` takes what the job cannot exist without; everything else has a documented
//!   default. The builders are named after their template (`CdcToIceberg` builds `cdc-to-iceberg`)
//!   rather than `XBuilder`, because the committed bases and their READMEs cite those names.
//! - Setters (the template's own, and the shared ones of [`SparkJobOptions`]) take
//!   `impl Into<String>` (or the value's own type) and return `Self`.
//! - `build(self) -> Result<JobBundle>` validates the whole configuration and returns a typed [`Error`].
//! - The [`JobBundle`] it builds implements [`manifest_bundle::Objects`]: `push_into(&mut bundle)`
//!   adds its Kubernetes objects to a [`manifest_bundle::Bundle`], `objects()` returns them as JSON.
//! - The committed bases are [`release`] ([`manifest_bundle::Release`]): the `render-bases` command
//!   writes them, `--check`s them (exit 1, one line per stale file) and packs the release tarball.
//!
//! ```no_run
//! use spark_templates::prelude::*;
//!
//! # fn main() -> Result<(), spark_templates::Error> {
//! let job = CdcToIceberg::new("orders-cdc", "pg.public.orders", "sales.orders")
//!     .bootstrap_servers("lake-kafka-bootstrap.kafka:9092")
//!     .column("id", ColumnType::BigInt)
//!     .column("status", ColumnType::String)
//!     .key("id")
//!     .catalog(
//!         IcebergCatalog::rest("lake", "http://polaris:8181/api/catalog")
//!             .warehouse("lake")
//!             .credential(SecretKeyRef::new("polaris", "credential")),
//!     )
//!     .s3(S3Storage::new(
//!         "http://minio:9000",
//!         SecretKeyRef::new("minio", "access-key-id"),
//!         SecretKeyRef::new("minio", "secret-access-key"),
//!     ))
//!     .executors(3, 2, "4g")
//!     .build()?;
//! job.to_bundle()?.write_clean("deploy/orders-cdc".as_ref())?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod catalog;
pub mod defaults;
mod error;
pub mod job;
pub mod names;
mod render;
pub mod resources;
pub mod templates;
pub mod versions;

/// This crate's version: its release tag is `spark-templates-v<VERSION>` and its release tarball
/// `spark-templates-<VERSION>-kustomize.tar.gz` unpacks to `spark-templates-<VERSION>/bases/<base>/`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use catalog::{CatalogKind, IcebergCatalog, S3Storage, SecretKeyRef};
pub use error::{Error, Result};
pub use job::{Application, JobBundle, Monitoring, Restart, SparkJob, SparkJobOptions};
pub use templates::aggregation_batch::AggregationBatch;
pub use templates::cdc_to_iceberg::{
    BoundedReplay, CdcFormat, CdcToIceberg, ColumnType, KafkaSecurity, StartingOffsets,
};
pub use templates::dbt_runner::{DbtProject, DbtRunner};
pub use templates::iceberg_maintenance::{IcebergMaintenance, Procedure, TableMaintenance};
pub use templates::partition_rebuild::{PartitionRebuild, RebuildMode};

/// Everything needed to build a job: `use spark_templates::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AggregationBatch, BoundedReplay, CdcFormat, CdcToIceberg, ColumnType, DbtProject,
        DbtRunner, IcebergCatalog, IcebergMaintenance, KafkaSecurity, Monitoring, PartitionRebuild,
        Procedure, RebuildMode, Restart, S3Storage, SecretKeyRef, SparkJobOptions, StartingOffsets,
        TableMaintenance,
    };
}

/// The folder of the committed bases in the source tree.
pub fn bases_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bases")
}

/// Every committed base ([`defaults::bundles`]) as this version's release: what the `render-bases`
/// command writes, checks and packs.
pub fn release() -> Result<manifest_bundle::Release> {
    Ok(manifest_bundle::release!(defaults::bundles()?)
        .regenerate_with("cargo run -p spark-templates --bin render-bases"))
}
