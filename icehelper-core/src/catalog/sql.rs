//! The SQL catalog: SQLite or PostgreSQL, in the layouts of PyIceberg's `SqlCatalog` and of
//! Iceberg Java's `JdbcCatalog` (schema V0 and V1).
//!
//! Both keep one row per table in `iceberg_tables` (`catalog_name`, `table_namespace`,
//! `table_name`, `metadata_location`, `previous_metadata_location`; Java V1 adds
//! `iceberg_type`, `TABLE` or `VIEW`) and namespace properties in
//! `iceberg_namespace_properties`. Rows are keyed by catalog name, so a catalog named `lake`
//! sees exactly what PyIceberg wrote as `SqlCatalog("lake", ...)`. A commit writes the new
//! metadata.json, then swaps the pointer with one
//! `UPDATE ... WHERE metadata_location = <old>`: if another writer moved it first, no row
//! changes and the commit fails as a conflict (its metadata file is deleted again).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use iceberg::io::FileIO;
use iceberg::spec::TableMetadataBuilder;
use iceberg::table::Table;
use iceberg::{
    Catalog, ErrorKind, MetadataLocation, Namespace, NamespaceIdent, TableCommit, TableCreation,
    TableIdent, TableRequirement, TableUpdate,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::one_line;
use crate::config::{redact_uri, CatalogConfig};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A SQL catalog over SQLite or PostgreSQL; implements [`iceberg::Catalog`].
pub struct SqlCatalog {
    name: String,
    pool: AnyPool,
    backend: Backend,
    display_uri: String,
    warehouse: Option<String>,
    file_io: FileIO,
    /// Java JdbcCatalog V1 layout (`iceberg_type` column present).
    has_type_column: bool,
    /// Whether the catalog tables exist at all (a fresh database has none).
    initialized: bool,
    runtime: iceberg::Runtime,
}

impl std::fmt::Debug for SqlCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlCatalog")
            .field("name", &self.name)
            .field("uri", &self.display_uri)
            .finish_non_exhaustive()
    }
}

