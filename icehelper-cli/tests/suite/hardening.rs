//! Regressions from the adversarial run (issue 20): ways icehelper once lost or hid other engines'
//! data, each checked with PyIceberg 0.12 and Spark 3.5 + Iceberg 1.10 reading the result.


use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;
use serde_json::Value;

const SCRIPT: &str = "hardening_tables.py";

fn tables(db: &Path, warehouse: &str, args: &[&str]) -> Value {
    let mut a = vec![
        args[0],
        "--db",
        db.to_str().unwrap(),
        "--warehouse",
        warehouse,
    ];
    a.extend(&args[1..]);
    serde_json::from_str(&run_pyiceberg(SCRIPT, &a)).unwrap()
}

fn pyiceberg_rows(db: &Path, warehouse: &str, table: &str) -> Value {
    serde_json::from_str(&run_pyiceberg(
        "rows.py",
        &[
            "--db",
            db.to_str().unwrap(),
            "--warehouse",
            warehouse,
            "--table",
            table,
        ],
    ))
    .unwrap()
}

/// The local path of a `file://`, `file:/` or bare location.
fn local(uri: &str) -> PathBuf {
    PathBuf::from(
        uri.strip_prefix("file://")
            .or_else(|| uri.strip_prefix("file:"))
            .unwrap_or(uri),
    )
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Issue 20, item 1: two tables share `write.data.path` (object-storage layout); orphan removal
/// on one of them once deleted every data file of the other.
#[test]
fn orphan_removal_keeps_the_files_of_tables_sharing_a_data_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("wh");
    let wh_uri = format!("file://{}", wh.display());
    let shared = format!("file://{}", dir.path().join("shared-data").display());
    let made = tables(&db, &wh_uri, &["shared", "--data-path", &shared]);
    let b_files = strings(&made["db.b"]);
    assert!(b_files.iter().all(|f| f.starts_with(&shared)), "{made}");
    // a real orphan in the shared folder, which no table references
    let orphan = dir.path().join("shared-data/0000/stray-00000.parquet");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"not referenced by any table").unwrap();
    // what object_store leaves of an upload killed mid-way (it hides such names from listings)
    let staging = wh.join("db/a/metadata/00009-stage.metadata.json#17");
    std::fs::write(&staging, b"half a file").unwrap();
    backdate(dir.path(), 4);

    let m = icehelper_json(
        &db,
        &wh_uri,
        &["remove-orphan-files", "db.a", "-o", "json"],
        0,
    );
    for f in &b_files {
        assert!(local(f).exists(), "{f} of db.b was deleted");
    }
    assert_eq!(m["shared_with"], serde_json::json!(["db.b"]), "{m}");
    // every listed file is accounted for once (issue 20: referenced once exceeded listed)
    let n = |k: &str| m[k].as_u64().unwrap();
    assert_eq!(
        n("listed_files"),
        n("referenced_files") + n("deleted_files") + n("too_recent_files"),
        "{m}"
    );
    let deleted: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut expected = vec![
        format!("file://{}", orphan.display()),
        format!("file://{}", staging.display()),
    ];
    expected.sort();
    assert_eq!(
        deleted, expected,
        "only the stray and staging files go: {m}"
    );
    assert!(!orphan.exists() && !staging.exists());
    for t in ["db.a", "db.b"] {
        assert_eq!(pyiceberg_rows(&db, &wh_uri, t)["count"], 30, "{t}");
    }
    let spark = spark_sql(
        &db,
        &wh,
        &[
            "SELECT count(*) FROM lake.db.a",
            "SELECT count(*) FROM lake.db.b",
        ],
    );
    assert_eq!(spark[0][0][0], 30);
    assert_eq!(spark[1][0][0], 30);
}

