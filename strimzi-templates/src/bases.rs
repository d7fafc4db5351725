//! The committed Kustomize bases under `strimzi-templates/bases/`, built from the typed builders
//! with the defaults documented in each base's README.

use serde_json::Value;

use crate::connect::{
    IcebergSinkBuilder, KafkaConnectBuilder, PostgresSourceBuilder, SnapshotMode,
    ICEBERG_CONTROL_GROUP_PREFIX,
};
use crate::error::Result;
use crate::kafka::{ClientAuth, KafkaCluster, KafkaClusterBuilder, Topology};
use crate::registry::{apicurio_api_url, apicurio_registry, ConfluentRegistry, RegistryStorage};
use crate::registry::{CONFLUENT_TOPIC, KAFKASQL_TOPIC};
use crate::secret::SecretKeyRef;
use crate::topic::{CleanupPolicy, TopicBuilder};
use crate::user::UserBuilder;

/// Namespace the bases' Secret references assume (Kustomize does not rewrite config strings).
pub const NAMESPACE: &str = "kafka";
/// Cluster name of the `small-cluster` base.
pub const CLUSTER: &str = "lake";
/// Kafka Connect cluster name of the `debezium-postgres` base.
pub const CONNECT: &str = "cdc";
/// Debezium topic prefix of the `debezium-postgres` base.
pub const TOPIC_PREFIX: &str = "inventory";
/// Captured tables of the `debezium-postgres` base.
pub const CAPTURED_TABLES: [&str; 2] = ["public.orders", "public.customers"];
/// Postgres source connector name.
pub const POSTGRES_CONNECTOR: &str = "inventory-postgres";
/// Iceberg sink connector name.
pub const ICEBERG_CONNECTOR: &str = "inventory-iceberg";
/// Iceberg namespace the sink writes.
pub const ICEBERG_NAMESPACE: &str = "raw_inventory";
/// Consumer group (and `KafkaUser`) of the Spark CDC backfill job.
pub const BACKFILL_GROUP: &str = "cdc-backfill";
/// Secret with the Postgres replication user (`username`, `password`).
pub const POSTGRES_SECRET: &str = "inventory-postgres-cdc";
/// Secret with S3 credentials (`access-key-id`, `secret-access-key`).
pub const S3_SECRET: &str = "lake-s3";
/// Name of the `ApicurioRegistry3`.
pub const REGISTRY: &str = "schema-registry";

/// One rendered base: name, README and objects in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// Folder name under `bases/`.
    pub name: &'static str,
    /// README.md content.
    pub readme: String,
    /// Objects, in the order they are listed in `kustomization.yaml`.
    pub objects: Vec<Value>,
}

/// The default cluster the other bases connect to.
pub fn default_cluster() -> Result<KafkaCluster> {
    KafkaClusterBuilder::new(CLUSTER)
        .topology(Topology::Dedicated {
            controllers: 3,
            brokers: 3,
        })
        .client_auth(ClientAuth::Tls)
        .build()
}

/// `small-cluster`: 3 controllers + 3 brokers, mTLS listener, metrics, entity operator.
pub fn small_cluster() -> Result<Base> {
    let cluster = default_cluster()?;
    Ok(Base {
        name: "small-cluster",
        readme: format!(
            "# small-cluster\n\nStrimzi 1.x KRaft Kafka cluster `{CLUSTER}` (`kafka.strimzi.io/v1`).\n\n\
             - `KafkaNodePool`s `controller` (3 KRaft controllers) and `broker` (3 brokers), JBOD with one \
             persistent-claim volume each (`kraftMetadata: shared`). For 3 dual-role nodes build with \
             `Topology::DualRole {{ nodes: 3 }}`.\n\
             - Internal TLS listener `tls` on 9093 with mutual-TLS client authentication and `simple` \
             authorization (ACLs come from `KafkaUser`s).\n\
             - `default.replication.factor` 3, `min.insync.replicas` 2, no topic auto-creation.\n\
             - JMX Prometheus exporter rules in ConfigMap `{CLUSTER}-kafka-metrics`, Kafka Exporter, topic and \
             user operators.\n\nBootstrap: `{}`. Cluster CA: Secret `{}`.\n\n\
             Regenerate with `cargo run -p strimzi-templates --example render-bases`.\n",
            cluster.bootstrap_servers(),
            cluster.cluster_ca_secret()
        ),
        objects: cluster.objects()?,
    })
}

fn secret(name: &str, key: &str) -> Result<SecretKeyRef> {
    SecretKeyRef::new(NAMESPACE, name, key)
}

