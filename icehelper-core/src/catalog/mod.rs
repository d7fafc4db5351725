//! Opening a catalog from configuration, parsing identifiers, loading tables and their refs.

mod metadata_file;
mod rest;
pub mod sql;

pub(crate) use metadata_file::read_metadata;

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::io::{FileIO, FileIOBuilder};
use iceberg::spec::SnapshotRef;
use iceberg::table::Table;
use iceberg::{Catalog, CatalogBuilder, ErrorKind, NamespaceIdent, TableIdent};
use iceberg_catalog_rest::RestCatalogBuilder;

use crate::config::{redact_uri, CatalogConfig, CatalogKind};
use crate::error::{Error, Result};
use crate::storage::ObjectStorageFactory;
pub use rest::RestCommitter;
pub use sql::SqlCatalog;

use crate::commit::{Committer, TableChange};

/// An open catalog: the iceberg [`Catalog`] plus what icehelper needs beside it.
#[derive(Debug, Clone)]
pub struct LakeCatalog {
    config: CatalogConfig,
    kind: CatalogKind,
    catalog: Arc<dyn Catalog>,
    sql: Option<Arc<SqlCatalog>>,
    committer: Arc<dyn Committer>,
}

fn file_io_for(config: &CatalogConfig) -> FileIO {
    FileIOBuilder::new(Arc::new(ObjectStorageFactory))
        .with_props(config.properties.clone())
        .build()
}

impl LakeCatalog {
    /// Opens an existing catalog. A SQLite file that does not exist is an error.
    pub async fn open(config: &CatalogConfig) -> Result<Self> {
        Self::open_inner(config, false).await
    }

    /// Opens a catalog, creating a SQL catalog's database and tables when missing
    /// (the embedded default's first run).
    pub async fn open_or_create(config: &CatalogConfig) -> Result<Self> {
        Self::open_inner(config, true).await
    }

    async fn open_inner(config: &CatalogConfig, create: bool) -> Result<Self> {
        let kind = config.kind()?;
        match kind {
            CatalogKind::Sql => {
                let sql = Arc::new(SqlCatalog::open(config, file_io_for(config), create).await?);
                Ok(LakeCatalog {
                    config: config.clone(),
                    kind,
                    catalog: sql.clone(),
                    committer: sql.clone(),
                    sql: Some(sql),
                })
            }
            CatalogKind::Rest => {
                let uri = config
                    .get("uri")
                    .ok_or_else(|| Error::option("uri", "a REST catalog needs a uri"))?;
                url::Url::parse(uri).map_err(|e| {
                    Error::option(
                        "uri",
                        format!("malformed REST catalog URI '{}': {e}", redact_uri(uri)),
                    )
                })?;
                let props: HashMap<String, String> =
                    config.properties.clone().into_iter().collect();
                let http = rest_http_client(config)?;
                let catalog = RestCatalogBuilder::default()
                    .with_client(http.clone())
                    .with_storage_factory(Arc::new(ObjectStorageFactory))
                    .load(config.name.clone(), props)
                    .await
                    .map_err(|e| Error::CatalogUnavailable {
                        catalog: config.name.clone(),
                        uri: redact_uri(uri),
                        reason: one_line(&e),
                    })?;
                // The REST client connects lazily: ask once now, so an unreachable server is
                // reported as such rather than as a missing table later.
                catalog
                    .list_namespaces(None)
                    .await
                    .map_err(|e| Error::CatalogUnavailable {
                        catalog: config.name.clone(),
                        uri: redact_uri(uri),
                        reason: rest_reason(&e),
                    })?;
                let catalog: Arc<dyn Catalog> = Arc::new(catalog);
                let committer =
                    RestCommitter::new(config, http, catalog.clone(), file_io_for(config))?;
                Ok(LakeCatalog {
                    config: config.clone(),
                    kind,
                    catalog,
                    sql: None,
                    committer: Arc::new(committer),
                })
            }
        }
    }

