//! Figures of an LLM-backed run that several formats show.

use std::collections::BTreeMap;

use threatscribe_model::LlmRun;

/// Calls, tokens and cost of one role with one model.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Totals {
    pub calls: u64,
    pub cached: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// Totals per role and model, in pipeline order (architect, analyst, reviewer, writer). Calls
/// that were never sent (budget, provider down) count as calls with no tokens.
pub fn totals(run: &LlmRun) -> Vec<(&'static str, &str, Totals)> {
    let mut by: BTreeMap<(threatscribe_model::AgentRole, &str), Totals> = BTreeMap::new();
    for call in &run.calls {
        let t = by.entry((call.role, call.model.as_str())).or_default();
        t.calls += 1;
        if call.cached {
            t.cached += 1;
        }
        t.input_tokens += call.input_tokens;
        t.output_tokens += call.output_tokens;
        t.cost_usd += call.cost_usd;
    }
    by.into_iter()
        .map(|((role, model), t)| (role.as_str(), model, t))
        .collect()
}

/// The cells of one call's row, in the order of the call tables: #, role, subject, input tokens,
/// output tokens, cost, attempts (or "cache"), outcome. `escape` makes the text cells safe for
/// the format.
pub fn call_cells(
    call: &threatscribe_model::CallRecord,
    escape: fn(&str) -> String,
) -> [String; 8] {
    [
        call.n.to_string(),
        call.role.as_str().to_owned(),
        escape(&call.subject),
        call.input_tokens.to_string(),
        call.output_tokens.to_string(),
        format!("{:.4}", call.cost_usd),
        if call.cached {
            "cache".to_owned()
        } else {
            call.attempts.to_string()
        },
        escape(&call.outcome),
    ]
}