/// `debezium-postgres`: Kafka Connect with a plugin build, Postgres source, Iceberg sink, their
/// topics and users.
pub fn debezium_postgres() -> Result<Base> {
    let cluster = default_cluster()?;
    let registry_url = apicurio_api_url(REGISTRY);
    let connect = KafkaConnectBuilder::new(CONNECT, &cluster, NAMESPACE)
        .image("registry.example.com/data-tier/kafka-connect-cdc:0.1.0")
        .push_secret("registry-push")
        .readable_secrets(&[POSTGRES_SECRET, S3_SECRET]);
    let source = PostgresSourceBuilder::new(CONNECT, POSTGRES_CONNECTOR, TOPIC_PREFIX)
        .database("inventory-postgres.databases.svc", 5432, "inventory")
        .credentials(
            secret(POSTGRES_SECRET, "username")?,
            secret(POSTGRES_SECRET, "password")?,
        )
        .tables(&CAPTURED_TABLES)
        .snapshot_mode(SnapshotMode::Initial)
        .registry_url(&registry_url);
    let cdc_topics: Vec<String> = CAPTURED_TABLES.iter().map(|t| source.topic_for(t)).collect();
    let cdc_refs: Vec<&str> = cdc_topics.iter().map(String::as_str).collect();
    let sink = IcebergSinkBuilder::new(CONNECT, ICEBERG_CONNECTOR)
        .topics(&cdc_refs)
        .namespace(ICEBERG_NAMESPACE)
        .catalog("http://iceberg-rest.lakehouse.svc:8181", "s3://lake/warehouse")
        .s3_endpoint("http://minio.lakehouse.svc:9000")
        .s3_credentials(
            secret(S3_SECRET, "access-key-id")?,
            secret(S3_SECRET, "secret-access-key")?,
        )
        .registry_url(&registry_url);

    let mut objects = Vec::new();
    let [configs, offsets, status] = connect.storage_topics();
    for (t, partitions) in [(&configs, 1), (&offsets, 25), (&status, 5)] {
        objects.push(TopicBuilder::connect_storage(CLUSTER, t, partitions).build()?.to_value()?);
    }
    for t in &cdc_topics {
        objects.push(
            TopicBuilder::cdc(CLUSTER, t, CleanupPolicy::Compact)
                .build()?
                .to_value()?,
        );
    }
    let dlq = sink.dead_letter().unwrap_or_default().to_owned();
    objects.push(TopicBuilder::dead_letter(CLUSTER, &dlq).build()?.to_value()?);
    objects.push(
        TopicBuilder::new(CLUSTER, sink.control())
            .partitions(1)
            .config("cleanup.policy", "delete")
            .retention_ms(7 * 24 * 3_600_000)
            .build()?
            .to_value()?,
    );
    let [c0, c1, c2] = connect.storage_topics();
    let connect_user = UserBuilder::new(CLUSTER, CONNECT, cluster.client_auth())
        .connect_worker(&connect.group_id(), [&c0, &c1, &c2])
        .source_connector(&format!("{TOPIC_PREFIX}."))
        .source_connector(&format!("__debezium-heartbeat.{TOPIC_PREFIX}"))
        .sink_connector(ICEBERG_CONNECTOR, &sink.source_topics())
        .iceberg_control(ICEBERG_CONNECTOR, sink.control(), ICEBERG_CONTROL_GROUP_PREFIX)
        .producer(&[&dlq])
        .build()?;
    objects.push(connect_user.to_value()?);
    let backfill_user = UserBuilder::new(CLUSTER, BACKFILL_GROUP, cluster.client_auth())
        .consumer_group(BACKFILL_GROUP, &cdc_refs)
        .build()?;
    objects.push(backfill_user.to_value()?);
    objects.extend(connect.build()?.objects()?);
    objects.push(source.build()?.to_value()?);
    objects.push(sink.build()?.to_value()?);

    Ok(Base {
        name: "debezium-postgres",
        readme: format!(
            "# debezium-postgres\n\nKafka Connect cluster `{CONNECT}` on `{CLUSTER}` with a Strimzi image build \
             (Debezium Postgres connector, Apicurio converters, Apache Iceberg sink as Maven artifacts).\n\n\
             - `KafkaConnector` `{POSTGRES_CONNECTOR}`: `pgoutput`, slot and publication derived from the topic prefix \
             `{TOPIC_PREFIX}`, tables {tables}, heartbeat, `snapshot.mode: initial`, Avro via Apicurio at `{registry_url}`.\n\
             - `KafkaConnector` `{ICEBERG_CONNECTOR}`: Apache Iceberg sink into namespace `{ICEBERG_NAMESPACE}` (the no-Spark path \
             into the lakehouse), dead letters to `{dlq}`.\n\
             - Credentials are `${{secrets:{NAMESPACE}/<secret>:<key>}}` placeholders resolved by \
             `KubernetesSecretConfigProvider`; the Role `{CONNECT}-connect-secrets` lets Connect read exactly \
             `{POSTGRES_SECRET}` and `{S3_SECRET}`. Create those Secrets (and `registry-push`) yourself.\n\
             - `KafkaUser`s `{CONNECT}` (the workers) and `{BACKFILL_GROUP}` (Spark CDC backfill) with least-privilege ACLs.\n\n\
             The placeholders assume namespace `{NAMESPACE}`.\n",
            tables = CAPTURED_TABLES.join(", "),
        ),
        objects,
    })
}

