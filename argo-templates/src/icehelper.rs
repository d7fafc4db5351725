//! The icehelper CLI contract (crate `icehelper-cli`, binary `icehelper`) as used by the
//! templates. Every verb, flag and image name the rendered WorkflowTemplates use comes from here,
//! so a test in `icehelper-cli` can check them against its clap definition.

/// Container image repository.
pub const IMAGE_REPOSITORY: &str = "ghcr.io/data-tier/icehelper";
/// Image tag: the `icehelper-cli` version.
pub const VERSION: &str = "0.1.0";
/// Binary name inside the image.
pub const BINARY: &str = "icehelper";

/// `ghcr.io/data-tier/icehelper:<VERSION>`.
pub fn image() -> String {
    format!("{IMAGE_REPOSITORY}:{VERSION}")
}

/// Highest partition health score (`partition-health` scores a table from 0 to 100).
pub const MAX_SCORE: u8 = 100;
/// Default `--fail-under` of the pipelines: below 50 a table needs compaction before it is used.
pub const DEFAULT_FAIL_UNDER: u8 = 50;

/// Subcommands.
pub mod verbs {
    /// `icehelper partition-health TABLE --fail-under SCORE` (exit 1 when under).
    pub const PARTITION_HEALTH: &str = "partition-health";
    /// `icehelper compact TABLE [--target-file-size BYTES] [--min-input-files N] [--where EXPR] [--partial-progress]`.
    pub const COMPACT: &str = "compact";
    /// `icehelper rewrite-manifests TABLE`.
    pub const REWRITE_MANIFESTS: &str = "rewrite-manifests";
    /// `icehelper expire-snapshots TABLE [--older-than 7d] [--retain-last N]`.
    pub const EXPIRE_SNAPSHOTS: &str = "expire-snapshots";
    /// `icehelper remove-orphan-files TABLE [--older-than 3d]`.
    pub const REMOVE_ORPHAN_FILES: &str = "remove-orphan-files";
    /// `icehelper branch fast-forward TABLE TARGET --from SOURCE`: moves branch `TARGET` of `TABLE`
    /// (the one that moves, e.g. `main`) to the head of branch `SOURCE` (fails when `TARGET` is not
    /// an ancestor of it). The subcommand path, in order; TABLE first, like every verb.
    pub const BRANCH_FAST_FORWARD: [&str; 2] = ["branch", "fast-forward"];
    /// `icehelper branch drop TABLE NAME`: removes branch `NAME` of `TABLE`. The subcommand path.
    pub const BRANCH_DROP: [&str; 2] = ["branch", "drop"];
    /// Every subcommand path used (two words).
    pub const BRANCH_COMMANDS: [[&str; 2]; 2] = [BRANCH_FAST_FORWARD, BRANCH_DROP];
    /// All single-word verbs used.
    pub const ALL: [&str; 5] = [
        PARTITION_HEALTH,
        COMPACT,
        REWRITE_MANIFESTS,
        EXPIRE_SNAPSHOTS,
        REMOVE_ORPHAN_FILES,
    ];
    /// The Argo template name of a subcommand path (`branch-fast-forward`).
    pub fn template_name(path: &[&str]) -> String {
        path.join("-")
    }
}

/// Flags.
pub mod flags {
    /// Global: catalog name.
    pub const CATALOG: &str = "--catalog";
    /// Global: catalog URI.
    pub const URI: &str = "--uri";
    /// Global: warehouse URI.
    pub const WAREHOUSE: &str = "--warehouse";
    /// Global: extra catalog property `KEY=VALUE`.
    pub const PROPERTY: &str = "--property";
    /// Global: `text` or `json`.
    pub const OUTPUT: &str = "--output";
    /// Global: quiet (no progress on stderr).
    pub const QUIET: &str = "-q";
    /// `partition-health`: minimum score, an integer 0–100 (exit 1 when the table's score is below).
    pub const FAIL_UNDER: &str = "--fail-under";
    /// `compact`: target file size in bytes.
    pub const TARGET_FILE_SIZE: &str = "--target-file-size";
    /// `compact`: minimum input files per group.
    pub const MIN_INPUT_FILES: &str = "--min-input-files";
    /// `compact`: row filter.
    pub const WHERE: &str = "--where";
    /// `compact`: commit groups as they finish.
    pub const PARTIAL_PROGRESS: &str = "--partial-progress";
    /// `expire-snapshots` / `remove-orphan-files`: age, e.g. `7d`.
    pub const OLDER_THAN: &str = "--older-than";
    /// `expire-snapshots`: snapshots always kept.
    pub const RETAIN_LAST: &str = "--retain-last";
    /// `branch fast-forward`: the source branch whose head the target branch is moved to.
    pub const FROM: &str = "--from";
}

/// Exit codes.
pub mod exit_codes {
    /// Success.
    pub const OK: i32 = 0;
    /// A problem was found (e.g. partition health under the threshold): fail, don't retry.
    pub const PROBLEM: i32 = 1;
    /// An error (catalog unreachable, ...): retry.
    pub const ERROR: i32 = 2;
}

/// `branch fast-forward`'s usual target: the table's `main`.
pub const MAIN_BRANCH: &str = "main";

/// The argument list of `icehelper branch fast-forward TABLE TARGET --from SOURCE` (after the
/// global flags).
pub fn branch_fast_forward_args(table: &str, target: &str, source: &str) -> Vec<String> {
    let mut v: Vec<String> = verbs::BRANCH_FAST_FORWARD
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    v.extend([
        table.to_owned(),
        target.to_owned(),
        flags::FROM.to_owned(),
        source.to_owned(),
    ]);
    v
}

/// The argument list of `icehelper branch drop TABLE NAME` (after the global flags).
pub fn branch_drop_args(table: &str, name: &str) -> Vec<String> {
    let mut v: Vec<String> = verbs::BRANCH_DROP.iter().map(|s| (*s).to_owned()).collect();
    v.extend([table.to_owned(), name.to_owned()]);
    v
}

/// `--output json`.
pub const OUTPUT_JSON: &str = "json";

/// PyIceberg environment variable for a catalog property: `PYICEBERG_CATALOG__<NAME>__<KEY>`,
/// where `.` in the key becomes `__` and `-` becomes `_` (e.g. `s3.access-key-id` →
/// `PYICEBERG_CATALOG__LAKE__S3__ACCESS_KEY_ID`).
pub fn catalog_env(catalog: &str, key: &str) -> String {
    let key = key
        .replace('.', "__")
        .replace('-', "_")
        .to_ascii_uppercase();
    format!("PYICEBERG_CATALOG__{}__{key}", catalog.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_command_forms() {
        assert_eq!(
            branch_fast_forward_args("raw.orders", "main", "backfill-1").join(" "),
            "branch fast-forward raw.orders main --from backfill-1"
        );
        assert_eq!(
            branch_drop_args("raw.orders", "backfill-1").join(" "),
            "branch drop raw.orders backfill-1"
        );
    }

    #[test]
    fn env_mapping() {
        assert_eq!(
            catalog_env("lake", "s3.access-key-id"),
            "PYICEBERG_CATALOG__LAKE__S3__ACCESS_KEY_ID"
        );
        assert_eq!(catalog_env("lake", "uri"), "PYICEBERG_CATALOG__LAKE__URI");
    }
}
