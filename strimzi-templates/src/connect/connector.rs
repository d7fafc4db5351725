//! `KafkaConnector.spec` and what every connector shares: the envelope and the Apicurio converters.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta::{
    resource, validate_subdomain, CustomResource, CLUSTER_LABEL, STRIMZI_API_VERSION,
};
use crate::secret::ensure_reference;

use super::*;

/// A `KafkaConnector` custom resource.
pub type KafkaConnector = CustomResource<KafkaConnectorSpec>;

/// `KafkaConnector.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaConnectorSpec {
    /// Connector class.
    pub class: String,
    /// Maximum tasks.
    pub tasks_max: u32,
    /// Restart failed connectors and tasks automatically.
    pub auto_restart: AutoRestart,
    /// `running`, `paused` or `stopped`.
    pub state: ConnectorState,
    /// Connector configuration.
    pub config: BTreeMap<String, Value>,
}

/// `spec.autoRestart`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRestart {
    /// On.
    pub enabled: bool,
    /// Give up after this many restarts.
    pub max_restarts: u32,
}

/// `KafkaConnector.spec.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorState {
    /// Running.
    Running,
    /// Paused (tasks stay assigned, no records flow).
    Paused,
    /// Stopped (tasks released).
    Stopped,
}

impl ConnectorState {
    /// The spelling Strimzi uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
        }
    }
}

pub(super) fn connector(
    connect: &str,
    name: &str,
    class: &str,
    tasks_max: u32,
    config: BTreeMap<String, Value>,
) -> Result<KafkaConnector> {
    validate_subdomain("KafkaConnector", name)?;
    if tasks_max == 0 {
        return Err(Error::TooFew {
            what: "tasksMax",
            name: name.to_owned(),
            min: 1,
            value: 0,
        });
    }
    for (k, v) in &config {
        if let Some(s) = v.as_str() {
            ensure_reference(k, s)?;
        }
    }
    Ok(resource(
        STRIMZI_API_VERSION,
        "KafkaConnector",
        name,
        KafkaConnectorSpec {
            class: class.to_owned(),
            tasks_max,
            auto_restart: AutoRestart {
                enabled: true,
                max_restarts: 10,
            },
            state: ConnectorState::Running,
            config,
        },
    )
    // KafkaConnectors are bound to their KafkaConnect through this label.
    .with_label(CLUSTER_LABEL, connect))
}

/// Apicurio converter settings: the Confluent wire format (magic byte, 4-byte content id in the
/// payload, no schema id headers), so that any Confluent-compatible consumer can decode the
/// records with the registry's `/apis/ccompat/v7/schemas/ids/<id>` (spark-templates'
/// `CdcToIceberg` with `CdcFormat::ConfluentAvro`).
pub const CONFLUENT_WIRE_FORMAT: [(&str, &str); 3] = [
    ("apicurio.registry.as-confluent", "true"),
    ("apicurio.registry.headers.enabled", "false"),
    ("apicurio.registry.use-id", "contentId"),
];

pub(super) fn converter_config(config: &mut BTreeMap<String, Value>, registry_url: &str) {
    for side in ["key", "value"] {
        for (k, v) in CONFLUENT_WIRE_FORMAT {
            let v: Value = match v {
                "true" => true.into(),
                "false" => false.into(),
                other => other.into(),
            };
            config.insert(format!("{side}.converter.{k}"), v);
        }
        config.insert(format!("{side}.converter"), APICURIO_AVRO_CONVERTER.into());
        config.insert(
            format!("{side}.converter.apicurio.registry.url"),
            registry_url.into(),
        );
        config.insert(
            format!("{side}.converter.apicurio.registry.auto-register"),
            true.into(),
        );
        config.insert(
            format!("{side}.converter.apicurio.registry.find-latest"),
            true.into(),
        );
    }
}
