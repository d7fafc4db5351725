//! expire-snapshots, remove-orphan-files, rewrite-manifests and rollback on tables PyIceberg 0.12
//! writes (with branches and tags), checked with PyIceberg and Spark 3.5 + Iceberg 1.10, on a
//! local warehouse and on `s3://` against a real S3 server.


use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use crate::common::*;
use serde_json::Value;

const SCRIPT: &str = "maintenance_table.py";

struct Lake {
    _dir: tempfile::TempDir,
    db: PathBuf,
    warehouse: String,
    /// Where `s3://BUCKET/...` lives on disk (the S3 server's root), or `None` for file://.
    s3_root: Option<PathBuf>,
    props: Vec<(String, String)>,
}

impl Lake {
    fn local() -> Lake {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalog.db");
        let warehouse = format!("file://{}", dir.path().join("wh").display());
        Lake {
            _dir: dir,
            db,
            warehouse,
            s3_root: None,
            props: Vec::new(),
        }
    }

    fn s3(s3: &S3Server) -> Lake {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("catalog.db");
        Lake {
            _dir: dir,
            db,
            warehouse: "s3://lake/wh".into(),
            s3_root: Some(s3.root.path().to_path_buf()),
            props: s3.properties(),
        }
    }

    fn py(&self, cmd: &str, table: &str, extra: &[&str]) -> Value {
        let mut args: Vec<String> = vec![
            cmd.into(),
            "--db".into(),
            self.db.display().to_string(),
            "--warehouse".into(),
            self.warehouse.clone(),
            "--table".into(),
            table.into(),
        ];
        for (k, v) in &self.props {
            args.push("--prop".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        serde_json::from_str(&run_pyiceberg(SCRIPT, &refs)).unwrap()
    }

    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut v = Vec::new();
        for (k, val) in &self.props {
            v.push("-P".to_string());
            v.push(format!("{k}={val}"));
        }
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    }

    fn run(&self, extra: &[&str]) -> std::process::Output {
        let a = self.args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        icehelper_lake(&self.db, &self.warehouse, &refs)
    }

    fn json(&self, extra: &[&str]) -> Value {
        let a = self.args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        icehelper_json(&self.db, &self.warehouse, &refs, 0)
    }

    /// The local path of a table file URI.
    fn local_path(&self, uri: &str) -> PathBuf {
        match &self.s3_root {
            None => PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri)),
            Some(root) => root.join(uri.split_once("://").unwrap().1),
        }
    }

    fn table_dir(&self, table: &str) -> PathBuf {
        let (ns, name) = table.split_once('.').unwrap();
        self.local_path(&format!("{}/{ns}/{name}", self.warehouse))
    }
}

fn exists(lake: &Lake, uri: &str) -> bool {
    lake.local_path(uri).exists()
}

