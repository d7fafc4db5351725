//! The read-only commands on an `s3://` warehouse served by a real S3 server on 127.0.0.1,
//! and the storage layer's own operations there.


use crate::common::*;
use icehelper_core::storage::ObjectStorage;
use serde_json::Value;

#[test]
fn pyiceberg_table_on_s3_reads_the_same_as_pyiceberg() {
    let s3 = S3Server::start(&["lake"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let props = s3.properties();
    let mut args: Vec<String> = vec![
        "--db".into(),
        db.display().to_string(),
        "--warehouse".into(),
        "s3://lake/wh".into(),
        "--appends-before".into(),
        "3".into(),
        "--appends-after".into(),
        "2".into(),
        "--rows-per-append".into(),
        "200".into(),
    ];
    for (k, v) in &props {
        args.push("--prop".into());
        args.push(format!("{k}={v}"));
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let fixture: Value =
        serde_json::from_str(&run_pyiceberg("make_pyiceberg_table.py", &arg_refs)).unwrap();
    let stored = std::fs::read_dir(s3.root.path()).unwrap().count();
    assert!(
        stored > 100,
        "PyIceberg wrote {stored} entries to the S3 server"
    );

    let mut cli: Vec<String> = Vec::new();
    for (k, v) in &props {
        cli.push("-P".into());
        cli.push(format!("{k}={v}"));
    }
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v = cli.clone();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str]| {
        let a = with(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        icehelper_json(&db, "s3://lake/wh", &refs, 0)
    };
    let health = run(&["partition-health", "db.events", "-o", "json"]);
    assert_partitions_match_pyiceberg(&health, &fixture);
    let d = run(&["describe", "db.events", "-o", "json"]);
    assert!(d["location"].as_str().unwrap().starts_with("s3://lake/wh/"));
    let s = run(&["snapshots", "db.events", "-o", "json"]);
    assert_eq!(
        s.as_array().unwrap().len(),
        fixture["snapshots"].as_array().unwrap().len()
    );

    // wrong credentials: a clear error, exit 2
    let mut bad = with(&["describe", "db.events"]);
    for a in bad.iter_mut() {
        if a.starts_with("s3.secret-access-key=") {
            *a = "s3.secret-access-key=wrong".into();
        }
    }
    let refs: Vec<&str> = bad.iter().map(String::as_str).collect();
    let out = icehelper_lake(&db, "s3://lake/wh", &refs);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read metadata") && !err.contains("wrong"),
        "{err}"
    );
}

#[test]
fn storage_writes_lists_reads_and_deletes_on_s3() {
    use iceberg::io::Storage;
    let s3 = S3Server::start(&["bkt"]);
    let storage = ObjectStorage::new(s3.properties().into_iter().collect());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for (i, name) in ["a/x.parquet", "a/b/y.avro", "c.json"].iter().enumerate() {
            storage
                .write(
                    &format!("s3://bkt/t/{name}"),
                    vec![b'0' + i as u8; 10 + i].into(),
                )
                .await
                .unwrap();
        }
        let mut listed: Vec<(String, u64)> = storage
            .list("s3://bkt/t/a")
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.location, f.size))
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            vec![
                ("s3://bkt/t/a/b/y.avro".to_string(), 11),
                ("s3://bkt/t/a/x.parquet".to_string(), 10)
            ]
        );
        // s3a:// names the same objects and lists in its own scheme
        let s3a = storage.list("s3a://bkt/t").await.unwrap();
        assert_eq!(s3a.len(), 3);
        assert!(s3a.iter().all(|f| f.location.starts_with("s3a://bkt/t/")));
        let r = storage.reader("s3://bkt/t/c.json").await.unwrap();
        assert_eq!(&r.read(2..5).await.unwrap()[..], b"222");
        storage.delete_prefix("s3://bkt/t/a").await.unwrap();
        assert!(!storage.exists("s3://bkt/t/a/x.parquet").await.unwrap());
        assert!(storage.exists("s3://bkt/t/c.json").await.unwrap());
    });
}
