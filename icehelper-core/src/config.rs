//! Catalog configuration, read the way PyIceberg reads it.
//!
//! A catalog is a NAME plus string properties (`type`, `uri`, `warehouse`, `s3.endpoint`, ...).
//! Sources, later wins:
//! 1. `.pyiceberg.yaml` in `$PYICEBERG_HOME`, else in the home folder (`catalog: {NAME: {...}}`);
//! 2. environment variables `PYICEBERG_CATALOG__<NAME>__<KEY>` (in KEY, `__` stands for `.`
//!    and `_` for `-`: `PYICEBERG_CATALOG__LAKE__S3__ACCESS_KEY_ID` sets `s3.access-key-id`);
//! 3. explicit overrides (the CLI's `--uri`, `--warehouse`, `-P KEY=VALUE`).
//!
//! The catalog name defaults to `default-catalog` from the YAML file or
//! `PYICEBERG_DEFAULT_CATALOG`, else `default`. When the `default` catalog is configured
//! nowhere, the embedded default applies: a SQLite catalog at `./lakehouse/catalog.db` with the
//! warehouse `./lakehouse/warehouse`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The embedded default's catalog file, relative to the working folder.
pub const EMBEDDED_CATALOG_DB: &str = "lakehouse/catalog.db";
/// The embedded default's warehouse, relative to the working folder.
pub const EMBEDDED_WAREHOUSE: &str = "lakehouse/warehouse";

/// Whether a property holds a secret (and so must never be printed or logged): by key
/// pattern, so keys we have never heard of are covered too: any key that names a secret,
/// password, token or credential, or ends in `key` (`adls.account-key`, `s3.sse.key`).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "passwd", "token", "credential"]
        .iter()
        .any(|w| k.contains(w))
        || k.ends_with("key")
}

/// Properties for printing: secret values as `***`, URIs without their passwords.
pub fn redact_properties<'a>(
    props: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<String, String> {
    props
        .into_iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) {
                "***".to_string()
            } else if v.contains("://") {
                redact_uri(v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// Where a catalog's configuration came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigOrigin {
    /// Nothing was configured: the embedded SQLite lakehouse.
    EmbeddedDefault,
    /// At least one property came from the YAML file, the environment or an override.
    Configured,
}

/// A resolved catalog configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct CatalogConfig {
    /// The catalog name. SQL catalogs key their rows by it.
    pub name: String,
    /// All properties, after merging the sources.
    pub properties: BTreeMap<String, String>,
    /// Whether this is the embedded default.
    pub origin: ConfigOrigin,
}

impl std::fmt::Debug for CatalogConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogConfig")
            .field("name", &self.name)
            .field("properties", &self.redacted_properties())
            .field("origin", &self.origin)
            .finish()
    }
}

/// The inputs configuration is read from; [`ConfigSources::from_process`] reads the real ones.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// Contents of `.pyiceberg.yaml`, with the path it came from, if one was found.
    pub yaml: Option<(PathBuf, String)>,
    /// Environment variables (only `PYICEBERG_*` ones matter).
    pub env: Vec<(String, String)>,
    /// The folder relative paths are resolved against (the working folder).
    pub cwd: PathBuf,
}

impl ConfigSources {
    /// Reads `.pyiceberg.yaml` (from `$PYICEBERG_HOME`, then `$HOME`), the process environment
    /// and the working folder.
    pub fn from_process() -> Result<Self> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let mut candidates = Vec::new();
        if let Some(home) = std::env::var_os("PYICEBERG_HOME") {
            candidates.push(PathBuf::from(home).join(".pyiceberg.yaml"));
        }
        if let Some(home) = std::env::var_os("HOME") {
            candidates.push(PathBuf::from(home).join(".pyiceberg.yaml"));
        }
        let mut yaml = None;
        for path in candidates {
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Error::option(path.display().to_string(), format!("cannot read: {e}"))
                })?;
                yaml = Some((path, text));
                break;
            }
        }
        let cwd =
            std::env::current_dir().map_err(|e| Error::option("working folder", e.to_string()))?;
        Ok(ConfigSources { yaml, env, cwd })
    }
}

impl CatalogConfig {
    /// Resolves catalog `name` (or the default name) from the process's sources plus `overrides`.
    pub fn resolve(name: Option<&str>, overrides: &BTreeMap<String, String>) -> Result<Self> {
        Self::resolve_from(&ConfigSources::from_process()?, name, overrides)
    }

