//! The pipeline WorkflowTemplates and their CronWorkflows.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use manifest_bundle::{Bundle, Objects};

use crate::cron::{validate_schedule, validate_timezone};
use crate::error::{Error, Result};
use crate::icehelper::{self, verbs};
use crate::library::{
    resource_retry, validate_name, validate_table, workflow_template, ICEHELPER_TEMPLATE,
    NOTIFY_TEMPLATE, SERVICE_ACCOUNT,
};
use crate::model::{
    labels, Arguments, CronWorkflow, CronWorkflowSpec, CustomResource, Dag, DagTask, Inputs,
    Outputs, Parameter, PodGc, ResourceTemplate, Template, TemplateRef, TtlStrategy, ValueFrom,
    WorkflowSpec, WorkflowTemplate, WorkflowTemplateRef, ARGO_API_VERSION,
};
use crate::spark::{self, SparkStep};
use spark_templates::names;

/// The date (`YYYY-MM-DD`) of `{{workflow.scheduledTime}}`, for CronWorkflow arguments.
pub const SCHEDULED_DATE: &str = "{{=sprig.trunc(10, workflow.scheduledTime)}}";

/// The day before `{{workflow.scheduledTime}}` (`YYYY-MM-DD`): the last complete day, for daily
/// batches scheduled after midnight.
pub const SCHEDULED_PREVIOUS_DATE: &str = "{{=sprig.date('2006-01-02', sprig.dateModify('-24h', sprig.toDate('2006-01-02T15:04:05Z07:00', workflow.scheduledTime)))}}";

/// Builder for a `CronWorkflow` running a `WorkflowTemplate`.
///
/// ```no_run
/// use argo_templates::pipelines::CronWorkflowBuilder;
///
/// let cron = CronWorkflowBuilder::new("nightly-maintenance", "iceberg-maintenance")
///     .schedule("30 3 * * *")
///     .timezone("Europe/Berlin")
///     .build()?;
/// # Ok::<(), argo_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CronWorkflowBuilder {
    name: String,
    template: String,
    schedules: Vec<String>,
    timezone: String,
    starting_deadline_seconds: i64,
    successful: i32,
    failed: i32,
    arguments: Vec<Parameter>,
}

impl CronWorkflowBuilder {
    /// Defaults: `Etc/UTC`, `Forbid`, 1h starting deadline, keep 3 successful and 5 failed runs.
    pub fn new(name: impl Into<String>, workflow_template: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            template: workflow_template.into(),
            schedules: Vec::new(),
            timezone: "Etc/UTC".to_owned(),
            starting_deadline_seconds: 3600,
            successful: 3,
            failed: 5,
            arguments: Vec::new(),
        }
    }

    /// Adds a cron schedule (several are allowed).
    pub fn schedule(mut self, expr: impl Into<String>) -> Self {
        self.schedules.push(expr.into());
        self
    }

    /// IANA timezone of the schedules.
    pub fn timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = tz.into();
        self
    }

    /// Runs missed by more than this are skipped.
    pub fn starting_deadline_seconds(mut self, s: i64) -> Self {
        self.starting_deadline_seconds = s;
        self
    }

    /// History limits.
    pub fn history(mut self, successful: i32, failed: i32) -> Self {
        self.successful = successful;
        self.failed = failed;
        self
    }

    /// A workflow argument.
    pub fn argument(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.arguments
            .push(Parameter::value(name.as_ref(), value.as_ref()));
        self
    }

    /// The schedules added so far.
    pub fn schedules(&self) -> &[String] {
        &self.schedules
    }

    /// The timezone.
    pub fn timezone_name(&self) -> &str {
        &self.timezone
    }

    /// Validates and builds.
    pub fn build(self) -> Result<CronWorkflow> {
        validate_name("CronWorkflow", &self.name)?;
        validate_name("WorkflowTemplate", &self.template)?;
        if self.schedules.is_empty() {
            return Err(Error::Empty { what: "schedules" });
        }
        for s in &self.schedules {
            validate_schedule(s)?;
        }
        validate_timezone(&self.timezone)?;
        if self.starting_deadline_seconds < 0 {
            return Err(Error::InvalidValue {
                what: "startingDeadlineSeconds",
                value: self.starting_deadline_seconds.to_string(),
                reason: "must not be negative",
            });
        }
        Ok(CustomResource {
            api_version: ARGO_API_VERSION.to_owned(),
            kind: "CronWorkflow".to_owned(),
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                labels: Some(labels(&self.template)),
                ..ObjectMeta::default()
            },
            spec: CronWorkflowSpec {
                schedules: self.schedules,
                timezone: self.timezone,
                concurrency_policy: "Forbid".to_owned(),
                starting_deadline_seconds: self.starting_deadline_seconds,
                successful_jobs_history_limit: self.successful,
                failed_jobs_history_limit: self.failed,
                workflow_spec: WorkflowSpec {
                    workflow_template_ref: Some(WorkflowTemplateRef {
                        name: self.template,
                    }),
                    arguments: (!self.arguments.is_empty()).then_some(Arguments {
                        parameters: self.arguments,
                    }),
                    ..WorkflowSpec::default()
                },
            },
        })
    }
}

