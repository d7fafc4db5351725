//! The Spark steps of the pipelines, built with spark-templates' builders so that application
//! names, job code ConfigMaps, driver service accounts, catalog settings and job arguments have
//! one source.
//!
//! A [`SparkStep`] wraps a run-once [`JobBundle`] (a `SparkApplication`, not a
//! `ScheduledSparkApplication`: Argo does the scheduling) and turns it into
//!
//! - an Argo `resource` template that creates the SparkApplication (with `generateName`, so every
//!   workflow run gets its own) with extra `arguments` bound to Argo input parameters, and waits for
//!   `COMPLETED` (fails on `FAILED` / `SUBMISSION_FAILED`);
//! - the objects the SparkApplication needs in the same namespace: the driver's
//!   ServiceAccount/Role/RoleBinding and the job code ConfigMap(s), shipped in the pipeline's base.
//!
//! ```no_run
//! use argo_templates::spark::{self, SparkStep};
//!
//! let bundle = spark::daily_aggregation_job("raw_inventory.orders", "marts.daily_orders").build()?;
//! let ds = spark::run_time_flag(spark_templates::names::AGGREGATION_BATCH)?; // `--ds`
//! let step = SparkStep::new("aggregate", bundle)?.argument(ds, "ds", "Logical date, YYYY-MM-DD")?;
//! let template = step.template()?;
//! # Ok::<(), argo_templates::Error>(())
//! ```

use std::collections::BTreeMap;

use manifest_bundle::Bundle;
use serde_json::Value;
use spark_templates::prelude::*;
use spark_templates::{Application, JobBundle};

use crate::error::{Error, Result};
use crate::library::{resource_retry, validate_name, validate_table};
use crate::model::{Inputs, Outputs, Parameter, ResourceTemplate, Template, ValueFrom};

/// The run-time flag of spark-templates template `template`, as exported by
/// `spark_templates::names` (`--ds` for `aggregation-batch`); an error unless the template declares
/// exactly one (`cdc-to-iceberg` declares three: use `names::REPLAY_FROM`, ...).
pub fn run_time_flag(template: &str) -> Result<&'static str> {
    let t = spark_templates::names::template(template).ok_or_else(|| Error::SparkStep {
        job: template.to_owned(),
        reason: "not a spark-templates template",
    })?;
    match t.arguments {
        [only] => Ok(only.flag),
        _ => Err(Error::SparkStep {
            job: template.to_owned(),
            reason: "the template does not declare exactly one run-time argument",
        }),
    }
}

/// Argo condition for a finished SparkApplication.
pub const SUCCESS_CONDITION: &str = "status.applicationState.state == COMPLETED";
/// Argo condition for a failed SparkApplication.
pub const FAILURE_CONDITION: &str = "status.applicationState.state in (FAILED, SUBMISSION_FAILED)";

/// Label carrying the workflow name on every SparkApplication a step creates.
pub const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";

/// The Iceberg catalog every Spark step (and the icehelper steps) use: spark-templates' default
/// (REST catalog `lake`, credential from a Secret).
pub fn catalog() -> IcebergCatalog {
    spark_templates::defaults::catalog()
}

/// The S3 storage every Spark step uses: spark-templates' default (keys from a Secret).
pub fn s3() -> S3Storage {
    spark_templates::defaults::s3()
}

/// Name of the daily aggregation SparkApplication (and prefix of its driver SA / ConfigMap).
pub const DAILY_AGGREGATION_JOB: &str = "daily-orders";
/// Name of the feature SparkApplication.
pub const FEATURE_JOB: &str = "customer-features";

/// The daily aggregation: per order status, orders, distinct customers and amount of the orders
/// whose `updated_at` falls on `{{ ds }}` (UTC).
pub fn daily_orders_sql(source_table: &str) -> String {
    format!(
        "SELECT\n  DATE '{{{{ ds }}}}' AS ds,\n  status,\n  count(*) AS orders,\n  \
         count(DISTINCT customer_id) AS customers,\n  sum(amount) AS amount\nFROM {source_table}\n\
         WHERE updated_at >= TIMESTAMP '{{{{ ds }}}} 00:00:00'\n  \
         AND updated_at < TIMESTAMP '{{{{ ds }}}} 00:00:00' + INTERVAL 1 DAY\nGROUP BY status"
    )
}

