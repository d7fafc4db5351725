//! Deterministic YAML output: map keys sorted, whatever serde_json's `preserve_order` feature says.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// Serialises a JSON value with every object's keys in sorted order.
pub(crate) struct Sorted<'a>(pub(crate) &'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut m = serializer.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Sorted(&map[k]))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut s = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    s.serialize_element(&Sorted(item))?;
                }
                s.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Emits `value` as one YAML document (no leading `---`).
pub(crate) fn to_yaml<T: Serialize>(value: &T, context: &str) -> Result<String> {
    serde_norway::to_string(value).map_err(|source| Error::Yaml {
        context: context.to_owned(),
        source,
    })
}

/// Emits any serialisable object as YAML with map keys sorted, the way bundle files are written.
pub fn to_sorted_yaml<T: Serialize + ?Sized>(object: &T) -> Result<String> {
    let value = serde_json::to_value(object).map_err(|source| Error::Json {
        context: "an object to emit as YAML".into(),
        source,
    })?;
    to_yaml(&Sorted(&value), "an object")
}
