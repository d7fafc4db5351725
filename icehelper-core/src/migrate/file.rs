//! Migration files: names (`0001_add_channel.toml`), checksums and the `[[change]]` list.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One change of a migration file, as written under `[[change]]` (`op = "..."`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Change {
    /// Adds an optional column (`name` may be a dotted path into a struct).
    AddColumn {
        /// Column name or dotted path (`address.zip`).
        name: String,
        /// Iceberg type name.
        #[serde(rename = "type")]
        ty: String,
        /// Doc string.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        doc: Option<String>,
        /// `true` is refused: existing rows have no value for it and old writers do not write it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        required: Option<bool>,
        /// Place it first among its siblings.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first: Option<bool>,
        /// Place it after this sibling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        /// Place it before this sibling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
    },
    /// Renames a column (its field id stays).
    RenameColumn {
        /// Dotted path of the column.
        from: String,
        /// New name (a leaf name, or the full path with the same parent).
        to: String,
    },
    /// Promotes a column's type (`int`→`long`, `float`→`double`, decimal precision).
    WidenType {
        /// Dotted path of the column.
        column: String,
        /// The wider type.
        to: String,
    },
    /// Drops a column.
    DropColumn {
        /// Dotted path of the column.
        column: String,
    },
    /// Makes a required column optional.
    MakeOptional {
        /// Dotted path of the column.
        column: String,
    },
    /// Sets a column's doc string.
    UpdateDoc {
        /// Dotted path of the column.
        column: String,
        /// The new doc string.
        doc: String,
    },
    /// Moves a column among its siblings.
    MoveColumn {
        /// Dotted path of the column.
        column: String,
        /// Move it first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first: Option<bool>,
        /// Move it after this sibling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        /// Move it before this sibling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
    },
    /// Sets the schema's identifier fields (row identity for upserts); empty clears them.
    SetIdentifierFields {
        /// Dotted paths.
        fields: Vec<String>,
    },
    /// Adds a field to the default partition spec.
    AddPartitionField {
        /// Dotted path of the source column.
        source: String,
        /// `identity`, `year`, `month`, `day`, `hour`, `bucket[N]`, `truncate[W]`.
        transform: String,
        /// Partition field name (default: Iceberg's, e.g. `ts_day`, `user_id_bucket_16`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Removes a field from the default partition spec (format v1: replaces it with `void`).
    RemovePartitionField {
        /// Partition field name.
        name: String,
    },
    /// Replaces the default sort order (an empty list: unsorted).
    SetSortOrder {
        /// Sort fields, most significant first.
        fields: Vec<SortFieldSpec>,
    },
    /// Sets table properties.
    SetProperties {
        /// Keys and values.
        properties: BTreeMap<String, String>,
    },
    /// Removes table properties.
    RemoveProperties {
        /// Keys.
        keys: Vec<String>,
    },
}

/// One field of `set-sort-order`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SortFieldSpec {
    /// Dotted path of the column.
    pub column: String,
    /// Transform (default `identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// `nulls-first` (default for `asc`) or `nulls-last` (default for `desc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_order: Option<String>,
}

impl Change {
    /// The `op` name.
    pub fn op(&self) -> &'static str {
        match self {
            Change::AddColumn { .. } => "add-column",
            Change::RenameColumn { .. } => "rename-column",
            Change::WidenType { .. } => "widen-type",
            Change::DropColumn { .. } => "drop-column",
            Change::MakeOptional { .. } => "make-optional",
            Change::UpdateDoc { .. } => "update-doc",
            Change::MoveColumn { .. } => "move-column",
            Change::SetIdentifierFields { .. } => "set-identifier-fields",
            Change::AddPartitionField { .. } => "add-partition-field",
            Change::RemovePartitionField { .. } => "remove-partition-field",
            Change::SetSortOrder { .. } => "set-sort-order",
            Change::SetProperties { .. } => "set-properties",
            Change::RemoveProperties { .. } => "remove-properties",
        }
    }

    /// What the change is about, for messages (`amount`, `ts day`, ...).
    pub fn subject(&self) -> String {
        match self {
            Change::AddColumn { name, .. } => name.clone(),
            Change::RenameColumn { from, .. } => from.clone(),
            Change::WidenType { column, .. }
            | Change::DropColumn { column }
            | Change::MakeOptional { column }
            | Change::UpdateDoc { column, .. }
            | Change::MoveColumn { column, .. } => column.clone(),
            Change::SetIdentifierFields { fields } => fields.join(", "),
            Change::AddPartitionField {
                source, transform, ..
            } => format!("{transform}({source})"),
            Change::RemovePartitionField { name } => name.clone(),
            Change::SetSortOrder { fields } => fields
                .iter()
                .map(|f| f.column.clone())
                .collect::<Vec<_>>()
                .join(", "),
            Change::SetProperties { properties } => {
                properties.keys().cloned().collect::<Vec<_>>().join(", ")
            }
            Change::RemoveProperties { keys } => keys.join(", "),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    change: Vec<Change>,
}

/// A migration file, read and parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationFile {
    /// The version: the number the file name starts with.
    pub version: u64,
    /// The version as written in the file name (`0002`).
    pub version_text: String,
    /// The file name (`0002_widen_qty.toml`).
    pub file_name: String,
    /// sha256 of the file (CRLF read as LF), hex.
    pub checksum: String,
    /// Its changes, in order.
    pub changes: Vec<Change>,
}

