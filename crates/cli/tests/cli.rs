//! The command line as a user meets it: exit codes, messages with positions, no partial
//! output, determinism, stdin.

use assert_cmd::Command;
use predicates::prelude::*;

fn threatscribe() -> Command {
    Command::cargo_bin("threatscribe").expect("the binary is built")
}

const BLOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/blog/model.yaml"
);

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn broken_references_exit_2_with_line_column_and_hint_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.md");
    let path = fixture("broken-reference.yaml");
    threatscribe()
        .args(["analyze", &path, "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "broken-reference.yaml:6:23: flow refers to unknown element `dbb`",
        ))
        .stderr(predicate::str::contains("did you mean `db`?"));
    assert!(
        !out.exists(),
        "no report may be written for an invalid model"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "no temporary file left behind"
    );
}

#[test]
fn yaml_syntax_error_exits_2_with_position() {
    threatscribe()
        .args(["validate", &fixture("bad-indent.yaml")])
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"bad-indent\.yaml:\d+:\d+: ").expect("regex"));
}

#[test]
fn json_syntax_error_exits_2_with_position() {
    threatscribe()
        .args(["analyze", &fixture("trailing-comma.json")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "trailing-comma.json:4:3: invalid JSON",
        ));
}

#[test]
fn unknown_technology_is_a_warning_and_the_analysis_runs() {
    threatscribe()
        .args([
            "analyze",
            &fixture("unknown-technology.yaml"),
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("unknown technology `flsk`"))
        .stderr(predicate::str::contains("did you mean `flask`?"))
        .stdout(predicate::str::contains("\"BASE001@app\""));
}

#[test]
fn empty_and_non_architecture_text_and_binary_files_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "We met on Friday and agreed to meet again next week.",
    )
    .expect("write");
    threatscribe()
        .arg("analyze")
        .arg(&text)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no architecture found"))
        .stderr(predicate::str::contains("describe the parts"));
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n  \n").expect("write");
    threatscribe()
        .arg("analyze")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the description is empty"));
    let binary = dir.path().join("model.yaml");
    std::fs::write(&binary, b"elements:\0\x01\x02").expect("write");
    threatscribe()
        .arg("analyze")
        .arg(&binary)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("binary file"));
    let latin1 = dir.path().join("latin1.yaml");
    std::fs::write(&latin1, b"name: caf\xe9\n").expect("write");
    threatscribe()
        .arg("analyze")
        .arg(&latin1)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not valid UTF-8"));
}

#[test]
fn missing_file_exits_3_and_bad_usage_exits_2() {
    threatscribe()
        .args(["analyze", "/no/such/model.yaml"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot read"));
    threatscribe().args(["analyze"]).assert().code(2);
    threatscribe()
        .args(["analyze", BLOG, "--format", "pdf"])
        .assert()
        .code(2);
}

#[test]
fn output_is_deterministic_and_stdin_gives_the_same_threats() {
    let first = threatscribe()
        .args(["analyze", BLOG, "--format", "json"])
        .output()
        .expect("run");
    let second = threatscribe()
        .args(["analyze", BLOG, "--format", "json"])
        .output()
        .expect("run");
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout, "same input, same bytes");
    let piped = threatscribe()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(std::fs::read(BLOG).expect("read blog"))
        .output()
        .expect("run");
    let threats = |bytes: &[u8]| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(bytes).expect("json")["threats"].clone()
    };
    assert_eq!(threats(&first.stdout), threats(&piped.stdout));
}

#[test]
fn output_file_extension_picks_the_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.json");
    threatscribe()
        .args(["analyze", BLOG, "-o"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("valid json");
    assert_eq!(json["schema_version"], 1);
}

#[test]
fn validate_reports_the_model_and_schema_prints_json_schema() {
    threatscribe()
        .args(["validate", BLOG])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "valid model `Flask blog on AWS EC2`: 5 elements, 4 flows",
        ));
    let schema = threatscribe().arg("schema").output().expect("run");
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).expect("schema is JSON");
    assert_eq!(schema["title"], "threatscribe model");
}