    /// The iceberg catalog, for transactions and anything else iceberg offers.
    pub fn iceberg(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    /// The configuration this catalog was opened with.
    pub fn config(&self) -> &CatalogConfig {
        &self.config
    }

    /// A FileIO on this catalog's storage properties (for files the catalog itself does not
    /// hand out, such as staged files of a failed commit).
    pub fn file_io(&self) -> FileIO {
        self.committer.file_io()
    }

    /// SQL or REST.
    pub fn kind(&self) -> CatalogKind {
        self.kind
    }

    /// The SQL catalog, when this is one.
    pub fn sql(&self) -> Option<&Arc<SqlCatalog>> {
        self.sql.as_ref()
    }

    /// Loads a table, with structured errors for a missing table or namespace and
    /// for a missing or corrupt metadata file.
    pub async fn load_table(&self, ident: &TableIdent) -> Result<Table> {
        self.committer.load_table(ident).await
    }

    /// Namespaces under `parent` (top level when `None`).
    pub async fn list_namespaces(
        &self,
        parent: Option<&NamespaceIdent>,
    ) -> Result<Vec<NamespaceIdent>> {
        self.catalog
            .list_namespaces(parent)
            .await
            .map_err(|e| map_iceberg(e, None, parent))
    }

    /// Tables in a namespace, sorted by name.
    pub async fn list_tables(&self, namespace: &NamespaceIdent) -> Result<Vec<TableIdent>> {
        let mut tables = self
            .catalog
            .list_tables(namespace)
            .await
            .map_err(|e| map_iceberg(e, None, Some(namespace)))?;
        tables.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(tables)
    }
}

/// The catalog commits through the committer it opened (SQL or REST).
#[async_trait::async_trait]
impl Committer for LakeCatalog {
    async fn load_table(&self, ident: &TableIdent) -> Result<Table> {
        self.committer.load_table(ident).await
    }

    async fn commit(&self, ident: &TableIdent, change: TableChange) -> Result<Table> {
        self.committer.commit(ident, change).await
    }

    fn file_io(&self) -> FileIO {
        self.committer.file_io()
    }
}

/// Iceberg Java's REST client timeouts (`rest.client.connection-timeout-ms`,
/// `rest.client.socket-timeout-ms`) and their defaults here.
pub const REST_CONNECT_TIMEOUT: (&str, u64) = ("rest.client.connection-timeout-ms", 10_000);
/// How long a REST response may stall between reads before the request fails.
pub const REST_SOCKET_TIMEOUT: (&str, u64) = ("rest.client.socket-timeout-ms", 60_000);

/// The HTTP client for a REST catalog, with its timeouts: a server that accepts and never
/// answers is an error after the socket timeout, not a hang.
pub(crate) fn rest_http_client(config: &CatalogConfig) -> Result<reqwest::Client> {
    let ms = |(key, default): (&str, u64)| -> Result<std::time::Duration> {
        match config.get(key) {
            None => Ok(std::time::Duration::from_millis(default)),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(std::time::Duration::from_millis(n)),
                _ => Err(Error::option(
                    key,
                    format!("must be a positive number of milliseconds, got '{v}'"),
                )),
            },
        }
    };
    reqwest::Client::builder()
        .connect_timeout(ms(REST_CONNECT_TIMEOUT)?)
        .read_timeout(ms(REST_SOCKET_TIMEOUT)?)
        .build()
        .map_err(|e| Error::option("uri", format!("cannot build the HTTP client: {e}")))
}

/// A REST client error in words: HTTP 401/403 say which credential to check, not the headers.
pub(crate) fn rest_reason(e: &iceberg::Error) -> String {
    let text = one_line(e);
    for (code, words) in [
        (
            "401",
            "not authorized (HTTP 401): check the token or credential property",
        ),
        (
            "403",
            "forbidden (HTTP 403): the credential lacks access to this catalog",
        ),
    ] {
        if text.contains(&format!("status: {code}")) {
            return words.to_string();
        }
    }
    text
}

/// One line out of an iceberg error (its Display may span several).
pub(crate) fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let mut parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // iceberg appends a backtrace section: drop it
    if let Some(pos) = parts.iter().position(|l| l.starts_with("Backtrace")) {
        parts.truncate(pos);
    }
    parts.join(" ")
}

pub(crate) fn map_iceberg(
    e: iceberg::Error,
    table: Option<&TableIdent>,
    namespace: Option<&NamespaceIdent>,
) -> Error {
    match e.kind() {
        ErrorKind::TableNotFound => Error::TableNotFound {
            table: table.map(|t| t.to_string()).unwrap_or_default(),
        },
        ErrorKind::NamespaceNotFound => Error::NamespaceNotFound {
            namespace: namespace
                .map(|n| n.as_ref().join("."))
                .or_else(|| table.map(|t| t.namespace().as_ref().join(".")))
                .unwrap_or_default(),
        },
        _ => Error::Iceberg(e),
    }
}

