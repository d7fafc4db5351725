//! The text report: `Display` for [`SchemaDiff`].

use std::fmt;

use super::{ChangeKind, Compat, MatchedBy, PartitionChangeKind, SchemaDiff, SortChangeKind};

fn symbol(added: bool, removed: bool) -> char {
    if added {
        '+'
    } else if removed {
        '-'
    } else {
        '~'
    }
}

fn from_to(from: &Option<String>, to: &Option<String>) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    format!("{} -> {}", show(from), show(to))
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.matched_by {
            MatchedBy::FieldId => writeln!(
                f,
                "schema-diff {} -> {}: fields matched by field id",
                self.left, self.right
            )?,
            MatchedBy::Name => writeln!(
                f,
                "schema-diff {} -> {}: fields matched by name (too few field ids agree, so the \
                 tables are taken as unrelated; renames show as dropped + added)",
                self.left, self.right
            )?,
        }
        if self.equal {
            return writeln!(f, "no differences");
        }
        for c in &self.changes {
            let id = c
                .field_id
                .map_or_else(|| "-".to_string(), |id| format!("id={id}"));
            let what = match c.kind {
                ChangeKind::Added => format!("{} ({})", c.path, c.to.as_deref().unwrap_or("")),
                ChangeKind::Dropped => {
                    format!("{} ({})", c.path, c.from.as_deref().unwrap_or(""))
                }
                ChangeKind::Renamed | ChangeKind::IdentifierFieldsChanged => {
                    from_to(&c.from, &c.to)
                }
                ChangeKind::Moved if c.from.as_deref() == Some(c.path.as_str()) => {
                    from_to(&c.from, &c.to)
                }
                _ => format!("{}: {}", c.path, from_to(&c.from, &c.to)),
            };
            writeln!(
                f,
                "{} {:<25} {:<8} {}   readers: {}  writers: {}   # {}",
                symbol(c.kind == ChangeKind::Added, c.kind == ChangeKind::Dropped),
                c.kind.as_str(),
                id,
                what,
                c.old_readers,
                c.old_writers,
                c.note
            )?;
        }
        if !self.partition_changes.is_empty() {
            writeln!(f, "partition spec:")?;
            for c in &self.partition_changes {
                let source = c
                    .source
                    .clone()
                    .unwrap_or_else(|| format!("#{}", c.source_id));
                writeln!(
                    f,
                    "{} {:<25} {} (source {}): {}",
                    symbol(
                        c.kind == PartitionChangeKind::Added,
                        c.kind == PartitionChangeKind::Removed
                    ),
                    c.kind.to_string(),
                    c.name,
                    source,
                    from_to(&c.from, &c.to)
                )?;
            }
        }
        if !self.sort_order_changes.is_empty() {
            writeln!(f, "sort order:")?;
            for c in &self.sort_order_changes {
                let source = c
                    .source
                    .clone()
                    .unwrap_or_else(|| format!("#{}", c.source_id));
                writeln!(
                    f,
                    "{} {:<25} {}: {}",
                    symbol(
                        c.kind == SortChangeKind::Added,
                        c.kind == SortChangeKind::Removed
                    ),
                    c.kind.to_string(),
                    source,
                    from_to(&c.from, &c.to)
                )?;
            }
        }
        if !self.partition_changes.is_empty() || !self.sort_order_changes.is_empty() {
            writeln!(
                f,
                "(partition spec and sort order changes never break old readers or writers: \
                 every data file keeps the spec and order it was written with)"
            )?;
        }
        writeln!(
            f,
            "old readers survive: {}  old writers survive: {}",
            Compat::from_bool(self.old_readers_survive),
            Compat::from_bool(self.old_writers_survive)
        )
    }
}
