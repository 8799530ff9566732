//! Plain-English descriptions through the command line: the blog description gives a report as
//! specific as the hand-written blog model, and `init` writes a model file that analyses to the
//! same threats as the description itself.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn analyze_json(path: &str) -> Value {
    let output = Command::cargo_bin("threatscribe")
        .expect("binary")
        .current_dir(root())
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

fn specific_rules(report: &Value) -> BTreeSet<String> {
    report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .filter(|t| t["source"] == "kb:specific")
        .map(|t| t["rule"].as_str().expect("rule").to_owned())
        .collect()
}

#[test]
fn the_blog_description_is_as_specific_as_the_hand_written_model() {
    let from_text = specific_rules(&analyze_json("examples/blog/description.txt"));
    let from_model = specific_rules(&analyze_json("examples/blog/model.yaml"));
    let missing: Vec<&String> = from_model.difference(&from_text).collect();
    assert!(
        missing.is_empty(),
        "the description misses {missing:?} that the hand-written model finds"
    );
}

#[test]
fn init_writes_a_model_that_analyses_to_the_same_threats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("blog.yaml");
    Command::cargo_bin("threatscribe")
        .expect("binary")
        .current_dir(root())
        .args(["init", "examples/blog/description.txt", "-o"])
        .arg(&model)
        .assert()
        .success();
    let text = std::fs::read_to_string(&model).expect("written");
    assert!(
        text.contains("# \"The database is a MySQL database\""),
        "provenance comments are written:\n{text}"
    );
    let from_file = analyze_json(model.to_str().expect("utf-8 path"));
    let from_text = analyze_json("examples/blog/description.txt");
    let ids = |report: &Value| -> Vec<(String, String)> {
        report["threats"]
            .as_array()
            .expect("threats")
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().expect("id").to_owned(),
                    t["severity"].as_str().expect("severity").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&from_file), ids(&from_text));
    assert_eq!(
        from_file["model"]["elements"],
        from_text["model"]["elements"]
    );
    assert_eq!(from_file["assumptions"], from_text["assumptions"]);
}
