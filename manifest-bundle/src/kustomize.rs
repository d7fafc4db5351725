//! Building a Kustomize folder with the real `kustomize` (standalone, or the copy inside `kubectl`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::error::{Error, Result};

/// A `kustomize` program: `kustomize build DIR`, or `kubectl kustomize DIR` where only kubectl is
/// installed. Output is parsed into one JSON value per document.
///
/// ```no_run
/// use manifest_bundle::Kustomize;
///
/// # fn main() -> Result<(), manifest_bundle::Error> {
/// let kustomize = Kustomize::from_env("DATA_TIER_KUSTOMIZE")?;
/// for object in kustomize.build("bases/hello".as_ref())? {
///     println!("{} {}", object["kind"], object["metadata"]["name"]);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kustomize {
    program: PathBuf,
    subcommand: &'static str,
}

impl Kustomize {
    /// The standalone `kustomize` binary at `program` (run as `program build DIR`).
    pub fn standalone(program: impl Into<PathBuf>) -> Self {
        Kustomize {
            program: program.into(),
            subcommand: "build",
        }
    }

    /// kubectl's built-in kustomize at `program` (run as `program kustomize DIR`).
    pub fn kubectl(program: impl Into<PathBuf>) -> Self {
        Kustomize {
            program: program.into(),
            subcommand: "kustomize",
        }
    }

    /// The standalone binary named by the environment variable `var`; when it is unset, the first
    /// of `kustomize` and `kubectl` found on `PATH`. [`Error::EnvVarUnset`] when none is found.
    pub fn from_env(var: &str) -> Result<Self> {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Ok(Self::standalone(PathBuf::from(v)));
        }
        if let Some(p) = on_path("kustomize") {
            return Ok(Self::standalone(p));
        }
        if let Some(p) = on_path("kubectl") {
            return Ok(Self::kubectl(p));
        }
        Err(Error::EnvVarUnset {
            var: var.to_owned(),
            purpose:
                "it must name a kustomize v5 binary (neither kustomize nor kubectl is on PATH)"
                    .into(),
        })
    }

    /// The program that is run.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Builds the Kustomize folder `dir` and returns every document it outputs.
    pub fn build(&self, dir: &Path) -> Result<Vec<Value>> {
        let out = Command::new(&self.program)
            .arg(self.subcommand)
            .arg(dir)
            .output()
            .map_err(|e| Error::io(&self.program, e))?;
        if !out.status.success() {
            return Err(Error::KustomizeFailed {
                dir: dir.to_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        text.split("\n---\n")
            .filter(|doc| !doc.trim().is_empty())
            .map(|doc| {
                serde_norway::from_str::<Value>(doc).map_err(|source| Error::Yaml {
                    context: format!("kustomize output for {}", dir.display()),
                    source,
                })
            })
            .collect()
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path: OsString = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
