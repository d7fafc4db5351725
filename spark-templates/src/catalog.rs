//! Iceberg catalogs and S3-compatible storage, as `sparkConf` keys and Secret-backed environment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};
use manifest_bundle::env::plain as plain_env;

use crate::error::{Error, Result};
use crate::versions;

/// Prefix of the `sparkConf` keys that the job runtime (`datatier_spark.py`) resolves from environment
/// variables at start: `spark.datatier.confFromEnv.<conf key> = <ENV_VAR>` sets `<conf key>` to the
/// variable's value. This keeps secrets in Secrets while Spark reads them as configuration.
pub const CONF_FROM_ENV_PREFIX: &str = "spark.datatier.confFromEnv.";

/// A key of a Kubernetes Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRef {
    /// The Secret's name.
    pub name: String,
    /// The key inside it.
    pub key: String,
}

impl SecretKeyRef {
    /// The key `key` of Secret `name`.
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        SecretKeyRef {
            name: name.into(),
            key: key.into(),
        }
    }

    /// An environment variable taking its value from this key (`valueFrom.secretKeyRef`).
    pub fn env(&self, var: &str) -> EnvVar {
        EnvVar {
            name: var.to_owned(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: self.name.clone(),
                    key: self.key.clone(),
                    optional: Some(false),
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }
    }
}

/// The kind of Iceberg catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CatalogKind {
    /// Iceberg REST catalog (Polaris, Nessie's `/iceberg` endpoint, Lakekeeper, Gravitino, ...).
    Rest {
        /// Catalog URI (`http://polaris.lake:8181/api/catalog`).
        uri: String,
        /// OAuth2 client credential `client_id:client_secret`, from a Secret.
        credential: Option<SecretKeyRef>,
        /// OAuth2 scope (`PRINCIPAL_ROLE:ALL` for Polaris).
        scope: Option<String>,
        /// OAuth2 token endpoint, when not the catalog's own.
        oauth2_server_uri: Option<String>,
    },
    /// Iceberg JDBC catalog (PostgreSQL, MySQL, SQLite; SQLite files are opened in WAL mode, see
    /// `tests/README` of this crate for why).
    Jdbc {
        /// JDBC URL (`jdbc:postgresql://pg.lake:5432/iceberg`).
        uri: String,
        /// Database user, from a Secret.
        user: SecretKeyRef,
        /// Database password, from a Secret.
        password: SecretKeyRef,
    },
    /// Hive Metastore.
    Hive {
        /// Thrift URI (`thrift://hive-metastore.lake:9083`).
        uri: String,
    },
}

/// An Iceberg catalog registered in Spark as `spark.sql.catalog.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcebergCatalog {
    name: String,
    kind: CatalogKind,
    warehouse: Option<String>,
    properties: BTreeMap<String, String>,
}

impl IcebergCatalog {
    /// A REST catalog.
    pub fn rest(name: impl Into<String>, uri: impl Into<String>) -> Self {
        Self::with_kind(
            name,
            CatalogKind::Rest {
                uri: uri.into(),
                credential: None,
                scope: None,
                oauth2_server_uri: None,
            },
        )
    }

    /// A JDBC catalog; user and password come from Secrets.
    pub fn jdbc(
        name: impl Into<String>,
        uri: impl Into<String>,
        user: SecretKeyRef,
        password: SecretKeyRef,
    ) -> Self {
        Self::with_kind(
            name,
            CatalogKind::Jdbc {
                uri: uri.into(),
                user,
                password,
            },
        )
    }

    /// A Hive Metastore catalog.
    pub fn hive(name: impl Into<String>, uri: impl Into<String>) -> Self {
        Self::with_kind(name, CatalogKind::Hive { uri: uri.into() })
    }

    /// A catalog of any kind.
    pub fn with_kind(name: impl Into<String>, kind: CatalogKind) -> Self {
        IcebergCatalog {
            name: name.into(),
            kind,
            warehouse: None,
            properties: BTreeMap::new(),
        }
    }

    /// The warehouse (`s3://lake/warehouse` for JDBC/Hive; the warehouse name for REST catalogs).
    #[must_use]
    pub fn warehouse(mut self, warehouse: impl Into<String>) -> Self {
        self.warehouse = Some(warehouse.into());
        self
    }

