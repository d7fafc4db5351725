//! `cdc-lakehouse`: Postgres CDC → Strimzi Kafka (Debezium) → Iceberg (spark-templates
//! `cdc-to-iceberg`) → daily aggregation (Argo CronWorkflow) → nightly maintenance.
//!
//! 1. **Kafka** (`small-cluster`, `schema-registry`): a KRaft cluster with mTLS and Apicurio
//!    Registry, as released.
//! 2. **Debezium** (`debezium-postgres`): the Postgres source connector, pointed at this
//!    deployment's database host ([`SOURCE_DATABASE_HOST`]); the base's Kafka Connect Iceberg sink is
//!    removed, because Spark writes the table in this pipeline.
//! 3. **CDC into Iceberg** (`cdc-to-iceberg`): the streaming Spark job merging
//!    `inventory.public.orders` into [`ORDERS_TABLE`], partitioned by day, committing every two
//!    minutes.
//! 4. **Daily aggregation** (`daily-aggregation`): Spark aggregates yesterday's orders of
//!    [`ORDERS_TABLE`] into [`DAILY_TABLE`], then `icehelper partition-health --fail-under 60`.
//! 5. **Nightly maintenance** (`iceberg-maintenance`): icehelper compact → rewrite-manifests →
//!    expire-snapshots → remove-orphan-files on both tables.

use anyhow::Result;
use argo_templates::pipelines::{
    CronWorkflowBuilder, DailyAggregationBuilder, IcebergMaintenanceBuilder,
    SCHEDULED_PREVIOUS_DATE,
};
use strimzi_templates::bases as kafka;
use strimzi_templates::connect::{PostgresSourceBuilder, SnapshotMode};
use strimzi_templates::registry::apicurio_api_url;
use strimzi_templates::secret::SecretKeyRef;

use super::pipeline_bundle;
use crate::overlay::Overlay;
use crate::released::{ARGO, SPARK, STRIMZI};

/// Overlay name.
pub const NAME: &str = "cdc-lakehouse";
/// The Iceberg table the CDC job writes (spark-templates' default target).
pub const ORDERS_TABLE: &str = "sales.orders";
/// The daily aggregate.
pub const DAILY_TABLE: &str = "marts.daily_orders";
/// The Postgres the connector reads in this deployment.
pub const SOURCE_DATABASE_HOST: &str = "shop-postgres.databases.svc";
/// Minimum partition health score of the aggregate.
pub const FAIL_UNDER: u8 = 60;

const README: &str = "# cdc-lakehouse

Postgres CDC → Strimzi Kafka (Debezium, Avro + Apicurio Registry) → Iceberg `sales.orders`
(spark-templates `cdc-to-iceberg`, a streaming SparkApplication) → daily aggregation into
`marts.daily_orders` (Argo CronWorkflow, 02:00 UTC, then `icehelper partition-health --fail-under 60`)
→ nightly maintenance of both tables (Argo CronWorkflow, 03:30 UTC: icehelper compact,
rewrite-manifests, expire-snapshots, remove-orphan-files).

Built by `cargo run -p examples --example cdc-lakehouse` from the released bases of
strimzi-templates (`small-cluster`, `schema-registry`, `debezium-postgres`), spark-templates
(`cdc-to-iceberg`) and argo-templates (`workflow-library`, `daily-aggregation`,
`iceberg-maintenance`). `patches/` holds only what differs from the bases:

- the Debezium source reads `shop-postgres.databases.svc`;
- the base's Kafka Connect Iceberg sink is deleted (Spark writes the table here);
- the CDC job partitions by `days(updated_at)` and commits every 2 minutes (`job.json` merged into its
  code ConfigMap);
- the daily aggregation reads `sales.orders` and requires a partition health of 60;
- maintenance covers `sales.orders` and `marts.daily_orders`.

Deploy the operators (Strimzi, Apicurio Registry, Spark Operator, Argo Workflows) and the Secrets
the bases' READMEs list, then `kubectl apply -k .` in namespace `kafka` (the bases' Secret references
assume it).
";

/// The pipeline's overlay.
pub fn overlay() -> Result<Overlay> {
    let mut o = Overlay::new(NAME, README);
    o.base(STRIMZI, "small-cluster")?
        .base(STRIMZI, "schema-registry")?
        .base(STRIMZI, "debezium-postgres")?
        .base(SPARK, "cdc-to-iceberg")?
        .base(ARGO, "workflow-library")?
        .base(ARGO, "daily-aggregation")?
        .base(ARGO, "iceberg-maintenance")?;

    // 2. Debezium reads this deployment's database; Spark, not Kafka Connect, writes Iceberg.
    let secret = |key| SecretKeyRef::new(kafka::NAMESPACE, kafka::POSTGRES_SECRET, key);
    let source = PostgresSourceBuilder::new(
        kafka::CONNECT,
        kafka::POSTGRES_CONNECTOR,
        kafka::TOPIC_PREFIX,
    )
    .database(SOURCE_DATABASE_HOST, 5432, "inventory")
    .credentials(secret("username")?, secret("password")?)
    .tables(kafka::CAPTURED_TABLES)
    .snapshot_mode(SnapshotMode::Initial)
    .registry_url(apicurio_api_url(kafka::REGISTRY));
    o.want(&source.build()?.to_value()?)?;
    o.delete("KafkaConnector", kafka::ICEBERG_CONNECTOR)?;

    // 3. CDC into Iceberg.
    let cdc = spark_templates::defaults::cdc_to_iceberg()
        .partition_by("days(updated_at)")
        .trigger_interval("2 minutes")
        .build()?;
    o.want_bundle(&cdc.to_bundle()?)?;

    // 4. Daily aggregation of the CDC table, at 02:00 UTC for the previous day.
    let daily = DailyAggregationBuilder::new(ORDERS_TABLE, DAILY_TABLE)
        .fail_under(FAIL_UNDER)
        .build()?;
    o.want_bundle(&pipeline_bundle("daily-aggregation", &daily)?)?;
    o.want(
        &CronWorkflowBuilder::new("daily-aggregation", "daily-aggregation")
            .schedule("0 2 * * *")
            .argument("date", SCHEDULED_PREVIOUS_DATE)
            .build()?,
    )?;

    // 5. Nightly maintenance of both tables, at 03:30 UTC.
    o.want(
        &IcebergMaintenanceBuilder::new([ORDERS_TABLE, DAILY_TABLE])
            .build()?
            .workflow_template,
    )?;
    o.want(
        &CronWorkflowBuilder::new("iceberg-maintenance", "iceberg-maintenance")
            .schedule("30 3 * * *")
            .build()?,
    )?;
    Ok(o)
}
