//! Kustomize bases from typed Kubernetes objects.
//!
//! - [`Bundle`]: an ordered list of objects (anything `Serialize` with `apiVersion`, `kind`,
//!   `metadata.name`), ConfigMaps generated from files ([`ConfigMapFiles`]) and a README. It renders a
//!   base folder: one YAML file per object (keys sorted, so output is stable), `kustomization.yaml`
//!   listing them plus a `configMapGenerator` for the files, and `README.md`.
//! - [`Bundle::check_dir`]: the staleness check (render, compare with a committed folder, report every
//!   differing file).
//! - [`Release`]: every base of a template crate, written, checked and packed together, and
//!   [`render_bases`], the `main` of each crate's `render-bases` command ([`release!`] makes a
//!   crate's `Release` from its Cargo name, version and `bases/` folder).
//! - [`CustomResource`]: the envelope of a custom resource; [`Objects`]: what every built template
//!   gives a bundle.
//! - [`names`]: RFC 1123 object names; [`jinja`]: the minijinja set-up of the templates; [`env`](mod@env):
//!   container environment variables.
//! - [`write_tarball`]: a reproducible `<crate>-<version>-kustomize.tar.gz` with its `.sha256`.
//! - [`Kustomize`]: builds a folder with the real `kustomize` (or kubectl's) and parses the output.
//! - [`CrdDir`] / [`CrdSchema`]: validate objects against an upstream CRD's `openAPIV3Schema`, with the
//!   Kubernetes extensions turned into JSON Schema, returning every error with its JSON path.
//!
//! ```no_run
//! use manifest_bundle::{Bundle, ConfigMapFiles, CrdDir};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), manifest_bundle::Error> {
//! let mut bundle = Bundle::new("hello").with_readme("# hello\n");
//! bundle.push(&json!({
//!     "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "hello"}
//! }))?;
//! bundle.push_config_map(ConfigMapFiles::new("hello-code").file("job.py", "print('hi')\n"))?;
//! bundle.write_clean("bases/hello".as_ref())?;
//! assert!(bundle.check_dir("bases/hello".as_ref())?.is_empty());
//!
//! let crds = CrdDir::from_env("DATA_TIER_CRDS")?;
//! let schema = crds.schema("spark-operator/sparkapplication.yaml")?;
//! for violation in schema.violations(&json!({"apiVersion": "sparkoperator.k8s.io/v1beta2"})) {
//!     println!("{violation}");
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod bundle;
pub mod crd;
pub mod env;
mod error;
pub mod jinja;
mod kustomize;
pub mod names;
mod release;
mod resource;
mod tarball;
mod yaml;

pub use bundle::{Bundle, ConfigMapFiles, Manifest, StaleFile, StaleKind};
pub use crd::{CrdDir, CrdSchema, SchemaViolation};
pub use error::{Error, Result};
pub use kustomize::Kustomize;
pub use release::{render_bases, render_bases_with, Release};
pub use resource::{CustomResource, Objects};
pub use tarball::{write_tarball, Tarball};
pub use yaml::to_sorted_yaml;
