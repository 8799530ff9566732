//! The reviewer agent: judges each threat the analyst proposed against the rules' findings on
//! the same target: keep it, merge it into a finding that already covers it, or refute it with a
//! reason. Merged and refuted proposals go to the log with the reason, never to the findings.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use threatscribe_engine::Analysis;
use threatscribe_model::{AgentRole, ProposedThreat};

use crate::provider::{Prompt, Turn};
use crate::session::{CallSpec, Checked, Session};
use crate::text::{array, clean, object, one_of, preamble, string};

/// Proposals per reviewer call.
const BATCH: usize = 25;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Judgement {
    proposal: String,
    verdict: Decision,
    finding: String,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Decision {
    Keep,
    Merge,
    Refute,
}

fn call(analysis: &Analysis, batch: &[(String, &ProposedThreat)], n: usize, of: usize) -> CallSpec {
    let proposals: Vec<Value> = batch
        .iter()
        .map(|(id, p)| {
            json!({
                "proposal": id, "target": p.target, "target_name": analysis.target_name(&p.target),
                "stride": p.stride.as_str(), "title": p.title, "description": p.description,
                "rationale": p.rationale.join(" "),
            })
        })
        .collect();
    let mut targets: Vec<&str> = batch.iter().map(|(_, p)| p.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    let findings: Vec<Value> = targets
        .iter()
        .flat_map(|t| analysis.threats_on(t))
        .map(|t| json!({"id": t.id, "target": t.target, "stride": t.stride.as_str(), "title": t.title}))
        .collect();
    let system = format!(
        "{}\n\nYour task: judge each proposed threat against the findings the rules already produced on the same target. keep: a real threat for this target as the model describes it, distinct from every listed finding. merge: a listed finding already covers it; give that finding's id in `finding`. refute: it does not apply to this target as described, or it is generic, speculative or wrong; say why in `reason`. Every proposal gets exactly one verdict with a one-sentence reason; `finding` is an empty string unless the verdict is merge.",
        preamble("reviewer")
    );
    let user = format!(
        "Proposed threats:\n{}\n\nFindings on the same targets:\n{}\n\nThe model:\n{}",
        Value::from(proposals),
        Value::from(findings),
        crate::architect::model_summary(&analysis.model)
    );
    let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
    let verdict = object(&[
        ("proposal", one_of(&ids)),
        ("verdict", one_of(&["keep", "merge", "refute"])),
        ("finding", string()),
        ("reason", string()),
    ]);
    CallSpec {
        role: AgentRole::Reviewer,
        subject: if of > 1 {
            format!("review {n}")
        } else {
            "review".into()
        },
        prompt: Prompt {
            system,
            turns: vec![Turn {
                speaker: "user",
                content: user,
            }],
            schema_name: "verdicts",
            schema: object(&[("verdicts", array(verdict))]),
            max_tokens: 2_000,
        },
    }
}

fn check(
    answer: &Value,
    batch: &[(String, &ProposedThreat)],
    analysis: &Analysis,
) -> Checked<BTreeMap<String, (Decision, String, String)>> {
    let (items, mut problems) = crate::text::items::<Judgement>(answer, "verdicts", "verdict");
    let mut verdicts = BTreeMap::new();
    for (n, v) in items {
        let Some((_, proposal)) = batch.iter().find(|(id, _)| *id == v.proposal) else {
            problems.push(format!("verdict {n}: no proposal `{}`", v.proposal));
            continue;
        };
        if verdicts.contains_key(&v.proposal) {
            problems.push(format!(
                "verdict {n}: a second verdict for `{}`",
                v.proposal
            ));
            continue;
        }
        let reason = clean(&v.reason);
        if reason.is_empty() {
            problems.push(format!("verdict {n}: no reason"));
            continue;
        }
        if v.verdict == Decision::Merge
            && !analysis
                .threats_on(&proposal.target)
                .any(|t| t.id == v.finding)
        {
            problems.push(format!(
                "verdict {n}: `{}` is not a finding on `{}`",
                v.finding, proposal.target
            ));
            continue;
        }
        verdicts.insert(v.proposal, (v.verdict, clean(&v.finding), reason));
    }
    for (id, _) in batch {
        if !verdicts.contains_key(id) {
            problems.push(format!("no verdict for `{id}`"));
        }
    }
    Checked {
        value: verdicts,
        problems,
    }
}

/// The proposals the reviewer kept, each with the reviewer's reason added to its rationale.
/// A proposal the reviewer could not judge (its call failed, or it gave no verdict) is kept and
/// says so: the engine's own checks have passed it.
pub fn run(
    session: &Session<'_>,
    analysis: &Analysis,
    proposals: Vec<ProposedThreat>,
) -> Vec<ProposedThreat> {
    if proposals.is_empty() {
        return proposals;
    }
    let labelled: Vec<(String, &ProposedThreat)> = proposals
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("P{}", i + 1), p))
        .collect();
    let batches: Vec<&[(String, &ProposedThreat)]> = labelled.chunks(BATCH).collect();
    let calls: Vec<CallSpec> = batches
        .iter()
        .enumerate()
        .map(|(i, b)| call(analysis, b, i + 1, batches.len()))
        .collect();
    let answers = session.run(&calls, &|spec, answer| {
        let n = spec
            .subject
            .strip_prefix("review ")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1);
        check(answer, batches[n - 1], analysis)
    });
    let mut verdicts = BTreeMap::new();
    for answer in answers.into_iter().flatten() {
        verdicts.extend(answer);
    }
    let mut kept = Vec::new();
    for ((id, _), mut p) in labelled.iter().zip(proposals.iter().cloned()) {
        match verdicts.get(id) {
            Some((Decision::Keep, _, reason)) => {
                p.rationale.push(format!("Reviewer kept it: {reason}"));
                kept.push(p);
            }
            Some((Decision::Merge, finding, reason)) => session.note_rejected(format!(
                "reviewer: merged {}@{} \"{}\" into {finding}: {reason}",
                p.rule, p.target, p.title
            )),
            Some((Decision::Refute, _, reason)) => session.note_rejected(format!(
                "reviewer: refuted {}@{} \"{}\": {reason}",
                p.rule, p.target, p.title
            )),
            None => {
                p.rationale.push("Not judged by the reviewer agent (no verdict was given); the built-in checks passed it.".into());
                kept.push(p);
            }
        }
    }
    kept
}
