//! `cdc-backfill`: replay CDC from a timestamp into an Iceberg branch, verify, publish.
//!
//! The streaming side is strimzi-templates' (`small-cluster`, `schema-registry`,
//! `debezium-postgres`: Debezium → Kafka → the Kafka Connect Iceberg sink writing
//! [`TARGET_TABLE`]). argo-templates' `cdc-backfill` WorkflowTemplate, built here for that sink,
//! topic and table:
//!
//! 1. pauses the sink connector (`spec.state: paused`);
//! 2. replays the topic from the given timestamp into this run's branch
//!    `backfill-<workflow uid>` with spark-templates' bounded `CdcToIceberg`;
//! 3. verifies the branch (inside the replay job: no duplicate keys, no key of `main` missing
//!    unless deleted in the replayed window; the step fails otherwise);
//! 4. publishes: `icehelper branch fast-forward TABLE main --from BRANCH`;
//! 5. drops the branch and resumes the connector (resumed on failure too; the branch is kept).
//!
//! The overlay also holds one run: a `Workflow` from the template with `from-timestamp` set to the
//! program's `--from` (default [`DEFAULT_FROM`]).

use anyhow::{bail, Result};
use argo_templates::model::{
    Arguments, CustomResource, Parameter, WorkflowSpec, WorkflowTemplateRef, ARGO_API_VERSION,
};
use argo_templates::pipelines::CdcBackfillBuilder;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use strimzi_templates::bases as kafka;

use super::pipeline_bundle;
use crate::overlay::Overlay;
use crate::released::{ARGO, STRIMZI};

/// Overlay name.
pub const NAME: &str = "cdc-backfill";
/// The table the sink writes and the backfill repairs.
pub const TARGET_TABLE: &str = "raw_inventory.orders";
/// Replay start when `--from` is not given.
pub const DEFAULT_FROM: &str = "2026-01-31T00:00:00Z";

const README: &str = "# cdc-backfill

Replay Postgres CDC from a timestamp into an Iceberg branch, verify, publish. Argo WorkflowTemplate
`cdc-backfill`: pause the Kafka Connect Iceberg sink `inventory-iceberg` → replay topic
`inventory.public.orders` from `from-timestamp` into branch `backfill-<workflow uid>` of
`raw_inventory.orders` (spark-templates' bounded `CdcToIceberg`, which verifies the branch: no
duplicate keys, no key of `main` missing unless deleted in the window) → `icehelper branch
fast-forward raw_inventory.orders main --from <branch>` → `icehelper branch drop` → resume the
connector (also on failure; the branch is then kept for inspection).

The `Workflow` in this overlay is one run of it. Applying the overlay starts that run; to start
another, submit the template again:

    argo submit --from workflowtemplate/cdc-backfill -p from-timestamp=2026-02-01T00:00:00Z

Built by `cargo run -p examples --example cdc-backfill -- --from <RFC 3339>` from the released bases of
strimzi-templates (`small-cluster`, `schema-registry`, `debezium-postgres`) and argo-templates
(`workflow-library`, `cdc-backfill`).
";

/// The run's name: `orders-backfill-` and the timestamp's digits.
pub fn run_name(from: &str) -> String {
    let digits: String = from.chars().filter(char::is_ascii_digit).collect();
    format!("orders-backfill-{digits}")
}

/// Checks the replay start: RFC 3339 (`2026-01-31T00:00:00Z`) or epoch milliseconds.
pub fn check_from(from: &str) -> Result<()> {
    let epoch_ms = !from.is_empty() && from.bytes().all(|b| b.is_ascii_digit());
    let b = from.as_bytes();
    let rfc3339 = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && from
            .bytes()
            .all(|c| c.is_ascii_digit() || b"-:T.Z+tz".contains(&c));
    if !(epoch_ms || rfc3339) {
        bail!("--from {from}: expected RFC 3339 (2026-01-31T00:00:00Z) or epoch milliseconds");
    }
    Ok(())
}

/// The pipeline's overlay, with one run replaying from `from`.
pub fn overlay(from: &str) -> Result<Overlay> {
    check_from(from)?;
    let mut o = Overlay::new(NAME, README);
    o.base(STRIMZI, "small-cluster")?
        .base(STRIMZI, "schema-registry")?
        .base(STRIMZI, "debezium-postgres")?
        .base(ARGO, "workflow-library")?
        .base(ARGO, "cdc-backfill")?;

    let topic = format!("{}.{}", kafka::TOPIC_PREFIX, kafka::CAPTURED_TABLES[0]);
    let backfill =
        CdcBackfillBuilder::new(kafka::ICEBERG_CONNECTOR, &topic, TARGET_TABLE).build()?;
    o.want_bundle(&pipeline_bundle("cdc-backfill", &backfill.pipeline)?)?;

    let run = CustomResource {
        api_version: ARGO_API_VERSION.to_owned(),
        kind: "Workflow".to_owned(),
        metadata: ObjectMeta {
            name: Some(run_name(from)),
            ..ObjectMeta::default()
        },
        spec: WorkflowSpec {
            workflow_template_ref: Some(WorkflowTemplateRef {
                name: "cdc-backfill".to_owned(),
            }),
            arguments: Some(Arguments {
                parameters: vec![Parameter::value("from-timestamp", from)],
            }),
            ..WorkflowSpec::default()
        },
    };
    o.want(&run)?;
    Ok(o)
}
