//! minijinja rendering of the job code and the base READMEs.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use minijinja::Environment;
use serde::Serialize;

use crate::catalog::CONF_FROM_ENV_PREFIX;
use crate::error::{Error, Result};
use crate::job::{Application, JobBundle, SparkJob, JOB_CODE_DIR};
use crate::versions;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "datatier_spark.py",
        include_str!("../templates/datatier_spark.py"),
    ),
    (
        "aggregation_batch.py",
        include_str!("../templates/aggregation_batch.py"),
    ),
    (
        "aggregation.sql",
        include_str!("../templates/aggregation.sql"),
    ),
    (
        "partition_rebuild.py",
        include_str!("../templates/partition_rebuild.py"),
    ),
    (
        "partition_rebuild_source.sql",
        include_str!("../templates/partition_rebuild_source.sql"),
    ),
    (
        "partition_rebuild_rewrite.sql",
        include_str!("../templates/partition_rebuild_rewrite.sql"),
    ),
    (
        "iceberg_maintenance.py",
        include_str!("../templates/iceberg_maintenance.py"),
    ),
    (
        "maintenance.sql",
        include_str!("../templates/maintenance.sql"),
    ),
    (
        "cdc_to_iceberg.py",
        include_str!("../templates/cdc_to_iceberg.py"),
    ),
    (
        "datatier_avro.py",
        include_str!("../templates/datatier_avro.py"),
    ),
    ("cdc_merge.sql", include_str!("../templates/cdc_merge.sql")),
    (
        "cdc_create_table.sql",
        include_str!("../templates/cdc_create_table.sql"),
    ),
    ("dbt_runner.py", include_str!("../templates/dbt_runner.py")),
    (
        "dbt_profiles.yml",
        include_str!("../templates/dbt_profiles.yml"),
    ),
    (
        "dbt_project.yml",
        include_str!("../templates/dbt_project.yml"),
    ),
    (
        "dbt_model_daily.sql",
        include_str!("../templates/dbt_model_daily.sql"),
    ),
    ("README.md.j2", include_str!("../templates/README.md.j2")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| manifest_bundle::jinja::environment(TEMPLATES))
}

pub(crate) use manifest_bundle::jinja::value as sv;

/// Renders one of the built-in templates.
pub(crate) fn render(name: &str, ctx: &minijinja::Value) -> Result<String> {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx.clone()))
        .map_err(|source| Error::Render {
            template: name.to_owned(),
            source,
        })
}

/// The shared runtime module, rendered for a template.
pub(crate) fn runtime(template: &str) -> Result<String> {
    render(
        "datatier_spark.py",
        &minijinja::context! {
            template, version => env!("CARGO_PKG_VERSION"), conf_prefix => CONF_FROM_ENV_PREFIX,
        },
    )
}

/// The Avro decoder module of the CDC job, rendered for a template.
pub(crate) fn avro_runtime(template: &str) -> Result<String> {
    render(
        "datatier_avro.py",
        &minijinja::context! { template, version => env!("CARGO_PKG_VERSION") },
    )
}

/// The job configuration as pretty JSON with a trailing newline.
pub(crate) fn job_json<T: Serialize>(config: &T) -> Result<String> {
    serde_json::to_string_pretty(config)
        .map(|s| s + "\n")
        .map_err(|source| Error::Json {
            context: "job.json",
            source,
        })
}

#[derive(Serialize)]
pub(crate) struct Param {
    name: String,
    value: String,
    #[serde(rename = "where")]
    where_: String,
}

pub(crate) fn param(name: &str, value: impl ToString, where_: &str) -> Param {
    Param {
        name: name.to_owned(),
        value: value.to_string().replace('|', "\\|").replace('\n', " "),
        where_: where_.to_owned(),
    }
}

/// What a template says about itself in its README.
pub(crate) struct ReadmeParts {
    pub(crate) builder: &'static str,
    pub(crate) overview: String,
    pub(crate) params: Vec<Param>,
    pub(crate) extra_cms: Vec<(String, String)>,
    pub(crate) requirements: Vec<String>,
    pub(crate) patch_example: Vec<String>,
    pub(crate) notes: String,
}