fn registry_user_and_topic(user: &str, topic: &str, group_prefix: &str) -> Result<Vec<Value>> {
    let cluster = default_cluster()?;
    let topic_cr = TopicBuilder::new(CLUSTER, topic)
        .partitions(1)
        .config("cleanup.policy", if topic == CONFLUENT_TOPIC { "compact" } else { "delete" })
        .config("retention.ms", -1)
        .build()?;
    let user_cr = UserBuilder::new(CLUSTER, user, cluster.client_auth())
        .connect_worker(group_prefix, [topic, topic, topic])
        .build()?;
    // Dedupe the repeated topic rules of `connect_worker`.
    let mut user_value = user_cr.to_value()?;
    if let Some(acls) = user_value["spec"]["authorization"]["acls"].as_array_mut() {
        acls.dedup();
    }
    Ok(vec![topic_cr.to_value()?, user_value])
}

/// `schema-registry`: `ApicurioRegistry3` with KafkaSQL storage, its journal topic and user.
pub fn schema_registry() -> Result<Base> {
    let cluster = default_cluster()?;
    let mut objects = registry_user_and_topic(REGISTRY, KAFKASQL_TOPIC, "apicurio-")?;
    // Apicurio's KafkaSQL consumers use generated group ids under the `apicurio-` prefix.
    if let Some(acls) = objects[1]["spec"]["authorization"]["acls"].as_array_mut() {
        for acl in acls.iter_mut() {
            if acl["resource"]["type"] == "group" {
                acl["resource"]["patternType"] = "prefix".into();
            }
        }
    }
    let registry = apicurio_registry(
        REGISTRY,
        &cluster,
        RegistryStorage::KafkaSql {
            user: REGISTRY.to_owned(),
        },
        2,
    )?;
    objects.push(registry.to_value()?);
    Ok(Base {
        name: "schema-registry",
        readme: format!(
            "# schema-registry\n\nApicurio Registry 3 (`ApicurioRegistry3`, `registry.apicur.io/v1`) `{REGISTRY}` with KafkaSQL \
             storage on `{CLUSTER}` over mTLS (keystore from the `KafkaUser` Secret `{REGISTRY}`, truststore from \
             `{}`), its journal topic `{KAFKASQL_TOPIC}` and user. API: `{}`.\n\n\
             For PostgreSQL storage build with `RegistryStorage::Postgresql`. The Confluent Schema Registry \
             alternative is the `schema-registry-confluent` base.\n",
            cluster.cluster_ca_secret(),
            apicurio_api_url(REGISTRY)
        ),
        objects,
    })
}

/// `schema-registry-confluent`: Confluent Schema Registry as a Deployment + Service.
pub fn schema_registry_confluent() -> Result<Base> {
    let cluster = default_cluster()?;
    let name = "confluent-schema-registry";
    let mut objects = registry_user_and_topic(name, CONFLUENT_TOPIC, name)?;
    objects.extend(ConfluentRegistry::new(name, &cluster, name, 1)?.objects()?);
    Ok(Base {
        name: "schema-registry-confluent",
        readme: format!(
            "# schema-registry-confluent\n\nAlternative to `schema-registry`: Confluent Schema Registry \
             (`{}`) as a Deployment + Service `{name}:8081`, storing schemas in `{CONFLUENT_TOPIC}` on `{CLUSTER}` \
             over mTLS as `KafkaUser` `{name}` (keystore and truststore mounted from Secrets, passwords from \
             `secretKeyRef`).\n",
            crate::registry::CONFLUENT_IMAGE
        ),
        objects,
    })
}

/// Every base, in render order.
pub fn all() -> Result<Vec<Base>> {
    Ok(vec![
        small_cluster()?,
        debezium_postgres()?,
        schema_registry()?,
        schema_registry_confluent()?,
    ])
}
