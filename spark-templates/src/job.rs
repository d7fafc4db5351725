//! Settings shared by every template: image, catalog, storage, resources, restart, monitoring, RBAC.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, KeyToPath, PodSecurityContext, SeccompProfile,
    SecurityContext, ServiceAccount, Volume, VolumeMount,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use manifest_bundle::{Bundle, ConfigMapFiles, Objects};
use serde::Serialize;

use crate::catalog::{Contribution, IcebergCatalog, S3Storage};
use crate::error::{Error, Result};
use crate::resources::{
    CustomResource, Dependencies, DriverSpec, DynamicAllocation, ExecutorSpec, MonitoringSpec,
    PodSpec, PrometheusSpec, RestartPolicy, ScheduledSparkApplication,
    ScheduledSparkApplicationSpec, SparkApplication, SparkApplicationSpec, API_VERSION,
};
use crate::versions;

/// Where the job code ConfigMap is mounted in the driver.
pub const JOB_CODE_DIR: &str = "/opt/spark/jobs";

/// How the application is monitored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Monitoring {
    /// Spark's built-in Prometheus endpoints on the driver UI port (`/metrics/prometheus`,
    /// `/metrics/executors/prometheus`), with `prometheus.io/*` annotations; works with the stock image.
    PrometheusServlet,
    /// The operator's JMX exporter (`spec.monitoring`); the agent jar must be in the image.
    JmxExporter {
        /// Path of `jmx_prometheus_javaagent.jar` in the image.
        jar: String,
        /// Exporter port (1024–49151).
        port: i32,
    },
}

/// When the operator restarts the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restart {
    /// Never restart.
    Never,
    /// Retry failed runs `retries` times, `interval_seconds` apart.
    OnFailure {
        /// Retries.
        retries: i32,
        /// Seconds between retries.
        interval_seconds: i64,
    },
    /// Always restart (streaming jobs), `interval_seconds` after a failure.
    Always {
        /// Seconds before a restart after a failure.
        interval_seconds: i64,
    },
}

/// Settings shared by every template. Templates expose them through [`SparkJobOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct SparkJob {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) image: String,
    pub(crate) image_pull_policy: String,
    pub(crate) catalog: Option<IcebergCatalog>,
    pub(crate) s3: Option<S3Storage>,
    pub(crate) driver_cores: i32,
    pub(crate) driver_memory: String,
    pub(crate) executor_cores: i32,
    pub(crate) executor_memory: String,
    pub(crate) executor_instances: i32,
    pub(crate) dynamic_allocation: Option<(i32, i32)>,
    pub(crate) restart: Restart,
    pub(crate) time_to_live_seconds: Option<i64>,
    pub(crate) monitoring: Option<Monitoring>,
    pub(crate) schedule: Option<String>,
    pub(crate) time_zone: String,
    pub(crate) spark_conf: BTreeMap<String, String>,
    pub(crate) packages: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
}

