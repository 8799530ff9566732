//! What an LLM-backed run adds and what it cost: threats proposed by an agent (before the engine
//! admits them), the writer's prose, every call with the provider's own token counts, and every
//! message exchanged. The agents crate fills these; the engine checks proposals; the report
//! renders the rest.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Impact, Likelihood, Stride};

/// A threat an LLM agent proposed, already parsed and shaped; the engine decides whether it is
/// admitted (target exists, category applies to the target) and rates it like a rule finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedThreat {
    /// `LLM-` and a hash of the category and title, so the id (and any tracking entry that
    /// names it) stays the same across runs.
    pub rule: String,
    /// Id of the element or flow it is about.
    pub target: String,
    pub stride: Stride,
    pub title: String,
    pub description: String,
    pub mitigation: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    /// `CWE-n` entries, checked for shape.
    pub cwe: Vec<String>,
    /// Why the agent thinks it applies to this target, and what the reviewer said.
    pub rationale: Vec<String>,
    /// `llm:<model>`.
    pub source: String,
}

/// Which agent a call or message belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Architect,
    Analyst,
    Reviewer,
    Writer,
}

impl AgentRole {
    pub const ALL: [AgentRole; 4] = [Self::Architect, Self::Analyst, Self::Reviewer, Self::Writer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Architect => "architect",
            Self::Analyst => "analyst",
            Self::Reviewer => "reviewer",
            Self::Writer => "writer",
        }
    }
}

/// One request to a provider and what it cost, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CallRecord {
    /// 1-based, in the order the calls were prepared.
    pub n: u32,
    pub role: AgentRole,
    /// What the call was about: `architecture`, an element id, `review`, `summary`.
    pub subject: String,
    pub model: String,
    /// Tokens from the provider's usage fields (0 when it sent none).
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Priced from the price table; 0 for models without a price.
    pub cost_usd: f64,
    /// True when the answer came from the disk cache: nothing was spent this run.
    pub cached: bool,
    /// HTTP attempts made (0 for a cache hit); more than 1 means retries.
    pub attempts: u32,
    /// `ok`, `repaired`, `invalid`, `failed` or `skipped (budget)`.
    pub outcome: String,
}

/// One message of the conversation, as sent or received, with secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// The call it belongs to.
    pub call: u32,
    pub role: AgentRole,
    /// `system`, `user` or `assistant`.
    pub speaker: String,
    pub content: String,
}

/// The writer's prose, checked against the findings it cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Narrative {
    pub executive_summary: String,
    pub discussion: String,
    /// `llm:<model>`.
    pub source: String,
}

/// Everything an LLM-backed run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmRun {
    /// `openai:gpt-4o-mini`, as given to `--llm`.
    pub provider: String,
    pub calls: Vec<CallRecord>,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<Narrative>,
    /// Things that went wrong, in words: unreachable provider, budget reached, answers dropped.
    pub problems: Vec<String>,
    /// Proposals that were dropped, with the reason (invalid, refuted, merged).
    pub rejected: Vec<String>,
    /// Where prices came from: "built-in price table (2025-11)" or a file.
    pub price_source: String,
}

impl LlmRun {
    /// Tokens and cost of the calls actually made this run (cache hits excluded).
    pub fn spent(&self) -> (u64, u64, f64) {
        self.calls
            .iter()
            .filter(|c| !c.cached)
            .fold((0, 0, 0.0), |(i, o, c), call| {
                (
                    i + call.input_tokens,
                    o + call.output_tokens,
                    c + call.cost_usd,
                )
            })
    }
}