/// Renders the README of a bundle.
pub(crate) fn readme(job: &SparkJob, bundle: &JobBundle, parts: ReadmeParts) -> Result<String> {
    let spec = bundle.application.spec();
    let (kind, app_file) = match &bundle.application {
        Application::Once(_) => ("SparkApplication", "sparkapplication"),
        Application::Scheduled(_) => ("ScheduledSparkApplication", "scheduledsparkapplication"),
    };
    let sa = job.service_account_name();
    let objects = vec![
        minijinja::context! { file => format!("serviceaccount-{sa}.yaml"), what => "the driver's service account" },
        minijinja::context! { file => format!("role-{sa}.yaml"), what => "what the driver may do: executor pods, services, ConfigMaps, PVCs in its namespace" },
        minijinja::context! { file => format!("rolebinding-{sa}.yaml"), what => "binds the role to the service account" },
        minijinja::context! { file => format!("{app_file}-{}.yaml", job.name), what => format!("the {kind}") },
    ];
    let mut secrets = BTreeSet::new();
    for env in spec.driver.pod.env.iter().chain(&spec.executor.pod.env) {
        if let Some(r) = env
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            secrets.insert((r.name.clone(), r.key.clone(), env.name.clone()));
        }
    }
    let secrets: Vec<_> = secrets
        .into_iter()
        .map(|(name, key, env)| minijinja::context! { name, key, env })
        .collect();
    let extra_cms: Vec<_> = parts
        .extra_cms
        .into_iter()
        .map(|(name, what)| minijinja::context! { name, what })
        .collect();
    let packages = spec
        .deps
        .as_ref()
        .map(|d| d.packages.clone())
        .unwrap_or_default();
    render(
        "README.md.j2",
        &minijinja::context! {
            template => bundle.template,
            name => job.name.clone(),
            builder => parts.builder,
            overview => parts.overview,
            version => env!("CARGO_PKG_VERSION"),
            objects,
            code_cm => job.code_config_map_name(),
            code_dir => JOB_CODE_DIR,
            extra_cms,
            params => sv(&parts.params),
            spark_version => versions::SPARK_VERSION,
            iceberg_version => versions::ICEBERG_VERSION,
            packages,
            secrets,
            requirements => parts.requirements,
            kind,
            patch_example => parts.patch_example,
            notes => parts.notes,
        },
    )
}

/// Common README parameters of every template.
pub(crate) fn common_params(job: &SparkJob, bundle: &JobBundle) -> Vec<Param> {
    let spec = bundle.application.spec();
    let (path, mut out) = match &bundle.application {
        Application::Once(_) => ("spec", Vec::new()),
        Application::Scheduled(s) => (
            "spec.template",
            vec![param("schedule", &s.spec.schedule, "`spec.schedule`")],
        ),
    };
    out.push(param("image", &job.image, &format!("`{path}.image`")));
    if let Some(c) = &job.catalog {
        out.push(param(
            "catalog",
            c.name(),
            &format!("`{path}.sparkConf` `spark.sql.catalog.{}.*`", c.name()),
        ));
    }
    out.push(param(
        "driver cores / memory",
        format!("{} / {}", job.driver_cores, job.driver_memory),
        &format!("`{path}.driver.cores`, `.memory`"),
    ));
    out.push(param(
        "executors (instances × cores / memory)",
        format!(
            "{} × {} / {}",
            job.executor_instances, job.executor_cores, job.executor_memory
        ),
        &format!("`{path}.executor.instances`, `.cores`, `.memory`"),
    ));
    if let Some(r) = &spec.restart_policy {
        out.push(param(
            "restart policy",
            &r.type_,
            &format!("`{path}.restartPolicy`"),
        ));
    }
    if let Some(ttl) = spec.time_to_live_seconds {
        out.push(param(
            "timeToLiveSeconds",
            ttl,
            &format!("`{path}.timeToLiveSeconds`"),
        ));
    }
    out
}
