"""Runs the rendered dbt-runner base's project with its own job code (dbt_runner.py: dbt-spark in
`session` mode) inside a local SparkSession on the Iceberg JDBC catalog (SQLite), and checks the table
the model builds.

  python run_dbt.py WORKDIR CODE_DIR PROJECT_CM_DIR

WORKDIR gets catalog.db, warehouse/ and the dbt working folder; CODE_DIR is the base's `<name>-code/`
folder (dbt_runner.py, datatier_spark.py, job.json, profiles.yml); PROJECT_CM_DIR is its
`<name>-project/` folder (ConfigMap keys, `__` standing for `/`). Needs dbt-core, dbt-spark[session],
pyspark 3.5 and snowpark-connect-deps-iceberg in this python (see tests/README).
"""
import datetime
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparktest import check, load, session  # noqa: E402

work, code_dir, project_cm = (os.path.abspath(p) for p in sys.argv[1:4])
os.makedirs(os.path.join(work, "warehouse"), exist_ok=True)
spark = session(os.path.join(work, "catalog.db"), os.path.join(work, "warehouse"), extra_conf={
    "spark.sql.catalog.lake.uri": "jdbc:sqlite:" + os.path.join(work, "catalog.db")})
spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.analytics")
spark.sql("CREATE TABLE lake.analytics.events (event_time TIMESTAMP, event_type STRING, user_id BIGINT, "
          "ds DATE) USING iceberg PARTITIONED BY (ds) TBLPROPERTIES ('format-version'='2')")
spark.sql("INSERT INTO lake.analytics.events VALUES "
          "(TIMESTAMP '2024-01-01 10:00:00', 'click', 1, DATE '2024-01-01'), "
          "(TIMESTAMP '2024-01-01 11:00:00', 'click', 2, DATE '2024-01-01'), "
          "(TIMESTAMP '2024-01-01 12:00:00', 'view', 1, DATE '2024-01-01'), "
          "(TIMESTAMP '2024-01-02 09:00:00', 'click', 3, DATE '2024-01-02')")

rt = load(os.path.join(code_dir, "datatier_spark.py"), "datatier_spark")
dbt_runner = load(os.path.join(code_dir, "dbt_runner.py"), "dbt_runner")
cfg = rt.load_config(os.path.join(code_dir, "job.json"))

# the ConfigMap volume: its `items` turn key `models__x.sql` into path `models/x.sql`
mount = os.path.join(work, "mount")
for key in os.listdir(project_cm):
    dest = os.path.join(mount, *key.split("__"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(os.path.join(project_cm, key), dest)
check(cfg["source"] == "configmap", "the example project ships in a ConfigMap")
cfg["project_dir"] = mount

dbt_work = os.path.join(work, "dbt")
os.makedirs(dbt_work)
dbt_runner.ensure_dbt(cfg["pip_install"], os.path.join(dbt_work, "site-packages"))
check(not os.path.exists(os.path.join(dbt_work, "site-packages")), "dbt comes from this python, nothing installed")
project = dbt_runner.fetch_project(cfg, dbt_work)
profiles = dbt_runner.write_profiles(dbt_work, rt.read_text("profiles.yml", code_dir))

check(dbt_runner.run_dbt(project, profiles, ["parse"]), "dbt parse succeeds")
with open(os.path.join(project, "target", "manifest.json"), encoding="utf-8") as f:
    nodes = json.load(f)["nodes"]
models = sorted(n for n in nodes if n.startswith("model."))
check(models == [f"model.{cfg['app_name'].replace('-', '_')}.daily_events"], f"the manifest has the model: {models}")

check(dbt_runner.run_dbt(project, profiles, ["run", "--select", "daily_events"]), "dbt run of daily_events succeeds")
rows = [tuple(r) for r in spark.sql(
    "SELECT ds, event_type, events FROM lake.analytics.daily_events ORDER BY ds, event_type").collect()]
d1, d2 = datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)
check(rows == [(d1, "click", 2), (d1, "view", 1), (d2, "click", 1)], f"the model's rows: {rows}")
provider = [r for r in spark.sql("DESCRIBE TABLE EXTENDED lake.analytics.daily_events").collect()
            if r[0] == "Provider"]
check(provider and provider[0][1] == "iceberg", f"the model is an Iceberg table: {provider}")

# a second run replaces the table (materialized: table) with the new source rows
spark.sql("INSERT INTO lake.analytics.events VALUES (TIMESTAMP '2024-01-02 10:00:00', 'view', 3, DATE '2024-01-02')")
check(dbt_runner.run_dbt(project, profiles, ["run", "--select", "daily_events"]), "a second dbt run succeeds")
rows = [tuple(r) for r in spark.sql(
    "SELECT ds, event_type, events FROM lake.analytics.daily_events ORDER BY ds, event_type").collect()]
check(rows == [(d1, "click", 2), (d1, "view", 1), (d2, "click", 1), (d2, "view", 1)],
      f"the re-run rebuilds the model: {rows}")

spark.stop()
print("all dbt checks passed", flush=True)
