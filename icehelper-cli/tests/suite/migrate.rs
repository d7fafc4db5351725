//! `icehelper migrate` on PyIceberg-written tables, checked against PyIceberg 0.12's own
//! `update_schema`/`update_spec`/`update_sort_order` on a twin table and read back by PyIceberg
//! and Spark 3.5 + Iceberg 1.10.


use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

fn migrations(name: &str) -> PathBuf {
    tests_dir().join("migrations").join(name)
}

struct Lake {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: PathBuf,
    wh: PathBuf,
    wh_uri: String,
}

fn lake(tables: &[&str]) -> Lake {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let db = root.join("catalog.db");
    let wh = root.join("warehouse");
    let wh_uri = format!("file://{}", wh.display());
    let mut args = vec![
        "create",
        "--db",
        db.to_str().unwrap(),
        "--warehouse",
        &wh_uri,
    ];
    for t in tables {
        args.extend(["--table", t]);
    }
    run_pyiceberg("migrate_oracle.py", &args);
    Lake {
        _dir: dir,
        root,
        db,
        wh,
        wh_uri,
    }
}

fn show(l: &Lake, table: &str) -> Value {
    serde_json::from_str(&run_pyiceberg(
        "migrate_oracle.py",
        &[
            "show",
            "--db",
            l.db.to_str().unwrap(),
            "--warehouse",
            &l.wh_uri,
            "--table",
            table,
        ],
    ))
    .unwrap()
}

fn metadata_location(l: &Lake, table: &str) -> String {
    let d = icehelper_json(
        &l.db,
        &l.wh_uri,
        &["describe", table, "--output", "json"],
        0,
    );
    d["metadata_location"].as_str().unwrap().to_string()
}

