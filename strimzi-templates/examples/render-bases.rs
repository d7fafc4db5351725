//! Writes every committed base under `strimzi-templates/bases/` (or checks them) and the release tarball.
//!
//! ```text
//! cargo run -p strimzi-templates --example render-bases -- [--check] [--tarball DIR] [--out DIR]
//! ```

fn main() -> std::process::ExitCode {
    manifest_bundle::render_bases(strimzi_templates::release)
}
