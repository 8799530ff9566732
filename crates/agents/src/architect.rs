//! The architect agent: elements, flows and properties the text states and the model lacks,
//! each resting on words of the input. What it adds is checked: the quote must be in the input,
//! ids must be new and references real, technologies and properties must be known. And nothing
//! it adds may lower a finding the built-in analysis made, so text in the input cannot talk the
//! analysis out of a risk.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};
use threatscribe_engine::analyze;
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{AgentRole, Element, ElementKind, Flow, Model, derive_id, is_valid_id};

use crate::provider::{Prompt, Turn};
use crate::session::{CallSpec, Checked, Session};
use crate::text::{array, clean, input_block, normalized, object, one_of, preamble, string};

/// The most input text sent to the architect, in characters.
const MAX_INPUT: usize = 60_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewElement {
    id: String,
    name: String,
    kind: ElementKind,
    technologies: Vec<String>,
    quote: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFlow {
    from: String,
    to: String,
    description: String,
    protocol: String,
    quote: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProperty {
    target: String,
    key: String,
    value: Value,
    quote: String,
}

/// One checked addition, with the words it rests on.
#[derive(Debug, Clone)]
enum Addition {
    Element(Element, String),
    Flow(Flow, String),
    Property {
        target: String,
        key: String,
        value: Value,
        quote: String,
    },
}

impl Addition {
    fn describe(&self) -> String {
        match self {
            Addition::Element(e, quote) => {
                format!(
                    "the {} `{}` ({}) from the words \"{quote}\"",
                    e.kind.label(),
                    e.id,
                    e.name
                )
            }
            Addition::Flow(f, quote) => {
                format!(
                    "the flow `{}` → `{}` from the words \"{quote}\"",
                    f.from, f.to
                )
            }
            Addition::Property {
                target,
                key,
                value,
                quote,
            } => {
                format!("`{key}: {value}` on `{target}` from the words \"{quote}\"")
            }
        }
    }

    fn apply(&self, model: &mut Model) {
        match self {
            Addition::Element(e, _) => model.elements.push(e.clone()),
            Addition::Flow(f, _) => model.flows.push(f.clone()),
            Addition::Property {
                target, key, value, ..
            } => {
                if let Some(e) = model.elements.iter_mut().find(|e| &e.id == target) {
                    e.properties.insert(key.clone(), value.clone());
                } else if let Some(f) = model.flows.iter_mut().find(|f| &f.id == target) {
                    f.properties.insert(key.clone(), value.clone());
                }
            }
        }
    }
}

/// The architect's call.
pub fn call(input: &str, model: &Model, kb: &KnowledgeBase) -> CallSpec {
    let properties: Vec<String> = kb
        .properties
        .values()
        .filter_map(|p| {
            let values = p.values.as_ref()?;
            Some(format!(
                "{} (on {}; values {}): {}",
                p.id,
                p.on.join(", "),
                values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                p.description
            ))
        })
        .collect();
    let system = format!(
        "{}\n\nYour task: find the components (elements), data flows and facts (properties) that the architecture text states but the model so far lacks. Add only what the text states in so many words; each item carries `quote`, the exact words of the text it rests on, copied character for character. Element kinds: external_entity (people and systems outside the application's control), process (code the application runs), data_store (where data rests). Give element ids in kebab-case, new ones only. Name technologies as the text writes them. Flows join existing or new element ids; `protocol` is the protocol the text names, or an empty string. Properties must be from the list given, with one of its values. Return empty lists when nothing is missing.",
        preamble("architect")
    );
    let user = format!(
        "The model so far:\n{}\n\nProperties you may set:\n- {}\n\nThe architecture text:\n{}",
        model_summary(model),
        properties.join("\n- "),
        input_block(input, MAX_INPUT)
    );
    let element = object(&[
        ("id", string()),
        ("name", string()),
        (
            "kind",
            one_of(&["external_entity", "process", "data_store"]),
        ),
        ("technologies", array(string())),
        ("quote", string()),
    ]);
    let flow = object(&[
        ("from", string()),
        ("to", string()),
        ("description", string()),
        ("protocol", string()),
        ("quote", string()),
    ]);
    let property = object(&[
        ("target", string()),
        ("key", string()),
        ("value", json!({"type": ["string", "boolean"]})),
        ("quote", string()),
    ]);
    CallSpec {
        role: AgentRole::Architect,
        subject: "architecture".into(),
        prompt: Prompt {
            system,
            turns: vec![Turn {
                speaker: "user",
                content: user,
            }],
            schema_name: "architecture_additions",
            schema: object(&[
                ("elements", array(element)),
                ("flows", array(flow)),
                ("properties", array(property)),
            ]),
            max_tokens: 4_000,
        },
    }
}

/// The model as the agents see it: ids, names, kinds, technologies, flows, boundaries.
pub fn model_summary(model: &Model) -> String {
    let elements: Vec<Value> = model
        .elements
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "name": e.name, "kind": e.kind.as_str(),
                "technologies": e.technologies, "boundary": e.boundary,
                "properties": e.properties,
            })
        })
        .collect();
    let flows: Vec<Value> = model
        .flows
        .iter()
        .map(|f| json!({"id": f.id, "from": f.from, "to": f.to, "protocol": f.protocol, "data": f.data}))
        .collect();
    let boundaries: Vec<Value> = model
        .boundaries
        .iter()
        .map(|b| json!({"id": b.id, "name": b.name, "kind": b.kind.as_str(), "parent": b.parent}))
        .collect();
    json!({"name": model.name, "elements": elements, "flows": flows, "boundaries": boundaries})
        .to_string()
}