    /// Resolves from explicit sources; see the module docs for the order.
    pub fn resolve_from(
        sources: &ConfigSources,
        name: Option<&str>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let yaml = match &sources.yaml {
            Some((path, text)) => Some(parse_yaml(path, text)?),
            None => None,
        };
        let env_default = sources
            .env
            .iter()
            .find(|(k, _)| k == "PYICEBERG_DEFAULT_CATALOG")
            .map(|(_, v)| v.clone());
        let name = name
            .map(str::to_string)
            .or(env_default)
            .or_else(|| yaml.as_ref().and_then(|y| y.default_catalog.clone()))
            .unwrap_or_else(|| "default".to_string());
        if name.trim().is_empty() {
            return Err(Error::option("catalog", "the catalog name is empty"));
        }

        let mut properties = BTreeMap::new();
        if let Some(y) = &yaml {
            // PyIceberg matches catalog names case-insensitively through env vars; YAML keys as written
            if let Some(props) = y
                .catalogs
                .get(&name)
                .or_else(|| y.catalogs.get(&name.to_ascii_lowercase()))
            {
                properties.extend(props.clone());
            }
        }
        let prefix = format!("PYICEBERG_CATALOG__{}__", name.to_ascii_uppercase());
        for (k, v) in &sources.env {
            if let Some(rest) = k.to_ascii_uppercase().strip_prefix(&prefix) {
                if rest.is_empty() {
                    continue;
                }
                let key = rest
                    .to_ascii_lowercase()
                    .replace("__", ".")
                    .replace('_', "-");
                properties.insert(key, v.clone());
            }
        }
        properties.extend(overrides.clone());

        let origin = if properties.is_empty() {
            if name != "default" {
                let mut looked = vec![format!("environment {prefix}*")];
                if let Some((path, _)) = &sources.yaml {
                    looked.insert(0, path.display().to_string());
                }
                return Err(Error::CatalogNotConfigured {
                    name: name.to_string(),
                    looked_in: looked,
                });
            }
            properties.insert("type".into(), "sql".into());
            properties.insert("uri".into(), format!("sqlite:///{EMBEDDED_CATALOG_DB}"));
            properties.insert("warehouse".into(), EMBEDDED_WAREHOUSE.into());
            ConfigOrigin::EmbeddedDefault
        } else {
            ConfigOrigin::Configured
        };

        let mut config = CatalogConfig {
            name,
            properties,
            origin,
        };
        config.normalize(&sources.cwd)?;
        Ok(config)
    }

    /// The embedded default catalog rooted at `root` (its `catalog.db` and `warehouse/`).
    pub fn embedded_at(root: &Path) -> Self {
        let mut properties = BTreeMap::new();
        properties.insert("type".into(), "sql".into());
        properties.insert(
            "uri".into(),
            format!("sqlite:///{}", root.join("catalog.db").display()),
        );
        properties.insert(
            "warehouse".into(),
            format!("file://{}", root.join("warehouse").display()),
        );
        CatalogConfig {
            name: "default".into(),
            properties,
            origin: ConfigOrigin::EmbeddedDefault,
        }
    }