/// `AggregationBatch` (run once) aggregating `source_table` into `target_table` for the date
/// passed with `--ds`.
pub fn daily_aggregation_job(source_table: &str, target_table: &str) -> AggregationBatch {
    AggregationBatch::new(DAILY_AGGREGATION_JOB, target_table)
        .query(daily_orders_sql(source_table))
        .partition_column("ds")
        .catalog(catalog())
        .s3(s3())
        .run_once()
}

/// Point-in-time-correct customer features as of `{{ ds }}` 00:00 UTC (the as-of instant).
///
/// Both tables are read `TIMESTAMP AS OF` the as-of instant (Iceberg time travel: the rows as they
/// were then, so later updates of an order cannot leak in), and orders are additionally filtered
/// by event time `updated_at` before the as-of instant; windowed features end at the as-of
/// instant. One row per customer known at the as-of instant, partition `as_of_date = ds`.
pub fn customer_features_sql(entity_table: &str, event_table: &str) -> String {
    format!(
        "WITH events AS (\n  SELECT customer_id, amount, updated_at AS event_ts\n  \
         FROM {event_table} TIMESTAMP AS OF '{{{{ ds }}}} 00:00:00'\n  \
         WHERE updated_at < TIMESTAMP '{{{{ ds }}}} 00:00:00'\n),\n\
         entities AS (\n  SELECT id AS customer_id\n  \
         FROM {entity_table} TIMESTAMP AS OF '{{{{ ds }}}} 00:00:00'\n)\n\
         SELECT\n  DATE '{{{{ ds }}}}' AS as_of_date,\n  n.customer_id,\n  \
         count(e.event_ts) AS orders_total,\n  \
         count(CASE WHEN e.event_ts >= TIMESTAMP '{{{{ ds }}}} 00:00:00' - INTERVAL 30 DAYS THEN 1 END) AS orders_30d,\n  \
         coalesce(sum(CASE WHEN e.event_ts >= TIMESTAMP '{{{{ ds }}}} 00:00:00' - INTERVAL 30 DAYS THEN e.amount END), 0) AS amount_30d,\n  \
         max(e.event_ts) AS last_order_ts\n\
         FROM entities AS n\nLEFT JOIN events AS e ON e.customer_id = n.customer_id\n\
         GROUP BY n.customer_id"
    )
}

/// `AggregationBatch` (run once) writing point-in-time-correct features to `feature_table`,
/// partitioned by `as_of_date`, for the as-of date passed with `--ds`.
pub fn feature_job(entity_table: &str, event_table: &str, feature_table: &str) -> AggregationBatch {
    AggregationBatch::new(FEATURE_JOB, feature_table)
        .query(customer_features_sql(entity_table, event_table))
        .partition_column("as_of_date")
        .catalog(catalog())
        .s3(s3())
        .run_once()
}

/// Name of the CDC replay SparkApplication of `cdc-backfill`.
pub const CDC_REPLAY_JOB: &str = "orders-backfill";
/// The Iceberg branch each `cdc-backfill` run replays into, publishes from and drops: one per
/// workflow run (`--replay-branch`), so runs never share or reuse a branch.
pub const BACKFILL_BRANCH: &str = "backfill-{{workflow.uid}}";
/// The replay checkpoint of each `cdc-backfill` run (`--replay-checkpoint`): a new location per
/// run, so `--replay-from` always applies; a retry of the same run resumes from it.
pub const BACKFILL_CHECKPOINT: &str = "s3a://lake/checkpoints/orders-backfill-{{workflow.uid}}";
/// Key column of the replayed table.
pub const CDC_KEY: &str = "id";

