#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

/// `icehelper-core`: Iceberg catalogs, storage, inspection, partition health and maintenance (the
/// library behind the `icehelper` binary of `icehelper-cli`). Feature `icehelper`.
#[cfg(feature = "icehelper")]
pub use icehelper_core as icehelper;

/// `spark-templates`: typed Spark Operator `SparkApplication` builders and their Kustomize bases.
/// Feature `spark`.
#[cfg(feature = "spark")]
pub use spark_templates as spark;

/// `strimzi-templates`: typed Strimzi Kafka, Debezium (Kafka Connect) and schema registry builders
/// and their Kustomize bases. Feature `strimzi`.
#[cfg(feature = "strimzi")]
pub use strimzi_templates as strimzi;

/// `argo-templates`: Argo Workflows `WorkflowTemplate` / `CronWorkflow` pipelines composing the
/// other components. Feature `argo`.
#[cfg(feature = "argo")]
pub use argo_templates as argo;

/// Cross-component guides: how the lakehouse fits together, streaming and batch patterns.
///
/// Their Rust snippets are compiled as doctests of this crate (with every feature on).
pub mod guides {
    #[doc = include_str!("../docs/iceberg-on-basecamp.md")]
    pub mod iceberg_on_basecamp {}
    #[doc = include_str!("../docs/streaming-patterns.md")]
    pub mod streaming_patterns {}
    #[doc = include_str!("../docs/batch-patterns.md")]
    pub mod batch_patterns {}
}

/// Runbooks: a symptom, how to confirm it with `icehelper`, how to fix it, how to prevent it.
///
/// Every runbook follows the same shape and names the `icehelper` commands (exit codes: `0` ok,
/// `1` a problem was found, `2` error) that diagnose and fix the problem.
pub mod runbooks {
    #[doc = include_str!("../docs/runbooks/compaction-needed.md")]
    pub mod compaction_needed {}
    #[doc = include_str!("../docs/runbooks/schema-evolution-broke-a-reader.md")]
    pub mod schema_evolution_broke_a_reader {}
    #[doc = include_str!("../docs/runbooks/object-store-out-of-space.md")]
    pub mod object_store_out_of_space {}
    #[doc = include_str!("../docs/runbooks/query-engine-out-of-memory.md")]
    pub mod query_engine_out_of_memory {}
    #[doc = include_str!("../docs/runbooks/catalog-pointer-lost.md")]
    pub mod catalog_pointer_lost {}
}
