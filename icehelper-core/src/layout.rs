//! Where new data files go, named the way Iceberg Java names them.
//!
//! iceberg-rust's `DefaultLocationGenerator` writes partition directories with the raw value
//! (`city=Zürich/`), while Iceberg Java (and so Spark, Flink, Trino) and PyIceberg escape name and
//! value with Java's `URLEncoder` (`city=Z%C3%BCrich/`, a space as `+`). Both spellings are
//! readable, but a table should not mix them: [`DataLocations`] is the Java spelling, so the files
//! icehelper writes sit beside the files the other engines wrote for the same partition. The data
//! folder is chosen as Iceberg Java's `LocationProviders` does: `write.data.path`, else the
//! deprecated `write.object-storage.path` / `write.folder-storage.path`, else `<table>/data`.
//! (Java's hashed object-storage layout, `write.object-storage.enabled`, is not reproduced: readers
//! do not depend on where a data file sits.)
//!
//! Retire this once iceberg-rust's `PartitionSpec::partition_to_path` escapes as Java does.

use iceberg::spec::{PartitionKey, TableMetadata};
use iceberg::writer::file_writer::location_generator::LocationGenerator;

use crate::error::Result;

/// Iceberg Java's default location provider (see the module docs).
#[derive(Debug, Clone)]
pub struct DataLocations {
    data_location: String,
}

impl DataLocations {
    /// The data locations of a table.
    pub fn new(md: &TableMetadata) -> Result<Self> {
        let props = md.properties();
        let configured = [
            "write.data.path",
            "write.object-storage.path",
            "write.folder-storage.path",
        ]
        .iter()
        .find_map(|k| props.get(*k));
        let data_location = match configured {
            Some(p) => p.trim_end_matches('/').to_string(),
            None => format!("{}/data", md.location().trim_end_matches('/')),
        };
        Ok(DataLocations { data_location })
    }

    /// The folder new data files go under.
    pub fn data_location(&self) -> &str {
        &self.data_location
    }
}

/// A partition's folder: `name=value/...`, each part escaped as Java's `URLEncoder` does.
pub fn partition_path(key: &PartitionKey) -> String {
    let spec = key.spec();
    let Ok(partition_type) = spec.partition_type(key.schema()) else {
        return key.to_path();
    };
    spec.fields()
        .iter()
        .zip(partition_type.fields())
        .enumerate()
        .map(|(i, (field, ty))| {
            let value = field
                .transform
                .to_human_string(&ty.field_type, key.data()[i].as_ref());
            format!(
                "{}={}",
                java_url_encode(&field.name),
                java_url_encode(&value)
            )
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `java.net.URLEncoder.encode(s, UTF_8)`: `a-z A-Z 0-9 . - * _` kept, space as `+`, the rest as
/// `%XX` of its UTF-8 bytes (the same set as `application/x-www-form-urlencoded`).
pub fn java_url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl LocationGenerator for DataLocations {
    fn generate_location(&self, partition_key: Option<&PartitionKey>, file_name: &str) -> String {
        match partition_key {
            Some(key) if !PartitionKey::is_effectively_none(Some(key)) => {
                format!("{}/{}/{file_name}", self.data_location, partition_path(key))
            }
            _ => format!("{}/{file_name}", self.data_location),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_java_url_encoder() {
        // expected values from java.net.URLEncoder.encode(s, "UTF-8")
        assert_eq!(java_url_encode("Zürich"), "Z%C3%BCrich");
        assert_eq!(java_url_encode("a b+c"), "a+b%2Bc");
        assert_eq!(java_url_encode("a~b"), "a%7Eb");
        assert_eq!(java_url_encode("100%"), "100%25");
        assert_eq!(java_url_encode("x[1]"), "x%5B1%5D");
        assert_eq!(java_url_encode("日本語"), "%E6%97%A5%E6%9C%AC%E8%AA%9E");
        assert_eq!(java_url_encode("a-b_c.d*e"), "a-b_c.d*e");
        assert_eq!(java_url_encode("2024-01-02"), "2024-01-02");
        assert_eq!(java_url_encode("a/b=c"), "a%2Fb%3Dc");
    }
}
