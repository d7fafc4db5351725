//! ML feature prep: Iceberg sources → feature table → maintenance, scheduled.
//!
//! ```text
//! cargo run -p examples --example ml-feature-prep -- [--out deploy] [--bases DIR] [--render-bases]
//! ```

fn main() -> std::process::ExitCode {
    examples::cli::main(&[], |_| examples::pipelines::ml_feature_prep::overlay())
}