fn args(pairs: &[(&str, &str)]) -> Option<Arguments> {
    Some(Arguments {
        parameters: pairs.iter().map(|(n, v)| Parameter::value(n, v)).collect(),
    })
}

fn task(
    name: &str,
    template: &str,
    tmpl: &str,
    depends: Option<&str>,
    a: &[(&str, &str)],
) -> DagTask {
    DagTask {
        name: name.to_owned(),
        template_ref: Some(TemplateRef {
            name: template.to_owned(),
            template: tmpl.to_owned(),
        }),
        arguments: args(a),
        depends: depends.map(str::to_owned),
        ..DagTask::default()
    }
}

fn notify_task() -> DagTask {
    task("notify", NOTIFY_TEMPLATE, "notify", None, &[])
}

fn pipeline(
    name: &str,
    params: Vec<Parameter>,
    mut templates: Vec<Template>,
    exit_tasks: Vec<DagTask>,
) -> WorkflowTemplate {
    templates.push(Template {
        name: "exit-handler".to_owned(),
        dag: Some(Dag { tasks: exit_tasks }),
        ..Template::default()
    });
    workflow_template(
        name,
        name,
        WorkflowSpec {
            entrypoint: Some("main".to_owned()),
            arguments: Some(Arguments { parameters: params }),
            service_account_name: Some(SERVICE_ACCOUNT.to_owned()),
            on_exit: Some("exit-handler".to_owned()),
            active_deadline_seconds: Some(6 * 3600),
            ttl_strategy: Some(TtlStrategy {
                seconds_after_success: 86_400,
                seconds_after_failure: 7 * 86_400,
            }),
            pod_gc: Some(PodGc {
                strategy: "OnPodSuccess".to_owned(),
            }),
            templates,
            ..WorkflowSpec::default()
        },
    )
}

fn main_dag(tasks: Vec<DagTask>) -> Template {
    Template {
        name: "main".to_owned(),
        dag: Some(Dag { tasks }),
        ..Template::default()
    }
}

fn wp(name: &str) -> String {
    format!("{{{{workflow.parameters.{name}}}}}")
}

fn local_task(name: &str, template: &str, depends: Option<&str>, a: &[(&str, &str)]) -> DagTask {
    DagTask {
        name: name.to_owned(),
        template: Some(template.to_owned()),
        arguments: args(a),
        depends: depends.map(str::to_owned),
        ..DagTask::default()
    }
}

