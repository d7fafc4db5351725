"""cdc-to-iceberg: bounded replay of Debezium changes from inventory.public.orders since 1970-01-01T00:00:00Z merged into raw_inventory.orders.branch_backfill

Structured Streaming from Kafka topic inventory.public.orders (Debezium Avro change events (Confluent wire format, writer schemas from the registry)) into the Iceberg table raw_inventory.orders. Each micro-batch is reduced to the latest event
per primary key (id), ordered by source.lsn then ts_ms, and applied
with MERGE INTO (merge.sql): creates and updates upsert, deletes delete. Events older than the row
already in the table (by the same order) are ignored, so replays and late batches are harmless.

Bounded replay (job.json `replay`): reads from the first offset at or after `starting_timestamp`
in each partition (Kafka startingTimestamp) up to the end offsets present when the job starts
(trigger availableNow), merges into raw_inventory.orders.`branch_{{ replay_branch }}` instead of the table's main, with its own checkpoint,
and ends. --replay-from overrides the start (RFC 3339 or epoch milliseconds); it only applies to a
new checkpoint (a rerun resumes where the previous run stopped). --replay-checkpoint overrides the
checkpoint location and --replay-branch the branch (so that every run of a pipeline gets its
own). After the replay the branch is verified: no duplicate keys, and every key of main is in the
branch unless its last event in the replayed window deletes it (the window is read again, up to
the end offsets of the last batch); a failed check exits 1.

  spark-submit cdc_to_iceberg.py [--config job.json] [--replay-from TIMESTAMP] [--replay-branch NAME]
                                 [--replay-checkpoint URI]
"""
import argparse
import json
import os
import re

import datatier_spark as rt

# Debezium's JSON types for a column type: (type in the event, conversion to the table type)
_DEBEZIUM = {
    "DATE": ("INT", "date_add(DATE'1970-01-01', {c})"),
    "TIMESTAMP": ("BIGINT", "timestamp_millis({c})"),
}


def _event_type(sql_type):
    if sql_type.upper().startswith("DECIMAL"):
        return "STRING"
    return _DEBEZIUM.get(sql_type.upper(), (sql_type, None))[0]


def _convert(sql_type, column):
    if sql_type.upper().startswith("DECIMAL"):
        return f"CAST({column} AS {sql_type})"
    template = _DEBEZIUM.get(sql_type.upper(), (None, None))[1]
    return template.format(c=column) if template else column


def envelope_ddl(cfg):
    row = ", ".join(f"`{c['name']}`: {_event_type(c['type'])}" for c in cfg["columns"])
    env = (f"before: STRUCT<{row}>, after: STRUCT<{row}>, op: STRING, ts_ms: BIGINT, "
           f"source: STRUCT<{cfg['order_field']}: BIGINT, ts_ms: BIGINT>")
    return f"STRUCT<payload: STRUCT<{env}>, {env}>"


def _parse_json(batch_df, cfg):
    """Debezium JSON (JsonConverter, with or without schemas): envelope struct `e`, raw column types."""
    from pyspark.sql import functions as F

    return (batch_df.select(F.from_json(F.col("value").cast("string"), envelope_ddl(cfg)).alias("e"))
            .select(F.when(F.col("e.payload").isNotNull(), F.col("e.payload"))
                    .otherwise(F.struct("e.before", "e.after", "e.op", "e.ts_ms", "e.source"))
                    .alias("e")))


def avro_envelope_type(cfg):
    """The Spark type of a decoded Avro envelope: rows already have the table's column types."""
    from pyspark.sql.types import _parse_datatype_string

    row = ", ".join(f"`{c['name']}`: {c['type']}" for c in cfg["columns"])
    return _parse_datatype_string(
        f"struct<before: struct<{row}>, after: struct<{row}>, op: string, ts_ms: bigint, "
        f"source: struct<{cfg['order_field']}: bigint, ts_ms: bigint>>")


def schema_ids(batch_df):
    """The distinct schema ids of the Confluent-framed records of a batch."""
    from pyspark.sql import functions as F

    framed = batch_df.where(F.expr("length(value) >= 5 AND substring(value, 1, 1) = X'00'"))
    ids = framed.select(F.expr("conv(hex(substring(value, 2, 4)), 16, 10)").cast("long").alias("id")).distinct()
    return sorted(r["id"] for r in ids.collect())


