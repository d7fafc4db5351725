//! `dbt-runner`: a dbt project run by dbt-spark in session mode inside the Spark driver.

use std::collections::BTreeMap;

use manifest_bundle::ConfigMapFiles;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::{AppRequest, JobBundle, SparkJob, SparkJobOptions};
use crate::render::{self, param, ReadmeParts};
use crate::versions;

const TEMPLATE: &str = crate::names::DBT_RUNNER;
/// Where a project shipped in a ConfigMap is mounted.
pub const PROJECT_DIR: &str = "/opt/spark/dbt-project";

/// Where the dbt project comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbtProject {
    /// Files shipped in a ConfigMap: relative path (`models/daily.sql`) → content.
    Files(BTreeMap<String, String>),
    /// A git repository cloned at start (`git`, or dulwich when the image has no git).
    Git {
        /// Clone URL (https).
        url: String,
        /// Branch, tag or commit.
        rev: String,
        /// Folder of the project inside the repository (empty: the root).
        subdir: String,
    },
}

#[derive(Serialize)]
struct Config<'a> {
    app_name: &'a str,
    source: &'a str,
    project_dir: &'a str,
    git_url: &'a str,
    git_rev: &'a str,
    git_subdir: &'a str,
    dbt_args: &'a [String],
    pip_install: &'a [String],
}

/// Builder of the `dbt-runner` base (daily at 04:00 UTC by default).
#[derive(Debug, Clone)]
#[must_use]
pub struct DbtRunner {
    job: SparkJob,
    project: Option<DbtProject>,
    schema: String,
    args: Vec<String>,
    pip_install: Vec<String>,
}

impl SparkJobOptions for DbtRunner {
    fn job_mut(&mut self) -> &mut SparkJob {
        &mut self.job
    }
}

