//! Typed subset of the Argo Workflows v4 `argoproj.io/v1alpha1` API used by the templates.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements};
use serde::Serialize;

/// Argo's API group/version.
pub const ARGO_API_VERSION: &str = "argoproj.io/v1alpha1";

pub use manifest_bundle::CustomResource;

/// A `WorkflowTemplate`.
pub type WorkflowTemplate = CustomResource<WorkflowSpec>;
/// A `CronWorkflow`.
pub type CronWorkflow = CustomResource<CronWorkflowSpec>;

/// `WorkflowTemplate.spec` / `CronWorkflow.spec.workflowSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSpec {
    /// Entry template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    /// Workflow arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Arguments>,
    /// ServiceAccount of the pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Exit handler template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_exit: Option<String>,
    /// Wall-clock limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// Cleanup of finished workflows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,
    /// Pod cleanup.
    #[serde(rename = "podGC", skip_serializing_if = "Option::is_none")]
    pub pod_gc: Option<PodGc>,
    /// Run a `WorkflowTemplate` (CronWorkflows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_template_ref: Option<WorkflowTemplateRef>,
    /// Templates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<Template>,
}

/// `ttlStrategy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TtlStrategy {
    /// Seconds after success.
    pub seconds_after_success: i32,
    /// Seconds after failure.
    pub seconds_after_failure: i32,
}

/// `podGC`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodGc {
    /// Strategy, e.g. `OnPodSuccess`.
    pub strategy: String,
}

/// `workflowTemplateRef`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowTemplateRef {
    /// Template name.
    pub name: String,
}

/// `CronWorkflow.spec` (v4: `schedules` list, required).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronWorkflowSpec {
    /// Cron schedules.
    pub schedules: Vec<String>,
    /// IANA timezone.
    pub timezone: String,
    /// `Forbid`.
    pub concurrency_policy: String,
    /// Skip runs missed by more than this.
    pub starting_deadline_seconds: i64,
    /// Successful workflows kept.
    pub successful_jobs_history_limit: i32,
    /// Failed workflows kept.
    pub failed_jobs_history_limit: i32,
    /// The workflow to start.
    pub workflow_spec: WorkflowSpec,
}

/// `arguments` / `inputs` parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Arguments {
    /// Parameters.
    pub parameters: Vec<Parameter>,
}

/// One parameter.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// Name.
    pub name: String,
    /// Value (arguments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Default (inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Output source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
}

impl Parameter {
    /// A required input.
    pub fn required(name: &str, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            ..Self::default()
        }
    }

    /// An input with a default.
    pub fn with_default(name: &str, default: &str, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            default: Some(default.to_owned()),
            description: Some(description.to_owned()),
            ..Self::default()
        }
    }

    /// An argument value.
    pub fn value(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value.to_owned()),
            ..Self::default()
        }
    }
}

/// `valueFrom` of an output parameter.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueFrom {
    /// Another node's output, e.g. `{{tasks.compact.outputs.result}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// JSONPath into a resource template's object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
}

/// `inputs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Inputs {
    /// Parameters.
    pub parameters: Vec<Parameter>,
}

/// `outputs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outputs {
    /// Parameters.
    pub parameters: Vec<Parameter>,
}

/// One template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Name.
    pub name: String,
    /// Inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
    /// Outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Outputs>,
    /// A DAG of tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag: Option<Dag>,
    /// A container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// A Kubernetes resource action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceTemplate>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Per-attempt timeout, e.g. `2h`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// `dag`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dag {
    /// Tasks.
    pub tasks: Vec<DagTask>,
}

/// One DAG task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DagTask {
    /// Name.
    pub name: String,
    /// Local template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Template of another `WorkflowTemplate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_ref: Option<TemplateRef>,
    /// Arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Arguments>,
    /// Dependencies, e.g. `compact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends: Option<String>,
    /// Condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Fan-out over a JSON list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_param: Option<String>,
}

/// `templateRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateRef {
    /// `WorkflowTemplate` name.
    pub name: String,
    /// Template inside it.
    pub template: String,
}

/// `container` of a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Container {
    /// Image.
    pub image: String,
    /// Command.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment (credentials only via `valueFrom.secretKeyRef`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// `resource` template.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTemplate {
    /// `create`, `patch`, ...
    pub action: String,
    /// The manifest (YAML).
    pub manifest: String,
    /// Patch type for `patch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_strategy: Option<String>,
    /// Owned by the workflow (deleted with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_owner_reference: Option<bool>,
    /// Done when this matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_condition: Option<String>,
    /// Failed when this matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_condition: Option<String>,
}

/// `retryStrategy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Maximum retries (int-or-string).
    pub limit: String,
    /// `OnError`, `OnFailure`, `Always`, `OnTransientError`.
    pub retry_policy: String,
    /// Extra condition, e.g. exclude exit code 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Backoff.
    pub backoff: Backoff,
}

/// `retryStrategy.backoff`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// First delay.
    pub duration: String,
    /// Multiplier (int-or-string).
    pub factor: String,
    /// Cap on total retry time.
    pub max_duration: String,
}

impl RetryStrategy {
    /// `limit` retries with exponential backoff (1m, ×2, at most 30m overall).
    pub fn backoff(limit: u32, policy: &str, expression: Option<&str>) -> Self {
        Self {
            limit: limit.to_string(),
            retry_policy: policy.to_owned(),
            expression: expression.map(str::to_owned),
            backoff: Backoff {
                duration: "1m".to_owned(),
                factor: "2".to_owned(),
                max_duration: "30m".to_owned(),
            },
        }
    }
}

/// Labels on every object.
pub fn labels(component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/part-of".to_owned(),
            "data-tier".to_owned(),
        ),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
    ])
}
