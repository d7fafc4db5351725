#!/usr/bin/env python3
"""Prints a table's rows as PyIceberg 0.12 reads them: one JSON object with the row count and the
rows sorted (a multiset, for comparisons), optionally at a snapshot."""
import argparse
import json

from pyiceberg.catalog.sql import SqlCatalog

ap = argparse.ArgumentParser()
ap.add_argument("--db", required=True)
ap.add_argument("--warehouse", required=True)
ap.add_argument("--table", required=True)
ap.add_argument("--snapshot-id", type=int)
ap.add_argument("--prop", action="append", default=[])
a = ap.parse_args()
props = {"uri": f"sqlite:///{a.db}", "warehouse": a.warehouse}
for p in a.prop:
    k, v = p.split("=", 1)
    props[k] = v
t = SqlCatalog("lake", **props).load_table(a.table)
rows = t.scan(snapshot_id=a.snapshot_id).to_arrow().to_pylist()
def norm(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 9)
    return v
out = sorted(json.dumps({k: norm(v) for k, v in r.items()}, sort_keys=True) for r in rows)
print(json.dumps({"count": len(rows), "rows": out}))
