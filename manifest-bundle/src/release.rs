//! [`Release`]: every committed base of a template crate, written, checked and packed the same way,
//! and [`render_bases`], the `main` of each crate's `render-bases` command.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::bundle::{Bundle, StaleFile};
use crate::error::Result;
use crate::tarball::{write_tarball, Tarball};

/// The bases one template crate releases: its bundles, the folder they are committed in and the
/// command that regenerates them.
///
/// ```no_run
/// use manifest_bundle::{Bundle, Release};
///
/// # fn main() -> Result<(), manifest_bundle::Error> {
/// let release = Release::new("hello-templates", "0.1.0", "bases", vec![Bundle::new("hello")]);
/// release.write(release.bases_dir())?;
/// assert!(release.check(release.bases_dir())?.is_empty());
/// release.tarball("dist".as_ref())?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    crate_name: String,
    version: String,
    bases_dir: PathBuf,
    regenerate: String,
    bundles: Vec<Bundle>,
}

impl Release {
    /// The release of `crate_name` at `version`: `bundles` are committed under `bases_dir`, one
    /// folder per bundle. They are regenerated with `cargo run -p <crate_name> --example render-bases`
    /// unless [`Release::regenerate_with`] says otherwise.
    pub fn new(
        crate_name: impl Into<String>,
        version: impl Into<String>,
        bases_dir: impl Into<PathBuf>,
        bundles: Vec<Bundle>,
    ) -> Self {
        let crate_name = crate_name.into();
        Release {
            regenerate: format!("cargo run -p {crate_name} --example render-bases"),
            crate_name,
            version: version.into(),
            bases_dir: bases_dir.into(),
            bundles,
        }
    }

    /// Sets the command that regenerates the committed bases (printed when they are stale).
    #[must_use]
    pub fn regenerate_with(mut self, command: impl Into<String>) -> Self {
        self.regenerate = command.into();
        self
    }

    /// The crate's name.
    pub fn crate_name(&self) -> &str {
        &self.crate_name
    }

    /// The crate's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The folder the bases are committed in.
    pub fn bases_dir(&self) -> &Path {
        &self.bases_dir
    }

    /// The command that regenerates the committed bases.
    pub fn regenerate(&self) -> &str {
        &self.regenerate
    }

    /// The bundles, in render order.
    pub fn bundles(&self) -> &[Bundle] {
        &self.bundles
    }

    /// Writes every bundle into `<out>/<bundle name>` ([`Bundle::write_clean`]) and returns those
    /// folders.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        self.bundles
            .iter()
            .map(|bundle| {
                let dir = out.join(bundle.name());
                bundle.write_clean(&dir)?;
                Ok(dir)
            })
            .collect()
    }

    /// Compares every bundle with `<out>/<bundle name>` without writing anything; each stale file's
    /// path is relative to `out` (`<bundle name>/<file>`). Empty when every base is current.
    pub fn check(&self, out: &Path) -> Result<Vec<StaleFile>> {
        let mut stale = Vec::new();
        for bundle in &self.bundles {
            for s in bundle.check_dir(&out.join(bundle.name()))? {
                stale.push(StaleFile {
                    path: Path::new(bundle.name()).join(s.path),
                    kind: s.kind,
                });
            }
        }
        Ok(stale)
    }

    /// Writes the reproducible `<crate>-<version>-kustomize.tar.gz` (and `.sha256`) into `dir`
    /// ([`write_tarball`]).
    pub fn tarball(&self, dir: &Path) -> Result<Tarball> {
        write_tarball(dir, &self.crate_name, &self.version, &self.bundles)
    }
}

/// The [`Release`] of the calling crate: its name and version (from Cargo) and `bundles`, committed
/// under `bases/` of its manifest folder.
///
/// ```no_run
/// let release = manifest_bundle::release!(Vec::new());
/// assert!(release.bases_dir().ends_with("bases"));
/// ```
#[macro_export]
macro_rules! release {
    ($bundles:expr) => {
        $crate::Release::new(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bases"),
            $bundles,
        )
    };
}

const USAGE: &str = "usage: render-bases [--check] [--tarball DIR] [--out DIR]";

/// What `render-bases` was asked to do.
#[derive(Debug, Default)]
struct Args {
    check: bool,
    tarball: Option<PathBuf>,
    out: Option<PathBuf>,
    help: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => parsed.check = true,
            "--tarball" => match args.next() {
                Some(dir) => parsed.tarball = Some(PathBuf::from(dir)),
                None => return Err("--tarball needs a folder".into()),
            },
            "--out" => match args.next() {
                Some(dir) => parsed.out = Some(PathBuf::from(dir)),
                None => return Err("--out needs a folder".into()),
            },
            "-h" | "--help" => parsed.help = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(parsed)
}

/// The `main` of a template crate's `render-bases` command, reading the process arguments:
///
/// ```text
/// render-bases [--check] [--tarball DIR] [--out DIR]
/// ```
///
/// Without `--check` it writes every base into `--out` (default [`Release::bases_dir`]). With
/// `--check` it writes nothing: it compares the rendered bases with that folder, prints one
/// `stale: <path> (<how>)` line per differing file on stderr and exits 1 when there is one. With
/// `--tarball DIR` it then writes the release tarball into `DIR`. Errors print one line and exit 1.
///
/// ```no_run
/// fn release() -> manifest_bundle::Result<manifest_bundle::Release> {
///     Ok(manifest_bundle::Release::new("hello-templates", "0.1.0", "bases", Vec::new()))
/// }
///
/// fn main() -> std::process::ExitCode {
///     manifest_bundle::render_bases(release)
/// }
/// ```
pub fn render_bases<E: Display>(release: impl FnOnce() -> Result<Release, E>) -> ExitCode {
    render_bases_with(std::env::args().skip(1), release)
}

/// [`render_bases`] with the arguments given (without the program name).
pub fn render_bases_with<E: Display>(
    args: impl IntoIterator<Item = String>,
    release: impl FnOnce() -> Result<Release, E>,
) -> ExitCode {
    let args = match parse(args) {
        Ok(args) if args.help => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(args) => args,
        Err(problem) => {
            eprintln!("error: {problem}");
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(&args, release) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run<E: Display>(
    args: &Args,
    release: impl FnOnce() -> Result<Release, E>,
) -> Result<ExitCode, String> {
    let release = release().map_err(|e| e.to_string())?;
    let out = args.out.as_deref().unwrap_or(release.bases_dir());
    if args.check {
        let stale = release.check(out).map_err(|e| e.to_string())?;
        for s in &stale {
            eprintln!("stale: {}/{s}", out.display());
        }
        if !stale.is_empty() {
            eprintln!(
                "{} stale file(s); run `{}`",
                stale.len(),
                release.regenerate()
            );
            return Ok(ExitCode::FAILURE);
        }
    } else {
        for dir in release.write(out).map_err(|e| e.to_string())? {
            println!("wrote {}", dir.display());
        }
    }
    if let Some(dir) = &args.tarball {
        let t = release.tarball(dir).map_err(|e| e.to_string())?;
        println!("wrote {} (sha256 {})", t.path.display(), t.sha256);
    }
    Ok(ExitCode::SUCCESS)
}
