//! The TM-BOM export against the OWASP Threat Model Library's own schema (v1.0.1, a fixture),
//! on the blog and on every file the importers read; and back through the TM-BOM import, which
//! must give the same model and the same findings with the same statuses.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use threatscribe_engine::{Analysis, analyze};
use threatscribe_intake::{Format, parse_model, parse_model_value, technologies_from_names};
use threatscribe_interop::{ForeignFormat, detect, export_tmbom, import};
use threatscribe_kb::KnowledgeBase;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn validator() -> jsonschema::Validator {
    let path = fixtures().join("tmbom/threat-model.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the TM-BOM schema compiles")
}

/// Every way `file` breaks the schema, one line each.
fn violations(validator: &jsonschema::Validator, file: &Value) -> Vec<String> {
    validator
        .iter_errors(file)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn analysed_file(path: &Path) -> Analysis {
    let kb = KnowledgeBase::builtin();
    let text = std::fs::read_to_string(path).unwrap();
    let format = if path.extension().is_some_and(|e| e == "json") {
        Format::Json
    } else {
        Format::Yaml
    };
    let parsed = parse_model(&text, format, "model", kb).unwrap();
    analyze(&parsed.model, kb)
}

/// What the CLI does with another tool's file: import, name technologies, validate, analyse.
fn analysed_import(value: &Value, format: ForeignFormat) -> Analysis {
    let kb = KnowledgeBase::builtin();
    let mut model = import(value, format).unwrap();
    technologies_from_names(&mut model);
    let parsed = parse_model_value(&model, "model", kb).unwrap();
    analyze(&parsed.model, kb)
}

fn blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/blog/model.yaml")
}

/// Finding ids with their statuses, sorted.
fn statuses(analysis: &Analysis) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = analysis
        .threats
        .iter()
        .map(|t| (t.id.clone(), t.status.to_string()))
        .collect();
    out.sort();
    out
}

/// Exports, imports the export back, and checks the model and findings came back the same.
fn assert_round_trip(name: &str, original: &Analysis) {
    let file = export_tmbom(&original.model, &original.threats);
    assert_eq!(detect(&file), Some(ForeignFormat::TmBom), "{name}");
    let back = analysed_import(&file, ForeignFormat::TmBom);
    let (a, b) = (&original.model, &back.model);
    assert_eq!(a.elements, b.elements, "{name}: elements");
    assert_eq!(a.flows, b.flows, "{name}: flows");
    assert_eq!(a.boundaries, b.boundaries, "{name}: boundaries");
    assert_eq!(a.data_assets, b.data_assets, "{name}: data assets");
    assert_eq!(a.findings, b.findings, "{name}: hand-written findings");
    assert_eq!(statuses(original), statuses(&back), "{name}: findings");
}

fn part<'a>(file: &'a Value, name: &str) -> &'a [Value] {
    file[name].as_array().map_or(&[], Vec::as_slice)
}

fn find<'a>(file: &'a Value, name: &str, symbolic: &str) -> &'a Value {
    part(file, name)
        .iter()
        .find(|x| x["symbolic_name"] == symbolic)
        .unwrap_or_else(|| panic!("no {symbolic} in {name}"))
}

#[test]
fn the_blog_export_is_valid_tm_bom() {
    let analysis = analysed_file(&blog());
    let file = export_tmbom(&analysis.model, &analysis.threats);
    assert_eq!(violations(&validator(), &file), Vec::<String>::new());

    assert_eq!(find(&file, "actors", "blog-users")["type"], "user");
    assert_eq!(
        find(&file, "actors", "administrator")["type"],
        "administrator"
    );
    let mysql = find(&file, "data_stores", "mysql");
    assert_eq!(
        (&mysql["type"], &mysql["product"]),
        (&json!("sql"), &json!("MySQL"))
    );
    assert_eq!(
        find(&file, "components", "web-app")["trust_zone"],
        "ec2-instance"
    );
    // Credentials are restricted and say so by name; posts are public, so no code at all.
    assert_eq!(
        find(&file, "data_sets", "credentials")["data_sensitivity"],
        json!(["cred"])
    );
    assert_eq!(
        find(&file, "data_sets", "posts")["data_sensitivity"],
        json!([])
    );
    assert_eq!(
        find(&file, "data_sets", "posts")["placements"],
        json!([{"data_store": "mysql"}])
    );
    let login = find(&file, "data_flows", "users-to-web-app");
    assert_eq!(login["encrypted"], true);
    assert_eq!(login["has_sensitive_data"], true);
    assert_eq!(
        login["source"],
        json!({"type": "actor", "object": "blog-users"})
    );

    // Every finding is a threat with a risk; every mitigation a control carrying its status.
    assert_eq!(part(&file, "threats").len(), analysis.threats.len());
    assert_eq!(part(&file, "risks").len(), analysis.threats.len());
    let mitigations: usize = analysis.threats.iter().map(|t| t.mitigations.len()).sum();
    assert_eq!(part(&file, "controls").len(), mitigations);
    let sql = find(&file, "threats", "web001-web-app");
    assert_eq!(sql["components_affected"], json!(["web-app"]));
    assert_eq!(sql["weaknesses"], json!([{"cwe_id": 89}]));
    assert!(sql["event"].as_str().unwrap().starts_with("Tampering"));
    assert_eq!(find(&file, "risks", "web001-web-app")["level"], "critical");
    for threat in &analysis.threats {
        let name = threat.id.to_ascii_lowercase().replace('@', "-");
        let expected = match threat.status.to_string().as_str() {
            "mitigated" => "active",
            "open" => "suggested",
            other => panic!("the blog has no {other} finding"),
        };
        for control in part(&file, "controls")
            .iter()
            .filter(|c| c["threats"] == json!([name]))
        {
            assert_eq!(control["status"], expected, "{}", threat.id);
        }
    }
    let assumptions = part(&file, "assumptions");
    assert_eq!(assumptions.len(), analysis.model.assumptions.len());
    assert!(assumptions.iter().all(|a| a["validity"] == "unconfirmed"));
}

