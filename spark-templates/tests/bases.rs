//! The committed bases (the golden files: `committed_bases_are_current` compares every rendered
//! byte, as `render-bases --check` does): current, valid against the Spark Operator v2.5.2 CRDs, buildable
//! with `kustomize`, core objects round-tripping through k8s-openapi, and the release tarball. Only
//! the bounded replay variant, which has no committed base, is an insta snapshot.

use std::path::Path;
use std::process::Command;

use k8s_openapi::api::core::v1::{ConfigMap, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use manifest_bundle::{Bundle, CrdDir};
use serde_json::Value;
use spark_templates::prelude::*;
use spark_templates::{defaults, JobBundle};

fn validate_spark_objects(crds: &CrdDir, bundle: &Bundle) -> usize {
    let mut checked = 0;
    for m in bundle.objects() {
        let file = match m.kind() {
            "SparkApplication" => "spark-operator/sparkapplication.yaml",
            "ScheduledSparkApplication" => "spark-operator/scheduledsparkapplication.yaml",
            _ => continue,
        };
        let schema = crds.schema(file).unwrap();
        if let Err(e) = schema.validate(m.value()) {
            panic!("{}/{}: {e}", bundle.name(), m.file_name());
        }
        checked += 1;
    }
    checked
}

#[test]
fn committed_bases_are_current() {
    test_support::assert_bases_current(&spark_templates::release().expect("bases build"));
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn default_spark_resources_validate_against_the_crds() {
    let crds = test_support::crds();
    let mut checked = 0;
    for bundle in defaults::bundles().unwrap() {
        checked += validate_spark_objects(&crds, &bundle);
    }
    assert_eq!(checked, 5);
}

/// The bounded replay variant of cdc-to-iceberg (what argo-templates' cdc-backfill runs).
fn bounded_replay() -> JobBundle {
    CdcToIceberg::new("orders-backfill", "dbserver1.public.orders", "sales.orders")
        .column("id", ColumnType::BigInt)
        .column("status", ColumnType::String)
        .key("id")
        .catalog(defaults::catalog())
        .s3(defaults::s3())
        .bounded_replay(
            BoundedReplay::from_timestamp("2024-06-01T00:00:00Z")
                .branch("backfill")
                .checkpoint_location("s3a://lake/checkpoints/orders-backfill-20240601"),
        )
        .build()
        .unwrap()
}

#[test]
fn bounded_replay_variant_is_snapshotted() {
    let bundle = bounded_replay().to_bundle().unwrap();
    for (path, content) in bundle.render().unwrap() {
        let name = format!("replay__{}__{}", bundle.name(), path.display()).replace('/', "__");
        let text = String::from_utf8(content).unwrap();
        insta::assert_snapshot!(name, text);
    }
}

fn variants() -> Vec<JobBundle> {
    let jdbc = IcebergCatalog::jdbc(
        "lake",
        "jdbc:postgresql://pg.lake:5432/iceberg",
        SecretKeyRef::new("pg", "user"),
        SecretKeyRef::new("pg", "password"),
    )
    .warehouse("s3://lake/warehouse");
    let hive =
        IcebergCatalog::hive("hms", "thrift://hive-metastore:9083").warehouse("s3://lake/wh");
    vec![
        bounded_replay(),
        defaults::cdc_to_iceberg()
            .catalog(jdbc.clone())
            .monitoring(Some(Monitoring::JmxExporter {
                jar: "/prometheus/jmx_prometheus_javaagent.jar".into(),
                port: 8090,
            }))
            .dynamic_allocation(1, 5)
            .namespace("streaming")
            .build()
            .unwrap(),
        defaults::aggregation_batch()
            .catalog(hive)
            .run_once()
            .restart(Restart::Never)
            .time_to_live_seconds(Some(600))
            .build()
            .unwrap(),
        PartitionRebuild::new(
            "rebuild",
            "db.t",
            RebuildMode::Overwrite {
                query: "SELECT * FROM db.src WHERE ds = '{{ ds }}'".into(),
            },
        )
        .catalog(jdbc)
        .monitoring(None)
        .schedule("@daily")
        .build()
        .unwrap(),
        DbtRunner::new("dbt-git")
            .project(DbtProject::Git {
                url: "https://example.com/analytics.git".into(),
                rev: "main".into(),
                subdir: "dbt".into(),
            })
            .catalog(defaults::catalog())
            .build()
            .unwrap(),
    ]
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn builder_variants_validate_against_the_crds() {
    let crds = test_support::crds();
    for v in variants() {
        let bundle = v.to_bundle().unwrap();
        assert_eq!(
            validate_spark_objects(&crds, &bundle),
            1,
            "{}",
            bundle.name()
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn schema_violations_are_reported_for_a_broken_application() {
    let crds = test_support::crds();
    let job = defaults::cdc_to_iceberg().build().unwrap();
    let mut value = serde_json::to_value(&job.application).unwrap();
    value["spec"]["driver"]["cores"] = Value::from(0);
    value["spec"]["restartPolicy"]["type"] = Value::from("Sometimes");
    let v = crds
        .schema("spark-operator/sparkapplication.yaml")
        .unwrap()
        .violations(&value);
    let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
    assert!(paths.contains(&"/spec/driver/cores"), "{v:?}");
    assert!(paths.contains(&"/spec/restartPolicy/type"), "{v:?}");
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value, what: &str) {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{what} does not parse as a k8s-openapi type: {e}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), value, "{what}");
}

#[test]
fn core_objects_round_trip_through_k8s_openapi() {
    for bundle in defaults::bundles().unwrap() {
        for m in bundle.objects() {
            let what = format!("{}/{}", bundle.name(), m.file_name());
            // read back the committed YAML, not only the in-memory value
            let text = std::fs::read_to_string(
                spark_templates::bases_dir()
                    .join(bundle.name())
                    .join(m.file_name()),
            )
            .unwrap();
            let from_file: Value = serde_norway::from_str(&text).unwrap();
            assert_eq!(&from_file, m.value(), "{what}");
            match m.kind() {
                "ServiceAccount" => round_trip::<ServiceAccount>(m.value(), &what),
                "Role" => round_trip::<Role>(m.value(), &what),
                "RoleBinding" => round_trip::<RoleBinding>(m.value(), &what),
                "SparkApplication" => {
                    round_trip::<spark_templates::resources::SparkApplication>(m.value(), &what)
                }
                "ScheduledSparkApplication" => round_trip::<
                    spark_templates::resources::ScheduledSparkApplication,
                >(m.value(), &what),
                other => panic!("unexpected kind {other} in {what}"),
            }
        }
        for cm in bundle
            .all_objects()
            .iter()
            .filter(|o| o["kind"] == "ConfigMap")
        {
            round_trip::<ConfigMap>(cm, &format!("{} ConfigMap", bundle.name()));
        }
    }
}

fn check_built_base(dir: &Path, bundle: &Bundle) {
    let objects = test_support::kustomize_build(dir);
    assert_eq!(
        objects.len(),
        bundle.objects().len() + bundle.config_maps().len(),
        "{}",
        dir.display()
    );
    for cm in bundle.config_maps() {
        let built = objects
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == cm.name())
            .unwrap_or_else(|| panic!("{}: ConfigMap {} not built", dir.display(), cm.name()));
        let typed: ConfigMap = serde_json::from_value(built.clone()).unwrap();
        let data = typed.data.unwrap_or_default();
        assert_eq!(
            &data,
            cm.files(),
            "{}: ConfigMap {}",
            dir.display(),
            cm.name()
        );
    }
    for m in bundle.objects() {
        assert!(
            objects.iter().any(|o| o == m.value()),
            "{}: {} changed by kustomize",
            dir.display(),
            m.file_name()
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn every_committed_base_builds_with_kustomize() {
    for bundle in defaults::bundles().unwrap() {
        check_built_base(&spark_templates::bases_dir().join(bundle.name()), &bundle);
    }
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn release_tarball_unpacks_to_bases_that_build() {
    let tmp = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_render-bases"))
        .args(["--check", "--tarball"])
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(status.success(), "render-bases --check --tarball failed");
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("spark-templates-{version}-kustomize.tar.gz");
    let sha = std::fs::read_to_string(tmp.path().join(format!("{name}.sha256"))).unwrap();
    assert!(sha.ends_with(&format!("  {name}\n")), "{sha}");
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg(format!("{name}.sha256"))
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(check.success(), "sha256 does not match");
    let unpack = tmp.path().join("unpacked");
    std::fs::create_dir(&unpack).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tmp.path().join(&name))
        .arg("-C")
        .arg(&unpack)
        .status()
        .unwrap();
    assert!(status.success());
    let bases = unpack.join(format!("spark-templates-{version}/bases"));
    for bundle in defaults::bundles().unwrap() {
        let dir = bases.join(bundle.name());
        assert_eq!(bundle.check_dir(&dir).unwrap(), vec![], "{}", dir.display());
        check_built_base(&dir, &bundle);
    }
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn overlay_changes_namespace_and_subjects() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    defaults::aggregation_batch()
        .build()
        .unwrap()
        .to_bundle()
        .unwrap()
        .write_clean(&base)
        .unwrap();
    let overlay = tmp.path().join("overlay");
    std::fs::create_dir(&overlay).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources: [../base]\nnamespace: data\n",
    )
    .unwrap();
    let objects = test_support::kustomize_build(&overlay);
    for o in &objects {
        assert_eq!(o["metadata"]["namespace"], "data", "{o}");
    }
    let rb = objects.iter().find(|o| o["kind"] == "RoleBinding").unwrap();
    assert_eq!(rb["subjects"][0]["namespace"], "data", "{rb}");
}
