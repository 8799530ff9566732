//! Property tests: random valid models (any shape of elements, boundaries, flows, data,
//! technologies, properties and decisions, with names full of markup and punctuation) never
//! make the pipeline panic, and the same model gives byte-identical output twice, in every
//! format and every diagram.

use proptest::prelude::*;
use serde_json::{Value, json};
use threatscribe_engine::analyze_on;
use threatscribe_kb::KnowledgeBase;
use threatscribe_report::{
    Csv, Html, Json, Markdown, Render, Report, Sarif, Source, dot, mermaid, svg,
};

/// Technologies that make many rules fire, protocols, and properties rules read.
const TECHNOLOGIES: &[&str] = &[
    "flask",
    "flask-login",
    "mysql",
    "postgresql",
    "redis",
    "aws-s3",
    "aws-ec2",
    "django",
    "kafka",
    "kubernetes",
    "github-actions",
    "openai-api",
    "react",
    "nginx",
    "mongodb",
];
const PROTOCOLS: &[&str] = &["https", "http", "mysql", "grpc", "amqp", "sql"];
const KINDS: &[&str] = &["external_entity", "process", "data_store"];
const BOUNDARY_KINDS: &[&str] = &["internet", "cloud", "network", "host", "container"];
const CLASSES: &[&str] = &["public", "internal", "confidential", "restricted"];
const STATUSES: &[&str] = &[
    "open",
    "in-progress",
    "mitigated",
    "accepted",
    "transferred",
    "false-positive",
];

/// Names with the characters renderers must escape, and words.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 <>&|`*_\\[\\]()\"'#!~{}-]{0,24}".prop_map(|s| s.trim().to_owned())
}

prop_compose! {
    fn model()(
        elements in prop::collection::vec((name(), 0..KINDS.len(), prop::collection::vec(0..TECHNOLOGIES.len(), 0..3), any::<Option<u8>>(), any::<bool>()), 1..10),
        boundaries in prop::collection::vec((name(), 0..BOUNDARY_KINDS.len(), any::<Option<u8>>()), 0..4),
        flows in prop::collection::vec((any::<u8>(), any::<u8>(), any::<Option<u8>>(), any::<Option<bool>>(), prop::collection::vec(any::<u8>(), 0..3)), 0..14),
        data in prop::collection::vec((name(), 0..CLASSES.len()), 0..4),
        decisions in prop::collection::vec((any::<u8>(), 0..STATUSES.len()), 0..4),
    ) -> Value {
        let boundary_ids: Vec<String> = (0..boundaries.len()).map(|i| format!("b{i}")).collect();
        let boundaries: Vec<Value> = boundaries.iter().enumerate().map(|(i, (n, k, parent))| {
            let mut b = json!({"id": boundary_ids[i], "name": format!("{n} zone"), "kind": BOUNDARY_KINDS[*k]});
            // Parents only point backwards, so nesting never cycles.
            if let Some(p) = parent.filter(|_| i > 0) {
                b["parent"] = json!(boundary_ids[usize::from(p) % i]);
            }
            b
        }).collect();
        let data_ids: Vec<String> = (0..data.len()).map(|i| format!("d{i}")).collect();
        let element_ids: Vec<String> = (0..elements.len()).map(|i| format!("e{i}")).collect();
        let elements: Vec<Value> = elements.iter().enumerate().map(|(i, (n, kind, techs, boundary, facing))| {
            let mut technologies: Vec<&str> = techs.iter().map(|t| TECHNOLOGIES[*t]).collect();
            technologies.dedup();
            let mut e = json!({"id": element_ids[i], "name": format!("{n} {i}"), "kind": KINDS[*kind], "technologies": technologies});
            if let Some(b) = boundary.filter(|_| !boundary_ids.is_empty()) {
                e["boundary"] = json!(boundary_ids[usize::from(b) % boundary_ids.len()]);
            }
            if KINDS[*kind] != "external_entity" && *facing {
                e["properties"] = json!({"internet_facing": true});
            }
            e
        }).collect();
        let n = element_ids.len();
        let mut seen = std::collections::HashSet::new();
        let flows: Vec<Value> = flows.iter().filter_map(|(from, to, protocol, encrypted, carried)| {
            let (from, to) = (usize::from(*from) % n, usize::from(*to) % n);
            if from == to || !seen.insert((from, to)) {
                return None;
            }
            let mut f = json!({"from": element_ids[from], "to": element_ids[to]});
            if let Some(p) = protocol {
                f["protocol"] = json!(PROTOCOLS[usize::from(*p) % PROTOCOLS.len()]);
            }
            if let Some(e) = encrypted {
                f["properties"] = json!({"encrypted": e});
            }
            if !data_ids.is_empty() {
                let mut d: Vec<&String> = carried.iter().map(|c| &data_ids[usize::from(*c) % data_ids.len()]).collect();
                d.dedup();
                f["data"] = json!(d);
            }
            Some(f)
        }).collect();
        let data: Vec<Value> = data.iter().enumerate().map(|(i, (n, c))| json!({"id": data_ids[i], "name": format!("{n} data"), "classification": CLASSES[*c]})).collect();
        let tracking: Vec<Value> = decisions.iter().map(|(target, status)| json!({
            "threat": format!("*@{}", element_ids[usize::from(*target) % n]),
            "status": STATUSES[*status],
            "justification": "decided <in> a `review` | *today*",
        })).collect();
        json!({"name": "Random <model> & co", "elements": elements, "flows": flows, "boundaries": boundaries, "data_assets": data, "tracking": tracking})
    }
}

/// Every format and diagram of one model, as bytes.
fn outputs(model: &threatscribe_model::Model) -> Vec<Vec<u8>> {
    let kb = KnowledgeBase::builtin();
    let analysis = analyze_on(model, kb, Some("2026-01-01"));
    let source = Source {
        path: "random.yaml".into(),
        kind: "YAML model file".into(),
        text: "elements: []".into(),
        warnings: Vec::new(),
        locations: std::collections::BTreeMap::new(),
    };
    let report = Report {
        analysis: &analysis,
        source: &source,
        llm: None,
        knowledge_base: (kb.rules.len(), kb.controls.len(), kb.catalog.len()),
        baseline: None,
    };
    let renderers: [&dyn Render; 5] = [&Markdown, &Html, &Json, &Sarif, &Csv];
    let mut all: Vec<Vec<u8>> = renderers
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            r.render(&report, &mut out)
                .expect("rendering into memory works");
            out
        })
        .collect();
    all.extend([mermaid(&analysis), dot(&analysis), svg(&analysis)].map(String::into_bytes));
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_models_render_the_same_bytes_twice(value in model()) {
        let kb = KnowledgeBase::builtin();
        let parsed = threatscribe_intake::parse_model_value(&value, "random", kb)
            .unwrap_or_else(|e| panic!("the generator made an invalid model: {:?}\n{value:#}", e.diagnostics()));
        let first = outputs(&parsed.model);
        let second = outputs(&parsed.model);
        prop_assert_eq!(&first, &second);
        // Escaping held: no raw markup from the names reached the HTML.
        let html = String::from_utf8(first[1].clone()).unwrap();
        prop_assert!(!html.contains("<model>"));
    }
}
