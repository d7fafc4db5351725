//! Postgres CDC → Strimzi Kafka (Debezium) → Iceberg → daily aggregation → nightly maintenance.
//!
//! ```text
//! cargo run -p examples --example cdc-lakehouse -- [--out deploy] [--bases DIR] [--render-bases]
//! ```

fn main() -> std::process::ExitCode {
    examples::cli::main(&[], |_| examples::pipelines::cdc_lakehouse::overlay())
}