/// A pipeline: its WorkflowTemplate and the spark-templates jobs it runs (whose ServiceAccounts,
/// RBAC and job code ConfigMaps must be deployed next to it).
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The WorkflowTemplate.
    pub workflow_template: WorkflowTemplate,
    /// The Spark steps, in DAG order.
    pub spark_steps: Vec<SparkStep>,
}

impl Objects for CdcBackfill {
    type Error = Error;

    /// The pipeline's objects ([`Pipeline`]).
    fn push_into(&self, base: &mut Bundle) -> Result<()> {
        self.pipeline.push_into(base)
    }
}

impl Objects for Pipeline {
    type Error = Error;

    /// The WorkflowTemplate and everything its SparkApplications need.
    fn push_into(&self, base: &mut Bundle) -> Result<()> {
        base.push(&self.workflow_template)?;
        for s in &self.spark_steps {
            s.push_dependencies(base)?;
        }
        Ok(())
    }
}

/// Builder of the `daily-aggregation` pipeline: spark-templates' `AggregationBatch` (run once, job
/// [`spark::DAILY_AGGREGATION_JOB`]) for the date in workflow parameter `date`, then
/// `icehelper partition-health TABLE --fail-under SCORE` on the output table.
///
/// The score is icehelper's partition health score, an integer from 0 to 100; icehelper exits 1
/// (a problem: the workflow fails, not retried) when the table's score is below it.
///
/// ```no_run
/// use argo_templates::pipelines::DailyAggregationBuilder;
///
/// let pipeline = DailyAggregationBuilder::new("raw_inventory.orders", "marts.daily_orders")
///     .fail_under(60)
///     .build()?;
/// # Ok::<(), argo_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct DailyAggregationBuilder {
    source_table: String,
    target_table: String,
    fail_under: u8,
}

impl DailyAggregationBuilder {
    /// Aggregates `source_table` into `target_table` (both `namespace.table`).
    pub fn new(source_table: impl Into<String>, target_table: impl Into<String>) -> Self {
        Self {
            source_table: source_table.into(),
            target_table: target_table.into(),
            fail_under: icehelper::DEFAULT_FAIL_UNDER,
        }
    }

    /// Minimum partition health score, 0–100 (default [`icehelper::DEFAULT_FAIL_UNDER`]); the
    /// workflow parameter `fail-under` defaults to it.
    pub fn fail_under(mut self, score: u8) -> Self {
        self.fail_under = score;
        self
    }

    /// The configured minimum score.
    pub fn fail_under_score(&self) -> u8 {
        self.fail_under
    }

    /// Validates and builds the pipeline.
    pub fn build(self) -> Result<Pipeline> {
        let (source_table, target_table) = (self.source_table.as_str(), self.target_table.as_str());
        validate_table(source_table)?;
        validate_table(target_table)?;
        if self.fail_under > icehelper::MAX_SCORE {
            return Err(Error::InvalidValue {
                what: "fail-under",
                value: self.fail_under.to_string(),
                reason: "must be an integer partition health score from 0 to 100",
            });
        }
        let fail_under = self.fail_under.to_string();
        let step = SparkStep::new(
            "aggregate",
            spark::daily_aggregation_job(source_table, target_table).build()?,
        )?
        .argument(
            spark::run_time_flag(names::AGGREGATION_BATCH)?,
            "ds",
            "Logical date to aggregate, YYYY-MM-DD",
        )?;
        let workflow_template = pipeline(
            "daily-aggregation",
            vec![
                Parameter::required(
                    "date",
                    "Date to aggregate, YYYY-MM-DD (the CronWorkflow passes the day before the scheduled time)",
                ),
                Parameter::value("fail-under", &fail_under),
            ],
            vec![
                main_dag(vec![
                    local_task(
                        "aggregate",
                        step.template_name(),
                        None,
                        &[("ds", &wp("date"))],
                    ),
                    task(
                        "partition-health",
                        ICEHELPER_TEMPLATE,
                        verbs::PARTITION_HEALTH,
                        Some("aggregate"),
                        &[("table", target_table), ("fail-under", &wp("fail-under"))],
                    ),
                ]),
                step.template()?,
            ],
            vec![notify_task()],
        );
        Ok(Pipeline {
            workflow_template,
            spark_steps: vec![step],
        })
    }
}

