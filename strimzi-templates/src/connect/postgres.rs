//! The Debezium Postgres source connector: [`PostgresSourceBuilder`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::connector::{connector, converter_config};
use crate::error::{Error, Result};
use crate::secret::SecretKeyRef;
use crate::topic::validate_topic_name;

use super::*;

/// Debezium's `snapshot.mode` for Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotMode {
    /// Snapshot once, then stream.
    Initial,
    /// Snapshot only, no streaming.
    InitialOnly,
    /// Stream only (schema, no data snapshot).
    NoData,
    /// Snapshot when the slot's position is gone.
    WhenNeeded,
    /// Snapshot on every start.
    Always,
}

impl SnapshotMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::InitialOnly => "initial_only",
            Self::NoData => "no_data",
            Self::WhenNeeded => "when_needed",
            Self::Always => "always",
        }
    }
}

/// Builder for the Debezium Postgres source `KafkaConnector`.
///
/// ```no_run
/// use strimzi_templates::connect::{PostgresSourceBuilder, SnapshotMode};
/// use strimzi_templates::secret::SecretKeyRef;
///
/// let source = PostgresSourceBuilder::new("cdc", "pg-inventory", "inventory")
///     .database("postgres.db.svc", 5432, "inventory")
///     .credentials(
///         SecretKeyRef::new("kafka", "pg-cdc", "username")?,
///         SecretKeyRef::new("kafka", "pg-cdc", "password")?,
///     )
///     .tables(&["public.orders", "public.customers"])
///     .snapshot_mode(SnapshotMode::Initial)
///     .registry_url("http://schema-registry-app-service:8080/apis/registry/v3")
///     .build()?;
/// # Ok::<(), strimzi_templates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PostgresSourceBuilder {
    connect: String,
    name: String,
    topic_prefix: String,
    host: String,
    port: u16,
    dbname: String,
    user: Option<SecretKeyRef>,
    password: Option<SecretKeyRef>,
    tables: Vec<String>,
    slot: Option<String>,
    publication: Option<String>,
    heartbeat_ms: u64,
    snapshot_mode: SnapshotMode,
    registry_url: String,
}

impl PostgresSourceBuilder {
    /// A source on Connect cluster `connect`, writing topics `<topic_prefix>.<schema>.<table>`.
    pub fn new(
        connect: impl Into<String>,
        name: impl Into<String>,
        topic_prefix: impl Into<String>,
    ) -> Self {
        Self {
            connect: connect.into(),
            name: name.into(),
            topic_prefix: topic_prefix.into(),
            host: String::new(),
            port: 5432,
            dbname: String::new(),
            user: None,
            password: None,
            tables: Vec::new(),
            slot: None,
            publication: None,
            heartbeat_ms: 10_000,
            snapshot_mode: SnapshotMode::Initial,
            registry_url: String::new(),
        }
    }

    /// Database host, port and name.
    pub fn database(
        mut self,
        host: impl Into<String>,
        port: u16,
        dbname: impl Into<String>,
    ) -> Self {
        self.host = host.into();
        self.port = port;
        self.dbname = dbname.into();
        self
    }

    /// Secret references for the replication user.
    pub fn credentials(mut self, user: SecretKeyRef, password: SecretKeyRef) -> Self {
        self.user = Some(user);
        self.password = Some(password);
        self
    }

    /// `schema.table` entries for `table.include.list`.
    pub fn tables(mut self, tables: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.tables = tables.into_iter().map(|t| t.as_ref().to_owned()).collect();
        self
    }

    /// Replication slot name (default: `<topic_prefix>` with `-`/`.` → `_`).
    pub fn slot(mut self, slot: impl Into<String>) -> Self {
        self.slot = Some(slot.into());
        self
    }

    /// Publication name (default: `<slot>_pub`).
    pub fn publication(mut self, publication: impl Into<String>) -> Self {
        self.publication = Some(publication.into());
        self
    }

    /// Heartbeat interval (keeps the slot advancing on quiet tables).
    pub fn heartbeat_ms(mut self, ms: u64) -> Self {
        self.heartbeat_ms = ms;
        self
    }

