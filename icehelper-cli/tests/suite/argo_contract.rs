//! argo-templates runs `icehelper` in its workflows through one contract module
//! (`argo_templates::icehelper`): every verb and flag it uses must be what this binary accepts.
//! Verbs still to be built are listed with their issue; once a verb exists, this test makes its
//! flags checked too (and fails until it leaves the pending list).

use std::process::Command;

use argo_templates::icehelper::{exit_codes, flags, verbs, BINARY};

/// Verbs the workflows use that icehelper does not have yet, with the issue that builds them.
const PENDING: &[(&str, &str)] = &[];

fn help(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_icehelper"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_argo_contract_matches_the_binary() {
    assert_eq!(BINARY, "icehelper");
    assert_eq!(
        (exit_codes::OK, exit_codes::PROBLEM, exit_codes::ERROR),
        (0, 1, 2)
    );
    let (code, top) = help(&[]);
    assert_eq!(code, Some(0));
    for f in [
        flags::CATALOG,
        flags::URI,
        flags::WAREHOUSE,
        flags::PROPERTY,
        flags::OUTPUT,
        flags::QUIET,
    ] {
        assert!(
            top.contains(f),
            "icehelper --help lacks the global flag {f}"
        );
    }
    let verb_flags: &[(&str, &[&str])] = &[
        (verbs::PARTITION_HEALTH, &[flags::FAIL_UNDER]),
        (
            verbs::COMPACT,
            &[
                flags::TARGET_FILE_SIZE,
                flags::MIN_INPUT_FILES,
                flags::WHERE,
                flags::PARTIAL_PROGRESS,
            ],
        ),
        (verbs::REWRITE_MANIFESTS, &[]),
        (
            verbs::EXPIRE_SNAPSHOTS,
            &[flags::OLDER_THAN, flags::RETAIN_LAST],
        ),
        (verbs::REMOVE_ORPHAN_FILES, &[flags::OLDER_THAN]),
    ];
    assert_eq!(
        verb_flags.len(),
        verbs::ALL.len(),
        "every contract verb is checked"
    );
    for (verb, fl) in verb_flags {
        check_verb(&[verb], fl);
    }
    check_verb(&verbs::BRANCH_FAST_FORWARD, &[flags::FROM]);
    check_verb(&verbs::BRANCH_DROP, &[]);
}

fn check_verb(path: &[&str], fl: &[&str]) {
    let pending = PENDING.iter().find(|(v, _)| *v == path[0]);
    let (code, text) = help(path);
    match (code, pending) {
        (Some(0), None) => {
            for f in fl {
                assert!(
                    text.contains(f),
                    "icehelper {} --help lacks {f}",
                    path.join(" ")
                );
            }
        }
        (Some(0), Some((_, issue))) => {
            panic!(
                "icehelper {} exists now ({issue}): take it off PENDING so its flags are checked",
                path.join(" ")
            )
        }
        (_, Some(_)) => {}
        (other, None) => panic!(
            "argo-templates runs `icehelper {}`, which the binary rejects ({other:?})",
            path.join(" ")
        ),
    }
}