/// Builder of the `ml-feature-prep` pipeline: point-in-time-correct features (spark-templates'
/// `AggregationBatch`, run once, with [`spark::customer_features_sql`]) into the feature table for
/// the as-of date in workflow parameter `as-of`, then compaction, manifest rewrite and snapshot
/// expiry on it.
///
/// ```no_run
/// use argo_templates::pipelines::MlFeaturePrepBuilder;
///
/// let pipeline = MlFeaturePrepBuilder::new("raw.customers", "raw.orders", "features.customers")
///     .build()?;
/// # Ok::<(), argo_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MlFeaturePrepBuilder {
    entity_table: String,
    event_table: String,
    feature_table: String,
}

impl MlFeaturePrepBuilder {
    /// Features of the entities of `entity_table` from the events of `event_table`, written to
    /// `feature_table` (all `namespace.table`).
    pub fn new(
        entity_table: impl Into<String>,
        event_table: impl Into<String>,
        feature_table: impl Into<String>,
    ) -> Self {
        Self {
            entity_table: entity_table.into(),
            event_table: event_table.into(),
            feature_table: feature_table.into(),
        }
    }

    /// Validates and builds the pipeline.
    pub fn build(self) -> Result<Pipeline> {
        ml_feature_prep(&self.entity_table, &self.event_table, &self.feature_table)
    }
}

fn ml_feature_prep(entity_table: &str, event_table: &str, feature_table: &str) -> Result<Pipeline> {
    spark::check_tables(&[entity_table, event_table, feature_table])?;
    let step = SparkStep::new(
        "features",
        spark::feature_job(entity_table, event_table, feature_table).build()?,
    )?
    .argument(
        spark::run_time_flag(names::AGGREGATION_BATCH)?,
        "as-of",
        "As-of date, YYYY-MM-DD: features use only data before its 00:00 UTC",
    )?;
    let ft = feature_table;
    let workflow_template = pipeline(
        "ml-feature-prep",
        vec![Parameter::required(
            "as-of",
            "As-of date, YYYY-MM-DD: only events with event time before its 00:00 UTC are used",
        )],
        vec![
            main_dag(vec![
                local_task(
                    "features",
                    step.template_name(),
                    None,
                    &[("as-of", &wp("as-of"))],
                ),
                task(
                    "compact",
                    ICEHELPER_TEMPLATE,
                    verbs::COMPACT,
                    Some("features"),
                    &[("table", ft)],
                ),
                task(
                    "rewrite-manifests",
                    ICEHELPER_TEMPLATE,
                    verbs::REWRITE_MANIFESTS,
                    Some("compact"),
                    &[("table", ft)],
                ),
                task(
                    "expire-snapshots",
                    ICEHELPER_TEMPLATE,
                    verbs::EXPIRE_SNAPSHOTS,
                    Some("rewrite-manifests"),
                    &[("table", ft)],
                ),
            ]),
            step.template()?,
        ],
        vec![notify_task()],
    );
    Ok(Pipeline {
        workflow_template,
        spark_steps: vec![step],
    })
}

fn connector_state(name: &str, state: &str) -> Template {
    Template {
        name: name.to_owned(),
        inputs: Some(Inputs {
            parameters: vec![Parameter::required("connector", "KafkaConnector name")],
        }),
        resource: Some(ResourceTemplate {
            action: "patch".to_owned(),
            merge_strategy: Some("merge".to_owned()),
            manifest: format!(
                "apiVersion: kafka.strimzi.io/v1\nkind: KafkaConnector\nmetadata:\n  name: '{{{{inputs.parameters.connector}}}}'\nspec:\n  state: {state}\n"
            ),
            ..ResourceTemplate::default()
        }),
        retry_strategy: Some(resource_retry()),
        ..Template::default()
    }
}

