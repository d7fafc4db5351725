//! Writes every committed base under `spark-templates/bases/` (or checks them) and the release tarball.
//!
//! ```text
//! cargo run -p spark-templates --bin render-bases -- [--check] [--tarball DIR] [--out DIR]
//! ```

fn main() -> std::process::ExitCode {
    manifest_bundle::render_bases(spark_templates::release)
}
