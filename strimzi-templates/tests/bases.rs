//! The committed bases are current, build with `kustomize`, validate against the pinned
//! upstream CRDs (`DATA_TIER_CRDS`) and hold no credentials. The committed bases are the golden
//! files: `committed_bases_are_current` (like `render-bases --check`) compares every rendered byte.

use std::path::{Path, PathBuf};

use manifest_bundle::Bundle;
use serde_json::Value;

fn bundles() -> Vec<Bundle> {
    strimzi_templates::bases::bundles().expect("bases build")
}

fn bases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bases")
}

/// The upstream CRD file for a custom resource, or `None` for built-in kinds.
fn crd_file(api_version: &str, kind: &str) -> Option<&'static str> {
    Some(match (api_version, kind) {
        ("kafka.strimzi.io/v1", "Kafka") => "strimzi/kafka.yaml",
        ("kafka.strimzi.io/v1", "KafkaNodePool") => "strimzi/kafkanodepool.yaml",
        ("kafka.strimzi.io/v1", "KafkaTopic") => "strimzi/kafkatopic.yaml",
        ("kafka.strimzi.io/v1", "KafkaUser") => "strimzi/kafkauser.yaml",
        ("kafka.strimzi.io/v1", "KafkaConnect") => "strimzi/kafkaconnect.yaml",
        ("kafka.strimzi.io/v1", "KafkaConnector") => "strimzi/kafkaconnector.yaml",
        ("registry.apicur.io/v1", "ApicurioRegistry3") => {
            "apicurio-registry/apicurioregistry3.yaml"
        }
        (v, k) if v.contains(".strimzi.io") || v.contains("apicur") => {
            panic!("no pinned CRD for {v} {k}: Strimzi 1.x serves only kafka.strimzi.io/v1")
        }
        _ => return None,
    })
}

#[test]
fn committed_bases_are_current() {
    test_support::assert_bases_current(&strimzi_templates::release().expect("bases build"));
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn every_custom_resource_validates_against_its_crd() {
    let crds = test_support::crds();
    let mut checked = 0;
    for bundle in bundles() {
        for object in bundle.all_objects() {
            let api = object["apiVersion"].as_str().unwrap_or_default();
            let kind = object["kind"].as_str().unwrap_or_default();
            let Some(file) = crd_file(api, kind) else {
                continue;
            };
            let schema = crds.schema(file).expect("load CRD");
            let violations = schema.violations(&object);
            assert!(
                violations.is_empty(),
                "{}/{kind} {} violates {file}:\n{}",
                bundle.name(),
                object["metadata"]["name"],
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} custom resources checked");
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn validator_rejects_v1beta2_shapes() {
    // Guards the test above: the old v1beta2 KafkaConnect shape must not pass.
    let crds = test_support::crds();
    let schema = crds.schema("strimzi/kafkaconnect.yaml").unwrap();
    let old: Value = serde_json::json!({
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaConnect",
        "metadata": {"name": "old"},
        "spec": {"replicas": 1, "bootstrapServers": "x:9093", "config": {"group.id": "g"}}
    });
    assert!(!schema.violations(&old).is_empty());
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn every_base_builds_with_kustomize() {
    for bundle in bundles() {
        let dir = bases_dir().join(bundle.name());
        let objects = test_support::kustomize_build(&dir);
        assert_eq!(
            objects.len(),
            bundle.objects().len(),
            "kustomize output of {} has a different object count",
            bundle.name()
        );
    }
}

fn walk_strings<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((path, s)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| walk_strings(x, format!("{path}[{i}]"), out)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| walk_strings(x, format!("{path}.{k}"), out)),
        _ => {}
    }
}

#[test]
fn no_credentials_in_rendered_manifests() {
    for bundle in bundles() {
        for object in bundle.all_objects() {
            let mut strings = Vec::new();
            walk_strings(&object, String::new(), &mut strings);
            for (path, value) in strings {
                let key = path
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let sensitive = [
                    "password",
                    "secret-access-key",
                    "access-key-id",
                    "token",
                    "jaas",
                ]
                .iter()
                .any(|n| key.contains(n));
                if !sensitive || key.ends_with("secretref") {
                    continue;
                }
                assert!(
                    value.starts_with("${secrets:") && value.ends_with('}'),
                    "{}: {path} = {value:?} is not a Secret reference",
                    bundle.name()
                );
            }
            // Strimzi's password-from-Secret fields hold Secret *names* and keys, never values.
            let text = serde_json::to_string(&object).unwrap();
            assert!(!text.contains("\"data\":{\"password"), "inline Secret data");
            assert_ne!(object["kind"], "Secret", "a Secret was rendered");
        }
    }
}

#[test]
fn release_tarball_is_reproducible() {
    let dir =
        std::env::temp_dir().join(format!("strimzi-templates-tarball-{}", std::process::id()));
    let a = dir.join("a");
    let b = dir.join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ta = manifest_bundle::write_tarball(&a, "strimzi-templates", "0.1.0", &bundles()).unwrap();
    let tb = manifest_bundle::write_tarball(&b, "strimzi-templates", "0.1.0", &bundles()).unwrap();
    assert_eq!(ta.sha256, tb.sha256);
    assert!(ta
        .path
        .ends_with("strimzi-templates-0.1.0-kustomize.tar.gz"));
    std::fs::remove_dir_all(&dir).unwrap();
}