/// The `cdc-backfill` pipeline and what its README needs.
#[derive(Debug, Clone)]
pub struct CdcBackfill {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// The KafkaConnector paused during the replay.
    pub connector: String,
    /// The replayed topic.
    pub topic: String,
    /// The Iceberg table written.
    pub target_table: String,
}

impl CdcBackfill {
    /// The replay's checkpoint location, read from its `job.json` (spark-templates' default).
    pub fn replay_checkpoint(&self) -> Result<String> {
        let missing = || Error::SparkStep {
            job: spark::CDC_REPLAY_JOB.to_owned(),
            reason: "job.json has no replay.checkpoint_location",
        };
        let job_json = self
            .pipeline
            .spark_steps
            .iter()
            .flat_map(|s| &s.bundle().config_maps)
            .find_map(|cm| {
                (cm.name() == names::code_config_map(spark::CDC_REPLAY_JOB))
                    .then(|| cm.files().get("job.json"))
                    .flatten()
            })
            .ok_or_else(missing)?;
        let v: serde_json::Value =
            serde_json::from_str(job_json).map_err(|source| Error::Serialize {
                what: "job.json".to_owned(),
                source,
            })?;
        v["replay"]["checkpoint_location"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(missing)
    }
}

/// Builder of the `cdc-backfill` pipeline: pause the live sink connector (Strimzi `spec.state: paused`), replay Kafka
/// from a timestamp into this run's Iceberg branch [`spark::BACKFILL_BRANCH`] of `target_table`
/// with spark-templates' `CdcToIceberg` bounded replay (run once; `--replay-from`,
/// `--replay-branch`, `--replay-checkpoint` per run), which also verifies the branch (no duplicate
/// keys; a key of `main` may only be missing when the replayed window deletes it), publish
/// (`icehelper branch fast-forward TABLE main --from BRANCH`), drop the branch (`icehelper branch
/// drop TABLE BRANCH`), resume the connector. The exit handler resumes the connector when the
/// workflow did not succeed (the branch is kept for inspection).
///
/// ```no_run
/// use argo_templates::pipelines::CdcBackfillBuilder;
///
/// let backfill = CdcBackfillBuilder::new("inventory-iceberg", "inventory.public.orders", "raw.orders")
///     .build()?;
/// # Ok::<(), argo_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CdcBackfillBuilder {
    connector: String,
    topic: String,
    target_table: String,
}

impl CdcBackfillBuilder {
    /// Replays `topic` into `target_table` (`namespace.table`) while KafkaConnector `connector`
    /// (the live sink of the table) is paused.
    pub fn new(
        connector: impl Into<String>,
        topic: impl Into<String>,
        target_table: impl Into<String>,
    ) -> Self {
        Self {
            connector: connector.into(),
            topic: topic.into(),
            target_table: target_table.into(),
        }
    }

    /// Validates and builds the pipeline.
    pub fn build(self) -> Result<CdcBackfill> {
        cdc_backfill(&self.connector, &self.topic, &self.target_table)
    }
}

