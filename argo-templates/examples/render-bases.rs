//! Writes every committed base under `argo-templates/bases/` (or checks them) and the release tarball.
//!
//! ```text
//! cargo run -p argo-templates --example render-bases -- [--check] [--tarball DIR] [--out DIR]
//! ```

fn main() -> std::process::ExitCode {
    manifest_bundle::render_bases(argo_templates::release)
}
