//! Reading a table's `metadata.json` without a nesting limit.
//!
//! `TableMetadata::read_from` (iceberg 0.10.1) parses with `serde_json::from_slice`, whose
//! recursion limit (128) is reached by a schema with a type nested about 40 deep: a table another
//! engine could write (Java has no such limit) would be unloadable by every icehelper command.
//! Here the parser's limit is off and `serde_stacker` grows the stack on the heap as the document
//! nests, so the depth a reader can load is bounded by memory, not by the thread's stack.
//! Retire this when iceberg's reader takes a `serde_json::Deserializer` (or drops the limit).

use std::io::Read;

use iceberg::io::FileIO;
use iceberg::spec::TableMetadata;
use iceberg::ErrorKind;
use serde::Deserialize;

/// Reads and parses the metadata file at `location` (plain or gzip-compressed, told apart by
/// the gzip magic number as iceberg does; iceberg's codec is crate-private, so flate2 decodes).
pub(crate) async fn read_metadata(
    file_io: &FileIO,
    location: &str,
) -> iceberg::Result<TableMetadata> {
    let bytes = file_io.new_input(location)?.read().await?;
    let json = if bytes.len() > 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| {
                iceberg::Error::new(
                    ErrorKind::DataInvalid,
                    "cannot decompress the metadata file",
                )
                .with_context("file_path", location)
                .with_source(e)
            })?;
        out
    } else {
        bytes.to_vec()
    };
    parse_metadata(&json).map_err(|e| {
        iceberg::Error::new(ErrorKind::DataInvalid, "cannot parse the metadata file")
            .with_context("file_path", location)
            .with_source(e)
    })
}

/// Parses metadata JSON with no recursion limit (see the module docs).
pub(crate) fn parse_metadata(json: &[u8]) -> serde_json::Result<TableMetadata> {
    let mut de = serde_json::Deserializer::from_slice(json);
    de.disable_recursion_limit();
    let metadata = TableMetadata::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2 table whose one column is a list nested `depth` deep.
    fn metadata_with_nested_list(depth: usize) -> String {
        let mut ty = String::from("\"long\"");
        for i in 0..depth {
            ty = format!(
                r#"{{"type":"list","element-id":{},"element-required":false,"element":{ty}}}"#,
                i + 2
            );
        }
        format!(
            r#"{{"format-version":2,"table-uuid":"9c12d441-03fe-4693-9a96-a0705ddf69c1",
"location":"file:///tmp/t","last-sequence-number":0,"last-updated-ms":1,"last-column-id":{},
"current-schema-id":0,"schemas":[{{"type":"struct","schema-id":0,"fields":[
{{"id":1,"name":"deep","required":false,"type":{ty}}}]}}],
"default-spec-id":0,"partition-specs":[{{"spec-id":0,"fields":[]}}],"last-partition-id":999,
"default-sort-order-id":0,"sort-orders":[{{"order-id":0,"fields":[]}}],
"properties":{{}},"current-snapshot-id":-1,"snapshots":[],"snapshot-log":[],"metadata-log":[],"refs":{{}}}}"#,
            depth + 1
        )
    }

    #[test]
    fn deeply_nested_schemas_parse_where_serde_json_gives_up() {
        let json = metadata_with_nested_list(300);
        assert!(
            serde_json::from_str::<TableMetadata>(&json).is_err(),
            "serde_json's default limit should refuse this document"
        );
        let md = parse_metadata(json.as_bytes()).unwrap();
        assert_eq!(md.current_schema().highest_field_id(), 301);
    }

    #[test]
    fn trailing_garbage_is_still_refused() {
        let mut json = metadata_with_nested_list(1);
        json.push_str(" x");
        assert!(parse_metadata(json.as_bytes()).is_err());
    }
}
