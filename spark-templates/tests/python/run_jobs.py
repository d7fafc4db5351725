"""Runs the rendered job code of aggregation-batch, partition-rebuild, iceberg-maintenance and
cdc-to-iceberg in a local Spark 3.5 + Iceberg 1.10 and checks the resulting tables.

  python run_jobs.py WORKDIR BASES_DIR

WORKDIR holds catalog.db and warehouse/ prepared by spark_sql.py (table lake.analytics.events);
BASES_DIR holds the bases rendered by the Rust test (see tests/job_code.rs).
"""
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparktest import check, load, session  # noqa: E402

work, bases = sys.argv[1], sys.argv[2]
os.environ["TEST_LAKE_URI"] = "jdbc:sqlite:" + os.path.join(os.path.abspath(work), "catalog.db")
# the catalog URI comes from the environment through the runtime's conf_from_env
spark = session(os.path.join(work, "catalog.db"), os.path.join(work, "warehouse"), extra_conf={
    "spark.datatier.confFromEnv.spark.sql.catalog.lake.uri": "TEST_LAKE_URI"})


def code(template, name):
    return os.path.join(bases, template, name, f"{name}-code")


rt = load(os.path.join(code("aggregation-batch", "agg"), "datatier_spark.py"), "datatier_spark")
rt.conf_from_env(spark)
check(spark.conf.get("spark.sql.catalog.lake.uri") == os.environ["TEST_LAKE_URI"],
      "conf_from_env sets the catalog URI from the environment")
check(rt.render_sql("a {{ ds }} {{ds_nodash}}", rt.date_params(datetime.date(2024, 1, 31)))
      == "a 2024-01-31 20240131", "render_sql substitutes run-time parameters")
try:
    rt.render_sql("{{ nope }}", {})
    check(False, "unknown parameters raise")
except KeyError:
    check(True, "unknown parameters raise")


def rows(sql):
    return [tuple(r) for r in spark.sql(sql).collect()]


# ---------------------------------------------------------------- aggregation-batch
d = code("aggregation-batch", "agg")
agg = load(os.path.join(d, "aggregation_batch.py"), "aggregation_batch")
cfg = rt.load_config(os.path.join(d, "job.json"))
sql = rt.read_text("aggregation.sql", d)
day1, day2 = datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)
agg.run(spark, cfg, day1, sql)
first = rows("SELECT ds, event_type, events, users FROM analytics.events_daily ORDER BY event_type")
check(first == [(day1, "click", 2, 2), (day1, "view", 1, 1)], f"aggregation for {day1}: {first}")
agg.run(spark, cfg, day1, sql)
check(rows("SELECT ds, event_type, events, users FROM analytics.events_daily ORDER BY event_type") == first,
      "re-running the same date gives the same rows")
agg.run(spark, cfg, day2, sql)
spark.sql("INSERT INTO analytics.events VALUES (TIMESTAMP '2024-01-01 23:00:00', 'view', 3, DATE '2024-01-01')")
agg.run(spark, cfg, day1, sql)
now = rows("SELECT ds, event_type, events, users FROM analytics.events_daily ORDER BY ds, event_type")
check(now == [(day1, "click", 2, 2), (day1, "view", 2, 2), (day2, "click", 1, 1)],
      f"a re-run replaces only its date: {now}")

# ---------------------------------------------------------------- partition-rebuild (overwrite)
d = code("partition-rebuild", "rebuild-overwrite")
pr = load(os.path.join(d, "partition_rebuild.py"), "partition_rebuild")
cfg = rt.load_config(os.path.join(d, "job.json"))
src = rt.read_text("source.sql", d)
pr.run(spark, cfg, day1, day2, src)
pr.run(spark, cfg, day1, day2, src)
got = rows("SELECT ds, count(*) FROM analytics.events_copy GROUP BY ds ORDER BY ds")
want = rows("SELECT ds, count(*) FROM analytics.events GROUP BY ds ORDER BY ds")
check(got == want, f"overwrite rebuild copies each day once, twice run: {got}")
snapshots = rows("SELECT count(*) FROM analytics.events_copy.snapshots")[0][0]
check(snapshots == 4, f"one commit per day and run: {snapshots}")

