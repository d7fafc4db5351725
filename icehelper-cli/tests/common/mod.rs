//! Helpers shared by icehelper's integration tests: the real binary, the real oracles.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A path from an environment variable the test script sets; a clear failure when unset.
pub fn env_path(var: &str, what: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => panic!(
            "{var} is not set: it must point at {what}. Run the tests through `scripts/test`, which installs and exports it."
        ),
    }
}

/// The python of the PyIceberg 0.12 venv.
pub fn pyiceberg_python() -> PathBuf {
    env_path(
        "DATA_TIER_PYICEBERG_PYTHON",
        "the python of a venv with pyiceberg 0.12",
    )
}

pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Runs one of the Python helpers under tests/python with PyIceberg's python; returns stdout.
pub fn run_pyiceberg(script: &str, args: &[&str]) -> String {
    let out = Command::new(pyiceberg_python())
        .arg(tests_dir().join("python").join(script))
        .args(args)
        .output()
        .expect("start python");
    assert!(
        out.status.success(),
        "{script} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs Spark SQL statements through the shared oracle; returns one JSON array per statement.
pub fn spark_sql(db: &Path, warehouse: &Path, statements: &[&str]) -> Vec<serde_json::Value> {
    let python = env_path(
        "DATA_TIER_SPARK_PYTHON",
        "the python of the Spark oracle (setup-spark-iceberg.sh)",
    );
    let script = env_path("DATA_TIER_SPARK_SQL", "shared/oracles/spark_sql.py");
    let out = Command::new(python)
        .arg(script)
        .arg("--catalog-db")
        .arg(db)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--catalog-name")
        .arg("lake")
        .args(statements)
        .output()
        .expect("start spark");
    assert!(
        out.status.success(),
        "spark_sql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| serde_json::from_str(l).expect("spark_sql prints JSON"))
        .collect()
}

/// `icehelper` with the catalog flags for a SQLite catalog named `lake`.
pub fn icehelper_lake(db: &Path, warehouse: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_icehelper"));
    cmd.arg("--catalog")
        .arg("lake")
        .arg("--uri")
        .arg(format!("sqlite:///{}", db.display()))
        .arg("--warehouse")
        .arg(warehouse)
        .args(args)
        .env_remove("PYICEBERG_HOME")
        .env("HOME", db.parent().unwrap());
    cmd.output().expect("run icehelper")
}

/// Runs icehelper and parses its JSON stdout, asserting the exit code.
pub fn icehelper_json(db: &Path, warehouse: &str, args: &[&str], code: i32) -> serde_json::Value {
    let out = icehelper_lake(db, warehouse, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "icehelper {args:?}: stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "icehelper {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
