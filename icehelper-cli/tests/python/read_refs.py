#!/usr/bin/env python3
"""Prints, as JSON, the rows PyIceberg 0.12 reads at each branch and tag of a table:
{"refs": {name: {"type": "branch"|"tag", "snapshot_id": id, "rows": n, "ids": [...]}},
 "current_snapshot_id": id}."""
import argparse
import json

from pyiceberg.catalog.sql import SqlCatalog

ap = argparse.ArgumentParser()
ap.add_argument("--db", required=True)
ap.add_argument("--warehouse", required=True)
ap.add_argument("--table", required=True)
a = ap.parse_args()
t = SqlCatalog("lake", uri=f"sqlite:///{a.db}", warehouse=a.warehouse).load_table(a.table)
out = {}
for name, ref in t.metadata.refs.items():
    data = t.scan(snapshot_id=ref.snapshot_id).to_arrow()
    out[name] = {
        "type": str(ref.snapshot_ref_type.value),
        "snapshot_id": ref.snapshot_id,
        "rows": data.num_rows,
        "ids": sorted(data.column("id").to_pylist()),
        "max_ref_age_ms": ref.max_ref_age_ms,
        "max_snapshot_age_ms": ref.max_snapshot_age_ms,
        "min_snapshots_to_keep": ref.min_snapshots_to_keep,
    }
print(json.dumps({"refs": out, "current_snapshot_id": t.metadata.current_snapshot_id}))
