//! Other tools' files through the command line: `analyze` recognises them, `import` turns them
//! into a model file that analyses the same, and a broken file fails cleanly with exit code 2.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!(
        "{}/../interop/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn threatscribe() -> Command {
    let mut command = Command::cargo_bin("threatscribe").expect("binary");
    command.env("SOURCE_DATE_EPOCH", "1796000000");
    command
}

fn report(path: &str) -> Value {
    let output = threatscribe()
        .args(["analyze", path, "--format", "json"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

fn threat_keys(report: &Value) -> Vec<String> {
    let mut keys: Vec<String> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {}", t["rule"], t["target"]))
        .collect();
    keys.sort();
    keys
}

/// `analyze` on a file named `name` holding `text`, in a directory of its own.
fn analyze_written(name: &str, text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, text).unwrap();
    threatscribe()
        .args(["analyze", file.to_str().unwrap()])
        .assert()
}

#[test]
fn analyze_reads_a_threat_dragon_file_and_covers_every_element() {
    let report = report(&fixture("threat-dragon-v2-demo.json"));
    assert_eq!(report["source"]["kind"], "OWASP Threat Dragon JSON model");
    let targets: Vec<&str> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    for element in [
        "browser",
        "web-application",
        "database",
        "message-queue",
        "background-worker-process",
        "worker-config",
        "web-application-config",
    ] {
        assert!(targets.contains(&element), "no threat on {element}");
    }
    let assumptions = report["assumptions"].to_string();
    assert!(assumptions.contains("Imported from an OWASP Threat Dragon model"));
}

#[test]
fn imported_model_file_analyses_like_the_original() {
    for name in [
        "threat-dragon-v2-demo.json",
        "threat-dragon-three-tier.json",
        "pytm-input.json",
        "threagile/example-threagile.yaml",
        "threagile/stub-threagile.yaml",
        "otm/example.otm.json",
        "otm/mobile-cloud.otm.json",
        "otm/example.otm.yaml",
        "tmbom/huskyai.tmbom.json",
        "cyclonedx/tmbom-pytm-example.cdx.json",
        "cyclonedx/tmbom-otm-example.cdx.json",
        "cyclonedx/tmbom-multi-example.cdx.json",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("model.yaml");
        threatscribe()
            .args(["import", &fixture(name), "-o", out.to_str().unwrap()])
            .assert()
            .success();
        let yaml = std::fs::read_to_string(&out).unwrap();
        assert!(
            yaml.starts_with("# Written by threatscribe from the "),
            "{yaml}"
        );
        let direct = report(&fixture(name));
        let imported = report(out.to_str().unwrap());
        assert!(!threat_keys(&direct).is_empty(), "{name}: no threats");
        assert_eq!(threat_keys(&direct), threat_keys(&imported), "{name}");
        assert_eq!(direct["assumptions"], imported["assumptions"], "{name}");
    }
}

#[test]
fn import_refuses_a_file_it_does_not_know_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own.json");
    std::fs::write(&own, r#"{"elements": [{"id": "api", "kind": "process"}]}"#).unwrap();
    let out = dir.path().join("model.yaml");
    threatscribe()
        .args(["import", own.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not a file threatscribe can import",
        ));
    assert!(!out.exists());
}

#[test]
fn a_threat_dragon_file_with_no_elements_fails_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.json");
    std::fs::write(&file, r#"{"detail": {"diagrams": [{"cells": []}]}}"#).unwrap();
    let out = dir.path().join("report.md");
    threatscribe()
        .args([
            "analyze",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "(read as OWASP Threat Dragon JSON model)",
        ))
        .stderr(predicate::str::contains("no actors, processes or stores"));
    assert!(!out.exists());
}

#[test]
fn a_truncated_threat_dragon_file_says_where_the_json_breaks() {
    let text = std::fs::read_to_string(fixture("threat-dragon-v2-demo.json")).unwrap();
    analyze_written("cut.json", &text[..text.len() / 2])
        .code(2)
        .stderr(predicate::str::contains("cut.json:"))
        .stderr(predicate::str::contains("invalid JSON"));
}

#[test]
fn every_threat_dragon_demo_imports_and_analyses() {
    let dir = format!(
        "{}/../interop/tests/fixtures/threat-dragon-demos",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let report = report(path.to_str().unwrap());
        let name = path.display();
        let elements = report["model"]["elements"].as_array().unwrap();
        assert!(elements.len() >= 3, "{name}: {} elements", elements.len());
        // Every element gets at least one finding: the STRIDE chart applies to each kind.
        for element in elements {
            let id = &element["id"];
            assert!(
                report["threats"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| &t["target"] == id),
                "{name}: nothing on {id}"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 9);
}

#[test]
fn a_threagile_link_to_a_missing_asset_is_named() {
    analyze_written(
        "threagile.yaml",
        "threagile_version: 1.0.0\ntitle: Broken\ntechnical_assets:\n  API:\n    id: api\n    type: process\n    communication_links:\n      Query:\n        target: db\n        protocol: https\n",
    )
        .code(2)
        .stderr(predicate::str::contains("(read as Threagile YAML model)"))
        .stderr(predicate::str::contains(
            "communication link `Query` of `API` targets `db`, which is not a technical asset",
        ));
}

#[test]
fn threat_dragon_threats_appear_beside_ours_with_their_status() {
    let report = report(&fixture("threat-dragon-v2-demo.json"));
    let provided: Vec<&Value> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "provided:OWASP Threat Dragon")
        .collect();
    assert_eq!(provided.len(), 14);
    let mitm = provided
        .iter()
        .find(|t| t["title"] == "Man in the middle attack (from OWASP Threat Dragon)")
        .unwrap();
    assert_eq!(mitm["target"], "database-to-background-worker-process");
    assert_eq!(mitm["stride"], "information_disclosure");
    assert_eq!(mitm["status"], "open");
    let mitigated = provided
        .iter()
        .filter(|t| t["status"] == "mitigated")
        .count();
    assert_eq!(mitigated, 4);
    // Our own findings are still there on the same targets.
    assert!(report["threats"].as_array().unwrap().iter().any(|t| {
        t["target"] == "database-to-background-worker-process"
            && t["source"].as_str().unwrap().starts_with("kb:")
    }));
}

#[test]
fn a_finding_on_an_unknown_target_is_an_error_with_its_position() {
    analyze_written(
        "model.yaml",
        "elements:\n  - { id: api, name: API, kind: process }\nfindings:\n  - target: apj\n    stride: spoofing\n    title: Stolen session\n",
    )
        .code(2)
        .stderr(predicate::str::contains("model.yaml:4:13"))
        .stderr(predicate::str::contains(
            "finding `Stolen session` is on `apj`, which is neither an element nor a flow",
        ));
}

#[test]
fn products_named_in_element_names_become_technologies() {
    let report = report(&fixture("threagile/example-threagile.yaml"));
    let element = |id: &str| {
        report["model"]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()
            .clone()
    };
    // "Jenkins Build Server" and "Apache Webserver" name their products; nothing else does.
    assert_eq!(
        element("jenkins-build-server")["technologies"],
        serde_json::json!(["jenkins"])
    );
    assert_eq!(
        element("apache-webserver")["technologies"],
        serde_json::json!(["apache-httpd"])
    );
    assert!(
        element("erp-system")["technologies"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    assert!(report["assumptions"].to_string().contains(
        "Technologies read from element names, word for word: Apache Webserver: Apache HTTP Server; Jenkins Build Server: Jenkins."
    ));
    // Threagile's `identity-store-ldap` category is our `ldap-directory` tag, so the LDAP
    // injection risk Threagile tracks for this model is found on both of its LDAP clients.
    let ldap: Vec<&str> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["rule"] == "AUTH010")
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(ldap, ["identity-provider", "marketing-cms"]);
}

#[test]
fn a_threagile_model_on_stdin_is_recognised() {
    let text = std::fs::read(fixture("threagile/stub-threagile.yaml")).unwrap();
    let output = threatscribe()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["source"]["kind"], "Threagile YAML model");
}

fn finding_statuses(report: &Value) -> Vec<(String, String)> {
    let mut statuses: Vec<(String, String)> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    statuses.sort();
    statuses
}

/// Models that round-trip: the blog as written; v3 with tracking decisions (accepted, lapsed,
/// in progress); a Threat Dragon file whose own threats are provided findings.
fn round_trip_inputs() -> [String; 3] {
    [
        blog(),
        format!(
            "{}/tests/fixtures/lifecycle/v3.yaml",
            env!("CARGO_MANIFEST_DIR")
        ),
        fixture("threat-dragon-v2-demo.json"),
    ]
}

fn blog() -> String {
    format!(
        "{}/../../examples/blog/model.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs `export INPUT --to TO` into `out` and returns the file it wrote.
fn export(input: &str, to: &str, out: &std::path::Path) -> Value {
    threatscribe()
        .args(["export", input, "--to", to, "-o", out.to_str().unwrap()])
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// The re-imported report has the original's architecture and every finding with its status.
fn assert_same_model_and_findings(input: &str, original: &Value, back: &Value) {
    for part in ["elements", "flows", "boundaries", "data_assets"] {
        assert_eq!(
            original["model"][part], back["model"][part],
            "{input}: {part}"
        );
    }
    assert_eq!(
        finding_statuses(original),
        finding_statuses(back),
        "{input}"
    );
}

#[test]
fn threat_dragon_export_then_import_gives_the_same_model_and_findings() {
    for input in round_trip_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let td = dir.path().join("model.td.json");
        export(&input, "threat-dragon", &td);
        let original = report(&input);
        let back = report(td.to_str().unwrap());
        assert_eq!(back["source"]["kind"], "OWASP Threat Dragon JSON model");
        assert_same_model_and_findings(&input, &original, &back);
    }
}

#[test]
fn a_status_set_in_threat_dragon_comes_back_as_a_decision() {
    let dir = tempfile::tempdir().unwrap();
    let td = dir.path().join("blog.td.json");
    let mut file = export(&blog(), "threat-dragon", &td);
    // A colleague marks the Flask debug-mode finding not applicable in Threat Dragon.
    let cells = file["detail"]["diagrams"][0]["cells"]
        .as_array_mut()
        .unwrap();
    let app = cells.iter_mut().find(|c| c["id"] == "web-app").unwrap();
    let threat = app["data"]["threats"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["id"] == "WEB008@web-app")
        .expect("the debug-mode finding is exported on the web app");
    assert_eq!(threat["type"], "Elevation of privilege");
    threat["status"] = Value::from("NotApplicable");
    std::fs::write(&td, serde_json::to_string(&file).unwrap()).unwrap();
    let back = report(td.to_str().unwrap());
    let finding = back["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "WEB008@web-app")
        .unwrap();
    assert_eq!(finding["status"], "false-positive");
    assert_eq!(
        finding["tracking"]["entry"]["justification"],
        "Set in OWASP Threat Dragon."
    );
}

#[test]
fn otm_export_then_import_gives_the_same_model_and_findings() {
    for input in round_trip_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let otm = dir.path().join("model.otm.json");
        let exported = export(&input, "otm", &otm);
        assert_eq!(exported["otmVersion"], "0.2.0");
        let original = report(&input);
        let back = report(otm.to_str().unwrap());
        assert_same_model_and_findings(&input, &original, &back);
        // Every finding is in the OTM file, referenced by its element or flow with its state.
        assert_eq!(
            exported["threats"].as_array().unwrap().len(),
            original["threats"].as_array().unwrap().len()
        );
        let states: Vec<String> = ["components", "dataflows"]
            .iter()
            .flat_map(|part| exported[*part].as_array().unwrap().iter())
            .flat_map(|c| c["threats"].as_array().unwrap().iter())
            .map(|r| r["state"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(states.len(), original["threats"].as_array().unwrap().len());
        for (status, state) in [
            ("mitigated", "MITIGATED"),
            ("accepted", "ACCEPTED"),
            ("open", "EXPOSED"),
        ] {
            let findings = finding_statuses(&original)
                .iter()
                .filter(|(_, s)| s == status)
                .count();
            let references = states.iter().filter(|s| *s == state).count();
            assert_eq!(findings, references, "{input}: {status}");
        }
    }
}

#[test]
fn tm_bom_export_then_import_gives_the_same_model_and_findings() {
    for input in round_trip_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let tmbom = dir.path().join("model.tmbom.json");
        let exported = export(&input, "tm-bom", &tmbom);
        assert_eq!(
            exported["$schema"],
            "https://github.com/OWASP/www-project-threat-model-library/blob/v1.0.1/threat-model.schema.json"
        );
        let original = report(&input);
        let back = report(tmbom.to_str().unwrap());
        assert_eq!(back["source"]["kind"], "TM-BOM file");
        assert_same_model_and_findings(&input, &original, &back);
        // Every finding is a threat, and its controls carry its status.
        let findings = original["threats"].as_array().unwrap();
        assert_eq!(
            exported["threats"].as_array().unwrap().len(),
            findings.len()
        );
        let controls = exported["controls"].as_array().unwrap();
        for finding in findings {
            let name = finding["id"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .replace('@', "-");
            let expected = match finding["status"].as_str().unwrap() {
                "open" => "suggested",
                "in-progress" => "scheduled",
                "mitigated" => "active",
                "transferred" => "assumed",
                _ => "wont_do",
            };
            let own: Vec<&Value> = controls
                .iter()
                .filter(|c| c["threats"] == serde_json::json!([name]))
                .collect();
            assert_eq!(
                own.len(),
                finding["mitigations"].as_array().unwrap().len(),
                "{input}: {name}"
            );
            assert!(
                own.iter().all(|c| c["status"] == expected),
                "{input}: {name}"
            );
        }
    }
}