/// The architect's answer as it is being checked.
struct Reading<'a> {
    /// The input, normalized, for finding quotes.
    text: String,
    model: &'a Model,
    kb: &'a KnowledgeBase,
    /// Every id taken so far.
    ids: HashSet<String>,
    additions: Vec<Addition>,
    problems: Vec<String>,
}

/// True when a quote (at least 3 characters) appears in the normalized input.
fn quoted_in(text: &str, quote: &str) -> bool {
    let q = normalized(quote);
    q.chars().count() >= 3 && text.contains(&q)
}

/// Reads the architect's answer into checked additions; what fails a check is a problem.
fn check(answer: &Value, input: &str, model: &Model, kb: &KnowledgeBase) -> Checked<Vec<Addition>> {
    let mut reading = Reading {
        text: normalized(input),
        model,
        kb,
        ids: model
            .elements
            .iter()
            .map(|e| e.id.clone())
            .chain(model.flows.iter().map(|f| f.id.clone()))
            .chain(model.boundaries.iter().map(|b| b.id.clone()))
            .collect(),
        additions: Vec::new(),
        problems: Vec::new(),
    };
    reading.elements(answer);
    reading.flows(answer);
    reading.properties(answer);
    Checked {
        value: reading.additions,
        problems: reading.problems,
    }
}

