//! A realistic demo table with the small-files problem: click-stream events partitioned by
//! `day(ts)` and `region`, appended in many small commits, as a streaming ingest leaves them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use iceberg::spec::{
    Literal, NestedField, PrimitiveType, Schema, Struct, Transform, Type, UnboundPartitionSpec,
};
use iceberg::{NamespaceIdent, TableCreation, TableIdent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::append::{append, PartitionBatch};
use crate::catalog::LakeCatalog;
use crate::error::{Error, Result};

/// Regions with their share of events: a skewed low-cardinality partition column.
const REGIONS: &[(&str, u32)] = &[
    ("eu", 40),
    ("us", 30),
    ("apac", 15),
    ("latam", 10),
    ("africa", 5),
];
const EVENT_TYPES: &[&str] = &[
    "view",
    "view",
    "view",
    "click",
    "click",
    "add_to_cart",
    "purchase",
];
const DEVICES: &[&str] = &["ios", "android", "web"];
/// 2024-01-01T00:00:00Z in microseconds.
const START_MICROS: i64 = 1_704_067_200_000_000;
const DAY_MICROS: i64 = 86_400_000_000;

/// What [`Quickstart::execute`] did.
#[derive(Debug, Clone, Serialize)]
pub struct QuickstartReport {
    /// The table created.
    pub table: String,
    /// Its location.
    pub location: String,
    /// Rows written.
    pub rows: u64,
    /// Commits (snapshots) made.
    pub commits: u32,
    /// Data files written.
    pub data_files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time.
    pub duration_ms: u64,
}

/// Creates the demo table and fills it.
#[must_use = "a Quickstart does nothing until executed"]
#[derive(Debug)]
pub struct Quickstart<'a> {
    catalog: &'a LakeCatalog,
    table: TableIdent,
    rows: u64,
    commits: u32,
    days: u32,
    seed: u64,
}

impl<'a> Quickstart<'a> {
    /// `demo.events`: 1,000,000 rows in 30 commits over 10 days.
    pub fn new(catalog: &'a LakeCatalog) -> Self {
        Quickstart {
            catalog,
            table: TableIdent::from_strs(["demo", "events"]).expect("valid identifier"),
            rows: 1_000_000,
            commits: 30,
            days: 10,
            seed: 42,
        }
    }

    /// Another table name.
    pub fn with_table(mut self, table: TableIdent) -> Self {
        self.table = table;
        self
    }

    /// Total rows (default 1,000,000).
    pub fn with_rows(mut self, rows: u64) -> Self {
        self.rows = rows;
        self
    }

    /// Number of append commits (default 30).
    pub fn with_commits(mut self, commits: u32) -> Self {
        self.commits = commits;
        self
    }

