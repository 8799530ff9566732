//! Threat rules: when a threat applies, what it is, how bad, and what mitigates it.

use serde::Deserialize;
use threatscribe_model::{Impact, Likelihood, Stride};

use crate::condition::{Condition, OneOrMany, RawCondition, Subject};

/// Whether a rule guarantees STRIDE coverage or names a concrete weakness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// One STRIDE category on one kind of element or on flows, worded for the element: fires
    /// wherever it applies so that no element is silent.
    Baseline,
    /// A concrete weakness keyed on technologies and properties; it absorbs the baseline
    /// finding of the same target and primary category.
    #[default]
    Specific,
}

/// Placeholders a rule's title and description may use; the engine fills them per finding.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("target", "name of the element or flow the threat is on"),
    ("data", "names of the data assets at stake"),
    ("tech", "names of the technologies the target uses"),
    (
        "peers",
        "names of the elements matched by `reaches`/`reached_by`",
    ),
    (
        "peer_data",
        "names of the data assets on the flows between the target and its peers",
    ),
    ("from", "name of a flow's source element"),
    ("to", "name of a flow's destination element"),
    ("protocol", "a flow's protocol"),
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub layer: Layer,
    pub stride: OneOrMany<Stride>,
    pub applies_to: Subject,
    /// Omitted: the rule applies to every element or flow (baseline flow rules).
    #[serde(default)]
    pub when: Option<RawCondition>,
    #[serde(default)]
    pub mitigated_when: Option<RawCondition>,
    pub description: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    #[serde(default)]
    pub cwe: Vec<String>,
    #[serde(default)]
    pub capec: Vec<String>,
    #[serde(default)]
    pub owasp: Vec<String>,
    pub controls: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// What a reviewer should ask when the finding is open: the answer decides whether it is
    /// mitigated (usually the fact `mitigated_when` looks for).
    #[serde(default)]
    pub question: Option<String>,
    /// Baseline rules this rule makes concrete beyond its primary category (a TLS rule on a
    /// flow covers both in-transit tampering and disclosure).
    #[serde(default)]
    pub absorbs: Vec<String>,
    pub examples: RawExamples,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExamples {
    pub triggers: Vec<Example>,
    #[serde(default)]
    pub ignores: Vec<Example>,
}

/// A small model a rule is tested on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// For a trigger: the id of the element or flow the rule must fire on.
    #[serde(default)]
    pub target: Option<String>,
    /// For a trigger: `true` when the finding must come out mitigated (tests `mitigated_when`).
    #[serde(default)]
    pub mitigated: bool,
    /// A model in the model-file format.
    pub model: serde_json::Value,
}

/// A compiled threat rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub layer: Layer,
    /// Primary category first.
    pub stride: Vec<Stride>,
    pub applies_to: Subject,
    /// `None`: every element or flow.
    pub when: Option<Condition>,
    pub mitigated_when: Option<Condition>,
    pub description: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub cwe: Vec<String>,
    pub capec: Vec<String>,
    pub owasp: Vec<String>,
    pub controls: Vec<String>,
    pub references: Vec<String>,
    pub question: Option<String>,
    /// Baseline rules whose finding on the same target this one replaces, besides the one of
    /// its primary category.
    pub absorbs: Vec<String>,
    pub triggers: Vec<Example>,
    pub ignores: Vec<Example>,
    /// The file it came from, relative to `kb/`.
    pub file: String,
    /// The placeholders its title and description use, from `PLACEHOLDERS`.
    pub placeholders: Vec<&'static str>,
}

impl Rule {
    /// Whether its title or description uses the placeholder `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.placeholders.contains(&name)
    }

    pub fn primary_stride(&self) -> Stride {
        self.stride[0]
    }
}