/// Turns the URI forms users write (SQLAlchemy's `sqlite:///x.db`, `postgresql+psycopg2://`,
/// JDBC's `jdbc:sqlite:x.db`, `jdbc:postgresql://`) into a sqlx URL.
fn sqlx_url(config: &CatalogConfig, create: bool) -> Result<(Backend, String)> {
    let uri = config
        .get("uri")
        .ok_or_else(|| Error::option("uri", format!("catalog '{}' has no uri", config.name)))?;
    let lower = uri.to_ascii_lowercase();
    let unavailable = |reason: String| Error::CatalogUnavailable {
        catalog: config.name.clone(),
        uri: redact_uri(uri),
        reason,
    };
    if let Some(rest) = lower
        .strip_prefix("jdbc:sqlite:")
        .map(|_| &uri["jdbc:sqlite:".len()..])
        .or_else(|| {
            lower
                .strip_prefix("sqlite:")
                .map(|_| &uri["sqlite:".len()..])
        })
    {
        // sqlite:///abs/path (SQLAlchemy), sqlite:/abs, jdbc:sqlite:/abs, jdbc:sqlite:file:/abs
        let rest = rest.strip_prefix("file:").unwrap_or(rest);
        let path = if let Some(p) = rest.strip_prefix("//") {
            p.to_string()
        } else {
            rest.to_string()
        };
        let path = path.split('?').next().unwrap_or("").to_string();
        if path.is_empty() || path == ":memory:" || path == "/:memory:" {
            return Err(Error::option(
                "uri",
                "an in-memory SQLite catalog cannot hold tables between runs; give a file path",
            ));
        }
        let file = Path::new(&path);
        if !create && !file.is_file() {
            return Err(unavailable(format!("no SQLite catalog file at {path}")));
        }
        if create {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| unavailable(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        let mode = if create { "rwc" } else { "rw" };
        return Ok((Backend::Sqlite, format!("sqlite://{path}?mode={mode}")));
    }
    let pg = if lower.starts_with("jdbc:postgresql://") {
        let mut url = format!("postgresql://{}", &uri["jdbc:postgresql://".len()..]);
        let user = config.get("jdbc.user").or(config.get("user"));
        let password = config.get("jdbc.password").or(config.get("password"));
        if let Some(user) = user {
            // postgresql://user:password@host/db; special characters are percent-encoded
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let auth = match password {
                Some(p) => format!("{}:{}@", enc(user), enc(p)),
                None => format!("{}@", enc(user)),
            };
            url = format!("postgresql://{auth}{}", &uri["jdbc:postgresql://".len()..]);
        }
        Some(url)
    } else if lower.starts_with("postgresql") || lower.starts_with("postgres") {
        // postgresql+psycopg2://... → postgresql://...
        let (_, rest) = uri.split_once("://").ok_or_else(|| {
            Error::option(
                "uri",
                format!("malformed PostgreSQL URI '{}'", redact_uri(uri)),
            )
        })?;
        Some(format!("postgresql://{rest}"))
    } else {
        None
    };
    match pg {
        Some(url) => {
            url::Url::parse(&url).map_err(|e| {
                Error::option("uri", format!("malformed PostgreSQL URI '{}': {e}", redact_uri(uri)))
            })?;
            Ok((Backend::Postgres, url))
        }
        None => Err(Error::option(
            "uri",
            format!(
                "'{}' is not a SQL catalog URI (expected sqlite:///path.db or postgresql://host/db)",
                redact_uri(uri)
            ),
        )),
    }
}

fn sql_err(e: sqlx::Error) -> iceberg::Error {
    let busy = is_busy(&e);
    iceberg::Error::new(ErrorKind::Unexpected, format!("SQL catalog: {e}")).with_retryable(busy)
}

/// SQLite's SQLITE_BUSY / SQLITE_LOCKED (and their extended codes): another connection holds
/// the lock longer than the busy timeout; the statement did not run and may be tried again.
fn is_busy(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else {
        return false;
    };
    db.code()
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// How often a commit is tried again when the SQLite file stays locked past the busy timeout
/// (another engine's long transaction): each try waits the busy timeout first.
const BUSY_RETRIES: u32 = 4;

fn ns_string(ns: &NamespaceIdent) -> String {
    ns.as_ref().join(".")
}

fn ns_from_string(s: &str) -> iceberg::Result<NamespaceIdent> {
    NamespaceIdent::from_strs(s.split('.'))
}

impl SqlCatalog {
    /// Opens the catalog. With `create`, a missing SQLite file and the catalog tables are
    /// created (PyIceberg's layout); without it, a missing database is an error.
    pub async fn open(config: &CatalogConfig, file_io: FileIO, create: bool) -> Result<Self> {
        let (backend, url) = sqlx_url(config, create)?;
        let display_uri = redact_uri(config.get("uri").unwrap_or_default());
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 4 })
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await
            .map_err(|e| Error::CatalogUnavailable {
                catalog: config.name.clone(),
                uri: display_uri.clone(),
                reason: e.to_string(),
            })?;
        let mut catalog = SqlCatalog {
            name: config.name.clone(),
            pool,
            backend,
            display_uri: display_uri.clone(),
            warehouse: config
                .get("warehouse")
                .map(|w| w.trim_end_matches('/').to_string()),
            file_io,
            has_type_column: false,
            initialized: false,
            runtime: iceberg::Runtime::try_current()?,
        };
        // asked of the schema, not by trying a query: a locked or damaged database is an error
        // to report, not an empty catalog where every table "does not exist"
        let unavailable = |e: sqlx::Error| Error::CatalogUnavailable {
            catalog: config.name.clone(),
            uri: display_uri.clone(),
            reason: e.to_string(),
        };
        catalog.initialized = catalog
            .has_column("iceberg_tables", None)
            .await
            .map_err(unavailable)?;
        if !catalog.initialized && create {
            catalog
                .create_tables()
                .await
                .map_err(|e| Error::CatalogUnavailable {
                    catalog: config.name.clone(),
                    uri: catalog.display_uri.clone(),
                    reason: e.to_string(),
                })?;
            catalog.initialized = true;
        }
        if catalog.initialized {
            catalog.has_type_column = catalog
                .has_column("iceberg_tables", Some("iceberg_type"))
                .await
                .map_err(unavailable)?;
        }
        Ok(catalog)
    }

    /// The catalog's name (the `catalog_name` its rows carry).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `table` exists (with `column`, when given), from the database's own catalog.
    async fn has_column(
        &self,
        table: &str,
        column: Option<&str>,
    ) -> std::result::Result<bool, sqlx::Error> {
        let sql = match (self.backend, column) {
            (Backend::Sqlite, None) => {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?".to_string()
            }
            (Backend::Sqlite, Some(_)) => {
                "SELECT 1 FROM pragma_table_info(?) WHERE name = ?".to_string()
            }
            // a constant: the Any driver cannot decode PostgreSQL's `name` columns
            (_, None) => "SELECT 1 FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = $1"
                .to_string(),
            (_, Some(_)) => "SELECT 1 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
                .to_string(),
        };
        let mut q = sqlx::query(&sql).bind(table.to_string());
        if let Some(c) = column {
            q = q.bind(c.to_string());
        }
        Ok(q.fetch_optional(&self.pool).await?.is_some())
    }

    async fn create_tables(&self) -> std::result::Result<(), sqlx::Error> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS iceberg_tables (\
             catalog_name VARCHAR(255) NOT NULL, \
             table_namespace VARCHAR(255) NOT NULL, \
             table_name VARCHAR(255) NOT NULL, \
             metadata_location VARCHAR(1000), \
             previous_metadata_location VARCHAR(1000), \
             PRIMARY KEY (catalog_name, table_namespace, table_name))",
        )
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (\
             catalog_name VARCHAR(255) NOT NULL, \
             namespace VARCHAR(255) NOT NULL, \
             property_key VARCHAR(255) NOT NULL, \
             property_value VARCHAR(1000), \
             PRIMARY KEY (catalog_name, namespace, property_key))",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Rewrites `?` placeholders as `$n` for PostgreSQL.
    fn sql(&self, text: &str) -> String {
        match self.backend {
            Backend::Sqlite => text.to_string(),
            Backend::Postgres => {
                let mut out = String::with_capacity(text.len() + 8);
                let mut n = 0;
                for c in text.chars() {
                    if c == '?' {
                        n += 1;
                        out.push('$');
                        out.push_str(&n.to_string());
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }

    fn table_filter(&self) -> &'static str {
        if self.has_type_column {
            " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)"
        } else {
            ""
        }
    }

    fn not_initialized<T>(&self) -> iceberg::Result<T> {
        Err(iceberg::Error::new(
            ErrorKind::NamespaceNotFound,
            "the catalog holds no namespaces yet",
        ))
    }

    /// The metadata location the catalog points at for `ident`.
    pub async fn metadata_location(&self, ident: &TableIdent) -> iceberg::Result<String> {
        if !self.initialized {
            return Err(iceberg::Error::new(
                ErrorKind::TableNotFound,
                format!("table '{ident}' does not exist"),
            ));
        }
        let sql = self.sql(&format!(
            "SELECT metadata_location FROM iceberg_tables \
             WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?{}",
            self.table_filter()
        ));
        let row: Option<AnyRow> = sqlx::query(&sql)
            .bind(&self.name)
            .bind(ns_string(ident.namespace()))
            .bind(ident.name())
            .fetch_optional(&self.pool)
            .await
            .map_err(sql_err)?;
        let Some(row) = row else {
            return Err(iceberg::Error::new(
                ErrorKind::TableNotFound,
                format!("table '{ident}' does not exist"),
            ));
        };
        let loc: Option<String> = row.try_get(0).map_err(sql_err)?;
        loc.ok_or_else(|| {
            iceberg::Error::new(
                ErrorKind::DataInvalid,
                format!("table '{ident}' has no metadata location in the catalog"),
            )
        })
    }

    /// Loads a table, telling apart a missing table from an unreadable metadata file.
    pub async fn load_table_checked(&self, ident: &TableIdent) -> Result<Table> {
        let location = self
            .metadata_location(ident)
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::TableNotFound => Error::TableNotFound {
                    table: ident.to_string(),
                },
                _ => Error::Iceberg(e),
            })?;
        let metadata = crate::catalog::read_metadata(&self.file_io, &location)
            .await
            .map_err(|e| Error::MetadataUnreadable {
                table: ident.to_string(),
                location: location.clone(),
                reason: one_line(&e),
            })?;
        Ok(Table::builder()
            .identifier(ident.clone())
            .metadata(metadata)
            .metadata_location(location)
            .file_io(self.file_io.clone())
            .runtime(self.runtime.clone())
            .build()?)
    }

    async fn namespace_exists_inner(&self, ns: &str) -> iceberg::Result<bool> {
        if !self.initialized {
            return Ok(false);
        }
        let like = format!("{ns}.%");
        let sql = self.sql(
            "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ?) \
             UNION SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ?)",
        );
        let rows = sqlx::query(&sql)
            .bind(&self.name)
            .bind(ns)
            .bind(&like)
            .bind(&self.name)
            .bind(ns)
            .bind(&like)
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err)?;
        Ok(!rows.is_empty())
    }

    /// Where a new table goes, as PyIceberg 0.12 and Iceberg Java place it: the namespace's
    /// `location` property + `/{table}`, else `{warehouse}/{namespace}/{table}`.
    async fn default_location(&self, ns: &NamespaceIdent, name: &str) -> iceberg::Result<String> {
        if let Ok(namespace) = self.get_namespace(ns).await {
            if let Some(loc) = namespace.properties().get("location") {
                return Ok(format!("{}/{name}", loc.trim_end_matches('/')));
            }
        }
        let warehouse = self.warehouse.as_ref().ok_or_else(|| {
            iceberg::Error::new(
                ErrorKind::DataInvalid,
                "catalog has no warehouse property: cannot place a new table",
            )
        })?;
        Ok(format!("{warehouse}/{}/{name}", ns.as_ref().join("/")))
    }
}

