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
# the SQL files name the branch with a run-time placeholder, substituted by the job (job.json's branch here)
replay_params = rp.sql_params(rcfg)
check(replay_params == {"replay_branch": "backfill"}, f"run-time SQL parameters: {replay_params}")
replay_merge = rt.render_sql(rt.read_text("merge.sql", d), replay_params)
check("MERGE INTO sales.orders.`branch_backfill`" in replay_merge, "merge.sql targets the branch")
rp.ensure_table(spark, rt.render_sql(rt.read_text("create_table.sql", d), replay_params))
rp.ensure_table(spark, rt.render_sql(rt.read_text("create_table.sql", d), replay_params))
refs = rows("SELECT name, type FROM sales.orders.refs ORDER BY name")
check(refs == [("backfill", "BRANCH"), ("main", "BRANCH")], f"the branch is created once, from main: {refs}")
replay_batch = [
    event("u", 60, before=row(1, "paid", "12.50"), after=row(1, "refunded", "0.00")),
    event("c", 61, after=row(5, "late", "7.00")),
    event("d", 62, before=row(4, "snap", "3.10"), envelope=True),
    event("u", 3, before=row(1, "new"), after=row(1, "older than the stored row")),
]
rp.merge_batch(batch(replay_batch), 0, rcfg, replay_merge)
check(rows(table) == want, f"main is untouched by the replay: {rows(table)}")
check(rows("SELECT snapshot_id FROM sales.orders.refs WHERE name = 'main'") == main_ref,
      "main's snapshot is the same")
branch = rows(table.replace("FROM sales.orders", "FROM sales.orders.branch_backfill"))
check(branch == [(1, "refunded", "0.00", "2024-01-01", "2024-01-01 00:00:00.001", 60),
                 (5, "late", "7.00", "2024-01-01", "2024-01-01 00:00:00.005", 61)],
      f"the branch has main's rows with the replayed changes: {branch}")
rp.merge_batch(batch(replay_batch), 1, rcfg, replay_merge)
check(rows(table.replace("FROM sales.orders", "FROM sales.orders.branch_backfill")) == branch,
      "replaying the batch into the branch again changes nothing")

# ---------------------------------------------------------------- run-time branch/checkpoint + verification
import argparse  # noqa: E402
import copy  # noqa: E402

rcfg0 = rt.load_config(os.path.join(d, "job.json"))


def args(**kw):
    base = {"replay_from": None, "replay_branch": None, "replay_checkpoint": None}
    base.update(kw)
    return argparse.Namespace(**base)


run = rp.apply_arguments(copy.deepcopy(rcfg0), args(replay_branch="backfill-7f3a-uid", replay_checkpoint="file:///tmp/cp-7f3a"))
check(run["replay"]["target"] == "sales.orders.`branch_backfill-7f3a-uid`"
      and run["replay"]["checkpoint_location"] == "file:///tmp/cp-7f3a",
      f"--replay-branch / --replay-checkpoint override job.json: {run['replay']}")
for bad in [args(replay_branch="main"), args(replay_branch="1x"), args(replay_branch="a b"),
            args(replay_checkpoint="no-scheme"), args(replay_checkpoint=rcfg0["checkpoint_location"])]:
    try:
        rp.apply_arguments(copy.deepcopy(rcfg0), bad)
        check(False, f"rejected: {bad}")
    except SystemExit:
        check(True, f"rejected: {bad}")
params = rp.sql_params(run)
rp.ensure_table(spark, rt.render_sql(rt.read_text("create_table.sql", d), params))
rp.merge_batch(batch(replay_batch), 0, run, rt.render_sql(rt.read_text("merge.sql", d), params))
run_rows = rows(table.replace("FROM sales.orders", "FROM sales.orders.`branch_backfill-7f3a-uid`"))
check(run_rows == branch, f"a run-time branch (with `-`) is created from main and merged into: {run_rows}")
check(rows(table) == want, "main is still untouched")
deleted = rp.changes(batch(replay_batch), run).where("_cdc_op = 'd'").select("id")
result = rp.verify_branch(spark, run, deleted)
check(result["main_rows"] == 2 and result["branch_rows"] == 2 and result["deletes_in_window"] == 1
      and result["missing_keys"] == 0 and result["duplicate_keys"] == 0,
      f"a legitimate delete in the window passes the verification: {result}")