impl Reading<'_> {
    fn elements(&mut self, answer: &Value) {
        let Reading {
            text,
            kb,
            ids,
            additions,
            problems,
            ..
        } = self;
        let quoted = |quote: &str| quoted_in(text, quote);
        let (elements, mut bad) = crate::text::items::<NewElement>(answer, "elements", "element");
        problems.append(&mut bad);
        for (n, e) in elements {
            let id = if is_valid_id(&e.id) {
                e.id.clone()
            } else {
                derive_id(&e.name)
            };
            let name = clean(&e.name);
            if !quoted(&e.quote) {
                problems.push(format!(
                    "element {n} (`{}`): its quote is not in the text",
                    e.id
                ));
            } else if name.is_empty() || name.chars().count() > 120 {
                problems.push(format!(
                    "element {n}: a name of 1 to 120 characters is needed"
                ));
            } else if ids.contains(&id) {
                problems.push(format!("element {n}: `{id}` is already in the model"));
            } else {
                let mut technologies = Vec::new();
                for t in &e.technologies {
                    match kb.catalog.lookup(t) {
                        Some(tech) if !technologies.contains(&tech.id) => technologies.push(tech.id.clone()),
                        Some(_) => {}
                        None => problems.push(format!(
                            "element {n} (`{id}`): `{}` is not a technology threatscribe knows; it is left out",
                            clean(t)
                        )),
                    }
                }
                ids.insert(id.clone());
                additions.push(Addition::Element(
                    Element {
                        id,
                        name,
                        kind: e.kind,
                        technologies,
                        boundary: None,
                        tags: Vec::new(),
                        properties: threatscribe_model::Properties::new(),
                        description: None,
                    },
                    clean(&e.quote),
                ));
            }
        }
    }

    fn flows(&mut self, answer: &Value) {
        let Reading {
            text,
            model,
            kb,
            ids,
            additions,
            problems,
        } = self;
        let quoted = |quote: &str| quoted_in(text, quote);
        let element_ids: HashSet<String> = model
            .elements
            .iter()
            .map(|e| e.id.clone())
            .chain(additions.iter().filter_map(|a| match a {
                Addition::Element(e, _) => Some(e.id.clone()),
                _ => None,
            }))
            .collect();
        let mut pairs: HashSet<(String, String)> = model
            .flows
            .iter()
            .map(|f| (f.from.clone(), f.to.clone()))
            .collect();

        let (flows, mut bad) = crate::text::items::<NewFlow>(answer, "flows", "flow");
        problems.append(&mut bad);
        for (n, f) in flows {
            let problem = if !quoted(&f.quote) {
                Some("its quote is not in the text".to_owned())
            } else if !element_ids.contains(&f.from) {
                Some(format!("`{}` is not an element", f.from))
            } else if !element_ids.contains(&f.to) {
                Some(format!("`{}` is not an element", f.to))
            } else if f.from == f.to {
                Some("a flow needs two different elements".to_owned())
            } else if pairs.contains(&(f.from.clone(), f.to.clone())) {
                Some(format!(
                    "the model already has a flow from `{}` to `{}`",
                    f.from, f.to
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                problems.push(format!("flow {n}: {problem}"));
                continue;
            }
            let protocol = if f.protocol.trim().is_empty() {
                None
            } else if let Some(p) = kb.catalog.lookup_protocol(&f.protocol) {
                Some(p.id.clone())
            } else {
                problems.push(format!(
                    "flow {n}: `{}` is not a protocol threatscribe knows; it is left out",
                    clean(&f.protocol)
                ));
                None
            };
            let mut id = format!("{}-to-{}", f.from, f.to);
            while ids.contains(&id) {
                id.push_str("-2");
            }
            ids.insert(id.clone());
            pairs.insert((f.from.clone(), f.to.clone()));
            let description = clean(&f.description);
            additions.push(Addition::Flow(
                Flow {
                    id,
                    from: f.from,
                    to: f.to,
                    protocol,
                    data: Vec::new(),
                    properties: threatscribe_model::Properties::new(),
                    description: (!description.is_empty()).then_some(description),
                },
                clean(&f.quote),
            ));
        }
    }

    fn properties(&mut self, answer: &Value) {
        let Reading {
            text,
            model,
            kb,
            additions,
            problems,
            ..
        } = self;
        let quoted = |quote: &str| quoted_in(text, quote);
        let (properties, mut bad) =
            crate::text::items::<NewProperty>(answer, "properties", "property");
        problems.append(&mut bad);
        for (n, p) in properties {
            let kind = model
                .elements
                .iter()
                .find(|e| e.id == p.target)
                .map(|e| e.kind.as_str())
                .or_else(|| {
                    model
                        .flows
                        .iter()
                        .any(|f| f.id == p.target)
                        .then_some("flow")
                })
                .or_else(|| {
                    additions.iter().find_map(|a| match a {
                        Addition::Element(e, _) if e.id == p.target => Some(e.kind.as_str()),
                        Addition::Flow(f, _) if f.id == p.target => Some("flow"),
                        _ => None,
                    })
                });
            let declared = kb.properties.get(&p.key);
            let problem = if !quoted(&p.quote) {
                Some("its quote is not in the text".to_owned())
            } else if kind.is_none() {
                Some(format!("`{}` is not an element or flow", p.target))
            } else if declared.is_none() {
                Some(format!("`{}` is not a property threatscribe knows", p.key))
            } else if !declared.is_some_and(|d| d.on.iter().any(|o| Some(o.as_str()) == kind)) {
                Some(format!(
                    "`{}` does not belong on a {}",
                    p.key,
                    kind.unwrap_or("target")
                ))
            } else if !declared
                .and_then(|d| d.values.as_ref())
                .is_some_and(|values| values.contains(&p.value))
            {
                Some(format!("{} is not a value of `{}`", p.value, p.key))
            } else if has_property(model, &p.target, &p.key) {
                Some(format!(
                    "`{}` already declares `{}`; the model's value stands",
                    p.target, p.key
                ))
            } else {
                None
            };
            match problem {
                Some(problem) => problems.push(format!("property {n}: {problem}")),
                None => additions.push(Addition::Property {
                    target: p.target,
                    key: p.key,
                    value: p.value,
                    quote: clean(&p.quote),
                }),
            }
        }
    }
}

fn has_property(model: &Model, target: &str, key: &str) -> bool {
    model
        .elements
        .iter()
        .find(|e| e.id == target)
        .map(|e| &e.properties)
        .or_else(|| {
            model
                .flows
                .iter()
                .find(|f| f.id == target)
                .map(|f| &f.properties)
        })
        .is_some_and(|p| p.contains_key(key))
}

/// What the architect did to the model.
pub struct Outcome {
    pub model: Model,
    /// Provenance of each added element and flow, by id, for `init`'s comments.
    pub notes: BTreeMap<String, Vec<String>>,
}

/// Asks the architect and applies what passes every check. Additions that would lower or
/// remove a finding of the built-in analysis are refused.
pub fn run(session: &Session<'_>, input: &str, model: &Model, kb: &KnowledgeBase) -> Outcome {
    let source = format!("llm:{}", session.settings().model);
    let spec = call(input, model, kb);
    let answer = session
        .run(&[spec], &|_, answer| check(answer, input, model, kb))
        .pop()
        .flatten();
    let Some(additions) = answer.filter(|a| !a.is_empty()) else {
        return Outcome {
            model: model.clone(),
            notes: BTreeMap::new(),
        };
    };
    let before = findings(model, kb);
    let mut kept = Vec::new();
    let mut trial = model.clone();
    for a in &additions {
        a.apply(&mut trial);
    }
    if lowers(&before, &findings(&trial, kb)) {
        // Find the culprits one by one, in order, against what is kept so far.
        let mut current = model.clone();
        for a in additions {
            let mut next = current.clone();
            a.apply(&mut next);
            if lowers(&before, &findings(&next, kb)) {
                session.note_rejected(format!(
                    "architect: refused {}: it would lower or remove a finding of the built-in analysis (declare it in the model file if it is true)",
                    a.describe()
                ));
            } else {
                current = next;
                kept.push(a);
            }
        }
    } else {
        kept = additions;
    }
    let mut model = model.clone();
    let mut notes = BTreeMap::new();
    for a in &kept {
        a.apply(&mut model);
        model.assumptions.push(format!(
            "The architect agent ({source}) added {}.",
            a.describe()
        ));
        let id = match a {
            Addition::Element(e, _) => e.id.clone(),
            Addition::Flow(f, _) => f.id.clone(),
            Addition::Property { target, .. } => target.clone(),
        };
        notes.entry(id).or_insert_with(Vec::new).push(format!(
            "added by the architect agent ({source}): {}",
            a.describe()
        ));
    }
    Outcome { model, notes }
}

/// What a reviewer would see drop: each finding's severity, whether it is resolved, and
/// whether it is a generic baseline finding, by id; plus the highest open severity per target
/// and category.
struct Exposure {
    findings: BTreeMap<
        String,
        (
            threatscribe_model::Stride,
            threatscribe_model::Severity,
            bool,
            bool,
        ),
    >,
    worst: BTreeMap<(String, threatscribe_model::Stride), threatscribe_model::Severity>,
}

fn findings(model: &Model, kb: &KnowledgeBase) -> Exposure {
    let mut exposure = Exposure {
        findings: BTreeMap::new(),
        worst: BTreeMap::new(),
    };
    for t in analyze(model, kb).threats {
        let resolved = !t.status.is_unresolved();
        if !resolved {
            let entry = exposure
                .worst
                .entry((t.target.clone(), t.stride))
                .or_insert(t.severity);
            *entry = (*entry).max(t.severity);
        }
        exposure.findings.insert(
            t.id,
            (t.stride, t.severity, resolved, t.source == "kb:baseline"),
        );
    }
    exposure
}

/// True when a finding is rated lower or newly resolved, or is gone, unless it is a generic
/// finding that a specific one of the same target and category, as severe, has absorbed.
fn lowers(before: &Exposure, after: &Exposure) -> bool {
    before
        .findings
        .iter()
        .any(|(id, (stride, severity, resolved, baseline))| {
            if let Some((_, s, r, _)) = after.findings.get(id) {
                return s < severity || (*r && !resolved);
            }
            let target = id.split_once('@').map_or("", |(_, t)| t).to_owned();
            !baseline
                || after
                    .worst
                    .get(&(target, *stride))
                    .is_none_or(|s| s < severity)
        })
}