    /// `snapshot.mode`.
    pub fn snapshot_mode(mut self, mode: SnapshotMode) -> Self {
        self.snapshot_mode = mode;
        self
    }

    /// Apicurio Registry v3 API URL for the converters.
    pub fn registry_url(mut self, url: impl Into<String>) -> Self {
        self.registry_url = url.into();
        self
    }

    /// The topic prefix (also the prefix the Connect user may write).
    pub fn topic_prefix(&self) -> &str {
        &self.topic_prefix
    }

    /// Kafka topic of one captured table.
    pub fn topic_for(&self, table: &str) -> String {
        format!("{}.{table}", self.topic_prefix)
    }

    /// Validates and builds.
    pub fn build(self) -> Result<KafkaConnector> {
        validate_topic_name(&self.topic_prefix)?;
        for (what, v) in [
            ("database host", &self.host),
            ("database name", &self.dbname),
            ("schema registry URL", &self.registry_url),
        ] {
            if v.is_empty() {
                return Err(Error::Empty { what });
            }
        }
        if self.tables.is_empty() {
            return Err(Error::Empty {
                what: "table.include.list",
            });
        }
        for t in &self.tables {
            let parts: Vec<&str> = t.split('.').collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(Error::InvalidValue {
                    what: "captured table",
                    value: t.clone(),
                    reason: "must be `schema.table`",
                });
            }
            validate_topic_name(&self.topic_for(t))?;
        }
        let (Some(user), Some(password)) = (&self.user, &self.password) else {
            return Err(Error::Empty {
                what: "database credentials (Secret references)",
            });
        };
        let slot = self
            .slot
            .clone()
            .unwrap_or_else(|| self.topic_prefix.replace(['-', '.'], "_"));
        if slot.is_empty()
            || slot.len() > 63
            || !slot
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::InvalidValue {
                what: "replication slot name",
                value: slot,
                reason: "Postgres slot names are at most 63 lowercase letters, digits or '_'",
            });
        }
        let publication = self
            .publication
            .clone()
            .unwrap_or_else(|| format!("{slot}_pub"));
        let mut config: BTreeMap<String, Value> = BTreeMap::from([
            ("database.hostname".to_owned(), self.host.clone().into()),
            ("database.port".to_owned(), self.port.into()),
            ("database.dbname".to_owned(), self.dbname.clone().into()),
            ("database.user".to_owned(), user.placeholder().into()),
            (
                "database.password".to_owned(),
                password.placeholder().into(),
            ),
            ("database.sslmode".to_owned(), "require".into()),
            ("topic.prefix".to_owned(), self.topic_prefix.clone().into()),
            ("plugin.name".to_owned(), "pgoutput".into()),
            ("slot.name".to_owned(), slot.into()),
            ("publication.name".to_owned(), publication.into()),
            ("publication.autocreate.mode".to_owned(), "filtered".into()),
            (
                "table.include.list".to_owned(),
                self.tables.join(",").into(),
            ),
            ("heartbeat.interval.ms".to_owned(), self.heartbeat_ms.into()),
            (
                "snapshot.mode".to_owned(),
                self.snapshot_mode.as_str().into(),
            ),
            // Let Connect create the change topics with cluster defaults (RF 3, compacted).
            (
                "topic.creation.default.replication.factor".to_owned(),
                (-1).into(),
            ),
            ("topic.creation.default.partitions".to_owned(), (-1).into()),
            (
                "topic.creation.default.cleanup.policy".to_owned(),
                "compact".into(),
            ),
            ("tombstones.on.delete".to_owned(), true.into()),
            ("decimal.handling.mode".to_owned(), "precise".into()),
            (
                "time.precision.mode".to_owned(),
                "adaptive_time_microseconds".into(),
            ),
        ]);
        converter_config(&mut config, &self.registry_url);
        connector(
            &self.connect,
            &self.name,
            "io.debezium.connector.postgresql.PostgresConnector",
            1,
            config,
        )
    }
}
