//! [`CustomResource`]: the `apiVersion`/`kind`/`metadata`/`spec` envelope of a custom resource, and
//! [`Objects`]: what every built template gives a [`Bundle`].

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bundle::Bundle;

/// A custom resource: `apiVersion`, `kind`, `metadata`, `spec`.
///
/// Built-in kinds need no envelope: k8s-openapi's types already serialise `apiVersion` and `kind`.
///
/// ```
/// use manifest_bundle::CustomResource;
///
/// let topic = CustomResource::new("kafka.strimzi.io/v1", "KafkaTopic", "orders", serde_json::json!({}))
///     .with_label("strimzi.io/cluster", "lake");
/// assert_eq!(topic.name(), "orders");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResource<S> {
    /// API group and version, e.g. `kafka.strimzi.io/v1`.
    pub api_version: String,
    /// Kind, e.g. `Kafka`.
    pub kind: String,
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The resource's spec.
    pub spec: S,
}

impl<S> CustomResource<S> {
    /// A resource named `name` (no labels or annotations yet).
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        name: impl Into<String>,
        spec: S,
    ) -> Self {
        Self::with_metadata(
            api_version,
            kind,
            ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            spec,
        )
    }

    /// A resource with this metadata.
    pub fn with_metadata(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        metadata: ObjectMeta,
        spec: S,
    ) -> Self {
        CustomResource {
            api_version: api_version.into(),
            kind: kind.into(),
            metadata,
            spec,
        }
    }

    /// Adds (or replaces) a label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Adds (or replaces) an annotation.
    #[must_use]
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

impl<S: Serialize> CustomResource<S> {
    /// The resource as JSON.
    pub fn to_value(&self) -> crate::Result<Value> {
        serde_json::to_value(self).map_err(|source| crate::Error::Json {
            context: format!("{} {}", self.kind, self.name()),
            source,
        })
    }
}

/// Something built from a template that gives Kubernetes objects: every built thing of
/// spark-templates, strimzi-templates and argo-templates implements it.
///
/// Implementors write [`Objects::push_into`]; [`Objects::objects`] follows from it.
///
/// ```
/// use manifest_bundle::{Bundle, CustomResource, Objects};
///
/// let topic = CustomResource::new("kafka.strimzi.io/v1", "KafkaTopic", "orders", serde_json::json!({}));
/// let mut base = Bundle::new("topics");
/// topic.push_into(&mut base)?;
/// assert_eq!(topic.objects()?[0]["kind"], "KafkaTopic");
/// # Ok::<(), manifest_bundle::Error>(())
/// ```
pub trait Objects {
    /// The implementing crate's error (which converts this crate's errors).
    type Error: From<crate::Error>;

    /// Adds every object (and generated ConfigMap) to `bundle`, in `kustomization.yaml` order.
    fn push_into(&self, bundle: &mut Bundle) -> Result<(), Self::Error>;

    /// Every object as JSON, generated ConfigMaps first (what `kubectl kustomize` emits).
    fn objects(&self) -> Result<Vec<Value>, Self::Error> {
        let mut bundle = Bundle::new("objects");
        self.push_into(&mut bundle)?;
        Ok(bundle.all_objects())
    }
}

impl<S: Serialize> Objects for CustomResource<S> {
    type Error = crate::Error;

    fn push_into(&self, bundle: &mut Bundle) -> crate::Result<()> {
        bundle.push(self)?;
        Ok(())
    }
}
