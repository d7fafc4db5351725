//! A Kustomize overlay over released bases, computed from the objects a pipeline wants.
//!
//! The pipeline builds the objects it wants with the template crates' builders and hands them to
//! [`Overlay::want`]. An object that a used base already has (same kind and name) becomes a JSON
//! patch (RFC 6902) holding only the difference; a new object becomes a resource of the overlay; a
//! job-code ConfigMap that differs is merged with `configMapGenerator` `behavior: merge`. So the
//! overlay is small, the bases stay exactly as released, and `kubectl kustomize` of the overlay
//! gives what the builders built ([`Overlay::expected_objects`]; the tests check it).

use std::collections::BTreeMap;
use std::path::{Component as PathComponent, Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use manifest_bundle::{Bundle, ConfigMapFiles};
use serde_json::{json, Map, Value};

use crate::released::Component;

/// A base the overlay builds on.
#[derive(Debug, Clone)]
struct UsedBase {
    component: Component,
    bundle: Bundle,
}

/// A JSON patch of one base object.
#[derive(Debug, Clone)]
struct Patch {
    target: Value,
    file: String,
    ops: Vec<Value>,
    wanted: Value,
}

/// A Kustomize overlay: released bases, patches, added objects, merged job code, deletions.
#[derive(Debug, Clone)]
pub struct Overlay {
    name: String,
    readme: String,
    bases: Vec<UsedBase>,
    patches: Vec<Patch>,
    added: Vec<(String, Value)>,
    merged_config_maps: Vec<ConfigMapFiles>,
    added_config_maps: Vec<ConfigMapFiles>,
    deleted: Vec<Value>,
}

fn kind_of(v: &Value) -> &str {
    v["kind"].as_str().unwrap_or_default()
}

fn name_of(v: &Value) -> &str {
    v["metadata"]["name"].as_str().unwrap_or_default()
}

/// `kind-name` in lower case: the file name stem the bundles use.
fn stem(v: &Value) -> String {
    format!("{}-{}", kind_of(v).to_lowercase(), name_of(v))
}

fn target(v: &Value) -> Value {
    let api = v["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let mut t = json!({ "version": version, "kind": kind_of(v), "name": name_of(v) });
    if !group.is_empty() {
        t["group"] = group.into();
    }
    t
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The RFC 6902 operations turning `from` into `to`: objects key by key, arrays of equal length
/// element by element, anything else replaced whole.
pub fn json_patch(from: &Value, to: &Value) -> Vec<Value> {
    let mut ops = Vec::new();
    diff(from, to, "", &mut ops);
    ops
}

fn diff(from: &Value, to: &Value, path: &str, ops: &mut Vec<Value>) {
    if from == to {
        return;
    }
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}/{}", pointer_escape(k));
                match b.get(k) {
                    Some(vb) => diff(va, vb, &p, ops),
                    None => ops.push(json!({ "op": "remove", "path": p })),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    let p = format!("{path}/{}", pointer_escape(k));
                    ops.push(json!({ "op": "add", "path": p, "value": vb }));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff(va, vb, &format!("{path}/{i}"), ops);
            }
        }
        _ => ops.push(json!({ "op": "replace", "path": path, "value": to })),
    }
}

/// `to` relative to `from` (both made absolute first).
pub fn relative_path(from: &Path, to: &Path) -> Result<PathBuf> {
    let norm = |p: &Path| -> Result<Vec<String>> {
        let abs = std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))?;
        let mut parts: Vec<String> = Vec::new();
        for c in abs.components() {
            match c {
                PathComponent::ParentDir => {
                    parts.pop();
                }
                PathComponent::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                _ => {}
            }
        }
        Ok(parts)
    };
    let (a, b) = (norm(from)?, norm(to)?);
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for part in &b[common..] {
        rel.push(part);
    }
    Ok(rel)
}

impl Overlay {
    /// An empty overlay named `name` (its folder under `overlays/`), with a README.
    pub fn new(name: &str, readme: &str) -> Self {
        Self {
            name: name.to_owned(),
            readme: readme.to_owned(),
            bases: Vec::new(),
            patches: Vec::new(),
            added: Vec::new(),
            merged_config_maps: Vec::new(),
            added_config_maps: Vec::new(),
            deleted: Vec::new(),
        }
    }

