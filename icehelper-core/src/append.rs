//! Appending Arrow data to a table: Parquet files written per partition, committed as one
//! `append` snapshot (iceberg-rust's fast append, through the catalog's commit).

use arrow_array::RecordBatch;
use iceberg::spec::{DataFile, DataFileFormat, PartitionKey, Struct};
use iceberg::table::Table;
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::writer::base_writer::data_file_writer::DataFileWriterBuilder;
use iceberg::writer::file_writer::location_generator::DefaultFileNameGenerator;
use iceberg::writer::file_writer::rolling_writer::RollingFileWriterBuilder;
use iceberg::writer::file_writer::ParquetWriterBuilder;
use iceberg::writer::{IcebergWriter, IcebergWriterBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::catalog::LakeCatalog;
use crate::error::Result;

/// One batch of rows, all of one partition (`None` for an unpartitioned table).
#[derive(Debug, Clone)]
pub struct PartitionBatch {
    /// The partition tuple in the table's default spec.
    pub partition: Option<Struct>,
    /// The rows, with the table schema's Arrow form (field ids in the metadata).
    pub batch: RecordBatch,
}

/// Writes each batch to its own Parquet data file (zstd) under the table's data location.
pub async fn write_data_files(
    table: &Table,
    batches: Vec<PartitionBatch>,
) -> Result<Vec<DataFile>> {
    let md = table.metadata();
    let schema = md.current_schema().clone();
    let spec = md.default_partition_spec().as_ref().clone();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let location = crate::layout::DataLocations::new(md)?;
    let names = DefaultFileNameGenerator::new(
        format!("00000-{}", uuid::Uuid::new_v4()),
        None,
        DataFileFormat::Parquet,
    );
    let rolling = RollingFileWriterBuilder::new_with_default_file_size(
        ParquetWriterBuilder::new(props, schema.clone()),
        table.file_io().clone(),
        location,
        names,
    );
    let builder = DataFileWriterBuilder::new(rolling);
    let mut files = Vec::new();
    for pb in batches {
        let key = pb
            .partition
            .map(|data| PartitionKey::new(spec.clone(), schema.clone(), data));
        let mut writer = builder.build(key).await?;
        writer.write(pb.batch).await?;
        files.extend(writer.close().await?);
    }
    Ok(files)
}

/// Writes the batches and commits them as one `append` snapshot; returns the updated table.
pub async fn append(
    catalog: &LakeCatalog,
    table: &Table,
    batches: Vec<PartitionBatch>,
) -> Result<Table> {
    let files = write_data_files(table, batches).await?;
    let tx = Transaction::new(table);
    let tx = tx.fast_append().add_data_files(files).apply(tx)?;
    Ok(tx.commit(catalog.iceberg().as_ref()).await?)
}