impl fmt::Display for MigrationFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file_name)
    }
}

/// The version a migration file name starts with: `0002_widen_qty.toml` → (2, "0002").
/// `None` for a name that does not start with digits followed by `_` or `.`.
pub fn version_of(file_name: &str) -> Option<(u64, String)> {
    let digits: String = file_name
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return None;
    }
    let rest = &file_name[digits.len()..];
    if !(rest.starts_with('_') || rest.starts_with('.')) {
        return None;
    }
    digits.parse::<u64>().ok().map(|v| (v, digits))
}

/// sha256 of the text with CRLF line ends read as LF (so a checkout with other line endings
/// does not count as an edit), lowercase hex.
pub fn checksum(text: &str) -> String {
    let normalized = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let digest = Sha256::digest(normalized.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses one migration file's text.
pub fn parse_migration(file_name: &str, text: &str) -> Result<MigrationFile> {
    let invalid = |change: &str, reason: String| Error::MigrationInvalid {
        file: file_name.to_string(),
        change: change.to_string(),
        reason,
    };
    let (version, version_text) = version_of(file_name).ok_or_else(|| {
        invalid(
            "file",
            "the name must start with a version number and '_', e.g. 0001_add_channel.toml".into(),
        )
    })?;
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        invalid(
            "file",
            e.to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        )
    })?;
    if raw.change.is_empty() {
        return Err(invalid("file", "it has no [[change]]".into()));
    }
    Ok(MigrationFile {
        version,
        version_text,
        file_name: file_name.to_string(),
        checksum: checksum(text),
        changes: raw.change,
    })
}

/// Reads every `*.toml` migration of a folder, sorted by version. Other files are ignored; a
/// `.toml` file without a version, or two files with one version, are errors.
pub fn read_dir(dir: &Path) -> Result<Vec<MigrationFile>> {
    let read_err = |p: &Path, e: std::io::Error| Error::ReadFile {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_err(dir, e))? {
        let entry = entry.map_err(|e| read_err(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
        files.push(parse_migration(&name, &text)?);
    }
    files.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then(a.file_name.cmp(&b.file_name))
    });
    for pair in files.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(Error::MigrationInvalid {
                file: pair[1].file_name.clone(),
                change: "file".into(),
                reason: format!("version {} is also used by {}", pair[1].version, pair[0]),
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_file() {
        let text = r#"
[[change]]
op = "add-column"
name = "channel"
type = "string"
after = "country"

[[change]]
op = "rename-column"
from = "amount"
to = "amount_usd"

[[change]]
op = "set-sort-order"
fields = [{ column = "ts", direction = "desc" }]
"#;
        let f = parse_migration("0001_add_channel.toml", text).unwrap();
        assert_eq!((f.version, f.version_text.as_str()), (1, "0001"));
        assert_eq!(f.changes.len(), 3);
        assert_eq!(f.changes[1].op(), "rename-column");
        assert_eq!(f.checksum, checksum(&text.replace('\n', "\r\n")));
        assert_eq!(f.checksum.len(), 64);
    }

    #[test]
    fn refuses_bad_files() {
        for (name, text) in [
            (
                "add.toml",
                "[[change]]\nop = \"drop-column\"\ncolumn = \"a\"\n",
            ),
            ("0001_x.toml", ""),
            (
                "0001_x.toml",
                "[[change]]\nop = \"drop-collumn\"\ncolumn = \"a\"\n",
            ),
            (
                "0001_x.toml",
                "[[change]]\nop = \"drop-column\"\ncol = \"a\"\n",
            ),
            (
                "0001_x.toml",
                "[[change]]\nop = \"drop-column\"\ncolumn = \"a\"\nextra = 1\n",
            ),
        ] {
            let e = parse_migration(name, text).unwrap_err();
            assert!(matches!(e, Error::MigrationInvalid { .. }), "{name}: {e}");
        }
        assert_eq!(version_of("0010_x.toml"), Some((10, "0010".into())));
        assert_eq!(version_of("10x.toml"), None);
    }
}
