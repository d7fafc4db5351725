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

/// A real S3 server (s3s-fs, which checks request signatures) on 127.0.0.1, stopped on drop.
pub struct S3Server {
    child: std::process::Child,
    pub endpoint: String,
    pub root: tempfile::TempDir,
}

pub const S3_ACCESS_KEY: &str = "icehelper-test";
pub const S3_SECRET_KEY: &str = "icehelper-test-secret";

impl S3Server {
    /// Starts s3s-fs with the given buckets (folders of its root).
    pub fn start(buckets: &[&str]) -> S3Server {
        let bin = env_path(
            "DATA_TIER_S3S_FS",
            "the s3s-fs binary (cargo install s3s-fs --features binary)",
        );
        let root = tempfile::tempdir().unwrap();
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "s3s-fs did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
        }
    }

    /// PyIceberg / icehelper properties for this server.
    pub fn properties(&self) -> Vec<(String, String)> {
        vec![
            ("s3.endpoint".into(), self.endpoint.clone()),
            ("s3.access-key-id".into(), S3_ACCESS_KEY.into()),
            ("s3.secret-access-key".into(), S3_SECRET_KEY.into()),
            ("s3.region".into(), "us-east-1".into()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throwaway PostgreSQL server on 127.0.0.1 (initdb in a temp folder, run as the `postgres`
/// user, trust authentication), stopped on drop.
pub struct Postgres {
    child: std::process::Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = env_path(
            "DATA_TIER_PG_BIN",
            "PostgreSQL's bin folder (initdb, postgres)",
        );
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(chown.success(), "chown to postgres");
        let as_pg = |prog: &str| {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(prog));
            c
        };
        let init = as_pg("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_pg("postgres")
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "postgres did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let created = Command::new(bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "lake",
            ])
            .output()
            .unwrap();
        assert!(
            created.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        Postgres {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
