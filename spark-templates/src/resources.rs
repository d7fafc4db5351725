//! Serde types for the Spark Operator custom resources (`sparkoperator.k8s.io/v1beta2`).
//!
//! They model the fields the templates set; every struct has an `extra` map flattened into it, so any
//! other field of the CRD can be passed through unchanged.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EnvVar, PodSecurityContext, SecurityContext, Volume, VolumeMount,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API version of both resources.
pub const API_VERSION: &str = "sparkoperator.k8s.io/v1beta2";

pub use manifest_bundle::CustomResource;

/// A `SparkApplication` ([`API_VERSION`]).
pub type SparkApplication = CustomResource<SparkApplicationSpec>;

/// A `ScheduledSparkApplication` ([`API_VERSION`]): a cron schedule around a [`SparkApplicationSpec`].
pub type ScheduledSparkApplication = CustomResource<ScheduledSparkApplicationSpec>;

/// `ScheduledSparkApplication.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSparkApplicationSpec {
    /// Cron schedule (`30 2 * * *`).
    pub schedule: String,
    /// Time zone of the schedule (`Etc/UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `Allow`, `Forbid` or `Replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    /// Suspends the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Successful runs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    /// Failed runs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_run_history_limit: Option<i32>,
    /// The application run at each tick.
    pub template: SparkApplicationSpec,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `SparkApplication.spec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationSpec {
    /// `Python`, `Scala`, `Java` or `R`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `cluster` or `client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Container image of driver and executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent`, `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// `3` for Python applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    /// The Spark version of the image.
    pub spark_version: String,
    /// The main file (`local:///opt/spark/jobs/job.py`).
    pub main_application_file: String,
    /// The main class, for JVM applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    /// Arguments of the main file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// Spark configuration (`spark.*` keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// Hadoop configuration (without the `spark.hadoop.` prefix).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hadoop_conf: BTreeMap<String, String>,
    /// Packages, jars, files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deps: Option<Dependencies>,
    /// The driver pod.
    pub driver: DriverSpec,
    /// The executor pods.
    pub executor: ExecutorSpec,
    /// Dynamic allocation of executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
    /// What to do when the application ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// Seconds after termination before the operator deletes the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_seconds: Option<i64>,
    /// Prometheus JMX exporter monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,
    /// Volumes of driver and executor pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.deps`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependencies {
    /// Maven coordinates resolved at submission (`group:artifact:version`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// Extra Maven repositories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<String>,
    /// Jars.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
    /// Python files added to the path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub py_files: Vec<String>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Fields shared by driver and executor pods.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// CPU cores (`spark.*.cores`), at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<i32>,
    /// CPU limit, a Kubernetes quantity (`1500m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_limit: Option<String>,
    /// JVM heap, a Spark memory string (`2g`, `512m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Memory overhead, a Spark memory string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_overhead: Option<String>,
    /// Pod labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Pod annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Environment variables (secrets through `valueFrom.secretKeyRef`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Volume mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Container security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    /// Pod security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<PodSecurityContext>,
    /// Service account of the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.driver`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriverSpec {
    /// Resources, env, mounts, security.
    #[serde(flatten)]
    pub pod: PodSpec,
}

/// `spec.executor`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorSpec {
    /// Number of executors (without dynamic allocation), at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    /// Resources, env, mounts, security.
    #[serde(flatten)]
    pub pod: PodSpec,
}

/// `spec.dynamicAllocation`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicAllocation {
    /// Turns it on.
    pub enabled: bool,
    /// Executors at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_executors: Option<i32>,
    /// Lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_executors: Option<i32>,
    /// Upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_executors: Option<i32>,
    /// Shuffle tracking (needed on Kubernetes without an external shuffle service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shuffle_tracking_enabled: Option<bool>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.restartPolicy`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// `Never`, `Always` or `OnFailure`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Retries after a failed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure_retries: Option<i32>,
    /// Seconds between those retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure_retry_interval: Option<i64>,
    /// Retries after a failed submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_submission_failure_retries: Option<i32>,
    /// Seconds between those retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_submission_failure_retry_interval: Option<i64>,
}

/// `spec.monitoring`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSpec {
    /// Expose driver metrics.
    pub expose_driver_metrics: bool,
    /// Expose executor metrics.
    pub expose_executor_metrics: bool,
    /// The JMX exporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSpec>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.monitoring.prometheus`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    /// Path of the JMX exporter agent jar inside the image.
    pub jmx_exporter_jar: String,
    /// Port of the exporter (1024–49151).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Any other field, passed through.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}
