//! Regenerates `strimzi-templates/bases/` and, with `--tarball DIR`, writes the release tarball.
//!
//! ```text
//! cargo run -p strimzi-templates --example render-bases [-- --tarball target/release-assets]
//! ```

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bundles = strimzi_templates::bases::bundles()?;
    for bundle in &bundles {
        let dir = root.join("bases").join(bundle.name());
        bundle.write_clean(&dir)?;
        println!("wrote {}", dir.display());
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tarball" {
            let out = PathBuf::from(args.next().ok_or("--tarball needs a directory")?);
            std::fs::create_dir_all(&out)?;
            let t = manifest_bundle::write_tarball(
                &out,
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
                &bundles,
            )?;
            println!("wrote {} ({})", t.path.display(), t.sha256);
        }
    }
    Ok(())
}
