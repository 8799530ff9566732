//! The analyst agent: per element (and for the flows, in batches), threats the rules did not
//! produce, in the STRIDE categories that apply to the target. Answers are read item by item;
//! each proposal must pass the engine's own check (target exists, category applies, text sane)
//! and must not repeat a rule's finding.

use serde::Deserialize;
use serde_json::{Value, json};
use threatscribe_engine::{Analysis, applicable_categories, check_proposals};
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{AgentRole, Impact, Likelihood, ProposedThreat, Stride};

use crate::provider::{Prompt, Turn};
use crate::session::{CallSpec, Checked, Session};
use crate::text::{
    array, clean, input_block, normalized, object, one_of, preamble, string, threat_id,
};

/// Flows per analyst call.
const FLOW_BATCH: usize = 40;
/// Input text sent with each analyst call, in characters.
const MAX_INPUT: usize = 8_000;
/// Proposals per target and call.
const MAX_THREATS: usize = 5;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Proposal {
    target: String,
    stride: Stride,
    title: String,
    description: String,
    mitigation: String,
    likelihood: Likelihood,
    impact: Impact,
    cwe: Vec<String>,
    rationale: String,
}

fn system() -> String {
    format!(
        "{}\n\nYour task: for the target given, list threats specific to its role in this system (its business logic, the data it handles, the technologies named) that the findings already listed do not cover. For each: the STRIDE category (only one of those listed as applicable), a title of at most 15 words naming the asset and the attack, a description of how an attacker would carry it out here, a mitigation specific to the technologies named, likelihood and impact (low, medium or high), CWE ids (CWE-n) where one fits, and a rationale naming the facts of the model it rests on. Never repeat or rephrase a listed finding, and never propose generic advice. At most {MAX_THREATS} threats per target; an empty list is a good answer when the findings already cover the target.",
        preamble("analyst")
    )
}

/// The calls: one per element, then the flows in batches.
pub fn calls(analysis: &Analysis, input: &str) -> Vec<CallSpec> {
    let model = &analysis.model;
    let summary = crate::architect::model_summary(model);
    let mut calls = Vec::new();
    for element in &model.elements {
        let holds_logs = element.tags.iter().any(|t| t == "logs");
        let applicable = categories(&applicable_categories(
            Some(element.kind),
            holds_logs,
            false,
        ));
        let target = json!({
            "id": element.id, "name": element.name, "kind": element.kind.as_str(),
            "technologies": element.technologies.iter().map(|t| analysis.technology_name(t)).collect::<Vec<_>>(),
            "properties": element.properties, "boundary": element.boundary,
            "incoming": model.flows.iter().filter(|f| f.to == element.id).map(|f| json!({"id": f.id, "from": f.from, "data": f.data})).collect::<Vec<_>>(),
            "outgoing": model.flows.iter().filter(|f| f.from == element.id).map(|f| json!({"id": f.id, "to": f.to, "data": f.data})).collect::<Vec<_>>(),
        });
        calls.push(call(
            analysis,
            input,
            &summary,
            &element.id,
            &[element.id.as_str()],
            &target,
            &applicable,
        ));
    }
    let flows: Vec<&threatscribe_model::Flow> = model.flows.iter().collect();
    for (n, batch) in flows.chunks(FLOW_BATCH).enumerate() {
        let ids: Vec<&str> = batch.iter().map(|f| f.id.as_str()).collect();
        let targets: Vec<Value> = batch
            .iter()
            .map(|f| json!({"id": f.id, "from": f.from, "to": f.to, "protocol": f.protocol, "data": f.data, "properties": f.properties}))
            .collect();
        let subject = if flows.len() > FLOW_BATCH {
            format!("flows {}", n + 1)
        } else {
            "flows".into()
        };
        // Every flow may carry T, I and D; S and E apply only where one crosses a boundary, which
        // the engine checks per flow.
        calls.push(call(
            analysis,
            input,
            &summary,
            &subject,
            &ids,
            &json!(targets),
            &categories(&applicable_categories(None, false, true)),
        ));
    }
    calls
}

