//! Committing to an Iceberg REST catalog: `POST /v1/{prefix}/namespaces/{ns}/tables/{table}`
//! with the requirements and updates; the server checks, applies and writes the metadata.
//!
//! iceberg-catalog-rest can only commit a `TableCommit`, whose builder is private to the
//! iceberg crate, so icehelper speaks this one endpoint itself, with the same configuration
//! (`uri`, `prefix` or the server's `/v1/config`, `warehouse`, `token`, `credential` with
//! `oauth2-server-uri` and `scope`, `header.*`).

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::io::FileIO;
use iceberg::spec::TableMetadata;
use iceberg::table::Table;
use iceberg::{Catalog, TableIdent, TableRequirement, TableUpdate};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::catalog::{map_iceberg, one_line};
use crate::commit::{stale_sequence_number, Committer, TableChange};
use crate::config::{redact_uri, CatalogConfig};
use crate::error::{Error, Result};

/// The REST catalog's [`Committer`]: tables load through iceberg-catalog-rest, commits go to the
/// commit endpoint. Made once per opened catalog: one HTTP client, and the OAuth2 token and the
/// `/v1/config` prefix fetched on the first commit and kept (a token the server refuses with
/// HTTP 401 is fetched again once).
#[derive(Clone)]
pub struct RestCommitter {
    catalog: String,
    uri: String,
    props: HashMap<String, String>,
    http: reqwest::Client,
    tables: Arc<dyn Catalog>,
    file_io: FileIO,
    session: Arc<Mutex<Option<Session>>>,
}

/// Never prints its properties or token (they hold credentials).
impl std::fmt::Debug for RestCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestCommitter")
            .field("catalog", &self.catalog)
            .field("uri", &redact_uri(&self.uri))
            .finish_non_exhaustive()
    }
}

/// What a commit needs from the server before it can be sent, fetched once.
#[derive(Clone)]
struct Session {
    token: Option<String>,
    prefix: Option<String>,
}

#[derive(Deserialize)]
struct ConfigResponse {
    #[serde(default)]
    defaults: HashMap<String, String>,
    #[serde(default)]
    overrides: HashMap<String, String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

#[derive(Deserialize)]
struct CommitResponse {
    #[serde(rename = "metadata-location")]
    metadata_location: String,
    metadata: TableMetadata,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorModel,
}

#[derive(Deserialize)]
struct ErrorModel {
    message: String,
    #[serde(rename = "type", default)]
    kind: String,
}

impl RestCommitter {
    /// A committer for the REST catalog described by `config`, loading tables through `tables`
    /// and reaching their files through `file_io`.
    pub(crate) fn new(
        config: &CatalogConfig,
        http: reqwest::Client,
        tables: Arc<dyn Catalog>,
        file_io: FileIO,
    ) -> Result<Self> {
        let uri = config
            .get("uri")
            .ok_or_else(|| Error::option("uri", "a REST catalog needs a uri"))?
            .trim_end_matches('/')
            .to_string();
        Ok(RestCommitter {
            catalog: config.name.clone(),
            uri,
            props: config.properties.clone().into_iter().collect(),
            http,
            tables,
            file_io,
            session: Arc::new(Mutex::new(None)),
        })
    }

    /// The token and prefix, fetched on first use (or again, after the server refused the token).
    async fn session(&self, renew: bool) -> Result<Session> {
        let mut cached = self.session.lock().await;
        if let (Some(s), false) = (cached.as_ref(), renew) {
            return Ok(s.clone());
        }
        let token = self.token().await?;
        let prefix = self.prefix(token.as_deref()).await?;
        let session = Session { token, prefix };
        *cached = Some(session.clone());
        Ok(session)
    }