try:
    rp.verify_branch(spark, run, deleted.where("false"))
    check(False, "a key of main missing from the branch without a delete fails the verification")
except SystemExit:
    check(True, "a key of main missing from the branch without a delete fails the verification")

# ---------------------------------------------------------------- cdc-to-iceberg Avro (Confluent wire format)
import decimal  # noqa: E402
import http.server  # noqa: E402
import io  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402

import fastavro  # noqa: E402


def debezium_schema(v2=False):
    value = [
        {"name": "id", "type": "long"},
        {"name": "status", "type": ["null", "string"], "default": None},
        {"name": "amount", "type": ["null", {"type": "bytes", "scale": 2, "precision": 12, "connect.version": 1,
                                              "connect.parameters": {"scale": "2", "connect.decimal.precision": "12"},
                                              "connect.name": "org.apache.kafka.connect.data.Decimal",
                                              "logicalType": "decimal"}], "default": None},
        {"name": "day", "type": ["null", {"type": "int", "connect.version": 1, "connect.name": "io.debezium.time.Date"}],
         "default": None},
        {"name": "updated_at", "type": ["null", {"type": "long", "connect.version": 1,
                                                  "connect.name": "io.debezium.time.MicroTimestamp"}], "default": None},
    ]
    if v2:  # a later schema version: columns the table does not have, of every complex type
        value[2:2] = [
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "attrs", "type": {"type": "map", "values": ["null", "double"]}, "default": {}},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}, "default": "A"},
            {"name": "flag", "type": "boolean", "default": False},
            {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
        ]
    return {"type": "record", "name": "Envelope", "namespace": "inventory.public.orders",
            "connect.name": "inventory.public.orders.Envelope", "fields": [
                {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": value}], "default": None},
                {"name": "after", "type": ["null", "Value"], "default": None},
                {"name": "source", "type": {"type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
                                            "fields": [
                                                {"name": "version", "type": "string"},
                                                {"name": "ts_ms", "type": "long"},
                                                {"name": "snapshot", "type": [{"type": "string", "connect.name": "io.debezium.data.Enum"}, "null"], "default": "false"},
                                                {"name": "sequence", "type": ["null", "string"], "default": None},
                                                {"name": "lsn", "type": ["null", "long"], "default": None}]}},
                {"name": "transaction", "type": ["null", {"type": "record", "name": "block", "namespace": "event", "fields": [
                    {"name": "id", "type": "string"}, {"name": "total_order", "type": "long"}]}], "default": None},
                {"name": "op", "type": "string"},
                {"name": "ts_ms", "type": ["null", "long"], "default": None}]}


SCHEMAS = {7: debezium_schema(), 8: debezium_schema(v2=True)}
registry_hits = []


class Registry(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        registry_hits.append(self.path)
        sid = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/apis/ccompat/v7/schemas/ids/") else None
        if sid not in SCHEMAS:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"schema": json.dumps(SCHEMAS[sid])}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
threading.Thread(target=server.serve_forever, daemon=True).start()

d = code("cdc-to-iceberg", "cdc-avro")
av = load(os.path.join(d, "cdc_to_iceberg.py"), "cdc_avro")
acfg = rt.load_config(os.path.join(d, "job.json"))
check(acfg["format"]["type"] == "avro" and acfg["kafka_security"]["protocol"] == "SSL",
      f"Avro job configuration: {acfg['format']}, {acfg['kafka_security']}")
acfg["format"]["registry_url"] = f"http://127.0.0.1:{server.server_address[1]}/apis/ccompat/v7"
spark.sparkContext.addPyFile(os.path.join(d, "datatier_avro.py"))
av.ensure_table(spark, rt.read_text("create_table.sql", d))
amerge = rt.read_text("merge.sql", d)
parsed = {sid: fastavro.parse_schema(s) for sid, s in SCHEMAS.items()}


def avro_row(i, status, amount, micros, v2=False):
    r = {"id": i, "status": status, "amount": decimal.Decimal(amount), "day": 19723, "updated_at": micros}
    if v2:
        r.update(note="n", tags=["x", "y"], attrs={"a": 1.5, "b": None}, kind="B", flag=True, digest=b"\x00\x01\x02\x03")
    return r


def avro_event(sid, op, lsn, before=None, after=None):
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed[sid], {
        "before": before, "after": after, "op": op, "ts_ms": 1000 + lsn, "transaction": None,
        "source": {"version": "3.3.1.Final", "ts_ms": 900 + lsn, "snapshot": "false", "sequence": None, "lsn": lsn}})
    return b"\x00" + struct.pack(">I", sid) + buf.getvalue()