fn categories(applicable: &[(Stride, Result<(), &'static str>)]) -> Vec<&'static str> {
    applicable
        .iter()
        .filter(|(_, v)| v.is_ok())
        .map(|(s, _)| s.as_str())
        .collect()
}

fn call(
    analysis: &Analysis,
    input: &str,
    summary: &str,
    subject: &str,
    targets: &[&str],
    target: &Value,
    applicable: &[&str],
) -> CallSpec {
    let listed: Vec<String> = targets
        .iter()
        .flat_map(|t| analysis.threats_on(t))
        .map(|t| format!("{} [{}] {}", t.id, t.stride.as_str(), t.title))
        .collect();
    let user = format!(
        "The target:\n{target}\n\nApplicable STRIDE categories: {}\n\nFindings already listed for it:\n- {}\n\nThe whole model:\n{summary}\n\nThe architecture text:\n{}",
        applicable.join(", "),
        if listed.is_empty() {
            "(none)".to_owned()
        } else {
            listed.join("\n- ")
        },
        input_block(input, MAX_INPUT)
    );
    let threat = object(&[
        ("target", one_of(targets)),
        ("stride", one_of(applicable)),
        ("title", string()),
        ("description", string()),
        ("mitigation", string()),
        ("likelihood", one_of(&["low", "medium", "high"])),
        ("impact", one_of(&["low", "medium", "high"])),
        ("cwe", array(string())),
        ("rationale", string()),
    ]);
    CallSpec {
        role: AgentRole::Analyst,
        subject: subject.to_owned(),
        prompt: Prompt {
            system: system(),
            turns: vec![Turn {
                speaker: "user",
                content: user,
            }],
            schema_name: "threats",
            schema: object(&[("threats", array(threat))]),
            max_tokens: 3_000,
        },
    }
}

/// Reads one answer into proposals that pass the engine's check.
fn check(
    answer: &Value,
    spec: &CallSpec,
    analysis: &Analysis,
    kb: &KnowledgeBase,
    source: &str,
) -> Checked<Vec<ProposedThreat>> {
    let (items, mut problems) = crate::text::items::<Proposal>(answer, "threats", "threat");
    let mut proposals = Vec::new();
    let mut positions = Vec::new();
    for (n, p) in items {
        let title = clean(&p.title);
        if let Some(same) = analysis
            .threats_on(&p.target)
            .find(|t| normalized(&t.title) == normalized(&title))
        {
            problems.push(format!("threat {n} repeats the finding {}", same.id));
            continue;
        }
        positions.push(n);
        proposals.push(ProposedThreat {
            rule: threat_id(&p.target, p.stride.as_str(), &title),
            target: p.target,
            stride: p.stride,
            title,
            description: clean(&p.description),
            mitigation: clean(&p.mitigation),
            likelihood: p.likelihood,
            impact: p.impact,
            cwe: p.cwe.iter().map(|c| clean(c).to_uppercase()).collect(),
            rationale: vec![format!("Analyst's rationale: {}", clean(&p.rationale))],
            source: source.to_owned(),
        });
    }
    let verdicts = check_proposals(&analysis.model, kb, &proposals);
    let mut kept = Vec::new();
    for ((proposal, verdict), n) in proposals.into_iter().zip(verdicts).zip(positions) {
        match verdict {
            Ok(()) => kept.push(proposal),
            Err(why) => problems.push(format!("threat {n} (\"{}\"): {why}", proposal.title)),
        }
    }
    if kept.len() > MAX_THREATS * targets_in(spec) {
        problems.push(format!(
            "more than {MAX_THREATS} threats per target: the rest are left out"
        ));
        kept.truncate(MAX_THREATS * targets_in(spec));
    }
    Checked {
        value: kept,
        problems,
    }
}

fn targets_in(spec: &CallSpec) -> usize {
    spec.prompt
        .schema
        .pointer("/properties/threats/items/properties/target/enum")
        .and_then(Value::as_array)
        .map_or(1, Vec::len)
}

/// Asks for threats on every element and flow; returns the proposals that passed, in call order.
pub fn run(
    session: &Session<'_>,
    analysis: &Analysis,
    input: &str,
    kb: &KnowledgeBase,
) -> Vec<ProposedThreat> {
    let source = format!("llm:{}", session.settings().model);
    let answers = session.run(&calls(analysis, input), &|spec, answer| {
        check(answer, spec, analysis, kb, &source)
    });
    let mut seen = std::collections::HashSet::new();
    answers
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| seen.insert((p.rule.clone(), p.target.clone())))
        .collect()
}