_SCHEMAS = {}


def _parse_avro(batch_df, cfg):
    """Confluent-framed Avro (Apicurio as-confluent): writer schemas fetched per batch, decoded
    by datatier_avro in a Python UDF into envelope struct `e` with the table's column types."""
    import datatier_avro
    from pyspark.sql import functions as F

    fmt = cfg["format"]
    for sid in schema_ids(batch_df):
        if sid not in _SCHEMAS:
            _SCHEMAS[sid] = datatier_avro.fetch_schema(fmt["registry_url"], sid)
            rt.log("schema_fetched", schema_id=sid)
    decode = datatier_avro.decoder(dict(_SCHEMAS), cfg["columns"], cfg["order_field"])
    udf = F.udf(lambda v: decode(v), avro_envelope_type(cfg))
    return batch_df.select(udf(F.col("value")).alias("e"))


def parse(batch_df, cfg):
    """Change events of a batch of Kafka records (column `value`) as struct `e` (before, after, op,
    ts_ms, source); tombstones and records that are not change events are dropped."""
    from pyspark.sql import functions as F

    batch_df = batch_df.where(F.col("value").isNotNull())
    avro = cfg.get("format", {}).get("type") == "avro"
    parsed = _parse_avro(batch_df, cfg) if avro else _parse_json(batch_df, cfg)
    return parsed.where(F.col("e.op").isin("c", "u", "d", "r")), avro