/// The replay job of `cdc-backfill`: spark-templates' `CdcToIceberg` in bounded replay mode
/// (availableNow; start, branch and checkpoint given at run time) of `table`, run once, with the
/// column layout of spark-templates' default CDC base. It reads what strimzi-templates'
/// `debezium-postgres` base writes: Avro through Apicurio's Confluent-compatible API, mTLS on the
/// `lake` cluster's TLS listener as `KafkaUser` [`strimzi_templates::bases::BACKFILL_GROUP`]
/// (consumer group prefix of the same name). After the replay the job verifies the branch.
pub fn cdc_replay_job(topic: &str, table: &str) -> CdcToIceberg {
    use spark_templates::defaults;
    let user = strimzi_templates::bases::BACKFILL_GROUP;
    CdcToIceberg::new(CDC_REPLAY_JOB, topic, table)
        .column(CDC_KEY, ColumnType::BigInt)
        .column("customer_id", ColumnType::BigInt)
        .column("status", ColumnType::String)
        .column("amount", ColumnType::Decimal(12, 2))
        .column("updated_at", ColumnType::Timestamp)
        .key(CDC_KEY)
        .bootstrap_servers(defaults::KAFKA_BOOTSTRAP)
        .kafka_security(defaults::kafka_tls(user))
        .group_id_prefix(user)
        .format(defaults::cdc_format())
        .catalog(catalog())
        .s3(s3())
        .bounded_replay(
            // Start, branch and checkpoint are always passed at run time (`--replay-from`,
            // `--replay-branch`, `--replay-checkpoint`); these are only the defaults.
            BoundedReplay::from_timestamp("1970-01-01T00:00:00Z").branch("backfill"),
        )
        .run_once()
}

/// An extra job argument bound to an Argo input parameter: `<flag> {{inputs.parameters.<input>}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepArgument {
    /// Command-line flag of the job, e.g. `--ds` (see [`run_time_flag`]).
    pub flag: String,
    /// Argo input parameter of the resource template.
    pub input: String,
    /// Description of the input.
    pub description: String,
}

/// A spark-templates job run once as an Argo `resource` step.
#[derive(Debug, Clone)]
pub struct SparkStep {
    template: String,
    bundle: JobBundle,
    arguments: Vec<StepArgument>,
}

impl SparkStep {
    /// Wraps `bundle` as Argo template `template`. The bundle must be run-once (built with
    /// `.run_once()`), else [`Error::SparkStep`].
    pub fn new(template: &str, bundle: JobBundle) -> Result<Self> {
        validate_name("template", template)?;
        if let Application::Scheduled(s) = &bundle.application {
            return Err(Error::SparkStep {
                job: s.metadata.name.clone().unwrap_or_default(),
                reason: "it is a ScheduledSparkApplication; build it with `.run_once()` and let the CronWorkflow schedule it",
            });
        }
        Ok(Self {
            template: template.to_owned(),
            bundle,
            arguments: Vec::new(),
        })
    }

    /// Appends `flag {{inputs.parameters.<input>}}` to the job's arguments; `flag` must be a
    /// run-time argument spark-templates declares for the job's template (`spark_templates::names`).
    pub fn argument(mut self, flag: &str, input: &str, description: &str) -> Result<Self> {
        let ok = flag.len() > 2
            && flag.starts_with("--")
            && flag[2..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(Error::InvalidValue {
                what: "job flag",
                value: flag.to_owned(),
                reason: "must be a long option such as `--ds`",
            });
        }
        let declared = spark_templates::names::template(self.bundle.template)
            .is_some_and(|t| t.arguments.iter().any(|a| a.flag == flag));
        if !declared {
            return Err(Error::InvalidValue {
                what: "job flag",
                value: flag.to_owned(),
                reason: "not a run-time argument spark-templates declares for this template",
            });
        }
        validate_name("input parameter", input)?;
        if self.arguments.iter().any(|a| a.input == input) {
            return Err(Error::InvalidValue {
                what: "input parameter",
                value: input.to_owned(),
                reason: "already bound",
            });
        }
        self.arguments.push(StepArgument {
            flag: flag.to_owned(),
            input: input.to_owned(),
            description: description.to_owned(),
        });
        Ok(self)
    }

    /// The Argo template name.
    pub fn template_name(&self) -> &str {
        &self.template
    }

    /// The spark-templates bundle.
    pub fn bundle(&self) -> &JobBundle {
        &self.bundle
    }