/// Files live in snapshots the refs do not point at, and no retained snapshot reads.
fn files_only_in_expired(fixture: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let heads: BTreeSet<String> = fixture["refs"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.to_string())
        .collect();
    let mut expired = BTreeSet::new();
    let mut kept = BTreeSet::new();
    for (snap, files) in fixture["files"].as_object().unwrap() {
        let set = if heads.contains(snap) {
            &mut kept
        } else {
            &mut expired
        };
        for f in files.as_array().unwrap() {
            set.insert(f.as_str().unwrap().to_string());
        }
        let set = if heads.contains(snap) {
            &mut kept
        } else {
            &mut expired
        };
        set.insert(
            fixture["manifest_lists"][snap]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let only: BTreeSet<String> = expired.difference(&kept).cloned().collect();
    (only, kept)
}

fn rfc3339_in(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn counts(v: &Value) -> HashMap<String, i64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
        .collect()
}

#[test]
fn expiry_and_orphan_removal_keep_every_ref_readable_by_pyiceberg_and_spark() {
    let lake = Lake::local();
    let fixture = lake.py(
        "make",
        "db.t",
        &[
            "--props",
            "write.metadata.delete-after-commit.enabled=true",
            "--props",
            "write.metadata.previous-versions-max=3",
        ],
    );
    let before = counts(&fixture["counts"]);
    let (only_expired, kept) = files_only_in_expired(&fixture);
    assert!(
        only_expired.iter().any(|f| f.ends_with(".parquet")),
        "the fixture has data files only expired snapshots read: {only_expired:?}"
    );
    let tagged_only: Vec<&String> = fixture["files"][fixture["refs"]["t1"].to_string()]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .filter(|f| {
            !fixture["files"][fixture["refs"]["main"].to_string()]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m.as_str() == Some(f))
        })
        .map(|f| kept.get(f).unwrap())
        .collect();
    assert!(!tagged_only.is_empty(), "files only the tag t1 reads");

    // a dry run lists what would go and changes nothing
    let tree = files_under(&lake.table_dir("db.t"));
    let cutoff = rfc3339_in(1);
    std::thread::sleep(Duration::from_millis(1200));
    let dry = lake.json(&[
        "expire-snapshots",
        "db.t",
        "--older-than",
        &cutoff,
        "--retain-last",
        "1",
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["expired_snapshots"], 4, "{dry}");
    assert_eq!(files_under(&lake.table_dir("db.t")), tree);
    let planned: BTreeSet<String> = dry["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    for f in &only_expired {
        assert!(planned.contains(f), "dry run lists {f}");
    }

    let m = lake.json(&[
        "expire-snapshots",
        "db.t",
        "--older-than",
        &cutoff,
        "--retain-last",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(m["expired_snapshots"], 4, "{m}");
    assert_eq!(m["retained_snapshots"], 3);
    assert_eq!(m["commits"], 1);
    assert_eq!(m["deleted_files"], dry["deleted_files"]);
    assert!(m["deleted_by_kind"]["data-file"]["files"].as_u64().unwrap() >= 1);
    assert!(
        m["deleted_by_kind"]["manifest-list"]["files"]
            .as_u64()
            .unwrap()
            == 4
    );
    for f in &only_expired {
        assert!(!exists(&lake, f), "{f} of an expired snapshot is gone");
    }
    for f in &kept {
        assert!(exists(&lake, f), "{f} of a retained snapshot stays");
    }
    for f in &tagged_only {
        assert!(exists(&lake, f), "{f}, read only by tag t1, stays");
    }
    assert_eq!(counts(&lake.py("scan", "db.t", &[])), before);

    // orphans: everything back-dated 10 days, then an old and a young stray file
    let dir = lake.table_dir("db.t");
    let old_stray = dir.join("data/stray-old.parquet");
    std::fs::write(&old_stray, b"not referenced").unwrap();
    backdate(&dir, 10);
    let young_stray = dir.join("data/stray-young.parquet");
    std::fs::write(&young_stray, b"in flight").unwrap();
    let o = lake.json(&["remove-orphan-files", "db.t", "-o", "json"]);
    assert!(!old_stray.exists(), "old stray removed: {o}");
    assert!(young_stray.exists(), "young stray kept");
    assert!(o["too_recent_files"].as_u64().unwrap() >= 1);
    for f in &kept {
        assert!(exists(&lake, f), "{f} survives orphan removal");
    }
    assert_eq!(counts(&lake.py("scan", "db.t", &[])), before);

    // Spark reads every ref completely and finds no orphan left
    let day_ago = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d %H:%M:%S");
    let wh = PathBuf::from(lake.warehouse.strip_prefix("file://").unwrap());
    let orphan_sql = format!(
        "CALL lake.system.remove_orphan_files(table => 'db.t', dry_run => true, older_than => TIMESTAMP '{day_ago}')"
    );
    let spark = spark_sql(
        &lake.db,
        &wh,
        &[
            "SELECT count(*) FROM lake.db.t",
            "SELECT count(*) FROM lake.db.t.branch_audit",
            "SELECT count(*) FROM lake.db.t.tag_t1",
            &orphan_sql,
        ],
    );
    assert_eq!(spark[0][0][0], before["main"]);
    assert_eq!(spark[1][0][0], before["audit"]);
    assert_eq!(spark[2][0][0], before["t1"]);
    assert_eq!(
        spark[3],
        Value::Array(vec![]),
        "Spark finds orphans: {}",
        spark[3]
    );
}

#[test]
fn on_s3_expiry_deletes_what_pyiceberg_expiry_leaves_behind() {
    let s3 = S3Server::start(&["lake", "lake2"]);
    let lake = Lake::s3(&s3);
    // PyIceberg's own expiry of the snapshots no ref points at: every file stays behind
    let py = lake.py("make", "db.py", &["--pyiceberg-expire"]);
    let (py_only, py_kept) = files_only_in_expired(&py);
    assert!(!py_only.is_empty());
    for f in &py_only {
        assert!(
            exists(&lake, f),
            "PyIceberg's expiry left {f} (the fixture's point)"
        );
    }
    // icehelper's expiry of the same snapshots deletes them
    let ice = lake.py("make", "db.ice", &[]);
    let (ice_only, ice_kept) = files_only_in_expired(&ice);
    let cutoff = rfc3339_in(1);
    std::thread::sleep(Duration::from_millis(1200));
    let m = lake.json(&[
        "expire-snapshots",
        "db.ice",
        "--older-than",
        &cutoff,
        "--retain-last",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(m["expired_snapshots"], 4, "{m}");
    assert!(m["failed_deletes"].as_array().unwrap().is_empty(), "{m}");
    for f in &ice_only {
        assert!(f.starts_with("s3://lake/"), "{f}");
        assert!(
            !exists(&lake, f),
            "{f} of an expired snapshot is gone from S3"
        );
    }
    for f in &ice_kept {
        assert!(exists(&lake, f), "{f} stays");
    }
    assert_eq!(
        counts(&lake.py("scan", "db.ice", &[])),
        counts(&ice["counts"])
    );

    // orphan removal collects what PyIceberg left (everything back-dated)
    backdate(&lake.table_dir("db.py"), 10);
    let o = lake.json(&["remove-orphan-files", "db.py", "-o", "json"]);
    for f in &py_only {
        assert!(!exists(&lake, f), "{f} collected as an orphan: {o}");
    }
    for f in &py_kept {
        assert!(exists(&lake, f), "{f} stays");
    }
    assert_eq!(
        counts(&lake.py("scan", "db.py", &[])),
        counts(&py["counts"])
    );

    // a file referenced in another bucket, with the same path here: refused, nothing deleted
    let foreign = "s3://lake2/wh/db/mixed/data/foreign.parquet";
    lake.py("make", "db.mixed", &["--add-foreign", foreign]);
    let copy = lake.local_path("s3://lake/wh/db/mixed/data/foreign.parquet");
    std::fs::copy(lake.local_path(foreign), &copy).unwrap();
    let stray = lake.local_path("s3://lake/wh/db/mixed/data/stray.parquet");
    std::fs::write(&stray, b"x").unwrap();
    backdate(&lake.table_dir("db.mixed"), 10);
    let tree = files_under(&lake.table_dir("db.mixed"));
    let out = lake.run(&["remove-orphan-files", "db.mixed"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("only up to scheme or authority") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(
        files_under(&lake.table_dir("db.mixed")),
        tree,
        "nothing deleted"
    );
    let o = lake.json(&[
        "remove-orphan-files",
        "db.mixed",
        "--prefix-mismatch",
        "ignore",
        "-o",
        "json",
    ]);
    assert_eq!(o["prefix_mismatches"], 1);
    assert!(copy.exists() && !stray.exists(), "{o}");
}

#[test]
fn unsafe_requests_are_refused_and_change_nothing() {
    let lake = Lake::local();
    lake.py("make", "db.t", &["--props", "gc.enabled=false"]);
    let dir = lake.table_dir("db.t");
    backdate(&dir, 10);
    std::fs::write(dir.join("data/stray.parquet"), b"x").unwrap();
    backdate(&dir, 10);
    let tree = files_under(&dir);
    let snaps = lake.json(&["snapshots", "db.t", "-o", "json"]);
    let cutoff = rfc3339_in(1);
    for args in [
        vec!["expire-snapshots", "db.t", "--older-than", &cutoff],
        vec!["remove-orphan-files", "db.t"],
    ] {
        let out = lake.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("gc.enabled=false") && err.lines().count() == 1,
            "{err}"
        );
    }
    lake.py("props", "db.t", &["--props", "gc.enabled=true"]);
    let tree = {
        let mut t = files_under(&dir);
        t.retain(|p| !p.to_string_lossy().ends_with(".metadata.json"));
        assert!(tree
            .iter()
            .filter(|p| !p.to_string_lossy().ends_with(".metadata.json"))
            .eq(t.iter()));
        files_under(&dir)
    };
    let escape = format!("{}/../..", lake.table_dir("db.t").display());
    for (args, needle) in [
        (
            vec!["remove-orphan-files", "db.t", "--older-than", "1h"],
            "unsafe --older-than",
        ),
        (
            vec!["remove-orphan-files", "db.t", "--older-than", "23h"],
            "--allow-recent",
        ),
        (
            vec!["expire-snapshots", "db.t", "--older-than", "yesterday"],
            "--older-than",
        ),
        (
            vec!["expire-snapshots", "db.t", "--retain-last", "0"],
            "--retain-last",
        ),
        (
            vec!["remove-orphan-files", "db.t", "--location", "/tmp"],
            "not inside the table's locations",
        ),
        // issue 20: these once panicked (time arithmetic overflow) or passed the inside check
        (
            vec!["expire-snapshots", "db.t", "--older-than", "100000000d"],
            "--older-than",
        ),
        (
            vec!["remove-orphan-files", "db.t", "--older-than", "100000000d"],
            "--older-than",
        ),
        (
            vec!["remove-orphan-files", "db.t", "--location", &escape],
            "not inside the table's locations",
        ),
    ] {
        let out = lake.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    // a snapshot a tag points at is never expired
    let t1 = lake.py("scan", "db.t", &[]);
    assert!(t1.get("t1").is_some());
    let md = lake.json(&["describe", "db.t", "-o", "json"]);
    let tag_head = md["refs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "t1")
        .unwrap()["snapshot_id"]
        .to_string();
    let out = lake.run(&["expire-snapshots", "db.t", "--snapshot-id", &tag_head]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("current snapshot of t1"));
    assert_eq!(files_under(&dir), tree, "nothing deleted");
    assert_eq!(lake.json(&["snapshots", "db.t", "-o", "json"]), snaps);
    // the allowed young cutoff deletes the stray only
    let o = lake.json(&[
        "remove-orphan-files",
        "db.t",
        "--older-than",
        "1h",
        "--allow-recent",
        "-o",
        "json",
    ]);
    assert!(
        o["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"].as_str().unwrap().ends_with("stray.parquet")),
        "{o}"
    );
}

#[test]
fn rollback_and_rewrite_manifests_keep_the_data_spark_reads() {
    let lake = Lake::local();
    let fx = lake.py("make", "db.t", &[]);
    let snaps: Vec<i64> = fx["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    // snapshots: append A, append B, overwrite (delete, append C), append D, delete, append E
    let s4 = snaps[4].to_string();
    let head = snaps[6].to_string();
    let m = lake.json(&["rollback", "db.t", "--to-snapshot", &s4, "-o", "json"]);
    assert_eq!(m["target_snapshot_id"].to_string(), s4);
    assert_eq!(m["commits"], 1);
    assert_eq!(lake.py("scan", "db.t", &[])["main"], 200);
    // the old head is no longer an ancestor: refused, then allowed
    let out = lake.run(&["rollback", "db.t", "--to-snapshot", &head]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an ancestor"));
    assert_eq!(lake.py("scan", "db.t", &[])["main"], 200);
    let m = lake.json(&[
        "rollback",
        "db.t",
        "--to-snapshot",
        &head,
        "--allow-non-ancestor",
        "-o",
        "json",
    ]);
    assert_eq!(m["non_ancestor"], true);
    assert_eq!(lake.py("scan", "db.t", &[])["main"], 280);
    // rollback by time to before the last append, on the audit branch: no ancestor that old
    let out = lake.run(&[
        "rollback",
        "db.t",
        "--ref",
        "audit",
        "--to-timestamp",
        "2000-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let wh = PathBuf::from(lake.warehouse.strip_prefix("file://").unwrap());
    let entries_sql = "SELECT data_file.file_path, status, snapshot_id, sequence_number, file_sequence_number, data_file.record_count FROM lake.db.t.entries WHERE status < 2 ORDER BY 1";
    let before = spark_sql(
        &lake.db,
        &wh,
        &[entries_sql, "SELECT count(*), sum(id) FROM lake.db.t"],
    );
    let dry = lake.json(&["rewrite-manifests", "db.t", "--dry-run", "-o", "json"]);
    assert_eq!(dry["manifests_created"], 1, "{dry}");
    let m = lake.json(&["rewrite-manifests", "db.t", "-o", "json"]);
    assert_eq!(m["manifests_replaced"], 3, "{m}");
    assert_eq!(m["manifests_created"], 1);
    assert_eq!(m["entries_processed"], 3);
    let after = spark_sql(
        &lake.db,
        &wh,
        &[
            entries_sql,
            "SELECT count(*), sum(id) FROM lake.db.t",
            "SELECT count(*) FROM lake.db.t.manifests",
            "SELECT operation, summary['manifests-created'], summary['manifests-replaced'], summary['entries-processed'] FROM lake.db.t.snapshots ORDER BY committed_at DESC LIMIT 1",
        ],
    );
    assert_eq!(after[1], before[1], "same rows");
    assert_eq!(after[2][0][0], 1, "one manifest");
    assert_eq!(after[3][0], serde_json::json!(["replace", "1", "3", "3"]));
    // every entry keeps its snapshot id, sequence numbers and counts; status becomes EXISTING
    let strip = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.as_array().unwrap().clone();
                r.remove(1);
                Value::Array(r)
            })
            .collect()
    };
    assert_eq!(strip(&after[0]), strip(&before[0]));
    assert!(after[0].as_array().unwrap().iter().all(|r| r[1] == 0));
}
