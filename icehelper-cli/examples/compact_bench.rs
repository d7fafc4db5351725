//! Helpers of `scripts/bench-compact` (not part of the icehelper binary):
//!
//! - `gen-partition --uri URI --warehouse WH --table NS.T --files N --rows-per-file R`: an
//!   unpartitioned table (one partition) of N files, for the memory check on a large partition;
//! - `plain-copy INPUT_DIR OUTPUT_DIR TARGET_BYTES`: the I/O and codec limit: every Parquet file
//!   under INPUT_DIR read with arrow-rs and written again (zstd, rolling at TARGET_BYTES), on
//!   two threads, with no Iceberg at all.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use iceberg::arrow::schema_to_arrow_schema;
use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::{NamespaceIdent, TableCreation};
use icehelper_core::append::{write_data_files, PartitionBatch};
use icehelper_core::catalog::{parse_table_ident, LakeCatalog};
use icehelper_core::config::CatalogConfig;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen-partition") => gen_partition(&args[1..]),
        Some("plain-copy") if args.len() == 4 => {
            plain_copy(Path::new(&args[1]), Path::new(&args[2]), args[3].parse()?)
        }
        _ => bail!("usage: compact_bench gen-partition ... | plain-copy INPUT OUTPUT TARGET_BYTES"),
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Result<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .with_context(|| format!("missing {name}"))
}

fn gen_partition(args: &[String]) -> Result<()> {
    let uri = flag(args, "--uri")?.to_string();
    let warehouse = flag(args, "--warehouse")?.to_string();
    let ident = parse_table_ident(flag(args, "--table")?)?;
    let files: usize = flag(args, "--files")?.parse()?;
    let rows: i64 = flag(args, "--rows-per-file")?.parse()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let mut o = std::collections::BTreeMap::new();
        o.insert("uri".to_string(), uri);
        o.insert("warehouse".to_string(), warehouse);
        let config = CatalogConfig::resolve(Some("lake"), &o)?;
        let catalog = LakeCatalog::open_or_create(&config).await?;
        let ns = ident.namespace().clone();
        if !catalog.iceberg().namespace_exists(&ns).await? {
            catalog
                .iceberg()
                .create_namespace(&NamespaceIdent::from_vec(ns.to_vec())?, Default::default())
                .await?;
        }
        let schema = Schema::builder()
            .with_fields(vec![
                NestedField::required(1, "id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::required(2, "ts", Type::Primitive(PrimitiveType::Timestamp)).into(),
                NestedField::optional(3, "payload", Type::Primitive(PrimitiveType::String)).into(),
                NestedField::optional(4, "amount", Type::Primitive(PrimitiveType::Double)).into(),
            ])
            .build()?;
        let table = catalog
            .iceberg()
            .create_table(
                &ns,
                TableCreation::builder()
                    .name(ident.name().to_string())
                    .schema(schema)
                    .build(),
            )
            .await?;
        let arrow = Arc::new(schema_to_arrow_schema(table.metadata().current_schema())?);
        let mut all = Vec::new();
        let mut state = 0x9E3779B97F4A7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for f in 0..files {
            let start = f as i64 * rows;
            let ids = Int64Array::from_iter_values(start..start + rows);
            let ts = TimestampMicrosecondArray::from_iter_values(
                (0..rows).map(|i| 1_700_000_000_000_000 + (start + i) * 1000),
            );
            let payload = StringArray::from_iter_values(
                (0..rows).map(|_| format!("{:016x}{:08x}", next(), next() % 0xFFFF)),
            );
            let amount = Float64Array::from_iter_values(
                (0..rows).map(|_| (next() % 1_000_000) as f64 / 100.0),
            );
            let batch = RecordBatch::try_new(
                arrow.clone(),
                vec![
                    Arc::new(ids) as ArrayRef,
                    Arc::new(ts),
                    Arc::new(payload),
                    Arc::new(amount),
                ],
            )?;
            all.extend(
                write_data_files(
                    &table,
                    vec![PartitionBatch {
                        partition: None,
                        batch,
                    }],
                )
                .await?,
            );
        }
        let tx = Transaction::new(&table);
        let tx = tx.fast_append().add_data_files(all).apply(tx)?;
        tx.commit(catalog.iceberg().as_ref()).await?;
        Ok(())
    })
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn plain_copy(input: &Path, output: &Path, target: u64) -> Result<()> {
    std::fs::create_dir_all(output)?;
    let files = parquet_files(input);
    let halves: Vec<Vec<PathBuf>> = vec![
        files.iter().step_by(2).cloned().collect(),
        files.iter().skip(1).step_by(2).cloned().collect(),
    ];
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = halves
            .into_iter()
            .enumerate()
            .map(|(t, part)| s.spawn(move || copy_files(&part, output, t, target)))
            .collect();
        for h in handles {
            h.join().expect("copy thread")?;
        }
        Ok(())
    })
}

fn copy_files(files: &[PathBuf], output: &Path, thread: usize, target: u64) -> Result<()> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_bytes(Some(128 << 20))
        .build();
    let mut n = 0;
    let mut writer: Option<ArrowWriter<File>> = None;
    for f in files {
        // the types from the Parquet schema alone, the same for every file
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let reader =
            ParquetRecordBatchReaderBuilder::try_new_with_options(File::open(f)?, options)?
                .with_batch_size(8192)
                .build()?;
        for batch in reader {
            let batch = batch?;
            if writer.is_none() {
                n += 1;
                let out = File::create(output.join(format!("{thread}-{n}.parquet")))?;
                writer = Some(ArrowWriter::try_new(
                    out,
                    batch.schema(),
                    Some(props.clone()),
                )?);
            }
            let w = writer.as_mut().expect("set above");
            w.write(&batch)?;
            if (w.bytes_written() + w.in_progress_size()) as u64 >= target {
                writer.take().expect("set").close()?;
            }
        }
    }
    if let Some(w) = writer {
        w.close()?;
    }
    Ok(())
}