    /// The OAuth2 credential of a REST catalog (ignored by other kinds).
    #[must_use]
    pub fn credential(mut self, secret: SecretKeyRef) -> Self {
        if let CatalogKind::Rest { credential, .. } = &mut self.kind {
            *credential = Some(secret);
        }
        self
    }

    /// The OAuth2 scope of a REST catalog (ignored by other kinds).
    #[must_use]
    pub fn scope(mut self, value: impl Into<String>) -> Self {
        if let CatalogKind::Rest { scope, .. } = &mut self.kind {
            *scope = Some(value.into());
        }
        self
    }

    /// The OAuth2 token endpoint of a REST catalog (ignored by other kinds).
    #[must_use]
    pub fn oauth2_server_uri(mut self, value: impl Into<String>) -> Self {
        if let CatalogKind::Rest {
            oauth2_server_uri, ..
        } = &mut self.kind
        {
            *oauth2_server_uri = Some(value.into());
        }
        self
    }

    /// Any other catalog property (`spark.sql.catalog.<name>.<key>`); never a secret.
    #[must_use]
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The catalog's name in Spark.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The catalog's kind.
    pub fn kind(&self) -> &CatalogKind {
        &self.kind
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !is_identifier(&self.name) {
            return Err(Error::InvalidValue {
                field: "catalog name".into(),
                value: self.name.clone(),
                reason: "use letters, digits and underscores, starting with a letter".into(),
            });
        }
        let uri = match &self.kind {
            CatalogKind::Rest { uri, .. } | CatalogKind::Hive { uri } => uri,
            CatalogKind::Jdbc { uri, .. } => {
                if !uri.starts_with("jdbc:") {
                    return Err(Error::InvalidValue {
                        field: "catalog uri".into(),
                        value: uri.clone(),
                        reason: "a JDBC catalog URI starts with jdbc:".into(),
                    });
                }
                uri
            }
        };
        if uri.is_empty() {
            return Err(Error::InvalidValue {
                field: "catalog uri".into(),
                value: uri.clone(),
                reason: "empty".into(),
            });
        }
        if let Some(k) = self.properties.keys().find(|k| is_secret_like(k.as_str())) {
            return Err(Error::InvalidValue {
                field: format!("catalog property {k}"),
                value: "<hidden>".into(),
                reason: "credentials must come from a Secret, not a plain property".into(),
            });
        }
        Ok(())
    }

    /// The `sparkConf` entries, the driver environment and the extra packages of this catalog.
    pub(crate) fn contribute(&self, out: &mut Contribution) {
        let p = format!("spark.sql.catalog.{}", self.name);
        out.conf(&p, "org.apache.iceberg.spark.SparkCatalog");
        match &self.kind {
            CatalogKind::Rest {
                uri,
                credential,
                scope,
                oauth2_server_uri,
            } => {
                out.conf(&format!("{p}.type"), "rest");
                out.conf(&format!("{p}.uri"), uri);
                if let Some(c) = credential {
                    out.secret_conf(&format!("{p}.credential"), "ICEBERG_CATALOG_CREDENTIAL", c);
                }
                if let Some(s) = scope {
                    out.conf(&format!("{p}.scope"), s);
                }
                if let Some(s) = oauth2_server_uri {
                    out.conf(&format!("{p}.oauth2-server-uri"), s);
                }
            }
            CatalogKind::Jdbc {
                uri,
                user,
                password,
            } => {
                out.conf(&format!("{p}.type"), "jdbc");
                out.conf(&format!("{p}.uri"), uri);
                out.secret_conf(&format!("{p}.jdbc.user"), "ICEBERG_CATALOG_JDBC_USER", user);
                out.secret_conf(
                    &format!("{p}.jdbc.password"),
                    "ICEBERG_CATALOG_JDBC_PASSWORD",
                    password,
                );
                if uri.starts_with("jdbc:postgresql:") {
                    out.packages.push(versions::postgresql_jdbc());
                }
                if uri.starts_with("jdbc:sqlite:") {
                    // Every JdbcCatalog instance keeps a read lock (Iceberg 1.10 leaves metadata
                    // result sets open); in rollback-journal mode the second instance Spark's
                    // session clones create (rewrite_data_files) makes commits fail with
                    // SQLITE_BUSY. In WAL mode readers do not block the writer.
                    out.conf(&format!("{p}.jdbc.journal_mode"), "WAL");
                }
            }
            CatalogKind::Hive { uri } => {
                out.conf(&format!("{p}.type"), "hive");
                out.conf(&format!("{p}.uri"), uri);
            }
        }
        if let Some(w) = &self.warehouse {
            out.conf(&format!("{p}.warehouse"), w);
        }
        for (k, v) in &self.properties {
            out.conf(&format!("{p}.{k}"), v);
        }
        out.conf("spark.sql.defaultCatalog", &self.name);
    }
}

