//! Generates the expire-snapshots benchmark table: `SNAPSHOTS` appends to `db.bench` in a SQLite
//! catalog `lake`, each adding two data files in two manifests, with manifests merged every 50
//! snapshots (as Java's merge-append does) so manifest lists stay bounded. The data files are
//! small placeholder files (expiry never reads them; it deletes them). All snapshots are
//! committed in one metadata commit.
//!
//! `cargo run --release -p icehelper-cli --example bench_expire_table -- DB WAREHOUSE [SNAPSHOTS]`

use std::collections::BTreeMap;

use iceberg::spec::{
    DataContentType, DataFileBuilder, DataFileFormat, ManifestFile, ManifestListWriter,
    ManifestWriterBuilder, NestedField, Operation, PrimitiveType, Schema, Snapshot,
    SnapshotReference, SnapshotRetention, Struct, Summary, Type,
};
use iceberg::{NamespaceIdent, TableCreation, TableIdent, TableRequirement, TableUpdate};
use icehelper_core::catalog::LakeCatalog;
use icehelper_core::commit::{commit_once, TableChange};
use icehelper_core::config::CatalogConfig;

/// (snapshot id, sequence number, its data files with sizes, its manifests)
type RecentSnapshot = (i64, i64, Vec<(String, u64)>, Vec<ManifestFile>);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let db = &args[1];
    let warehouse = &args[2];
    let n: i64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(2500);
    let mut o = BTreeMap::new();
    o.insert("uri".to_string(), format!("sqlite:///{db}"));
    o.insert("warehouse".to_string(), warehouse.clone());
    let config = CatalogConfig::resolve(Some("lake"), &o)?;
    let cat = LakeCatalog::open_or_create(&config).await?;
    let ns = NamespaceIdent::new("db".into());
    if !cat.iceberg().namespace_exists(&ns).await? {
        cat.iceberg()
            .create_namespace(&ns, Default::default())
            .await?;
    }
    let schema = Schema::builder()
        .with_fields(vec![NestedField::optional(
            1,
            "id",
            Type::Primitive(PrimitiveType::Long),
        )
        .into()])
        .build()?;
    let creation = TableCreation::builder()
        .name("bench".to_string())
        .schema(schema.clone())
        .build();
    let table = cat.iceberg().create_table(&ns, creation).await?;
    let ident = TableIdent::new(ns, "bench".into());
    let md = table.metadata();
    let io = table.file_io();
    let loc = md.location().trim_end_matches('/').to_string();
    let spec = md.default_partition_spec().as_ref().clone();
    let start_ms = chrono::Utc::now().timestamp_millis() - n;
    let mut updates = Vec::new();
    let mut merged: Vec<ManifestFile> = Vec::new();
    let mut recent: Vec<RecentSnapshot> = Vec::new();
    let mut parent: Option<i64> = None;
    let mut total_files = 0u64;
    for i in 0..n {
        let id = i + 1;
        let seq = i + 1;
        let mut new_files = Vec::new();
        let mut new_manifests = Vec::new();
        for k in 0..2 {
            let path = format!("{loc}/data/s{id}-{k}.parquet");
            io.new_output(&path)?.write(vec![b'x'; 128].into()).await?;
            let f = DataFileBuilder::default()
                .content(DataContentType::Data)
                .file_path(path.clone())
                .file_format(DataFileFormat::Parquet)
                .partition(Struct::empty())
                .record_count(1)
                .file_size_in_bytes(128)
                .partition_spec_id(0)
                .build()?;
            let mpath = format!("{loc}/metadata/m-{id}-{k}.avro");
            let mut w = ManifestWriterBuilder::new(
                io.new_output(&mpath)?,
                Some(id),
                std::sync::Arc::new(schema.clone()),
                spec.clone(),
            )
            .build_v2_data();
            w.add_file(f, seq)?;
            new_manifests.push(assigned(w.write_manifest_file().await?, seq));
            new_files.push((path, 128));
        }
        total_files += 2;
        // merge every 50 snapshots' manifests into one (EXISTING entries)
        if recent.len() == 50 {
            let mpath = format!("{loc}/metadata/merged-{id}.avro");
            let mut w = ManifestWriterBuilder::new(
                io.new_output(&mpath)?,
                Some(id),
                std::sync::Arc::new(schema.clone()),
                spec.clone(),
            )
            .build_v2_data();
            for (sid, sseq, files, _) in recent.drain(..) {
                for (p, size) in files {
                    let f = DataFileBuilder::default()
                        .content(DataContentType::Data)
                        .file_path(p)
                        .file_format(DataFileFormat::Parquet)
                        .partition(Struct::empty())
                        .record_count(1)
                        .file_size_in_bytes(size)
                        .partition_spec_id(0)
                        .build()?;
                    w.add_existing_file(f, sid, sseq, Some(sseq))?;
                }
            }
            merged.push(assigned(w.write_manifest_file().await?, seq));
        }
        recent.push((id, seq, new_files, new_manifests.clone()));
        let list_path = format!("{loc}/metadata/snap-{id}.avro");
        let mut list =
            ManifestListWriter::v2(io.new_output(&list_path)?.writer().await?, id, parent, seq);
        let current: Vec<ManifestFile> = recent
            .iter()
            .rev()
            .flat_map(|r| r.3.clone())
            .chain(merged.iter().rev().cloned())
            .collect();
        list.add_manifests(current.into_iter())?;
        list.close().await?;
        let snapshot = Snapshot::builder()
            .with_snapshot_id(id)
            .with_parent_snapshot_id(parent)
            .with_sequence_number(seq)
            .with_timestamp_ms(start_ms + i)
            .with_manifest_list(list_path)
            .with_schema_id(0)
            .with_summary(Summary {
                operation: Operation::Append,
                additional_properties: [
                    ("added-data-files".to_string(), "2".to_string()),
                    ("total-data-files".to_string(), total_files.to_string()),
                ]
                .into_iter()
                .collect(),
            })
            .build();
        updates.push(TableUpdate::AddSnapshot { snapshot });
        parent = Some(id);
    }
    updates.push(TableUpdate::SetSnapshotRef {
        ref_name: "main".into(),
        reference: SnapshotReference::new(n, SnapshotRetention::branch(None, None, None)),
    });
    let change = TableChange::new(
        vec![TableRequirement::UuidMatch { uuid: md.uuid() }],
        updates,
    );
    commit_once(&cat, &ident, change).await?;
    println!(
        "{{\"snapshots\": {n}, \"manifests\": {}, \"data_files\": {total_files}}}",
        n * 2 + merged.len() as i64
    );
    Ok(())
}

/// A manifest as a manifest list records it once committed: later snapshots' lists carry it with
/// the sequence number of the snapshot that added it.
fn assigned(mut m: ManifestFile, seq: i64) -> ManifestFile {
    m.sequence_number = seq;
    if m.min_sequence_number < 0 {
        m.min_sequence_number = seq;
    }
    m
}
