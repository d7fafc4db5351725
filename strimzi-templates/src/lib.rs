//! Typed builders and rendered Kustomize bases for Strimzi 1.x (`kafka.strimzi.io/v1`): a small
//! KRaft Kafka cluster, topics and users with least-privilege ACLs, Debezium Postgres CDC on Kafka
//! Connect with an Apache Iceberg sink, and a schema registry.
//!
//! Every builder validates its input and returns a typed [`Error`]; credentials are only ever
//! referenced (Secret names, or `${secrets:namespace/name:key}` placeholders resolved by
//! Strimzi's `KubernetesSecretConfigProvider`).
//!
//! ## Builders
//!
//! Every builder of this crate has one shape, the same as in spark-templates and argo-templates:
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
//! Here: `KafkaClusterBuilder` → [`kafka::KafkaCluster`], `TopicBuilder` → [`topic::KafkaTopic`],
//! `UserBuilder` → [`user::KafkaUser`], `KafkaConnectBuilder` → [`connect::ConnectCluster`],
//! `PostgresSourceBuilder` and `IcebergSinkBuilder` → [`connect::KafkaConnector`]; custom resources
//! are [`manifest_bundle::CustomResource`]s.
//!
//! ```no_run
//! use strimzi_templates::kafka::{KafkaClusterBuilder, Topology};
//! use strimzi_templates::topic::{CleanupPolicy, TopicBuilder};
//!
//! let cluster = KafkaClusterBuilder::new("lake")
//!     .topology(Topology::Dedicated { controllers: 3, brokers: 3 })
//!     .build()?;
//! let topic = TopicBuilder::cdc(cluster.name(), "inventory.public.orders", CleanupPolicy::Compact)
//!     .build()?;
//! let base = strimzi_templates::bases::small_cluster()?;
//! # Ok::<(), strimzi_templates::Error>(())
//! ```
#![deny(missing_docs)]

pub mod bases;
pub mod connect;
mod error;
pub mod kafka;
pub mod meta;
pub mod registry;
pub mod secret;
pub mod topic;
pub mod user;

pub use error::{Error, Result};

/// This crate's version: its release tag is `strimzi-templates-v<VERSION>` and its release tarball
/// `strimzi-templates-<VERSION>-kustomize.tar.gz` unpacks to `strimzi-templates-<VERSION>/bases/<base>/`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every committed base ([`bases::bundles`]) as this version's release: what the `render-bases`
/// example writes, checks and packs.
pub fn release() -> Result<manifest_bundle::Release> {
    Ok(manifest_bundle::release!(bases::bundles()?))
}
