"""Runtime shared by the data-tier Spark jobs (aggregation-batch, rendered by spark-templates 0.1.0).

- conf_from_env: sparkConf keys `spark.datatier.confFromEnv.<key> = <ENV>` set <key> from the environment variable
  <ENV> (filled from a Secret), before the catalog is first used.
- render_sql: run-time parameters in SQL text, written `{{ name }}` (for example `{{ ds }}`).
- statements: splits a SQL file into statements at lines ending with `;`.
"""
import datetime
import json
import os
import re
import sys

CONF_FROM_ENV_PREFIX = "spark.datatier.confFromEnv."
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def log(event, **fields):
    """One JSON line on stdout per event."""
    print(json.dumps({"event": event, **fields}, default=str), flush=True)


def load_config(path=None):
    """The job's configuration (job.json next to this file unless a path is given)."""
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "job.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_text(name, base=None):
    """A file shipped next to the job code."""
    base = base or os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(base, name), encoding="utf-8") as f:
        return f.read()


def conf_from_env(spark):
    """Resolves Secret-backed configuration from the environment."""
    missing = []
    for key, env in spark.sparkContext.getConf().getAll():
        if not key.startswith(CONF_FROM_ENV_PREFIX):
            continue
        value = os.environ.get(env)
        if value is None:
            missing.append(env)
            continue
        spark.conf.set(key[len(CONF_FROM_ENV_PREFIX):], value)
    if missing:
        raise SystemExit("environment variables not set: " + ", ".join(sorted(missing)))


def session(app_name):
    """The SparkSession, with Secret-backed configuration applied."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName(app_name).getOrCreate()
    conf_from_env(spark)
    return spark


def render_sql(text, params):
    """Replaces run-time placeholders; an unknown placeholder is an error, not an empty string."""

    def sub(m):
        name = m.group(1)
        if name not in params:
            raise KeyError(f"SQL parameter {name!r} has no value (known: {sorted(params)})")
        return str(params[name])

    return _PLACEHOLDER.sub(sub, text)


def statements(text):
    """Statements of a SQL file: `--` comment lines dropped, split at lines ending with `;`."""
    out, current = [], []
    for line in text.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(current).strip().rstrip(";").strip()
            if stmt:
                out.append(stmt)
            current = []
    rest = "\n".join(current).strip()
    if rest:
        out.append(rest)
    return out


def parse_date(value):
    return datetime.date.fromisoformat(value)


def date_params(ds):
    """Parameters for a logical date: ds (2024-01-31), ds_nodash (20240131)."""
    return {"ds": ds.isoformat(), "ds_nodash": ds.strftime("%Y%m%d")}


def default_ds(offset_days):
    """Today (UTC) minus offset_days."""
    return datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=offset_days)


def date_range(start, end):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def overwrite_partition(spark, df, table, column, ds):
    """Atomically replaces the rows of `table` where `column` = ds with `df` (creates the table,
    partitioned by `column`, when missing). Re-running with the same input gives the same table."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    if not spark.catalog.tableExists(table):
        (df.writeTo(table).using("iceberg").partitionedBy(F.col(column))
           .tableProperty("format-version", "2").create())
        return
    field = next(f for f in spark.table(table).schema.fields if f.name == column)
    literal = F.lit(ds) if isinstance(field.dataType, DateType) else F.lit(ds.isoformat())
    df.writeTo(table).overwrite(F.col(column) == literal)


def fail(message):
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(1)