fn cdc_backfill(connector: &str, topic: &str, target_table: &str) -> Result<CdcBackfill> {
    validate_name("KafkaConnector", connector)?;
    validate_table(target_table)?;
    if topic.is_empty() {
        return Err(Error::Empty { what: "topic" });
    }
    let replay = SparkStep::new(
        "replay",
        spark::cdc_replay_job(topic, target_table).build()?,
    )?
    .argument(
        names::REPLAY_FROM,
        "from-timestamp",
        "Start of the replay: RFC 3339 timestamp or epoch milliseconds",
    )?
    .argument(
        names::REPLAY_BRANCH,
        "branch",
        "Iceberg branch of this run (created from main)",
    )?
    .argument(
        names::REPLAY_CHECKPOINT,
        "checkpoint",
        "Checkpoint location of this run",
    )?;
    let conn = wp("connector");
    let resume_on_failure = DagTask {
        when: Some("{{workflow.status}} != Succeeded".to_owned()),
        ..local_task(
            "resume-connector",
            "resume-connector",
            None,
            &[("connector", &conn)],
        )
    };
    let workflow_template = pipeline(
        "cdc-backfill",
        vec![
            Parameter::required(
                "from-timestamp",
                "Replay from this time: RFC 3339 (2026-01-31T00:00:00Z) or epoch milliseconds",
            ),
            Parameter::value("connector", connector),
        ],
        vec![
            main_dag(vec![
                local_task(
                    "pause-connector",
                    "pause-connector",
                    None,
                    &[("connector", &conn)],
                ),
                local_task(
                    "replay",
                    replay.template_name(),
                    Some("pause-connector"),
                    &[
                        ("from-timestamp", &wp("from-timestamp")),
                        ("branch", spark::BACKFILL_BRANCH),
                        ("checkpoint", spark::BACKFILL_CHECKPOINT),
                    ],
                ),
                task(
                    "publish",
                    ICEHELPER_TEMPLATE,
                    &verbs::template_name(&verbs::BRANCH_FAST_FORWARD),
                    Some("replay"),
                    &[
                        ("table", target_table),
                        ("target", icehelper::MAIN_BRANCH),
                        ("from", spark::BACKFILL_BRANCH),
                    ],
                ),
                task(
                    "drop-branch",
                    ICEHELPER_TEMPLATE,
                    &verbs::template_name(&verbs::BRANCH_DROP),
                    Some("publish"),
                    &[("table", target_table), ("name", spark::BACKFILL_BRANCH)],
                ),
                local_task(
                    "resume-connector",
                    "resume-connector",
                    Some("drop-branch"),
                    &[("connector", &conn)],
                ),
            ]),
            replay.template()?,
            connector_state("pause-connector", "paused"),
            connector_state("resume-connector", "running"),
        ],
        vec![resume_on_failure, notify_task()],
    );
    Ok(CdcBackfill {
        pipeline: Pipeline {
            workflow_template,
            spark_steps: vec![replay],
        },
        connector: connector.to_owned(),
        topic: topic.to_owned(),
        target_table: target_table.to_owned(),
    })
}

/// The icehelper verbs `iceberg-maintenance` runs per table, in order.
pub const MAINTENANCE_STEPS: [&str; 4] = [
    verbs::COMPACT,
    verbs::REWRITE_MANIFESTS,
    verbs::EXPIRE_SNAPSHOTS,
    verbs::REMOVE_ORPHAN_FILES,
];

/// Builder of the `iceberg-maintenance` pipeline: for every table, compact → rewrite-manifests →
/// expire-snapshots → remove-orphan-files, each step's JSON metrics kept as an output parameter of
/// the per-table node. It has no Spark steps.
///
/// ```no_run
/// use argo_templates::pipelines::IcebergMaintenanceBuilder;
///
/// let pipeline = IcebergMaintenanceBuilder::new(["raw.orders", "marts.daily_orders"]).build()?;
/// # Ok::<(), argo_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct IcebergMaintenanceBuilder {
    tables: Vec<String>,
}

impl IcebergMaintenanceBuilder {
    /// Maintains `tables` (each `namespace.table`, at least one).
    pub fn new<T: Into<String>>(tables: impl IntoIterator<Item = T>) -> Self {
        Self {
            tables: tables.into_iter().map(Into::into).collect(),
        }
    }

    /// Validates and builds the pipeline.
    pub fn build(self) -> Result<Pipeline> {
        let tables: Vec<&str> = self.tables.iter().map(String::as_str).collect();
        Ok(Pipeline {
            workflow_template: iceberg_maintenance(&tables)?,
            spark_steps: Vec::new(),
        })
    }
}