    /// A property's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The catalog kind: `sql` or `rest`, from `type` or inferred from `uri` as PyIceberg does.
    pub fn kind(&self) -> Result<CatalogKind> {
        if let Some(t) = self.get("type") {
            return match t.to_ascii_lowercase().as_str() {
                "sql" | "jdbc" => Ok(CatalogKind::Sql),
                "rest" => Ok(CatalogKind::Rest),
                other => Err(Error::option(
                    "type",
                    format!("unsupported catalog type '{other}' (supported: sql, rest)"),
                )),
            };
        }
        let uri = self.get("uri").ok_or_else(|| {
            Error::option(
                "uri",
                format!("catalog '{}' has no uri and no type", self.name),
            )
        })?;
        let lower = uri.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(CatalogKind::Rest)
        } else if lower.starts_with("sqlite")
            || lower.starts_with("postgres")
            || lower.starts_with("jdbc:")
        {
            Ok(CatalogKind::Sql)
        } else {
            Err(Error::option(
                "uri",
                format!(
                    "cannot tell the catalog type from '{}'; set type",
                    redact_uri(uri)
                ),
            ))
        }
    }

    /// Properties with secrets replaced by `***`, for printing.
    pub fn redacted_properties(&self) -> BTreeMap<String, String> {
        redact_properties(&self.properties)
    }

    /// Resolves relative warehouse paths and SQLite files against `cwd`, validates booleans.
    fn normalize(&mut self, cwd: &Path) -> Result<()> {
        if let Some(w) = self.properties.get("warehouse").cloned() {
            if !w.contains("://") && !w.starts_with("file:") {
                let p = Path::new(&w);
                let abs = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    cwd.join(p)
                };
                self.properties.insert(
                    "warehouse".into(),
                    format!("file://{}", clean_path(&abs).display()),
                );
            }
        }
        if let Some(uri) = self.properties.get("uri").cloned() {
            if let Some(rel) = sqlite_relative_path(&uri) {
                self.properties.insert(
                    "uri".into(),
                    format!("sqlite:///{}", clean_path(&cwd.join(rel)).display()),
                );
            }
        }
        for key in ["s3.path-style-access", "s3.remote-signing-enabled"] {
            if let Some(v) = self.properties.get(key) {
                if crate::storage::parse_bool(v).is_none() {
                    return Err(Error::option(
                        key,
                        format!("expected true or false, got '{v}'"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Which catalog implementation serves a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogKind {
    /// SQL catalog (SQLite or PostgreSQL), PyIceberg `SqlCatalog` / Java `JdbcCatalog` layout.
    Sql,
    /// Iceberg REST catalog.
    Rest,
}

/// A SQLAlchemy-style `sqlite:///relative/path` gives a path relative to the working folder.
fn sqlite_relative_path(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("sqlite:///")?;
    if rest.starts_with('/') || rest.is_empty() || rest == ":memory:" {
        None
    } else {
        Some(rest)
    }
}

fn clean_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Removes secrets from a URI: the password of its user info (`postgresql://user:pw@host/db` →
/// `postgresql://user:***@host/db`, also when the password holds an `@`) and every query
/// parameter whose name is a secret ([`is_secret_key`], any case: `?PASSWORD=`, `?sslpassword=`).
pub fn redact_uri(uri: &str) -> String {
    let Ok(mut url) = url::Url::parse(uri) else {
        // not a URI: the user info, if any, ends at the last '@' before the path
        if let Some((scheme, rest)) = uri.split_once("://") {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            if let Some(at) = rest[..authority_end].rfind('@') {
                let user = rest[..at].split(':').next().unwrap_or_default();
                return format!("{scheme}://{user}:***@{}", &rest[at + 1..]);
            }
        }
        return uri.to_string();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string().replace("%2A%2A%2A", "***")
}

struct YamlConfig {
    default_catalog: Option<String>,
    catalogs: BTreeMap<String, BTreeMap<String, String>>,
}

fn parse_yaml(path: &Path, text: &str) -> Result<YamlConfig> {
    let bad = |reason: String| Error::option(path.display().to_string(), reason);
    let value: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| bad(format!("not valid YAML: {e}")))?;
    let mut out = YamlConfig {
        default_catalog: None,
        catalogs: BTreeMap::new(),
    };
    let serde_norway::Value::Mapping(top) = value else {
        if value.is_null() {
            return Ok(out);
        }
        return Err(bad("expected a mapping at the top".into()));
    };
    for (k, v) in top {
        match k.as_str() {
            Some("default-catalog") => out.default_catalog = scalar(&v),
            Some("catalog") => {
                let serde_norway::Value::Mapping(cats) = v else {
                    return Err(bad("'catalog' must map catalog names to properties".into()));
                };
                for (name, props) in cats {
                    let name =
                        scalar(&name).ok_or_else(|| bad("catalog name must be a string".into()))?;
                    let mut flat = BTreeMap::new();
                    flatten(&props, "", &mut flat)
                        .map_err(|e| bad(format!("catalog '{name}': {e}")))?;
                    out.catalogs.insert(name, flat);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn scalar(v: &serde_norway::Value) -> Option<String> {
    match v {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Bool(b) => Some(b.to_string()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// PyIceberg allows nested mappings (`s3: {endpoint: ...}`) that mean dotted keys.
fn flatten(
    v: &serde_norway::Value,
    prefix: &str,
    out: &mut BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    match v {
        serde_norway::Value::Mapping(m) => {
            for (k, v) in m {
                let k = scalar(k).ok_or("property names must be strings")?;
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out)?;
            }
            Ok(())
        }
        serde_norway::Value::Null => Ok(()),
        other => {
            let s = scalar(other).ok_or_else(|| format!("property '{prefix}' must be a scalar"))?;
            out.insert(prefix.to_string(), s);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(yaml: Option<&str>, env: &[(&str, &str)]) -> ConfigSources {
        ConfigSources {
            yaml: yaml.map(|y| (PathBuf::from("/home/u/.pyiceberg.yaml"), y.to_string())),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: PathBuf::from("/work/proj"),
        }
    }

    #[test]
    fn embedded_default_when_nothing_is_configured() {
        let c = CatalogConfig::resolve_from(&sources(None, &[]), None, &BTreeMap::new()).unwrap();
        assert_eq!(c.name, "default");
        assert_eq!(c.origin, ConfigOrigin::EmbeddedDefault);
        assert_eq!(
            c.get("uri"),
            Some("sqlite:////work/proj/lakehouse/catalog.db")
        );
        assert_eq!(
            c.get("warehouse"),
            Some("file:///work/proj/lakehouse/warehouse")
        );
        assert_eq!(c.kind().unwrap(), CatalogKind::Sql);
    }

    #[test]
    fn later_sources_win() {
        let yaml = "catalog:\n  lake:\n    uri: sqlite:///a.db\n    warehouse: s3://b/wh\n    s3:\n      endpoint: http://127.0.0.1:9000\n";
        let env = [
            ("PYICEBERG_CATALOG__LAKE__S3__ACCESS_KEY_ID", "AK"),
            ("PYICEBERG_CATALOG__LAKE__URI", "sqlite:///b.db"),
            ("PYICEBERG_CATALOG__OTHER__URI", "http://x"),
        ];
        let mut over = BTreeMap::new();
        over.insert("s3.region".to_string(), "eu-west-1".to_string());
        let c =
            CatalogConfig::resolve_from(&sources(Some(yaml), &env), Some("lake"), &over).unwrap();
        assert_eq!(c.get("uri"), Some("sqlite:////work/proj/b.db"));
        assert_eq!(c.get("warehouse"), Some("s3://b/wh"));
        assert_eq!(c.get("s3.endpoint"), Some("http://127.0.0.1:9000"));
        assert_eq!(c.get("s3.access-key-id"), Some("AK"));
        assert_eq!(c.get("s3.region"), Some("eu-west-1"));
        assert_eq!(c.origin, ConfigOrigin::Configured);
    }

    #[test]
    fn default_catalog_name_from_yaml_and_env() {
        let yaml = "default-catalog: lake\ncatalog:\n  lake:\n    uri: http://rest:8181\n";
        let c =
            CatalogConfig::resolve_from(&sources(Some(yaml), &[]), None, &BTreeMap::new()).unwrap();
        assert_eq!(c.name, "lake");
        assert_eq!(c.kind().unwrap(), CatalogKind::Rest);
        let env = [
            ("PYICEBERG_DEFAULT_CATALOG", "other"),
            ("PYICEBERG_CATALOG__OTHER__URI", "postgresql://u:pw@h/db"),
        ];
        let c = CatalogConfig::resolve_from(&sources(Some(yaml), &env), None, &BTreeMap::new())
            .unwrap();
        assert_eq!(c.name, "other");
        assert!(!format!("{c:?}").contains("pw"));
    }

    #[test]
    fn unconfigured_named_catalog_and_bad_values_are_errors() {
        let e = CatalogConfig::resolve_from(&sources(None, &[]), Some("prod"), &BTreeMap::new())
            .unwrap_err();
        assert!(
            e.to_string().contains("catalog 'prod' is not configured"),
            "{e}"
        );
        let mut over = BTreeMap::new();
        over.insert("uri".to_string(), "sqlite:///x.db".to_string());
        over.insert("s3.path-style-access".to_string(), "maybe".to_string());
        let e = CatalogConfig::resolve_from(&sources(None, &[]), None, &over).unwrap_err();
        assert!(e.to_string().contains("s3.path-style-access"), "{e}");
        let e =
            CatalogConfig::resolve_from(&sources(Some("catalog: [1"), &[]), None, &BTreeMap::new())
                .unwrap_err();
        assert!(e.to_string().contains("not valid YAML"), "{e}");
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_uri("postgresql://u:secret@h:5432/db"),
            "postgresql://u:***@h:5432/db"
        );
        assert!(is_secret_key("s3.secret-access-key"));
        assert!(is_secret_key("credential"));
        assert!(!is_secret_key("s3.endpoint"));
        // issue 20: a password with '@' leaked after the first '@'; upper-case query keys and
        // sslpassword were kept
        let r = redact_uri("postgresql://u:p@ssW0RD@host/db");
        assert!(!r.contains("ssW0RD") && r.contains("u:***@host/db"), "{r}");
        let r = redact_uri(
            "postgresql://host/db?user=u&PASSWORD=hunter2&sslpassword=x2&sslmode=require",
        );
        assert!(!r.contains("hunter2") && !r.contains("x2"), "{r}");
        assert!(r.contains("sslmode=require"), "{r}");
        for k in [
            "adls.account-key",
            "s3.sse.key",
            "rest.auth.oauth2.token",
            "my.api-token",
            "jdbc.PASSWORD",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        assert!(!is_secret_key("s3.access-key-id"));
        assert!(!is_secret_key("write.format.default"));
    }
}