    /// The SparkApplication's name in spark-templates (the `generateName` prefix here).
    pub fn job_name(&self) -> &str {
        match &self.bundle.application {
            Application::Once(a) => a.metadata.name.as_deref().unwrap_or_default(),
            Application::Scheduled(s) => s.metadata.name.as_deref().unwrap_or_default(),
        }
    }

    /// The extra arguments bound to inputs.
    pub fn arguments(&self) -> &[StepArgument] {
        &self.arguments
    }

    /// The SparkApplication the step creates: spark-templates' object with `generateName`
    /// instead of `name`, the workflow label, and the bound arguments appended.
    pub fn application(&self) -> Result<Value> {
        let mut app =
            serde_json::to_value(&self.bundle.application).map_err(|source| Error::Serialize {
                what: format!("SparkApplication {}", self.job_name()),
                source,
            })?;
        let name = self.job_name().to_owned();
        let meta = app["metadata"]
            .as_object_mut()
            .ok_or_else(|| Error::SparkStep {
                job: name.clone(),
                reason: "the SparkApplication has no metadata",
            })?;
        meta.remove("name");
        meta.insert("generateName".to_owned(), format!("{name}-").into());
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        labels[WORKFLOW_LABEL] = "{{workflow.name}}".into();
        let args = app["spec"]
            .as_object_mut()
            .ok_or_else(|| Error::SparkStep {
                job: name.clone(),
                reason: "the SparkApplication has no spec",
            })?
            .entry("arguments")
            .or_insert_with(|| Value::Array(Vec::new()));
        let args = args.as_array_mut().ok_or_else(|| Error::SparkStep {
            job: name,
            reason: "spec.arguments is not a list",
        })?;
        for a in &self.arguments {
            args.push(a.flag.clone().into());
            args.push(format!("{{{{inputs.parameters.{}}}}}", a.input).into());
        }
        Ok(app)
    }

    /// The Argo `resource` template: creates the SparkApplication, waits for it, outputs its
    /// generated name as `application-name`.
    pub fn template(&self) -> Result<Template> {
        let manifest = manifest_bundle::to_sorted_yaml(&self.application()?)?;
        Ok(Template {
            name: self.template.clone(),
            inputs: (!self.arguments.is_empty()).then(|| Inputs {
                parameters: self
                    .arguments
                    .iter()
                    .map(|a| Parameter::required(&a.input, &a.description))
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
                success_condition: Some(SUCCESS_CONDITION.to_owned()),
                failure_condition: Some(FAILURE_CONDITION.to_owned()),
                ..ResourceTemplate::default()
            }),
            retry_strategy: Some(resource_retry()),
            ..Template::default()
        })
    }

    /// Adds what the SparkApplication needs to `base`: the driver's ServiceAccount, Role and
    /// RoleBinding and the job code ConfigMap(s), exactly as spark-templates builds them.
    pub fn push_dependencies(&self, base: &mut Bundle) -> Result<()> {
        base.push(&self.bundle.service_account)?;
        base.push(&self.bundle.role)?;
        base.push(&self.bundle.role_binding)?;
        for cm in &self.bundle.config_maps {
            base.push_config_map(cm.clone())?;
        }
        Ok(())
    }
}

/// Catalog settings for icehelper (PyIceberg), derived from a SparkApplication built by
/// spark-templates, so icehelper maintains the same catalog the Spark jobs write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSettings {
    /// Catalog name (`spark.sql.defaultCatalog`).
    pub name: String,
    /// Plain catalog properties in PyIceberg's names (`uri`, `warehouse`, `s3.endpoint`, ...).
    pub properties: BTreeMap<String, String>,
    /// Catalog properties taken from Secrets: PyIceberg key → (Secret, key).
    pub secrets: BTreeMap<String, (String, String)>,
}

