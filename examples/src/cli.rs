//! The command line the three example programs share.
//!
//! ```text
//! cargo run -p examples --example NAME -- [--out DIR] [--bases DIR] [--render-bases] [EXTRA...]
//! ```
//!
//! - `--out DIR` (default `deploy`): the overlay goes to `DIR/overlays/NAME/`.
//! - `--bases DIR` (default `$BASES`, else `DIR/vendor` of `--out`): where the template crates'
//!   release tarballs are unpacked (`<crate>-<version>/bases/<base>/`).
//! - `--render-bases`: build those tarballs from this checkout into the bases folder and unpack
//!   them (instead of downloading the release assets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::overlay::Overlay;
use crate::released;

/// Parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Output folder; the overlay goes to `out/overlays/<name>`.
    pub out: PathBuf,
    /// Where the release tarballs are (or are to be) unpacked.
    pub bases: PathBuf,
    /// Stage the bases from this checkout first.
    pub render_bases: bool,
    /// Pipeline-specific `--flag VALUE` options.
    pub extra: BTreeMap<String, String>,
}

impl Options {
    /// Parses `args` (without the program name); `extra` lists the pipeline's own `--flag VALUE`s.
    pub fn parse(args: impl IntoIterator<Item = String>, extra: &[&str]) -> Result<Self> {
        let mut out = PathBuf::from("deploy");
        let mut bases = std::env::var_os("BASES").map(PathBuf::from);
        let mut render_bases = false;
        let mut extras = BTreeMap::new();
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = |flag: &str| match args.next() {
                Some(v) => Ok(v),
                None => bail!("{flag} needs a value"),
            };
            match a.as_str() {
                "--out" => out = PathBuf::from(value("--out")?),
                "--bases" => bases = Some(PathBuf::from(value("--bases")?)),
                "--render-bases" => render_bases = true,
                flag if extra.contains(&flag) => {
                    let v = value(flag)?;
                    extras.insert(flag.trim_start_matches('-').to_owned(), v);
                }
                other => bail!("unknown argument {other}"),
            }
        }
        let bases = bases.unwrap_or_else(|| out.join("vendor"));
        Ok(Self {
            out,
            bases,
            render_bases,
            extra: extras,
        })
    }

    /// The overlay folder of pipeline `name`.
    pub fn overlay_dir(&self, name: &str) -> PathBuf {
        self.out.join("overlays").join(name)
    }
}

/// Stages the bases when asked, writes `overlay` and returns its folder.
pub fn write(options: &Options, overlay: &Overlay) -> Result<PathBuf> {
    if options.render_bases {
        released::stage(&options.bases)?;
    }
    for c in released::COMPONENTS {
        let dir = options.bases.join(c.release_dir());
        if !dir.is_dir() && !options.render_bases {
            eprintln!(
                "note: {} is missing: unpack {} there, or pass --render-bases",
                dir.display(),
                c.tarball_name()
            );
        }
    }
    let dir = options.overlay_dir(overlay.name());
    overlay.write(&dir, &options.bases)?;
    Ok(dir)
}

/// What `--help` prints for an example taking the `extra` flags.
pub fn usage(extra: &[&str]) -> String {
    let mut out = String::from(
        "usage: cargo run -p examples --example NAME -- [--out DIR] [--bases DIR] [--render-bases]",
    );
    for f in extra {
        out.push_str(&format!(" [{f} VALUE]"));
    }
    out.push_str(
        "\n\n  --out DIR         output folder (default deploy); the overlay goes to DIR/overlays/NAME/\
         \n  --bases DIR       where the release tarballs are unpacked (default $BASES, else DIR/vendor)\
         \n  --render-bases    build those tarballs from this checkout first\
         \n  -h, --help        print this\n",
    );
    out
}

/// `main` of an example: parse, build, write, print what to run next. `--help` prints the usage;
/// bad arguments and failures exit 2 with one line.
pub fn main(extra: &[&str], build: impl FnOnce(&Options) -> Result<Overlay>) -> ExitCode {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        print!("{}", usage(extra));
        return ExitCode::SUCCESS;
    }
    let run = || -> Result<PathBuf> {
        let options = Options::parse(std::env::args().skip(1), extra)?;
        let overlay = build(&options)?;
        write(&options, &overlay)
    };
    match run() {
        Ok(dir) => {
            let dir: &Path = &dir;
            println!("wrote {}", dir.display());
            println!("build it:  kubectl kustomize {}", dir.display());
            println!("deploy it: kubectl apply -k {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_names_every_flag() {
        let u = usage(&["--topic"]);
        for f in [
            "--out DIR",
            "--bases DIR",
            "--render-bases",
            "[--topic VALUE]",
            "--help",
        ] {
            assert!(u.contains(f), "{f}: {u}");
        }
    }
}
