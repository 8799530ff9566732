//! The optional LLM side of threatscribe: the architect, analyst, reviewer and writer agents,
//! the providers they call, and the record of what they did and cost.
//!
//! The built-in analysis always runs and is never replaced: the architect may only add to the
//! model (and nothing it adds may lower a built-in finding), the analyst's threats pass the
//! engine's check before the reviewer sees them, the reviewer can only remove proposals, and the
//! writer's prose is shown beside the built-in summary. Every answer is parsed and validated,
//! with one repair turn; what still fails is dropped and logged, never rendered.
//!
//! Key decision: calls are blocking HTTP (ureq) on a small pool of threads. A run makes a
//! handful of calls per element, so a thread per concurrent call is cheap, and the pipeline
//! stays synchronous like the rest of the tool.

mod analyst;
mod architect;
mod prices;
mod provider;
mod redact;
mod reviewer;
mod session;
mod text;
mod writer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use threatscribe_engine::{Analysis, analyze_with};
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{AgentRole, LlmRun, Model};

pub use prices::{Price, Prices};
pub use provider::Wire;
pub use redact::redact;
pub use session::{Observer, Session, Settings, estimate_tokens};

/// Reads `--llm PROVIDER:MODEL` and the environment into settings. `env` looks up a variable
/// (the CLI passes `std::env::var`; tests pass their own).
pub fn settings(
    spec: &str,
    base_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, String> {
    let (provider, model) = spec.split_once(':').ok_or_else(|| {
        format!("--llm `{spec}`: give PROVIDER:MODEL, e.g. openai:gpt-4o-mini, anthropic:claude-sonnet-4-5 or ollama:llama3.1")
    })?;
    let model = model.trim();
    if model.is_empty() {
        return Err(format!(
            "--llm `{spec}`: the model name is missing after `{provider}:`"
        ));
    }
    let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (wire, url, key) = match provider {
        "openai" => (
            Wire::OpenAi,
            base_url
                .map(str::to_owned)
                .or_else(|| set(env("OPENAI_BASE_URL")))
                .unwrap_or_else(|| "https://api.openai.com/v1".into()),
            set(env("OPENAI_API_KEY")),
        ),
        "ollama" => (
            Wire::OpenAi,
            base_url.map_or_else(|| "http://localhost:11434/v1".into(), str::to_owned),
            None,
        ),
        "anthropic" => (
            Wire::Anthropic,
            base_url
                .map(str::to_owned)
                .or_else(|| set(env("ANTHROPIC_BASE_URL")))
                .unwrap_or_else(|| "https://api.anthropic.com".into()),
            set(env("ANTHROPIC_API_KEY")),
        ),
        other => {
            return Err(format!(
                "--llm `{spec}`: unknown provider `{other}`; use openai (any OpenAI-compatible server), anthropic or ollama"
            ));
        }
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "LLM base URL `{url}`: give an http:// or https:// URL"
        ));
    }
    let local = is_local(&url);
    if key.is_none() && !local {
        let variable = if wire == Wire::Anthropic {
            "ANTHROPIC_API_KEY"
        } else {
            "OPENAI_API_KEY"
        };
        return Err(format!(
            "--llm {spec}: set {variable} in the environment (keys are read from there only), or point --llm-base-url at a local server"
        ));
    }
    let mut prices = Prices::builtin();
    if provider == "ollama" {
        // Local models cost nothing per token.
        prices = Prices::with_overrides(
            &format!("models:\n  {model:?}: {{input: 0, output: 0}}\n"),
            "ollama (local)",
        )
        .map_err(|e| format!("--llm {spec}: {e}"))?;
    }
    Ok(Settings {
        spec: spec.to_owned(),
        wire,
        model: model.to_owned(),
        base_url: url,
        api_key: key,
        timeout: Duration::from_secs(120),
        retries: 3,
        concurrency: 4,
        cache_dir: default_cache_dir(env),
        budget_usd: None,
        prices,
        progress: true,
        observer: None,
        backoff: Duration::from_secs(1),
        max_wait: Duration::from_secs(120),
    })
}

fn is_local(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.starts_with("127.")
}

/// `THREATSCRIBE_CACHE_DIR`, else the user's cache directory.
fn default_cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("THREATSCRIBE_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("threatscribe").join("llm")))
}

/// The input as it may leave the machine: credentials (the provider key among them) redacted.
fn outgoing(settings: &Settings, input: &str) -> String {
    let secrets: Vec<&str> = settings.api_key.iter().map(String::as_str).collect();
    redact(input, &secrets)
}