#[test]
fn help_explains_exit_codes_and_kb_lists_rules() {
    threatscribe()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
    threatscribe()
        .args(["kb", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("WEB001"));
    threatscribe()
        .args(["kb", "show", "flask-login"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Flask-Login"));
    threatscribe()
        .args(["kb", "show", "NOPE999"])
        .assert()
        .code(2);
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_quickly() {
    threatscribe()
        .args(["analyze", &fixture("alias-bomb.yaml")])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "alias-bomb.yaml:10:20: budget breached",
        ))
        .stderr(predicate::str::contains("billion laughs"));
    let deep = format!("elements: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    threatscribe()
        .args(["analyze", "-"])
        .write_stdin(deep)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("recursion limit"));
}

#[test]
fn a_rule_pack_adds_rules_and_a_broken_pack_is_refused_with_its_position() {
    let pack = fixture("pack");
    threatscribe()
        .args(["analyze", BLOG, "--format", "json", "--kb", &pack])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"ACME001@web-app\""));
    threatscribe()
        .args(["kb", "lint", "--kb", &pack])
        .assert()
        .success()
        .stdout(predicate::str::contains("knowledge base ok"));
    threatscribe()
        .args(["analyze", BLOG, "--kb", &fixture("bad-pack")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad-pack/threats/ACME002-broken.yaml",
        ));
}

/// A description names a product only a rule pack knows: with the pack, the reader draws it as
/// the data store it is, with its technology (and the pack's and built-in rules apply); without,
/// it is not an element at all.
#[test]
fn a_description_names_technologies_a_rule_pack_adds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let description = dir.path().join("shop.txt");
    std::fs::write(
        &description,
        "A Flask web app keeps its orders in Acme Ledger. Customers use the web app from their browsers.\n",
    )
    .expect("write");
    let elements = |extra: &[&str]| -> Vec<serde_json::Value> {
        let output = threatscribe()
            .arg("analyze")
            .arg(&description)
            .args(["--format", "json", "-q"])
            .args(extra)
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        report["model"]["elements"]
            .as_array()
            .expect("elements")
            .clone()
    };
    let with_pack = elements(&["--kb", &fixture("pack")]);
    let ledger = with_pack
        .iter()
        .find(|e| {
            e["technologies"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "acme-ledger"))
        })
        .unwrap_or_else(|| panic!("no element uses acme-ledger: {with_pack:?}"));
    assert_eq!(ledger["kind"], "data_store", "{ledger}");
    let without = elements(&[]);
    assert!(
        !without
            .iter()
            .any(|e| e["name"].as_str().is_some_and(|n| n.contains("Acme"))),
        "{without:?}"
    );
}

#[test]
fn kb_list_json_lists_rules_technologies_and_controls() {
    let output = threatscribe()
        .args(["kb", "list", "--format", "json"])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let rules = json["rules"].as_array().expect("rules");
    let web001 = rules
        .iter()
        .find(|r| r["id"] == "WEB001")
        .expect("WEB001 listed");
    assert_eq!(web001["cwe"][0], "CWE-89");
    assert!(web001["stride"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(
        json["technologies"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["id"] == "flask"))
    );
    assert!(json["controls"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn schema_report_prints_the_report_schema() {
    let output = threatscribe()
        .args(["schema", "--report"])
        .output()
        .expect("run");
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("schema is JSON");
    assert_eq!(schema["title"], "threatscribe report");
    assert!(schema["properties"]["threats"].is_object());
}

#[cfg(unix)]
#[test]
fn writing_to_a_device_writes_through_it_and_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt as _;
    threatscribe()
        .args(["analyze", BLOG, "-q", "-o", "/dev/null"])
        .assert()
        .success();
    let kind = std::fs::metadata("/dev/null")
        .expect("/dev/null")
        .file_type();
    assert!(kind.is_char_device(), "/dev/null must stay a device");
}

#[test]
fn input_size_limits_are_explained_and_can_be_raised() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("long.txt");
    std::fs::write(
        &text,
        "The web app stores orders in a PostgreSQL database. ".repeat(25_000),
    )
    .expect("write");
    threatscribe()
        .arg("analyze")
        .arg(&text)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "descriptions are read up to 1024 KiB",
        ));
    threatscribe()
        .arg("analyze")
        .arg(&text)
        .args(["--max-input-mib", "2", "-q", "--format", "json"])
        .assert()
        .success();
}
