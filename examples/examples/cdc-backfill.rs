//! CDC backfill: replay from a timestamp into a branch, verify, publish.
//!
//! ```text
//! cargo run -p examples --example cdc-backfill -- [--from 2026-01-31T00:00:00Z] [--out deploy] [--bases DIR] [--render-bases]
//! ```

use examples::pipelines::cdc_backfill;

fn main() -> std::process::ExitCode {
    examples::cli::main(&["--from"], |options| {
        let from = options
            .extra
            .get("from")
            .map_or(cdc_backfill::DEFAULT_FROM, String::as_str);
        cdc_backfill::overlay(from)
    })
}
