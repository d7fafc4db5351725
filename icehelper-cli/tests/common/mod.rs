//! Helpers shared by icehelper's integration tests: the real binary, the real oracles.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use test_support::{env_path, files_under, tree};

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

/// Checks icehelper's `partition-health` JSON against PyIceberg's `inspect.partitions()` rows
/// (from make_pyiceberg_table.py), keyed by partition value and spec id.
pub fn assert_partitions_match_pyiceberg(health: &serde_json::Value, fixture: &serde_json::Value) {
    use std::collections::HashMap;
    assert_eq!(health["table"]["record_count"], fixture["rows"]);
    let key = |r: &serde_json::Value| format!("{}/{}", r["partition"], r["spec_id"]);
    let ours: HashMap<String, &serde_json::Value> = health["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (key(r), r))
        .collect();
    let theirs = fixture["partitions"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "partition rows");
    for t in theirs {
        let o = ours
            .get(&key(t))
            .unwrap_or_else(|| panic!("no row for {}", key(t)));
        for c in [
            "record_count",
            "file_count",
            "total_data_file_size_in_bytes",
            "last_updated_snapshot_id",
        ] {
            assert_eq!(o[c], t[c], "{c} of {}", key(t));
        }
    }
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
        Postgres::start_inner(false)
    }

    /// A server that takes TLS connections only (a self-signed certificate; any plain
    /// connection is rejected by pg_hba.conf), as managed PostgreSQL services are set up.
    pub fn start_tls_only() -> Postgres {
        Postgres::start_inner(true)
    }

    fn start_inner(tls: bool) -> Postgres {
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
        let mut tls_args: Vec<String> = Vec::new();
        if tls {
            let cert = Command::new("openssl")
                .args([
                    "req",
                    "-new",
                    "-x509",
                    "-days",
                    "2",
                    "-nodes",
                    "-subj",
                    "/CN=127.0.0.1",
                ])
                .arg("-keyout")
                .arg(data.join("server.key"))
                .arg("-out")
                .arg(data.join("server.crt"))
                .output()
                .unwrap();
            assert!(
                cert.status.success(),
                "openssl: {}",
                String::from_utf8_lossy(&cert.stderr)
            );
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n",
            )
            .unwrap();
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&data)
                .status()
                .unwrap();
            assert!(owned.success());
            let key = data.join("server.key");
            assert!(Command::new("chmod")
                .arg("600")
                .arg(&key)
                .status()
                .unwrap()
                .success());
            tls_args = vec!["-c".into(), "ssl=on".into()];
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_pg("postgres")
            .arg("-D")
            .arg(&data)
            .args(&tls_args)
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
            .env("PGSSLMODE", "prefer")
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

/// `icehelper` with the given catalog flags, HOME set to `home` and no PyIceberg config.
pub fn icehelper_with(home: &Path, catalog_flags: &[String], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .args(catalog_flags)
        .args(args)
        .env_remove("PYICEBERG_HOME")
        .env_remove("ICEHELPER_CATALOG")
        .env("HOME", home)
        .output()
        .expect("run icehelper")
}

/// The jars that run Apache Iceberg 1.10's Java code outside Spark, found from the Spark
/// oracle's python (`DATA_TIER_SPARK_PYTHON`) as `spark_sql.py` finds them: the Iceberg Spark
/// runtime jar, the relocated Jackson jars beside the venv (`shaded/shaded-*.jar`), pyspark's
/// slf4j-api, and the Debian SQLite JDBC driver.
pub fn iceberg_java_classpath() -> Vec<PathBuf> {
    let python = env_path(
        "DATA_TIER_SPARK_PYTHON",
        "the python of the Spark oracle (setup-spark-iceberg.sh)",
    );
    let script = r#"
import glob, importlib.util, os, sys
def pkg(name):
    spec = importlib.util.find_spec(name)
    if spec is None:
        sys.exit(f"{name} is not installed in {sys.executable}")
    return spec.submodule_search_locations[0]
def one(pattern):
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(f"nothing matches {pattern}")
    return found
print(one(os.path.join(pkg("snowpark_connect_deps_iceberg"), "jars", "iceberg-spark-runtime-3.5_2.12-*.jar"))[-1])
print(one(os.path.join(pkg("pyspark"), "jars", "slf4j-api-*.jar"))[-1])
print("\n".join(one(os.path.join(os.path.dirname(sys.executable), "..", "..", "shaded", "shaded-*.jar"))))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("start {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "finding the Iceberg jars with {} failed: {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut jars: Vec<PathBuf> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(PathBuf::from)
        .collect();
    let sqlite = PathBuf::from("/usr/share/java/sqlite-jdbc.jar");
    assert!(
        sqlite.exists(),
        "{} is missing: install the Debian package libxerial-sqlite-jdbc-java",
        sqlite.display()
    );
    jars.push(sqlite);
    jars
}

fn join_classpath(parts: &[PathBuf]) -> std::ffi::OsString {
    std::env::join_paths(parts).expect("classpath")
}

/// tests/java/RestCatalogFixture.java compiled once per test process; returns the classpath
/// that runs it.
pub fn rest_fixture_classpath() -> &'static std::ffi::OsString {
    static CP: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    CP.get_or_init(|| {
        let mut jars = iceberg_java_classpath();
        let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rest-catalog-fixture");
        let _ = std::fs::remove_dir_all(&classes);
        std::fs::create_dir_all(&classes).unwrap();
        let out = Command::new("javac")
            .args(["-nowarn", "-encoding", "UTF-8", "-d"])
            .arg(&classes)
            .arg("-cp")
            .arg(join_classpath(&jars))
            .arg(tests_dir().join("java").join("RestCatalogFixture.java"))
            .output()
            .expect("start javac (a JDK 17 must be on PATH)");
        assert!(
            out.status.success(),
            "javac RestCatalogFixture.java failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        jars.push(classes);
        join_classpath(&jars)
    })
}

/// A real Iceberg REST catalog (tests/java/RestCatalogFixture.java: Iceberg 1.10's
/// CatalogHandlers over a JdbcCatalog in a SQLite file) on 127.0.0.1, stopped on drop.
pub struct RestCatalogServer {
    child: std::process::Child,
    pub uri: String,
    /// The server's request log (one line per request) and any Java errors.
    pub log: PathBuf,
}

impl RestCatalogServer {
    /// Serves the SQLite catalog `db` (rows keyed by `catalog_name`) with `warehouse`;
    /// with `token`, every request needs `Authorization: Bearer TOKEN`.
    pub fn start(
        db: &Path,
        warehouse: &str,
        catalog_name: &str,
        token: Option<&str>,
    ) -> RestCatalogServer {
        use std::io::BufRead;
        let cp = rest_fixture_classpath();
        let log = db.with_extension("rest-server.log");
        let jni = format!("/usr/lib/{}-linux-gnu/jni", std::env::consts::ARCH);
        let mut cmd = Command::new("java");
        cmd.arg(format!("-Djava.library.path={jni}"))
            .arg("-cp")
            .arg(cp)
            .arg("RestCatalogFixture")
            .arg("--db")
            .arg(db)
            .args(["--warehouse", warehouse, "--catalog-name", catalog_name])
            .args(["--port", "0"]);
        if let Some(t) = token {
            cmd.args(["--token", t]);
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start java (a JDK 17 must be on PATH)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the REST catalog fixture did not print its port ({line:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        RestCatalogServer {
            child,
            uri: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// The request log so far.
    pub fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RestCatalogServer {
    fn drop(&mut self) {
        // closing stdin stops the fixture; kill it if it lingers
        drop(self.child.stdin.take());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sets every file's modification time under `dir` to `days` ago.
pub fn backdate(dir: &Path, days: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    for p in files_under(dir) {
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
}

/// icehelper with `catalog` flags running `args`, stopped at the failpoint `commit.planned`
/// (planned, not committed) until [`Paused::resume`].
pub struct Paused {
    child: std::process::Child,
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Paused {
    pub fn start(home: &Path, catalog: &[String], args: &[&str]) -> Paused {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_icehelper"))
            .args(catalog)
            .args(args)
            .env("HOME", home)
            .env_remove("PYICEBERG_HOME")
            .env_remove("ICEHELPER_CATALOG")
            .env("ICEHELPER_FAILPOINT", "commit.planned:pause")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        assert!(line.contains("commit.planned: paused"), "{line}");
        Paused { child, stderr }
    }

    /// Lets it commit; its output and the rest of its stderr.
    pub fn resume(mut self) -> (Output, String) {
        use std::io::{Read, Write};
        self.child.stdin.take().unwrap().write_all(b"\n").unwrap();
        let out = self.child.wait_with_output().unwrap();
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        (out, rest)
    }
}