# ---------------------------------------------------------------- partition-rebuild (rewrite)
d = code("partition-rebuild", "rebuild-rewrite")
cfg = rt.load_config(os.path.join(d, "job.json"))
before = rows("SELECT * FROM analytics.events ORDER BY event_time, user_id")
files_before = rows("SELECT count(*) FROM analytics.events.files WHERE content = 0 AND partition.ds = DATE '2024-01-01'")[0][0]
results = pr.run(spark, cfg, day1, day1, rt.read_text("rewrite.sql", d))
check(results[0][1].get("rewritten_data_files_count") == files_before,
      f"rewrite mode rewrites the day's {files_before} files: {results}")
check(rows("SELECT * FROM analytics.events ORDER BY event_time, user_id") == before,
      "rewrite mode keeps the rows")
files_after = rows("SELECT count(*) FROM analytics.events.files WHERE content = 0 AND partition.ds = DATE '2024-01-01'")[0][0]
check(files_after == 1, f"the day is one file after the rewrite: {files_after}")

# ---------------------------------------------------------------- iceberg-maintenance
d = code("iceberg-maintenance", "maint")
mt = load(os.path.join(d, "iceberg_maintenance.py"), "iceberg_maintenance")
# two rows in one file, one deleted: a position delete (deleting a whole file is a metadata-only delete)
spark.sql("INSERT INTO analytics.events VALUES (TIMESTAMP '2024-01-02 12:00:00', 'click', 99, DATE '2024-01-02'), "
          "(TIMESTAMP '2024-01-02 13:00:00', 'view', 98, DATE '2024-01-02')")
spark.sql("DELETE FROM analytics.events WHERE user_id = 99")
check(rows("SELECT count(*) FROM analytics.events.delete_files")[0][0] >= 1, "a position delete file exists")
location = rows("DESCRIBE TABLE EXTENDED analytics.events")
location = next(r[1] for r in location if r[0] == "Location").replace("file:", "")
orphan = os.path.join(location, "data", "orphan-file.parquet")
with open(orphan, "w") as f:
    f.write("not referenced")
old = time.time() - 4 * 86400
os.utime(orphan, (old, old))
before = rows("SELECT * FROM analytics.events ORDER BY event_time, user_id")
results, failed = mt.run(spark, rt.read_text("maintenance.sql", d))
check(failed == [], f"maintenance succeeded: {failed}")
done = [(t, p) for t, p, _ in results]
check(done == [("analytics.events", p) for p in ["rewrite_data_files", "rewrite_position_delete_files",
       "rewrite_manifests", "expire_snapshots", "remove_orphan_files"]],
      f"every procedure ran in order: {done}")
check(rows("SELECT * FROM analytics.events ORDER BY event_time, user_id") == before, "maintenance keeps the rows")
check(rows("SELECT count(*) FROM analytics.events.delete_files")[0][0] == 0, "no live delete files")
check(rows("SELECT count(*) FROM analytics.events.snapshots")[0][0] == 1, "snapshots expired down to retain-last 1")
check(not os.path.exists(orphan), "the back-dated orphan file was removed")
# a missing table fails alone and is reported
results, failed = mt.run(spark, "-- @ analytics.nope rewrite_manifests\nCALL lake.system.rewrite_manifests(table => 'analytics.nope');\n"
                         + rt.read_text("maintenance.sql", d))
check(failed == ["analytics.nope"] and len(results) == 5, f"a failing table does not stop the others: {failed}")

# ---------------------------------------------------------------- cdc-to-iceberg
d = code("cdc-to-iceberg", "cdc")
cdc = load(os.path.join(d, "cdc_to_iceberg.py"), "cdc_to_iceberg")
cfg = rt.load_config(os.path.join(d, "job.json"))
cdc.ensure_table(spark, rt.read_text("create_table.sql", d))
merge_sql = rt.read_text("merge.sql", d)


def row(i, status, amount="1.00"):
    return {"id": i, "status": status, "amount": amount, "day": 19723, "updated_at": 1704067200000 + i}


def event(op, lsn, before=None, after=None, envelope=False, ts=None):
    payload = {"before": before, "after": after, "op": op, "ts_ms": ts or 1000 + lsn,
               "source": {"lsn": lsn, "ts_ms": 900 + lsn}}
    return json.dumps({"schema": {"type": "struct"}, "payload": payload} if envelope else payload)