impl SparkJob {
    pub(crate) fn new(name: impl Into<String>) -> Self {
        SparkJob {
            name: name.into(),
            namespace: None,
            image: versions::DEFAULT_IMAGE.into(),
            image_pull_policy: "IfNotPresent".into(),
            catalog: None,
            s3: None,
            driver_cores: 1,
            driver_memory: "1g".into(),
            executor_cores: 1,
            executor_memory: "2g".into(),
            executor_instances: 2,
            dynamic_allocation: None,
            restart: Restart::OnFailure {
                retries: 2,
                interval_seconds: 60,
            },
            time_to_live_seconds: Some(86_400),
            monitoring: Some(Monitoring::PrometheusServlet),
            schedule: None,
            time_zone: "Etc/UTC".into(),
            spark_conf: BTreeMap::new(),
            packages: Vec::new(),
            labels: BTreeMap::new(),
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The catalog, if set.
    pub fn catalog(&self) -> Option<&IcebergCatalog> {
        self.catalog.as_ref()
    }

    pub(crate) fn catalog_name(&self, template: &'static str) -> Result<&str> {
        self.catalog
            .as_ref()
            .map(IcebergCatalog::name)
            .ok_or(Error::MissingCatalog { template })
    }

    pub(crate) fn validate(&self, template: &'static str) -> Result<()> {
        validate_name(&self.name)?;
        let catalog = self
            .catalog
            .as_ref()
            .ok_or(Error::MissingCatalog { template })?;
        catalog.validate()?;
        if let Some(s3) = &self.s3 {
            s3.validate()?;
        }
        if self.image.trim().is_empty() {
            return Err(Error::InvalidValue {
                field: "image".into(),
                value: self.image.clone(),
                reason: "empty".into(),
            });
        }
        check_count("driver cores", self.driver_cores, 1, "at least 1")?;
        check_count("executor cores", self.executor_cores, 1, "at least 1")?;
        check_count(
            "executor instances",
            self.executor_instances,
            1,
            "at least 1",
        )?;
        check_memory("driver memory", &self.driver_memory)?;
        check_memory("executor memory", &self.executor_memory)?;
        if let Some((min, max)) = self.dynamic_allocation {
            check_count("dynamic allocation min executors", min, 0, "at least 0")?;
            check_count("dynamic allocation max executors", max, 1, "at least 1")?;
            if min > max {
                return Err(Error::InvalidCount {
                    field: "dynamic allocation min executors",
                    value: min.into(),
                    reason: "must not exceed max executors",
                });
            }
        }
        match self.restart {
            Restart::OnFailure {
                retries,
                interval_seconds,
            } => {
                check_count("restart retries", retries, 0, "at least 0")?;
                check_count64("restart interval", interval_seconds, 1, "at least 1 second")?;
            }
            Restart::Always { interval_seconds } => {
                check_count64("restart interval", interval_seconds, 1, "at least 1 second")?;
            }
            Restart::Never => {}
        }
        if let Some(ttl) = self.time_to_live_seconds {
            check_count64("timeToLiveSeconds", ttl, 1, "at least 1 second")?;
        }
        if let Some(Monitoring::JmxExporter { port, .. }) = &self.monitoring {
            if !(1024..=49151).contains(port) {
                return Err(Error::InvalidCount {
                    field: "monitoring port",
                    value: (*port).into(),
                    reason: "1024 to 49151",
                });
            }
        }
        if let Some(s) = &self.schedule {
            if s.split_whitespace().count() != 5 && !s.starts_with('@') {
                return Err(Error::InvalidValue {
                    field: "schedule".into(),
                    value: s.clone(),
                    reason: "a five-field cron expression or @daily-style macro".into(),
                });
            }
        }
        if let Some(k) = self
            .spark_conf
            .keys()
            .find(|k| crate::catalog::is_secret_like(k))
        {
            return Err(Error::InvalidValue {
                field: format!("sparkConf {k}"),
                value: "<hidden>".into(),
                reason: "credentials must come from a Secret (use a SecretKeyRef), not sparkConf"
                    .into(),
            });
        }
        Ok(())
    }

    pub(crate) fn labels(&self, template: &str) -> BTreeMap<String, String> {
        let mut l = BTreeMap::from([
            ("app.kubernetes.io/name".to_owned(), template.to_owned()),
            ("app.kubernetes.io/instance".to_owned(), self.name.clone()),
            (
                "app.kubernetes.io/part-of".to_owned(),
                "data-tier".to_owned(),
            ),
        ]);
        l.extend(self.labels.clone());
        l
    }

    pub(crate) fn metadata(&self, name: &str, template: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: self.namespace.clone(),
            labels: Some(self.labels(template)),
            ..ObjectMeta::default()
        }
    }

    /// The service account the driver runs as.
    pub fn service_account_name(&self) -> String {
        format!("{}-driver", self.name)
    }

    /// The ConfigMap holding the job code.
    pub fn code_config_map_name(&self) -> String {
        format!("{}-code", self.name)
    }
}

/// A job name: a DNS-1123 label ([`manifest_bundle::names::dns1123_label`]) of at most 40
/// characters (the names derived from it add suffixes), starting with a letter.
fn validate_name(name: &str) -> Result<()> {
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    match manifest_bundle::names::dns1123_label(name, 40) {
        Ok(()) if starts_with_letter => Ok(()),
        _ => Err(Error::InvalidValue {
            field: "name".into(),
            value: name.into(),
            reason: "a DNS label of at most 40 characters (a-z, 0-9, -), starting with a letter"
                .into(),
        }),
    }
}

fn check_count(field: &'static str, value: i32, min: i32, reason: &'static str) -> Result<()> {
    check_count64(field, value.into(), min.into(), reason)
}

fn check_count64(field: &'static str, value: i64, min: i64, reason: &'static str) -> Result<()> {
    if value < min {
        return Err(Error::InvalidCount {
            field,
            value,
            reason,
        });
    }
    Ok(())
}

/// Checks a Spark memory string: digits and a unit `k`, `m`, `g`, `t` (optionally followed by `b`).
pub(crate) fn check_memory(field: &'static str, value: &str) -> Result<()> {
    let lower = value.to_ascii_lowercase();
    let unitless = lower.strip_suffix('b').unwrap_or(&lower);
    let digits = unitless
        .strip_suffix(['k', 'm', 'g', 't'])
        .unwrap_or_default();
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|n| n > 0);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidMemory {
            field,
            value: value.to_owned(),
        })
    }
}

