#!/usr/bin/env python3
"""PyIceberg 0.12 side of icehelper's migrate tests.

  create   --db D --warehouse W --table T [--table T2 ...]   identical tables, 40 rows each
  twin     --db D --warehouse W --table T                    apply tests/migrations/orders with
                                                             PyIceberg's own update_schema /
                                                             update_spec / update_sort_order
  show     --db D --warehouse W --table T                    schema, default spec and sort order
                                                             JSON (as the metadata holds them)
                                                             and what a scan reads
"""
import argparse
import datetime as dt
import decimal
import json

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.sorting import NullOrder
from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform
from pyiceberg.types import (DecimalType, DoubleType, IntegerType, LongType, MapType, NestedField,
                             StringType, StructType, TimestamptzType)

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["create", "twin", "show"])
ap.add_argument("--db", required=True)
ap.add_argument("--warehouse", required=True)
ap.add_argument("--table", action="append", required=True)
a = ap.parse_args()
cat = SqlCatalog("lake", uri=f"sqlite:///{a.db}", warehouse=a.warehouse)

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "country", StringType(), required=False),
    NestedField(3, "amount", DoubleType(), required=False),
    NestedField(4, "qty", IntegerType(), required=False),
    NestedField(5, "price", DecimalType(10, 2), required=False),
    NestedField(6, "ts", TimestamptzType(), required=False),
    NestedField(7, "address", StructType(
        NestedField(9, "street", StringType(), required=False),
        NestedField(10, "city", StringType(), required=False),
    ), required=False),
    NestedField(8, "code", StringType(), required=True),
    identifier_field_ids=[1],
)
SPEC = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="country"))


def rows(n):
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "country": pa.array([["de", "fr", "us"][i % 3] for i in range(n)], pa.string()),
        "amount": pa.array([i * 1.5 for i in range(n)], pa.float64()),
        "qty": pa.array([i % 7 for i in range(n)], pa.int32()),
        "price": pa.array([decimal.Decimal(i) / 4 for i in range(n)], pa.decimal128(10, 2)),
        "ts": pa.array([start + dt.timedelta(hours=5 * i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "address": pa.array([{"street": f"s{i}", "city": f"c{i % 4}"} for i in range(n)],
                            pa.struct([("street", pa.string()), ("city", pa.string())])),
        "code": pa.array([f"k{i}" for i in range(n)], pa.string()),
    }, schema=pa.schema([
        pa.field("id", pa.int64(), nullable=False), pa.field("country", pa.string()),
        pa.field("amount", pa.float64()), pa.field("qty", pa.int32()), pa.field("price", pa.decimal128(10, 2)),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("address", pa.struct([("street", pa.string()), ("city", pa.string())])),
        pa.field("code", pa.string(), nullable=False),
    ]))


if a.cmd == "create":
    cat.create_namespace_if_not_exists("db")
    for name in a.table:
        t = cat.create_table(name, schema=SCHEMA, partition_spec=SPEC)
        t.append(rows(40))
    print(json.dumps({"ok": True}))
elif a.cmd == "twin":
    t = cat.load_table(a.table[0])
    # 0001_evolve_columns.toml
    with t.update_schema() as u:
        u.add_column("channel", StringType(), doc="sales channel")
        u.move_after("channel", "country")
        u.rename_column("amount", "amount_usd")
        u.update_column("qty", LongType())
        u.update_column("price", DecimalType(12, 2))
        u.add_column(("address", "zip"), StringType())
        u.rename_column("address.city", "town")
        u.add_column("tags", MapType(1, StringType(), 2, StructType(
            NestedField(3, "score", DoubleType(), required=False),
            NestedField(4, "seen", TimestamptzType(), required=False),
        ), value_required=False))
        u.move_first("tags")
        u.make_column_optional("code")
        u.update_column("id", doc="order id")
        u.move_before("ts", "id")
    # 0002_partition_and_sort.toml
    t = cat.load_table(a.table[0])
    with t.update_spec() as u:
        u.add_field("ts", DayTransform())
        u.add_field("id", BucketTransform(8), "id_bkt")
    t = cat.load_table(a.table[0])
    with t.update_sort_order() as u:
        u.desc("ts", IdentityTransform(), NullOrder.NULLS_LAST)
        u.asc("id", IdentityTransform(), NullOrder.NULLS_FIRST)
    t = cat.load_table(a.table[0])
    with t.transaction() as tx:
        tx.set_properties({"write.parquet.compression-codec": "zstd"})
    print(json.dumps({"ok": True}))
else:
    t = cat.load_table(a.table[0])
    md = t.metadata
    data = t.scan().to_arrow()
    out = {
        "schema": json.loads(t.schema().model_dump_json()),
        "last_column_id": md.last_column_id,
        "spec": json.loads(t.spec().model_dump_json()),
        "last_partition_id": md.last_partition_id,
        "sort_order": json.loads(t.sort_order().model_dump_json()),
        "rows": data.num_rows,
        "columns": data.column_names,
        "metadata_location": t.metadata_location,
        "properties": dict(md.properties),
    }
    if "amount_usd" in data.column_names:
        out["sum_amount_usd"] = sum(v for v in data.column("amount_usd").to_pylist() if v is not None)
        out["channel_nulls"] = data.column("channel").null_count
        out["zip_nulls"] = pa.compute.struct_field(data.column("address"), "zip").null_count
        out["towns"] = sorted({r["town"] for r in data.column("address").to_pylist() if r and r["town"]})
        out["max_qty"] = max(v for v in data.column("qty").to_pylist() if v is not None)
    else:
        out["sum_amount"] = sum(v for v in data.column("amount").to_pylist() if v is not None)
    print(json.dumps(out, default=str))
