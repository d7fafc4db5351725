//! `KafkaConnect` with a plugin build and `KafkaConnector`s for Debezium Postgres CDC and the
//! Apache Iceberg sink.
//!
//! One file per part:
//!
//! - `worker`: the `KafkaConnect` cluster ([`KafkaConnectBuilder`]) and its plugin build.
//! - `connector`: what every `KafkaConnector` shares (spec, converters).
//! - `postgres`: the Debezium Postgres source ([`PostgresSourceBuilder`]).
//! - `iceberg`: the Apache Iceberg sink ([`IcebergSinkBuilder`]).

mod connector;
mod iceberg;
mod postgres;
#[cfg(test)]
mod tests;
mod worker;

pub use connector::{
    AutoRestart, ConnectorState, KafkaConnector, KafkaConnectorSpec, CONFLUENT_WIRE_FORMAT,
};
pub use iceberg::{IcebergSinkBuilder, ICEBERG_CONTROL_GROUP_PREFIX};
pub use postgres::{PostgresSourceBuilder, SnapshotMode};
pub use worker::{
    Artifact, Build, BuildOutput, CertificateAndKey, ConnectAuthentication, ConnectCluster,
    ConnectTls, KafkaConnect, KafkaConnectBuilder, KafkaConnectSpec, PasswordSecret, Plugin,
    TrustedCertificate,
};

/// Debezium release whose Postgres connector is built into the Connect image.
pub const DEBEZIUM_VERSION: &str = "3.3.1.Final";
/// Apicurio Registry release of the Kafka Connect converters (matches the pinned registry).
pub const APICURIO_VERSION: &str = "3.3.1";
/// Apache Iceberg release of the Kafka Connect sink.
pub const ICEBERG_VERSION: &str = "1.10.0";
/// Apicurio's Avro converter class.
pub const APICURIO_AVRO_CONVERTER: &str = "io.apicurio.registry.utils.converter.AvroConverter";
/// Strimzi's config provider that reads Secrets through the Kubernetes API.
pub const SECRET_CONFIG_PROVIDER: &str = "io.strimzi.kafka.KubernetesSecretConfigProvider";
