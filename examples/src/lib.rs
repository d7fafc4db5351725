//! data-tier's example pipelines, each a Rust program (`cargo run -p examples --example NAME`)
//! that builds a multi-step lakehouse pipeline with the template crates' builders and writes a
//! Kustomize overlay over the **released** bases:
//!
//! | Example | Pipeline |
//! |---|---|
//! | `cdc-lakehouse` ([`pipelines::cdc_lakehouse`]) | Postgres CDC → Strimzi Kafka (Debezium, Avro + schema registry) → Iceberg (spark-templates `cdc-to-iceberg`) → daily aggregation (Argo CronWorkflow) → nightly maintenance (icehelper) |
//! | `ml-feature-prep` ([`pipelines::ml_feature_prep`]) | Iceberg sources → point-in-time feature table → compaction/expiry, scheduled; weekly Spark maintenance of the sources |
//! | `cdc-backfill` ([`pipelines::cdc_backfill`]) | pause the sink, replay Kafka from a timestamp into an Iceberg branch, verify, publish (fast-forward `main`), resume; plus one run of it |
//!
//! The overlay refers to the bases as the release tarballs unpack
//! (`<BASES>/<crate>-<version>/bases/<base>/`): download the `*-kustomize.tar.gz` assets of the
//! template crates' releases into `BASES` and unpack them, or pass `--render-bases` to build the
//! same tarballs from this checkout ([`released::stage`]).
#![deny(missing_docs)]

pub mod cli;
pub mod overlay;
pub mod pipelines;
pub mod released;

pub use overlay::Overlay;
pub use released::{Component, ARGO, SPARK, STRIMZI};