def changes(batch_df, cfg):
    """The latest change per key of a batch of Kafka records (column `value`)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    parsed, typed = parse(batch_df, cfg)
    cols = []
    for c in cfg["columns"]:
        name = c["name"]
        if name in cfg["keys"]:
            raw = f"coalesce(e.after.`{name}`, e.before.`{name}`)"
        else:
            raw = f"e.after.`{name}`"
        cols.append((F.expr(raw) if typed else F.expr(_convert(c["type"], raw))).alias(name))
    ordered = parsed.select(
        *cols,
        F.col("e.op").alias("_cdc_op"),
        F.coalesce(F.col(f"e.source.{cfg['order_field']}"), F.lit(-1)).alias("_cdc_order"),
        F.coalesce(F.col("e.ts_ms"), F.col("e.source.ts_ms"), F.lit(-1)).alias("_cdc_ts_ms"),
    )
    w = Window.partitionBy(*cfg["keys"]).orderBy(F.col("_cdc_order").desc(), F.col("_cdc_ts_ms").desc())
    return (ordered.withColumn("_cdc_rank", F.row_number().over(w))
            .where("_cdc_rank = 1").drop("_cdc_rank"))


def merge_batch(batch_df, batch_id, cfg, merge_sql):
    """foreachBatch: MERGE the batch's latest changes into the table (merge_sql with run-time
    parameters already substituted)."""
    spark = batch_df.sparkSession
    latest = changes(batch_df, cfg)
    latest.createOrReplaceTempView("cdc_changes")
    spark.sql(merge_sql)
    target = cfg["replay"]["target"] if cfg.get("replay") else cfg["table"]
    rt.log("batch_merged", batch_id=batch_id, table=target)


BRANCH_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")


def branch_target(table, branch):
    """The Iceberg identifier of `branch` of `table` (quoted: run-time names may contain `-`)."""
    if not BRANCH_NAME.match(branch) or branch == "main":
        raise ValueError(f"branch {branch!r}: a letter, then letters, digits, `_` or `-` (at most 100); not main")
    return f"{table}.`branch_{branch}`"


def sql_params(cfg):
    """Run-time parameters of merge.sql and create_table.sql."""
    replay = cfg.get("replay") or {}
    return {"replay_branch": replay["branch"]} if replay.get("branch") else {}


def kafka_options(cfg, environ=None):
    """Kafka client options of the source: bootstrap servers, security (passwords read from the
    environment at run time, never from job.json) and the extra options."""
    environ = os.environ if environ is None else environ
    opts = {"kafka.bootstrap.servers": cfg["bootstrap_servers"]}
    sec = cfg.get("kafka_security")

    def secret(env):
        value = environ.get(env)
        if not value:
            rt.fail(f"environment variable {env} is not set (Kafka credentials come from a Secret)")
        return value

    if sec:
        opts["kafka.security.protocol"] = sec["protocol"]
        trust = sec.get("truststore")
        if trust:
            opts.update({"kafka.ssl.truststore.type": "PKCS12",
                         "kafka.ssl.truststore.location": trust["path"],
                         "kafka.ssl.truststore.password": secret(trust["password_env"])})
        key = sec.get("keystore")
        if key:
            opts.update({"kafka.ssl.keystore.type": "PKCS12",
                         "kafka.ssl.keystore.location": key["path"],
                         "kafka.ssl.keystore.password": secret(key["password_env"])})
        if sec.get("sasl_mechanism"):
            password = secret(sec["password_env"]).replace("\\", "\\\\").replace('"', '\\"')
            opts["kafka.sasl.mechanism"] = sec["sasl_mechanism"]
            opts["kafka.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="{sec["username"]}" password="{password}";')
    if cfg.get("group_id_prefix"):
        opts["groupIdPrefix"] = cfg["group_id_prefix"]
    opts.update(cfg.get("kafka_options", {}))
    return opts


def deleted_in_window(spark, cfg, starting_ms, ending_offsets):
    """Keys whose last event in the replayed window is a delete (the window read again in batch)."""
    reader = spark.read.format("kafka").option("subscribe", cfg["topic"])
    for k, v in kafka_options(cfg).items():
        if k not in ("groupIdPrefix",):
            reader = reader.option(k, v)
    reader = (reader.option("startingTimestamp", str(starting_ms))
              .option("startingOffsetsByTimestampStrategy", "latest")
              .option("endingOffsets", ending_offsets or "latest")
              .option("failOnDataLoss", "false"))
    return changes(reader.load(), cfg).where("_cdc_op = 'd'").select(*cfg["keys"])


def verify_branch(spark, cfg, deleted):
    """After a replay into a branch: no duplicate keys in the branch, and every key of main is in
    the branch unless the replayed window deletes it. Returns the counts; exits 1 on failure."""
    replay = cfg["replay"]
    keys = ", ".join(f"`{k}`" for k in cfg["keys"])
    on = " AND ".join(f"m.`{k}` <=> x.`{k}`" for k in cfg["keys"])
    deleted.createOrReplaceTempView("cdc_deleted_keys")
    main_rows = spark.sql(f"SELECT count(*) FROM {cfg['table']}").first()[0]
    branch_rows, branch_keys = spark.sql(
        f"SELECT count(*), count(DISTINCT {keys}) FROM {replay['target']}").first()
    deletes = spark.sql("SELECT count(*) FROM (SELECT DISTINCT * FROM cdc_deleted_keys)").first()[0]
    missing = spark.sql(
        f"SELECT count(*) FROM (SELECT {keys} FROM {cfg['table']}) m "
        f"LEFT ANTI JOIN (SELECT {keys} FROM {replay['target']}) x ON {on} "
        f"LEFT ANTI JOIN cdc_deleted_keys d ON {on.replace('x.', 'd.')}").first()[0]
    result = {"target": replay["target"], "main_rows": main_rows, "branch_rows": branch_rows,
              "deletes_in_window": deletes, "duplicate_keys": branch_rows - branch_keys,
              "missing_keys": missing}
    rt.log("replay_verified", ok=branch_rows == branch_keys and missing == 0, **result)
    if branch_rows != branch_keys:
        rt.fail(f"{replay['target']}: {branch_rows - branch_keys} duplicate key(s)")
    if missing:
        rt.fail(f"{replay['target']}: {missing} key(s) of main are missing and not deleted in the replayed window")
    return result


def ensure_table(spark, create_sql):
    for stmt in rt.statements(create_sql):
        spark.sql(stmt)


def replay_from_millis(value):
    """Epoch milliseconds of an RFC 3339 timestamp (with Z or an offset) or of epoch milliseconds."""
    import datetime

    value = value.strip()
    if value.isdigit():
        return int(value)
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset (RFC 3339 needs Z or +hh:mm)")
    return int(moment.timestamp() * 1000)


def apply_arguments(cfg, a):
    """Run-time overrides of the replay (--replay-from, --replay-branch, --replay-checkpoint)."""
    replay = cfg.get("replay")
    given = [f for f, v in (("--replay-from", a.replay_from), ("--replay-branch", a.replay_branch),
                            ("--replay-checkpoint", a.replay_checkpoint)) if v]
    if given and not replay:
        rt.fail(f"{', '.join(given)}: needs a bounded replay job (job.json has no replay block)")
    if a.replay_from:
        try:
            replay["starting_timestamp_ms"] = replay_from_millis(a.replay_from)
        except ValueError as e:
            rt.fail(f"--replay-from: {e}")
    if a.replay_branch:
        if not replay.get("branch"):
            rt.fail("--replay-branch: this replay writes a staging table, not a branch")
        try:
            replay["target"] = branch_target(cfg["table"], a.replay_branch)
        except ValueError as e:
            rt.fail(f"--replay-branch: {e}")
        replay["branch"] = a.replay_branch
    elif replay and replay.get("branch"):
        replay["target"] = branch_target(cfg["table"], replay["branch"])
    if a.replay_checkpoint:
        location = a.replay_checkpoint.strip()
        if "://" not in location:
            rt.fail(f"--replay-checkpoint: {location!r} is not a URI such as s3a://bucket/path")
        if location.rstrip("/") == cfg["checkpoint_location"].rstrip("/"):
            rt.fail("--replay-checkpoint: is the streaming checkpoint; a replay needs its own")
        replay["checkpoint_location"] = location
    return cfg


def end_offsets(query):
    """The end offsets (Kafka source JSON) of the query's last batch, or None."""
    for progress in reversed(query.recentProgress or []):
        for source in progress.get("sources", []):
            if source.get("endOffset"):
                end = source["endOffset"]
                return end if isinstance(end, str) else json.dumps(end)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--replay-from", help="bounded replay only: start timestamp (RFC 3339 or epoch ms)")
    ap.add_argument("--replay-branch", help="bounded replay into a branch only: the branch to merge into")
    ap.add_argument("--replay-checkpoint", help="bounded replay only: checkpoint location of this run")
    a = ap.parse_args()
    cfg = apply_arguments(rt.load_config(a.config), a)
    replay = cfg.get("replay")
    spark = rt.session(cfg["app_name"])
    if cfg.get("format", {}).get("type") == "avro":
        spark.sparkContext.addPyFile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "datatier_avro.py"))
    params = sql_params(cfg)
    ensure_table(spark, rt.render_sql(rt.read_text("create_table.sql"), params))
    merge_sql = rt.render_sql(rt.read_text("merge.sql"), params)
    reader = (spark.readStream.format("kafka")
              .option("subscribe", cfg["topic"])
              .option("failOnDataLoss", str(cfg["fail_on_data_loss"]).lower()))
    if replay:
        # a partition without a record at or after the start contributes nothing
        reader = (reader.option("startingTimestamp", str(replay["starting_timestamp_ms"]))
                  .option("startingOffsetsByTimestampStrategy", "latest"))
    else:
        reader = reader.option("startingOffsets", cfg["starting_offsets"])
    if cfg.get("max_offsets_per_trigger"):
        reader = reader.option("maxOffsetsPerTrigger", cfg["max_offsets_per_trigger"])
    for k, v in kafka_options(cfg).items():
        reader = reader.option(k, v)
    writer = (reader.load().writeStream
              .queryName(cfg["app_name"])
              .foreachBatch(lambda df, batch_id: merge_batch(df, batch_id, cfg, merge_sql)))
    if replay:
        writer = (writer.option("checkpointLocation", replay["checkpoint_location"])
                  .trigger(availableNow=True))
        rt.log("replay_started", target=replay["target"], starting_timestamp_ms=replay["starting_timestamp_ms"],
               checkpoint=replay["checkpoint_location"])
    else:
        writer = (writer.option("checkpointLocation", cfg["checkpoint_location"])
                  .trigger(processingTime=cfg["trigger_interval"]))
    query = writer.start()
    query.awaitTermination()
    if replay:
        rt.log("replay_finished", target=replay["target"])
        if replay.get("branch"):
            deleted = deleted_in_window(spark, cfg, replay["starting_timestamp_ms"], end_offsets(query))
            verify_branch(spark, cfg, deleted)
        spark.stop()


if __name__ == "__main__":
    main()
