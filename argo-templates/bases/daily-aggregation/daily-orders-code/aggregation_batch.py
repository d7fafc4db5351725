"""aggregation-batch: aggregate into marts.daily_orders for one date

Runs aggregation.sql for one logical date and atomically replaces that date's partition of the target
table (marts.daily_orders, partition column ds). Re-running for the same date is safe.

  spark-submit aggregation_batch.py [--ds YYYY-MM-DD] [--config job.json]
"""
import argparse

import datatier_spark as rt


def run(spark, cfg, ds, sql_text):
    sql = rt.render_sql(sql_text, rt.date_params(ds))
    df = spark.sql(sql)
    if cfg["partition_column"] not in df.columns:
        rt.fail(f"the query does not return the partition column {cfg['partition_column']!r}")
    rt.overwrite_partition(spark, df, cfg["target"], cfg["partition_column"], ds)
    rows = spark.table(cfg["target"]).where(
        f"{cfg['partition_column']} = '{ds.isoformat()}'").count()
    rt.log("partition_replaced", table=cfg["target"], ds=ds.isoformat(), rows=rows)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--ds", help="logical date; default: today (UTC) minus ds_offset_days")
    a = ap.parse_args()
    cfg = rt.load_config(a.config)
    ds = rt.parse_date(a.ds) if a.ds else rt.default_ds(cfg["ds_offset_days"])
    spark = rt.session(cfg["app_name"])
    run(spark, cfg, ds, rt.read_text("aggregation.sql"))
    spark.stop()


if __name__ == "__main__":
    main()
