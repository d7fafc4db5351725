"""Test helper: a local SparkSession configured like ../shared/oracles/spark_sql.py (Spark 3.5 +
Iceberg 1.10, JDBC catalog on SQLite), plus small assertion helpers."""
import glob
import os
import sys


def session(catalog_db, warehouse, catalog="lake", extra_conf=None):
    import snowpark_connect_deps_iceberg as deps
    from pyspark.sql import SparkSession

    runtime = glob.glob(os.path.join(os.path.dirname(deps.__file__), "jars",
                                     "iceberg-spark-runtime-3.5_2.12-*.jar"))[0]
    shaded = os.environ.get("DATA_TIER_SPARK_SHADED") or os.path.join(
        os.path.dirname(sys.executable), "..", "..", "shaded")
    jars = [runtime, "/usr/share/java/sqlite-jdbc.jar"] + sorted(glob.glob(os.path.join(shaded, "shaded-*.jar")))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    b = (SparkSession.builder.master("local[2]").appName("spark-templates-tests")
         .config("spark.jars", ",".join(jars))
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
         .config("spark.driver.extraJavaOptions", "-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
         .config(f"spark.sql.catalog.{catalog}", "org.apache.iceberg.spark.SparkCatalog")
         .config(f"spark.sql.catalog.{catalog}.type", "jdbc")
         .config(f"spark.sql.catalog.{catalog}.jdbc.schema-version", "V1")
         # SQLite in WAL mode: Iceberg 1.10's JdbcCatalog.initialize leaves a metadata ResultSet open
         # (DatabaseMetaData.getTables/getColumns), so every catalog instance keeps a read lock. The
         # session clones that rewrite_data_files makes initialise a second instance of the default
         # catalog; in rollback-journal mode its lock makes the commit fail with SQLITE_BUSY.
         # See tests/README.
         .config(f"spark.sql.catalog.{catalog}.jdbc.journal_mode", "WAL")
         .config(f"spark.sql.catalog.{catalog}.warehouse", "file://" + os.path.abspath(warehouse))
         .config("spark.sql.defaultCatalog", catalog))
    for k, v in (extra_conf or {}).items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def check(cond, message):
    if not cond:
        raise AssertionError(message)
    print(f"ok: {message}", flush=True)


def load(path, name):
    """Imports a rendered job module from its code folder."""
    import importlib.util

    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