def binary_batch(values):
    from pyspark.sql.types import BinaryType, StructField, StructType
    return spark.createDataFrame([(v,) for v in values], StructType([StructField("value", BinaryType())]))


t0 = 1704067200000000
avro_batch1 = [
    avro_event(7, "c", 10, after=avro_row(1, "new", "1.00", t0 + 1)),
    avro_event(7, "u", 20, before=avro_row(1, "new", "1.00", t0 + 1), after=avro_row(1, "paid", "-12.34", t0 + 123456)),
    avro_event(8, "c", 15, after=avro_row(2, "evolved", "99999.99", t0 + 2, v2=True)),
    avro_event(7, "c", 16, after=avro_row(3, None, "0.01", t0 + 3)),
    None,                         # tombstone
    b"not framed",                # not Confluent-framed: ignored
]
avro_batch2 = [
    avro_event(8, "d", 30, before=avro_row(3, None, "0.01", t0 + 3, v2=True)),
    avro_event(8, "u", 12, before=avro_row(1, "new", "1.00", t0 + 1, v2=True), after=avro_row(1, "stale", "5.00", t0 + 5, v2=True)),
]
check(av.schema_ids(binary_batch(avro_batch1)) == [7, 8], "schema ids are read from the Confluent frame")
av.merge_batch(binary_batch(avro_batch1), 0, acfg, amerge)
av.merge_batch(binary_batch(avro_batch2), 1, acfg, amerge)
atable = ("SELECT id, status, CAST(amount AS STRING), CAST(day AS STRING), CAST(updated_at AS STRING), _cdc_order "
          "FROM sales.orders_avro ORDER BY id")
got = rows(atable)
check(got == [(1, "paid", "-12.34", "2024-01-01", "2024-01-01 00:00:00.123456", 20),
              (2, "evolved", "99999.99", "2024-01-01", "2024-01-01 00:00:00.000002", 15)],
      f"Avro events of two schema versions decode (decimal, Debezium date and micro-timestamp) and merge: {got}")
check(sorted(registry_hits) == ["/apis/ccompat/v7/schemas/ids/7", "/apis/ccompat/v7/schemas/ids/8"],
      f"each writer schema is fetched once from the ccompat API: {registry_hits}")

env = {"KAFKA_KEYSTORE_PASSWORD": "ks-pass", "KAFKA_TRUSTSTORE_PASSWORD": "ts-pass"}
opts = av.kafka_options(acfg, env)
check(opts["kafka.security.protocol"] == "SSL" and opts["kafka.ssl.keystore.password"] == "ks-pass"
      and opts["kafka.ssl.keystore.location"] == "/opt/spark/kafka/user/user.p12"
      and opts["kafka.ssl.truststore.password"] == "ts-pass" and opts["kafka.ssl.truststore.type"] == "PKCS12"
      and opts["groupIdPrefix"] == "spark-cdc" and opts["kafka.bootstrap.servers"].endswith(":9093"),
      "mTLS Kafka options with passwords read from the environment")
try:
    av.kafka_options(acfg, {"KAFKA_KEYSTORE_PASSWORD": "x"})
    check(False, "a missing password variable fails")
except SystemExit:
    check(True, "a missing password variable fails")
scram = dict(acfg, kafka_security={"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username": "u",
                                   "password_env": "P", "truststore": {"path": "/ca.p12", "password_env": "T"}})
opts = av.kafka_options(scram, {"P": 'p"w\\d', "T": "t"})
check(opts["kafka.sasl.mechanism"] == "SCRAM-SHA-512" and opts["kafka.sasl.jaas.config"]
      == 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p\\"w\\\\d";',
      f"SCRAM options quote the password: {opts['kafka.sasl.jaas.config']}")
server.shutdown()

spark.stop()
print("all job checks passed", flush=True)