def batch(values):
    from pyspark.sql.types import StringType, StructField, StructType
    return spark.createDataFrame([(v,) for v in values], StructType([StructField("value", StringType())]))


batch1 = [
    event("c", 10, after=row(1, "new")),
    event("u", 30, before=row(1, "pending"), after=row(1, "paid", "12.50")),
    event("u", 20, before=row(1, "new"), after=row(1, "pending")),
    event("c", 15, after=row(2, "new")),
    event("d", 40, before=row(3, "new")),
    event("c", 16, after=row(3, "new")),
    None,
]
batch2 = [
    event("d", 50, before=row(2, "new")),
    event("u", 25, before=row(1, "new"), after=row(1, "stale")),
    event("r", 5, after=row(4, "snap", "3.10"), envelope=True),
]
cdc.merge_batch(batch(batch1), 0, cfg, merge_sql)
cdc.merge_batch(batch(batch2), 1, cfg, merge_sql)
table = "SELECT id, status, CAST(amount AS STRING), CAST(day AS STRING), CAST(updated_at AS STRING), _cdc_order FROM sales.orders ORDER BY id"
got = rows(table)
want = [(1, "paid", "12.50", "2024-01-01", "2024-01-01 00:00:00.001", 30),
        (4, "snap", "3.10", "2024-01-01", "2024-01-01 00:00:00.004", 5)]
check(got == want, f"CDC merge applies inserts, updates and deletes by key in LSN order: {got}")
cdc.merge_batch(batch(batch2), 2, cfg, merge_sql)
check(rows(table) == want, "replaying a batch changes nothing")

# ---------------------------------------------------------------- cdc-to-iceberg bounded replay (branch)
d = code("cdc-to-iceberg", "cdc-replay")
rp = load(os.path.join(d, "cdc_to_iceberg.py"), "cdc_replay")
rcfg = rt.load_config(os.path.join(d, "job.json"))
check(rcfg["replay"]["target"] == "sales.orders.branch_backfill"
      and rcfg["replay"]["starting_timestamp_ms"] == 1704067200000, f"replay configuration: {rcfg['replay']}")
check([rp.replay_from_millis(v) for v in ["2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00", "1704067200000"]]
      == [1704067200000] * 3, "--replay-from accepts RFC 3339 and epoch milliseconds")
main_ref = rows("SELECT snapshot_id FROM sales.orders.refs WHERE name = 'main'")
rp.ensure_table(spark, rt.read_text("create_table.sql", d))
rp.ensure_table(spark, rt.read_text("create_table.sql", d))
refs = rows("SELECT name, type FROM sales.orders.refs ORDER BY name")
check(refs == [("backfill", "BRANCH"), ("main", "BRANCH")], f"the branch is created once, from main: {refs}")
replay_batch = [
    event("u", 60, before=row(1, "paid", "12.50"), after=row(1, "refunded", "0.00")),
    event("c", 61, after=row(5, "late", "7.00")),
    event("d", 62, before=row(4, "snap", "3.10"), envelope=True),
    event("u", 3, before=row(1, "new"), after=row(1, "older than the stored row")),
]
rp.merge_batch(batch(replay_batch), 0, rcfg, rt.read_text("merge.sql", d))
check(rows(table) == want, f"main is untouched by the replay: {rows(table)}")
check(rows("SELECT snapshot_id FROM sales.orders.refs WHERE name = 'main'") == main_ref,
      "main's snapshot is the same")
branch = rows(table.replace("FROM sales.orders", "FROM sales.orders.branch_backfill"))
check(branch == [(1, "refunded", "0.00", "2024-01-01", "2024-01-01 00:00:00.001", 60),
                 (5, "late", "7.00", "2024-01-01", "2024-01-01 00:00:00.005", 61)],
      f"the branch has main's rows with the replayed changes: {branch}")
rp.merge_batch(batch(replay_batch), 1, rcfg, rt.read_text("merge.sql", d))
check(rows(table.replace("FROM sales.orders", "FROM sales.orders.branch_backfill")) == branch,
      "replaying the batch into the branch again changes nothing")

spark.stop()
print("all job checks passed", flush=True)
