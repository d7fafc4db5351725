//! The dbt-runner base runs: its job code (`dbt_runner.py`, dbt-spark `session` mode) parses the
//! rendered example project and runs its model in a local Spark 3.5 + Iceberg 1.10 (JDBC catalog on
//! SQLite), and the model's table has the expected rows.
//!
//! Needs `DATA_TIER_DBT_PYTHON` (python of a venv with dbt-core, dbt-spark[session], pyspark 3.5.8 and
//! snowpark-connect-deps-iceberg) and `DATA_TIER_SPARK_PYTHON` (python of the Spark oracle venv, whose
//! `../../shaded` holds the relocated Jackson jars); see tests/README.

use std::path::{Path, PathBuf};
use std::process::Command;

use spark_templates::prelude::*;

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs Spark 3.5 and dbt (scripts/test installs them)"
)]
fn dbt_project_runs_in_local_spark() {
    let dbt_python = test_support::env_path(
        "DATA_TIER_DBT_PYTHON",
        "the python of a venv with dbt-core, dbt-spark[session], pyspark==3.5.8 and \
         snowpark-connect-deps-iceberg==1.0.3",
    );
    let spark_python = test_support::env_path(
        "DATA_TIER_SPARK_PYTHON",
        "the python of the Spark oracle venv (its ../../shaded folder has the relocated Jackson jars)",
    );
    let shaded = std::env::var_os("DATA_TIER_SPARK_SHADED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            spark_python
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .expect("DATA_TIER_SPARK_PYTHON is <oracle>/venv/bin/python")
                .join("shaded")
        });
    assert!(
        shaded.is_dir(),
        "no relocated Jackson jars in {} (run ../shared/oracles/setup-spark-iceberg.sh, or set DATA_TIER_SPARK_SHADED)",
        shaded.display()
    );

    let tmp = tempfile::tempdir().unwrap();
    let job = DbtRunner::new("dbt-analytics")
        .catalog(IcebergCatalog::jdbc(
            "lake",
            // the test session supplies the URI
            "jdbc:sqlite:catalog.db",
            SecretKeyRef::new("catalog", "user"),
            SecretKeyRef::new("catalog", "password"),
        ))
        .build()
        .unwrap();
    let base = tmp.path().join("dbt-runner");
    job.to_bundle().unwrap().write_clean(&base).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/run_dbt.py");
    let out = Command::new(&dbt_python)
        .arg(&script)
        .arg(tmp.path().join("lake"))
        .arg(base.join("dbt-analytics-code"))
        .arg(base.join("dbt-analytics-project"))
        .env("DATA_TIER_SPARK_SHADED", &shaded)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", dbt_python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("all dbt checks passed"),
        "run_dbt.py failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