fn iceberg_maintenance(tables: &[&str]) -> Result<WorkflowTemplate> {
    if tables.is_empty() {
        return Err(Error::Empty { what: "tables" });
    }
    for t in tables {
        validate_table(t)?;
    }
    let list = serde_json::to_string(tables).map_err(|source| Error::Serialize {
        what: "table list".to_owned(),
        source,
    })?;
    let t = "{{inputs.parameters.table}}";
    let steps = MAINTENANCE_STEPS;
    let mut tasks = Vec::new();
    let mut prev: Option<&str> = None;
    for verb in steps {
        tasks.push(task(verb, ICEHELPER_TEMPLATE, verb, prev, &[("table", t)]));
        prev = Some(verb);
    }
    let outputs = steps
        .iter()
        .map(|verb| Parameter {
            name: format!("{verb}-metrics"),
            value_from: Some(ValueFrom {
                parameter: Some(format!("{{{{tasks.{verb}.outputs.result}}}}")),
                ..ValueFrom::default()
            }),
            ..Parameter::default()
        })
        .collect();
    Ok(pipeline(
        "iceberg-maintenance",
        vec![Parameter::value("tables", &list)],
        vec![
            main_dag(vec![DagTask {
                name: "maintain".to_owned(),
                template: Some("maintain-table".to_owned()),
                arguments: args(&[("table", "{{item}}")]),
                with_param: Some(wp("tables")),
                ..DagTask::default()
            }]),
            Template {
                name: "maintain-table".to_owned(),
                inputs: Some(Inputs {
                    parameters: vec![Parameter::required(
                        "table",
                        "Iceberg table, `namespace.table`",
                    )],
                }),
                outputs: Some(Outputs {
                    parameters: outputs,
                }),
                dag: Some(Dag { tasks }),
                ..Template::default()
            },
        ],
        vec![notify_task()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_cron_is_typed_error() {
        let err = CronWorkflowBuilder::new("a", "b")
            .schedule("0 25 * * *")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidCron { .. }), "{err}");
        let err = CronWorkflowBuilder::new("a", "b").build().unwrap_err();
        assert!(matches!(err, Error::Empty { what: "schedules" }));
        let err = CronWorkflowBuilder::new("a", "b")
            .schedule("@daily")
            .timezone("Mars/Olympus Mons")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidTimezone { .. }));
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        assert!(matches!(
            IcebergMaintenanceBuilder::new(["orders"])
                .build()
                .unwrap_err(),
            Error::InvalidTable { .. }
        ));
        assert!(matches!(
            DailyAggregationBuilder::new("a.b", "c.d")
                .fail_under(101)
                .build()
                .unwrap_err(),
            Error::InvalidValue {
                what: "fail-under",
                ..
            }
        ));
        assert!(DailyAggregationBuilder::new("a.b", "c.d")
            .fail_under(100)
            .build()
            .is_ok());
        assert!(DailyAggregationBuilder::new("a.b", "c.d")
            .fail_under(0)
            .build()
            .is_ok());
        assert!(matches!(
            DailyAggregationBuilder::new("a.b", "orders")
                .build()
                .unwrap_err(),
            Error::InvalidTable { .. }
        ));
        assert!(matches!(
            MlFeaturePrepBuilder::new("a.b", "orders", "f.g")
                .build()
                .unwrap_err(),
            Error::InvalidTable { .. }
        ));
        assert!(matches!(
            CdcBackfillBuilder::new("Inventory_Iceberg", "t", "a.b")
                .build()
                .unwrap_err(),
            Error::InvalidName { .. }
        ));
        assert!(matches!(
            CdcBackfillBuilder::new("c", "", "a.b").build().unwrap_err(),
            Error::Empty { .. }
        ));
    }
}
