//! The reviewer's check of threats an LLM agent proposed. A proposal is admitted only when it is
//! about an element or flow of the model, in a STRIDE category that applies to that target, with
//! text of sane size and shape; it is then rated on the same matrix, in the same context, as a
//! rule's finding. Nothing an agent says can change a rule's finding: proposals only add.

use std::collections::HashSet;

use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{Mitigation, Model, ProposedThreat, Status, Threat};

use crate::analyze::{LogEntry, RatingBase, Role, first_sentence, rate_on};
use crate::context::Context;
use crate::coverage::applicable_categories;

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 2_000;

/// Checks each proposal against the model, in order: `Err` says why it is refused. A proposal
/// whose id repeats an earlier one is refused as a duplicate.
pub fn check_proposals(
    model: &Model,
    kb: &KnowledgeBase,
    proposals: &[ProposedThreat],
) -> Vec<Result<(), String>> {
    verdicts(&Context::new(model, kb), proposals)
}

/// The check of each proposal in order, a repeated id refused as a duplicate: what the agents
/// are told before the reviewer sees them, and what admission applies again.
fn verdicts(context: &Context<'_>, proposals: &[ProposedThreat]) -> Vec<Result<(), String>> {
    let mut seen = HashSet::new();
    proposals
        .iter()
        .map(|p| {
            check(context, p)?;
            if seen.insert((p.rule.as_str(), p.target.as_str())) {
                Ok(())
            } else {
                Err(format!("repeats `{}@{}`", p.rule, p.target))
            }
        })
        .collect()
}

fn check(context: &Context<'_>, p: &ProposedThreat) -> Result<(), String> {
    let applicable = if let Some(element) = context.element(&p.target) {
        let holds_logs = context.tags(element).contains(&"logs");
        applicable_categories(Some(element.kind), holds_logs, false)
    } else if let Some(flow) = context.flow(&p.target) {
        applicable_categories(None, false, context.crosses_boundary(flow))
    } else {
        return Err(format!(
            "`{}` is not an element or flow of the model",
            p.target
        ));
    };
    if let Some((_, Err(why))) = applicable.iter().find(|(s, _)| *s == p.stride) {
        return Err(format!(
            "{} does not apply to `{}`: {why}",
            p.stride.label(),
            p.target
        ));
    }
    let id_ok = p
        .rule
        .strip_prefix("LLM-")
        .is_some_and(|hex| hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !id_ok {
        return Err(format!("`{}` is not an LLM-xxxxxxxx id", p.rule));
    }
    for (field, text, max) in [
        ("title", &p.title, MAX_TITLE),
        ("description", &p.description, MAX_TEXT),
        ("mitigation", &p.mitigation, MAX_TEXT),
    ] {
        let chars = text.chars().count();
        if text.trim().is_empty() {
            return Err(format!("empty {field}"));
        }
        if chars > max {
            return Err(format!("{field} of {chars} characters (at most {max})"));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(format!("control characters in the {field}"));
        }
    }
    if let Some(bad) = p.cwe.iter().find(|c| {
        !c.strip_prefix("CWE-")
            .is_some_and(|n| !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit()))
    }) {
        return Err(format!("`{bad}` is not a CWE id (CWE-n)"));
    }
    Ok(())
}

/// Adds the admissible proposals as threats; logs how many were admitted and why others were
/// refused. Returns the refusals, in words.
pub(crate) fn add_proposed(
    threats: &mut Vec<Threat>,
    proposals: &[ProposedThreat],
    context: &Context<'_>,
    log: &mut Vec<LogEntry>,
) -> Vec<String> {
    if proposals.is_empty() {
        return Vec::new();
    }
    let mut refused = Vec::new();
    let before = threats.len();
    for (p, verdict) in proposals.iter().zip(verdicts(context, proposals)) {
        match verdict {
            Ok(()) => threats.push(proposed_threat(p, context)),
            Err(why) => refused.push(format!("{}@{} \"{}\": {why}", p.rule, p.target, p.title)),
        }
    }
    log.push(LogEntry {
        role: Role::Reviewer,
        message: format!(
            "Admitted {} proposed by the LLM analyst, rated on the same matrix as the rules' findings{}.",
            match threats.len() - before {
                1 => "1 threat".to_owned(),
                n => format!("{n} threats"),
            },
            if refused.is_empty() {
                String::new()
            } else {
                format!("; refused {}: {}", refused.len(), refused.join("; "))
            }
        ),
    });
    refused
}

fn proposed_threat(p: &ProposedThreat, context: &Context<'_>) -> Threat {
    let categories = vec![p.stride];
    let rating = rate_on(
        context,
        &p.target,
        &RatingBase {
            rule: &p.rule,
            likelihood: p.likelihood,
            impact: p.impact,
            categories: &categories,
            cap: None,
        },
    );
    let mut evidence = vec![format!(
        "Proposed by the analyst agent ({}); no threatscribe rule covers it",
        p.source
    )];
    evidence.extend(
        p.rationale
            .iter()
            .map(|r| r.trim_end_matches('.').to_owned()),
    );
    let (first, rest) = first_sentence(&p.mitigation);
    Threat {
        id: format!("{}@{}", p.rule, p.target),
        rule: p.rule.clone(),
        stride: p.stride,
        categories,
        target: p.target.clone(),
        target_type: if context.element(&p.target).is_some() {
            "element"
        } else {
            "flow"
        }
        .to_owned(),
        title: p.title.clone(),
        description: p.description.clone(),
        severity: rating.severity,
        likelihood: rating.likelihood,
        impact: rating.impact,
        rating_reasoning: rating.reasoning,
        cwe: p.cwe.clone(),
        capec: Vec::new(),
        owasp: Vec::new(),
        mitigations: vec![Mitigation {
            id: "llm".into(),
            title: first.as_str().into(),
            description: rest.as_str().into(),
            technology_guidance: Vec::new(),
            references: std::sync::Arc::from([]),
        }],
        status: Status::Open,
        mitigated_by: None,
        residual_severity: None,
        tracking: None,
        evidence,
        source: p.source.clone(),
        agent: Some("analyst".to_owned()),
    }
}
