//! The README of a `cdc-to-iceberg` base.

use super::replay::ReplayConfig;
use super::{CdcFormat, CdcToIceberg, KafkaSecurity};
use super::{KAFKA_CA_DIR, KAFKA_KEYSTORE_PASSWORD_ENV, KAFKA_SASL_PASSWORD_ENV};
use super::{KAFKA_TRUSTSTORE_PASSWORD_ENV, KAFKA_USER_DIR};
use crate::job::JobBundle;
use crate::render::{self, param, Param, ReadmeParts};

impl CdcToIceberg {
    /// Everything the README says about this job.
    pub(super) fn readme_parts(
        &self,
        bundle: &JobBundle,
        checkpoint: &str,
        replay: Option<&ReplayConfig<'_>>,
    ) -> ReadmeParts {
        ReadmeParts {
            builder: "CdcToIceberg",
            overview: self.overview(checkpoint, replay),
            params: self.readme_params(bundle, checkpoint, replay),
            extra_cms: vec![],
            requirements: self.requirements(),
            patch_example: vec![
                "- op: replace".into(),
                "  path: /spec/executor/instances".into(),
                "  value: 3".into(),
            ],
            notes: "Changing the columns or keys changes `merge.sql` and `create_table.sql`: regenerate the base with \
                the Rust builder rather than editing the SQL by hand.".into(),
        }
    }

    /// The README's parameter table.
    fn readme_params(
        &self,
        bundle: &JobBundle,
        checkpoint: &str,
        replay: Option<&ReplayConfig<'_>>,
    ) -> Vec<Param> {
        let mut params = render::common_params(&self.job, bundle);
        params.extend([
            param("topic", &self.topic, "`job.json` `topic`"),
            param(
                "bootstrap servers",
                &self.bootstrap_servers,
                "`job.json` `bootstrap_servers`",
            ),
            param(
                "Kafka security",
                match &self.security {
                    KafkaSecurity::Plaintext => "PLAINTEXT".to_owned(),
                    KafkaSecurity::StrimziTls {
                        user_secret,
                        cluster_ca_secret,
                    } => format!(
                        "SSL (mTLS): keystore Secret {user_secret} (user.p12), truststore Secret {cluster_ca_secret} (ca.p12)"
                    ),
                    KafkaSecurity::StrimziScramSha512 {
                        user,
                        cluster_ca_secret,
                    } => format!(
                        "SASL_SSL SCRAM-SHA-512 as {user}, truststore Secret {cluster_ca_secret} (ca.p12)"
                    ),
                },
                "`job.json` `kafka_security` (builder: `KafkaSecurity`)",
            ),
            param(
                "event format",
                match &self.format {
                    CdcFormat::Json => "Debezium JSON".to_owned(),
                    CdcFormat::ConfluentAvro { registry_url } => {
                        format!("Avro, Confluent wire format, schemas from {registry_url}")
                    }
                },
                "`job.json` `format` (builder: `CdcFormat`)",
            ),
            param(
                "table",
                &self.table,
                "`job.json` `table` (and `merge.sql`, `create_table.sql`)",
            ),
            param(
                "key columns",
                self.keys.join(", "),
                "`merge.sql` `ON` clause",
            ),
        ]);
        if let Some(p) = &self.group_id_prefix {
            params.push(param(
                "consumer group prefix",
                p,
                "`job.json` `group_id_prefix` (Spark `groupIdPrefix`)",
            ));
        }
        match replay {
            // a replay: its own start, target and checkpoint replace the stream's settings
            Some(r) => params.extend([
                param(
                    "bounded replay start",
                    r.starting_timestamp,
                    "`job.json` `replay.starting_timestamp_ms`; at run time `--replay-from`",
                ),
                match r.branch {
                    Some(b) => param(
                        "bounded replay branch",
                        b,
                        "`job.json` `replay.branch`; at run time `--replay-branch`",
                    ),
                    None => param(
                        "bounded replay target",
                        &r.target,
                        "`merge.sql` (builder: `BoundedReplay`)",
                    ),
                },
                param(
                    "bounded replay checkpoint",
                    &r.checkpoint_location,
                    "`job.json` `replay.checkpoint_location`; at run time `--replay-checkpoint`",
                ),
            ]),
            None => params.extend([
                param(
                    "starting offsets",
                    self.offsets(),
                    "`job.json` `starting_offsets`",
                ),
                param(
                    "trigger interval",
                    &self.trigger_interval,
                    "`job.json` `trigger_interval`",
                ),
                param("checkpoint", checkpoint, "`job.json` `checkpoint_location`"),
            ]),
        }
        params
    }

