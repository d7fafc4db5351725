//! icehelper's integration tests, one test binary (one link of the iceberg stack instead of one
//! per file): the real `icehelper` binary against real catalogs, storage and engines.
//!
//! The suites that need outside tools (PyIceberg 0.12, Spark 3.5 + Iceberg 1.10, PostgreSQL, an
//! S3 server, Iceberg Java's REST server) are compiled with the `external-tests` feature, which
//! `scripts/test` turns on after installing them (`scripts/setup-test-env`). Without it, plain
//! `cargo test` runs the rest and lists each skipped suite as an ignored test with the reason.

#[path = "../common/mod.rs"]
mod common;

mod argo_contract;
mod errors_and_quickstart;

/// Suites compiled only with `external-tests`, and what each needs.
macro_rules! external_suites {
    ($($suite:ident: $needs:literal;)+) => {
        $(
            #[cfg(feature = "external-tests")]
            mod $suite;
        )+
        #[cfg(not(feature = "external-tests"))]
        mod skipped {
            $(
                #[test]
                #[ignore = $needs]
                fn $suite() {
                    panic!("build with `--features external-tests` (scripts/test does) to run this suite");
                }
            )+
        }
    };
}

external_suites! {
    compact: "needs PyIceberg 0.12 and Spark 3.5 (scripts/test installs them)";
    hardening: "needs PyIceberg 0.12, Spark 3.5 and Iceberg Java's REST server (scripts/test installs them)";
    maintenance: "needs PyIceberg 0.12 and Spark 3.5 (scripts/test installs them)";
    migrate: "needs PyIceberg 0.12 and Spark 3.5 (scripts/test installs them)";
    postgres_catalog: "needs PostgreSQL and PyIceberg 0.12 (scripts/test installs them)";
    pyiceberg_interop: "needs PyIceberg 0.12 and Spark 3.5 (scripts/test installs them)";
    refs: "needs PyIceberg 0.12 and Spark 3.5 (scripts/test installs them)";
    rest_catalog: "needs Iceberg Java's REST server and PyIceberg (scripts/test installs them)";
    s3_warehouse: "needs an S3 server (s3s-fs) and PyIceberg (scripts/test installs them)";
}