/// S3-compatible object storage (MinIO, Ceph RGW, Garage) used by the catalog's `S3FileIO` and by
/// Hadoop's `s3a://` (checkpoints). Credentials come from a Secret as `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` on driver and executors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Storage {
    endpoint: String,
    region: String,
    path_style: bool,
    access_key_id: SecretKeyRef,
    secret_access_key: SecretKeyRef,
}

impl S3Storage {
    /// Storage at `endpoint` (`http://minio.minio:9000`), path-style access, region `us-east-1`.
    pub fn new(
        endpoint: impl Into<String>,
        access_key_id: SecretKeyRef,
        secret_access_key: SecretKeyRef,
    ) -> Self {
        S3Storage {
            endpoint: endpoint.into(),
            region: "us-east-1".into(),
            path_style: true,
            access_key_id,
            secret_access_key,
        }
    }

    /// The region (signing only, for most S3-compatible stores).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Path-style (`http://host/bucket/key`, the default) or virtual-hosted access.
    #[must_use]
    pub fn path_style(mut self, yes: bool) -> Self {
        self.path_style = yes;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.endpoint.starts_with("http://") || self.endpoint.starts_with("https://")) {
            return Err(Error::InvalidValue {
                field: "s3 endpoint".into(),
                value: self.endpoint.clone(),
                reason: "an http:// or https:// URL".into(),
            });
        }
        Ok(())
    }

    pub(crate) fn contribute(&self, catalog: Option<&str>, out: &mut Contribution) {
        let path_style = self.path_style.to_string();
        if let Some(c) = catalog {
            let p = format!("spark.sql.catalog.{c}");
            out.conf(
                &format!("{p}.io-impl"),
                "org.apache.iceberg.aws.s3.S3FileIO",
            );
            out.conf(&format!("{p}.s3.endpoint"), &self.endpoint);
            out.conf(&format!("{p}.s3.path-style-access"), &path_style);
            out.conf(&format!("{p}.client.region"), &self.region);
        }
        out.conf("spark.hadoop.fs.s3a.endpoint", &self.endpoint);
        out.conf("spark.hadoop.fs.s3a.path.style.access", &path_style);
        out.conf("spark.hadoop.fs.s3a.endpoint.region", &self.region);
        out.conf(
            "spark.hadoop.fs.s3a.aws.credentials.provider",
            "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
        );
        out.conf(
            "spark.hadoop.fs.s3a.connection.ssl.enabled",
            &self.endpoint.starts_with("https://").to_string(),
        );
        for env in [
            self.access_key_id.env("AWS_ACCESS_KEY_ID"),
            self.secret_access_key.env("AWS_SECRET_ACCESS_KEY"),
            plain_env("AWS_REGION", &self.region),
        ] {
            out.driver_env.push(env.clone());
            out.executor_env.push(env);
        }
    }
}

/// What a catalog or storage adds to a SparkApplication.
#[derive(Debug, Default)]
pub(crate) struct Contribution {
    pub(crate) spark_conf: BTreeMap<String, String>,
    pub(crate) driver_env: Vec<EnvVar>,
    pub(crate) executor_env: Vec<EnvVar>,
    pub(crate) packages: Vec<String>,
}

impl Contribution {
    fn conf(&mut self, key: &str, value: &str) {
        self.spark_conf.insert(key.to_owned(), value.to_owned());
    }

    fn secret_conf(&mut self, key: &str, var: &str, secret: &SecretKeyRef) {
        self.conf(&format!("{CONF_FROM_ENV_PREFIX}{key}"), var);
        self.driver_env.push(secret.env(var));
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn is_secret_like(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "credential", "token"]
        .iter()
        .any(|w| k.contains(w))
}
