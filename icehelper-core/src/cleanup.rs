//! What snapshot expiry and orphan removal share: which files a set of snapshots reaches (each
//! manifest list and each manifest read once, several at a time), deleting files with bounded
//! concurrency and counting them by kind, ages like `7d`, and comparing locations across
//! equivalent schemes.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use iceberg::io::FileIO;
use iceberg::spec::{DataContentType, FormatVersion, ManifestFile, ManifestList, SnapshotRef};
use serde::Serialize;

use crate::error::{Error, Result};

/// How many manifest lists and manifests are read at once.
pub const READ_CONCURRENCY: usize = 16;

/// What a file of a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A data file.
    DataFile,
    /// A position delete file.
    PositionDeleteFile,
    /// An equality delete file.
    EqualityDeleteFile,
    /// A manifest.
    Manifest,
    /// A snapshot's manifest list.
    ManifestList,
    /// A Puffin statistics file.
    StatisticsFile,
    /// A partition statistics file.
    PartitionStatisticsFile,
    /// A `metadata.json`.
    MetadataFile,
    /// A file no metadata names (orphan removal only).
    Other,
}

impl FileKind {
    fn of_content(c: DataContentType) -> Self {
        match c {
            DataContentType::Data => FileKind::DataFile,
            DataContentType::PositionDeletes => FileKind::PositionDeleteFile,
            DataContentType::EqualityDeletes => FileKind::EqualityDeleteFile,
        }
    }
}

/// One file to delete (or, on a dry run, that would be deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Its location as the metadata (or the listing) names it.
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Its size in bytes, when known (from the metadata or the listing).
    pub size: Option<u64>,
}

/// Files and bytes of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// Files.
    pub files: u64,
    /// Bytes (of the files whose size is known).
    pub bytes: u64,
}

/// What a deletion did: counts per kind, and the files that could not be deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeletionReport {
    /// Files and bytes per kind (deleted, or on a dry run planned).
    pub by_kind: BTreeMap<FileKind, KindCount>,
    /// All files.
    pub files: u64,
    /// All bytes (of the files whose size is known).
    pub bytes: u64,
    /// Files whose deletion failed (they stay; orphan removal collects them later).
    pub failed: Vec<String>,
    /// Files that were already gone: not deleted, not counted above.
    pub missing: Vec<String>,
}

impl DeletionReport {
    /// Counts the planned files without deleting anything.
    pub fn planned(files: &[PlannedFile]) -> Self {
        let mut r = DeletionReport::default();
        for f in files {
            r.count(f);
        }
        r
    }

    fn count(&mut self, f: &PlannedFile) {
        let c = self.by_kind.entry(f.kind).or_default();
        c.files += 1;
        c.bytes += f.size.unwrap_or(0);
        self.files += 1;
        self.bytes += f.size.unwrap_or(0);
    }
}

