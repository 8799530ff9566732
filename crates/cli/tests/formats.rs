//! Every output format on hostile input: names, descriptions and technologies that try to
//! break out of HTML, Markdown tables, Mermaid and DOT labels, CSV cells and JSON.

use assert_cmd::Command;

fn render(args: &[&str]) -> String {
    let fixture = format!("{}/tests/fixtures/hostile.yaml", env!("CARGO_MANIFEST_DIR"));
    let output = Command::cargo_bin("threatscribe")
        .expect("binary")
        .arg("analyze")
        .arg(&fixture)
        .args(args)
        .arg("--quiet")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn html_escapes_everything_from_the_model() {
    let html = render(&["--format", "html"]);
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only threatscribe's own script tag"
    );
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<svg onload"));
    assert!(!html.contains("<b>bold</b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("Content-Security-Policy"),
        "a CSP blocks any script that slipped through"
    );
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing is fetched"
    );
}

#[test]
fn markdown_keeps_tables_and_markup_intact() {
    let full = render(&["--format", "md"]);
    // The input is quoted verbatim inside a code fence (safe); everything else is escaped.
    let start = full.find("### Input as given").expect("appendix");
    let end = full.find("### Model as understood").expect("model section");
    let md = format!("{}{}", &full[..start], &full[end..]);
    // Raw HTML would need a `<` that Markdown does not escape: `\<` is literal text.
    let raw = |needle: &str| {
        md.match_indices(needle)
            .any(|(i, _)| i == 0 || md.as_bytes()[i - 1] != b'\\')
    };
    assert!(!raw("<script"));
    assert!(!raw("<img"));
    let fence_opening = full[start..end]
        .lines()
        .find(|l| l.starts_with("```"))
        .expect("fenced input");
    assert!(
        full[start..end]
            .matches(fence_opening.trim_end_matches("yaml"))
            .count()
            >= 2,
        "the fence closes after the input"
    );
    for line in md
        .lines()
        .filter(|l| l.starts_with("| `app`") || l.starts_with("| `db`"))
    {
        assert_eq!(
            line.matches(" | ").count() + 2,
            line.matches('|').count() - line.matches("\\|").count(),
            "a name broke the table: {line}"
        );
    }
}

#[test]
fn diagrams_escape_labels() {
    let mermaid = render(&["--diagram", "mermaid"]);
    assert!(
        !mermaid.contains("\"quoted\""),
        "quotes are entity-encoded in Mermaid labels"
    );
    assert!(mermaid.contains("#quot;quoted#quot;"));
    let dot = render(&["--diagram", "dot"]);
    assert!(dot.contains(r#"\"quoted\""#));
    let svg = render(&["--diagram", "svg"]);
    assert!(svg.starts_with("<svg"));
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;"));
}

#[test]
fn csv_cells_cannot_become_formulas() {
    let csv = render(&["--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for record in reader.records() {
        for cell in &record.expect("valid CSV") {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell: {cell}"
            );
        }
    }
    assert!(csv.contains("'=cmd|' /C calc'!A0"));
}

#[test]
fn json_and_sarif_are_valid_and_keep_the_text() {
    let json: serde_json::Value =
        serde_json::from_str(&render(&["--format", "json"])).expect("json");
    assert_eq!(
        json["model"]["elements"][0]["name"],
        "<script>alert(1)</script>"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&render(&["--format", "sarif"])).expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        assert!(result["partialFingerprints"]["threatscribe/v1"].is_string());
        assert!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some_and(|l| l >= 1)
        );
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().expect("level")));
    }
}
