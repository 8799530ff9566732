//! The `--llm` options shared by `analyze` and `init`, and what the command prints about a run.

use std::path::PathBuf;
use std::time::Duration;

use threatscribe_agents::{PlannedCall, Prices, Settings};
use threatscribe_model::LlmRun;

use crate::error::CliError;

/// LLM agents (optional; the built-in analysis always runs and checks what they add).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "LLM agents (optional)")]
pub struct LlmArgs {
    /// Let LLM agents add to the analysis: openai:MODEL (any OpenAI-compatible server),
    /// anthropic:MODEL, or ollama:MODEL (a local Ollama). Keys come from OPENAI_API_KEY or
    /// ANTHROPIC_API_KEY only.
    #[arg(long, value_name = "PROVIDER:MODEL")]
    pub llm: Option<String>,
    /// The server's base URL (default: OPENAI_BASE_URL, ANTHROPIC_BASE_URL, or the provider's
    /// own; http://localhost:11434/v1 for ollama).
    #[arg(long, value_name = "URL", requires = "llm")]
    pub llm_base_url: Option<String>,
    /// Exit 4 when the LLM could not be used (the built-in report is still written).
    #[arg(long, requires = "llm")]
    pub llm_required: bool,
    /// Print the calls a run would make, with estimated tokens and cost, and make none.
    #[arg(long, requires = "llm")]
    pub dry_run: bool,
    /// Stop calling the LLM when the next call could take the spend past this many US dollars;
    /// the report is finished with what the agents found until then.
    #[arg(long, value_name = "USD", requires = "llm")]
    pub budget: Option<f64>,
    /// A YAML price table (`models: {NAME: {input: USD, output: USD}}`, per million tokens)
    /// over the built-in one.
    #[arg(long, value_name = "FILE", requires = "llm")]
    pub llm_prices: Option<PathBuf>,
    /// Seconds to wait for one answer.
    #[arg(long, value_name = "SECS", default_value_t = 120, requires = "llm")]
    pub llm_timeout: u64,
    /// Further attempts after a 429, 5xx, timeout or unreachable server.
    #[arg(long, value_name = "N", default_value_t = 3, requires = "llm")]
    pub llm_retries: u32,
    /// Calls made at the same time.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "llm",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub llm_concurrency: u32,
    /// Where answers are cached, so a rerun on the same input costs nothing (default:
    /// THREATSCRIBE_CACHE_DIR, else the user's cache directory).
    #[arg(
        long,
        value_name = "DIR",
        requires = "llm",
        conflicts_with = "no_llm_cache"
    )]
    pub llm_cache: Option<PathBuf>,
    /// Neither read nor write the answer cache.
    #[arg(long, requires = "llm")]
    pub no_llm_cache: bool,
}

impl LlmArgs {
    /// The settings, when `--llm` is given.
    pub fn settings(&self, quiet: bool) -> Result<Option<Settings>, CliError> {
        let Some(spec) = &self.llm else {
            return Ok(None);
        };
        let env = |name: &str| std::env::var(name).ok();
        let mut settings = threatscribe_agents::settings(spec, self.llm_base_url.as_deref(), &env)
            .map_err(CliError::Unusable)?;
        if let Some(path) = &self.llm_prices {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
            settings.prices = Prices::with_overrides(&text, &path.display().to_string())
                .map_err(|e| CliError::Unusable(format!("--llm-prices {e}")))?;
        }
        if let Some(budget) = self.budget {
            if !(budget.is_finite() && budget >= 0.0) {
                return Err(CliError::Unusable(format!(
                    "--budget {budget}: give a number of US dollars, 0 or more"
                )));
            }
            if settings.prices.get(&settings.model).is_none() {
                return Err(CliError::Unusable(format!(
                    "--budget: no price is known for `{}`, so spending cannot be counted; give one with --llm-prices",
                    settings.model
                )));
            }
            settings.budget_usd = Some(budget);
        }
        settings.timeout = Duration::from_secs(self.llm_timeout.max(1));
        settings.retries = self.llm_retries;
        settings.concurrency = self.llm_concurrency as usize;
        if self.no_llm_cache {
            settings.cache_dir = None;
        } else if let Some(dir) = &self.llm_cache {
            settings.cache_dir = Some(dir.clone());
        }
        settings.progress = !quiet;
        Ok(Some(settings))
    }
}

/// `--dry-run`: the calls, their estimated tokens, and the most they can cost.
pub fn print_plan(settings: &Settings, calls: &[PlannedCall]) {
    println!(
        "Dry run with {}: {} would be made (none was). Input tokens are estimated from the prompts (about 4 characters a token); output tokens are each call's limit, so costs are upper bounds.",
        settings.spec,
        if calls.len() == 1 {
            "1 call".to_owned()
        } else {
            format!("{} calls", calls.len())
        }
    );
    println!(
        "{:<4} {:<10} {:<28} {:>13} {:>14} {:>12}",
        "#", "role", "subject", "input tokens", "output (max)", "cost (max)"
    );
    let mut total_in = 0;
    let mut total_out = 0;
    let mut total_cost = Some(0.0);
    for (n, c) in calls.iter().enumerate() {
        total_in += c.input_tokens;
        total_out += c.max_output_tokens;
        total_cost = total_cost.zip(c.max_cost_usd).map(|(a, b)| a + b);
        let subject: String = c.subject.chars().take(28).collect();
        println!(
            "{:<4} {:<10} {:<28} {:>13} {:>14} {:>12}",
            n + 1,
            c.role.as_str(),
            subject,
            format!("{}{}", if c.exact { "" } else { "~" }, c.input_tokens),
            c.max_output_tokens,
            c.max_cost_usd
                .map_or_else(|| "no price".to_owned(), |x| format!("${x:.4}"))
        );
    }
    println!(
        "total: ~{total_in} input tokens, at most {total_out} output tokens, at most {} ({}). Repair turns, when an answer is invalid, would add to this. ~ marks prompts that depend on earlier answers.",
        total_cost.map_or_else(
            || "unknown: no price for this model".to_owned(),
            |c| format!("${c:.4}")
        ),
        settings.prices.source
    );
}

/// Says on stderr what went wrong with the LLM; returns the failure for `--llm-required`.
pub fn report_problems(run: &LlmRun, quiet: bool) -> Option<String> {
    if !quiet {
        for problem in &run.problems {
            eprintln!("warning: llm: {problem}");
        }
    }
    let failed: Vec<&str> = run
        .calls
        .iter()
        .filter(|c| c.outcome.starts_with("failed") || c.outcome.starts_with("not attempted"))
        .map(|c| c.outcome.as_str())
        .collect();
    (!failed.is_empty()).then(|| {
        format!(
            "--llm-required: {} of {} LLM calls failed ({}); the built-in report was written without them",
            failed.len(),
            run.calls.len(),
            failed[0]
        )
    })
}