/// Checks a `namespace.table` name and splits it.
pub(crate) fn parse_table(field: &str, value: &str) -> Result<(String, String)> {
    let parts: Vec<&str> = value.split('.').collect();
    if parts.len() == 2 && parts.iter().all(|p| crate::catalog::is_identifier(p)) {
        Ok((parts[0].to_owned(), parts[1].to_owned()))
    } else {
        Err(Error::InvalidTableName {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Builder methods shared by every template.
pub trait SparkJobOptions: Sized {
    /// The shared settings.
    fn job_mut(&mut self) -> &mut SparkJob;

    /// The Iceberg catalog (required). It becomes Spark's default catalog.
    #[must_use]
    fn catalog(mut self, catalog: IcebergCatalog) -> Self {
        self.job_mut().catalog = Some(catalog);
        self
    }

    /// S3-compatible storage for the catalog's files and `s3a://` paths.
    #[must_use]
    fn s3(mut self, storage: S3Storage) -> Self {
        self.job_mut().s3 = Some(storage);
        self
    }

    /// The namespace of every object (default: none, set by the overlay or `kubectl -n`).
    #[must_use]
    fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.job_mut().namespace = Some(namespace.into());
        self
    }

    /// The container image (default [`versions::DEFAULT_IMAGE`]).
    #[must_use]
    fn image(mut self, image: impl Into<String>) -> Self {
        self.job_mut().image = image.into();
        self
    }

    /// Driver cores and memory (Spark memory string such as `2g`).
    #[must_use]
    fn driver(mut self, cores: i32, memory: impl Into<String>) -> Self {
        let j = self.job_mut();
        j.driver_cores = cores;
        j.driver_memory = memory.into();
        self
    }

    /// Executor cores, memory and count.
    #[must_use]
    fn executors(mut self, instances: i32, cores: i32, memory: impl Into<String>) -> Self {
        let j = self.job_mut();
        j.executor_instances = instances;
        j.executor_cores = cores;
        j.executor_memory = memory.into();
        self
    }

    /// Dynamic allocation between `min` and `max` executors (with shuffle tracking).
    #[must_use]
    fn dynamic_allocation(mut self, min: i32, max: i32) -> Self {
        self.job_mut().dynamic_allocation = Some((min, max));
        self
    }

    /// The restart policy.
    #[must_use]
    fn restart(mut self, restart: Restart) -> Self {
        self.job_mut().restart = restart;
        self
    }

    /// Seconds after the end of a run before the operator deletes it (`None`: keep).
    #[must_use]
    fn time_to_live_seconds(mut self, seconds: Option<i64>) -> Self {
        self.job_mut().time_to_live_seconds = seconds;
        self
    }

    /// Monitoring (`None` to turn it off).
    #[must_use]
    fn monitoring(mut self, monitoring: Option<Monitoring>) -> Self {
        self.job_mut().monitoring = monitoring;
        self
    }

    /// A cron schedule: the template emits a `ScheduledSparkApplication`.
    #[must_use]
    fn schedule(mut self, cron: impl Into<String>) -> Self {
        self.job_mut().schedule = Some(cron.into());
        self
    }

    /// No schedule: the template emits a one-off `SparkApplication`.
    #[must_use]
    fn run_once(mut self) -> Self {
        self.job_mut().schedule = None;
        self
    }

    /// An extra `sparkConf` entry (never a secret).
    #[must_use]
    fn spark_conf(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.job_mut().spark_conf.insert(key.into(), value.into());
        self
    }

    /// An extra Maven package.
    #[must_use]
    fn package(mut self, coordinates: impl Into<String>) -> Self {
        self.job_mut().packages.push(coordinates.into());
        self
    }

    /// An extra label on every object.
    #[must_use]
    fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.job_mut().labels.insert(key.into(), value.into());
        self
    }
}

/// A SparkApplication or a ScheduledSparkApplication.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Application {
    /// A one-off run.
    Once(SparkApplication),
    /// A cron-scheduled run.
    Scheduled(ScheduledSparkApplication),
}

impl Application {
    /// The application spec (the template of a scheduled application).
    pub fn spec(&self) -> &SparkApplicationSpec {
        match self {
            Application::Once(a) => &a.spec,
            Application::Scheduled(s) => &s.spec.template,
        }
    }
}

/// Everything one template produces: typed objects, generated ConfigMaps and the README.
#[derive(Debug, Clone, PartialEq)]
pub struct JobBundle {
    /// The template (`cdc-to-iceberg`, ...); the base folder's name.
    pub template: &'static str,
    /// The SparkApplication or ScheduledSparkApplication.
    pub application: Application,
    /// The driver's service account.
    pub service_account: ServiceAccount,
    /// What the driver may do in its namespace (executor pods, services, ConfigMaps, PVCs).
    pub role: Role,
    /// Binds the role to the service account.
    pub role_binding: RoleBinding,
    /// Job code and configuration, generated by Kustomize.
    pub config_maps: Vec<ConfigMapFiles>,
    /// The base's README.
    pub readme: String,
}

impl JobBundle {
    /// The Kustomize base: the objects ([`Objects::push_into`]), a header and the README.
    pub fn to_bundle(&self) -> Result<Bundle> {
        let mut b = Bundle::new(self.template)
            .with_header(format!(
                "Rendered by spark-templates ({}); regenerate with `cargo run -p spark-templates --bin render-bases`.",
                self.template
            ))
            .with_readme(self.readme.clone());
        self.push_into(&mut b)?;
        Ok(b)
    }
}

impl Objects for JobBundle {
    type Error = Error;

    /// The driver's ServiceAccount, Role and RoleBinding, the application, then the code ConfigMaps.
    fn push_into(&self, bundle: &mut Bundle) -> Result<()> {
        bundle.push(&self.service_account)?;
        bundle.push(&self.role)?;
        bundle.push(&self.role_binding)?;
        bundle.push(&self.application)?;
        for cm in &self.config_maps {
            bundle.push_config_map(cm.clone())?;
        }
        Ok(())
    }
}

/// An extra ConfigMap volume: (ConfigMap name, mount path, key → relative path items).
pub(crate) type ExtraVolume = (String, String, Vec<(String, String)>);

/// A Secret mounted read-only in the driver and the executors: (volume name, Secret name, mount
/// path, key → relative path items).
pub(crate) struct SecretVolume {
    pub(crate) volume: String,
    pub(crate) secret: String,
    pub(crate) mount_path: String,
    pub(crate) items: Vec<(String, String)>,
}

/// What a template asks of the common machinery.
pub(crate) struct AppRequest<'a> {
    pub(crate) template: &'static str,
    pub(crate) main_file: &'a str,
    pub(crate) arguments: Vec<String>,
    pub(crate) packages: Vec<String>,
    pub(crate) spark_conf: BTreeMap<String, String>,
    /// Extra ConfigMap volumes: (ConfigMap name, mount path, key → relative path).
    pub(crate) extra_volumes: Vec<ExtraVolume>,
    pub(crate) config_maps: Vec<ConfigMapFiles>,
    /// Extra plain environment of the driver.
    pub(crate) driver_env: Vec<(String, String)>,
    /// Extra driver environment from Secrets (`valueFrom.secretKeyRef`).
    pub(crate) driver_secret_env: Vec<k8s_openapi::api::core::v1::EnvVar>,
    /// Secrets mounted in the driver and the executors.
    pub(crate) secret_volumes: Vec<SecretVolume>,
}