/// Deletes the files, `concurrency` at a time. A failure is logged and listed, never raised:
/// by then the metadata no longer needs the file, and a later orphan removal collects it.
pub async fn delete_files(
    io: &FileIO,
    files: Vec<PlannedFile>,
    concurrency: usize,
) -> DeletionReport {
    let results: Vec<(PlannedFile, std::result::Result<bool, String>)> = stream::iter(files)
        .map(|f| async move {
            // S3 answers a DELETE of a missing key with success: ask first, so a file that was
            // already gone is reported as such rather than counted as deleted
            let r = match io.exists(&f.path).await {
                Ok(false) => Ok(false),
                Ok(true) => io.delete(&f.path).await.map(|()| true),
                Err(e) => Err(e),
            }
            .map_err(|e| e.to_string());
            (f, r)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut report = DeletionReport::default();
    for (f, r) in results {
        match r {
            Ok(true) => report.count(&f),
            Ok(false) => {
                tracing::warn!(file = %f.path, "already gone: nothing to delete");
                report.missing.push(f.path);
            }
            Err(e) => {
                tracing::warn!(file = %f.path, error = %e, "could not delete");
                report.failed.push(f.path);
            }
        }
    }
    report.failed.sort();
    report.missing.sort();
    report
}

/// A manifest list's manifests, with the list's own size in bytes.
pub async fn read_manifest_list(
    io: &FileIO,
    path: &str,
    format: FormatVersion,
) -> Result<(Vec<ManifestFile>, u64)> {
    let bytes = io.new_input(path)?.read().await?;
    let list = ManifestList::parse_with_version(&bytes, format)?;
    Ok((
        list.consume_entries().into_iter().collect(),
        bytes.len() as u64,
    ))
}

/// The manifest lists of `snapshots`, each read once: (list, its manifests, its size in bytes).
pub async fn manifest_lists(
    io: &FileIO,
    format: FormatVersion,
    snapshots: &[SnapshotRef],
) -> Result<Vec<(String, Vec<ManifestFile>, u64)>> {
    let lists: HashSet<String> = snapshots
        .iter()
        .map(|s| s.manifest_list().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(s) = snapshots.iter().find(|s| s.encryption_key_id().is_some()) {
        return Err(Error::option(
            "encryption",
            format!(
                "snapshot {} has an encrypted manifest list; icehelper does not read encrypted tables",
                s.snapshot_id()
            ),
        ));
    }
    let read: Vec<(String, Vec<ManifestFile>, u64)> = stream::iter(lists)
        .map(|p| async move {
            let (m, size) = read_manifest_list(io, &p, format).await?;
            Ok::<_, Error>((p, m, size))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(read)
}

/// The manifest lists of `snapshots`, each read once: every distinct manifest (by path) and
/// the size of each list.
pub async fn manifests_of(
    io: &FileIO,
    format: FormatVersion,
    snapshots: &[SnapshotRef],
) -> Result<(HashMap<String, ManifestFile>, HashMap<String, u64>)> {
    let read = manifest_lists(io, format, snapshots).await?;
    let mut manifests = HashMap::new();
    let mut sizes = HashMap::new();
    for (p, ms, size) in read {
        sizes.insert(p, size);
        for m in ms {
            manifests.entry(m.manifest_path.clone()).or_insert(m);
        }
    }
    Ok((manifests, sizes))
}

/// Checks that each snapshot's manifest list accounts for the files its summary counts
/// (`total-data-files`, `total-delete-files`), from the manifests' own file counts. A list cut
/// at an Avro block boundary still parses, as a list with fewer (or no) manifests: without this
/// check, everything only it reaches would look unreferenced. [`Error::MetadataInconsistent`]
/// names the list.
pub fn check_list_totals(
    snapshots: &[SnapshotRef],
    lists: &[(String, Vec<ManifestFile>, u64)],
) -> Result<()> {
    let by_path: HashMap<&str, &Vec<ManifestFile>> =
        lists.iter().map(|(p, ms, _)| (p.as_str(), ms)).collect();
    for s in snapshots {
        let Some(manifests) = by_path.get(s.manifest_list()) else {
            continue;
        };
        let summary = &s.summary().additional_properties;
        for (key, content) in [
            ("total-data-files", iceberg::spec::ManifestContentType::Data),
            (
                "total-delete-files",
                iceberg::spec::ManifestContentType::Deletes,
            ),
        ] {
            let Some(expected) = summary.get(key).and_then(|v| v.parse::<u64>().ok()) else {
                continue;
            };
            let mut counted = 0u64;
            let mut known = true;
            for m in manifests.iter().filter(|m| m.content == content) {
                match (m.added_files_count, m.existing_files_count) {
                    (Some(a), Some(e)) => counted += u64::from(a) + u64::from(e),
                    _ => known = false,
                }
            }
            if known && counted != expected {
                return Err(Error::MetadataInconsistent {
                    file: s.manifest_list().to_string(),
                    reason: format!(
                        "snapshot {} counts {expected} files in {key}, its manifest list accounts for {counted} (truncated or damaged?)",
                        s.snapshot_id()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A manifest must hold the entries its manifest-list entry counts: a manifest cut at an Avro
/// block boundary still parses, with entries missing, and its files would look unreachable.
fn check_manifest_counts(mf: &ManifestFile, m: &iceberg::spec::Manifest) -> Result<()> {
    let (Some(added), Some(existing), Some(deleted)) = (
        mf.added_files_count,
        mf.existing_files_count,
        mf.deleted_files_count,
    ) else {
        return Ok(());
    };
    let mut counts = [0u64; 3];
    for e in m.entries() {
        let i = match e.status() {
            iceberg::spec::ManifestStatus::Added => 0,
            iceberg::spec::ManifestStatus::Existing => 1,
            iceberg::spec::ManifestStatus::Deleted => 2,
        };
        counts[i] += 1;
    }
    let expected = [u64::from(added), u64::from(existing), u64::from(deleted)];
    if counts != expected {
        return Err(Error::MetadataInconsistent {
            file: mf.manifest_path.clone(),
            reason: format!(
                "its manifest list counts {} added, {} existing and {} deleted entries, the manifest holds {}, {} and {} (truncated or damaged?)",
                expected[0], expected[1], expected[2], counts[0], counts[1], counts[2]
            ),
        });
    }
    Ok(())
}

/// Which entries of a manifest to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// Added and existing entries: the files the snapshot can read.
    Live,
    /// Every entry, deleted ones too.
    All,
}

/// The content files (data and delete) the manifests name, each manifest read once.
pub async fn content_files(
    io: &FileIO,
    manifests: Vec<ManifestFile>,
    which: Entries,
) -> Result<HashMap<String, PlannedFile>> {
    let per: Vec<Vec<PlannedFile>> = stream::iter(manifests)
        .map(|mf| async move {
            let m = mf.load_manifest(io).await?;
            check_manifest_counts(&mf, &m)?;
            Ok::<_, Error>(
                m.entries()
                    .iter()
                    .filter(|e| which == Entries::All || e.is_alive())
                    .map(|e| PlannedFile {
                        path: e.file_path().to_string(),
                        kind: FileKind::of_content(e.content_type()),
                        size: Some(e.file_size_in_bytes()),
                    })
                    .collect(),
            )
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let mut out = HashMap::new();
    for f in per.into_iter().flatten() {
        out.entry(f.path.clone()).or_insert(f);
    }
    Ok(out)
}

/// True when a property is set to true (`true`, `1`, `yes`), false when unset.
pub(crate) fn prop_bool(props: &HashMap<String, String>, key: &str) -> Result<bool> {
    match props.get(key) {
        None => Ok(false),
        Some(v) => crate::storage::parse_bool(v)
            .ok_or_else(|| Error::option(key, format!("'{v}' is not true or false"))),
    }
}

/// `gc.enabled` (default true); false refuses every operation that deletes files.
pub fn gc_enabled(props: &HashMap<String, String>) -> Result<bool> {
    match props.get("gc.enabled") {
        None => Ok(true),
        Some(v) => crate::storage::parse_bool(v)
            .ok_or_else(|| Error::option("gc.enabled", format!("'{v}' is not true or false"))),
    }
}

/// An integer table property, or its default.
pub(crate) fn prop_i64(props: &HashMap<String, String>, key: &str, default: i64) -> Result<i64> {
    match props.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::option(key, format!("'{v}' is not an integer"))),
    }
}

/// Files deleted at once by default (Spark's `max_concurrent_deletes` has none: it deletes
/// serially; 16 keeps object stores busy without throttling).
pub const DEFAULT_MAX_CONCURRENT_DELETES: std::num::NonZeroUsize =
    std::num::NonZeroUsize::new(16).unwrap();

/// A length of time in humantime's grammar, the one every duration flag takes: `7d`, `36h`,
/// `90m`, `45s`, `500ms`, or a sum of them (`1d12h`, `1h 30m`).
pub fn parse_duration(input: &str) -> Result<chrono::Duration> {
    let bad = || {
        Error::option(
            "duration",
            format!("'{input}' is not a duration like 7d, 36h, 90m or 45s"),
        )
    };
    let std = humantime::parse_duration(input.trim()).map_err(|_| bad())?;
    chrono::Duration::from_std(std).map_err(|_| bad())
}

/// A duration the way [`parse_duration`] reads it (`7d`, `1d12h`, `90s`; `0s` for zero); a
/// remainder under a second is shown as `ms`.
pub fn format_duration(d: chrono::Duration) -> String {
    let mut ms = d.num_milliseconds();
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

/// `--older-than`: a duration before `now` (`7d`) or an RFC 3339 timestamp.
pub fn parse_older_than(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if let Ok(ts) = DateTime::parse_from_rfc3339(input.trim()) {
        return Ok(ts.with_timezone(&Utc));
    }
    let d = parse_duration(input).map_err(|_| {
        Error::option(
            "older-than",
            format!(
                "'{input}' is neither a duration (7d, 36h, 90m) nor an RFC 3339 timestamp (2024-05-01T00:00:00Z)"
            ),
        )
    })?;
    now.checked_sub_signed(d).ok_or_else(|| {
        Error::option(
            "older-than",
            format!("'{input}' reaches back before the earliest time there is"),
        )
    })
}

/// A location split for comparison: scheme (after equal schemes are folded), authority
/// (bucket or host) and a normalised path (percent-decoded, no repeated or trailing slashes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPath {
    /// The scheme, lower case, mapped through the equal-schemes table (`file` for local paths).
    pub scheme: String,
    /// Bucket, container or host; empty for local paths.
    pub authority: String,
    /// The path, starting with `/`.
    pub path: String,
}

impl NormalizedPath {
    /// Whether this is `root` or a place under it (`/`-terminated prefixes: `invoices` never
    /// covers `invoices_payments`), in the same scheme and authority.
    pub fn is_within(&self, root: &NormalizedPath) -> bool {
        self.scheme == root.scheme
            && self.authority == root.authority
            && (self.path == root.path
                || root.path == "/"
                || self.path.starts_with(&format!("{}/", root.path)))
    }

    /// Whether one of the two is within the other: listing either lists files of the other.
    pub fn overlaps(&self, other: &NormalizedPath) -> bool {
        self.is_within(other) || other.is_within(self)
    }
}

/// Schemes treated as one (`s3a` and `s3n` are `s3`), plus any the caller adds.
#[derive(Debug, Clone)]
pub struct EqualSchemes(HashMap<String, String>);

impl Default for EqualSchemes {
    fn default() -> Self {
        let mut m = HashMap::new();
        m.insert("s3a".to_string(), "s3".to_string());
        m.insert("s3n".to_string(), "s3".to_string());
        EqualSchemes(m)
    }
}

impl EqualSchemes {
    /// Also treats `scheme` as `as_scheme` (Spark's `equal_schemes` map entries).
    pub fn with(mut self, scheme: &str, as_scheme: &str) -> Self {
        self.0
            .insert(scheme.to_ascii_lowercase(), as_scheme.to_ascii_lowercase());
        self
    }

    fn fold(&self, scheme: &str) -> String {
        let s = scheme.to_ascii_lowercase();
        self.0.get(&s).cloned().unwrap_or(s)
    }

    /// Splits and normalises a location.
    pub fn normalize(&self, location: &str) -> NormalizedPath {
        let (scheme, authority, path) = if location.starts_with('/') {
            ("file".to_string(), String::new(), location.to_string())
        } else if let Some((scheme, rest)) = location.split_once(':') {
            if scheme.eq_ignore_ascii_case("file") {
                // file:/x, file:///x and file://localhost/x all mean /x
                let rest = rest.strip_prefix("//localhost").unwrap_or(rest);
                ("file".to_string(), String::new(), rest.to_string())
            } else if let Some(after) = rest.strip_prefix("//") {
                let (auth, path) = after.split_once('/').unwrap_or((after, ""));
                (self.fold(scheme), auth.to_string(), format!("/{path}"))
            } else {
                (self.fold(scheme), String::new(), rest.to_string())
            }
        } else {
            (String::new(), String::new(), location.to_string())
        };
        let decoded = percent_decode(&path);
        // `.` and `..` resolved, so `<root>/../other` is not taken for a place inside `<root>`
        let mut segments: Vec<&str> = Vec::new();
        for seg in decoded.split('/').filter(|s| !s.is_empty()) {
            match seg {
                "." => {}
                ".." => {
                    segments.pop();
                }
                seg => segments.push(seg),
            }
        }
        let mut norm = String::with_capacity(decoded.len() + 1);
        for seg in segments {
            norm.push('/');
            norm.push_str(seg);
        }
        if norm.is_empty() {
            norm.push('/');
        }
        NormalizedPath {
            scheme,
            authority,
            path: norm,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_timestamps() {
        assert_eq!(parse_duration("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_duration("36h").unwrap(), chrono::Duration::hours(36));
        assert_eq!(
            parse_duration("90m").unwrap(),
            chrono::Duration::minutes(90)
        );
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            chrono::Duration::hours(36)
        );
        // humantime's grammar: weeks, spaces and milliseconds too
        assert_eq!(parse_duration("1w").unwrap(), chrono::Duration::days(7));
        assert_eq!(
            parse_duration("1h 30m").unwrap(),
            chrono::Duration::minutes(90)
        );
        assert_eq!(
            parse_duration("500ms").unwrap(),
            chrono::Duration::milliseconds(500)
        );
        assert_eq!(parse_duration("1.5d").unwrap(), chrono::Duration::hours(36));
        for bad in ["", "7", "d", "7x", "-1d", "100000000000000000000d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for text in ["7d", "1d12h", "1m30s", "2h30m", "0s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(
            format_duration(chrono::Duration::milliseconds(604_800_000)),
            "7d"
        );
        let now = DateTime::parse_from_rfc3339("2024-05-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_older_than("2d", now).unwrap().to_rfc3339(),
            "2024-05-08T00:00:00+00:00"
        );
        assert_eq!(
            parse_older_than("2024-05-01T02:00:00+02:00", now)
                .unwrap()
                .to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert!(parse_older_than("yesterday", now).is_err());
        // far beyond chrono's range: an error, not a panic (issue 20)
        assert!(parse_older_than("100000000d", now).is_err());
        assert!(parse_older_than("99999999999999999999d", now).is_err());
    }

    #[test]
    fn normalises_locations() {
        let e = EqualSchemes::default();
        let a = e.normalize("s3a://bkt/wh//t/data/a%3Db/x.parquet");
        let b = e.normalize("s3://bkt/wh/t/data/a=b/x.parquet");
        assert_eq!(a, b);
        assert_eq!(
            e.normalize("file:/tmp/wh/x"),
            e.normalize("file:///tmp/wh/x")
        );
        assert_eq!(e.normalize("/tmp/wh/x/"), e.normalize("file:///tmp/wh/x"));
        let other = e.normalize("s3://other/wh/t/data/a=b/x.parquet");
        assert_eq!(other.path, b.path);
        assert_ne!(other.authority, b.authority);
        let gs = e.normalize("gs://bkt/wh/t/data/a=b/x.parquet");
        assert_ne!(gs.scheme, b.scheme);
        let e2 = EqualSchemes::default().with("gs", "s3");
        assert_eq!(e2.normalize("gs://bkt/x").scheme, "s3");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn prefixes_end_at_a_slash_and_dot_dot_is_resolved() {
        let e = EqualSchemes::default();
        let root = e.normalize("s3://bkt/wh/invoices");
        assert!(e.normalize("s3://bkt/wh/invoices/data/x").is_within(&root));
        assert!(e.normalize("s3a://bkt/wh/invoices").is_within(&root));
        assert!(!e
            .normalize("s3://bkt/wh/invoices_payments/x")
            .is_within(&root));
        assert!(!e.normalize("s3://other/wh/invoices/x").is_within(&root));
        assert!(!e
            .normalize("s3://bkt/wh/invoices/../orders")
            .is_within(&root));
        assert!(e.normalize("s3://bkt/wh").overlaps(&root));
        assert!(root.overlaps(&e.normalize("s3://bkt/wh")));
        assert!(!root.overlaps(&e.normalize("s3://bkt/wh/invoices_payments")));
        assert_eq!(e.normalize("/a/./b/../c").path, "/a/c");
    }
}
