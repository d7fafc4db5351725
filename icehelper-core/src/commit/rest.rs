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
use iceberg::{TableIdent, TableRequirement, TableUpdate};
use serde::Deserialize;

use crate::catalog::one_line;
use crate::config::{redact_uri, CatalogConfig};
use crate::error::{Error, Result};

/// A client for the REST commit endpoint, configured like the catalog.
#[derive(Debug, Clone)]
pub struct RestCommitter {
    catalog: String,
    uri: String,
    props: HashMap<String, String>,
    http: reqwest::Client,
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
    /// A committer for the REST catalog described by `config`.
    pub fn new(config: &CatalogConfig) -> Result<Self> {
        let uri = config
            .get("uri")
            .ok_or_else(|| Error::option("uri", "a REST catalog needs a uri"))?
            .trim_end_matches('/')
            .to_string();
        Ok(RestCommitter {
            catalog: config.name.clone(),
            uri,
            props: config.properties.clone().into_iter().collect(),
            http: crate::catalog::rest_http_client(config)?,
        })
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

    /// Posts one commit. HTTP 409 is [`Error::CommitConflict`]; 500, 502, 503 and 504 (and a
    /// lost connection after sending) are [`Error::CommitStateUnknown`].
    pub async fn commit(
        &self,
        ident: &TableIdent,
        requirements: Vec<TableRequirement>,
        updates: Vec<TableUpdate>,
        file_io: FileIO,
    ) -> Result<Table> {
        let token = self.token().await?;
        let prefix = self.prefix(token.as_deref()).await?;
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
                .file_io(file_io)
                .runtime(iceberg::Runtime::try_current()?)
                .build()
                .map_err(Error::from);
        }
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| format!("{} ({})", b.error.message, b.error.kind))
            .unwrap_or_else(|_| format!("HTTP {status}"));
        let table = ident.to_string();
        Err(match status {
            409 => Error::CommitConflict {
                table,
                reason: message,
            },
            404 => Error::TableNotFound { table },
            401 | 403 => self.unavailable(format!(
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
        })
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
