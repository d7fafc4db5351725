#!/usr/bin/env python3
"""Builds a PyIceberg 0.12 table for icehelper's interop tests and prints what PyIceberg sees.

The table `db.events` (catalog name from --catalog-name) is partitioned by day(ts) and
bucket(4, user_id), gets --appends-before appends, a schema change (amount renamed to
amount_usd, a new column channel), a partition spec change (identity(category) added), then
--appends-after more appends. Each append writes one small file per partition it touches.

Prints one JSON object: snapshot ids (oldest first), the first snapshot id, the snapshot id
just before the schema change, and `inspect.partitions()` for the current and the first
snapshot, with day values as ISO dates and last_updated_at as epoch milliseconds.
"""
import argparse
import datetime as dt
import json
import random

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, DayTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestamptzType

ap = argparse.ArgumentParser()
ap.add_argument("--db", help="SQLite catalog file")
ap.add_argument("--uri", help="SQLAlchemy catalog URI (instead of --db), e.g. postgresql+psycopg2://...")
ap.add_argument("--warehouse", required=True)
ap.add_argument("--catalog-name", default="lake")
ap.add_argument("--table", default="db.events")
ap.add_argument("--appends-before", type=int, default=18)
ap.add_argument("--appends-after", type=int, default=14)
ap.add_argument("--rows-per-append", type=int, default=600)
ap.add_argument("--prop", action="append", default=[], help="extra catalog property KEY=VALUE")
a = ap.parse_args()

props = {"uri": a.uri or f"sqlite:///{a.db}", "warehouse": a.warehouse}
for p in a.prop:
    k, v = p.split("=", 1)
    props[k] = v
cat = SqlCatalog(a.catalog_name, **props)
ns = a.table.split(".")[0]
cat.create_namespace_if_not_exists(ns)
schema = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "ts", TimestamptzType(), required=False),
    NestedField(3, "category", StringType(), required=False),
    NestedField(4, "amount", DoubleType(), required=False),
    NestedField(5, "user_id", LongType(), required=False),
)
spec = PartitionSpec(
    PartitionField(source_id=2, field_id=1000, transform=DayTransform(), name="ts_day"),
    PartitionField(source_id=5, field_id=1001, transform=BucketTransform(4), name="user_bucket"),
)
t = cat.create_table(a.table, schema=schema, partition_spec=spec)

rng = random.Random(7)
start = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
next_id = 0


def batch(with_channel: bool) -> pa.Table:
    global next_id
    n = a.rows_per_append
    ids = list(range(next_id, next_id + n))
    next_id += n
    cols = {
        "id": pa.array(ids, pa.int64()),
        "ts": pa.array([start + dt.timedelta(days=rng.randrange(3), seconds=rng.randrange(86400)) for _ in ids],
                       pa.timestamp("us", tz="UTC")),
        "category": pa.array([rng.choice(["books", "games", "music", None]) for _ in ids], pa.string()),
        ("amount_usd" if with_channel else "amount"): pa.array([rng.random() * 100 for _ in ids], pa.float64()),
        "user_id": pa.array([rng.randrange(1, 10_000) if rng.random() > 0.02 else None for _ in ids], pa.int64()),
    }
    if with_channel:
        cols["channel"] = pa.array([rng.choice(["web", "app"]) for _ in ids], pa.string())
    return pa.table(cols)


for _ in range(a.appends_before):
    t.append(batch(False))
t = cat.load_table(a.table)
before_change = t.current_snapshot().snapshot_id
with t.update_schema() as u:
    u.rename_column("amount", "amount_usd")
    u.add_column("channel", StringType())
with t.update_spec() as u:
    u.add_identity("category")
t = cat.load_table(a.table)
for _ in range(a.appends_after):
    t.append(batch(True))
t = cat.load_table(a.table)


def partitions(snapshot_id=None):
    rows = t.inspect.partitions(snapshot_id=snapshot_id).to_pylist()
    out = []
    for r in rows:
        part = {}
        for k, v in (r.get("partition") or {}).items():
            part[k] = v.isoformat() if isinstance(v, dt.date) else v
        r["partition"] = part
        lu = r["last_updated_at"]
        r["last_updated_at"] = int(lu.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) if lu else None
        out.append(r)
    return out


snaps = sorted(t.metadata.snapshots, key=lambda s: s.sequence_number)
print(json.dumps({
    "snapshots": [s.snapshot_id for s in snaps],
    "first_snapshot": snaps[0].snapshot_id,
    "before_schema_change": before_change,
    "partitions": partitions(),
    "partitions_first": partitions(snaps[0].snapshot_id),
    "rows": t.scan().to_arrow().num_rows,
}))
