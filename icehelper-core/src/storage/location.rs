//! Iceberg locations ↔ `object_store` paths: the one place that converts between them.
//!
//! A location recorded in Iceberg metadata names its object byte for byte: PyIceberg and Iceberg
//! Java record URL-encoded partition values (`city=Z%C3%BCrich/`), other writers record them as
//! they are (`city=Zürich/`), and either spelling is the object's real key. So a location's path
//! becomes an [`object_store::path::Path`] with [`Path::parse`](object_store::path::Path::parse),
//! which keeps every character, never with `Path::from`, which percent-encodes `%`, `~`, `[`, non-ASCII
//! and more a second time and so addresses another object. Listing turns keys back into locations
//! the same way, so a listed file's location equals the location the metadata records.

use object_store::path::Path as StorePath;

/// Where a location lives: which store (keyed by scheme and bucket), and the path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// `file`, `s3`, `gs` or `az`: equal schemes (`s3a`, `s3n`) fold to one.
    pub kind: &'static str,
    /// Bucket or container; empty for local files.
    pub bucket: String,
    /// Path inside the store, without a leading slash.
    pub path: String,
    /// The location's prefix up to the path (e.g. `s3a://bucket/`, `file:///`), used to rebuild URIs.
    pub prefix: String,
}

impl Resolved {
    pub(crate) fn store_key(&self) -> String {
        format!("{}://{}", self.kind, self.bucket)
    }
}

/// Splits a location into store and path. Errors name the location.
pub(crate) fn resolve(location: &str) -> Result<Resolved, String> {
    if location.starts_with('/') {
        return Ok(Resolved {
            kind: "file",
            bucket: String::new(),
            path: location.trim_start_matches('/').to_string(),
            prefix: "/".to_string(),
        });
    }
    let Some((scheme, rest)) = location.split_once(':') else {
        return Err(format!(
            "'{location}' is not an absolute path or URI (expected file:///..., s3://bucket/...)"
        ));
    };
    let scheme_lc = scheme.to_ascii_lowercase();
    if scheme_lc == "file" {
        // file:///abs, file:/abs and file://abs all mean /abs
        let path = rest.trim_start_matches('/');
        let prefix = &location[..location.len() - path.len()];
        return Ok(Resolved {
            kind: "file",
            bucket: String::new(),
            path: path.to_string(),
            prefix: prefix.to_string(),
        });
    }
    let kind = match scheme_lc.as_str() {
        "s3" | "s3a" | "s3n" => "s3",
        "gs" | "gcs" => "gs",
        "abfs" | "abfss" | "az" | "adl" | "wasb" | "wasbs" => "az",
        _ => {
            return Err(format!(
                "unsupported storage scheme '{scheme}' in '{location}'"
            ))
        }
    };
    let Some(after) = rest.strip_prefix("//") else {
        return Err(format!(
            "'{location}' has no bucket (expected {scheme}://bucket/path)"
        ));
    };
    let (bucket, path) = after.split_once('/').unwrap_or((after, ""));
    if bucket.is_empty() {
        return Err(format!(
            "'{location}' has no bucket (expected {scheme}://bucket/path)"
        ));
    }
    Ok(Resolved {
        kind,
        bucket: bucket.to_string(),
        path: path.trim_start_matches('/').to_string(),
        prefix: format!("{scheme}://{bucket}/"),
    })
}

impl Resolved {
    /// The `object_store` path of this location, byte for byte (repeated slashes folded, as a file
    /// system and every Iceberg writer treat them); `.` and `..` segments and control characters are
    /// refused.
    pub(crate) fn store_path(&self) -> Result<StorePath, String> {
        store_path(&self.path)
    }

    /// The file of a local location (`file:` or a bare path), byte for byte; `None` elsewhere.
    pub(crate) fn local_path(&self) -> Option<std::path::PathBuf> {
        (self.kind == "file").then(|| std::path::PathBuf::from(format!("/{}", self.path)))
    }

    /// The location of a listed object in this location's own scheme and bucket.
    pub(crate) fn location_of(&self, listed: &StorePath) -> String {
        match self.kind {
            "file" => format!("file:///{}", listed.as_ref()),
            _ => format!("{}{}", self.prefix, listed.as_ref()),
        }
    }
}

/// `path` (inside a store, no leading slash needed) as an `object_store` path, unchanged.
pub(crate) fn store_path(path: &str) -> Result<StorePath, String> {
    let folded: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    StorePath::parse(folded.join("/")).map_err(|e| format!("'{path}' cannot name an object: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_locations() {
        let r = resolve("s3a://bucket/wh/db/t/data/x.parquet").unwrap();
        assert_eq!((r.kind, r.bucket.as_str()), ("s3", "bucket"));
        assert_eq!(r.path, "wh/db/t/data/x.parquet");
        assert_eq!(r.prefix, "s3a://bucket/");
        let f = resolve("file:/tmp/wh/x").unwrap();
        assert_eq!((f.kind, f.path.as_str()), ("file", "tmp/wh/x"));
        assert_eq!(resolve("file:///tmp/wh/x").unwrap().path, "tmp/wh/x");
        assert_eq!(resolve("/tmp/wh/x").unwrap().path, "tmp/wh/x");
        assert!(resolve("relative/path").is_err());
        assert!(resolve("s3:///nobucket").is_err());
        assert!(resolve("ftp://h/x")
            .unwrap_err()
            .contains("unsupported storage scheme"));
    }

    #[test]
    fn store_paths_keep_every_character() {
        for name in [
            "city=Z%C3%BCrich",
            "city=Zürich",
            "a~b",
            "100%",
            "x[1]",
            "éa",
            "日本語",
            "a b+c",
            "q?#{}^|*\\<>\"",
        ] {
            let loc = format!("s3://b/wh/t/data/{name}/f.parquet");
            let r = resolve(&loc).unwrap();
            let p = r.store_path().unwrap();
            assert_eq!(p.as_ref(), format!("wh/t/data/{name}/f.parquet"), "{name}");
            assert_eq!(r.location_of(&p), loc, "{name}");
        }
        let r = resolve("file:///tmp//données-é/x").unwrap();
        assert_eq!(r.store_path().unwrap().as_ref(), "tmp/données-é/x");
        assert!(resolve("file:///tmp/a/../b").unwrap().store_path().is_err());
        assert!(resolve("s3://b/a/./b").unwrap().store_path().is_err());
    }
}
