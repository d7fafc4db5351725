//! `icehelper`: inspect and maintain Apache Iceberg tables. Argument parsing, output and exit
//! codes live here; everything Iceberg lives in `icehelper-core`.

mod cli;
mod commands;
mod errors;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

/// What a command found: exit 0, or 1 for "found a problem" (like `diff`).
#[derive(Debug)]
pub enum Outcome {
    Ok,
    Problem,
}

fn init_logging(quiet: bool, verbose: u8) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        // sqlx warns about connection parameters with their values (sslpassword): keep it quiet
        (false, 0) => "warn,sqlx=error",
        (false, 1) => "info,icehelper_core=info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ICEHELPER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Lines joined by single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        // `icehelper` or `icehelper branch` alone: the help, on stderr, exit 2 (as cargo does)
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            e.exit()
        }
        Err(e) => {
            // one line with all clap says: what is wrong, the usage, the tip
            eprintln!("{}", one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    init_logging(cli.global.quiet, cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Problem) => ExitCode::from(1),
        Err(e) if e.downcast_ref::<output::BrokenPipe>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            // one line: the message in the CLI's words, then the causes, joined
            eprintln!("error: {}", errors::message(&e));
            ExitCode::from(2)
        }
    }
}
