//! Shared WorkflowTemplates the pipelines compose with `templateRef`: `icehelper` (one template
//! per icehelper verb) and `pipeline-notify`, plus the pipelines' ServiceAccount and RBAC.
//!
//! The Spark steps are not shared: each pipeline builds its own from spark-templates (see
//! [`crate::spark`]), because a spark-templates job carries its own job code ConfigMap.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::icehelper::{self, flags, verbs};
use crate::model::{
    labels, Container, CustomResource, Inputs, Parameter, RetryStrategy, Template, WorkflowSpec,
    WorkflowTemplate, ARGO_API_VERSION,
};
use crate::spark::CatalogSettings;
use k8s_openapi::api::core::v1::{EnvVar, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// ServiceAccount the pipeline pods run as.
pub const SERVICE_ACCOUNT: &str = "data-tier-pipelines";
/// The icehelper WorkflowTemplate.
pub const ICEHELPER_TEMPLATE: &str = "icehelper";
/// The notification WorkflowTemplate.
pub const NOTIFY_TEMPLATE: &str = "pipeline-notify";

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

/// Checks a DNS-1123 label (at most 63 characters) for Argo objects and templates:
/// [`manifest_bundle::names::dns1123_label`].
pub fn validate_name(what: &'static str, name: &str) -> Result<()> {
    manifest_bundle::names::dns1123_label(name, manifest_bundle::names::MAX_LABEL_LEN).map_err(
        |reason| Error::InvalidName {
            what,
            name: name.to_owned(),
            reason,
        },
    )
}

pub(crate) fn workflow_template(
    name: &str,
    component: &str,
    spec: WorkflowSpec,
) -> WorkflowTemplate {
    CustomResource {
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

/// Catalog properties passed as flags (with an input parameter) rather than environment.
const FLAG_PROPERTIES: [(&str, &str, &str, &str); 2] = [
    ("uri", "catalog-uri", flags::URI, "Catalog URI"),
    ("warehouse", "warehouse", flags::WAREHOUSE, "Warehouse"),
];

fn icehelper_step(catalog: &CatalogSettings, verb: &str, extra: &[(&str, &str, &str)]) -> Template {
    icehelper_command(catalog, &[verb], &[], extra)
}

/// A template running `icehelper <global flags> <path...> TABLE <positional...> <extra flags>`;
/// `positional` entries are (input, default, description), `extra` entries (flag, input, default);
/// an empty default makes a required input.
fn icehelper_command(
    catalog: &CatalogSettings,
    path: &[&str],
    positional: &[(&str, &str, &str)],
    extra: &[(&str, &str, &str)],
) -> Template {
    let verb = path.join("-");
    let verb = verb.as_str();
    let mut params = vec![Parameter::required(
        "table",
        "Iceberg table, `namespace.table`",
    )];
    let mut args = vec![flags::CATALOG.to_owned(), catalog.name.clone()];
    for (key, param, flag, description) in FLAG_PROPERTIES {
        if let Some(default) = catalog.properties.get(key) {
            params.push(Parameter::with_default(param, default, description));
            args.push(flag.to_owned());
            args.push(format!("{{{{inputs.parameters.{param}}}}}"));
        }
    }
    args.extend([
        flags::OUTPUT.to_owned(),
        icehelper::OUTPUT_JSON.to_owned(),
        flags::QUIET.to_owned(),
    ]);
    args.extend(path.iter().map(|p| (*p).to_owned()));
    args.push("{{inputs.parameters.table}}".to_owned());
    for (param, default, description) in positional {
        params.push(if default.is_empty() {
            Parameter::required(param, description)
        } else {
            Parameter::with_default(param, default, description)
        });
        args.push(format!("{{{{inputs.parameters.{param}}}}}"));
    }
    for (flag, param, default) in extra {
        params.push(if default.is_empty() {
            Parameter::required(param, &format!("`{flag}`"))
        } else {
            Parameter::with_default(param, default, &format!("`{flag}`"))
        });
        args.push((*flag).to_owned());
        args.push(format!("{{{{inputs.parameters.{param}}}}}"));
    }
    if verb == verbs::COMPACT {
        args.push(flags::PARTIAL_PROGRESS.to_owned());
    }
    let mut env: Vec<EnvVar> = catalog
        .properties
        .iter()
        .filter(|(k, _)| !FLAG_PROPERTIES.iter().any(|f| f.0 == k.as_str()))
        .map(|(k, v)| manifest_bundle::env::plain(icehelper::catalog_env(&catalog.name, k), v))
        .collect();
    env.extend(catalog.secrets.iter().map(|(k, (secret, key))| {
        manifest_bundle::env::from_secret(icehelper::catalog_env(&catalog.name, k), secret, key)
    }));
    Template {
        name: verb.to_owned(),
        inputs: Some(Inputs { parameters: params }),
        container: Some(Container {
            image: icehelper::image(),
            command: vec![icehelper::BINARY.to_owned()],
            args,
            env,
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
/// metrics on stdout, which Argo keeps as the step's `outputs.result`. The catalog is the one the
/// Spark jobs use ([`CatalogSettings::lake`]); credentials are Secret references.
pub fn icehelper_template() -> Result<WorkflowTemplate> {
    let c = CatalogSettings::lake()?;
    let c = &c;
    let fail_under = icehelper::DEFAULT_FAIL_UNDER.to_string();
    Ok(workflow_template(
        ICEHELPER_TEMPLATE,
        "icehelper",
        WorkflowSpec {
            service_account_name: Some(SERVICE_ACCOUNT.to_owned()),
            templates: vec![
                icehelper_step(
                    c,
                    verbs::PARTITION_HEALTH,
                    &[(flags::FAIL_UNDER, "fail-under", &fail_under)],
                ),
                icehelper_step(
                    c,
                    verbs::COMPACT,
                    &[
                        (flags::TARGET_FILE_SIZE, "target-file-size", "536870912"),
                        (flags::MIN_INPUT_FILES, "min-input-files", "5"),
                    ],
                ),
                icehelper_step(c, verbs::REWRITE_MANIFESTS, &[]),
                icehelper_step(
                    c,
                    verbs::EXPIRE_SNAPSHOTS,
                    &[
                        (flags::OLDER_THAN, "older-than", "7d"),
                        (flags::RETAIN_LAST, "retain-last", "5"),
                    ],
                ),
                icehelper_step(
                    c,
                    verbs::REMOVE_ORPHAN_FILES,
                    &[(flags::OLDER_THAN, "older-than", "3d")],
                ),
                icehelper_command(
                    c,
                    &verbs::BRANCH_FAST_FORWARD,
                    &[(
                        "target",
                        icehelper::MAIN_BRANCH,
                        "Branch that moves (TARGET), usually `main`",
                    )],
                    &[(flags::FROM, "from", "")],
                ),
                icehelper_command(
                    c,
                    &verbs::BRANCH_DROP,
                    &[("name", "", "Branch to drop (NAME); never `main`")],
                    &[],
                ),
            ],
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