/// Issue 20, item 2: locations went to storage percent-encoded a second time, so compaction could
/// not read URL-encoded partition folders, and a table under a folder named with `é` could not be
/// loaded. A location now reaches storage byte for byte, and the folders icehelper creates are
/// named as Iceberg Java names them.
#[test]
fn paths_that_need_escaping_reach_storage_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("données-é");
    std::fs::create_dir_all(&root).unwrap();
    let db = root.join("catalog.db");
    let wh = root.join("wh");
    let wh_uri = format!("file://{}", wh.display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let before = pyiceberg_rows(&db, &wh_uri, "db.cities");
    assert_eq!(before["count"], 28);

    // the table loads from a folder named with 'é'; its secret property is never printed
    for format in ["text", "json"] {
        let described = icehelper_lake(&db, &wh_uri, &["describe", "db.cities", "-o", format]);
        assert!(
            described.status.success(),
            "{}",
            String::from_utf8_lossy(&described.stderr)
        );
        let text = String::from_utf8_lossy(&described.stdout);
        assert!(text.contains("s3.secret-access-key"), "{text}");
        assert!(
            !text.contains("hunter2"),
            "describe -o {format} leaks a secret: {text}"
        );
    }
    let findings = || {
        let h = icehelper_json(
            &db,
            &wh_uri,
            &["partition-health", "db.cities", "-o", "json"],
            0,
        );
        h["table"]["findings"].to_string()
    };
    // sizes in units; a partition's only file is not called small (issue 20)
    assert!(
        findings().contains("smaller than 384.0 MiB"),
        "{}",
        findings()
    );
    let m = icehelper_json(
        &db,
        &wh_uri,
        &[
            "compact",
            "db.cities",
            "--min-input-files",
            "2",
            "-o",
            "json",
        ],
        0,
    );
    assert_eq!(m["rewritten_data_files"], 28, "{m}");
    assert_eq!(m["added_data_files"], 7, "{m}");
    assert!(!findings().contains("smaller than"), "{}", findings());

    // expire the pre-compaction snapshots: their files go, and each one really was there
    std::thread::sleep(Duration::from_millis(1100));
    let cutoff = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let e = icehelper_json(
        &db,
        &wh_uri,
        &[
            "expire-snapshots",
            "db.cities",
            "--older-than",
            &cutoff,
            "--retain-last",
            "1",
            "-o",
            "json",
        ],
        0,
    );
    assert!(
        e["deleted_by_kind"]["data-file"]["files"].as_u64() == Some(28),
        "{e}"
    );
    assert_eq!(e["missing_files"], serde_json::json!([]), "{e}");

    assert_eq!(pyiceberg_rows(&db, &wh_uri, "db.cities"), before);
    let spark = spark_sql(
        &db,
        &wh,
        &[
            "SELECT city, count(*) FROM lake.db.cities GROUP BY city ORDER BY city",
            "SELECT file_path FROM lake.db.cities.files",
        ],
    );
    assert_eq!(spark[0].as_array().unwrap().len(), 7, "{}", spark[0]);
    assert!(
        spark[0].as_array().unwrap().iter().all(|r| r[1] == 4),
        "{}",
        spark[0]
    );
    let paths: Vec<String> = spark[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths.len(), 7);
    for p in &paths {
        assert!(local(p).exists(), "{p} is recorded but not on disk");
    }
    // the folder names Iceberg Java (URLEncoder) gives these values
    for folder in [
        "city=Z%C3%BCrich",
        "city=a%7Eb",
        "city=100%25",
        "city=x%5B1%5D",
        "city=%C3%A9a",
        "city=%E6%97%A5%E6%9C%AC%E8%AA%9E",
        "city=a+b",
    ] {
        assert!(
            paths
                .iter()
                .any(|p| p.contains(&format!("/data/{folder}/"))),
            "no file in {folder}: {paths:?}"
        );
    }
    // nothing was written to a double-encoded sibling of the warehouse
    let siblings: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings, vec!["données-é".to_string()]);
}

