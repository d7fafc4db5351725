use std::collections::BTreeMap;

use serde_json::Value;

use super::connector::connector;
use super::*;
use crate::kafka::{ClientAuth, KafkaCluster, KafkaClusterBuilder};
use crate::secret::SecretKeyRef;
use crate::Error;

fn cluster() -> KafkaCluster {
    KafkaClusterBuilder::new("lake").build().unwrap()
}

#[test]
fn zero_connect_replicas_rejected() {
    let err = KafkaConnectBuilder::new("cdc", &cluster(), "kafka")
        .image("x/y:1")
        .replicas(0)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::TooFew {
            what: "KafkaConnect replicas",
            ..
        }
    ));
}

#[test]
fn connect_v1_fields_are_top_level() {
    let c = KafkaConnectBuilder::new("cdc", &cluster(), "kafka")
        .image("x/y:1")
        .readable_secrets(["pg"])
        .build()
        .unwrap();
    let v = c.connect.to_value().unwrap();
    assert_eq!(v["spec"]["groupId"], "cdc-connect");
    assert_eq!(v["spec"]["offsetStorageTopic"], "cdc-connect-offsets");
    assert!(v["spec"]["config"].get("group.id").is_none());
    assert_eq!(v["spec"]["authentication"]["type"], "tls");
    assert_eq!(
        v["spec"]["authentication"]["certificateAndKey"]["secretName"],
        "cdc"
    );
    let scram = KafkaClusterBuilder::new("lake")
        .client_auth(ClientAuth::ScramSha512)
        .build()
        .unwrap();
    let c2 = KafkaConnectBuilder::new("cdc", &scram, "kafka")
        .image("x/y:1")
        .build()
        .unwrap();
    let v2 = c2.connect.to_value().unwrap();
    assert_eq!(v2["spec"]["authentication"]["type"], "scram-sha-512");
    assert_eq!(
        v2["spec"]["authentication"]["passwordSecret"]["secretName"],
        "cdc"
    );
    let role = c.secrets_role.unwrap();
    assert_eq!(
        role.rules.unwrap()[0].resource_names,
        Some(vec!["pg".to_owned()])
    );
}

#[test]
fn inline_password_in_connector_rejected() {
    let mut config = BTreeMap::new();
    config.insert("database.password".to_owned(), Value::from("hunter2"));
    let err = connector("cdc", "x", "C", 1, config).unwrap_err();
    assert!(matches!(err, Error::InlineCredential { .. }));
}

#[test]
fn postgres_source_requires_schema_table() {
    let err = PostgresSourceBuilder::new("cdc", "pg", "inv")
        .database("h", 5432, "d")
        .credentials(
            SecretKeyRef::new("kafka", "pg", "username").unwrap(),
            SecretKeyRef::new("kafka", "pg", "password").unwrap(),
        )
        .registry_url("http://r")
        .tables(["orders"])
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidValue {
            what: "captured table",
            ..
        }
    ));
}
