#!/usr/bin/env python3
"""PyIceberg 0.12 tables for icehelper's hardening regressions.

`shared`: tables db.a and db.b whose data files share one folder (`write.data.path` = --data-path,
`write.object-storage.enabled=true`), three appends each.
`cities`: TABLE (id long, city string) partitioned by identity(city), over city names that need
escaping in a path (`Zürich`, `a~b`, `100%`, `x[1]`, `éa`, `日本語`, `a b`), four appends.
Each prints JSON: {table: [data file paths]}. `append` adds one row per city to TABLE's main. `set-prop` sets --prop K=V on TABLE (PyIceberg does not
check values) and prints the properties. `deep`: TABLE (id long, deep list<list<…<long>>>) with
the list nested --depth levels, one append of two rows; prints {table: [data files]}. `columns`:
{table: {columns: [top-level names], records: total-records of the current snapshot}}.
"""
import argparse
import json

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import ListType, LongType, NestedField, StringType

CITIES = ["Zürich", "a~b", "100%", "x[1]", "éa", "日本語", "a b"]

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["shared", "cities", "set-prop", "append", "deep", "columns"])
ap.add_argument("--prop", action="append", default=[], help="set-prop: table property KEY=VALUE")
ap.add_argument("--db", required=True)
ap.add_argument("--warehouse", required=True)
ap.add_argument("--table", default="db.cities")
ap.add_argument("--data-path")
ap.add_argument("--depth", type=int, default=126, help="deep: how deep the list nests")
ap.add_argument("--rest-uri", help="append: through this Iceberg REST catalog instead")
a = ap.parse_args()
cat = SqlCatalog("lake", uri=f"sqlite:///{a.db}", warehouse=a.warehouse)
cat.create_namespace_if_not_exists("db")
schema = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "city", StringType(), required=False),
)
arrow_schema = pa.schema([("id", pa.int64()), ("city", pa.string())])


def files(t):
    return sorted(t.inspect.files().column("file_path").to_pylist())


out = {}
if a.cmd == "append":
    if a.rest_uri:
        from pyiceberg.catalog.rest import RestCatalog

        cat = RestCatalog("lake", uri=a.rest_uri)
    t = cat.load_table(a.table)
    t.append(pa.table({"id": [9000 + i for i in range(len(CITIES))], "city": CITIES}, schema=arrow_schema))
    out[a.table] = files(t)
elif a.cmd == "set-prop":
    t = cat.load_table(a.table)
    with t.transaction() as tx:
        tx.set_properties(**dict(p.split("=", 1) for p in a.prop))
    out[a.table] = dict(t.refresh().properties)
elif a.cmd == "columns":
    t = cat.load_table(a.table)
    out[a.table] = {
        "columns": [f.name for f in t.schema().fields],
        "records": int(t.current_snapshot().summary["total-records"]),
    }
elif a.cmd == "deep":
    ty, next_id = LongType(), 3
    for _ in range(a.depth):
        ty = ListType(element_id=next_id, element_type=ty, element_required=False)
        next_id += 1
    t = cat.create_table(a.table, Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "deep", ty, required=False)))
    t.append(pa.table({"id": [1, 2]}).append_column("deep", pa.nulls(2, t.schema().as_arrow().field("deep").type)))
    out[a.table] = files(t)
elif a.cmd == "shared":
    for n, name in enumerate(["db.a", "db.b"]):
        t = cat.create_table(
            name,
            schema,
            properties={"write.data.path": a.data_path, "write.object-storage.enabled": "true"},
        )
        for i in range(3):
            base = n * 1000 + i * 10
            t.append(pa.table({"id": list(range(base, base + 10)), "city": ["c"] * 10}, schema=arrow_schema))
        out[name] = files(t)
else:
    spec = PartitionSpec(PartitionField(2, 1000, IdentityTransform(), "city"))
    # a secret among the table's properties: describe must never print it
    t = cat.create_table(
        a.table, schema, partition_spec=spec, properties={"s3.secret-access-key": "hunter2-table"}
    )
    for i in range(4):
        ids = list(range(i * 100, i * 100 + len(CITIES)))
        t.append(pa.table({"id": ids, "city": CITIES}, schema=arrow_schema))
    out[a.table] = files(t)
print(json.dumps(out))
