//! The writer agent: an executive summary and a discussion grounded in the findings. Every
//! finding it cites must exist; prose that cites one that does not is dropped. The report
//! renders it as escaped plain text beside the built-in summary, never instead of it.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::{Value, json};
use threatscribe_engine::Analysis;
use threatscribe_model::{AgentRole, Narrative, Severity};

use crate::provider::{Prompt, Turn};
use crate::session::{CallSpec, Checked, Session};
use crate::text::{clean, object, preamble, string};

const MAX_CHARS: usize = 3_000;
/// Findings listed in the writer's prompt, most severe first.
const MAX_FINDINGS: usize = 40;

static CITATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)?@[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?")
        .expect("the citation pattern compiles")
});

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prose {
    executive_summary: String,
    discussion: String,
}

fn call(analysis: &Analysis) -> CallSpec {
    let count = |s: Severity| {
        analysis
            .threats
            .iter()
            .filter(|t| t.severity == s && t.status.is_unresolved())
            .count()
    };
    let findings: Vec<Value> = analysis
        .threats
        .iter()
        .take(MAX_FINDINGS)
        .map(|t| json!({"id": t.id, "severity": t.severity.as_str(), "status": t.status.as_str(), "target": analysis.target_name(&t.target), "title": t.title}))
        .collect();
    let facts = json!({
        "system": analysis.model.name,
        "elements": analysis.model.elements.iter().map(|e| format!("{} ({})", e.name, e.kind.label())).collect::<Vec<_>>(),
        "open_findings_by_severity": {"critical": count(Severity::Critical), "high": count(Severity::High), "medium": count(Severity::Medium), "low": count(Severity::Low)},
        "findings": findings,
        "assumptions": analysis.assumptions.iter().take(15).collect::<Vec<_>>(),
        "open_questions": analysis.questions.iter().take(15).collect::<Vec<_>>(),
    });
    let system = format!(
        "{}\n\nYour task: write for the security reviewer of this system an executive summary (at most 120 words: what the system is, its most serious risks, what to do first) and a discussion (at most 300 words: themes across the findings, trade-offs, what the open questions could change). Use only the facts given. Cite findings by their exact id, e.g. WEB001@web-app; never invent a component, a finding, a number or a technology. Plain sentences: no Markdown, no HTML, no lists.",
        preamble("writer")
    );
    CallSpec {
        role: AgentRole::Writer,
        subject: "summary".into(),
        prompt: Prompt {
            system,
            turns: vec![Turn {
                speaker: "user",
                content: format!("The facts:\n{facts}"),
            }],
            schema_name: "report_prose",
            schema: object(&[("executive_summary", string()), ("discussion", string())]),
            max_tokens: 1_500,
        },
    }
}

fn check(answer: &Value, analysis: &Analysis) -> Checked<Option<(String, String)>> {
    let prose: Prose = match serde_json::from_value(answer.clone()) {
        Ok(p) => p,
        Err(e) => {
            return Checked {
                value: None,
                problems: vec![format!("the answer does not match the schema: {e}")],
            };
        }
    };
    let mut problems = Vec::new();
    let mut texts = Vec::new();
    for (field, text) in [
        ("executive_summary", &prose.executive_summary),
        ("discussion", &prose.discussion),
    ] {
        let text = clean(text);
        if text.is_empty() {
            problems.push(format!("`{field}` is empty"));
        } else if text.chars().count() > MAX_CHARS {
            problems.push(format!("`{field}` is longer than {MAX_CHARS} characters"));
        }
        for cited in CITATION.find_iter(&text) {
            let id = cited.as_str();
            if !analysis.threats.iter().any(|t| t.id == id) {
                problems.push(format!(
                    "`{field}` cites {id}, which is not a finding of this analysis"
                ));
            }
        }
        texts.push(text);
    }
    let value = problems
        .is_empty()
        .then(|| (texts.remove(0), texts.remove(0)));
    Checked { value, problems }
}

/// The writer's prose, when it passed every check.
pub fn run(session: &Session<'_>, analysis: &Analysis) -> Option<Narrative> {
    let (executive_summary, discussion) = session
        .run(&[call(analysis)], &|_, answer| check(answer, analysis))
        .pop()
        .flatten()
        .flatten()?;
    Some(Narrative {
        executive_summary,
        discussion,
        source: format!("llm:{}", session.settings().model),
    })
}

/// The writer's call on the built-in analysis, for `--dry-run`.
pub fn call_for_plan(analysis: &Analysis) -> CallSpec {
    call(analysis)
}