impl CatalogSettings {
    /// Reads the catalog of `bundle`'s SparkApplication: its `spark.sql.catalog.<name>.*`
    /// properties and the Secret references of its driver (catalog credential, S3 keys).
    pub fn from_bundle(bundle: &JobBundle) -> Result<Self> {
        let spec = bundle.application.spec();
        let missing = |reason| Error::SparkStep {
            job: bundle.template.to_owned(),
            reason,
        };
        let name = spec
            .spark_conf
            .get("spark.sql.defaultCatalog")
            .ok_or_else(|| missing("no spark.sql.defaultCatalog"))?
            .clone();
        let prefix = format!("spark.sql.catalog.{name}.");
        let mut properties = BTreeMap::new();
        for (k, v) in &spec.spark_conf {
            let Some(key) = k.strip_prefix(&prefix) else {
                continue;
            };
            let key = match key {
                "client.region" => "s3.region",
                "type" | "io-impl" => continue,
                other => other,
            };
            properties.insert(key.to_owned(), v.clone());
        }
        let secret_of = |var: &str| {
            spec.driver.pod.env.iter().find_map(|e| {
                (e.name == var)
                    .then(|| e.value_from.as_ref()?.secret_key_ref.as_ref())
                    .flatten()
                    .map(|r| (r.name.clone(), r.key.clone()))
            })
        };
        let mut secrets = BTreeMap::new();
        let from_env = format!("{}{prefix}", spark_templates::catalog::CONF_FROM_ENV_PREFIX);
        for (k, var) in &spec.spark_conf {
            if let Some(key) = k.strip_prefix(&from_env) {
                let r = secret_of(var)
                    .ok_or_else(|| missing("a catalog secret has no Secret reference"))?;
                secrets.insert(key.to_owned(), r);
            }
        }
        for (var, key) in [
            ("AWS_ACCESS_KEY_ID", "s3.access-key-id"),
            ("AWS_SECRET_ACCESS_KEY", "s3.secret-access-key"),
        ] {
            if let Some(r) = secret_of(var) {
                secrets.insert(key.to_owned(), r);
            }
        }
        if !properties.contains_key("uri") {
            return Err(missing("the catalog has no uri"));
        }
        Ok(Self {
            name,
            properties,
            secrets,
        })
    }

    /// The settings of [`catalog`] and [`s3`] (read from a SparkApplication built with them).
    pub fn lake() -> Result<Self> {
        Self::from_bundle(&daily_aggregation_job("a.b", "c.d").build()?)
    }
}

/// Checks the tables of a pipeline (typed error for anything but `namespace.table`).
pub(crate) fn check_tables(tables: &[&str]) -> Result<()> {
    tables.iter().try_for_each(|t| validate_table(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_bundle_is_rejected() {
        let scheduled = spark_templates::defaults::aggregation_batch()
            .build()
            .unwrap();
        let err = SparkStep::new("x", scheduled).unwrap_err();
        assert!(matches!(err, Error::SparkStep { .. }), "{err}");
    }

    #[test]
    fn bad_flags_are_typed_errors() {
        let b = daily_aggregation_job("a.b", "c.d").build().unwrap();
        let step = SparkStep::new("x", b).unwrap();
        assert!(matches!(
            step.clone().argument("ds", "ds", "").unwrap_err(),
            Error::InvalidValue { .. }
        ));
        assert!(matches!(
            step.clone()
                .argument("--replay-from", "from", "")
                .unwrap_err(),
            Error::InvalidValue { .. }
        ));
        let step = step.argument("--ds", "ds", "").unwrap();
        assert!(step.argument("--ds", "ds", "").is_err());
        // three replay arguments: named explicitly (`names::REPLAY_*`), not guessed
        assert!(run_time_flag(spark_templates::names::CDC_TO_ICEBERG).is_err());
        let replay = SparkStep::new("r", cdc_replay_job("t", "a.b").build().unwrap()).unwrap();
        for flag in [
            spark_templates::names::REPLAY_FROM,
            spark_templates::names::REPLAY_BRANCH,
            spark_templates::names::REPLAY_CHECKPOINT,
        ] {
            assert!(replay.clone().argument(flag, "x", "").is_ok(), "{flag}");
        }
        assert!(run_time_flag("nope").is_err());
    }

    #[test]
    fn lake_settings_come_from_spark_templates() {
        let s = CatalogSettings::lake().unwrap();
        assert_eq!(s.name, catalog().name());
        assert!(s.properties.contains_key("uri"));
        assert!(s.secrets.contains_key("s3.secret-access-key"));
    }
}
