//! The crate's error type.

use std::path::PathBuf;

use crate::crd::SchemaViolation;

/// Everything that can go wrong while building, writing, checking or validating a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A YAML document could not be parsed or emitted.
    #[error("YAML error in {context}: {source}")]
    Yaml {
        /// What was being read or written.
        context: String,
        /// The underlying error.
        source: serde_norway::Error,
    },
    /// A value could not be converted to or from JSON.
    #[error("JSON error in {context}: {source}")]
    Json {
        /// What was being converted.
        context: String,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// An object added to a bundle lacks something every Kubernetes object needs.
    #[error("invalid object: {reason}")]
    InvalidObject {
        /// What is missing or wrong.
        reason: String,
    },
    /// Two entries of a bundle would be written to the same file.
    #[error("two bundle entries map to the same file {path}")]
    DuplicateFile {
        /// The file name both entries want.
        path: String,
    },
    /// A file does not hold a usable CustomResourceDefinition.
    #[error("{path} is not a usable CustomResourceDefinition: {reason}")]
    NotACrd {
        /// The CRD file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// A CRD's schema could not be compiled into a validator.
    #[error("cannot compile the schema of {path} version {version}: {message}")]
    SchemaCompile {
        /// The CRD file.
        path: PathBuf,
        /// The CRD version whose schema failed.
        version: String,
        /// The validator's message.
        message: String,
    },
    /// A required environment variable is not set.
    #[error("environment variable {var} is not set: {purpose}")]
    EnvVarUnset {
        /// The variable's name.
        var: String,
        /// What it should point at.
        purpose: String,
    },
    /// `kustomize build` of a folder failed.
    #[error("kustomize build {dir} failed: {stderr}")]
    KustomizeFailed {
        /// The Kustomize folder.
        dir: PathBuf,
        /// What kustomize printed on stderr.
        stderr: String,
    },
    /// An object does not validate against its CRD schema.
    #[error(
        "{kind} {name} does not match its CRD schema:\n{}",
        crate::crd::format_violations(violations)
    )]
    Invalid {
        /// The object's kind.
        kind: String,
        /// The object's `metadata.name`.
        name: String,
        /// Every violation, with its JSON path.
        violations: Vec<SchemaViolation>,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