    /// The overlay's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Builds on base `base` of `component`'s release.
    pub fn base(&mut self, component: Component, base: &str) -> Result<&mut Self> {
        let bundle = component.bundle(base)?;
        self.bases.push(UsedBase { component, bundle });
        Ok(self)
    }

    fn base_object(&self, kind: &str, name: &str) -> Option<&Value> {
        self.bases
            .iter()
            .flat_map(|b| b.bundle.objects())
            .map(|m| m.value())
            .find(|v| kind_of(v) == kind && name_of(v) == name)
    }

    fn base_config_map(&self, name: &str) -> Option<&ConfigMapFiles> {
        self.bases
            .iter()
            .flat_map(|b| b.bundle.config_maps())
            .find(|cm| cm.name() == name)
    }

    /// Wants `object` (anything serialising to a Kubernetes object) in the result: a patch of the
    /// base object of the same kind and name, nothing when equal, or a new resource.
    pub fn want<T: serde::Serialize + ?Sized>(&mut self, object: &T) -> Result<&mut Self> {
        let wanted = serde_json::to_value(object).context("serialising a wanted object")?;
        let (kind, name) = (kind_of(&wanted).to_owned(), name_of(&wanted).to_owned());
        if kind.is_empty() || name.is_empty() {
            bail!("a wanted object needs kind and metadata.name: {wanted}");
        }
        let seen = self
            .patches
            .iter()
            .map(|p| &p.wanted)
            .chain(self.added.iter().map(|(_, v)| v))
            .any(|v| kind_of(v) == kind && name_of(v) == name);
        if seen {
            bail!("{kind} {name} is wanted twice");
        }
        match self.base_object(&kind, &name) {
            Some(base) => {
                if base["apiVersion"] != wanted["apiVersion"] {
                    bail!("{kind} {name}: apiVersion differs from the base's");
                }
                let ops = json_patch(base, &wanted);
                if !ops.is_empty() {
                    self.patches.push(Patch {
                        target: target(&wanted),
                        file: format!("patches/{}.yaml", stem(&wanted)),
                        ops,
                        wanted,
                    });
                }
            }
            None => self.added.push((format!("{}.yaml", stem(&wanted)), wanted)),
        }
        Ok(self)
    }

    /// Wants a generated ConfigMap (job code): merged into the base's when it has one of that
    /// name, generated by the overlay otherwise.
    pub fn want_config_map(&mut self, cm: &ConfigMapFiles) -> Result<&mut Self> {
        match self.base_config_map(cm.name()) {
            Some(base) => {
                if base.files().keys().any(|k| !cm.files().contains_key(k)) {
                    bail!("ConfigMap {}: a merge cannot remove files", cm.name());
                }
                let mut changed = ConfigMapFiles::new(cm.name());
                for (k, v) in cm.files() {
                    if base.files().get(k) != Some(v) {
                        changed = changed.file(k, v);
                    }
                }
                if !changed.files().is_empty() {
                    self.merged_config_maps.push(changed);
                }
            }
            None => self.added_config_maps.push(cm.clone()),
        }
        Ok(self)
    }

    /// Wants every object and ConfigMap of `bundle` (as a template crate's builder made it).
    pub fn want_bundle(&mut self, bundle: &Bundle) -> Result<&mut Self> {
        for m in bundle.objects() {
            self.want(m.value())?;
        }
        for cm in bundle.config_maps() {
            self.want_config_map(cm)?;
        }
        Ok(self)
    }

    /// Removes a base object from the result.
    pub fn delete(&mut self, kind: &str, name: &str) -> Result<&mut Self> {
        let base = self
            .base_object(kind, name)
            .ok_or_else(|| anyhow!("no base object {kind} {name} to delete"))?;
        self.deleted.push(json!({
            "$patch": "delete",
            "apiVersion": base["apiVersion"],
            "kind": kind,
            "metadata": { "name": name },
        }));
        Ok(self)
    }