    fn unavailable(&self, reason: String) -> Error {
        Error::CatalogUnavailable {
            catalog: self.catalog.clone(),
            uri: redact_uri(&self.uri),
            reason,
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, url);
        for (k, v) in &self.props {
            if let Some(name) = k.strip_prefix("header.") {
                req = req.header(name, v);
            }
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    async fn token(&self) -> Result<Option<String>> {
        if let Some(t) = self.props.get("token") {
            return Ok(Some(t.clone()));
        }
        let Some(credential) = self.props.get("credential") else {
            return Ok(None);
        };
        let (id, secret) = match credential.split_once(':') {
            Some((id, secret)) => (Some(id), secret),
            None => (None, credential.as_str()),
        };
        let endpoint = self
            .props
            .get("oauth2-server-uri")
            .cloned()
            .unwrap_or_else(|| format!("{}/v1/oauth/tokens", self.uri));
        let mut form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_secret", secret.to_string()),
            (
                "scope",
                self.props
                    .get("scope")
                    .cloned()
                    .unwrap_or_else(|| "catalog".into()),
            ),
        ];
        if let Some(id) = id {
            form.push(("client_id", id.to_string()));
        }
        for key in ["audience", "resource"] {
            if let Some(v) = self.props.get(key) {
                form.push((key, v.clone()));
            }
        }
        let resp = self
            .request(reqwest::Method::POST, &endpoint, None)
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                self.unavailable(format!("OAuth2 token request failed: {}", one_line(&e)))
            })?;
        if !resp.status().is_success() {
            return Err(self.unavailable(format!(
                "OAuth2 token endpoint answered HTTP {} (check the credential)",
                resp.status().as_u16()
            )));
        }
        let token: TokenResponse = resp.json().await.map_err(|e| {
            self.unavailable(format!("malformed OAuth2 token response: {}", one_line(&e)))
        })?;
        Ok(Some(token.access_token))
    }

    async fn prefix(&self, token: Option<&str>) -> Result<Option<String>> {
        let mut url = format!("{}/v1/config", self.uri);
        if let Some(w) = self.props.get("warehouse") {
            url = format!("{url}?warehouse={}", urlencode(w));
        }
        let resp = self
            .request(reqwest::Method::GET, &url, token)
            .send()
            .await
            .map_err(|e| self.unavailable(one_line(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(
                self.unavailable(format!("GET /v1/config answered HTTP {}", status.as_u16()))
            );
        }
        let config: ConfigResponse = resp.json().await.map_err(|e| {
            self.unavailable(format!("malformed /v1/config response: {}", one_line(&e)))
        })?;
        Ok(config
            .overrides
            .get("prefix")
            .or_else(|| self.props.get("prefix"))
            .or_else(|| config.defaults.get("prefix"))
            .cloned())
    }

    /// Posts one commit, fetching the token again once when the server refuses it (HTTP 401)
    /// and the token came from a credential exchange.
    async fn post(
        &self,
        ident: &TableIdent,
        requirements: &[TableRequirement],
        updates: &[TableUpdate],
    ) -> Result<Table> {
        let session = self.session(false).await?;
        match self.post_once(ident, requirements, updates, &session).await {
            Posted::Unauthorized(_) if self.props.contains_key("credential") => {
                let renewed = self.session(true).await?;
                match self.post_once(ident, requirements, updates, &renewed).await {
                    Posted::Done(r) => r,
                    Posted::Unauthorized(e) => Err(e),
                }
            }
            Posted::Unauthorized(e) => Err(e),
            Posted::Done(r) => r,
        }
    }

    /// Posts one commit. HTTP 409 is [`Error::CommitConflict`]; 500, 502, 503 and 504 (and a
    /// lost connection after sending) are [`Error::CommitStateUnknown`].
    async fn post_once(
        &self,
        ident: &TableIdent,
        requirements: &[TableRequirement],
        updates: &[TableUpdate],
        session: &Session,
    ) -> Posted {
        match self.post_inner(ident, requirements, updates, session).await {
            Err(PostError::Unauthorized(e)) => Posted::Unauthorized(e),
            Err(PostError::Other(e)) => Posted::Done(Err(e)),
            Ok(t) => Posted::Done(Ok(t)),
        }
    }

    async fn post_inner(
        &self,
        ident: &TableIdent,
        requirements: &[TableRequirement],
        updates: &[TableUpdate],
        session: &Session,
    ) -> std::result::Result<Table, PostError> {
        let token = session.token.clone();
        let prefix = session.prefix.clone();
        let ns = ident.namespace().as_ref().join("\u{1f}");
        let mut url = format!("{}/v1", self.uri);
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            url = format!("{url}/{}", p.trim_matches('/'));
        }
        let url = format!(
            "{url}/namespaces/{}/tables/{}",
            urlencode(&ns),
            urlencode(ident.name())
        );
        let body = serde_json::json!({
            "identifier": { "namespace": ident.namespace().as_ref(), "name": ident.name() },
            "requirements": requirements,
            "updates": updates,
        });
        let resp = self
            .request(reqwest::Method::POST, &url, token.as_deref())
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::CommitStateUnknown {
                table: ident.to_string(),
                reason: one_line(&e),
            })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let parsed: CommitResponse =
                serde_json::from_str(&text).map_err(|e| Error::CommitStateUnknown {
                    table: ident.to_string(),
                    reason: format!("malformed commit response: {e}"),
                })?;
            return Table::builder()
                .identifier(ident.clone())
                .metadata(Arc::new(parsed.metadata))
                .metadata_location(parsed.metadata_location)
                .file_io(self.file_io.clone())
                .runtime(iceberg::Runtime::try_current()?)
                .build()
                .map_err(PostError::from);
        }
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| format!("{} ({})", b.error.message, b.error.kind))
            .unwrap_or_else(|_| format!("HTTP {status}"));
        let table = ident.to_string();
        Err(PostError::Other(match status {
            409 => Error::CommitConflict {
                table,
                reason: message,
            },
            404 => Error::TableNotFound { table },
            401 => {
                return Err(PostError::Unauthorized(self.unavailable(format!(
                    "HTTP {status}: not authorised to commit ({message})"
                ))))
            }
            403 => self.unavailable(format!(
                "HTTP {status}: not authorised to commit ({message})"
            )),
            500 | 502 | 503 | 504 => Error::CommitStateUnknown {
                table,
                reason: message,
            },
            _ => Error::option(
                "commit",
                format!("the REST catalog refused the commit: {message}"),
            ),
        }))
    }
}

