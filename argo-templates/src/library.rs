//! Shared WorkflowTemplates the pipelines compose with `templateRef`: `icehelper` (one template
//! per icehelper verb), `spark-jobs` (one `resource` template per spark-templates job) and
//! `pipeline-notify`, plus the pipelines' ServiceAccount and RBAC.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::icehelper::{self, flags, verbs};
use crate::model::{
    labels, ArgoObject, Container, Inputs, Outputs, Parameter, ResourceTemplate, RetryStrategy,
    Template, ValueFrom, WorkflowSpec, WorkflowTemplate, ARGO_API_VERSION,
};
use crate::spark::{self, SparkJob};

/// ServiceAccount the pipeline pods run as.
pub const SERVICE_ACCOUNT: &str = "data-tier-pipelines";
/// The icehelper WorkflowTemplate.
pub const ICEHELPER_TEMPLATE: &str = "icehelper";
/// The Spark jobs WorkflowTemplate.
pub const SPARK_TEMPLATE: &str = "spark-jobs";
/// The notification WorkflowTemplate.
pub const NOTIFY_TEMPLATE: &str = "pipeline-notify";
/// Catalog name icehelper is configured for.
pub const CATALOG: &str = "lake";
/// Secret with S3 credentials (`access-key-id`, `secret-access-key`).
pub const S3_SECRET: &str = "lake-s3";
/// Default REST catalog URI.
pub const CATALOG_URI: &str = "http://iceberg-rest.lakehouse.svc:8181";
/// Default warehouse.
pub const WAREHOUSE: &str = "s3://lake/warehouse";
/// Default S3 endpoint.
pub const S3_ENDPOINT: &str = "http://minio.lakehouse.svc:9000";

/// Checks a `namespace.table` identifier.
pub fn validate_table(table: &str) -> Result<()> {
    let parts: Vec<&str> = table.split('.').collect();
    let ok = parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidTable {
            table: table.to_owned(),
        })
    }
}

/// Checks a DNS-1123 name for Argo objects and templates.
pub fn validate_name(what: &'static str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what,
            name: name.to_owned(),
            reason: "must be at most 63 lowercase letters, digits or '-', not starting or ending with '-'",
        })
    }
}

pub(crate) fn workflow_template(
    name: &str,
    component: &str,
    spec: WorkflowSpec,
) -> WorkflowTemplate {
    ArgoObject {
        api_version: ARGO_API_VERSION.to_owned(),
        kind: "WorkflowTemplate".to_owned(),
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels(component)),
            ..ObjectMeta::default()
        },
        spec,
    }
}

fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
                ..SecretKeySelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

/// Retry for icehelper steps: transient errors (exit 2, pod errors) are retried with backoff;
/// exit 1 ("found a problem", e.g. partition health under the threshold) fails at once.
pub fn icehelper_retry() -> RetryStrategy {
    RetryStrategy::backoff(
        3,
        "Always",
        Some(&format!(
            "asInt(lastRetry.exitCode) != {}",
            icehelper::exit_codes::PROBLEM
        )),
    )
}

/// Retry for `resource` steps: only Kubernetes API errors, not a failed SparkApplication (the
/// Spark Operator's own `restartPolicy` retries the job).
pub fn resource_retry() -> RetryStrategy {
    RetryStrategy::backoff(3, "OnError", None)
}

