//! Validation against the real upstream CRDs in the folder named by `DATA_TIER_CRDS`.

use manifest_bundle::{CrdDir, Error};
use serde_json::json;

fn crds() -> CrdDir {
    match CrdDir::from_env("DATA_TIER_CRDS") {
        Ok(d) => d,
        Err(e) => panic!("{e} (set DATA_TIER_CRDS, e.g. to ../shared/crds)"),
    }
}

fn spark_pi() -> serde_json::Value {
    json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": "spark-pi", "namespace": "default"},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.8",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "sparkVersion": "3.5.8",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark"},
            "executor": {"cores": 1, "instances": 1, "memory": "512m"},
            "volumes": [{"name": "x", "emptyDir": {"sizeLimit": "1Gi"}}]
        }
    })
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs (scripts/test provides them)"
)]
fn upstream_spark_pi_example_validates() {
    let schema = crds()
        .schema("spark-operator/sparkapplication.yaml")
        .unwrap();
    assert_eq!(schema.kind(), "SparkApplication");
    assert_eq!(schema.versions().collect::<Vec<_>>(), ["v1beta2"]);
    assert_eq!(schema.violations(&spark_pi()), vec![]);
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs (scripts/test provides them)"
)]
fn broken_spark_application_reports_paths() {
    let d = crds();
    let schema = d.schema("spark-operator/sparkapplication.yaml").unwrap();
    let mut app = spark_pi();
    app["spec"]["executor"]["instances"] = json!(0);
    app["spec"]["driver"]["cores"] = json!("1");
    app["spec"]["restartPolicy"] = json!({"type": "Sometimes"});
    app["spec"]["sparkConfg"] = json!({});
    app["spec"].as_object_mut().unwrap().remove("sparkVersion");
    let v = schema.violations(&app);
    let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
    for p in [
        "/spec/executor/instances",
        "/spec/driver/cores",
        "/spec/restartPolicy/type",
        "/spec",
    ] {
        assert!(paths.contains(&p), "{p} not in {v:#?}");
    }
    assert!(v.iter().any(|v| v.message.contains("sparkConfg")), "{v:#?}");
    assert!(
        v.iter().any(|v| v.message.contains("sparkVersion")),
        "{v:#?}"
    );
    // the cache hands out the same compiled schema
    let again = d.schema("spark-operator/sparkapplication.yaml").unwrap();
    assert!(std::sync::Arc::ptr_eq(&schema, &again));
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs (scripts/test provides them)"
)]
fn int_or_string_is_honoured_in_a_real_crd() {
    // Strimzi KafkaTopic: spec.config is preserve-unknown-fields, replicas an integer
    let schema = crds().schema("strimzi/kafkatopic.yaml").unwrap();
    let topic = json!({
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "c"}},
        "spec": {"partitions": 3, "replicas": 1, "config": {"retention.ms": 1000, "x": "y"}}
    });
    assert_eq!(schema.violations(&topic), vec![]);
    let mut old = topic.clone();
    old["apiVersion"] = json!("kafka.strimzi.io/v1beta2");
    assert_eq!(schema.violations(&old)[0].path, "/apiVersion");
}

#[test]
fn unset_variable_is_named_in_the_error() {
    let err = CrdDir::from_env("DATA_TIER_SURELY_UNSET_VARIABLE").unwrap_err();
    assert!(matches!(err, Error::EnvVarUnset { .. }));
    assert!(err.to_string().contains("DATA_TIER_SURELY_UNSET_VARIABLE"));
}
