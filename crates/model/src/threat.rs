//! What the analysis concludes: threats with their rating, mitigations and status.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The six STRIDE categories, in the order of the acronym.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stride {
    Spoofing,
    Tampering,
    Repudiation,
    InformationDisclosure,
    DenialOfService,
    ElevationOfPrivilege,
}

impl Stride {
    pub const ALL: [Stride; 6] = [
        Self::Spoofing,
        Self::Tampering,
        Self::Repudiation,
        Self::InformationDisclosure,
        Self::DenialOfService,
        Self::ElevationOfPrivilege,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spoofing => "spoofing",
            Self::Tampering => "tampering",
            Self::Repudiation => "repudiation",
            Self::InformationDisclosure => "information_disclosure",
            Self::DenialOfService => "denial_of_service",
            Self::ElevationOfPrivilege => "elevation_of_privilege",
        }
    }

    /// Title case for prose and tables: "Information Disclosure".
    pub fn label(self) -> &'static str {
        match self {
            Self::Spoofing => "Spoofing",
            Self::Tampering => "Tampering",
            Self::Repudiation => "Repudiation",
            Self::InformationDisclosure => "Information Disclosure",
            Self::DenialOfService => "Denial of Service",
            Self::ElevationOfPrivilege => "Elevation of Privilege",
        }
    }

    /// The acronym's letter: S, T, R, I, D or E.
    pub fn letter(self) -> char {
        match self {
            Self::Spoofing => 'S',
            Self::Tampering => 'T',
            Self::Repudiation => 'R',
            Self::InformationDisclosure => 'I',
            Self::DenialOfService => 'D',
            Self::ElevationOfPrivilege => 'E',
        }
    }
}

impl fmt::Display for Stride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How likely an attacker is to try and succeed, before declared mitigations.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    Low,
    Medium,
    High,
}

/// How much harm success does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Low,
    Medium,
    High,
}

/// Risk severity, ordered: `Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

macro_rules! level_names {
    ($ty:ty { $($variant:ident => $word:literal),* }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

level_names!(Likelihood { Low => "low", Medium => "medium", High => "high" });
level_names!(Impact { Low => "low", Medium => "medium", High => "high" });
level_names!(Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

impl Likelihood {
    pub const ALL: [Likelihood; 3] = [Self::Low, Self::Medium, Self::High];

    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Medium,
            Self::Medium | Self::High => Self::High,
        }
    }

    pub fn lowered(self) -> Self {
        match self {
            Self::High => Self::Medium,
            Self::Medium | Self::Low => Self::Low,
        }
    }
}

impl Impact {
    pub const ALL: [Impact; 3] = [Self::Low, Self::Medium, Self::High];

    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Medium,
            Self::Medium | Self::High => Self::High,
        }
    }

    pub fn lowered(self) -> Self {
        match self {
            Self::High => Self::Medium,
            Self::Medium | Self::Low => Self::Low,
        }
    }
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// Title case for tables: "Critical".
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }
}

/// Where a finding stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing handles it yet.
    Open,
    /// Someone is working on it (a tracking entry says so).
    InProgress,
    /// Handled: the model declares the control (see `mitigated_by`) or a tracking entry says so.
    Mitigated,
    /// The risk is knowingly accepted, with a justification (and maybe an expiry date).
    Accepted,
    /// Someone else carries the risk (an insurer, a provider, another team).
    Transferred,
    /// The finding does not apply to this system, with a justification.
    FalsePositive,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::Open,
        Self::InProgress,
        Self::Mitigated,
        Self::Accepted,
        Self::Transferred,
        Self::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in-progress",
            Self::Mitigated => "mitigated",
            Self::Accepted => "accepted",
            Self::Transferred => "transferred",
            Self::FalsePositive => "false-positive",
        }
    }

    /// Open and in-progress findings still need work: gates count them.
    pub fn is_unresolved(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Texts are `Arc<str>`: the same control's words appear on thousands of findings of a large
// model, so each finding shares one copy.
/// Guidance of a control for one technology the target uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct TechGuidance {
    /// Catalog id of the technology (`flask-wtf`).
    pub technology: Arc<str>,
    /// Its display name (`Flask-WTF`).
    pub name: Arc<str>,
    pub guidance: Arc<str>,
}

