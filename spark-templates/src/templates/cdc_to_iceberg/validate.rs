//! Validation of a `cdc-to-iceberg` builder.

use super::{CdcFormat, CdcToIceberg, KafkaSecurity, TEMPLATE};
use crate::error::{Error, Result};
use crate::job::parse_table;

impl CdcToIceberg {
    /// Checks everything but the bounded replay; returns the table's namespace and the checkpoint.
    pub(super) fn validate(&self) -> Result<(String, String)> {
        self.job.validate(TEMPLATE)?;
        let (namespace, _) = parse_table("table", &self.table)?;
        let required = |ok: bool, field: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(Error::MissingParameter {
                    template: TEMPLATE,
                    field,
                })
            }
        };
        required(!self.topic.trim().is_empty(), "topic")?;
        required(
            !self.bootstrap_servers.trim().is_empty(),
            "bootstrap servers",
        )?;
        required(!self.columns.is_empty(), "columns")?;
        required(!self.keys.is_empty(), "key columns")?;
        self.validate_columns()?;
        let mut parts = self.trigger_interval.split_whitespace();
        let interval_ok = parts
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
            && parts.next().is_some_and(|u| {
                ["second", "seconds", "minute", "minutes", "hour", "hours"].contains(&u)
            })
            && parts.next().is_none();
        if !interval_ok {
            return Err(Error::InvalidValue {
                field: "trigger interval".into(),
                value: self.trigger_interval.clone(),
                reason: "a count and a unit, such as `30 seconds` or `1 minute`".into(),
            });
        }
        let checkpoint = self
            .checkpoint_location
            .clone()
            .unwrap_or_else(|| format!("s3a://lake/checkpoints/{}", self.job.name()));
        if !checkpoint.contains("://") {
            return Err(Error::InvalidValue {
                field: "checkpoint location".into(),
                value: checkpoint,
                reason: "a URI such as s3a://bucket/path".into(),
            });
        }
        if self.max_offsets_per_trigger == Some(0) {
            return Err(Error::InvalidCount {
                field: "max offsets per trigger",
                value: 0,
                reason: "at least 1",
            });
        }
        self.validate_kafka()?;
        if let Some(p) = &self.group_id_prefix {
            if p.is_empty() || p.contains(char::is_whitespace) {
                return Err(Error::InvalidValue {
                    field: "group id prefix".into(),
                    value: p.clone(),
                    reason: "a non-empty consumer group prefix without spaces".into(),
                });
            }
        }
        Ok((namespace, checkpoint))
    }

    /// Columns: valid, not reserved, listed once; keys among them.
    fn validate_columns(&self) -> Result<()> {
        for c in &self.columns {
            crate::templates::check_column("column", &c.name)?;
            if c.name.starts_with("_cdc_") {
                return Err(Error::InvalidValue {
                    field: "column".into(),
                    value: c.name.clone(),
                    reason: "names starting with _cdc_ are reserved".into(),
                });
            }
        }
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(Error::InvalidValue {
                    field: "column".into(),
                    value: c.name.clone(),
                    reason: "listed twice".into(),
                });
            }
        }
        for k in &self.keys {
            if !self.columns.iter().any(|c| &c.name == k) {
                return Err(Error::InvalidValue {
                    field: "key".into(),
                    value: k.clone(),
                    reason: "not one of the columns".into(),
                });
            }
        }
        crate::templates::check_column("order field", &self.order_field)?;
        Ok(())
    }

    /// Kafka options, the schema registry URL and the Secrets of the Kafka security.
    fn validate_kafka(&self) -> Result<()> {
        if let Some(k) = self
            .kafka_options
            .keys()
            .find(|k| crate::catalog::is_secret_like(k) || k.contains("jaas"))
        {
            return Err(Error::InvalidValue {
                field: format!("kafka option {k}"),
                value: "<hidden>".into(),
                reason: "credentials must not be inlined".into(),
            });
        }
        if let Some(k) = self.kafka_options.keys().find(|k| {
            ["kafka.security.", "kafka.ssl.", "kafka.sasl."]
                .iter()
                .any(|p| k.starts_with(p))
        }) {
            return Err(Error::InvalidValue {
                field: format!("kafka option {k}"),
                value: self.kafka_options[k].clone(),
                reason: "security settings come from .kafka_security(KafkaSecurity::..)".into(),
            });
        }
        if let CdcFormat::ConfluentAvro { registry_url } = &self.format {
            let ok = (registry_url.starts_with("http://") || registry_url.starts_with("https://"))
                && registry_url.len() > "https://".len()
                && !registry_url.contains(char::is_whitespace)
                && !registry_url.contains('@');
            if !ok {
                return Err(Error::InvalidValue {
                    field: "schema registry URL".into(),
                    value: registry_url.clone(),
                    reason: "an http(s) URL without credentials, such as \
                             http://schema-registry-app-service.kafka.svc:8080/apis/ccompat/v7"
                        .into(),
                });
            }
        }
        let names: Vec<(&str, &str)> = match &self.security {
            KafkaSecurity::Plaintext => vec![],
            KafkaSecurity::StrimziTls {
                user_secret,
                cluster_ca_secret,
            } => vec![
                ("Kafka user Secret", user_secret),
                ("cluster CA Secret", cluster_ca_secret),
            ],
            KafkaSecurity::StrimziScramSha512 {
                user,
                cluster_ca_secret,
            } => vec![
                ("Kafka user", user),
                ("cluster CA Secret", cluster_ca_secret),
            ],
        };
        for (field, name) in names {
            if manifest_bundle::names::dns1123_subdomain(name).is_err() {
                return Err(Error::InvalidValue {
                    field: field.into(),
                    value: name.into(),
                    reason: "a Kubernetes object name (lowercase letters, digits, - and .)".into(),
                });
            }
        }
        Ok(())
    }
}
