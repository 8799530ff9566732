//! The description suite: varied plain-English architectures (tests/descriptions/*.txt), each
//! with what a security engineer expects the reader and the analysis to find
//! (*.expect.yaml). Every expectation is asserted; what the reader cannot do yet is listed in
//! the case's `known_gaps` (by the label this test prints for it), counted as a miss in the
//! recall figures and not as a failure; a known gap that starts to pass fails the test until it
//! is removed from the list, so the list stays true.
//!
//! Expectation file:
//! ```yaml
//! elements:            # each must match some element
//!   - { kind: process, technologies: [django], name_contains: [web, app] }
//! flows:               # each must match some flow (from/to are element matchers)
//!   - { from: { kind: external_entity, name_contains: [customer] }, to: { technologies: [django] } }
//! threats: [WEB001]    # rules that must fire somewhere
//! not_threats: [LLM001] # rules that must not fire anywhere
//! known_gaps: ["..."]  # what is expected but not read yet, in words
//! ```

use std::path::PathBuf;

use serde::Deserialize;
use threatscribe_engine::analyze;
use threatscribe_intake::parse_description;
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{Element, ElementKind, Model};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Matcher {
    #[serde(default)]
    kind: Option<ElementKind>,
    /// Catalog ids the element must all use.
    #[serde(default)]
    technologies: Vec<String>,
    /// The element's name must contain one of these (case-insensitive).
    #[serde(default)]
    name_contains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowMatcher {
    from: Matcher,
    to: Matcher,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    #[serde(default)]
    elements: Vec<Matcher>,
    #[serde(default)]
    flows: Vec<FlowMatcher>,
    #[serde(default)]
    threats: Vec<String>,
    #[serde(default)]
    not_threats: Vec<String>,
    #[serde(default)]
    known_gaps: Vec<String>,
}

impl Matcher {
    /// A short label: `process django`, `external_entity ~customer`.
    fn label(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(kind) = self.kind {
            parts.push(kind.as_str().to_owned());
        }
        parts.extend(self.technologies.iter().cloned());
        if !self.name_contains.is_empty() {
            parts.push(format!("~{}", self.name_contains.join("|")));
        }
        parts.join(" ")
    }

    fn matches(&self, element: &Element) -> bool {
        self.kind.is_none_or(|k| k == element.kind)
            && self
                .technologies
                .iter()
                .all(|t| element.technologies.contains(t))
            && (self.name_contains.is_empty()
                || self
                    .name_contains
                    .iter()
                    .any(|n| element.name.to_lowercase().contains(&n.to_lowercase())))
    }
}

fn matching<'a>(model: &'a Model, matcher: &'a Matcher) -> impl Iterator<Item = &'a Element> + 'a {
    model.elements.iter().filter(move |e| matcher.matches(e))
}

#[derive(Default)]
struct Tally {
    found: usize,
    expected: usize,
}

impl Tally {
    fn add(&mut self, hit: bool) {
        self.expected += 1;
        self.found += usize::from(hit);
    }

    fn percent(&self) -> f64 {
        if self.expected == 0 {
            100.0
        } else {
            100.0 * f64::from(u32::try_from(self.found).unwrap_or(u32::MAX))
                / f64::from(u32::try_from(self.expected).unwrap_or(u32::MAX))
        }
    }
}

#[test]
fn every_description_yields_what_an_engineer_expects() {
    let kb = KnowledgeBase::builtin();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/descriptions");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/descriptions exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    cases.sort();
    let (mut elements, mut flows, mut threats) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut gaps = 0;
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    for case in &cases {
        let name = case
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(case).expect("read description");
        let expect_path = case.with_extension("expect.yaml");
        let expectation: Expectation = serde_saphyr::from_str(
            &std::fs::read_to_string(&expect_path).expect("expectation file"),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        gaps += expectation.known_gaps.len();
        let model = match parse_description(&text, &name, kb) {
            Ok(parsed) => parsed.model,
            Err(e) => {
                failures.push(format!("{name}: not read: {e}"));
                continue;
            }
        };
        let analysis = analyze(&model, kb);
        let mut check = |hit: bool, label: String| {
            let known = expectation.known_gaps.contains(&label);
            match (hit, known) {
                (false, false) => failures.push(format!("{name}: {label}")),
                (true, true) => fixed.push(format!("{name}: {label}")),
                _ => {}
            }
        };
        for matcher in &expectation.elements {
            let hit = matching(&model, matcher).next().is_some();
            elements.add(hit);
            check(hit, format!("element {}", matcher.label()));
        }
        for flow in &expectation.flows {
            let hit = model.flows.iter().any(|f| {
                matching(&model, &flow.from).any(|e| e.id == f.from)
                    && matching(&model, &flow.to).any(|e| e.id == f.to)
            });
            flows.add(hit);
            check(
                hit,
                format!("flow {} -> {}", flow.from.label(), flow.to.label()),
            );
        }
        for rule in &expectation.threats {
            let hit = analysis.threats.iter().any(|t| &t.rule == rule);
            threats.add(hit);
            check(hit, format!("threat {rule}"));
        }
        for rule in &expectation.not_threats {
            let quiet = !analysis.threats.iter().any(|t| &t.rule == rule);
            check(quiet, format!("not {rule}"));
        }
    }
    println!(
        "{} descriptions: element recall {:.0}% ({}/{}), flow recall {:.0}% ({}/{}), threat recall {:.0}% ({}/{}); {} known gaps",
        cases.len(),
        elements.percent(),
        elements.found,
        elements.expected,
        flows.percent(),
        flows.found,
        flows.expected,
        threats.percent(),
        threats.found,
        threats.expected,
        gaps
    );
    assert!(
        cases.len() >= 20,
        "the suite holds at least 20 descriptions, found {}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} expectation(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "known gaps now pass, remove them from known_gaps:\n{}",
        fixed.join("\n")
    );
}