/// Parses `namespace.table` (a multi-level namespace is `a.b.table`).
pub fn parse_table_ident(input: &str) -> Result<TableIdent> {
    let bad = |reason: &str| Error::InvalidIdentifier {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if input.trim() != input || input.is_empty() {
        return Err(bad("expected namespace.table"));
    }
    let parts: Vec<&str> = input.split('.').collect();
    if parts.len() < 2 {
        return Err(bad("expected namespace.table"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad("empty name part"));
    }
    let (name, ns) = parts.split_last().expect("two parts at least");
    TableIdent::from_strs(ns.iter().chain(std::iter::once(name))).map_err(|e| bad(&e.to_string()))
}

/// Parses a namespace (`a` or `a.b`).
pub fn parse_namespace(input: &str) -> Result<NamespaceIdent> {
    if input.is_empty() || input.split('.').any(str::is_empty) {
        return Err(Error::InvalidIdentifier {
            input: input.to_string(),
            reason: "expected a namespace like 'db' or 'a.b'".into(),
        });
    }
    NamespaceIdent::from_strs(input.split('.')).map_err(Error::from)
}

/// Which version of a table to read: the current one, a snapshot id, or a branch/tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotSelector {
    /// The table's current snapshot (`main`).
    Current,
    /// A snapshot by id.
    Id(i64),
    /// A branch or tag by name.
    Ref(String),
}

impl SnapshotSelector {
    /// Resolves the selector against a table. `Ok(None)`: the table has no current snapshot.
    pub fn resolve(&self, table: &Table) -> Result<Option<SnapshotRef>> {
        let ident = table.identifier().to_string();
        let md = table.metadata();
        match self {
            SnapshotSelector::Current => Ok(md.current_snapshot().cloned()),
            SnapshotSelector::Id(id) => {
                md.snapshot_by_id(*id)
                    .cloned()
                    .map(Some)
                    .ok_or(Error::SnapshotNotFound {
                        table: ident,
                        snapshot_id: *id,
                    })
            }
            SnapshotSelector::Ref(name) => {
                md.snapshot_for_ref(name)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| Error::RefNotFound {
                        table: ident,
                        name: name.clone(),
                    })
            }
        }
    }
}

/// The table's branches and tags by name (iceberg-rust keeps them private; they are read
/// back from the metadata's own serialised form).
pub fn table_refs(
    metadata: &iceberg::spec::TableMetadata,
) -> Result<std::collections::BTreeMap<String, iceberg::spec::SnapshotReference>> {
    let value = serde_json::to_value(metadata)
        .map_err(|e| iceberg::Error::new(ErrorKind::Unexpected, e.to_string()))?;
    match value.get("refs") {
        Some(refs) => serde_json::from_value(refs.clone()).map_err(|e| {
            Error::Iceberg(iceberg::Error::new(ErrorKind::DataInvalid, e.to_string()))
        }),
        None => Ok(Default::default()),
    }
}

/// `TABLE`, `TABLE@SNAPSHOT_ID` or `TABLE@REF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableVersionSpec {
    /// The table.
    pub table: TableIdent,
    /// Which version.
    pub version: SnapshotSelector,
}

impl std::str::FromStr for TableVersionSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (table, version) = match s.split_once('@') {
            None => (s, SnapshotSelector::Current),
            Some((t, "")) => {
                return Err(Error::InvalidIdentifier {
                    input: s.to_string(),
                    reason: format!("nothing after '@' (expected {t}@SNAPSHOT_ID or {t}@REF)"),
                })
            }
            Some((t, v)) => match v.parse::<i64>() {
                Ok(id) => (t, SnapshotSelector::Id(id)),
                Err(_) => (t, SnapshotSelector::Ref(v.to_string())),
            },
        };
        Ok(TableVersionSpec {
            table: parse_table_ident(table)?,
            version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let t = parse_table_ident("db.events").unwrap();
        assert_eq!(t.namespace().as_ref(), &vec!["db".to_string()]);
        assert_eq!(t.name(), "events");
        let t = parse_table_ident("a.b.c").unwrap();
        assert_eq!(t.namespace().as_ref().len(), 2);
        for bad in ["events", "db.", ".t", "", "a..b", " db.t"] {
            assert!(parse_table_ident(bad).is_err(), "{bad}");
        }
        let v: TableVersionSpec = "db.t@123".parse().unwrap();
        assert_eq!(v.version, SnapshotSelector::Id(123));
        let v: TableVersionSpec = "db.t@audit".parse().unwrap();
        assert_eq!(v.version, SnapshotSelector::Ref("audit".into()));
        assert!("db.t@".parse::<TableVersionSpec>().is_err());
    }
}
