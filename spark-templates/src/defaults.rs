//! The parameters of the committed bases: a homelab lakehouse (Polaris REST catalog, MinIO).

use manifest_bundle::Bundle;

use crate::catalog::{IcebergCatalog, S3Storage, SecretKeyRef};
use crate::error::Result;
use crate::job::SparkJobOptions;
use crate::templates::aggregation_batch::AggregationBatch;
use crate::templates::cdc_to_iceberg::{CdcFormat, CdcToIceberg, ColumnType, KafkaSecurity};
use crate::templates::dbt_runner::DbtRunner;
use crate::templates::iceberg_maintenance::{IcebergMaintenance, TableMaintenance};
use crate::templates::partition_rebuild::{PartitionRebuild, RebuildMode};

/// The REST catalog `lake` of the homelab (Polaris), credential from Secret `iceberg-catalog`.
pub fn catalog() -> IcebergCatalog {
    IcebergCatalog::rest("lake", "http://polaris.lake.svc:8181/api/catalog")
        .warehouse("lake")
        .credential(SecretKeyRef::new("iceberg-catalog", "credential"))
        .scope("PRINCIPAL_ROLE:ALL")
}

/// MinIO of the homelab, keys from Secret `s3-credentials`.
pub fn s3() -> S3Storage {
    S3Storage::new(
        "http://minio.minio.svc:9000",
        SecretKeyRef::new("s3-credentials", "access-key-id"),
        SecretKeyRef::new("s3-credentials", "secret-access-key"),
    )
}

/// The TLS listener of strimzi-templates' `small-cluster` (`lake`, namespace `kafka`): the only
/// listener it has (mTLS).
pub const KAFKA_BOOTSTRAP: &str = "lake-kafka-bootstrap.kafka.svc:9093";
/// The cluster CA certificate Secret of that cluster (`ca.p12`, `ca.password`).
pub const KAFKA_CLUSTER_CA_SECRET: &str = "lake-cluster-ca-cert";
/// The `KafkaUser` (mTLS) strimzi-templates' `debezium-postgres` base creates for this crate's
/// streaming CDC job; also its consumer group prefix (the ACL is by prefix).
pub const KAFKA_CDC_USER: &str = "spark-cdc";
/// The Confluent-compatible API of strimzi-templates' `schema-registry` base (Apicurio Registry 3
/// `schema-registry` in namespace `kafka`).
pub const SCHEMA_REGISTRY_CCOMPAT_URL: &str =
    "http://schema-registry-app-service.kafka.svc:8080/apis/ccompat/v7";
/// The orders change topic of strimzi-templates' `debezium-postgres` base (prefix `inventory`).
pub const ORDERS_TOPIC: &str = "inventory.public.orders";

/// mTLS to strimzi-templates' `lake` cluster as `KafkaUser` `user` (its Secret has the same name).
pub fn kafka_tls(user: &str) -> KafkaSecurity {
    KafkaSecurity::strimzi_tls(user, KAFKA_CLUSTER_CA_SECRET)
}

/// Debezium Avro as strimzi-templates' connectors write it (Apicurio, Confluent wire format).
pub fn cdc_format() -> CdcFormat {
    CdcFormat::confluent_avro(SCHEMA_REGISTRY_CCOMPAT_URL)
}

/// The `cdc-to-iceberg` base: [`ORDERS_TOPIC`] into `sales.orders`, Avro with schemas from
/// [`SCHEMA_REGISTRY_CCOMPAT_URL`], mTLS as [`KAFKA_CDC_USER`] on [`KAFKA_BOOTSTRAP`].
pub fn cdc_to_iceberg() -> CdcToIceberg {
    CdcToIceberg::new("orders-cdc", ORDERS_TOPIC, "sales.orders")
        .bootstrap_servers(KAFKA_BOOTSTRAP)
        .kafka_security(kafka_tls(KAFKA_CDC_USER))
        .group_id_prefix(KAFKA_CDC_USER)
        .format(cdc_format())
        .column("id", ColumnType::BigInt)
        .column("customer_id", ColumnType::BigInt)
        .column("status", ColumnType::String)
        .column("amount", ColumnType::Decimal(12, 2))
        .column("updated_at", ColumnType::Timestamp)
        .key("id")
        .catalog(catalog())
        .s3(s3())
}

/// The `partition-rebuild` base: rewrite a week of `analytics.events`.
pub fn partition_rebuild() -> PartitionRebuild {
    PartitionRebuild::new("events-rebuild", "analytics.events", RebuildMode::Rewrite)
        .partition_column("ds")
        .range("2024-01-01", "2024-01-07")
        .target_file_size(512 * 1024 * 1024)
        .catalog(catalog())
        .s3(s3())
}

/// The `dbt-runner` base with the example project.
pub fn dbt_runner() -> DbtRunner {
    DbtRunner::new("dbt-analytics").catalog(catalog()).s3(s3())
}

/// The `aggregation-batch` base: daily event counts into `analytics.events_daily`.
pub fn aggregation_batch() -> AggregationBatch {
    AggregationBatch::new("events-daily", "analytics.events_daily")
        .catalog(catalog())
        .s3(s3())
}

/// The `iceberg-maintenance` base: two tables.
pub fn iceberg_maintenance() -> IcebergMaintenance {
    IcebergMaintenance::new("lake-maintenance")
        .table(
            TableMaintenance::new("analytics.events")
                .target_file_size(512 * 1024 * 1024)
                .min_input_files(5)
                .partial_progress(true)
                .older_than("7d")
                .retain_last(10)
                .max_concurrent_deletes(4),
        )
        .table(TableMaintenance::new("sales.orders").older_than("3d"))
        .catalog(catalog())
        .s3(s3())
        .executors(2, 2, "4g")
}

/// Every committed base, in folder order.
pub fn bundles() -> Result<Vec<Bundle>> {
    Ok(vec![
        aggregation_batch().build()?.to_bundle()?,
        cdc_to_iceberg().build()?.to_bundle()?,
        dbt_runner().build()?.to_bundle()?,
        iceberg_maintenance().build()?.to_bundle()?,
        partition_rebuild().build()?.to_bundle()?,
    ])
}
