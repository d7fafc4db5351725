"""partition-rebuild: rebuild analytics.events day by day (rewrite)

For every day from --start to --end (inclusive), one commit per day on analytics.events:
  mode rewrite: CALL rewrite_data_files with where => "ds = day" (rewrite.sql),
  which rewrites the day's files without changing the rows (idempotent).

  spark-submit partition_rebuild.py [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--config job.json]
"""
import argparse

import datatier_spark as rt


def run(spark, cfg, start, end, sql_text):
    results = []
    for day in rt.date_range(start, end):
        params = rt.date_params(day)
        if cfg["mode"] == "overwrite":
            df = spark.sql(rt.render_sql(sql_text, params))
            rt.overwrite_partition(spark, df, cfg["table"], cfg["partition_column"], day)
            result = {"rows": df.count()}
        else:
            rows = [r.asDict() for stmt in rt.statements(rt.render_sql(sql_text, params))
                    for r in spark.sql(stmt).collect()]
            result = rows[0] if rows else {}
        rt.log("partition_rebuilt", table=cfg["table"], ds=params["ds"], mode=cfg["mode"], **result)
        results.append((params["ds"], result))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--start")
    ap.add_argument("--end")
    a = ap.parse_args()
    cfg = rt.load_config(a.config)
    start = rt.parse_date(a.start or cfg["start"])
    end = rt.parse_date(a.end or cfg["end"])
    if end < start:
        rt.fail(f"--end {end} is before --start {start}")
    spark = rt.session(cfg["app_name"])
    sql_file = "source.sql" if cfg["mode"] == "overwrite" else "rewrite.sql"
    run(spark, cfg, start, end, rt.read_text(sql_file))
    spark.stop()


if __name__ == "__main__":
    main()
