//! The released Kustomize bases of the template crates, and staging them the way their release
//! tarballs unpack.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use manifest_bundle::{Bundle, Release};

/// A template crate whose GitHub release carries `<crate>-<version>-kustomize.tar.gz`.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Crate name (`spark-templates`).
    pub crate_name: &'static str,
    /// Crate version: the bases of this checkout are the bases released at this version.
    pub version: &'static str,
    release: fn() -> Result<Release>,
}

impl Component {
    /// The crate's release: every base, in the crate's order.
    pub fn release(&self) -> Result<Release> {
        (self.release)().with_context(|| format!("rendering {} bases", self.crate_name))
    }

    /// Every base of the release, in the crate's order.
    pub fn bundles(&self) -> Result<Vec<Bundle>> {
        Ok(self.release()?.bundles().to_vec())
    }

    /// One base by folder name.
    pub fn bundle(&self, base: &str) -> Result<Bundle> {
        self.bundles()?
            .into_iter()
            .find(|b| b.name() == base)
            .ok_or_else(|| anyhow!("{} has no base named {base}", self.crate_name))
    }

    /// `<crate>-<version>`: the top folder of the unpacked tarball.
    pub fn release_dir(&self) -> String {
        format!("{}-{}", self.crate_name, self.version)
    }

    /// Where base `base` is once the tarball is unpacked in `bases_dir`.
    pub fn base_path(&self, bases_dir: &Path, base: &str) -> PathBuf {
        bases_dir.join(self.release_dir()).join("bases").join(base)
    }

    /// The release asset's file name.
    pub fn tarball_name(&self) -> String {
        format!("{}-kustomize.tar.gz", self.release_dir())
    }
}

/// spark-templates.
pub const SPARK: Component = Component {
    crate_name: "spark-templates",
    version: spark_templates::VERSION,
    release: || Ok(spark_templates::release()?),
};

/// strimzi-templates.
pub const STRIMZI: Component = Component {
    crate_name: "strimzi-templates",
    version: strimzi_templates::VERSION,
    release: || Ok(strimzi_templates::release()?),
};

/// argo-templates.
pub const ARGO: Component = Component {
    crate_name: "argo-templates",
    version: argo_templates::VERSION,
    release: || Ok(argo_templates::release()?),
};

/// The three template crates.
pub const COMPONENTS: [Component; 3] = [SPARK, STRIMZI, ARGO];

/// Writes each template crate's release tarball (and `.sha256`) into `bases_dir`, exactly as the
/// release workflow builds it, and unpacks it there: afterwards `bases_dir` looks like a folder
/// where the three release assets were downloaded and unpacked with `tar -xzf`.
pub fn stage(bases_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(bases_dir)
        .with_context(|| format!("creating {}", bases_dir.display()))?;
    for c in COMPONENTS {
        let tarball = c.release()?.tarball(bases_dir)?;
        let release = bases_dir.join(c.release_dir());
        if release.exists() {
            std::fs::remove_dir_all(&release)
                .with_context(|| format!("removing {}", release.display()))?;
        }
        let file = File::open(&tarball.path)
            .with_context(|| format!("opening {}", tarball.path.display()))?;
        tar::Archive::new(flate2::read::GzDecoder::new(file))
            .unpack(bases_dir)
            .with_context(|| format!("unpacking {}", tarball.path.display()))?;
    }
    Ok(())
}
