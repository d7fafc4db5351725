//! How an error reaches the terminal: one line, in the CLI's vocabulary. icehelper-core names
//! options by their Iceberg names and gives no hints; here they become flags, and the errors a
//! flag can override say which.

use icehelper_core::Error;

/// The command-line flag for an option icehelper-core names, when the CLI has one.
fn flag(option: &str) -> Option<&'static str> {
    Some(match option {
        "target-file-size-bytes" => "--target-file-size",
        "min-file-size-bytes" => "--min-file-size",
        "max-file-size-bytes" => "--max-file-size",
        "min-input-files" => "--min-input-files",
        "partial-progress.max-commits" => "--max-commits",
        "max-concurrent-file-group-rewrites" => "--max-concurrent-groups",
        "delete-file-threshold" => "--delete-file-threshold",
        "where" => "--where",
        "older-than" => "--older-than",
        "retain-last" => "--retain-last",
        "location" => "--location",
        "ref" => "--ref",
        "timestamp" => "--to-timestamp",
        "target-version" => "--to",
        "small-file-size-bytes" => "--small-file-size",
        "catalog" => "--catalog",
        _ => return None,
    })
}

/// The one line printed after `error: `.
pub(crate) fn message(e: &anyhow::Error) -> String {
    // the outermost error only: a context wrapped around a core error keeps its own words
    let outer: &(dyn std::error::Error + 'static) = e.as_ref();
    let text = match outer.downcast_ref::<Error>() {
        Some(core) => core_message(core),
        None => chained(e),
    };
    text.replace('\n', " ")
}

fn core_message(e: &Error) -> String {
    match e {
        Error::InvalidOption { name, reason } => {
            format!("invalid {}: {reason}", flag(name).unwrap_or(name))
        }
        Error::UnsafeAge { .. } => format!(
            "{} (pass --allow-recent if no writer is running)",
            e.to_string()
                .replacen("unsafe older-than", "unsafe --older-than", 1)
        ),
        Error::NotAnAncestor { .. } => {
            format!("{e} (use --allow-non-ancestor to set it anyway)")
        }
        Error::PrefixMismatch { .. } => {
            format!("{e}; pass --equal-schemes, or --prefix-mismatch ignore|delete")
        }
        Error::CatalogNotConfigured { .. } => format!(
            "{}; give --uri/--warehouse or configure it",
            e.to_string()
                .replacen("invalid catalog", "invalid --catalog", 1)
        ),
        _ => chained_error(e),
    }
}

/// The message, then each cause not already in it, joined by `: `.
fn chained(e: &anyhow::Error) -> String {
    join(e.to_string(), e.chain().skip(1).map(ToString::to_string))
}

fn chained_error(e: &Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    join(e.to_string(), causes.into_iter())
}

fn join(mut msg: String, causes: impl Iterator<Item = String>) -> String {
    for c in causes {
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}