/// Issue 20: a REST server that accepts and never answers made `icehelper list` wait forever.
#[test]
fn a_rest_server_that_never_answers_is_an_error_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // accept and hold every connection, never writing a byte (ends with the test process)
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().take(16).flatten() {
            held.push(c);
        }
    });
    let home = tempfile::tempdir().unwrap();
    let uri = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .args([
            "--uri",
            &uri,
            "-P",
            "rest.client.socket-timeout-ms=1000",
            "list",
        ])
        .env("HOME", home.path())
        .env_remove("PYICEBERG_HOME")
        .env_remove("ICEHELPER_CATALOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("icehelper list still waits for a silent server after 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot open catalog"), "{err}");

    // a malformed timeout is named
    let out = icehelper_with(
        home.path(),
        &[
            "--uri".into(),
            uri.clone(),
            "-P".into(),
            "rest.client.socket-timeout-ms=soon".into(),
        ],
        &["list"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("rest.client.socket-timeout-ms"), "{err}");
}

/// Issue 20: expiry committed first and read the expired snapshots' manifests afterwards, so an
/// unreadable one made it exit 2 with the table already changed.
#[test]
fn expiry_reads_what_it_will_clean_before_it_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let snaps = icehelper_json(&db, &wh_uri, &["snapshots", "db.cities", "-o", "json"], 0);
    let list: Vec<Value> = snaps
        .as_array()
        .or_else(|| snaps["snapshots"].as_array())
        .unwrap()
        .clone();
    assert_eq!(list.len(), 4, "{snaps}");
    let oldest = list
        .iter()
        .min_by_key(|s| s["sequence_number"].as_i64().unwrap())
        .unwrap();
    std::fs::write(
        local(oldest["manifest_list"].as_str().unwrap()),
        b"not an avro file",
    )
    .unwrap();
    let tree_before = tree(dir.path());
    std::thread::sleep(Duration::from_millis(1100));
    let cutoff = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let out = icehelper_lake(
        &db,
        &wh_uri,
        &[
            "expire-snapshots",
            "db.cities",
            "--older-than",
            &cutoff,
            "--retain-last",
            "1",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(tree(dir.path()) == tree_before, "the table changed: {err}");
    let after = icehelper_json(&db, &wh_uri, &["snapshots", "db.cities", "-o", "json"], 0);
    assert_eq!(after, snaps);
}

/// Issue 20: a migration could set a malformed `commit.retry.*`, after which every icehelper
/// write failed, the repairing migration included.
#[test]
fn malformed_properties_are_refused_and_never_block_the_repair() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let migrate = |code: i32| {
        let out = icehelper_lake(
            &db,
            &wh_uri,
            &[
                "migrate",
                "db.cities",
                "--dir",
                migrations.to_str().unwrap(),
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{err}");
        err
    };
    let props = || {
        icehelper_json(&db, &wh_uri, &["describe", "db.cities", "-o", "json"], 0)["properties"]
            .clone()
    };

    // refused: nothing written
    for (key, value) in [
        ("commit.retry.num-retries", "many"),
        ("gc.enabled", "maybe"),
        ("write.target-file-size-bytes", "1"),
    ] {
        std::fs::write(
            migrations.join("0001_bad.toml"),
            format!(
                "[[change]]\nop = \"set-properties\"\nproperties = {{ \"{key}\" = \"{value}\" }}\n"
            ),
        )
        .unwrap();
        let before = tree(dir.path());
        let err = migrate(2);
        assert!(
            err.contains(key) && err.trim().lines().count() == 1,
            "{err}"
        );
        assert!(tree(dir.path()) == before, "{key}: the table changed");
    }

    // another engine set a malformed value: the migration that repairs it still commits
    tables(
        &db,
        &wh_uri,
        &[
            "set-prop",
            "--table",
            "db.cities",
            "--prop",
            "commit.retry.num-retries=many",
        ],
    );
    std::fs::write(
        migrations.join("0001_bad.toml"),
        "[[change]]\nop = \"set-properties\"\nproperties = { \"commit.retry.num-retries\" = \"6\" }\n",
    )
    .unwrap();
    migrate(0);
    assert_eq!(props()["commit.retry.num-retries"], "6");
    assert_eq!(pyiceberg_rows(&db, &wh_uri, "db.cities")["count"], 28);
}

/// The length of an Avro object container file's header (magic, metadata map, sync marker):
/// the file cut there is still a valid Avro file, with no records.
fn avro_header_len(b: &[u8]) -> usize {
    assert_eq!(&b[..4], b"Obj\x01", "not an Avro file");
    let mut pos = 4;
    let long = |pos: &mut usize| -> i64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[*pos];
            *pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    };
    loop {
        let mut n = long(&mut pos);
        if n == 0 {
            break;
        }
        if n < 0 {
            n = -n;
            long(&mut pos); // block size in bytes
        }
        for _ in 0..n * 2 {
            let len = long(&mut pos) as usize;
            pos += len;
        }
    }
    pos + 16
}

/// Issue 20: a manifest list cut at a block boundary parses as a list with no manifests, and
/// everything only it reached looked orphaned.
#[test]
fn orphan_removal_refuses_metadata_that_does_not_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let described = icehelper_json(&db, &wh_uri, &["describe", "db.cities", "-o", "json"], 0);
    let snaps = icehelper_json(&db, &wh_uri, &["snapshots", "db.cities", "-o", "json"], 0);
    let current = described["current_snapshot_id"].as_i64().unwrap();
    let list = snaps
        .as_array()
        .or_else(|| snaps["snapshots"].as_array())
        .unwrap()
        .iter()
        .find(|s| s["snapshot_id"].as_i64() == Some(current))
        .unwrap()["manifest_list"]
        .as_str()
        .unwrap()
        .to_string();
    let bytes = std::fs::read(local(&list)).unwrap();
    let header = avro_header_len(&bytes);
    assert!(header < bytes.len());
    std::fs::write(local(&list), &bytes[..header]).unwrap();
    backdate(dir.path(), 4);
    let before = tree(dir.path());
    let out = icehelper_lake(&db, &wh_uri, &["remove-orphan-files", "db.cities"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.trim().lines().count() == 1 && err.contains(&list) && err.contains("total-data-files"),
        "{err}"
    );
    assert!(tree(dir.path()) == before, "files were deleted: {err}");
}

/// Issue 20: a locked or damaged SQLite catalog was taken for an empty one: every table "did not
/// exist" and `list` exited 0.
#[test]
fn a_locked_or_damaged_sqlite_catalog_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);

    // another process holds an exclusive lock for longer than the busy timeout
    let mut holder = std::process::Command::new(pyiceberg_python())
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             time.sleep(30)",
            db.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    for args in [&["list", "db"][..], &["describe", "db.cities"][..]] {
        let out = icehelper_lake(&db, &wh_uri, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} under a lock: {err}");
        assert!(
            err.contains("locked") && !err.contains("does not exist"),
            "{args:?}: {err}"
        );
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(icehelper_lake(&db, &wh_uri, &["describe", "db.cities"])
        .status
        .success());

    // not a database at all
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let out = icehelper_lake(&db, &wh_uri, &["list", "db"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a database") && !err.contains("does not exist"),
        "{err}"
    );
}

/// Issue 20: `compact --branch b1` racing an append to `main` failed with "Cannot add snapshot
/// with sequence number N older than last sequence number N": the append took the sequence
/// number the compaction had planned with. It is a conflict, and the attempt is re-planned.
#[test]
fn branch_compaction_replans_when_main_takes_its_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    let sql: Vec<String> = vec![
        "--catalog".into(),
        "lake".into(),
        "--uri".into(),
        format!("sqlite:///{}", db.display()),
        "--warehouse".into(),
        wh_uri.clone(),
    ];
    branch_race(dir.path(), &db, &wh_uri, &sql, None);
}

/// The same race through the Iceberg REST catalog (Iceberg 1.10's own REST server over the
/// same SQLite catalog).
#[test]
fn branch_compaction_replans_through_a_rest_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let server = RestCatalogServer::start(&db, &wh_uri, "lake", None);
    let rest: Vec<String> = vec![
        "--catalog".into(),
        "lake".into(),
        "--uri".into(),
        server.uri.clone(),
        "--warehouse".into(),
        wh_uri.clone(),
    ];
    // the fixture's JDBC connection keeps SQLite busy: PyIceberg appends through it too
    branch_race(dir.path(), &db, &wh_uri, &rest, Some(&server.uri));
}