fn icehelper_step(verb: &str, extra: &[(&str, &str, &str)]) -> Template {
    let mut params = vec![
        Parameter::required("table", "Iceberg table, `namespace.table`"),
        Parameter::with_default("catalog-uri", CATALOG_URI, "REST catalog URI"),
        Parameter::with_default("warehouse", WAREHOUSE, "Warehouse location"),
    ];
    let mut args = vec![
        flags::CATALOG.to_owned(),
        CATALOG.to_owned(),
        flags::URI.to_owned(),
        "{{inputs.parameters.catalog-uri}}".to_owned(),
        flags::WAREHOUSE.to_owned(),
        "{{inputs.parameters.warehouse}}".to_owned(),
        flags::OUTPUT.to_owned(),
        icehelper::OUTPUT_JSON.to_owned(),
        flags::QUIET.to_owned(),
        verb.to_owned(),
        "{{inputs.parameters.table}}".to_owned(),
    ];
    for (flag, param, default) in extra {
        params.push(Parameter::with_default(
            param,
            default,
            &format!("`{flag}`"),
        ));
        args.push((*flag).to_owned());
        args.push(format!("{{{{inputs.parameters.{param}}}}}"));
    }
    if verb == verbs::COMPACT {
        args.push(flags::PARTIAL_PROGRESS.to_owned());
    }
    Template {
        name: verb.to_owned(),
        inputs: Some(Inputs { parameters: params }),
        container: Some(Container {
            image: icehelper::image(),
            command: vec![icehelper::BINARY.to_owned()],
            args,
            env: vec![
                plain_env(&icehelper::catalog_env(CATALOG, "s3.endpoint"), S3_ENDPOINT),
                plain_env(
                    &icehelper::catalog_env(CATALOG, "s3.path-style-access"),
                    "true",
                ),
                secret_env(
                    &icehelper::catalog_env(CATALOG, "s3.access-key-id"),
                    S3_SECRET,
                    "access-key-id",
                ),
                secret_env(
                    &icehelper::catalog_env(CATALOG, "s3.secret-access-key"),
                    S3_SECRET,
                    "secret-access-key",
                ),
            ],
            resources: Some(k8s_openapi::api::core::v1::ResourceRequirements {
                requests: Some(BTreeMap::from([
                    ("cpu".to_owned(), Quantity("500m".to_owned())),
                    ("memory".to_owned(), Quantity("1Gi".to_owned())),
                ])),
                limits: Some(BTreeMap::from([(
                    "memory".to_owned(),
                    Quantity("4Gi".to_owned()),
                )])),
                ..Default::default()
            }),
        }),
        retry_strategy: Some(icehelper_retry()),
        timeout: Some("2h".to_owned()),
        ..Template::default()
    }
}

/// The `icehelper` WorkflowTemplate: one container template per verb; each prints its JSON
/// metrics on stdout, which Argo keeps as the step's `outputs.result`.
pub fn icehelper_template() -> WorkflowTemplate {
    workflow_template(
        ICEHELPER_TEMPLATE,
        "icehelper",
        WorkflowSpec {
            service_account_name: Some(SERVICE_ACCOUNT.to_owned()),
            templates: vec![
                icehelper_step(
                    verbs::PARTITION_HEALTH,
                    &[(flags::FAIL_UNDER, "fail-under", "0.8")],
                ),
                icehelper_step(
                    verbs::COMPACT,
                    &[
                        (flags::TARGET_FILE_SIZE, "target-file-size", "536870912"),
                        (flags::MIN_INPUT_FILES, "min-input-files", "5"),
                    ],
                ),
                icehelper_step(verbs::REWRITE_MANIFESTS, &[]),
                icehelper_step(
                    verbs::EXPIRE_SNAPSHOTS,
                    &[
                        (flags::OLDER_THAN, "older-than", "7d"),
                        (flags::RETAIN_LAST, "retain-last", "5"),
                    ],
                ),
                icehelper_step(
                    verbs::REMOVE_ORPHAN_FILES,
                    &[(flags::OLDER_THAN, "older-than", "3d")],
                ),
            ],
            ..WorkflowSpec::default()
        },
    )
}

/// The SparkApplication a `spark-jobs` template creates for `job` (parameters as
/// `{{inputs.parameters.*}}` placeholders).
pub fn spark_application(job: &SparkJob) -> Value {
    let mut arguments = Vec::new();
    for p in job.parameters {
        arguments.push(format!("--{p}"));
        arguments.push(format!("{{{{inputs.parameters.{p}}}}}"));
    }
    json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {
            "generateName": format!("{}-", job.name),
            "labels": {
                "app.kubernetes.io/part-of": "data-tier",
                "data-tier.io/spark-job": job.name,
                "workflows.argoproj.io/workflow": "{{workflow.name}}"
            }
        },
        "spec": {
            "type": "Python",
            "pythonVersion": "3",
            "mode": "cluster",
            "image": spark::IMAGE,
            "sparkVersion": spark::SPARK_VERSION,
            "mainApplicationFile": job.main_application_file,
            "arguments": arguments,
            "restartPolicy": {
                "type": "OnFailure",
                "onFailureRetries": 2,
                "onFailureRetryInterval": 60,
                "onSubmissionFailureRetries": 3,
                "onSubmissionFailureRetryInterval": 30
            },
            "driver": {
                "cores": 1,
                "memory": "2g",
                "serviceAccount": spark::DRIVER_SERVICE_ACCOUNT
            },
            "executor": {
                "instances": 2,
                "cores": 2,
                "memory": "4g"
            }
        }
    })
}