/// A commit's outcome, telling apart a refused token (worth fetching a new one for).
enum Posted {
    Done(Result<Table>),
    Unauthorized(Error),
}

enum PostError {
    Unauthorized(Error),
    Other(Error),
}

impl From<Error> for PostError {
    fn from(e: Error) -> Self {
        PostError::Other(e)
    }
}

impl From<iceberg::Error> for PostError {
    fn from(e: iceberg::Error) -> Self {
        PostError::Other(Error::from(e))
    }
}

#[async_trait::async_trait]
impl Committer for RestCommitter {
    async fn load_table(&self, ident: &TableIdent) -> Result<Table> {
        self.tables
            .load_table(ident)
            .await
            .map_err(|e| map_iceberg(e, Some(ident), None))
    }

    async fn commit(&self, ident: &TableIdent, change: TableChange) -> Result<Table> {
        // the REST spec has no requirement for it: look first (a commit landing between this
        // look and the POST is still refused by the server, as a failed requirement)
        let current = self.load_table(ident).await?;
        if let Some((last, planned)) = stale_sequence_number(current.metadata(), &change.updates) {
            return Err(Error::CommitConflict {
                table: ident.to_string(),
                reason: format!(
                    "the table reached sequence number {last} since this commit was planned with {planned}"
                ),
            });
        }
        self.post(ident, &change.requirements, &change.updates)
            .await
    }

    fn file_io(&self) -> FileIO {
        self.file_io.clone()
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use iceberg::CatalogBuilder;

    #[tokio::test]
    async fn debug_output_holds_no_credential() {
        let mut props = std::collections::BTreeMap::new();
        props.insert(
            "uri".to_string(),
            "http://u:pw-in-uri@127.0.0.1:1".to_string(),
        );
        props.insert("credential".to_string(), "id:s3cr3t".to_string());
        props.insert("token".to_string(), "t0ken".to_string());
        let config = CatalogConfig {
            name: "lake".into(),
            properties: props,
            origin: crate::config::ConfigOrigin::Configured,
        };
        // any catalog serves: only the committer's own Debug output is looked at
        let warehouse = HashMap::from([(
            iceberg::memory::MEMORY_CATALOG_WAREHOUSE.to_string(),
            "file:///tmp".to_string(),
        )]);
        let memory = iceberg::memory::MemoryCatalogBuilder::default()
            .load("m", warehouse)
            .await
            .unwrap();
        let committer = RestCommitter::new(
            &config,
            reqwest::Client::new(),
            Arc::new(memory),
            crate::catalog::file_io_for(&config),
        )
        .unwrap();
        let shown = format!("{committer:?}");
        for secret in ["s3cr3t", "t0ken", "pw-in-uri"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