    /// What `kubectl kustomize` of the written overlay must output: every object of the used
    /// bases (ConfigMaps included) with the wanted changes applied, and the added objects.
    pub fn expected_objects(&self) -> Vec<Value> {
        let deleted = |v: &Value| {
            self.deleted
                .iter()
                .any(|d| kind_of(d) == kind_of(v) && name_of(d) == name_of(v))
        };
        let mut out = Vec::new();
        for b in &self.bases {
            for m in b.bundle.objects() {
                let v = m.value();
                if deleted(v) {
                    continue;
                }
                let patched = self
                    .patches
                    .iter()
                    .find(|p| kind_of(&p.wanted) == kind_of(v) && name_of(&p.wanted) == name_of(v));
                out.push(patched.map_or_else(|| v.clone(), |p| p.wanted.clone()));
            }
            for cm in b.bundle.config_maps() {
                let mut obj = cm.to_object();
                for merged in self
                    .merged_config_maps
                    .iter()
                    .filter(|m| m.name() == cm.name())
                {
                    for (k, text) in merged.files() {
                        obj["data"][k] = text.clone().into();
                    }
                }
                out.push(obj);
            }
        }
        out.extend(self.added.iter().map(|(_, v)| v.clone()));
        out.extend(self.added_config_maps.iter().map(ConfigMapFiles::to_object));
        out
    }

    /// The files of the overlay folder, path → text, with the bases at `bases_rel` (relative to
    /// the overlay folder).
    pub fn files(&self, bases_rel: &Path) -> Result<BTreeMap<PathBuf, String>> {
        let mut files = BTreeMap::new();
        let yaml = |v: &Value| manifest_bundle::to_sorted_yaml(v).map_err(anyhow::Error::from);
        let mut resources: Vec<Value> = Vec::new();
        for b in &self.bases {
            let path = bases_rel
                .join(b.component.release_dir())
                .join("bases")
                .join(b.bundle.name());
            resources.push(path.to_string_lossy().replace('\\', "/").into());
        }
        for (file, v) in &self.added {
            resources.push(file.as_str().into());
            files.insert(PathBuf::from(file), yaml(v)?);
        }
        let mut k = Map::new();
        k.insert(
            "apiVersion".into(),
            "kustomize.config.k8s.io/v1beta1".into(),
        );
        k.insert("kind".into(), "Kustomization".into());
        k.insert("resources".into(), resources.into());
        let mut patches = Vec::new();
        for p in &self.patches {
            patches.push(json!({ "path": p.file, "target": p.target }));
            files.insert(PathBuf::from(&p.file), yaml(&Value::from(p.ops.clone()))?);
        }
        for d in &self.deleted {
            let file = format!("patches/delete-{}.yaml", stem(d));
            patches.push(json!({ "path": file }));
            files.insert(PathBuf::from(file), yaml(d)?);
        }
        if !patches.is_empty() {
            k.insert("patches".into(), patches.into());
        }
        let mut generators = Vec::new();
        for (cms, behavior) in [
            (&self.merged_config_maps, "merge"),
            (&self.added_config_maps, "create"),
        ] {
            for cm in cms {
                let mut list = Vec::new();
                for (key, text) in cm.files() {
                    let file = format!("configmaps/{}/{key}", cm.name());
                    list.push(Value::from(format!("{key}={file}")));
                    files.insert(PathBuf::from(file), text.clone());
                }
                generators.push(json!({ "name": cm.name(), "behavior": behavior, "files": list }));
            }
        }
        if !generators.is_empty() {
            k.insert("configMapGenerator".into(), generators.into());
            k.insert(
                "generatorOptions".into(),
                json!({ "disableNameSuffixHash": true }),
            );
        }
        let header = format!(
            "# Generated by `cargo run -p examples --example {}`; see README.md.\n",
            self.name
        );
        files.insert(
            PathBuf::from("kustomization.yaml"),
            header + &yaml(&Value::Object(k))?,
        );
        files.insert(PathBuf::from("README.md"), self.readme.clone());
        Ok(files)
    }

    /// Writes the overlay into `overlay_dir` (emptied first), referring to the bases unpacked in
    /// `bases_dir` by a relative path. Returns the written paths, relative to `overlay_dir`.
    pub fn write(&self, overlay_dir: &Path, bases_dir: &Path) -> Result<Vec<PathBuf>> {
        if overlay_dir.exists() {
            std::fs::remove_dir_all(overlay_dir)
                .with_context(|| format!("emptying {}", overlay_dir.display()))?;
        }
        std::fs::create_dir_all(overlay_dir)
            .with_context(|| format!("creating {}", overlay_dir.display()))?;
        let rel = relative_path(overlay_dir, bases_dir)?;
        let files = self.files(&rel)?;
        for (path, text) in &files {
            let full = overlay_dir.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&full, text).with_context(|| format!("writing {}", full.display()))?;
        }
        Ok(files.into_keys().collect())
    }
}