#[async_trait]
impl Catalog for SqlCatalog {
    async fn list_namespaces(
        &self,
        parent: Option<&NamespaceIdent>,
    ) -> iceberg::Result<Vec<NamespaceIdent>> {
        if !self.initialized {
            return Ok(Vec::new());
        }
        let sql = self.sql(
            "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ? \
             UNION SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?",
        );
        let rows = sqlx::query(&sql)
            .bind(&self.name)
            .bind(&self.name)
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err)?;
        let mut out = std::collections::BTreeSet::new();
        let depth = parent.map(|p| p.len()).unwrap_or(0);
        for row in rows {
            let ns: String = row.try_get(0).map_err(sql_err)?;
            let parts: Vec<&str> = ns.split('.').collect();
            if let Some(p) = parent {
                if parts.len() <= depth
                    || parts[..depth] != p.iter().map(String::as_str).collect::<Vec<_>>()[..]
                {
                    continue;
                }
            }
            out.insert(parts[..=depth].join("."));
        }
        out.iter().map(|s| ns_from_string(s)).collect()
    }

    async fn create_namespace(
        &self,
        namespace: &NamespaceIdent,
        properties: HashMap<String, String>,
    ) -> iceberg::Result<Namespace> {
        let ns = ns_string(namespace);
        if self.namespace_exists_inner(&ns).await? {
            return Err(iceberg::Error::new(
                ErrorKind::NamespaceAlreadyExists,
                format!("namespace '{ns}' already exists"),
            ));
        }
        let mut props = properties.clone();
        props
            .entry("exists".into())
            .or_insert_with(|| "true".into());
        let sql = self.sql(
            "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
        );
        let mut tx = self.pool.begin().await.map_err(sql_err)?;
        for (k, v) in &props {
            sqlx::query(&sql)
                .bind(&self.name)
                .bind(&ns)
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(sql_err)?;
        }
        tx.commit().await.map_err(sql_err)?;
        Ok(Namespace::with_properties(namespace.clone(), properties))
    }

    async fn get_namespace(&self, namespace: &NamespaceIdent) -> iceberg::Result<Namespace> {
        let ns = ns_string(namespace);
        if !self.namespace_exists_inner(&ns).await? {
            return Err(iceberg::Error::new(
                ErrorKind::NamespaceNotFound,
                format!("namespace '{ns}' does not exist"),
            ));
        }
        let sql = self.sql(
            "SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
        );
        let rows = sqlx::query(&sql)
            .bind(&self.name)
            .bind(&ns)
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err)?;
        let mut props = HashMap::new();
        for row in rows {
            let k: String = row.try_get(0).map_err(sql_err)?;
            let v: Option<String> = row.try_get(1).map_err(sql_err)?;
            props.insert(k, v.unwrap_or_default());
        }
        Ok(Namespace::with_properties(namespace.clone(), props))
    }

    async fn namespace_exists(&self, namespace: &NamespaceIdent) -> iceberg::Result<bool> {
        self.namespace_exists_inner(&ns_string(namespace)).await
    }

    async fn update_namespace(
        &self,
        namespace: &NamespaceIdent,
        properties: HashMap<String, String>,
    ) -> iceberg::Result<()> {
        let ns = ns_string(namespace);
        if !self.namespace_exists_inner(&ns).await? {
            return Err(iceberg::Error::new(
                ErrorKind::NamespaceNotFound,
                format!("namespace '{ns}' does not exist"),
            ));
        }
        let mut tx = self.pool.begin().await.map_err(sql_err)?;
        sqlx::query(&self.sql(
            "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
        ))
        .bind(&self.name)
        .bind(&ns)
        .execute(&mut *tx)
        .await
        .map_err(sql_err)?;
        let mut props = properties;
        props
            .entry("exists".into())
            .or_insert_with(|| "true".into());
        let insert = self.sql(
            "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
        );
        for (k, v) in &props {
            sqlx::query(&insert)
                .bind(&self.name)
                .bind(&ns)
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(sql_err)?;
        }
        tx.commit().await.map_err(sql_err)
    }

    async fn drop_namespace(&self, namespace: &NamespaceIdent) -> iceberg::Result<()> {
        let ns = ns_string(namespace);
        if !self.list_tables(namespace).await?.is_empty() {
            return Err(iceberg::Error::new(
                ErrorKind::DataInvalid,
                format!("namespace '{ns}' is not empty"),
            ));
        }
        sqlx::query(&self.sql(
            "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
        ))
        .bind(&self.name)
        .bind(&ns)
        .execute(&self.pool)
        .await
        .map_err(sql_err)?;
        Ok(())
    }

    async fn list_tables(&self, namespace: &NamespaceIdent) -> iceberg::Result<Vec<TableIdent>> {
        let ns = ns_string(namespace);
        if !self.namespace_exists_inner(&ns).await? {
            return Err(iceberg::Error::new(
                ErrorKind::NamespaceNotFound,
                format!("namespace '{ns}' does not exist"),
            ));
        }
        let sql = self.sql(&format!(
            "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?{} ORDER BY table_name",
            self.table_filter()
        ));
        let rows = sqlx::query(&sql)
            .bind(&self.name)
            .bind(&ns)
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err)?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get(0).map_err(sql_err)?;
                Ok(TableIdent::new(namespace.clone(), name))
            })
            .collect()
    }

    async fn create_table(
        &self,
        namespace: &NamespaceIdent,
        mut creation: TableCreation,
    ) -> iceberg::Result<Table> {
        if !self.initialized {
            return self.not_initialized();
        }
        let ident = TableIdent::new(namespace.clone(), creation.name.clone());
        if self.table_exists(&ident).await? {
            return Err(iceberg::Error::new(
                ErrorKind::TableAlreadyExists,
                format!("table '{ident}' already exists"),
            ));
        }
        let location = match creation.location.take() {
            Some(l) => l,
            None => self.default_location(namespace, &creation.name).await?,
        };
        creation.location = Some(location.clone());
        let metadata = TableMetadataBuilder::from_table_creation(creation)?
            .build()?
            .metadata;
        let metadata_location = MetadataLocation::new_with_metadata(&location, &metadata);
        metadata.write_to(&self.file_io, &metadata_location).await?;
        let loc = metadata_location.to_string();
        if let Err(e) = self.insert_table_row(&ident, &loc).await {
            let _ = self.file_io.delete(&loc).await;
            return Err(e);
        }
        Table::builder()
            .identifier(ident)
            .metadata(metadata)
            .metadata_location(loc)
            .file_io(self.file_io.clone())
            .runtime(self.runtime.clone())
            .build()
    }

    async fn load_table(&self, ident: &TableIdent) -> iceberg::Result<Table> {
        self.load_table_checked(ident).await.map_err(|e| match e {
            Error::Iceberg(e) => e,
            Error::TableNotFound { table } => iceberg::Error::new(
                ErrorKind::TableNotFound,
                format!("table '{table}' does not exist"),
            ),
            other => iceberg::Error::new(ErrorKind::DataInvalid, other.to_string()),
        })
    }

    async fn drop_table(&self, ident: &TableIdent) -> iceberg::Result<()> {
        let sql = self.sql(&format!(
            "DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?{}",
            self.table_filter()
        ));
        let done = sqlx::query(&sql)
            .bind(&self.name)
            .bind(ns_string(ident.namespace()))
            .bind(ident.name())
            .execute(&self.pool)
            .await
            .map_err(sql_err)?;
        if done.rows_affected() == 0 {
            return Err(iceberg::Error::new(
                ErrorKind::TableNotFound,
                format!("table '{ident}' does not exist"),
            ));
        }
        Ok(())
    }

    async fn purge_table(&self, ident: &TableIdent) -> iceberg::Result<()> {
        // Dropping the pointer only: deleting data belongs to the maintenance operations,
        // which know which files are shared with other tables.
        self.drop_table(ident).await
    }

    async fn table_exists(&self, ident: &TableIdent) -> iceberg::Result<bool> {
        match self.metadata_location(ident).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::TableNotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn rename_table(&self, src: &TableIdent, dest: &TableIdent) -> iceberg::Result<()> {
        if self.table_exists(dest).await? {
            return Err(iceberg::Error::new(
                ErrorKind::TableAlreadyExists,
                format!("table '{dest}' already exists"),
            ));
        }
        let done = sqlx::query(&self.sql(
            "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?",
        ))
        .bind(ns_string(dest.namespace()))
        .bind(dest.name())
        .bind(&self.name)
        .bind(ns_string(src.namespace()))
        .bind(src.name())
        .execute(&self.pool)
        .await
        .map_err(sql_err)?;
        if done.rows_affected() == 0 {
            return Err(iceberg::Error::new(
                ErrorKind::TableNotFound,
                format!("table '{src}' does not exist"),
            ));
        }
        Ok(())
    }

    async fn register_table(
        &self,
        ident: &TableIdent,
        metadata_location: String,
    ) -> iceberg::Result<Table> {
        if !self.initialized {
            return self.not_initialized();
        }
        if self.table_exists(ident).await? {
            return Err(iceberg::Error::new(
                ErrorKind::TableAlreadyExists,
                format!("table '{ident}' already exists"),
            ));
        }
        let metadata = crate::catalog::read_metadata(&self.file_io, &metadata_location).await?;
        self.insert_table_row(ident, &metadata_location).await?;
        Table::builder()
            .identifier(ident.clone())
            .metadata(metadata)
            .metadata_location(metadata_location)
            .file_io(self.file_io.clone())
            .runtime(self.runtime.clone())
            .build()
    }

    async fn update_table(&self, mut commit: TableCommit) -> iceberg::Result<Table> {
        let ident = commit.identifier().clone();
        let requirements = commit.take_requirements();
        let updates = commit.take_updates();
        self.commit_inner(&ident, requirements, updates).await
    }
}

