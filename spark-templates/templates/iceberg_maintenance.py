"""iceberg-maintenance: {{ description }}

Runs maintenance.sql: Iceberg's Spark procedures for each table, in this order per table:
rewrite_data_files, rewrite_position_delete_files, rewrite_manifests, expire_snapshots,
remove_orphan_files (each only when enabled). Each statement is preceded by a marker line
`-- @ <table> <procedure>`. A failing table does not stop the others; the job fails at the end.
Run-time parameters `{{ "{{ cutoff_<n><s|m|h|d>}}" }}` are the UTC time at which the statement starts minus
that duration (millisecond precision, with an explicit `Z`, so the session time zone does not matter), so
`older-than 0s` also covers the snapshots committed by the procedures run before it.

  spark-submit iceberg_maintenance.py [--config job.json] [--only ns.table]
"""
import argparse
import datetime
import re

import datatier_spark as rt

_MARKER = re.compile(r"^--\s*@\s*(\S+)\s+(\S+)\s*$")
_CUTOFF = re.compile(r"\{\{\s*(cutoff_(\d+)([smhd]))\s*\}\}")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def blocks(text):
    """[(table, procedure, statement)] from maintenance.sql."""
    out, current = [], None
    for line in text.splitlines():
        m = _MARKER.match(line)
        if m:
            current = [m.group(1), m.group(2), []]
            out.append(current)
        elif current is not None and line.strip() and not line.strip().startswith("--"):
            current[2].append(line)
    return [(t, p, "\n".join(lines).strip().rstrip(";")) for t, p, lines in out]


def cutoffs(text, now):
    params = {}
    for name, n, unit in _CUTOFF.findall(text):
        moment = now - datetime.timedelta(**{_UNITS[unit]: int(n)})
        params[name] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return params


def run(spark, sql_text, only=None, now=None):
    """Runs the blocks; `now` fixes the cutoffs' reference time (default: when each statement starts)."""
    failed, results = set(), []
    for table, procedure, stmt in blocks(sql_text):
        if (only and table != only) or table in failed:
            continue
        moment = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        stmt = rt.render_sql(stmt, cutoffs(stmt, moment))
        try:
            rows = [r.asDict() for r in spark.sql(stmt).collect()]
        except Exception as e:  # noqa: BLE001 - report and continue with the next table
            failed.add(table)
            rt.log("maintenance_failed", table=table, procedure=procedure, error=str(e)[:2000])
            continue
        rt.log("maintenance_done", table=table, procedure=procedure, result=rows)
        results.append((table, procedure, rows))
    return results, sorted(failed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--only", help="run only this table")
    a = ap.parse_args()
    cfg = rt.load_config(a.config)
    spark = rt.session(cfg["app_name"])
    _, failed = run(spark, rt.read_text("maintenance.sql"), a.only)
    spark.stop()
    if failed:
        rt.fail("maintenance failed for: " + ", ".join(failed))


if __name__ == "__main__":
    main()