fn branch_race(home: &Path, db: &Path, wh_uri: &str, catalog: &[String], rest: Option<&str>) {
    if !db.exists() {
        tables(db, wh_uri, &["cities", "--table", "db.cities"]);
    }
    let created = icehelper_with(home, catalog, &["branch", "create", "db.cities", "b1"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let compact = Paused::start(
        home,
        catalog,
        &[
            "compact",
            "db.cities",
            "--branch",
            "b1",
            "--min-input-files",
            "2",
            "-o",
            "json",
        ],
    );
    // planned: now main moves on
    let mut append = vec!["append", "--table", "db.cities"];
    if let Some(uri) = rest {
        append.extend(["--rest-uri", uri]);
    }
    tables(db, wh_uri, &append);
    let (out, rest) = compact.resume();
    assert_eq!(out.status.code(), Some(0), "{rest}");
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(m["retries"].as_u64().unwrap() >= 1, "{m}");
    assert_eq!(m["rewritten_data_files"], 28, "{m}");
    let spark = spark_sql(
        db,
        Path::new(wh_uri.strip_prefix("file://").unwrap()),
        &[
            "SELECT count(*) FROM lake.db.cities",
            "SELECT count(*) FROM lake.db.cities VERSION AS OF 'b1'",
        ],
    );
    assert_eq!(spark[0][0][0], 35);
    assert_eq!(spark[1][0][0], 28);
    assert_eq!(pyiceberg_rows(db, wh_uri, "db.cities")["count"], 35);
}

/// Issue 20: a SQLite catalog locked by another engine past the busy timeout failed icehelper's
/// commit ("database is locked"); the commit is now tried again, as nothing was swapped.
#[test]
fn a_commit_waits_out_another_engines_long_sqlite_lock() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let catalog: Vec<String> = vec![
        "--catalog".into(),
        "lake".into(),
        "--uri".into(),
        format!("sqlite:///{}", db.display()),
        "--warehouse".into(),
        wh_uri.clone(),
    ];
    let compact = Paused::start(
        dir.path(),
        &catalog,
        &[
            "compact",
            "db.cities",
            "--min-input-files",
            "2",
            "-o",
            "json",
        ],
    );
    // another engine's transaction holds the database for 8 s (the busy timeout is 5 s)
    let mut holder = std::process::Command::new(pyiceberg_python())
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             time.sleep(8)\n\
             c.execute('COMMIT')",
            db.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut locked = String::new();
    std::io::BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut locked)
        .unwrap();
    assert_eq!(locked.trim(), "locked");
    let (out, rest) = compact.resume();
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{rest}");
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["commits"], 1, "{m}");
    assert_eq!(pyiceberg_rows(&db, &wh_uri, "db.cities")["count"], 28);
}

