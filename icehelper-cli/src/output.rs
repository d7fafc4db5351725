//! Writing results to stdout: text tables or JSON. A closed pipe (`icehelper ... | head`) is not an error.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::OutputFormat;

/// Signals that stdout was closed by the reader; the process exits 0.
#[derive(Debug)]
pub(crate) struct BrokenPipe;

impl std::fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken pipe")
    }
}

impl std::error::Error for BrokenPipe {}

fn map_io(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        anyhow::Error::new(BrokenPipe)
    } else {
        anyhow::Error::new(e).context("cannot write to stdout")
    }
}

/// Writes text to stdout.
pub(crate) fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(map_io)?;
    if !text.ends_with('\n') {
        out.write_all(b"\n").map_err(map_io)?;
    }
    out.flush().map_err(map_io)
}

/// Writes a value as pretty JSON to stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    print_text(&text)
}

/// Prints `value` as JSON or as the text `render` makes of it.
pub(crate) fn emit<T: Serialize>(
    format: OutputFormat,
    value: &T,
    render: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => print_json(value),
        OutputFormat::Text => print_text(&render(value)),
    }
}

/// A plain text table: a header row and rows, columns padded to their widest cell.
/// Columns whose header starts with '>' are right-aligned (the '>' is not shown).
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| h.trim_start_matches('>').chars().count())
        .collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let right: Vec<bool> = headers.iter().map(|h| h.starts_with('>')).collect();
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = widths[i].saturating_sub(c.chars().count());
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(
        headers
            .iter()
            .map(|h| h.trim_start_matches('>').to_string())
            .collect(),
    );
    for r in rows {
        line(r.clone());
    }
    out
}

pub(crate) use icehelper_core::metrics::human_bytes;
