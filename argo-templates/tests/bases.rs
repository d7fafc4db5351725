//! The committed bases are current, build with `kustomize`, validate against the pinned
//! Argo v4.1.2 and Spark Operator CRDs (`DATA_TIER_CRDS`), cross-references resolve, no
//! credentials are inlined. The committed bases are the golden files: `committed_bases_are_current`
//! (like `render-bases --check`) compares every rendered byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argo_templates::icehelper;
use manifest_bundle::Bundle;
use serde_json::Value;

fn bundles() -> Vec<Bundle> {
    argo_templates::bases::bundles().expect("bases build")
}

fn bases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bases")
}

fn all_objects() -> Vec<Value> {
    bundles().iter().flat_map(Bundle::all_objects).collect()
}

#[test]
fn committed_bases_are_current() {
    test_support::assert_bases_current(&argo_templates::release().expect("bases build"));
}

/// Sample value of an Argo input parameter, for substituting placeholders.
fn sample(input: &str) -> &'static str {
    match input {
        "ds" | "as-of" | "date" => "2026-01-31",
        "from-timestamp" => "1767225600000",
        "connector" => "inventory-iceberg",
        "branch" => "backfill-cdc-backfill-x7k2p",
        _ => "sample",
    }
}

/// Replaces `{{inputs.parameters.*}}` and `{{workflow.name}}` as Argo would at run time.
fn substitute(manifest: &str, inputs: &[&str]) -> String {
    let mut out = manifest.replace("{{workflow.name}}", "cdc-backfill-x7k2p");
    for i in inputs {
        out = out.replace(&format!("{{{{inputs.parameters.{i}}}}}"), sample(i));
    }
    assert!(
        !out.contains("{{"),
        "unsubstituted placeholder left in resource manifest:\n{out}"
    );
    out
}

/// Every `resource` manifest embedded in a WorkflowTemplate: (base, template, inputs, manifest
/// with placeholders substituted, parsed).
fn embedded_resources() -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for bundle in bundles() {
        for object in bundle.all_objects() {
            for t in object["spec"]["templates"].as_array().into_iter().flatten() {
                let Some(manifest) = t["resource"]["manifest"].as_str() else {
                    continue;
                };
                let inputs: Vec<&str> = t["inputs"]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                let obj: Value = serde_norway::from_str(&substitute(manifest, &inputs))
                    .expect("manifest is YAML");
                out.push((
                    bundle.name().to_owned(),
                    t["name"].as_str().unwrap().to_owned(),
                    obj,
                ));
            }
        }
    }
    out
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn argo_resources_validate_against_pinned_crds() {
    let crds = test_support::crds();
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
    }
    assert!(checked >= 8, "only {checked} objects checked");
}

