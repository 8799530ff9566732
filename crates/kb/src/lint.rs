//! Checks beyond what compiling requires: parts of the knowledge base that compile but can never
//! take effect (controls no rule cites, tags nothing carries, rules keyed on such tags).

use std::collections::BTreeSet;

use crate::{Condition, KnowledgeBase};

/// One lint finding. `error` ones fail `threatscribe kb lint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    pub error: bool,
    pub message: String,
}

/// Tags a model puts on elements directly; rules keyed on them are reachable without a
/// technology that carries them.
const MODEL_TAGS: [&str; 3] = ["browser", "privileged-user", "logs"];

fn tags_in(condition: &Condition, negated: bool, out: &mut BTreeSet<String>) {
    match condition {
        Condition::All(items) | Condition::Any(items) => {
            for c in items {
                tags_in(c, negated, out);
            }
        }
        Condition::Not(inner) => tags_in(inner, !negated, out),
        Condition::Tag(tags) if !negated => out.extend(tags.iter().cloned()),
        Condition::Reaches(inner)
        | Condition::ReachedBy(inner)
        | Condition::From(inner)
        | Condition::To(inner) => tags_in(inner, negated, out),
        _ => {}
    }
}

impl KnowledgeBase {
    /// Everything that compiles but cannot take effect.
    pub fn lint(&self) -> Vec<LintFinding> {
        let mut findings = Vec::new();
        for control in self.controls.keys() {
            if !self.rules.iter().any(|r| r.controls.contains(control)) {
                findings.push(LintFinding {
                    error: true,
                    message: format!("control `{control}` is cited by no rule"),
                });
            }
        }
        let carried: BTreeSet<&str> = self
            .catalog
            .iter()
            .flat_map(|t| t.tags.iter().map(String::as_str))
            .collect();
        let mut used_by_rules = BTreeSet::new();
        for rule in &self.rules {
            let mut tags = BTreeSet::new();
            if let Some(when) = &rule.when {
                tags_in(when, false, &mut tags);
            }
            for tag in &tags {
                if !carried.contains(tag.as_str()) && !MODEL_TAGS.contains(&tag.as_str()) {
                    findings.push(LintFinding {
                        error: false,
                        message: format!("{}: keys on tag `{tag}`, which no technology carries: it fires only where a model tags an element with it", rule.id),
                    });
                }
            }
            used_by_rules.extend(tags);
        }
        for tag in self.tags.keys() {
            if !carried.contains(tag.as_str()) && !used_by_rules.contains(tag) {
                findings.push(LintFinding {
                    error: false,
                    message: format!(
                        "tag `{tag}` is declared but carried by no technology and used by no rule"
                    ),
                });
            }
        }
        findings
    }
}