    /// Number of days the events span (default 10).
    pub fn with_days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// The demo table's schema.
    pub fn schema() -> Result<Schema> {
        Ok(Schema::builder()
            .with_schema_id(0)
            .with_fields(vec![
                NestedField::required(1, "event_id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::required(2, "ts", Type::Primitive(PrimitiveType::Timestamptz)).into(),
                NestedField::required(3, "region", Type::Primitive(PrimitiveType::String)).into(),
                NestedField::optional(4, "user_id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::optional(5, "event_type", Type::Primitive(PrimitiveType::String))
                    .into(),
                NestedField::optional(6, "device", Type::Primitive(PrimitiveType::String)).into(),
                NestedField::optional(7, "amount", Type::Primitive(PrimitiveType::Double)).into(),
            ])
            .build()?)
    }

    /// Creates the namespace and table, then appends `rows` rows in `commits` commits, each
    /// writing one small file per (day, region) it touches.
    pub async fn execute(self) -> Result<QuickstartReport> {
        if self.rows == 0 || self.commits == 0 || self.days == 0 {
            return Err(Error::option(
                "quickstart",
                "rows, commits and days must be positive",
            ));
        }
        let started = Instant::now();
        let cat = self.catalog.iceberg();
        let ns: NamespaceIdent = self.table.namespace().clone();
        if cat.table_exists(&self.table).await? {
            return Err(Error::option(
                "table",
                format!(
                    "{} already exists; drop it or pick another name",
                    self.table
                ),
            ));
        }
        if !cat.namespace_exists(&ns).await? {
            cat.create_namespace(&ns, Default::default()).await?;
        }
        let schema = Self::schema()?;
        let spec = UnboundPartitionSpec::builder()
            .add_partition_field(2, "ts_day", Transform::Day)?
            .add_partition_field(3, "region", Transform::Identity)?
            .build();
        let mut props = BTreeMap::new();
        props.insert(
            "write.parquet.compression-codec".to_string(),
            "zstd".to_string(),
        );
        props.insert("created-by".to_string(), "icehelper quickstart".to_string());
        let creation = TableCreation::builder()
            .name(self.table.name().to_string())
            .schema(schema)
            .partition_spec(spec)
            .properties(props)
            .build();
        let mut table = cat.create_table(&ns, creation).await?;
        let arrow_schema = Arc::new(iceberg::arrow::schema_to_arrow_schema(
            table.metadata().current_schema(),
        )?);

        let mut rng = StdRng::seed_from_u64(self.seed);
        let region_total: u32 = REGIONS.iter().map(|r| r.1).sum();
        let mut next_id: i64 = 0;
        let mut data_files = 0u64;
        let mut bytes = 0u64;
        for c in 0..self.commits {
            let n = self.rows / self.commits as u64
                + u64::from((c as u64) < self.rows % self.commits as u64);
            // rows of this commit, grouped by (day, region)
            let mut groups: BTreeMap<(i32, usize), Vec<Row>> = BTreeMap::new();
            for _ in 0..n {
                let day = rng.random_range(0..self.days) as i64;
                let mut pick = rng.random_range(0..region_total);
                let region = REGIONS
                    .iter()
                    .position(|(_, w)| {
                        if pick < *w {
                            true
                        } else {
                            pick -= w;
                            false
                        }
                    })
                    .expect("weights cover the range");
                let ts = START_MICROS + day * DAY_MICROS + rng.random_range(0..DAY_MICROS);
                let event_type = EVENT_TYPES[rng.random_range(0..EVENT_TYPES.len())];
                let amount = (event_type == "purchase")
                    .then(|| (rng.random_range(100..50_000) as f64) / 100.0);
                let row = Row {
                    id: next_id,
                    ts,
                    user_id: (rng.random_range(0..50_000) != 0)
                        .then(|| rng.random_range(1..200_000)),
                    event_type,
                    device: DEVICES[rng.random_range(0..DEVICES.len())],
                    amount,
                };
                next_id += 1;
                let epoch_day = ((START_MICROS / DAY_MICROS) + day) as i32;
                groups.entry((epoch_day, region)).or_default().push(row);
            }
            let mut batches = Vec::with_capacity(groups.len());
            for ((epoch_day, region), rows) in groups {
                let region_name = REGIONS[region].0;
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.id))),
                    Arc::new(
                        TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.ts))
                            .with_timezone("+00:00"),
                    ),
                    Arc::new(StringArray::from_iter_values(
                        rows.iter().map(|_| region_name),
                    )),
                    Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.user_id))),
                    Arc::new(StringArray::from_iter(
                        rows.iter().map(|r| Some(r.event_type)),
                    )),
                    Arc::new(StringArray::from_iter(rows.iter().map(|r| Some(r.device)))),
                    Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.amount))),
                ];
                let batch = RecordBatch::try_new(arrow_schema.clone(), columns).map_err(|e| {
                    iceberg::Error::new(iceberg::ErrorKind::Unexpected, e.to_string())
                })?;
                batches.push(PartitionBatch {
                    partition: Some(Struct::from_iter([
                        Some(Literal::date(epoch_day)),
                        Some(Literal::string(region_name)),
                    ])),
                    batch,
                });
            }
            let files_before = table.metadata().current_snapshot().cloned();
            table = append(self.catalog, &table, batches).await?;
            let snap = table.metadata().current_snapshot().cloned();
            if let Some(s) =
                snap.filter(|s| Some(s.snapshot_id()) != files_before.map(|b| b.snapshot_id()))
            {
                let get = |k: &str| {
                    s.summary()
                        .additional_properties
                        .get(k)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                data_files += get("added-data-files");
                bytes += get("added-files-size");
            }
        }
        Ok(QuickstartReport {
            table: self.table.to_string(),
            location: table.metadata().location().to_string(),
            rows: self.rows,
            commits: self.commits,
            data_files,
            bytes,
            duration_ms: started.elapsed().as_millis() as u64,
        })
    }
}

struct Row {
    id: i64,
    ts: i64,
    user_id: Option<i64>,
    event_type: &'static str,
    device: &'static str,
    amount: Option<f64>,
}

into_future!(Quickstart => QuickstartReport);