/// Issue 20: compaction under partition evolution rewrote each old-spec partition on its own,
/// so every one of them left files in every new partition (22 files became 49).
#[test]
fn files_of_an_older_spec_are_grouped_by_their_new_partition() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh = dir.path().join("wh");
    let wh_uri = format!("file://{}", wh.display());
    tables(&db, &wh_uri, &["cities", "--table", "db.cities"]);
    let before = pyiceberg_rows(&db, &wh_uri, "db.cities");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("0001_by_id.toml"),
        "[[change]]\nop = \"remove-partition-field\"\nname = \"city\"\n\n\
         [[change]]\nop = \"add-partition-field\"\nsource = \"id\"\ntransform = \"bucket[2]\"\n",
    )
    .unwrap();
    icehelper_json(
        &db,
        &wh_uri,
        &[
            "migrate",
            "db.cities",
            "--dir",
            migrations.to_str().unwrap(),
            "-o",
            "json",
        ],
        0,
    );
    let m = icehelper_json(
        &db,
        &wh_uri,
        &[
            "compact",
            "db.cities",
            "--min-input-files",
            "2",
            "-o",
            "json",
        ],
        0,
    );
    assert_eq!(m["rewritten_data_files"], 28, "{m}");
    // 7 city partitions of the old spec into the 2 buckets of the new one: 2 files, not 14
    assert_eq!(m["added_data_files"], 2, "{m}");
    assert_eq!(pyiceberg_rows(&db, &wh_uri, "db.cities"), before);
    let spark = spark_sql(
        &db,
        &wh,
        &["SELECT count(*), count(DISTINCT city) FROM lake.db.cities"],
    );
    assert_eq!(spark[0][0][0], 28);
    assert_eq!(spark[0][0][1], 7);
}

/// Issue 20, item 3: a schema nested past serde_json's recursion limit (a list 126 deep, which
/// PyIceberg writes and reads) once made the table unloadable by every icehelper command.
#[test]
fn tables_nested_past_serde_jsons_limit_load_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let wh_uri = format!("file://{}", dir.path().join("wh").display());
    tables(&db, &wh_uri, &["deep", "--table", "db.deep"]);
    let described = icehelper_json(&db, &wh_uri, &["describe", "db.deep", "-o", "json"], 0);
    assert_eq!(described["table"], "db.deep", "{described}");

    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("0001_note.toml"),
        "[[change]]\nop = \"add-column\"\nname = \"note\"\ntype = \"string\"\n",
    )
    .unwrap();
    let out = icehelper_lake(
        &db,
        &wh_uri,
        &["migrate", "db.deep", "--dir", migrations.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // PyIceberg loads what icehelper committed (its scan of so deep a type overflows Python's stack)
    let seen = tables(&db, &wh_uri, &["columns", "--table", "db.deep"]);
    assert_eq!(
        seen["db.deep"]["columns"],
        serde_json::json!(["id", "deep", "note"])
    );
    assert_eq!(seen["db.deep"]["records"], 2);
}
