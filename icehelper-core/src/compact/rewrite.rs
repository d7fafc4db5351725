//! Rewriting one file group: read its files through their delete files (iceberg's Arrow reader
//! applies position and equality deletes), write rolling Parquet files of the target size in
//! the table's current schema and default spec, with full column statistics.

use std::collections::HashMap;

use futures::{stream, StreamExt, TryStreamExt};
use iceberg::arrow::{ArrowReaderBuilder, RecordBatchPartitionSplitter};
use iceberg::spec::{DataFile, DataFileFormat, PartitionKey};
use iceberg::table::Table;
use iceberg::writer::base_writer::data_file_writer::DataFileWriterBuilder;
use iceberg::writer::file_writer::location_generator::DefaultFileNameGenerator;
use iceberg::writer::file_writer::rolling_writer::RollingFileWriterBuilder;
use iceberg::writer::file_writer::ParquetWriterBuilder;
use iceberg::writer::{IcebergWriter, IcebergWriterBuilder};
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::plan::FileGroup;
use crate::error::{Error, Result};

/// Rows per batch read.
const BATCH_SIZE: usize = 8192;

/// Parquet writer settings from the table's `write.parquet.*` properties (Iceberg's defaults:
/// zstd, 128 MiB row groups, 1 MiB pages).
pub fn writer_properties(props: &HashMap<String, String>) -> Result<WriterProperties> {
    let level = props
        .get("write.parquet.compression-level")
        .map(|v| {
            v.trim().parse::<i32>().map_err(|_| {
                Error::option(
                    "write.parquet.compression-level",
                    format!("'{v}' is not an integer"),
                )
            })
        })
        .transpose()?;
    let codec = props
        .get("write.parquet.compression-codec")
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_else(|| "zstd".into());
    let bad_level = |e: parquet::errors::ParquetError| {
        Error::option("write.parquet.compression-level", e.to_string())
    };
    let compression = match codec.as_str() {
        "zstd" => Compression::ZSTD(match level {
            Some(l) => ZstdLevel::try_new(l).map_err(bad_level)?,
            None => ZstdLevel::default(),
        }),
        "gzip" => Compression::GZIP(match level {
            Some(l) => GzipLevel::try_new(l.max(0) as u32).map_err(bad_level)?,
            None => GzipLevel::default(),
        }),
        "brotli" => Compression::BROTLI(match level {
            Some(l) => BrotliLevel::try_new(l.max(0) as u32).map_err(bad_level)?,
            None => BrotliLevel::default(),
        }),
        "snappy" => Compression::SNAPPY,
        "lz4" => Compression::LZ4_RAW,
        "uncompressed" | "none" => Compression::UNCOMPRESSED,
        other => {
            return Err(Error::option(
                "write.parquet.compression-codec",
                format!("unknown codec '{other}' (zstd, gzip, snappy, lz4, brotli, uncompressed)"),
            ))
        }
    };
    let bytes = |key: &str, default: usize| -> Result<usize> {
        match props.get(key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    Error::option(key, format!("'{v}' is not a positive number of bytes"))
                }),
        }
    };
    let row_group_bytes = bytes("write.parquet.row-group-size-bytes", 128 << 20)?;
    let page_bytes = bytes("write.parquet.page-size-bytes", 1 << 20)?;
    let dict_bytes = bytes("write.parquet.dict-size-bytes", 2 << 20)?;
    let row_limit = bytes("write.parquet.row-group-limit", 1_048_576)?;
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_bytes(Some(row_group_bytes))
        .set_max_row_group_row_count(Some(row_limit))
        .set_data_page_size_limit(page_bytes)
        .set_dictionary_page_size_limit(dict_bytes)
        .build())
}

/// Reads the group's rows (deletes applied) and writes them into new data files of about
/// `target_file_size` bytes. Files already written are deleted when the rewrite fails.
pub(crate) async fn rewrite_group(
    table: &Table,
    group: &FileGroup,
    target_file_size: u64,
    properties: WriterProperties,
    read_concurrency: usize,
) -> Result<Vec<DataFile>> {
    let md = table.metadata();
    let schema = md.current_schema().clone();
    let spec = md.default_partition_spec().clone();
    let io = table.file_io().clone();
    let tasks = stream::iter(group.tasks.clone().into_iter().map(Ok)).boxed();
    let batches = ArrowReaderBuilder::new(io.clone(), iceberg::Runtime::try_current()?)
        .with_batch_size(BATCH_SIZE)
        .with_data_file_concurrency_limit(read_concurrency.max(1))
        .with_row_group_filtering_enabled(false)
        .with_row_selection_enabled(false)
        .build()
        .read(tasks)?
        .stream();

    let location = crate::layout::DataLocations::new(md)?;
    let names = DefaultFileNameGenerator::new(
        format!("{:05}-{}", group.index, uuid::Uuid::now_v7()),
        Some("compact".into()),
        DataFileFormat::Parquet,
    );
    let rolling = RollingFileWriterBuilder::new(
        ParquetWriterBuilder::new(properties, schema.clone()),
        target_file_size as usize,
        io.clone(),
        location,
        names,
    );
    let builder = DataFileWriterBuilder::new(rolling);

    let same_spec = group.spec_id == spec.spec_id();
    let mut written: Vec<DataFile> = Vec::new();
    let result: Result<()> = async {
        if same_spec {
            // one partition in, the same partition out
            let key = (!spec.is_unpartitioned()).then(|| {
                PartitionKey::new(
                    spec.as_ref().clone(),
                    schema.clone(),
                    group.partition_value.clone(),
                )
            });
            let mut writer = builder.build(key).await?;
            let mut batches = batches;
            while let Some(batch) = batches.try_next().await? {
                if batch.num_rows() > 0 {
                    writer.write(batch).await?;
                }
            }
            written.extend(writer.close().await?);
        } else {
            // written in an older spec: rows go to their partitions in the current spec
            let splitter = RecordBatchPartitionSplitter::try_new_with_computed_values(
                schema.clone(),
                spec.clone(),
            )?;
            let mut writers = HashMap::new();
            let mut batches = batches;
            while let Some(batch) = batches.try_next().await? {
                for (key, part) in splitter.split(&batch)? {
                    let data = key.data().clone();
                    if !writers.contains_key(&data) {
                        let k = (!spec.is_unpartitioned()).then_some(key);
                        writers.insert(data.clone(), builder.build(k).await?);
                    }
                    writers
                        .get_mut(&data)
                        .expect("inserted above")
                        .write(part)
                        .await?;
                }
            }
            for (_, mut w) in writers {
                written.extend(w.close().await?);
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(written),
        Err(e) => {
            for f in &written {
                let _ = io.delete(f.file_path()).await;
            }
            Err(e)
        }
    }
}