fn spark_step(job: &SparkJob) -> Result<Template> {
    let manifest =
        serde_norway::to_string(&spark_application(job)).map_err(|e| Error::Serialize {
            what: format!("SparkApplication {}", job.name),
            source: serde_json::Error::io(std::io::Error::other(e.to_string())),
        })?;
    Ok(Template {
        name: job.name.to_owned(),
        inputs: Some(Inputs {
            parameters: job
                .parameters
                .iter()
                .map(|p| Parameter::required(p, &format!("`--{p}` of the {} job", job.name)))
                .collect(),
        }),
        outputs: Some(Outputs {
            parameters: vec![Parameter {
                name: "application-name".to_owned(),
                value_from: Some(ValueFrom {
                    json_path: Some("{.metadata.name}".to_owned()),
                    ..ValueFrom::default()
                }),
                ..Parameter::default()
            }],
        }),
        resource: Some(ResourceTemplate {
            action: "create".to_owned(),
            manifest,
            set_owner_reference: Some(true),
            success_condition: Some("status.applicationState.state == COMPLETED".to_owned()),
            failure_condition: Some(
                "status.applicationState.state in (FAILED, SUBMISSION_FAILED)".to_owned(),
            ),
            ..ResourceTemplate::default()
        }),
        retry_strategy: Some(resource_retry()),
        ..Template::default()
    })
}

/// The `spark-jobs` WorkflowTemplate: one `resource` template per spark-templates job that
/// creates a SparkApplication and waits for `COMPLETED` (or fails on `FAILED`).
pub fn spark_jobs_template() -> Result<WorkflowTemplate> {
    Ok(workflow_template(
        SPARK_TEMPLATE,
        "spark-jobs",
        WorkflowSpec {
            service_account_name: Some(SERVICE_ACCOUNT.to_owned()),
            templates: spark::JOBS.iter().map(spark_step).collect::<Result<_>>()?,
            ..WorkflowSpec::default()
        },
    ))
}

/// The `pipeline-notify` WorkflowTemplate: an exit-handler step that logs one JSON line with the
/// workflow's name, status, duration and failures (for log-based alerting).
pub fn notify_template() -> WorkflowTemplate {
    workflow_template(
        NOTIFY_TEMPLATE,
        "notify",
        WorkflowSpec {
            service_account_name: Some(SERVICE_ACCOUNT.to_owned()),
            templates: vec![Template {
                name: "notify".to_owned(),
                container: Some(Container {
                    image: "busybox:1.37".to_owned(),
                    command: vec!["echo".to_owned()],
                    args: vec![
                        "{\"workflow\":\"{{workflow.name}}\",\"status\":\"{{workflow.status}}\",\"duration\":\"{{workflow.duration}}\",\"failures\":{{workflow.failures}}}"
                            .to_owned(),
                    ],
                    ..Container::default()
                }),
                ..Template::default()
            }],
            ..WorkflowSpec::default()
        },
    )
}

/// ServiceAccount, Role and RoleBinding: create SparkApplications and read their status, pause and
/// resume KafkaConnectors, and report step results (`workflowtaskresults`).
pub fn rbac() -> (ServiceAccount, Role, RoleBinding) {
    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(labels("rbac")),
        ..ObjectMeta::default()
    };
    let rule = |group: &str, resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_owned()]),
        resources: Some(resources.iter().map(|s| (*s).to_owned()).collect()),
        verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
        ..PolicyRule::default()
    };
    let sa = ServiceAccount {
        metadata: meta(SERVICE_ACCOUNT),
        ..ServiceAccount::default()
    };
    let role = Role {
        metadata: meta(SERVICE_ACCOUNT),
        rules: Some(vec![
            rule(
                "sparkoperator.k8s.io",
                &["sparkapplications"],
                &["create", "get", "list", "watch", "delete"],
            ),
            rule("kafka.strimzi.io", &["kafkaconnectors"], &["get", "patch"]),
            rule(
                "argoproj.io",
                &["workflowtaskresults"],
                &["create", "patch"],
            ),
        ]),
    };
    let binding = RoleBinding {
        metadata: meta(SERVICE_ACCOUNT),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_owned(),
            kind: "Role".to_owned(),
            name: SERVICE_ACCOUNT.to_owned(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_owned(),
            name: SERVICE_ACCOUNT.to_owned(),
            ..Subject::default()
        }]),
    };
    (sa, role, binding)
}