#[test]
fn the_schema_check_catches_a_value_outside_its_enums() {
    let analysis = analysed_file(&blog());
    let mut file = export_tmbom(&analysis.model, &analysis.threats);
    file["actors"][0]["type"] = json!("customer");
    file["controls"][0]["status"] = json!("implemented");
    file["threats"][0]["stride"] = json!("tampering");
    let found = violations(&validator(), &file);
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn export_then_import_gives_the_same_model_and_findings() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/lifecycle");
    for path in [blog(), cli.join("v1.yaml"), cli.join("v3.yaml")] {
        let original = analysed_file(&path);
        assert!(!original.threats.is_empty());
        assert_round_trip(&path.display().to_string(), &original);
    }
}

/// Every file under `tests/fixtures` that one of the importers reads.
fn importable() -> Vec<(PathBuf, Value, ForeignFormat)> {
    let mut out = Vec::new();
    let mut dirs = vec![fixtures()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let value: Option<Value> = match path.extension().and_then(|e| e.to_str()) {
                Some("json") => serde_json::from_str(&text).ok(),
                Some("yaml" | "yml") => serde_saphyr::from_str(&text).ok(),
                _ => None,
            };
            if let Some((value, format)) = value.and_then(|v| detect(&v).map(|format| (v, format)))
            {
                out.push((path, value, format));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_imported_fixture_exports_valid_tm_bom_that_comes_back_the_same() {
    let validator = validator();
    let files = importable();
    // Threat Dragon (3 + 9 demos), pytm, Threagile (2), OTM (3), TM-BOM, CycloneDX (3).
    assert_eq!(files.len(), 22, "{files:#?}");
    for (path, value, format) in files {
        let name = path.display().to_string();
        let original = analysed_import(&value, format);
        let file = export_tmbom(&original.model, &original.threats);
        assert_eq!(
            violations(&validator, &file),
            Vec::<String>::new(),
            "{name}"
        );
        assert_round_trip(&name, &original);
    }
}

#[test]
fn a_control_status_changed_in_the_file_comes_back_as_a_decision() {
    let analysis = analysed_file(&blog());
    let mut file = export_tmbom(&analysis.model, &analysis.threats);
    // A colleague records that the Flask debug-mode finding's controls are in place.
    for control in file["controls"].as_array_mut().unwrap() {
        if control["threats"] == json!(["web008-web-app"]) {
            control["status"] = json!("active");
        }
    }
    let back = analysed_import(&file, ForeignFormat::TmBom);
    let finding = back
        .threats
        .iter()
        .find(|t| t.id == "WEB008@web-app")
        .unwrap();
    assert_eq!(finding.status.to_string(), "mitigated");
    let entry = &finding.tracking.as_ref().unwrap().entry;
    assert_eq!(
        entry.justification.as_deref(),
        Some("Set in a TM-BOM file: control status active.")
    );
    // Nothing else moved.
    let changed: Vec<_> = statuses(&analysis)
        .into_iter()
        .zip(statuses(&back))
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
}

#[test]
fn another_tools_threats_come_along_as_provided_findings() {
    let path = fixtures().join("tmbom/huskyai.tmbom.json");
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The Husky AI threats name no affected component; give three of them one.
    let threats = file["threats"].as_array_mut().unwrap();
    threats[0]["components_affected"] = json!(["web-service"]);
    threats[1]["components_affected"] = json!(["gather-images"]);
    threats[2]["components_affected"] = json!(["nowhere", "training-images-blob"]);
    let model = import(&file, ForeignFormat::TmBom).unwrap();
    let findings = model["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    // "denial of service or remote code execution"; its two controls are only suggested.
    let overflow = &findings[0];
    assert_eq!(overflow["target"], "web-service");
    assert_eq!(overflow["stride"], "denial_of_service");
    assert_eq!(overflow["status"], "open");
    assert_eq!(overflow["severity"], "high");
    assert_eq!(
        overflow["mitigation"],
        "Implement sandboxing for image processing. Follow OWASP Cheat Sheet for File Upload"
    );
    // "Image tampering"; one of its controls, access control on the blobs, is active.
    let images = &findings[1];
    assert_eq!(images["target"], "training-images-blob");
    assert_eq!(images["stride"], "tampering");
    assert_eq!(images["status"], "mitigated");
    assert_eq!(images["severity"], "medium");
    assert_eq!(images["source"], "the TM-BOM file");
    let assumptions = model["assumptions"].to_string();
    assert!(assumptions.contains("come along as provided findings (2 of them)"));
    assert!(assumptions.contains(
        "Supply chain attack on third-party libraries compromising system outputs (it names no STRIDE category)"
    ));
    assert!(assumptions.contains("Image perturbation attack resulting in incorrect classifications (it names no affected element or flow)"));
    // And they are findings the model accepts, beside the rules' own.
    let kb = KnowledgeBase::builtin();
    let parsed = parse_model_value(&model, "husky", kb).unwrap();
    let analysis = analyze(&parsed.model, kb);
    let provided = analysis
        .threats
        .iter()
        .filter(|t| t.source.starts_with("provided:"))
        .count();
    assert_eq!(provided, 2);
}