#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn embedded_spark_applications_validate_after_substitution() {
    let crds = test_support::crds();
    let schema = crds
        .schema("spark-operator/sparkapplication.yaml")
        .expect("Spark Operator v2.5.2 SparkApplication CRD");
    let mut apps = 0;
    for (base, template, mut obj) in embedded_resources() {
        match obj["kind"].as_str() {
            Some("SparkApplication") => {
                // The API server turns `generateName` into `name`.
                let prefix = obj["metadata"]["generateName"].as_str().unwrap().to_owned();
                obj["metadata"]["name"] = format!("{prefix}x7k2p").into();
                let v = schema.violations(&obj);
                assert!(v.is_empty(), "{base}/{template} violates the CRD: {v:?}");
                apps += 1;
            }
            // A merge patch of `spec.state`, not a full object.
            Some("KafkaConnector") => {
                assert!(["paused", "running"].contains(&obj["spec"]["state"].as_str().unwrap()));
            }
            other => panic!("{base}/{template}: unexpected resource kind {other:?}"),
        }
    }
    // daily-aggregation, ml-feature-prep, cdc-backfill's replay (which verifies its own branch)
    assert!(apps >= 3, "only {apps} SparkApplications");
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
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn every_base_builds_with_kustomize() {
    for bundle in bundles() {
        let objects = test_support::kustomize_build(&bases_dir().join(bundle.name()));
        assert_eq!(
            objects.len(),
            bundle.objects().len() + bundle.config_maps().len(),
            "{}",
            bundle.name()
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

/// The job's command-line flags, from the `argparse` calls of its main file in the ConfigMap.
fn accepted_flags(code: &str) -> Vec<String> {
    code.match_indices("add_argument(\"")
        .map(|(i, m)| {
            let rest = &code[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Each Spark step resolves against spark-templates: the embedded SparkApplication is the one
/// spark-templates builds (same spec, name as `generateName` prefix, a spark-templates template),
/// the extra arguments are flags the shipped job code accepts, and the ConfigMaps and driver
/// ServiceAccount it mounts are in the `kubectl kustomize` output of the same base.
#[test]
#[cfg_attr(
    not(feature = "external-tests"),
    ignore = "needs the upstream CRDs and kustomize (scripts/test provides them)"
)]
fn spark_steps_resolve_against_spark_templates() {
    let embedded = embedded_resources();
    let mut steps = 0;
    for (base, pipeline) in argo_templates::bases::pipelines().unwrap() {
        let deployed = test_support::kustomize_build(&bases_dir().join(base));
        for step in &pipeline.spark_steps {
            let bundle = step.bundle();
            // The template is one spark-templates exports (and has a committed base).
            let exported = spark_templates::names::template(bundle.template).unwrap_or_else(|| {
                panic!(
                    "{base}: unknown spark-templates template {}",
                    bundle.template
                )
            });
            assert!(spark_templates::bases_dir().join(bundle.template).is_dir());
            let spark_templates::Application::Once(expected) = &bundle.application else {
                panic!("{base}: a scheduled application in an Argo step");
            };
            let (_, _, app) = embedded
                .iter()
                .find(|(b, t, _)| b == base && t == step.template_name())
                .unwrap_or_else(|| panic!("{base}: no resource template {}", step.template_name()));
            let name = expected.metadata.name.as_deref().unwrap();
            assert_eq!(app["metadata"]["generateName"], format!("{name}-"));
            assert_eq!(
                app["metadata"]["labels"]["app.kubernetes.io/name"],
                bundle.template
            );
            // Same spec as spark-templates, apart from the appended arguments.
            let mut spec = app["spec"].clone();
            let mut expected_spec = serde_json::to_value(&expected.spec).unwrap();
            let args: Vec<String> = spec["arguments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            let base_args = expected_spec["arguments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                &args[..base_args.len()],
                base_args
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
                    .as_slice()
            );
            spec.as_object_mut().unwrap().remove("arguments");
            expected_spec.as_object_mut().unwrap().remove("arguments");
            assert_eq!(
                spec, expected_spec,
                "{base}: spec differs from spark-templates'"
            );
            // Extra flags are accepted by the job code shipped in the ConfigMap.
            let main = app["spec"]["mainApplicationFile"].as_str().unwrap();
            let main_file = main.rsplit('/').next().unwrap();
            let code = bundle
                .config_maps
                .iter()
                .find_map(|cm| cm.files().get(main_file))
                .unwrap_or_else(|| panic!("{base}: {main_file} is in no ConfigMap"));
            assert_eq!(main_file, exported.main_file, "{base}: main file");
            let flags = accepted_flags(code);
            for a in step.arguments() {
                assert!(
                    exported.arguments.iter().any(|x| x.flag == a.flag),
                    "{base}: {} is not a run-time argument spark-templates exports for {}",
                    a.flag,
                    bundle.template
                );
                assert!(
                    flags.contains(&a.flag),
                    "{base}: {main_file} does not accept {} (accepts {flags:?})",
                    a.flag
                );
                assert!(args.contains(&a.flag));
            }
            // Mounted ConfigMaps and the driver ServiceAccount are deployed by this base.
            let find = |kind: &str, name: &str| {
                deployed
                    .iter()
                    .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
                    .cloned()
            };
            for v in app["spec"]["volumes"].as_array().into_iter().flatten() {
                if let Some(cm) = v["configMap"]["name"].as_str() {
                    let obj = find("ConfigMap", cm)
                        .unwrap_or_else(|| panic!("{base}: ConfigMap {cm} not in the base"));
                    let shipped = bundle.config_maps.iter().find(|c| c.name() == cm).unwrap();
                    for (k, content) in shipped.files() {
                        assert_eq!(
                            obj["data"][k].as_str(),
                            Some(content.as_str()),
                            "{base}: {cm}/{k}"
                        );
                    }
                }
            }
            let sa = app["spec"]["driver"]["serviceAccount"].as_str().unwrap();
            assert!(
                find("ServiceAccount", sa).is_some(),
                "{base}: ServiceAccount {sa}"
            );
            assert!(
                find("RoleBinding", sa).is_some(),
                "{base}: RoleBinding {sa}"
            );
            steps += 1;
        }
    }
    assert!(steps >= 3, "only {steps} Spark steps");
}

/// icehelper steps use the catalog of the Spark jobs: every `spark.sql.catalog.<c>.*` setting of
/// spark-templates' SparkApplication that PyIceberg understands, and the same Secret references.
#[test]
fn icehelper_uses_the_spark_jobs_catalog() {
    let settings = argo_templates::spark::CatalogSettings::lake().unwrap();
    let objects = all_objects();
    let ice = objects
        .iter()
        .find(|o| o["kind"] == "WorkflowTemplate" && o["metadata"]["name"] == "icehelper")
        .unwrap();
    let (_, pipeline) = &argo_templates::bases::pipelines().unwrap()[0];
    let spec = pipeline.spark_steps[0].bundle().application.spec();
    let uri_key = format!("spark.sql.catalog.{}.uri", settings.name);
    for t in ice["spec"]["templates"].as_array().unwrap() {
        let args = t["container"]["args"].as_array().unwrap();
        let pos = args
            .iter()
            .position(|a| a == icehelper::flags::CATALOG)
            .unwrap();
        assert_eq!(args[pos + 1], settings.name.as_str());
        let uri_default = t["inputs"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "catalog-uri")
            .unwrap()["default"]
            .clone();
        assert_eq!(
            uri_default.as_str(),
            spec.spark_conf.get(&uri_key).map(String::as_str)
        );
        let env = t["container"]["env"].as_array().unwrap();
        for e in spec.driver.pod.env.iter() {
            let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            else {
                continue;
            };
            assert!(
                env.iter().any(
                    |x| x["valueFrom"]["secretKeyRef"]["name"] == r.name.as_str()
                        && x["valueFrom"]["secretKeyRef"]["key"] == r.key.as_str()
                ),
                "{}: Secret {}/{} of the Spark driver not passed to icehelper",
                t["name"],
                r.name,
                r.key
            );
        }
    }
}

#[test]
fn icehelper_names_match_the_contract() {
    let objects = all_objects();
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
        icehelper::flags::FROM,
    ];
    let branch_ff = icehelper::verbs::template_name(&icehelper::verbs::BRANCH_FAST_FORWARD);
    let branch_drop = icehelper::verbs::template_name(&icehelper::verbs::BRANCH_DROP);
    let mut branch_templates = 0;
    for t in ice["spec"]["templates"].as_array().unwrap() {
        let c = &t["container"];
        assert_eq!(c["image"], icehelper::image());
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let name = t["name"].as_str().unwrap();
        // TABLE first, then the positional arguments, exactly as the contract's forms
        let input = |p: &str| format!("{{{{inputs.parameters.{p}}}}}");
        let path: Vec<&str> = if name == branch_ff {
            branch_templates += 1;
            let form = icehelper::branch_fast_forward_args(
                &input("table"),
                &input("target"),
                &input("from"),
            );
            assert!(
                args.ends_with(&form.iter().map(String::as_str).collect::<Vec<_>>()),
                "{args:?}"
            );
            icehelper::verbs::BRANCH_FAST_FORWARD.to_vec()
        } else if name == branch_drop {
            branch_templates += 1;
            let form = icehelper::branch_drop_args(&input("table"), &input("name"));
            assert!(
                args.ends_with(&form.iter().map(String::as_str).collect::<Vec<_>>()),
                "{args:?}"
            );
            icehelper::verbs::BRANCH_DROP.to_vec()
        } else {
            assert!(icehelper::verbs::ALL.contains(&name), "unknown verb {name}");
            vec![name]
        };
        assert!(
            args.windows(path.len()).any(|w| w == path.as_slice()),
            "subcommand {path:?} missing in args"
        );
        for a in args.iter().filter(|a| a.starts_with('-')) {
            assert!(known_flags.contains(a), "unknown icehelper flag {a}");
        }
        assert!(t["retryStrategy"]["expression"]
            .as_str()
            .unwrap()
            .contains("!= 1"));
    }
    assert_eq!(branch_templates, 2);
}

/// What the cdc-backfill replay consumes is what strimzi-templates' bases produce: topic, TLS
/// listener, KafkaUser (with a prefix group ACL for Spark's generated group ids), cluster CA Secret,
/// Avro in the Confluent wire format through the registry's ccompat API.
#[test]
fn cdc_replay_consumes_what_strimzi_templates_produce() {
    use strimzi_templates::bases as kafka;
    let backfill = argo_templates::bases::cdc_backfill_pipeline().unwrap();
    let replay = &backfill.pipeline.spark_steps[0];
    let job_json = replay
        .bundle()
        .config_maps
        .iter()
        .find_map(|cm| cm.files().get("job.json"))
        .unwrap();
    let cfg: Value = serde_json::from_str(job_json).unwrap();
    let cluster = kafka::default_cluster().unwrap();
    let debezium = kafka::debezium_postgres().unwrap();
    let find = |kind: &str, name: &str| {
        debezium
            .objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("strimzi-templates has no {kind} {name}"))
    };
    // topic
    let topic = cfg["topic"].as_str().unwrap();
    find("KafkaTopic", topic);
    // listener: the cluster's only (TLS) listener, addressed across namespaces
    let (host, port) = cluster
        .bootstrap_servers()
        .split_once(':')
        .map(|(h, p)| (h.to_owned(), p.to_owned()))
        .unwrap();
    assert_eq!(
        cfg["bootstrap_servers"],
        format!("{host}.{}.svc:{port}", kafka::NAMESPACE)
    );
    // user: mTLS user with Read on the topic and a prefix group ACL matching Spark's groupIdPrefix
    let sec = &cfg["kafka_security"];
    assert_eq!(sec["protocol"], "SSL");
    let user_name = cfg["group_id_prefix"].as_str().unwrap();
    let user = find("KafkaUser", user_name);
    assert_eq!(user["spec"]["authentication"]["type"], "tls");
    let acls = user["spec"]["authorization"]["acls"].as_array().unwrap();
    assert!(acls
        .iter()
        .any(|a| a["resource"]["type"] == "topic" && a["resource"]["name"] == topic));
    assert!(acls.iter().any(|a| a["resource"]["type"] == "group"
        && a["resource"]["name"] == user_name
        && a["resource"]["patternType"] == "prefix"));
    // Secrets mounted: the user's and the cluster CA's
    let app = replay.application().unwrap();
    let secrets: Vec<&str> = app["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["secret"]["secretName"].as_str())
        .collect();
    assert_eq!(secrets, [user_name, cluster.cluster_ca_secret().as_str()]);
    // format: the connectors write the Confluent wire format; the job reads it through ccompat
    assert_eq!(cfg["format"]["type"], "avro");
    assert_eq!(
        cfg["format"]["registry_url"],
        strimzi_templates::registry::apicurio_ccompat_url(kafka::REGISTRY, kafka::NAMESPACE)
    );
    for connector in [kafka::POSTGRES_CONNECTOR, kafka::ICEBERG_CONNECTOR] {
        let c = find("KafkaConnector", connector);
        for side in ["key", "value"] {
            for (k, v) in strimzi_templates::connect::CONFLUENT_WIRE_FORMAT {
                let got = &c["spec"]["config"][format!("{side}.converter.{k}")];
                assert_eq!(
                    got.to_string().trim_matches('"'),
                    v,
                    "{connector} {side} {k}"
                );
            }
        }
    }
    // the streaming base of spark-templates agrees as well, with its own user
    let stream = spark_templates::defaults::cdc_to_iceberg().build().unwrap();
    let stream_cfg: Value =
        serde_json::from_str(stream.config_maps[0].files().get("job.json").unwrap()).unwrap();
    assert_eq!(stream_cfg["bootstrap_servers"], cfg["bootstrap_servers"]);
    assert_eq!(stream_cfg["format"], cfg["format"]);
    find("KafkaTopic", stream_cfg["topic"].as_str().unwrap());
    let stream_user = find("KafkaUser", stream_cfg["group_id_prefix"].as_str().unwrap());
    assert_eq!(stream_user["spec"]["authentication"]["type"], "tls");
}

#[test]
fn no_credentials_inlined() {
    for object in all_objects() {
        let text = serde_json::to_string(&object).unwrap().to_ascii_lowercase();
        for pattern in [
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
    // Job code and configuration shipped in ConfigMaps hold no credentials.
    for bundle in bundles() {
        for cm in bundle.config_maps() {
            for (k, content) in cm.files() {
                let lower = content.to_ascii_lowercase();
                for pattern in ["minioadmin", "secret_access_key\": \"", "password\": \""] {
                    assert!(
                        !lower.contains(pattern),
                        "{}/{k} contains {pattern}",
                        cm.name()
                    );
                }
            }
        }
    }
    // Every credential env var (icehelper containers, embedded SparkApplications) comes from a
    // secretKeyRef.
    let embedded: Vec<Value> = embedded_resources()
        .into_iter()
        .flat_map(|(_, _, app)| ["driver", "executor"].map(|role| app["spec"][role]["env"].clone()))
        .collect();
    for object in all_objects() {
        let envs = object["spec"]["templates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["container"]["env"].clone());
        for env in envs.chain(embedded.iter().cloned()) {
            for e in env.as_array().into_iter().flatten() {
                let name = e["name"].as_str().unwrap();
                if ["KEY", "SECRET", "PASSWORD", "CREDENTIAL"]
                    .iter()
                    .any(|w| name.contains(w))
                {
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

/// The KafkaConnector `cdc-backfill` pauses and the topic it replays exist in strimzi-templates'
/// `debezium-postgres` base.
#[test]
fn cdc_backfill_resolves_against_strimzi_templates() {
    let kafka: Vec<Value> = strimzi_templates::bases::all()
        .unwrap()
        .into_iter()
        .flat_map(|b| b.objects)
        .collect();
    let backfill = argo_templates::bases::cdc_backfill_pipeline().unwrap();
    let has = |kind: &str, name: &str| {
        kafka
            .iter()
            .any(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    };
    assert!(
        has("KafkaConnector", &backfill.connector),
        "{}",
        backfill.connector
    );
    assert!(has("KafkaTopic", &backfill.topic), "{}", backfill.topic);
    let wt = serde_json::to_value(&backfill.pipeline.workflow_template).unwrap();
    let connector_param = wt["spec"]["arguments"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "connector")
        .unwrap();
    assert_eq!(connector_param["value"], backfill.connector.as_str());
}