    /// The README's overview paragraph.
    fn overview(&self, checkpoint: &str, replay: Option<&ReplayConfig<'_>>) -> String {
        let mut overview_extra = String::new();
        if let Some(r) = replay {
            overview_extra = format!(
                    "\n\nThis instance is a **bounded replay**: it starts at the first offset at or after {} in each \
                     partition (Kafka `startingTimestamp`), stops at the end offsets present when it starts \
                     (`trigger(availableNow=True)`), merges into `{}` (never the table's `main`), keeps its own \
                     checkpoint at `{}` and ends.",
                    r.starting_timestamp, r.target, r.checkpoint_location
                );
            if r.branch.is_some() {
                overview_extra.push_str(
                        " `--replay-branch` and `--replay-checkpoint` choose another branch and checkpoint per run. \
                         After the replay the job verifies the branch and exits 1 when it has duplicate keys or lacks a \
                         key of `main` that the replayed window does not delete (the window is read again up to the \
                         last batch's end offsets to find the deleted keys); publishing the branch is left to the pipeline.",
                    );
            }
        }
        format!(
                "Structured Streaming job reading {} from Kafka topic `{}` and applying each micro-batch to `{}` \
                 with `MERGE INTO`: the latest event per key wins (ordered by `source.{}`, then `ts_ms`), creates and \
                 updates upsert, deletes delete, and events older than the stored row are ignored. The table is \
                 created on first start with two extra columns, `_cdc_order` and `_cdc_ts_ms`.{}",
                self.format_doc(), self.topic, self.table, self.order_field,
                if replay.is_some() { String::new() } else { format!(" Offsets are checkpointed at `{checkpoint}`.") }
            ) + &overview_extra
    }

    /// The README's requirements.
    fn requirements(&self) -> Vec<String> {
        [
                match &self.format {
                    CdcFormat::Json => "Debezium's JSON converter; for DECIMAL columns `decimal.handling.mode=string`, dates as days and timestamps as epoch milliseconds (`time.precision.mode=connect`).".to_owned(),
                    CdcFormat::ConfluentAvro { registry_url } => format!(
                        "Debezium's Avro converter writing the Confluent wire format (Apicurio 3: `apicurio.registry.as-confluent=true`, `apicurio.registry.headers.enabled=false`, `apicurio.registry.use-id=contentId`), and `{registry_url}/schemas/ids/<id>` reachable from the driver; no extra package (the decoder is `datatier_avro.py`, shipped to the executors)."
                    ),
                },
                match &self.security {
                    KafkaSecurity::Plaintext => "A plaintext Kafka listener.".to_owned(),
                    KafkaSecurity::StrimziTls { user_secret, cluster_ca_secret } => format!(
                        "Secrets `{user_secret}` (the Strimzi KafkaUser's: `user.p12`, `user.password`) and `{cluster_ca_secret}` (`ca.p12`, `ca.password`) in the job's namespace: the User Operator writes them in the Kafka namespace, so run the job there or copy them (e.g. with a secret replicator). Mounted in driver and executors at `{KAFKA_USER_DIR}` and `{KAFKA_CA_DIR}`; the passwords reach the driver as `{KAFKA_KEYSTORE_PASSWORD_ENV}` / `{KAFKA_TRUSTSTORE_PASSWORD_ENV}`."
                    ),
                    KafkaSecurity::StrimziScramSha512 { user, cluster_ca_secret } => format!(
                        "Secrets `{user}` (the Strimzi KafkaUser's: `password`) and `{cluster_ca_secret}` (`ca.p12`, `ca.password`) in the job's namespace; the password reaches the driver as `{KAFKA_SASL_PASSWORD_ENV}`."
                    ),
                },
                "The checkpoint bucket reachable through `s3a://` (`hadoop-aws` is added to the packages).".to_owned(),
            ]
        .into()
    }
}