impl SqlCatalog {
    /// Commits requirements and updates the way an Iceberg REST server would: loads the table's
    /// current metadata, checks every requirement against it, applies the updates, writes the
    /// new `metadata.json` and moves the catalog row with one compare-and-swap on
    /// `metadata_location`. A failed requirement or a lost swap is [`Error::CommitConflict`]
    /// (the new file is deleted); a database error during the swap is
    /// [`Error::CommitStateUnknown`] (the file is kept: the row may name it).
    pub async fn commit_changes(
        &self,
        ident: &TableIdent,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
    ) -> Result<Table> {
        let mut tries = 0;
        let result = loop {
            match self
                .commit_inner(ident, requirements.clone(), updates.clone())
                .await
            {
                // nothing was swapped: the same change is tried again (requirements re-checked)
                Err(e)
                    if e.retryable()
                        && e.kind() != ErrorKind::CatalogCommitConflicts
                        && tries < BUSY_RETRIES =>
                {
                    tries += 1;
                    tracing::info!(table = %ident, error = %e, try_ = tries, "catalog busy; trying the commit again");
                }
                other => break other,
            }
        };
        match result {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == ErrorKind::CatalogCommitConflicts => {
                Err(crate::commit::conflict_or(e, ident))
            }
            Err(e) if e.message().starts_with(UNKNOWN_STATE) => Err(Error::CommitStateUnknown {
                table: ident.to_string(),
                reason: one_line(&e),
            }),
            Err(e) => Err(crate::catalog::map_iceberg(e, Some(ident), None)),
        }
    }

