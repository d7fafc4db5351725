//! Writes every committed base under `spark-templates/bases/` (or checks them) and the release tarball.
//!
//! ```text
//! cargo run -p spark-templates --bin render-bases -- [--check] [--tarball DIR] [--out DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut check = false;
    let mut tarball = None;
    let mut out = spark_templates::bases_dir();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--tarball" => tarball = args.next().map(PathBuf::from),
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => return usage("--out needs a folder"),
            },
            "-h" | "--help" => return usage(""),
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let bundles = match spark_templates::defaults::bundles() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale_total = 0;
    for bundle in &bundles {
        let dir = out.join(bundle.name());
        let result = if check {
            bundle.check_dir(&dir).map(|stale| {
                for s in &stale {
                    eprintln!("stale: {}/{s}", dir.display());
                }
                stale_total += stale.len();
            })
        } else {
            bundle
                .write_clean(&dir)
                .map(|()| println!("wrote {}", dir.display()))
        };
        if let Err(e) = result {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    if check && stale_total > 0 {
        eprintln!(
            "{stale_total} stale file(s); run `cargo run -p spark-templates --bin render-bases`"
        );
        return ExitCode::FAILURE;
    }
    if let Some(dir) = tarball {
        match manifest_bundle::write_tarball(
            &dir,
            "spark-templates",
            env!("CARGO_PKG_VERSION"),
            &bundles,
        ) {
            Ok(t) => println!("wrote {} (sha256 {})", t.path.display(), t.sha256),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!("usage: render-bases [--check] [--tarball DIR] [--out DIR]");
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
