//! minijinja rendering of the base READMEs (templates under `argo-templates/templates/`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use minijinja::{context, Environment, Value};

use crate::error::{Error, Result};
use crate::spark::SparkStep;

const TEMPLATES: &[(&str, &str)] = &[
    ("_header.md.j2", include_str!("../templates/_header.md.j2")),
    (
        "_spark_steps.md.j2",
        include_str!("../templates/_spark_steps.md.j2"),
    ),
    (
        "workflow-library.md.j2",
        include_str!("../templates/workflow-library.md.j2"),
    ),
    (
        "daily-aggregation.md.j2",
        include_str!("../templates/daily-aggregation.md.j2"),
    ),
    (
        "ml-feature-prep.md.j2",
        include_str!("../templates/ml-feature-prep.md.j2"),
    ),
    (
        "cdc-backfill.md.j2",
        include_str!("../templates/cdc-backfill.md.j2"),
    ),
    (
        "iceberg-maintenance.md.j2",
        include_str!("../templates/iceberg-maintenance.md.j2"),
    ),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| manifest_bundle::jinja::environment(TEMPLATES))
}

/// Renders README template `<base>.md.j2` with `ctx` plus `version` and `function`.
pub(crate) fn readme(base: &str, function: &str, ctx: Value) -> Result<String> {
    let name = format!("{base}.md.j2");
    let ctx = context! { version => env!("CARGO_PKG_VERSION"), function, ..ctx };
    env()
        .get_template(&name)
        .and_then(|t| t.render(ctx))
        .map_err(|source| Error::Render {
            template: name,
            source,
        })
}

pub(crate) use manifest_bundle::jinja::value as sv;

fn builder_of(template: &str) -> &'static str {
    spark_templates::names::template(template).map_or("?", |t| t.builder)
}

/// The context of `_spark_steps.md.j2` for `steps`.
pub(crate) fn spark_steps(steps: &[SparkStep]) -> Value {
    let steps: Vec<Value> = steps
        .iter()
        .map(|s| {
            let b = s.bundle();
            let spec = b.application.spec();
            let secrets: BTreeSet<String> = spec
                .driver
                .pod
                .env
                .iter()
                .chain(&spec.executor.pod.env)
                .filter_map(|e| e.value_from.as_ref()?.secret_key_ref.as_ref())
                .map(|r| format!("{}/{}", r.name, r.key))
                .collect();
            let config_maps: Vec<Value> = b
                .config_maps
                .iter()
                .map(|cm| {
                    let files: Vec<String> = cm.files().keys().map(|k| format!("`{k}`")).collect();
                    context! { name => cm.name(), files }
                })
                .collect();
            let arguments: Vec<Value> = s
                .arguments()
                .iter()
                .map(|a| context! { input => a.input.clone(), flag => a.flag.clone() })
                .collect();
            context! {
                template => s.template_name(),
                builder => builder_of(b.template),
                spark_template => b.template,
                job => s.job_name(),
                arguments,
                service_account => spec.driver.pod.service_account.clone(),
                config_maps,
                secrets,
            }
        })
        .collect();
    context! { spark_steps => steps }
}
