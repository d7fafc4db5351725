//! What the data-tier crates' tests share: the tools `scripts/setup-test-env` provides (found
//! through the environment it prints), the upstream CRDs, kustomize, the staleness check of
//! committed bases, and file-tree snapshots. Not published; a dev-dependency only.
#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use manifest_bundle::{CrdDir, Kustomize, Release};
use serde_json::Value;

/// A path from an environment variable `scripts/setup-test-env` prints; a clear failure naming
/// `what` it must point at when unset.
pub fn env_path(var: &str, what: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => panic!(
            "{var} is not set: it must point at {what}. Run the tests through `scripts/test`, which installs and exports it."
        ),
    }
}

/// The pinned upstream CRDs (`DATA_TIER_CRDS`, e.g. `../shared/crds`).
pub fn crds() -> CrdDir {
    CrdDir::from_env("DATA_TIER_CRDS").unwrap_or_else(|e| {
        panic!("{e}: set DATA_TIER_CRDS to the folder of upstream CRDs (../shared/crds)")
    })
}

/// The pinned CRD file of a custom resource kind, `None` for Kubernetes' own kinds.
pub fn crd_file(api_version: &str, kind: &str) -> Option<&'static str> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Some(match (group, kind) {
        ("sparkoperator.k8s.io", "SparkApplication") => "spark-operator/sparkapplication.yaml",
        ("sparkoperator.k8s.io", "ScheduledSparkApplication") => {
            "spark-operator/scheduledsparkapplication.yaml"
        }
        ("kafka.strimzi.io", "Kafka") => "strimzi/kafka.yaml",
        ("kafka.strimzi.io", "KafkaNodePool") => "strimzi/kafkanodepool.yaml",
        ("kafka.strimzi.io", "KafkaTopic") => "strimzi/kafkatopic.yaml",
        ("kafka.strimzi.io", "KafkaUser") => "strimzi/kafkauser.yaml",
        ("kafka.strimzi.io", "KafkaConnect") => "strimzi/kafkaconnect.yaml",
        ("kafka.strimzi.io", "KafkaConnector") => "strimzi/kafkaconnector.yaml",
        ("registry.apicur.io", "ApicurioRegistry3") => "apicurio-registry/apicurioregistry3.yaml",
        ("argoproj.io", "WorkflowTemplate") => "argo-workflows/workflowtemplate.yaml",
        ("argoproj.io", "CronWorkflow") => "argo-workflows/cronworkflow.yaml",
        ("argoproj.io", "Workflow") => "argo-workflows/workflow.yaml",
        _ => return None,
    })
}

/// Every object `kustomize build dir` renders (`DATA_TIER_KUSTOMIZE`, else kustomize or kubectl
/// on PATH).
pub fn kustomize_build(dir: &Path) -> Vec<Value> {
    Kustomize::from_env("DATA_TIER_KUSTOMIZE")
        .and_then(|k| k.build(dir))
        .unwrap_or_else(|e| panic!("{e} (scripts/setup-test-env installs kustomize)"))
}

/// The committed bases are what the crate renders now, byte for byte (the golden files).
pub fn assert_bases_current(release: &Release) {
    let stale = release.check(release.bases_dir()).expect("compare");
    assert!(
        stale.is_empty(),
        "stale bases (run `{}`):\n{}",
        release.regenerate(),
        stale
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Every file under `dir` with its bytes (to assert that something changed nothing).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.display().to_string(), bytes)
        })
        .collect()
}

/// Every file under `dir` (none when it does not exist).
pub fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p);
            }
        }
    }
    out
}
