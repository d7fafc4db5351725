//! Table property changes, refused for icehelper's bookkeeping and for values Iceberg cannot parse.

use std::collections::{BTreeMap, HashMap};

use super::{Draft, PROPERTY_PREFIX};

impl Draft<'_> {
    /// Sets properties (a later set overrides an earlier removal).
    pub(crate) fn set_properties(
        &mut self,
        properties: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        for (k, v) in properties {
            check_property_key(k)?;
            check_property_value(k, v)?;
            self.remove_props.remove(k);
            self.set_props.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    /// Removes properties (a later removal overrides an earlier set).
    pub(crate) fn remove_properties(&mut self, keys: &[String]) -> Result<(), String> {
        for k in keys {
            check_property_key(k)?;
            self.set_props.remove(k);
            self.remove_props.insert(k.clone());
        }
        Ok(())
    }
}

fn check_property_key(k: &str) -> Result<(), String> {
    if k.starts_with(PROPERTY_PREFIX) {
        return Err(format!(
            "'{k}' is icehelper's migration bookkeeping and cannot be set by a migration"
        ));
    }
    if k == "format-version" {
        return Err("format-version is not a property to set: upgrading the format version is not a migration icehelper makes".into());
    }
    if k.trim().is_empty() {
        return Err("empty property key".into());
    }
    Ok(())
}

/// A value of a property Iceberg (and so icehelper) interprets must parse: a malformed
/// `commit.retry.num-retries` or `gc.enabled` set by a migration would break every later write.
/// Parsed as iceberg-rust's `TableProperties` parses them, plus icehelper's own floor for the
/// target file size.
fn check_property_value(k: &str, v: &str) -> Result<(), String> {
    let one = HashMap::from([(k.to_string(), v.to_string())]);
    iceberg::spec::TableProperties::try_from(&one)
        .map_err(|e| format!("'{v}' is not a valid value of {k}: {}", e.message()))?;
    if k == crate::health::TARGET_FILE_SIZE_PROP {
        match v.trim().parse::<u64>() {
            Ok(n) if n >= crate::health::MIN_TARGET_FILE_SIZE => {}
            _ => {
                return Err(format!(
                    "{k} must be a number of bytes of at least 1 MiB, got '{v}'"
                ))
            }
        }
    }
    Ok(())
}