    async fn commit_inner(
        &self,
        ident: &TableIdent,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
    ) -> iceberg::Result<Table> {
        let current = self.load_table(ident).await?;
        for requirement in &requirements {
            requirement.check(Some(current.metadata()))?;
        }
        if let Some((last, planned)) =
            crate::commit::stale_sequence_number(current.metadata(), &updates)
        {
            return Err(iceberg::Error::new(
                ErrorKind::CatalogCommitConflicts,
                format!("table '{ident}' reached sequence number {last} since this commit was planned with {planned}"),
            ));
        }
        let old_location = current.metadata_location_result()?.to_string();
        let mut builder = current
            .metadata()
            .clone()
            .into_builder(Some(old_location.clone()));
        for update in updates {
            builder = update.apply(builder)?;
        }
        let metadata = builder.build()?.metadata;
        let new_location = MetadataLocation::from_str(&old_location)?
            .with_next_version()
            .with_new_metadata(&metadata);
        metadata.write_to(&self.file_io, &new_location).await?;
        crate::commit::failpoint("commit.after-metadata-write");
        let new_location = new_location.to_string();
        let updated = Table::builder()
            .identifier(ident.clone())
            .metadata(Arc::new(metadata))
            .metadata_location(new_location.clone())
            .file_io(self.file_io.clone())
            .runtime(iceberg::Runtime::try_current()?)
            .build()?;
        match self.swap_pointer(ident, &old_location, &new_location).await {
            Ok(true) => Ok(updated),
            Ok(false) => {
                let _ = self.file_io.delete(&new_location).await;
                Err(iceberg::Error::new(
                    ErrorKind::CatalogCommitConflicts,
                    format!(
                        "table '{ident}' changed underneath: its metadata is no longer {old_location}"
                    ),
                )
                .with_retryable(true))
            }
            // locked past the busy timeout: the UPDATE did not run
            Err(e) if e.retryable() => {
                let _ = self.file_io.delete(&new_location).await;
                Err(e)
            }
            Err(e) => Err(iceberg::Error::new(
                e.kind(),
                format!(
                    "{UNKNOWN_STATE}: moving the catalog pointer to {new_location} failed: {}",
                    one_line(&e)
                ),
            )),
        }
    }
}