impl<'a> AppRequest<'a> {
    /// A job running `main_file` of `config_maps` with `--config <code dir>/job.json`, and nothing
    /// else: set the other fields with struct update syntax.
    pub(crate) fn new(
        template: &'static str,
        main_file: &'a str,
        config_maps: Vec<ConfigMapFiles>,
    ) -> Self {
        AppRequest {
            template,
            main_file,
            arguments: vec!["--config".into(), format!("{JOB_CODE_DIR}/job.json")],
            packages: vec![],
            spark_conf: BTreeMap::new(),
            extra_volumes: vec![],
            config_maps,
            driver_env: vec![],
            driver_secret_env: vec![],
            secret_volumes: vec![],
        }
    }
}

fn hardened_container() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        privileged: Some(false),
        run_as_non_root: Some(true),
        run_as_user: Some(versions::SPARK_UID),
        run_as_group: Some(versions::SPARK_UID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        ..SecurityContext::default()
    }
}

fn hardened_pod() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(versions::SPARK_UID),
        run_as_group: Some(versions::SPARK_UID),
        fs_group: Some(versions::SPARK_UID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

impl SparkJob {
    /// Assembles the objects of a template; call [`SparkJob::validate`] first.
    pub(crate) fn assemble(&self, req: AppRequest<'_>) -> Result<JobBundle> {
        let template = req.template;
        let mut contribution = Contribution::default();
        let catalog = self
            .catalog
            .as_ref()
            .ok_or(Error::MissingCatalog { template })?;
        catalog.contribute(&mut contribution);
        if let Some(s3) = &self.s3 {
            s3.contribute(Some(catalog.name()), &mut contribution);
        }
        let (mut spark_conf, driver_annotations, monitoring) =
            self.spark_conf(std::mem::take(&mut contribution.spark_conf));
        spark_conf.extend(req.spark_conf);
        spark_conf.extend(self.spark_conf.clone());
        let packages = self.packages(
            std::mem::take(&mut contribution.packages)
                .into_iter()
                .chain(req.packages),
        );
        let (volumes, driver_mounts, executor_mounts) =
            self.volumes(&req.extra_volumes, &req.secret_volumes);
        let labels = self.labels(template);
        let mut driver_env = contribution.driver_env;
        driver_env.extend(req.driver_secret_env);
        for (name, value) in req.driver_env {
            driver_env.push(k8s_openapi::api::core::v1::EnvVar {
                name,
                value: Some(value),
                ..Default::default()
            });
        }
        let driver = DriverSpec {
            pod: PodSpec {
                cores: Some(self.driver_cores),
                memory: Some(self.driver_memory.clone()),
                labels: labels.clone(),
                annotations: driver_annotations,
                env: driver_env,
                volume_mounts: driver_mounts,
                security_context: Some(hardened_container()),
                pod_security_context: Some(hardened_pod()),
                service_account: Some(self.service_account_name()),
                ..PodSpec::default()
            },
        };
        let executor = ExecutorSpec {
            instances: Some(self.executor_instances),
            pod: PodSpec {
                cores: Some(self.executor_cores),
                memory: Some(self.executor_memory.clone()),
                labels: labels.clone(),
                env: contribution.executor_env,
                volume_mounts: executor_mounts,
                security_context: Some(hardened_container()),
                pod_security_context: Some(hardened_pod()),
                ..PodSpec::default()
            },
        };
        let spec = SparkApplicationSpec {
            type_: "Python".into(),
            mode: Some("cluster".into()),
            image: Some(self.image.clone()),
            image_pull_policy: Some(self.image_pull_policy.clone()),
            python_version: Some("3".into()),
            spark_version: versions::SPARK_VERSION.into(),
            main_application_file: format!("local://{JOB_CODE_DIR}/{}", req.main_file),
            arguments: req.arguments,
            spark_conf,
            deps: Some(Dependencies {
                packages,
                ..Dependencies::default()
            }),
            driver,
            executor,
            dynamic_allocation: self.dynamic_allocation.map(|(min, max)| DynamicAllocation {
                enabled: true,
                initial_executors: Some(min.max(1)),
                min_executors: Some(min),
                max_executors: Some(max),
                shuffle_tracking_enabled: Some(true),
                ..DynamicAllocation::default()
            }),
            restart_policy: Some(self.restart_policy()),
            time_to_live_seconds: self.time_to_live_seconds,
            monitoring,
            volumes,
            ..SparkApplicationSpec::default()
        };
        let (service_account, role, role_binding) = self.driver_rbac(template);
        Ok(JobBundle {
            template,
            application: self.application(template, spec),
            service_account,
            role,
            role_binding,
            config_maps: req.config_maps,
            readme: String::new(),
        })
    }

    /// The Iceberg and monitoring Spark settings on top of `spark_conf` (the catalog's and S3's),
    /// with the driver's annotations and the operator's monitoring spec.
    fn spark_conf(
        &self,
        spark_conf: BTreeMap<String, String>,
    ) -> (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        Option<MonitoringSpec>,
    ) {
        let mut spark_conf = spark_conf;
        spark_conf.insert(
            "spark.sql.extensions".into(),
            "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions".into(),
        );
        spark_conf.insert("spark.jars.ivy".into(), "/tmp/.ivy2".into());
        spark_conf.insert("spark.sql.session.timeZone".into(), "UTC".into());
        let mut driver_annotations = BTreeMap::new();
        let mut monitoring = None;
        match &self.monitoring {
            Some(Monitoring::PrometheusServlet) => {
                spark_conf.insert("spark.ui.prometheus.enabled".into(), "true".into());
                spark_conf.insert(
                    "spark.metrics.conf.*.sink.prometheusServlet.class".into(),
                    "org.apache.spark.metrics.sink.PrometheusServlet".into(),
                );
                spark_conf.insert(
                    "spark.metrics.conf.*.sink.prometheusServlet.path".into(),
                    "/metrics/prometheus".into(),
                );
                spark_conf.insert(
                    "spark.metrics.appStatusSource.enabled".into(),
                    "true".into(),
                );
                driver_annotations.insert("prometheus.io/scrape".into(), "true".into());
                driver_annotations.insert("prometheus.io/port".into(), "4040".into());
                driver_annotations
                    .insert("prometheus.io/path".into(), "/metrics/prometheus".into());
            }
            Some(Monitoring::JmxExporter { jar, port }) => {
                monitoring = Some(MonitoringSpec {
                    expose_driver_metrics: true,
                    expose_executor_metrics: true,
                    prometheus: Some(PrometheusSpec {
                        jmx_exporter_jar: jar.clone(),
                        port: Some(*port),
                        ..PrometheusSpec::default()
                    }),
                    ..MonitoringSpec::default()
                });
            }
            None => {}
        }
        (spark_conf, driver_annotations, monitoring)
    }

    /// The Iceberg runtime and AWS bundle, then `more` and the job's own packages, without repeats.
    fn packages(&self, more: impl Iterator<Item = String>) -> Vec<String> {
        let mut packages = vec![
            versions::iceberg_spark_runtime(),
            versions::iceberg_aws_bundle(),
        ];
        for p in more.chain(self.packages.clone()) {
            if !packages.contains(&p) {
                packages.push(p);
            }
        }
        packages
    }

    /// The pod volumes (job code, extra ConfigMaps, Secrets) and the driver's and executors' mounts.
    fn volumes(
        &self,
        extra_volumes: &[ExtraVolume],
        secret_volumes: &[SecretVolume],
    ) -> (Vec<Volume>, Vec<VolumeMount>, Vec<VolumeMount>) {
        let code_cm = self.code_config_map_name();
        let mut volumes = vec![Volume {
            name: "job-code".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: code_cm,
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        }];
        let mut driver_mounts = vec![VolumeMount {
            name: "job-code".into(),
            mount_path: JOB_CODE_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        }];
        for (i, (cm, path, items)) in extra_volumes.iter().enumerate() {
            let name = format!("job-files-{i}");
            volumes.push(Volume {
                name: name.clone(),
                config_map: Some(ConfigMapVolumeSource {
                    name: cm.clone(),
                    items: (!items.is_empty()).then(|| {
                        items
                            .iter()
                            .map(|(key, path)| KeyToPath {
                                key: key.clone(),
                                path: path.clone(),
                                ..KeyToPath::default()
                            })
                            .collect()
                    }),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            });
            driver_mounts.push(VolumeMount {
                name,
                mount_path: path.clone(),
                read_only: Some(true),
                ..VolumeMount::default()
            });
        }

        let mut executor_mounts = Vec::new();
        for sv in secret_volumes {
            volumes.push(Volume {
                name: sv.volume.clone(),
                secret: Some(k8s_openapi::api::core::v1::SecretVolumeSource {
                    secret_name: Some(sv.secret.clone()),
                    items: (!sv.items.is_empty()).then(|| {
                        sv.items
                            .iter()
                            .map(|(key, path)| KeyToPath {
                                key: key.clone(),
                                path: path.clone(),
                                ..KeyToPath::default()
                            })
                            .collect()
                    }),
                    ..Default::default()
                }),
                ..Volume::default()
            });
            let mount = VolumeMount {
                name: sv.volume.clone(),
                mount_path: sv.mount_path.clone(),
                read_only: Some(true),
                ..VolumeMount::default()
            };
            driver_mounts.push(mount.clone());
            executor_mounts.push(mount);
        }
        (volumes, driver_mounts, executor_mounts)
    }

    /// The operator's restart policy for the job's [`Restart`].
    fn restart_policy(&self) -> RestartPolicy {
        match self.restart {
            Restart::Never => RestartPolicy {
                type_: "Never".into(),
                ..RestartPolicy::default()
            },
            Restart::OnFailure {
                retries,
                interval_seconds,
            } => RestartPolicy {
                type_: "OnFailure".into(),
                on_failure_retries: Some(retries),
                on_failure_retry_interval: Some(interval_seconds),
                on_submission_failure_retries: Some(retries),
                on_submission_failure_retry_interval: Some(interval_seconds),
            },
            Restart::Always { interval_seconds } => RestartPolicy {
                type_: "Always".into(),
                on_failure_retry_interval: Some(interval_seconds),
                on_submission_failure_retry_interval: Some(interval_seconds),
                ..RestartPolicy::default()
            },
        }
    }

    /// The `SparkApplication`, or the `ScheduledSparkApplication` when the job has a schedule.
    fn application(&self, template: &'static str, spec: SparkApplicationSpec) -> Application {
        let metadata = self.metadata(&self.name, template);
        match &self.schedule {
            None => Application::Once(CustomResource::with_metadata(
                API_VERSION,
                "SparkApplication",
                metadata,
                spec,
            )),
            Some(cron) => Application::Scheduled(CustomResource::with_metadata(
                API_VERSION,
                "ScheduledSparkApplication",
                metadata,
                ScheduledSparkApplicationSpec {
                    schedule: cron.clone(),
                    time_zone: Some(self.time_zone.clone()),
                    concurrency_policy: Some("Forbid".into()),
                    suspend: None,
                    successful_run_history_limit: Some(3),
                    failed_run_history_limit: Some(3),
                    template: spec,
                    extra: BTreeMap::new(),
                },
            )),
        }
    }

    /// The driver's ServiceAccount, and the Role and RoleBinding that let it manage its executors.
    fn driver_rbac(&self, template: &'static str) -> (ServiceAccount, Role, RoleBinding) {
        let sa_name = self.service_account_name();
        let service_account = ServiceAccount {
            metadata: self.metadata(&sa_name, template),
            automount_service_account_token: Some(true),
            ..ServiceAccount::default()
        };
        let rule = |groups: &[&str], resources: &[&str], verbs: &[&str]| PolicyRule {
            api_groups: Some(groups.iter().map(|s| (*s).to_owned()).collect()),
            resources: Some(resources.iter().map(|s| (*s).to_owned()).collect()),
            verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
            ..PolicyRule::default()
        };
        let all = [
            "create",
            "get",
            "list",
            "watch",
            "update",
            "patch",
            "delete",
            "deletecollection",
        ];
        let role = Role {
            metadata: self.metadata(&sa_name, template),
            rules: Some(vec![
                rule(&[""], &["pods", "services", "configmaps"], &all),
                rule(&[""], &["persistentvolumeclaims"], &all),
            ]),
        };
        let role_binding = RoleBinding {
            metadata: self.metadata(&sa_name, template),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: sa_name.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa_name,
                namespace: self.namespace.clone(),
                ..Subject::default()
            }]),
        };
        (service_account, role, role_binding)
    }
}

impl SparkJobOptions for SparkJob {
    fn job_mut(&mut self) -> &mut SparkJob {
        self
    }
}
