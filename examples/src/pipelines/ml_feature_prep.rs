//! `ml-feature-prep`: Iceberg sources → feature table → maintenance, scheduled.
//!
//! 1. **Features** (argo-templates `ml-feature-prep`, 05:00 Europe/Berlin): spark-templates'
//!    `AggregationBatch` computes point-in-time-correct customer features from [`ENTITY_TABLE`]
//!    and [`EVENT_TABLE`] (both read `TIMESTAMP AS OF` the as-of date) into [`FEATURE_TABLE`],
//!    partitioned by `as_of_date`.
//! 2. **Feature table care** (same workflow): icehelper compact → rewrite-manifests →
//!    expire-snapshots on [`FEATURE_TABLE`].
//! 3. **Source maintenance** (spark-templates `iceberg-maintenance`, Sundays 04:00): Iceberg's Spark
//!    procedures on the two source tables, keeping 30 days of snapshots so that the feature job's
//!    time travel (and re-runs for past dates) keep working.

use anyhow::Result;
use argo_templates::pipelines::{CronWorkflowBuilder, MlFeaturePrepBuilder, SCHEDULED_DATE};
use spark_templates::defaults;
use spark_templates::prelude::*;

use super::pipeline_bundle;
use crate::overlay::Overlay;
use crate::released::{ARGO, SPARK};

/// Overlay name.
pub const NAME: &str = "ml-feature-prep";
/// One row per customer.
pub const ENTITY_TABLE: &str = "crm.customers";
/// Orders (event time `updated_at`).
pub const EVENT_TABLE: &str = "sales.orders";
/// The features.
pub const FEATURE_TABLE: &str = "features.customer_features";
/// When the features are computed.
pub const SCHEDULE: &str = "0 5 * * *";
/// In which timezone.
pub const TIMEZONE: &str = "Europe/Berlin";

const README: &str = "# ml-feature-prep

Iceberg sources (`crm.customers`, `sales.orders`) → point-in-time-correct customer features in
`features.customer_features` (Argo CronWorkflow `ml-feature-prep`, 05:00 Europe/Berlin, as of the
scheduled date; spark-templates `AggregationBatch`) → icehelper compact, rewrite-manifests and
expire-snapshots on the feature table → weekly Spark maintenance of the source tables
(spark-templates `iceberg-maintenance`, Sundays 04:00 UTC, 30 days of snapshots kept so that the
features' `TIMESTAMP AS OF` reads and re-runs for past dates work).

Built by `cargo run -p examples --example ml-feature-prep` from the released bases of argo-templates
(`workflow-library`, `ml-feature-prep`) and spark-templates (`iceberg-maintenance`); `patches/` and
`configmaps/` hold only what differs from them.
";

/// The pipeline's overlay.
pub fn overlay() -> Result<Overlay> {
    let mut o = Overlay::new(NAME, README);
    o.base(ARGO, "workflow-library")?
        .base(ARGO, "ml-feature-prep")?
        .base(SPARK, "iceberg-maintenance")?;

    let features = MlFeaturePrepBuilder::new(ENTITY_TABLE, EVENT_TABLE, FEATURE_TABLE).build()?;
    o.want_bundle(&pipeline_bundle("ml-feature-prep", &features)?)?;
    o.want(
        &CronWorkflowBuilder::new("ml-feature-prep", "ml-feature-prep")
            .schedule(SCHEDULE)
            .timezone(TIMEZONE)
            .argument("as-of", SCHEDULED_DATE)
            .build()?,
    )?;

    let sources = IcebergMaintenance::new("lake-maintenance")
        .table(
            TableMaintenance::new(EVENT_TABLE)
                .target_file_size(512 * 1024 * 1024)
                .min_input_files(5)
                .partial_progress(true)
                .older_than("30d")
                .retain_last(10),
        )
        .table(TableMaintenance::new(ENTITY_TABLE).older_than("30d"))
        .catalog(defaults::catalog())
        .s3(defaults::s3())
        .executors(2, 2, "4g")
        .schedule("0 4 * * 0")
        .build()?;
    o.want_bundle(&sources.to_bundle()?)?;
    Ok(o)
}