/// Prefix of the message of a swap that may or may not have happened.
const UNKNOWN_STATE: &str = "commit state unknown";

impl SqlCatalog {
    /// Compare-and-swap of the table's metadata pointer. `Ok(false)`: someone else moved it.
    pub async fn swap_pointer(
        &self,
        ident: &TableIdent,
        expected: &str,
        new: &str,
    ) -> iceberg::Result<bool> {
        let sql = self.sql(
            "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? \
             WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?",
        );
        let done = sqlx::query(&sql)
            .bind(new)
            .bind(expected)
            .bind(&self.name)
            .bind(ns_string(ident.namespace()))
            .bind(ident.name())
            .bind(expected)
            .execute(&self.pool)
            .await
            .map_err(sql_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds the catalog row of a new table (with `iceberg_type = 'TABLE'` in the JDBC V1 layout).
    async fn insert_table_row(
        &self,
        ident: &TableIdent,
        metadata_location: &str,
    ) -> iceberg::Result<()> {
        let insert = if self.has_type_column {
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')"
        } else {
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, NULL)"
        };
        sqlx::query(&self.sql(insert))
            .bind(&self.name)
            .bind(ns_string(ident.namespace()))
            .bind(ident.name())
            .bind(metadata_location)
            .execute(&self.pool)
            .await
            .map_err(sql_err)?;
        Ok(())
    }

    /// The FileIO this catalog reads and writes tables with.
    pub fn file_io(&self) -> &FileIO {
        &self.file_io
    }
}

/// Shared handle, for code that needs the concrete type.
pub type SqlCatalogRef = Arc<SqlCatalog>;

#[async_trait::async_trait]
impl crate::commit::Committer for SqlCatalog {
    async fn load_table(&self, ident: &TableIdent) -> Result<Table> {
        self.load_table_checked(ident).await
    }

    async fn commit(
        &self,
        ident: &TableIdent,
        change: crate::commit::TableChange,
    ) -> Result<Table> {
        self.commit_changes(ident, change.requirements, change.updates)
            .await
    }

    fn file_io(&self) -> FileIO {
        self.file_io.clone()
    }
}
