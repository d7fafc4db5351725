//! The committed bases are current, build with `kubectl kustomize`, validate against the pinned
//! Argo v4.1.2 and Spark Operator CRDs (`DATA_TIER_CRDS`), cross-references resolve, no
//! credentials are inlined, and every file matches its snapshot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use argo_templates::{icehelper, spark};
use manifest_bundle::{Bundle, CrdDir};
use serde_json::Value;

fn bundles() -> Vec<Bundle> {
    argo_templates::bases::bundles().expect("bases build")
}

fn bases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bases")
}

fn crds() -> CrdDir {
    CrdDir::from_env("DATA_TIER_CRDS").unwrap_or_else(|e| {
        panic!("DATA_TIER_CRDS must name the upstream CRD folder (e.g. /work/shared/crds): {e}")
    })
}

fn all_objects() -> Vec<Value> {
    bundles().iter().flat_map(Bundle::all_objects).collect()
}

#[test]
fn committed_bases_are_current() {
    for bundle in bundles() {
        let stale = bundle
            .check_dir(&bases_dir().join(bundle.name()))
            .expect("compare");
        assert!(
            stale.is_empty(),
            "base {} is stale: {}\nregenerate with `cargo run -p argo-templates --example render-bases`",
            bundle.name(),
            stale.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
    }
}

#[test]
fn argo_and_spark_resources_validate_against_pinned_crds() {
    let crds = crds();
    let mut checked = 0;
    for object in all_objects() {
        let file = match object["kind"].as_str() {
            Some("WorkflowTemplate") => "argo-workflows/workflowtemplate.yaml",
            Some("CronWorkflow") => "argo-workflows/cronworkflow.yaml",
            _ => continue,
        };
        let violations = crds.schema(file).expect("load CRD").violations(&object);
        assert!(
            violations.is_empty(),
            "{} {} violates {file}:\n{}",
            object["kind"],
            object["metadata"]["name"],
            violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        checked += 1;
        // SparkApplications created by resource templates validate too.
        for t in object["spec"]["templates"].as_array().into_iter().flatten() {
            if let Some(manifest) = t["resource"]["manifest"].as_str() {
                let obj: Value = serde_norway::from_str(manifest).expect("manifest is YAML");
                let crd = match obj["kind"].as_str() {
                    Some("SparkApplication") => "spark-operator/sparkapplication.yaml",
                    Some("KafkaConnector") => continue, // a merge patch, not a full object
                    other => panic!("unexpected resource kind {other:?}"),
                };
                let mut obj = obj;
                // `generateName` is set instead of `name`; the API server fills the name in.
                obj["metadata"]["name"] = "generated".into();
                let v = crds.schema(crd).unwrap().violations(&obj);
                assert!(v.is_empty(), "{} violates {crd}: {v:?}", t["name"]);
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} objects checked");
}

#[test]
fn cron_workflows_use_v4_fields() {
    for object in all_objects().iter().filter(|o| o["kind"] == "CronWorkflow") {
        let spec = &object["spec"];
        assert!(spec.get("schedule").is_none(), "v4 removed `schedule`");
        assert!(!spec["schedules"].as_array().unwrap().is_empty());
        assert_eq!(spec["concurrencyPolicy"], "Forbid");
        assert!(spec["startingDeadlineSeconds"].as_i64().unwrap() > 0);
        assert!(spec["timezone"].as_str().unwrap().contains('/'));
    }
}

#[test]
fn every_base_builds_with_kubectl_kustomize() {
    for bundle in bundles() {
        let dir = bases_dir().join(bundle.name());
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("kubectl must be on PATH to build the bases");
        assert!(
            out.status.success(),
            "kubectl kustomize {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// template name → (input name → has default) for every WorkflowTemplate.
fn template_inputs() -> BTreeMap<(String, String), BTreeMap<String, bool>> {
    let mut out = BTreeMap::new();
    for o in all_objects()
        .iter()
        .filter(|o| o["kind"] == "WorkflowTemplate")
    {
        let wt = o["metadata"]["name"].as_str().unwrap().to_owned();
        for t in o["spec"]["templates"].as_array().unwrap() {
            let inputs = t["inputs"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        p.get("default").is_some(),
                    )
                })
                .collect();
            out.insert((wt.clone(), t["name"].as_str().unwrap().to_owned()), inputs);
        }
    }
    out
}

#[test]
fn template_refs_resolve_with_matching_arguments() {
    let inputs = template_inputs();
    let mut refs = 0;
    for o in all_objects()
        .iter()
        .filter(|o| o["kind"] == "WorkflowTemplate")
    {
        let wt = o["metadata"]["name"].as_str().unwrap();
        for t in o["spec"]["templates"].as_array().unwrap() {
            for task in t["dag"]["tasks"].as_array().into_iter().flatten() {
                let key = if let Some(r) = task.get("templateRef") {
                    refs += 1;
                    (
                        r["name"].as_str().unwrap().to_owned(),
                        r["template"].as_str().unwrap().to_owned(),
                    )
                } else {
                    (wt.to_owned(), task["template"].as_str().unwrap().to_owned())
                };
                let declared = inputs
                    .get(&key)
                    .unwrap_or_else(|| panic!("{wt}/{}: {key:?} does not resolve", task["name"]));
                let given: Vec<&str> = task["arguments"]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                for g in &given {
                    assert!(
                        declared.contains_key(*g),
                        "{wt}/{}: {key:?} has no input `{g}`",
                        task["name"]
                    );
                }
                for (name, has_default) in declared {
                    assert!(
                        *has_default || given.contains(&name.as_str()),
                        "{wt}/{}: required input `{name}` of {key:?} not passed",
                        task["name"]
                    );
                }
            }
        }
    }
    // CronWorkflows reference existing WorkflowTemplates and pass only declared arguments.
    let objects = all_objects();
    for cron in objects.iter().filter(|o| o["kind"] == "CronWorkflow") {
        let target = cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"]
            .as_str()
            .unwrap();
        let wt = objects
            .iter()
            .find(|o| o["kind"] == "WorkflowTemplate" && o["metadata"]["name"] == target)
            .unwrap_or_else(|| panic!("CronWorkflow references missing WorkflowTemplate {target}"));
        let declared: Vec<&str> = wt["spec"]["arguments"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for p in cron["spec"]["workflowSpec"]["arguments"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                declared.contains(&p["name"].as_str().unwrap()),
                "{target}: {}",
                p["name"]
            );
        }
        for p in wt["spec"]["arguments"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if p.get("value").is_none() && p.get("default").is_none() {
                assert!(
                    cron["spec"]["workflowSpec"]["arguments"]["parameters"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x["name"] == p["name"])),
                    "CronWorkflow for {target} does not pass required argument {}",
                    p["name"]
                );
            }
        }
    }
    assert!(refs >= 10, "only {refs} templateRefs");
}

#[test]
fn spark_and_icehelper_names_match_their_definitions() {
    let objects = all_objects();
    let library = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "spark-jobs")
        .expect("spark-jobs WorkflowTemplate");
    for job in spark::JOBS {
        let t = library["spec"]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == job.name)
            .unwrap_or_else(|| panic!("no template for spark job {}", job.name));
        let app: Value =
            serde_norway::from_str(t["resource"]["manifest"].as_str().unwrap()).unwrap();
        assert_eq!(app["metadata"]["generateName"], format!("{}-", job.name));
        assert_eq!(
            app["spec"]["mainApplicationFile"],
            job.main_application_file
        );
        let flags: Vec<String> = job.parameters.iter().map(|p| format!("--{p}")).collect();
        let args: Vec<&str> = app["spec"]["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for f in &flags {
            assert!(args.contains(&f.as_str()), "{} misses {f}", job.name);
        }
    }
    let ice = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "icehelper")
        .unwrap();
    let known_flags = [
        icehelper::flags::CATALOG,
        icehelper::flags::URI,
        icehelper::flags::WAREHOUSE,
        icehelper::flags::OUTPUT,
        icehelper::flags::QUIET,
        icehelper::flags::FAIL_UNDER,
        icehelper::flags::TARGET_FILE_SIZE,
        icehelper::flags::MIN_INPUT_FILES,
        icehelper::flags::PARTIAL_PROGRESS,
        icehelper::flags::OLDER_THAN,
        icehelper::flags::RETAIN_LAST,
    ];
    for t in ice["spec"]["templates"].as_array().unwrap() {
        let c = &t["container"];
        assert_eq!(c["image"], icehelper::image());
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(icehelper::verbs::ALL.contains(&t["name"].as_str().unwrap()));
        assert!(
            args.contains(&t["name"].as_str().unwrap()),
            "verb missing in args"
        );
        for a in args.iter().filter(|a| a.starts_with('-')) {
            assert!(known_flags.contains(a), "unknown icehelper flag {a}");
        }
        assert!(t["retryStrategy"]["expression"]
            .as_str()
            .unwrap()
            .contains("!= 1"));
    }
}

#[test]
fn no_credentials_inlined() {
    for object in all_objects() {
        let text = serde_json::to_string(&object).unwrap().to_ascii_lowercase();
        for pattern in [
            "aws_secret",
            "password\":\"",
            "\"value\":\"minioadmin",
            "secret_access_key\",\"value\"",
        ] {
            assert!(
                !text.contains(pattern),
                "{} contains {pattern}",
                object["metadata"]["name"]
            );
        }
        assert_ne!(object["kind"], "Secret");
    }
    // Every credential env var comes from a secretKeyRef.
    for object in all_objects() {
        for t in object["spec"]["templates"].as_array().into_iter().flatten() {
            for e in t["container"]["env"].as_array().into_iter().flatten() {
                let name = e["name"].as_str().unwrap();
                if name.contains("KEY") || name.contains("SECRET") || name.contains("PASSWORD") {
                    assert!(
                        e["valueFrom"]["secretKeyRef"].is_object(),
                        "{name} is not a secretKeyRef"
                    );
                    assert!(e.get("value").is_none());
                }
            }
        }
    }
}

#[test]
fn rendered_files_match_snapshots() {
    for bundle in bundles() {
        for (path, content) in bundle.render().expect("render") {
            let name = format!("{}__{}", bundle.name(), path.display()).replace(['/', '.'], "_");
            insta::assert_snapshot!(name, String::from_utf8(content).unwrap());
        }
    }
}

#[test]
fn release_tarball_is_reproducible() {
    let dir = std::env::temp_dir().join(format!("argo-templates-tarball-{}", std::process::id()));
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ta = manifest_bundle::write_tarball(&a, "argo-templates", "0.1.0", &bundles()).unwrap();
    let tb = manifest_bundle::write_tarball(&b, "argo-templates", "0.1.0", &bundles()).unwrap();
    assert_eq!(ta.sha256, tb.sha256);
    std::fs::remove_dir_all(&dir).unwrap();
}
