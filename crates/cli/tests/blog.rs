//! The bundled blog example, end to end: what a reviewer of that blog must find in the report,
//! and the checked-in reports (examples/blog/report.md, report.json) kept byte-identical.
//! After a deliberate change: `UPDATE_GOLDEN=1 cargo test -p threatscribe --test blog`, then
//! read the diff line by line.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/blog")
        .join(name)
}

fn analyze(format: &str) -> String {
    // Run from the workspace root with a relative path, as the README does, so the report's
    // "input" line is the same on every machine.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::cargo_bin("threatscribe")
        .expect("binary")
        .current_dir(root)
        .args(["analyze", "examples/blog/model.yaml", "--format", format])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "the example raises no warnings: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn report() -> Value {
    serde_json::from_str(&analyze("json")).expect("json report")
}

fn threats(report: &Value) -> &Vec<Value> {
    report["threats"].as_array().expect("threats")
}

fn find<'a>(report: &'a Value, id: &str) -> &'a Value {
    threats(report)
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} is missing"))
}

/// Every piece of text of a threat's mitigations, for "does the guidance say X" checks.
fn guidance(threat: &Value) -> String {
    threat["mitigations"].to_string()
}

#[test]
fn the_model_is_understood_with_its_parts() {
    let report = report();
    let model = &report["model"];
    assert!(model["elements"].as_array().expect("elements").len() >= 5);
    assert!(model["flows"].as_array().expect("flows").len() >= 4);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["usage"]["calls"], 0);
    assert_eq!(report["usage"]["cost_usd"], 0.0);
}

#[test]
fn stride_categories_cover_each_element_as_the_chart_says() {
    let report = report();
    let categories_on = |target: &str| -> Vec<String> {
        threats(&report)
            .iter()
            .filter(|t| t["target"] == target)
            .flat_map(|t| {
                t["categories"]
                    .as_array()
                    .expect("categories")
                    .iter()
                    .map(|c| c.as_str().expect("str").to_owned())
            })
            .collect()
    };
    let web_app = categories_on("web-app");
    for category in [
        "spoofing",
        "tampering",
        "repudiation",
        "information_disclosure",
        "denial_of_service",
        "elevation_of_privilege",
    ] {
        assert!(
            web_app.iter().any(|c| c == category),
            "web app lacks {category}"
        );
    }
    let mysql = categories_on("mysql");
    for category in ["tampering", "information_disclosure", "denial_of_service"] {
        assert!(
            mysql.iter().any(|c| c == category),
            "MySQL lacks {category}"
        );
    }
    for entity in ["blog-users", "administrator", "api-clients"] {
        let found = categories_on(entity);
        assert!(
            found.iter().any(|c| c == "spoofing") && found.iter().any(|c| c == "repudiation"),
            "{entity}: {found:?}"
        );
    }
    // The coverage matrix agrees: no applicable category is left without a finding.
    assert!(!report["coverage"].to_string().contains("\"gap\""));
}

#[test]
fn the_blog_specific_threats_are_found_with_guidance_for_its_own_libraries() {
    let report = report();
    let expectations: &[(&str, &[&str])] = &[
        ("WEB001@web-app", &["SQLAlchemy", "cursor.execute"]),
        ("WEB002@web-app", &["|safe", "autoescap"]),
        ("WEB003@web-app", &["CSRFProtect"]),
        (
            "WEB004@web-app",
            &[
                "REMEMBER_COOKIE_SECURE",
                "session_protection",
                "SESSION_COOKIE_SECURE",
            ],
        ),
        ("WEB005@web-app", &["Flask-Limiter"]),
        ("WEB006@web-app", &["is_accessible"]),
        ("DB001@web-app-to-mysql", &["require_secure_transport"]),
        ("CLOUD001@web-app", &["IMDSv2", "HttpTokens"]),
    ];
    for (id, needles) in expectations {
        let threat = find(&report, id);
        assert_eq!(threat["status"], "open", "{id}");
        let text = guidance(threat);
        for needle in *needles {
            assert!(
                text.contains(needle),
                "{id}: mitigations do not mention {needle}"
            );
        }
        assert!(
            !threat["cwe"].as_array().expect("cwe").is_empty(),
            "{id} has a CWE"
        );
    }
    // Findings are ordered by severity, highest first.
    let order = ["critical", "high", "medium", "low"];
    let ranks: Vec<usize> = threats(&report)
        .iter()
        .map(|t| {
            order
                .iter()
                .position(|s| t["severity"] == *s)
                .expect("known severity")
        })
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "not ordered by severity"
    );
}

#[test]
fn nothing_that_does_not_apply() {
    let text = analyze("json").to_lowercase();
    for absent in [
        "buffer overflow",
        "out-of-bounds",
        "cwe-787",
        "cwe-611",
        "xml external",
        "deserializ",
        "ldap",
    ] {
        assert!(
            !text.contains(absent),
            "the blog report mentions `{absent}`"
        );
    }
    // Flask-Bootstrap is a presentation library: no finding rests on it.
    let report = report();
    for threat in threats(&report) {
        let evidence = threat["evidence"].to_string();
        assert!(
            !evidence.contains("Flask-Bootstrap"),
            "{} rests on Flask-Bootstrap",
            threat["id"]
        );
    }
}

#[test]
fn markdown_has_the_sections_of_the_reference_report() {
    let markdown = analyze("md");
    let mut at = 0;
    for section in [
        "## Executive Summary",
        "## Results",
        "## Data Flow Diagram",
        "```mermaid",
        "subgraph",
        "## Discussion",
        "## Assumptions and Open Questions",
        "## Appendix",
        "### Input as given",
        "### Model as understood",
        "## Usage Costs",
        "## Conversation Log",
    ] {
        let found = markdown[at..]
            .find(section)
            .unwrap_or_else(|| panic!("`{section}` missing or out of order"));
        at += found;
    }
}

fn golden(name: &str, actual: &str) {
    let path = example(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the current output at line {} (run with UPDATE_GOLDEN=1 and review the diff):\n  expected: {:?}\n  actual:   {:?}",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn diagram(format: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::cargo_bin("threatscribe")
        .expect("binary")
        .current_dir(root)
        .args(["analyze", "examples/blog/model.yaml", "--diagram", format])
        .output()
        .expect("run");
    assert!(output.status.success());
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn checked_in_reports_are_current() {
    for format in ["md", "json", "html", "sarif", "csv"] {
        golden(&format!("report.{format}"), &analyze(format));
    }
    for (name, format) in [
        ("dfd.mmd", "mermaid"),
        ("dfd.dot", "dot"),
        ("dfd.svg", "svg"),
    ] {
        golden(name, &diagram(format));
    }
}
