#!/usr/bin/env python3
"""Appends two rows to a table through an Iceberg REST catalog with PyIceberg's RestCatalog and
prints what PyIceberg then sees through the same server: the snapshot ids (oldest first) and
`inspect.partitions()` (day values as ISO dates, last_updated_at as epoch milliseconds), as
make_pyiceberg_table.py prints them.

  rest_append.py --uri http://127.0.0.1:PORT [--token T] [--table db.events]
"""
import argparse
import datetime as dt
import json

import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog

ap = argparse.ArgumentParser()
ap.add_argument("--uri", required=True)
ap.add_argument("--token")
ap.add_argument("--catalog-name", default="lake")
ap.add_argument("--table", default="db.events")
a = ap.parse_args()

props = {"uri": a.uri}
if a.token:
    props["token"] = a.token
cat = RestCatalog(a.catalog_name, **props)
t = cat.load_table(a.table)
rows = {
    "id": [10_000_000, 10_000_001],
    "ts": [dt.datetime(2024, 3, 9, 12, tzinfo=dt.timezone.utc)] * 2,
    "category": ["books", None],
    "amount_usd": [1.5, 2.5],
    "user_id": [42, None],
    "channel": ["web", "app"],
}
t.append(pa.Table.from_pydict(rows, schema=t.schema().as_arrow()))
t = cat.load_table(a.table)

parts = []
for r in t.inspect.partitions().to_pylist():
    r["partition"] = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in (r.get("partition") or {}).items()}
    lu = r["last_updated_at"]
    r["last_updated_at"] = int(lu.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) if lu else None
    parts.append(r)
snaps = sorted(t.metadata.snapshots, key=lambda s: s.sequence_number)
print(json.dumps({
    "snapshots": [s.snapshot_id for s in snaps],
    "current_snapshot": t.current_snapshot().snapshot_id,
    "metadata_location": t.metadata_location,
    "partitions": parts,
    "rows": t.scan().to_arrow().num_rows,
}))