/// What an LLM-backed analysis produced.
pub struct Outcome {
    /// The model after the architect's additions.
    pub model: Model,
    pub analysis: Analysis,
    /// The analyst's threats the reviewer kept, as admitted into `analysis`; store them to
    /// analyse the same model again without calling the LLM.
    pub proposals: Vec<threatscribe_model::ProposedThreat>,
    pub run: LlmRun,
}

/// The whole LLM-backed pipeline: architect, built-in analysis, analyst, reviewer, the final
/// analysis with the kept proposals, writer. Whatever fails along the way, the built-in
/// analysis of the (possibly extended) model comes back, and `run.problems` says what failed.
pub fn analyze(
    settings: &Settings,
    input: &str,
    model: &Model,
    kb: &KnowledgeBase,
    today: Option<&str>,
) -> Outcome {
    let input = &outgoing(settings, input);
    let session = Session::new(settings);
    let architect = architect::run(&session, input, model, kb);
    let model = architect.model;
    let built_in = analyze_with(&model, kb, today, &[]);
    let proposals = analyst::run(&session, &built_in, input, kb);
    let kept = reviewer::run(&session, &built_in, proposals);
    let analysis = if kept.is_empty() {
        built_in
    } else {
        analyze_with(&model, kb, today, &kept)
    };
    let narrative = writer::run(&session, &analysis);
    let record = session.finish();
    Outcome {
        model,
        run: record.into_run(settings, narrative),
        analysis,
        proposals: kept,
    }
}

/// `init --llm`: only the architect, for an editable model file. Returns the extended model,
/// the provenance of what it added (by id), and the record.
pub fn extend_model(
    settings: &Settings,
    input: &str,
    model: &Model,
    kb: &KnowledgeBase,
) -> (Model, BTreeMap<String, Vec<String>>, LlmRun) {
    let input = &outgoing(settings, input);
    let session = Session::new(settings);
    let outcome = architect::run(&session, input, model, kb);
    let record = session.finish();
    (
        outcome.model,
        outcome.notes,
        record.into_run(settings, None),
    )
}

/// A call a run would make, for `--dry-run`.
#[derive(Debug, Clone)]
pub struct PlannedCall {
    pub role: AgentRole,
    pub subject: String,
    /// Estimated from the prompt's length (about four characters a token).
    pub input_tokens: u64,
    /// The most the call allows.
    pub max_output_tokens: u64,
    /// The most it can cost; `None` when the model has no price.
    pub max_cost_usd: Option<f64>,
    /// True when the prompt is known exactly; reviewer and writer prompts depend on answers.
    pub exact: bool,
}

/// The calls a run on this input would make, without making any. The architect's and
/// analyst's prompts are the real ones (for the model as it stands); the reviewer's and the
/// writer's depend on earlier answers and are estimated.
pub fn plan(
    settings: &Settings,
    input: &str,
    model: &Model,
    kb: &KnowledgeBase,
    today: Option<&str>,
) -> Vec<PlannedCall> {
    let input = &outgoing(settings, input);
    let analysis = analyze_with(model, kb, today, &[]);
    let price = settings.prices.get(&settings.model);
    let planned = |spec: &session::CallSpec, exact: bool| {
        let input_tokens = estimate_tokens(&spec.prompt);
        let max_output_tokens = u64::from(spec.prompt.max_tokens);
        PlannedCall {
            role: spec.role,
            subject: spec.subject.clone(),
            input_tokens,
            max_output_tokens,
            max_cost_usd: price.map(|p| p.cost(input_tokens, max_output_tokens)),
            exact,
        }
    };
    let mut calls = vec![planned(&architect::call(input, model, kb), true)];
    calls.extend(
        analyst::calls(&analysis, input)
            .iter()
            .map(|c| planned(c, true)),
    );
    let mut review = reviewer_estimate(&analysis);
    review.max_cost_usd = price.map(|p| p.cost(review.input_tokens, review.max_output_tokens));
    calls.push(review);
    // The writer's prompt grows with the analyst's kept threats: estimated on the built-in one.
    calls.push(planned(&writer::call_for_plan(&analysis), false));
    calls
}

fn reviewer_estimate(analysis: &Analysis) -> PlannedCall {
    // Two proposals per element of about 120 tokens each, plus the findings on those targets.
    let proposals = 2 * analysis.model.elements.len() as u64;
    let findings = analysis.threats.len() as u64;
    PlannedCall {
        role: AgentRole::Reviewer,
        subject: "review".into(),
        input_tokens: 600 + 120 * proposals + 30 * findings,
        max_output_tokens: 2_000,
        max_cost_usd: None,
        exact: false,
    }
}
