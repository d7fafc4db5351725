"""dbt-runner: dbt build with dbt-spark (session) against Iceberg

Runs dbt (build) with dbt-spark in session mode inside the Spark driver, against
the Iceberg catalog lake (Spark's default catalog, so dbt schemas are Iceberg namespaces).
The project comes from the ConfigMap mounted at /opt/spark/dbt-project.
When the image has no dbt, the packages in job.json's `pip_install` are installed into /tmp first.

  spark-submit dbt_runner.py [--config job.json] [dbt arguments, default job.json's dbt_args]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import datatier_spark as rt


def ensure_dbt(packages, target):
    try:
        import dbt.cli.main  # noqa: F401
        return
    except ImportError:
        pass
    if not packages:
        rt.fail("dbt is not installed in the image and job.json has no pip_install packages")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", target, *packages],
                   check=True)
    sys.path.insert(0, target)


def fetch_project(cfg, workdir):
    """A writable copy of the dbt project (dbt writes target/ and logs/ next to it)."""
    dest = os.path.join(workdir, "project")
    if cfg["source"] == "git":
        checkout = os.path.join(workdir, "checkout")
        if shutil.which("git"):
            subprocess.run(["git", "clone", "--quiet", cfg["git_url"], checkout], check=True)
            subprocess.run(["git", "-C", checkout, "checkout", "--quiet", cfg["git_rev"]], check=True)
        else:
            from dulwich import porcelain
            porcelain.clone(cfg["git_url"], checkout, branch=cfg["git_rev"].encode(), depth=1)
        src = os.path.join(checkout, cfg.get("git_subdir") or "")
    else:
        src = cfg["project_dir"]
    shutil.copytree(src, dest, symlinks=False)
    return dest


def write_profiles(workdir, profiles_text):
    d = os.path.join(workdir, "profiles")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "profiles.yml"), "w", encoding="utf-8") as f:
        f.write(profiles_text)
    return d


def run_dbt(project_dir, profiles_dir, args):
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke([*args, "--project-dir", project_dir, "--profiles-dir", profiles_dir])
    rt.log("dbt_finished", args=args, success=result.success)
    return result.success


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    a, dbt_args = ap.parse_known_args()
    cfg = rt.load_config(a.config)
    workdir = tempfile.mkdtemp(prefix="dbt-")
    ensure_dbt(cfg["pip_install"], os.path.join(workdir, "site-packages"))
    spark = rt.session(cfg["app_name"])
    ok = run_dbt(fetch_project(cfg, workdir),
                 write_profiles(workdir, rt.read_text("profiles.yml")),
                 dbt_args or cfg["dbt_args"])
    spark.stop()
    if not ok:
        rt.fail("dbt failed")


if __name__ == "__main__":
    main()
