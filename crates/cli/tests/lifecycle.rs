//! The blog through three versions: v1 as checked in; v2 adds a Redis cache and Stripe; v3
//! encrypts the MySQL connection and tracks decisions (an acceptance that lapsed, one that
//! holds, work in progress, and an entry that matches nothing). Dates are fixed with
//! `SOURCE_DATE_EPOCH` (2026-11-29).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const TODAY_EPOCH: &str = "1796000000";

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/lifecycle/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn threatscribe() -> Command {
    let mut command = Command::cargo_bin("threatscribe").expect("binary");
    command.env("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    command
}

fn json(args: &[&str]) -> Value {
    let output = threatscribe().args(args).output().expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

fn threat<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

#[test]
fn diff_shows_what_each_version_changed() {
    let v1_v2 = json(&[
        "diff",
        &fixture("v1.yaml"),
        &fixture("v2.yaml"),
        "--format",
        "json",
    ]);
    assert_eq!(
        v1_v2["elements"]["added"],
        serde_json::json!(["redis", "stripe"])
    );
    assert_eq!(
        v1_v2["flows"]["added"],
        serde_json::json!(["web-app-to-redis", "web-app-to-stripe"])
    );
    let new: Vec<&str> = v1_v2["new_threats"]
        .as_array()
        .expect("new")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert!(new.contains(&"CACHE001@redis"), "{new:?}");
    assert!(new.contains(&"PAY001@web-app"), "{new:?}");

    let v2_v3 = json(&[
        "diff",
        &fixture("v2.yaml"),
        &fixture("v3.yaml"),
        "--format",
        "json",
    ]);
    assert_eq!(v2_v3["flows"]["changed"][0][0], "web-app-to-mysql");
    let resolved: Vec<&str> = v2_v3["resolved_threats"]
        .as_array()
        .expect("resolved")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        resolved,
        ["DB001@web-app-to-mysql"],
        "encrypting the connection resolves DB001"
    );
    let changed = v2_v3["changed_threats"].as_array().expect("changed");
    let web008 = changed
        .iter()
        .find(|c| c["id"] == "WEB008@web-app")
        .expect("WEB008 changed");
    assert_eq!(web008["status"], serde_json::json!(["open", "accepted"]));

    // Two JSON reports compare the same way as the model files they came from.
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("v2.json"), dir.path().join("v3.json"));
    threatscribe()
        .args(["analyze", &fixture("v2.yaml"), "-q", "-o"])
        .arg(&a)
        .assert()
        .success();
    threatscribe()
        .args(["analyze", &fixture("v3.yaml"), "-q", "-o"])
        .arg(&b)
        .assert()
        .success();
    let from_reports = json(&[
        "diff",
        a.to_str().expect("path"),
        b.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(from_reports["resolved_threats"], v2_v3["resolved_threats"]);
    assert_eq!(from_reports["changed_threats"], v2_v3["changed_threats"]);
}

#[test]
fn tracking_sets_statuses_and_lapsed_acceptances_reopen() {
    let v3 = json(&["analyze", &fixture("v3.yaml"), "--format", "json", "-q"]);
    let accepted = threat(&v3, "WEB008@web-app");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["residual_severity"], accepted["severity"]);
    assert_eq!(accepted["tracking"]["entry"]["owner"], "dana");
    let lapsed = threat(&v3, "CLOUD001@web-app");
    assert_eq!(
        lapsed["status"], "open",
        "the acceptance expired on 2026-01-31"
    );
    assert_eq!(lapsed["tracking"]["expired"], true);
    assert_eq!(
        threat(&v3, "WEB005@web-app")["status"],
        "in-progress",
        "WEB005@* matched"
    );
    assert_eq!(
        threat(&v3, "BASE013@web-app-to-mysql")["status"],
        "mitigated"
    );
    assert_eq!(
        threat(&v3, "BASE013@web-app-to-mysql")["residual_severity"],
        "low"
    );
    let notes = v3["tracking_notes"].to_string();
    assert!(
        notes.contains("NOPE999@web-app") && notes.contains("matches no finding"),
        "{notes}"
    );
    assert!(notes.contains("expired on 2026-01-31"), "{notes}");
    assert_eq!(v3["summary"]["by_status"]["accepted"], 1);

    let md = String::from_utf8(
        threatscribe()
            .args(["analyze", &fixture("v3.yaml"), "-q"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("utf-8");
    assert!(md.contains("#### Accepted and false-positive findings"));
    assert!(md.contains("accepted by dana (2026-01-15, until 2099-12-31, SEC-101)"));
}

#[test]
fn accepting_without_a_justification_is_an_error_with_its_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.yaml");
    let text = std::fs::read_to_string(fixture("v1.yaml")).expect("v1")
        + "\ntracking:\n  - threat: WEB001@web-app\n    status: accepted\n    expires: 2027-13-01\n";
    std::fs::write(&path, &text).expect("write");
    threatscribe()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a `accepted` decision on `WEB001@web-app` needs a `justification`",
        ))
        .stderr(predicate::str::contains("`2027-13-01` is not a date"));
}

#[test]
fn the_gate_fails_on_open_findings_and_a_baseline_counts_only_new_ones() {
    threatscribe()
        .args([
            "analyze",
            &fixture("v1.yaml"),
            "-q",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("WEB001@web-app"));
    // Accepted findings do not count: the gate at high still fails on v3 (the lapsed CLOUD001
    // acceptance is open again) but never lists the accepted WEB008.
    threatscribe()
        .args(["analyze", &fixture("v3.yaml"), "-q", "--fail-on", "high"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("CLOUD001@web-app"))
        .stderr(predicate::str::contains("WEB008@web-app").not());

    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.json");
    let v2 = dir.path().join("v2.json");
    threatscribe()
        .args(["analyze", &fixture("v1.yaml"), "-q", "-o"])
        .arg(&v1)
        .assert()
        .success();
    threatscribe()
        .args(["analyze", &fixture("v2.yaml"), "-q", "-o"])
        .arg(&v2)
        .assert()
        .success();
    // v2 adds Redis and Stripe: new high findings fail the gate even with v1 as baseline...
    threatscribe()
        .args([
            "analyze",
            &fixture("v2.yaml"),
            "-q",
            "--fail-on",
            "high",
            "--baseline",
        ])
        .arg(&v1)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("new finding"))
        .stderr(predicate::str::contains("CACHE001@redis"))
        .stderr(predicate::str::contains("WEB001@web-app").not());
    // ...while v3 against v2 adds no new high finding.
    threatscribe()
        .args([
            "analyze",
            &fixture("v3.yaml"),
            "-q",
            "--fail-on",
            "high",
            "--baseline",
        ])
        .arg(&v2)
        .assert()
        .success();
}

#[test]
fn sarif_suppresses_decided_findings_and_marks_baseline_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v2 = dir.path().join("v2.json");
    threatscribe()
        .args(["analyze", &fixture("v2.yaml"), "-q", "-o"])
        .arg(&v2)
        .assert()
        .success();
    let sarif = json(&[
        "analyze",
        &fixture("v3.yaml"),
        "-q",
        "--format",
        "sarif",
        "--baseline",
        v2.to_str().expect("path"),
    ]);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let result = |id: &str| {
        results
            .iter()
            .find(|r| r["partialFingerprints"]["threatscribe/v1"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let accepted = &result("WEB008@web-app")["suppressions"][0];
    assert_eq!(accepted["kind"], "inSource");
    assert!(
        accepted["justification"]
            .as_str()
            .expect("text")
            .starts_with("accepted: Debug mode is disabled")
    );
    assert!(
        result("CLOUD001@web-app").get("suppressions").is_none(),
        "a lapsed acceptance is not suppressed"
    );
    assert!(
        result("WEB005@web-app").get("suppressions").is_none(),
        "work in progress is not suppressed"
    );
    assert_eq!(result("WEB008@web-app")["baselineState"], "updated");
    assert_eq!(result("WEB001@web-app")["baselineState"], "unchanged");
    assert_eq!(result("BASE013@web-app-to-mysql")["baselineState"], "new");
}

#[test]
fn a_separate_tracking_file_applies_like_the_models_own_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tracking = dir.path().join("tracking.yaml");
    std::fs::write(
        &tracking,
        "tracking:\n  - threat: \"*@mysql\"\n    status: transferred\n    owner: dba-team\n",
    )
    .expect("write");
    let report = json(&[
        "analyze",
        &fixture("v1.yaml"),
        "--format",
        "json",
        "-q",
        "--tracking",
        tracking.to_str().expect("path"),
    ]);
    for t in report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .filter(|t| t["target"] == "mysql")
    {
        assert_eq!(t["status"], "transferred", "{}", t["id"]);
    }
    std::fs::write(
        &tracking,
        "tracking:\n  - threat: DB002@mysql\n    status: waived\n",
    )
    .expect("write");
    threatscribe()
        .args(["analyze", &fixture("v1.yaml"), "-q", "--tracking"])
        .arg(&tracking)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tracking.yaml:3:13: unknown tracking status `waived`",
        ));
}

/// The v3 fixture with findings written in the model and a transfer decided on one of them.
fn tracked_model(dir: &std::path::Path) -> std::path::PathBuf {
    let model = dir.join("model.yaml");
    let text = std::fs::read_to_string(fixture("v3.yaml")).expect("v3");
    let text = text.replacen(
        "tracking:\n",
        "findings:\n  - target: mysql\n    stride: information_disclosure\n    title: Backups copied to a laptop\n    severity: high\n    source: pentest 2026\n  - target: web-app\n    stride: tampering\n    title: Template injection in the theme editor\n    status: mitigated\n    mitigation: Themes are static files. Reviewed in SEC-7.\n    source: pentest 2026\n\ntracking:\n  - threat: PROVIDED-1@mysql\n    status: transferred\n    owner: ops\n",
        1,
    );
    std::fs::write(&model, text).expect("write model");
    model
}

/// `--format json`, `csv` and `sarif` write each finding as they reach it; a report directory
/// renders the whole analysis held in memory. Both must be the same bytes, with tracking
/// (lapsed, held, pattern, unmatched), findings written in the model, and the gate.
#[test]
fn reports_written_finding_by_finding_are_those_of_the_whole_analysis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tracked_model(dir.path());
    let model = model.to_str().expect("utf-8 path");

    let streamed = dir.path().join("streamed.json");
    let streamed_csv = dir.path().join("streamed.csv");
    let streamed_sarif = dir.path().join("streamed.sarif");
    let all = dir.path().join("all/");
    for output in [&streamed, &streamed_csv, &streamed_sarif, &all] {
        threatscribe()
            .args(["analyze", model, "-q", "-o"])
            .arg(output)
            .assert()
            .success();
    }
    let read = |path: &std::path::Path| std::fs::read_to_string(path).expect("a report");
    assert!(
        read(&streamed_csv) == read(&all.join("report.csv")),
        "the streamed CSV differs from the directory's report.csv"
    );
    let sarif = read(&streamed_sarif);
    assert!(
        sarif == read(&all.join("report.sarif")),
        "the streamed SARIF differs from the directory's report.sarif"
    );
    // The transfer written in the model is a suppression in source; the declared control
    // written in the model too.
    let sarif: Value = serde_json::from_str(&sarif).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppression = |id: &str| {
        let result = results
            .iter()
            .find(|r| r["partialFingerprints"]["threatscribe/v1"] == id)
            .unwrap_or_else(|| panic!("no result {id}"));
        result["suppressions"][0]["kind"].clone()
    };
    assert_eq!(suppression("PROVIDED-1@mysql"), "inSource");

    let streamed = read(&streamed);
    let whole = read(&all.join("report.json"));
    assert!(
        streamed == whole,
        "the streamed JSON differs from the directory's report.json"
    );
    let report: Value = serde_json::from_str(&streamed).expect("json");
    assert_eq!(threat(&report, "PROVIDED-1@mysql")["status"], "transferred");
    assert_eq!(threat(&report, "CLOUD001@web-app")["status"], "open");
    assert_eq!(threat(&report, "WEB008@web-app")["status"], "accepted");
    assert!(
        report["coverage"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    );

    // The gate reads the same findings on both paths.
    let gate = |format: &str| {
        let output = threatscribe()
            .args([
                "analyze",
                model,
                "-q",
                "--fail-on",
                "high",
                "--format",
                format,
            ])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{format}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let (json_gate, md_gate) = (gate("json"), gate("md"));
    assert!(
        json_gate.contains("WEB001@web-app [critical] SQL injection"),
        "{json_gate}"
    );
    assert_eq!(json_gate, md_gate);
}

#[test]
fn sarif_written_finding_by_finding_compares_with_a_baseline_as_the_whole_analysis_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tracked_model(dir.path());
    let model = model.to_str().expect("utf-8 path");
    let read = |path: &std::path::Path| std::fs::read_to_string(path).expect("a report");
    let streamed_sarif = dir.path().join("streamed.sarif");
    // Each result says whether it is new since the baseline, the same on both paths.
    let older = dir.path().join("older.json");
    threatscribe()
        .args(["analyze", model, "-q", "-o"])
        .arg(&older)
        .assert()
        .success();
    let edited = read(&older).replacen(
        "\"id\": \"CLOUD001@web-app\"",
        "\"id\": \"CLOUD001@gone\"",
        1,
    );
    std::fs::write(&older, edited).expect("write");
    let against = dir.path().join("against/");
    for output in [&streamed_sarif, &against] {
        threatscribe()
            .args(["analyze", model, "-q", "--baseline"])
            .arg(&older)
            .arg("-o")
            .arg(output)
            .assert()
            .success();
    }
    let sarif = read(&streamed_sarif);
    assert!(
        sarif == read(&against.join("report.sarif")),
        "with a baseline, the streamed SARIF differs from the directory's report.sarif"
    );
    assert!(
        sarif.contains("\"baselineState\": \"new\""),
        "CLOUD001@web-app is new"
    );
    assert!(sarif.contains("\"baselineState\": \"unchanged\""));
}
