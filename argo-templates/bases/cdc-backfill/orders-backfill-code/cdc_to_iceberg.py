"""cdc-to-iceberg: bounded replay of Debezium changes from inventory.public.orders since 1970-01-01T00:00:00Z merged into raw_inventory.orders.branch_backfill

Structured Streaming from Kafka topic inventory.public.orders (Debezium JSON change events, with or without the
schema envelope) into the Iceberg table raw_inventory.orders. Each micro-batch is reduced to the latest event
per primary key (id), ordered by source.lsn then ts_ms, and applied
with MERGE INTO (merge.sql): creates and updates upsert, deletes delete. Events older than the row
already in the table (by the same order) are ignored, so replays and late batches are harmless.

Bounded replay (job.json `replay`): reads from the first offset at or after `starting_timestamp`
in each partition (Kafka startingTimestamp) up to the end offsets present when the job starts
(trigger availableNow), merges into raw_inventory.orders.branch_backfill instead of the table's main, with its own checkpoint,
and ends. --replay-from overrides the start (RFC 3339 or epoch milliseconds); it only applies to a
new checkpoint (a rerun resumes where the previous run stopped).

  spark-submit cdc_to_iceberg.py [--config job.json] [--replay-from TIMESTAMP]
"""
import argparse

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


def changes(batch_df, cfg):
    """The latest change per key of a batch of Kafka records (column `value`, Debezium JSON)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    parsed = (batch_df.where(F.col("value").isNotNull())
              .select(F.from_json(F.col("value").cast("string"), envelope_ddl(cfg)).alias("e"))
              .select(F.when(F.col("e.payload").isNotNull(), F.col("e.payload"))
                      .otherwise(F.struct("e.before", "e.after", "e.op", "e.ts_ms", "e.source"))
                      .alias("e"))
              .where(F.col("e.op").isin("c", "u", "d", "r")))
    cols = []
    for c in cfg["columns"]:
        name = c["name"]
        if name in cfg["keys"]:
            raw = f"coalesce(e.after.`{name}`, e.before.`{name}`)"
        else:
            raw = f"e.after.`{name}`"
        cols.append(F.expr(_convert(c["type"], raw)).alias(name))
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
    """foreachBatch: MERGE the batch's latest changes into the table."""
    spark = batch_df.sparkSession
    latest = changes(batch_df, cfg)
    latest.createOrReplaceTempView("cdc_changes")
    spark.sql(merge_sql)
    target = cfg["replay"]["target"] if cfg.get("replay") else cfg["table"]
    rt.log("batch_merged", batch_id=batch_id, table=target)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--replay-from", help="bounded replay only: start timestamp (RFC 3339 or epoch ms)")
    a = ap.parse_args()
    cfg = rt.load_config(a.config)
    replay = cfg.get("replay")
    if a.replay_from:
        if not replay:
            rt.fail("--replay-from needs a bounded replay job (job.json has no replay block)")
        try:
            replay["starting_timestamp_ms"] = replay_from_millis(a.replay_from)
        except ValueError as e:
            rt.fail(f"--replay-from: {e}")
    spark = rt.session(cfg["app_name"])
    ensure_table(spark, rt.read_text("create_table.sql"))
    merge_sql = rt.read_text("merge.sql")
    reader = (spark.readStream.format("kafka")
              .option("kafka.bootstrap.servers", cfg["bootstrap_servers"])
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
    for k, v in cfg.get("kafka_options", {}).items():
        reader = reader.option(k, v)
    writer = (reader.load().writeStream
              .queryName(cfg["app_name"])
              .foreachBatch(lambda df, batch_id: merge_batch(df, batch_id, cfg, merge_sql)))
    if replay:
        writer = (writer.option("checkpointLocation", replay["checkpoint_location"])
                  .trigger(availableNow=True))
        rt.log("replay_started", target=replay["target"], starting_timestamp_ms=replay["starting_timestamp_ms"])
    else:
        writer = (writer.option("checkpointLocation", cfg["checkpoint_location"])
                  .trigger(processingTime=cfg["trigger_interval"]))
    query = writer.start()
    query.awaitTermination()
    if replay:
        rt.log("replay_finished", target=replay["target"])
        spark.stop()


if __name__ == "__main__":
    main()
