//! Validating objects against the `openAPIV3Schema` of an upstream CustomResourceDefinition.
//!
//! The schema is turned into a JSON Schema (draft 4, which OpenAPI v3.0 schemas follow):
//!
//! - `x-kubernetes-int-or-string: true` becomes `type: [integer, string]`;
//! - `nullable: true` adds `null` to the allowed types;
//! - an object schema with `properties` rejects unknown fields (what the API server does with
//!   `fieldValidation=Strict`, kubectl's default) unless it carries
//!   `x-kubernetes-preserve-unknown-fields: true` or `x-kubernetes-embedded-resource: true`;
//! - `format`, `default`, `description` and CEL rules (`x-kubernetes-validations`) are dropped: they are
//!   not checked here.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One place where an object breaks its CRD schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer of the offending value inside the object (`/spec/driver/cores`; empty for the root).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

pub(crate) fn format_violations(violations: &[SchemaViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The schema of one CRD: its group, kind and one compiled validator per served version.
pub struct CrdSchema {
    path: PathBuf,
    group: String,
    kind: String,
    versions: BTreeMap<String, jsonschema::Validator>,
}

impl fmt::Debug for CrdSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrdSchema")
            .field("path", &self.path)
            .field("group", &self.group)
            .field("kind", &self.kind)
            .field("versions", &self.versions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CrdSchema {
    /// Loads a CRD from a YAML file holding one `CustomResourceDefinition`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_yaml(&text, path)
    }

    /// Parses a CRD from YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &Path) -> Result<Self> {
        let crd: Value = serde_norway::from_str(text).map_err(|source| Error::Yaml {
            context: origin.display().to_string(),
            source,
        })?;
        Self::from_value(&crd, origin)
    }

    /// Builds the validators from a parsed CRD.
    pub fn from_value(crd: &Value, origin: &Path) -> Result<Self> {
        let not_crd = |reason: &str| Error::NotACrd {
            path: origin.to_path_buf(),
            reason: reason.to_owned(),
        };
        if crd.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            return Err(not_crd("its kind is not CustomResourceDefinition"));
        }
        let spec = crd.get("spec").ok_or_else(|| not_crd("no spec"))?;
        let group = spec
            .get("group")
            .and_then(Value::as_str)
            .ok_or_else(|| not_crd("no spec.group"))?;
        let kind = spec
            .pointer("/names/kind")
            .and_then(Value::as_str)
            .ok_or_else(|| not_crd("no spec.names.kind"))?;
        let versions = spec
            .get("versions")
            .and_then(Value::as_array)
            .ok_or_else(|| not_crd("no spec.versions"))?;
        let mut compiled = BTreeMap::new();
        for v in versions {
            if v.get("served").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let name = v
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| not_crd("a version without a name"))?;
            let schema = v
                .pointer("/schema/openAPIV3Schema")
                .ok_or_else(|| not_crd(&format!("version {name} has no openAPIV3Schema")))?;
            let mut json_schema = to_json_schema(schema);
            // The API server always accepts apiVersion, kind and metadata at the root, even when
            // a CRD's schema does not list them (Apicurio's does not).
            if let Some(Value::Object(props)) = json_schema.get_mut("properties") {
                for key in ["apiVersion", "kind"] {
                    props
                        .entry(key)
                        .or_insert_with(|| serde_json::json!({"type": "string"}));
                }
                props
                    .entry("metadata")
                    .or_insert_with(|| serde_json::json!({"type": "object"}));
            }
            let validator = jsonschema::draft4::options()
                .build(&json_schema)
                .map_err(|e| Error::SchemaCompile {
                    path: origin.to_path_buf(),
                    version: name.to_owned(),
                    message: e.to_string(),
                })?;
            compiled.insert(name.to_owned(), validator);
        }
        if compiled.is_empty() {
            return Err(not_crd("no served version"));
        }
        Ok(CrdSchema {
            path: origin.to_path_buf(),
            group: group.to_owned(),
            kind: kind.to_owned(),
            versions: compiled,
        })
    }

    /// The CRD's API group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The kind the CRD defines.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The served versions.
    pub fn versions(&self) -> impl Iterator<Item = &str> {
        self.versions.keys().map(String::as_str)
    }

    /// Every violation of `object` against the CRD: `apiVersion` must be `<group>/<served version>`,
    /// `kind` the CRD's kind, `metadata.name` set, and the object must match that version's schema.
    pub fn violations(&self, object: &Value) -> Vec<SchemaViolation> {
        let mut out = Vec::new();
        let kind = object.get("kind").and_then(Value::as_str);
        if kind != Some(self.kind.as_str()) {
            out.push(SchemaViolation {
                path: "/kind".into(),
                message: format!("expected kind {}, found {kind:?}", self.kind),
            });
        }
        if object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
            && object.pointer("/metadata/generateName").is_none()
        {
            out.push(SchemaViolation {
                path: "/metadata/name".into(),
                message: "metadata.name is required".into(),
            });
        }
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let validator = api_version
            .and_then(|a| a.split_once('/'))
            .filter(|(g, _)| *g == self.group)
            .and_then(|(_, v)| self.versions.get(v));
        match validator {
            None => out.push(SchemaViolation {
                path: "/apiVersion".into(),
                message: format!(
                    "expected one of {}, found {api_version:?}",
                    self.versions
                        .keys()
                        .map(|v| format!("{}/{v}", self.group))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            Some(validator) => {
                for e in validator.iter_errors(object) {
                    let mut message = e.to_string();
                    if message.len() > 400 {
                        let mut cut = 400;
                        while !message.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        message.truncate(cut);
                        message.push('…');
                    }
                    out.push(SchemaViolation {
                        path: e.instance_path().to_string(),
                        message,
                    });
                }
            }
        }
        out
    }

    /// Like [`CrdSchema::violations`], but an error listing them when there are any.
    pub fn validate(&self, object: &Value) -> Result<()> {
        let violations = self.violations(object);
        if violations.is_empty() {
            return Ok(());
        }
        Err(Error::Invalid {
            kind: object
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("object")
                .to_owned(),
            name: object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("<unnamed>")
                .to_owned(),
            violations,
        })
    }
}

/// A folder of upstream CRD files, loaded lazily and cached (the Argo CRDs are ~2.8 MB each).
#[derive(Debug)]
pub struct CrdDir {
    root: PathBuf,
    cache: Mutex<HashMap<PathBuf, Arc<CrdSchema>>>,
}

impl CrdDir {
    /// A CRD folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        CrdDir {
            root: root.into(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The CRD folder named by the environment variable `var` (for example `DATA_TIER_CRDS`);
    /// [`Error::EnvVarUnset`] when it is unset or empty.
    pub fn from_env(var: &str) -> Result<Self> {
        match std::env::var_os(var) {
            Some(v) if !v.is_empty() => Ok(Self::new(PathBuf::from(v))),
            _ => Err(Error::EnvVarUnset {
                var: var.to_owned(),
                purpose: "it must name the folder of upstream CRDs (for example ../shared/crds)"
                    .into(),
            }),
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The CRD at `relative_path` under the folder, loaded on first use.
    pub fn schema(&self, relative_path: &str) -> Result<Arc<CrdSchema>> {
        let key = PathBuf::from(relative_path);
        if let Some(s) = self.lock().get(&key) {
            return Ok(Arc::clone(s));
        }
        let schema = Arc::new(CrdSchema::from_file(&self.root.join(&key))?);
        self.lock().insert(key, Arc::clone(&schema));
        Ok(schema)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<CrdSchema>>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Turns a Kubernetes structural schema (OpenAPI v3.0 with `x-kubernetes-*` extensions) into a
/// draft-4 JSON Schema; see the [module documentation](self).
pub fn to_json_schema(schema: &Value) -> Value {
    convert(schema, false)
}

/// `in_junctor`: the node sits under `allOf`/`anyOf`/`oneOf`/`not`, where Kubernetes structural
/// schemas only carry value validations, so unknown fields must not be rejected there (the
/// enclosing node's `properties` already decide which fields exist).
fn convert(schema: &Value, in_junctor: bool) -> Value {
    let Value::Object(node) = schema else {
        return schema.clone();
    };
    let flag = |k: &str| node.get(k).and_then(Value::as_bool) == Some(true);
    let int_or_string = flag("x-kubernetes-int-or-string");
    let open =
        flag("x-kubernetes-preserve-unknown-fields") || flag("x-kubernetes-embedded-resource");
    let nullable = flag("nullable");
    let mut out = Map::new();
    for (k, v) in node {
        match k.as_str() {
            "properties" | "patternProperties" | "definitions" => {
                if let Value::Object(props) = v {
                    out.insert(
                        k.clone(),
                        Value::Object(
                            props
                                .iter()
                                .map(|(name, s)| (name.clone(), convert(s, in_junctor)))
                                .collect(),
                        ),
                    );
                }
            }
            "items" | "additionalProperties" | "not" => {
                let junctor = in_junctor || k == "not";
                let converted = match v {
                    Value::Array(a) => {
                        Value::Array(a.iter().map(|x| convert(x, junctor)).collect())
                    }
                    other => convert(other, junctor),
                };
                out.insert(k.clone(), converted);
            }
            "allOf" | "anyOf" | "oneOf" => {
                if int_or_string && k == "anyOf" {
                    continue;
                }
                if let Value::Array(a) = v {
                    out.insert(
                        k.clone(),
                        Value::Array(a.iter().map(|x| convert(x, true)).collect()),
                    );
                }
            }
            "type" if int_or_string => {}
            "format" | "default" | "description" | "example" | "nullable" | "externalDocs" => {}
            k if k.starts_with("x-kubernetes-") => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if int_or_string {
        out.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
    if nullable {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), serde_json::json!([t, "null"]));
            }
            Some(Value::Array(types)) => types.push(Value::String("null".into())),
            _ => {}
        }
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            values.push(Value::Null);
        }
    }
    if out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !open
        && !in_junctor
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd(schema: Value) -> CrdSchema {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget", "plural": "widgets"},
                "scope": "Namespaced",
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "schema": {"openAPIV3Schema": schema}},
                    {"name": "v0", "served": false, "storage": false,
                     "schema": {"openAPIV3Schema": {"type": "object"}}}
                ]
            }
        });
        CrdSchema::from_value(&crd, Path::new("widget.yaml")).unwrap()
    }

    fn widget_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": {"x-kubernetes-int-or-string": true,
                                 "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "count": {"type": "integer", "format": "int32", "minimum": 1},
                        "note": {"type": "string", "nullable": true},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                 "properties": {"a": {"type": "string"}}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                }
            }
        })
    }

    fn widget(spec: Value) -> Value {
        json!({"apiVersion": "example.com/v1", "kind": "Widget",
               "metadata": {"name": "w"}, "spec": spec})
    }

    #[test]
    fn accepts_int_or_string_null_and_preserved_fields() {
        let s = crd(widget_schema());
        for spec in [
            json!({"size": 3}),
            json!({"size": "3Gi", "note": null, "free": {"a": "x", "anything": [1, 2]}}),
            json!({"size": 1, "labels": {"k": "v"}, "count": 2}),
        ] {
            assert_eq!(s.violations(&widget(spec.clone())), vec![], "{spec}");
        }
    }

    #[test]
    fn reports_every_error_with_its_path() {
        let s = crd(widget_schema());
        let v = s.violations(&widget(json!({"count": 0, "size": true, "unknown": 1})));
        let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
        assert!(paths.contains(&"/spec/count"), "{v:?}");
        assert!(paths.contains(&"/spec/size"), "{v:?}");
        assert!(
            v.iter()
                .any(|v| v.path == "/spec" && v.message.contains("unknown")),
            "{v:?}"
        );
        let missing = s.violations(&widget(json!({})));
        assert!(
            missing
                .iter()
                .any(|v| v.path == "/spec" && v.message.contains("size")),
            "{missing:?}"
        );
    }

    #[test]
    fn checks_api_version_kind_and_name() {
        let s = crd(widget_schema());
        let mut obj = widget(json!({"size": 1}));
        obj["apiVersion"] = json!("example.com/v0");
        obj["kind"] = json!("Gadget");
        obj["metadata"] = json!({});
        let v = s.violations(&obj);
        let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/kind", "/metadata/name", "/apiVersion"], "{v:?}");
        let err = s.validate(&obj).unwrap_err().to_string();
        assert!(err.contains("example.com/v1"), "{err}");
    }

    #[test]
    fn rejects_non_crds() {
        let err =
            CrdSchema::from_value(&json!({"kind": "ConfigMap"}), Path::new("x.yaml")).unwrap_err();
        assert!(matches!(err, Error::NotACrd { .. }), "{err}");
    }

    #[test]
    fn one_of_branches_do_not_reject_sibling_fields() {
        // Strimzi's trustedCertificates: `secretName` plus exactly one of certificate/pattern.
        let schema = crd(json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "secretName": {"type": "string"},
                        "certificate": {"type": "string"},
                        "pattern": {"type": "string"}
                    },
                    "oneOf": [
                        {"properties": {"certificate": {}}, "required": ["certificate"]},
                        {"properties": {"pattern": {}}, "required": ["pattern"]}
                    ]
                }
            }
        }));
        let wrap = |spec: Value| {
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "w"}, "spec": spec})
        };
        let ok = wrap(json!({"secretName": "ca", "pattern": "*.crt"}));
        assert!(
            schema.violations(&ok).is_empty(),
            "{:?}",
            schema.violations(&ok)
        );
        let both = wrap(json!({"secretName": "ca", "pattern": "*.crt", "certificate": "ca.crt"}));
        assert!(!schema.violations(&both).is_empty());
        let unknown = wrap(json!({"secretName": "ca", "pattern": "*.crt", "typo": 1}));
        assert!(!schema.violations(&unknown).is_empty());
    }
}
