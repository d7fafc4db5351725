//! Deterministic release tarballs of rendered bases.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bundle::Bundle;
use crate::error::{Error, Result};

/// The files written by [`write_tarball`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tarball {
    /// `<out>/<crate>-<version>-kustomize.tar.gz`.
    pub path: PathBuf,
    /// `<out>/<crate>-<version>-kustomize.tar.gz.sha256`, in `sha256sum` format.
    pub sha256_path: PathBuf,
    /// The archive's SHA-256, lower-case hex.
    pub sha256: String,
}

/// Writes `<crate_name>-<version>-kustomize.tar.gz` and its `.sha256` into `out_dir`.
///
/// The archive holds `<crate_name>-<version>/bases/<bundle name>/<file>` for every bundle. It is
/// byte-for-byte reproducible: entries sorted by path, mtime 0, uid/gid 0, mode 0644, no owner names,
/// gzip header without a timestamp.
pub fn write_tarball(
    out_dir: &Path,
    crate_name: &str,
    version: &str,
    bundles: &[Bundle],
) -> Result<Tarball> {
    let root = format!("{crate_name}-{version}");
    let mut entries = Vec::new();
    for bundle in bundles {
        for (path, content) in bundle.render()? {
            let rel = Path::new(&root)
                .join("bases")
                .join(bundle.name())
                .join(path);
            entries.push((rel.to_string_lossy().replace('\\', "/"), content));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::DuplicateFile {
            path: w[0].0.clone(),
        });
    }

    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, content) in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, content.as_slice())
            .map_err(|e| Error::io(path, e))?;
    }
    let gz = tar.into_inner().map_err(|e| Error::io(&root, e))?;
    let bytes = gz.finish().map_err(|e| Error::io(&root, e))?;

    fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let file_name = format!("{root}-kustomize.tar.gz");
    let path = out_dir.join(&file_name);
    fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| Error::io(&path, e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let sha256_path = out_dir.join(format!("{file_name}.sha256"));
    fs::write(&sha256_path, format!("{sha256}  {file_name}\n"))
        .map_err(|e| Error::io(&sha256_path, e))?;
    Ok(Tarball {
        path,
        sha256_path,
        sha256,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