/// A control applied to one threat.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Mitigation {
    pub id: Arc<str>,
    pub title: Arc<str>,
    /// The control's general guidance.
    pub description: Arc<str>,
    /// The same control said for the technologies at stake, most specific first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technology_guidance: Vec<TechGuidance>,
    #[serde(default, skip_serializing_if = "<[Arc<str>]>::is_empty")]
    pub references: Arc<[Arc<str>]>,
}

/// A finding a person or another tool wrote down (the threats of an imported Threat Dragon or
/// OTM file, or the model's `findings:` list). Reports show it beside the rules' findings, so a
/// reviewer sees what was already known and what the analysis adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProvidedFinding {
    /// Id of the element or flow it is about.
    pub target: String,
    pub stride: Stride,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: Status,
    /// As written; `medium` when the source gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The mitigation as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
    /// Who wrote it: the tool or file it came from.
    pub source: String,
}

/// A person's decision about findings, from the model's `tracking:` list or a tracking file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrackingEntry {
    /// A threat id (`WEB003@web-app`) or a pattern: `WEB003@*` (every target of a rule),
    /// `*@mysql` (every rule on a target).
    pub threat: String,
    pub status: Status,
    /// Why: required for `accepted` and `false-positive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// When the decision was taken (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// When the decision lapses (YYYY-MM-DD); an expired acceptance counts as open again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl TrackingEntry {
    /// True when the entry's pattern names this threat id.
    pub fn matches(&self, threat_id: &str) -> bool {
        let Some((rule, target)) = threat_id.split_once('@') else {
            return false;
        };
        match self.threat.split_once('@') {
            Some(("*", "*")) => true,
            Some(("*", t)) => t == target,
            Some((r, "*")) => r == rule,
            _ => self.threat == threat_id,
        }
    }

    /// Exact ids beat rule patterns, which beat target patterns.
    pub fn specificity(&self) -> u8 {
        match self.threat.split_once('@') {
            Some(("*", _)) => 1,
            Some((_, "*")) => 2,
            _ => 3,
        }
    }
}

/// What tracking did to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tracking {
    /// The matching entry, as written.
    pub entry: TrackingEntry,
    /// True when the entry's `expires` date has passed: the finding counts as open again.
    pub expired: bool,
}

/// One finding: a rule that applies to one element or flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Threat {
    /// Stable across runs: `RULE@TARGET`.
    pub id: String,
    pub rule: String,
    /// The primary STRIDE category.
    pub stride: Stride,
    /// Every category the threat falls under, primary first.
    pub categories: Vec<Stride>,
    /// Id of the element or flow the threat is on.
    pub target: String,
    /// `element` or `flow`.
    pub target_type: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub likelihood: Likelihood,
    pub impact: Impact,
    /// How the severity was reached, one step per line.
    pub rating_reasoning: Vec<String>,
    pub cwe: Vec<String>,
    pub capec: Vec<String>,
    pub owasp: Vec<String>,
    pub mitigations: Vec<Mitigation>,
    pub status: Status,
    /// What in the model handles it, when `status` is `mitigated` by design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigated_by: Option<String>,
    /// The risk left after the status: the severity for open, in-progress, accepted and
    /// transferred findings (the risk still exists), `low` once mitigated, none for a false
    /// positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_severity: Option<Severity>,
    /// The tracking entry that set the status, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Tracking>,
    /// The facts of the model that made the rule fire.
    pub evidence: Vec<String>,
    /// `kb:baseline` or `kb:specific` for the rules' findings, `provided:<tool>` for findings
    /// written elsewhere, `llm:<model>` for a threat an LLM agent proposed.
    pub source: String,
    /// For `llm:` findings, the agent that proposed it (`analyst`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl Threat {
    /// Its CWE, CAPEC and OWASP references, in that order.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        (self.cwe.iter())
            .chain(&self.capec)
            .chain(&self.owasp)
            .map(String::as_str)
    }
}