impl DbtRunner {
    /// A dbt runner with the example project (one model over `analytics.events`), `dbt build`.
    pub fn new(name: impl Into<String>) -> Self {
        DbtRunner {
            job: SparkJob::new(name).schedule("0 4 * * *"),
            project: None,
            schema: "analytics".into(),
            args: vec!["build".into()],
            pip_install: versions::DBT_PIP_PACKAGES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    /// The project.
    pub fn project(mut self, project: DbtProject) -> Self {
        self.project = Some(project);
        self
    }

    /// The dbt schema (an Iceberg namespace of the catalog), default `analytics`.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// dbt arguments (default `build`).
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Packages pip-installed at start when the image lacks dbt (empty: the image must have dbt).
    pub fn pip_install<I: IntoIterator<Item = S>, S: Into<String>>(mut self, packages: I) -> Self {
        self.pip_install = packages.into_iter().map(Into::into).collect();
        self
    }

    fn profile(&self) -> String {
        self.job.name().replace('-', "_")
    }

    /// The example project's files (rendered).
    fn example_project(&self) -> Result<BTreeMap<String, String>> {
        let ctx = minijinja::context! {
            profile => self.profile(), source_table => format!("{}.events", self.schema),
        };
        Ok(BTreeMap::from([
            (
                "dbt_project.yml".to_owned(),
                render::render("dbt_project.yml", &ctx)?,
            ),
            (
                "models/daily_events.sql".to_owned(),
                render::render("dbt_model_daily.sql", &ctx)?,
            ),
        ]))
    }

    /// Validates the parameters and produces the objects.
    pub fn build(self) -> Result<JobBundle> {
        self.job.validate(TEMPLATE)?;
        super::check_column("schema", &self.schema)?;
        if self.args.is_empty() {
            return Err(Error::MissingParameter {
                template: TEMPLATE,
                field: "dbt args",
            });
        }
        let name = self.job.name();
        let project_cm = format!("{name}-project");
        let example;
        let (source, files, git) = match &self.project {
            None => {
                example = self.example_project()?;
                ("configmap", Some(&example), None)
            }
            Some(DbtProject::Files(files)) => ("configmap", Some(files), None),
            Some(DbtProject::Git { url, rev, subdir }) => ("git", None, Some((url, rev, subdir))),
        };
        let mut config_maps = Vec::new();
        let mut extra_volumes = Vec::new();
        if let Some(files) = files {
            if !files.contains_key("dbt_project.yml") {
                return Err(Error::MissingParameter {
                    template: TEMPLATE,
                    field: "dbt_project.yml in the project files",
                });
            }
            let mut cm = ConfigMapFiles::new(&project_cm);
            let mut items = Vec::new();
            for (path, content) in files {
                let ok = !path.is_empty()
                    && !path.starts_with('/')
                    && path
                        .split('/')
                        .all(|p| !p.is_empty() && p != "." && p != "..")
                    && path
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                    && !path.contains("__");
                if !ok {
                    return Err(Error::InvalidValue {
                        field: "dbt project file".into(),
                        value: path.clone(),
                        reason: "a relative path of letters, digits, -, _, . (no `__`, no `..`)"
                            .into(),
                    });
                }
                let key = path.replace('/', "__");
                items.push((key.clone(), path.clone()));
                cm = cm.file(key, content.clone());
            }
            config_maps.push(cm);
            extra_volumes.push((project_cm.clone(), PROJECT_DIR.to_owned(), items));
        }
        let (git_url, git_rev, git_subdir) = git
            .map(|(u, r, s)| (u.as_str(), r.as_str(), s.as_str()))
            .unwrap_or(("", "", ""));
        if source == "git" && !(git_url.starts_with("https://") || git_url.starts_with("http://")) {
            return Err(Error::InvalidValue {
                field: "git url".into(),
                value: git_url.into(),
                reason: "an http(s) clone URL (credentials are not supported)".into(),
            });
        }
        let ctx = minijinja::context! {
            name, profile => self.profile(), schema => self.schema.clone(), dbt_args => self.args.clone(),
            catalog => self.job.catalog_name(TEMPLATE)?, source, git_url, git_rev,
            project_dir => PROJECT_DIR,
            description => format!("dbt {} with dbt-spark (session) against Iceberg", self.args.join(" ")),
        };
        let code = ConfigMapFiles::new(self.job.code_config_map_name())
            .file("datatier_spark.py", render::runtime(TEMPLATE)?)
            .file("dbt_runner.py", render::render("dbt_runner.py", &ctx)?)
            .file("profiles.yml", render::render("dbt_profiles.yml", &ctx)?)
            .file(
                "job.json",
                render::job_json(&Config {
                    app_name: name,
                    source,
                    project_dir: PROJECT_DIR,
                    git_url,
                    git_rev,
                    git_subdir,
                    dbt_args: &self.args,
                    pip_install: &self.pip_install,
                })?,
            );
        config_maps.insert(0, code);
        let mut bundle = self.job.assemble(AppRequest {
            extra_volumes,
            driver_env: vec![("HOME".into(), "/tmp".into())],
            ..AppRequest::new(TEMPLATE, "dbt_runner.py", config_maps)
        })?;
        let mut params = render::common_params(&self.job, &bundle);
        params.extend([
            param(
                "project",
                if source == "git" {
                    format!("git {git_url} @ {git_rev}")
                } else {
                    format!("ConfigMap {project_cm}")
                },
                "builder (`DbtProject`)",
            ),
            param("dbt schema", &self.schema, "`profiles.yml`"),
            param(
                "dbt arguments",
                self.args.join(" "),
                "`job.json` `dbt_args`",
            ),
            param(
                "pip install",
                self.pip_install.join(" "),
                "`job.json` `pip_install`",
            ),
        ]);
        let extra_cms = if source == "configmap" {
            vec![(project_cm.clone(), format!("the dbt project, keys with `__` for `/`, mounted at `{PROJECT_DIR}` with `items` restoring the paths"))]
        } else {
            vec![]
        };
        bundle.readme = render::readme(&self.job, &bundle, ReadmeParts {
            builder: "DbtRunner",
            overview: "Runs a dbt project with dbt-spark in `session` mode inside the Spark driver: dbt's SQL runs in \
                the driver's SparkSession, whose default catalog is the Iceberg catalog, so dbt schemas are Iceberg \
                namespaces and models are Iceberg tables (`+file_format: iceberg`). The project is copied to /tmp \
                (dbt writes `target/` and `logs/`).".into(),
            params,
            extra_cms,
            requirements: vec![
                "dbt in the image, or PyPI reachable from the driver: `pip_install` packages are installed into /tmp at start (empty the list when the image ships dbt).".into(),
            ],
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/template/arguments".into(),
                "  value: [--config, /opt/spark/jobs/job.json, run, --select, daily_events]".into(),
            ],
            notes: "Replace the project in an overlay with a `configMapGenerator` of the same name and `behavior: replace` \
                (keys `models__x.sql`), and patch the volume's `items` to match.".into(),
        })?;
        Ok(bundle)
    }
}
