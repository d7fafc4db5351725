//! Each example pipeline: the overlay is written over bases staged exactly as the release tarballs
//! unpack, `kustomize` builds it into what the builders built, every document validates
//! against the upstream CRDs (`$DATA_TIER_CRDS`) or parses as its k8s-openapi type, and the
//! overlay's files plus the list of built objects are snapshotted.

use std::collections::BTreeMap;
use std::path::Path;

use examples::cli::{self, Options};
use examples::pipelines::{cdc_backfill, cdc_lakehouse, ml_feature_prep};
use examples::Overlay;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use manifest_bundle::CrdDir;
use serde_json::Value;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("does not parse as a k8s-openapi type: {e}\n{value}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), value);
}

/// Validates one built document; returns whether a CRD schema checked it.
fn validate(crds: &CrdDir, doc: &Value) -> bool {
    let api = doc["apiVersion"].as_str().unwrap_or_default();
    let kind = doc["kind"].as_str().unwrap_or_default();
    if let Some(file) = test_support::crd_file(api, kind) {
        if let Err(e) = crds.schema(file).unwrap().validate(doc) {
            panic!("{kind} {}: {e}", doc["metadata"]["name"]);
        }
        return true;
    }
    match kind {
        "ServiceAccount" => round_trip::<ServiceAccount>(doc),
        "Role" => round_trip::<Role>(doc),
        "RoleBinding" => round_trip::<RoleBinding>(doc),
        "ConfigMap" => round_trip::<ConfigMap>(doc),
        "Deployment" => round_trip::<Deployment>(doc),
        "Service" => round_trip::<Service>(doc),
        other => panic!("no schema for {api} {other}"),
    }
    false
}

fn key(v: &Value) -> String {
    format!(
        "{} {} {}",
        v["apiVersion"].as_str().unwrap_or_default(),
        v["kind"].as_str().unwrap_or_default(),
        v["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn by_key(docs: Vec<Value>) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for d in docs {
        let k = key(&d);
        assert!(map.insert(k.clone(), d).is_none(), "{k} twice");
    }
    map
}

/// Writes the overlay as the example program does (`--out <tmp>/deploy --render-bases`), builds
/// and checks it, and snapshots it.
fn check(overlay: &Overlay, min_crd_checked: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let deploy = tmp.path().join("deploy");
    let options = Options::parse(
        [
            "--out".to_owned(),
            deploy.display().to_string(),
            "--render-bases".to_owned(),
        ],
        &[],
    )
    .unwrap();
    let dir = cli::write(&options, overlay).unwrap();
    assert_eq!(dir, deploy.join("overlays").join(overlay.name()));
    // The staged bases are the release assets, unpacked.
    for c in examples::released::COMPONENTS {
        let tarball = deploy.join("vendor").join(c.tarball_name());
        assert!(tarball.is_file(), "{}", tarball.display());
    }

    let built = by_key(test_support::kustomize_build(&dir));
    let expected = by_key(overlay.expected_objects());
    assert_eq!(
        built.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "built objects"
    );
    for (k, v) in &expected {
        assert_eq!(
            &built[k], v,
            "{k}: the overlay does not build what the builders built"
        );
    }

    let crds = test_support::crds();
    let checked = built.values().filter(|d| validate(&crds, d)).count();
    assert!(
        checked >= min_crd_checked,
        "{checked} documents checked against CRDs"
    );

    // Snapshot: the overlay's files (no temp paths: the bases are referred to relatively), and
    // what it deploys.
    let mut snap = String::new();
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    for f in files {
        let rel = f.strip_prefix(&dir).unwrap().display().to_string();
        snap += &format!("=== {rel}\n{}", std::fs::read_to_string(&f).unwrap());
        if !snap.ends_with('\n') {
            snap.push('\n');
        }
    }
    snap += "=== kubectl kustomize (apiVersion kind name)\n";
    for k in built.keys() {
        snap += k;
        snap.push('\n');
    }
    assert!(!snap.contains(&tmp.path().display().to_string()));
    insta::assert_snapshot!(overlay.name(), snap);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn cdc_lakehouse_builds_and_validates() {
    let overlay = cdc_lakehouse::overlay().unwrap();
    check(&overlay, 20);
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn ml_feature_prep_builds_and_validates() {
    let overlay = ml_feature_prep::overlay().unwrap();
    check(&overlay, 5);
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn cdc_backfill_builds_and_validates() {
    let overlay = cdc_backfill::overlay(cdc_backfill::DEFAULT_FROM).unwrap();
    check(&overlay, 20);
}

#[test]
fn cdc_backfill_rejects_a_bad_timestamp() {
    assert!(cdc_backfill::overlay("yesterday").is_err());
    assert!(cdc_backfill::overlay("1769817600000").is_ok());
    assert_eq!(
        cdc_backfill::run_name("2026-01-31T00:00:00Z"),
        "orders-backfill-20260131000000"
    );
}

#[test]
fn options_default_to_deploy_and_its_vendor_folder() {
    let o = Options::parse(Vec::<String>::new(), &[]).unwrap();
    if std::env::var_os("BASES").is_none() {
        assert_eq!(o.bases, Path::new("deploy/vendor"));
    }
    assert_eq!(o.overlay_dir("x"), Path::new("deploy/overlays/x"));
    let o = Options::parse(["--from".into(), "1".into()], &["--from"]).unwrap();
    assert_eq!(o.extra["from"], "1");
    assert!(Options::parse(["--from".into(), "1".into()], &[]).is_err());
    assert!(Options::parse(["--out".into()], &[]).is_err());
}

#[test]
fn json_patch_is_minimal() {
    use serde_json::json;
    let from = json!({"a": 1, "b": [1, 2], "c": {"d": "x", "e/f": 1}, "g": [1]});
    let to = json!({"a": 1, "b": [1, 3], "c": {"d": "y"}, "g": [1, 2], "h": true});
    let ops = examples::overlay::json_patch(&from, &to);
    assert_eq!(
        ops,
        vec![
            json!({"op": "replace", "path": "/b/1", "value": 3}),
            json!({"op": "replace", "path": "/c/d", "value": "y"}),
            json!({"op": "remove", "path": "/c/e~1f"}),
            json!({"op": "replace", "path": "/g", "value": [1, 2]}),
            json!({"op": "add", "path": "/h", "value": true}),
        ]
    );
}
