//! Controls: the mitigations rules point to, with guidance per technology.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Kebab-case id (`csrf-tokens`).
    pub id: String,
    /// What to do, as an imperative (`Require an anti-CSRF token on every state-changing request`).
    pub title: String,
    /// How to do it, whatever the stack.
    pub guidance: String,
    /// The same control said for one technology, keyed by catalog id (`flask-wtf: "CSRFProtect(app)..."`).
    #[serde(default)]
    pub technologies: BTreeMap<String, String>,
    /// Where to read more (OWASP cheat sheets, vendor documentation).
    #[serde(default)]
    pub references: Vec<String>,
}