fn migrate(l: &Lake, table: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["migrate", table, "--dir", dir.to_str().unwrap()];
    args.extend(extra);
    icehelper_lake(&l.db, &l.wh_uri, &args)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder with the given files (name, text).
fn dir_with(root: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    for (f, text) in files {
        std::fs::write(d.join(f), text).unwrap();
    }
    d
}

#[test]
fn migrations_match_pyiceberg_and_spark_reads_and_writes_after_them() {
    let l = lake(&["db.orders", "db.twin", "db.base"]);
    let before = show(&l, "db.orders");
    let dir = migrations("orders");

    // dry run: the diff per file, nothing written
    let loc0 = metadata_location(&l, "db.orders");
    let dry = icehelper_json(
        &l.db,
        &l.wh_uri,
        &[
            "migrate",
            "db.orders",
            "--dir",
            dir.to_str().unwrap(),
            "--dry-run",
            "--output",
            "json",
        ],
        0,
    );
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["commits"], 0);
    assert_eq!(dry["migrations"].as_array().unwrap().len(), 2);
    let kinds: Vec<&str> = dry["migrations"][0]["diff"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    for k in [
        "added",
        "renamed",
        "type-promoted",
        "made-optional",
        "doc-changed",
        "moved",
    ] {
        assert!(kinds.contains(&k), "dry-run diff lacks {k}: {kinds:?}");
    }
    assert_eq!(
        dry["migrations"][1]["diff"]["partition_changes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(metadata_location(&l, "db.orders"), loc0, "dry run wrote");

    // apply: one commit per file
    let out = migrate(&l, "db.orders", &dir, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let applied: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(applied["commits"], 2);
    assert_eq!(applied["from_version"], Value::Null);
    assert_eq!(applied["to_version"], "0002");

    // the twin, changed by PyIceberg itself: same schema JSON, spec and sort order
    run_pyiceberg(
        "migrate_oracle.py",
        &[
            "twin",
            "--db",
            l.db.to_str().unwrap(),
            "--warehouse",
            &l.wh_uri,
            "--table",
            "db.twin",
        ],
    );
    let ours = show(&l, "db.orders");
    let twin = show(&l, "db.twin");
    for k in [
        "schema",
        "last_column_id",
        "spec",
        "last_partition_id",
        "sort_order",
    ] {
        assert_eq!(ours[k], twin[k], "{k} differs from PyIceberg's update");
    }
    assert_eq!(
        ours["properties"]["icehelper.migrate.version"], "0002",
        "bookkeeping"
    );
    assert_eq!(
        ours["properties"]["write.parquet.compression-codec"],
        "zstd"
    );
    assert!(ours["properties"]["icehelper.migrate.0001.checksum"]
        .as_str()
        .is_some_and(|c| c.len() == 64));

    // PyIceberg reads every old row under the new schema
    assert_eq!(ours["rows"], before["rows"]);
    assert_eq!(ours["sum_amount_usd"], before["sum_amount"]);
    assert_eq!(ours["channel_nulls"], before["rows"]);
    assert_eq!(ours["zip_nulls"], before["rows"]);
    assert_eq!(ours["towns"], serde_json::json!(["c0", "c1", "c2", "c3"]));
    let cols: Vec<&str> = ours["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        cols,
        [
            "tags",
            "ts",
            "id",
            "country",
            "channel",
            "amount_usd",
            "qty",
            "price",
            "address",
            "code"
        ]
    );

    // running again applies nothing and writes no metadata file
    let loc1 = metadata_location(&l, "db.orders");
    let again = icehelper_json(
        &l.db,
        &l.wh_uri,
        &[
            "migrate",
            "db.orders",
            "--dir",
            dir.to_str().unwrap(),
            "--output",
            "json",
        ],
        0,
    );
    assert_eq!(again["commits"], 0);
    assert_eq!(again["migrations"].as_array().unwrap().len(), 0);
    assert_eq!(metadata_location(&l, "db.orders"), loc1);

    // --generate: the migration from the untouched copy to the migrated table, applied to the
    // copy, leaves no schema difference
    let gen = icehelper_lake(
        &l.db,
        &l.wh_uri,
        &["migrate", "--generate", "db.base", "db.orders"],
    );
    assert_eq!(gen.status.code(), Some(0), "{}", stderr(&gen));
    let text = String::from_utf8(gen.stdout).unwrap();
    let gdir = dir_with(&l.root, "generated", &[("0001_generated.toml", &text)]);
    let out = migrate(&l, "db.base", &gdir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{text}", stderr(&out));
    let base = show(&l, "db.base");
    for k in ["schema", "spec", "sort_order"] {
        assert_eq!(
            base[k], ours[k],
            "{k} after the generated migration:\n{text}"
        );
    }

    // Spark reads the old rows under the new names and writes rows with the new columns
    let res = spark_sql(
        &l.db,
        &l.wh,
        &[
            "INSERT INTO lake.db.orders (tags, ts, id, country, channel, amount_usd, qty, price, address, code) \
             VALUES (map('a', named_struct('score', 1.0D, 'seen', TIMESTAMP '2024-06-01 00:00:00')), \
             TIMESTAMP '2024-06-01 10:00:00', 1000, 'de', 'web', 12.5D, 5000000000L, 123456789.25BD, \
             named_struct('street', 'x', 'town', 'y', 'zip', '10115'), NULL)",
            "SELECT count(*) AS n, count(channel) AS channels, sum(amount_usd) AS amount, max(qty) AS qty FROM lake.db.orders",
            "SELECT address.town AS town, address.zip AS zip, channel, code FROM lake.db.orders WHERE id = 1000",
            "SELECT count(*) AS n FROM lake.db.orders WHERE address.town = 'c1' AND channel IS NULL",
            "SELECT spec_id, count(*) AS files FROM lake.db.orders.files GROUP BY spec_id ORDER BY spec_id",
        ],
    );
    let rows = before["rows"].as_u64().unwrap();
    assert_eq!(res[1][0][0], rows + 1);
    assert_eq!(res[1][0][1], 1);
    assert_eq!(
        res[1][0][2].as_f64().unwrap(),
        before["sum_amount"].as_f64().unwrap() + 12.5
    );
    assert_eq!(res[1][0][3], 5_000_000_000u64);
    assert_eq!(res[2][0][0], "y");
    assert_eq!(res[2][0][1], "10115");
    assert_eq!(res[2][0][3], Value::Null);
    assert_eq!(res[3][0][0], rows / 4);
    let specs: Vec<i64> = res[4]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert_eq!(specs, [0, 1], "the new row is written in the new spec");
    // and PyIceberg reads Spark's row too
    let after = show(&l, "db.orders");
    assert_eq!(after["rows"], rows + 1);
}

#[test]
fn bad_and_edited_migrations_are_refused_and_change_nothing() {
    let l = lake(&["db.orders"]);
    let one =
        std::fs::read_to_string(migrations("orders").join("0001_evolve_columns.toml")).unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("rename-missing", "[[change]]\nop = \"rename-column\"\nfrom = \"amout\"\nto = \"x\"\n", "column 'amout' does not exist"),
        ("narrow", "[[change]]\nop = \"widen-type\"\ncolumn = \"amount\"\nto = \"float\"\n", "incompatible type change"),
        ("string-to-int", "[[change]]\nop = \"widen-type\"\ncolumn = \"country\"\nto = \"int\"\n", "incompatible type change"),
        ("required", "[[change]]\nop = \"add-column\"\nname = \"x\"\ntype = \"int\"\nrequired = true\n", "cannot add a required column"),
        ("clash", "[[change]]\nop = \"add-column\"\nname = \"Country\"\ntype = \"string\"\n", "name clash"),
        ("rename-clash", "[[change]]\nop = \"rename-column\"\nfrom = \"qty\"\nto = \"amount\"\n", "name clash"),
        ("drop-partition-source", "[[change]]\nop = \"drop-column\"\ncolumn = \"country\"\n", "source of partition field"),
        ("drop-identifier", "[[change]]\nop = \"drop-column\"\ncolumn = \"id\"\n", "identifier field"),
        ("drop-missing", "[[change]]\nop = \"drop-column\"\ncolumn = \"nope\"\n", "does not exist"),
        ("bad-type", "[[change]]\nop = \"add-column\"\nname = \"x\"\ntype = \"varchar\"\n", "unknown type"),
        ("bad-op", "[[change]]\nop = \"rename-table\"\n", "unknown variant"),
        ("bad-transform", "[[change]]\nop = \"add-partition-field\"\nsource = \"country\"\ntransform = \"day\"\n", "does not apply"),
        // the second file is bad: the first must not be applied either
        ("second-file-bad", "[[change]]\nop = \"drop-column\"\ncolumn = \"channel\"\n[[change]]\nop = \"drop-column\"\ncolumn = \"channel\"\n", "0002_bad.toml: change 2 (drop-column channel)"),
    ];
    let loc = metadata_location(&l, "db.orders");
    for (name, text, expect) in cases {
        let files: Vec<(&str, &str)> = if *name == "second-file-bad" {
            vec![
                ("0001_evolve_columns.toml", one.as_str()),
                ("0002_bad.toml", text),
            ]
        } else {
            vec![("0001_bad.toml", text)]
        };
        let d = dir_with(&l.root, name, &files);
        let out = migrate(&l, "db.orders", &d, &[]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(expect), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line: {err}");
        assert_eq!(
            metadata_location(&l, "db.orders"),
            loc,
            "{name} changed the table"
        );
    }

    // applied, then edited: refused
    let d = dir_with(&l.root, "good", &[("0001_evolve_columns.toml", &one)]);
    let out = migrate(&l, "db.orders", &d, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let loc = metadata_location(&l, "db.orders");
    std::fs::write(
        d.join("0001_evolve_columns.toml"),
        format!("{one}\n# edited\n"),
    )
    .unwrap();
    let out = migrate(&l, "db.orders", &d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has been edited"), "{}", stderr(&out));
    // line endings alone are not an edit
    std::fs::write(
        d.join("0001_evolve_columns.toml"),
        one.replace('\n', "\r\n"),
    )
    .unwrap();
    let out = migrate(&l, "db.orders", &d, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // an applied version without its file, and a skipped older file, are refused
    let d2 = dir_with(
        &l.root,
        "missing",
        &[(
            "0002_x.toml",
            "[[change]]\nop = \"update-doc\"\ncolumn = \"id\"\ndoc = \"x\"\n",
        )],
    );
    let out = migrate(&l, "db.orders", &d2, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("version 0001 was applied"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        d.join("0000_late.toml"),
        "[[change]]\nop = \"update-doc\"\ncolumn = \"id\"\ndoc = \"x\"\n",
    )
    .unwrap();
    let out = migrate(&l, "db.orders", &d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("never applied"), "{}", stderr(&out));
    assert_eq!(metadata_location(&l, "db.orders"), loc);
}

#[test]
fn to_version_applies_a_prefix() {
    let l = lake(&["db.orders"]);
    let dir = migrations("orders");
    let out = icehelper_json(
        &l.db,
        &l.wh_uri,
        &[
            "migrate",
            "db.orders",
            "--dir",
            dir.to_str().unwrap(),
            "--to",
            "1",
            "--output",
            "json",
        ],
        0,
    );
    assert_eq!(out["commits"], 1);
    assert_eq!(out["to_version"], "0001");
    let shown = show(&l, "db.orders");
    assert_eq!(shown["spec"]["spec-id"], 0, "0002 not applied");
    let out = icehelper_lake(
        &l.db,
        &l.wh_uri,
        &[
            "migrate",
            "db.orders",
            "--dir",
            dir.to_str().unwrap(),
            "--to",
            "7",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = icehelper_json(
        &l.db,
        &l.wh_uri,
        &[
            "migrate",
            "db.orders",
            "--dir",
            dir.to_str().unwrap(),
            "--output",
            "json",
        ],
        0,
    );
    assert_eq!(out["from_version"], "0001");
    assert_eq!(out["commits"], 1);
}
