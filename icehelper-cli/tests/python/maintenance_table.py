#!/usr/bin/env python3
"""A PyIceberg 0.12 table with history, branches and tags for icehelper's maintenance tests.

`make` builds TABLE with six snapshots:
  s1 append A (ids 0-99)        s2 append B (100-199)     tag t1 -> s2
  s3 overwrite with C (200-299) branch audit -> s3
  s4 append D (300-399)         s5 delete 300 <= id < 320 (rewrites D's file)
  s6 append E (400-499)
and prints JSON: snapshot ids, the files each snapshot can read, every file under the
table location, and the row count of each ref. Options: --props K=V (table properties),
--pyiceberg-expire (expire s1..s5 that no ref keeps with PyIceberg's own expiry, which
deletes no file), --add-foreign FILE_URI (add_files a Parquet file written there).

`scan` prints {ref: row count} for main and every branch and tag (a full scan of each).
`props` sets table properties.  `drop-tag NAME` removes a tag.
"""
import argparse
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["make", "scan", "props", "drop-tag"])
ap.add_argument("--db", required=True)
ap.add_argument("--warehouse", required=True)
ap.add_argument("--catalog-name", default="lake")
ap.add_argument("--table", default="db.t")
ap.add_argument("--prop", action="append", default=[], help="catalog property KEY=VALUE")
ap.add_argument("--props", action="append", default=[], help="table property KEY=VALUE")
ap.add_argument("--pyiceberg-expire", action="store_true")
ap.add_argument("--add-foreign", action="append", default=[])
ap.add_argument("--name")
a = ap.parse_args()

props = {"uri": f"sqlite:///{a.db}", "warehouse": a.warehouse}
for p in a.prop:
    k, v = p.split("=", 1)
    props[k] = v
cat = SqlCatalog(a.catalog_name, **props)
table_props = dict(p.split("=", 1) for p in a.props)

schema = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "name", StringType(), required=False),
)
arrow_schema = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])


def rows(lo, hi):
    return pa.table({"id": list(range(lo, hi)), "name": [f"n{i}" for i in range(lo, hi)]}, schema=arrow_schema)


def live_files(t, snap):
    out = []
    for task in t.scan(snapshot_id=snap.snapshot_id).plan_files():
        out.append(task.file.file_path)
        out.extend(d.file_path for d in task.delete_files)
    return sorted(set(out))


def ref_counts(t):
    counts = {}
    for name, ref in t.metadata.refs.items():
        counts[name] = t.scan(snapshot_id=ref.snapshot_id).to_arrow().num_rows
    return counts


if a.cmd == "scan":
    t = cat.load_table(a.table)
    print(json.dumps(ref_counts(t)))
elif a.cmd == "props":
    t = cat.load_table(a.table)
    with t.transaction() as tx:
        tx.set_properties(table_props)
    print("{}")
elif a.cmd == "drop-tag":
    t = cat.load_table(a.table)
    t.manage_snapshots().remove_tag(a.name).commit()
    print("{}")
else:
    cat.create_namespace_if_not_exists(a.table.split(".")[0])
    t = cat.create_table(a.table, schema=schema, properties=table_props)
    t.append(rows(0, 100))
    t.append(rows(100, 200))
    s2 = t.current_snapshot().snapshot_id
    t.manage_snapshots().create_tag(s2, "t1").commit()
    t.overwrite(rows(200, 300))
    s3 = t.current_snapshot().snapshot_id
    t.manage_snapshots().create_branch(s3, "audit").commit()
    t.append(rows(300, 400))
    t.delete("id >= 300 and id < 320")
    t.append(rows(400, 500))
    for uri in a.add_foreign:
        io = t.io
        with io.new_output(uri).create(overwrite=True) as f:
            pq.write_table(rows(1000, 1010), f)
        t.add_files([uri])
    t = cat.load_table(a.table)
    snaps = [s.snapshot_id for s in t.snapshots()]
    files = {str(s.snapshot_id): live_files(t, s) for s in t.snapshots()}
    lists = {str(s.snapshot_id): s.manifest_list for s in t.snapshots()}
    manifests = {str(s.snapshot_id): [m.manifest_path for m in s.manifests(t.io)] for s in t.snapshots()}
    counts = ref_counts(t)
    refs = {n: r.snapshot_id for n, r in t.metadata.refs.items()}
    if a.pyiceberg_expire:
        keep = set(refs.values())
        old = [s for s in snaps if s not in keep]
        t.maintenance.expire_snapshots().by_ids(old).commit()
        t = cat.load_table(a.table)
    print(json.dumps({
        "snapshots": snaps,
        "refs": refs,
        "files": files,
        "manifest_lists": lists,
        "manifests": manifests,
        "counts": counts,
        "location": t.metadata.location,
        "metadata_location": t.metadata_location,
        "now_ms": int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000),
    }))
