//! What changed between two versions of a threat model: the architecture (elements, flows,
//! boundaries added, removed or changed) and the findings (new, resolved, changed in severity or
//! status).

use std::fmt::Write as _;

use serde::Serialize;
use threatscribe_model::{Model, Severity, Status, Threat};

/// One side of a comparison: a model and its findings.
pub struct Version<'a> {
    pub label: &'a str,
    pub model: &'a Model,
    pub threats: &'a [Threat],
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct PartChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Ids whose fields differ, each with the names of the fields that changed.
    pub changed: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ThreatRef {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ThreatChange {
    pub id: String,
    pub title: String,
    pub severity: (Severity, Severity),
    pub status: (Status, Status),
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Diff {
    pub old: String,
    pub new: String,
    pub elements: PartChanges,
    pub flows: PartChanges,
    pub boundaries: PartChanges,
    /// Findings in the new version only, most severe first.
    pub new_threats: Vec<ThreatRef>,
    /// Findings of the old version that are gone.
    pub resolved_threats: Vec<ThreatRef>,
    /// Findings in both whose severity or status changed.
    pub changed_threats: Vec<ThreatChange>,
}

/// Field-by-field comparison of items with ids, through their JSON form.
fn compare<T: Serialize>(old: &[T], new: &[T], id: impl Fn(&T) -> &str) -> PartChanges {
    let as_map = |item: &T| {
        serde_json::to_value(item)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let mut changes = PartChanges::default();
    for item in new {
        match old.iter().find(|o| id(o) == id(item)) {
            None => changes.added.push(id(item).to_owned()),
            Some(before) => {
                let (a, b) = (as_map(before), as_map(item));
                let mut fields: Vec<String> = a
                    .keys()
                    .chain(b.keys())
                    .filter(|k| a.get(*k) != b.get(*k))
                    .cloned()
                    .collect();
                fields.sort();
                fields.dedup();
                if !fields.is_empty() {
                    changes.changed.push((id(item).to_owned(), fields));
                }
            }
        }
    }
    changes.removed = old
        .iter()
        .filter(|o| !new.iter().any(|n| id(n) == id(o)))
        .map(|o| id(o).to_owned())
        .collect();
    changes
}

fn reference(t: &Threat) -> ThreatRef {
    ThreatRef {
        id: t.id.clone(),
        title: t.title.clone(),
        severity: t.severity,
        status: t.status,
    }
}

impl Diff {
    pub fn between(old: &Version<'_>, new: &Version<'_>) -> Diff {
        let find = |list: &[Threat], id: &str| list.iter().position(|t| t.id == id);
        Diff {
            old: old.label.to_owned(),
            new: new.label.to_owned(),
            elements: compare(&old.model.elements, &new.model.elements, |e| &e.id),
            flows: compare(&old.model.flows, &new.model.flows, |f| &f.id),
            boundaries: compare(&old.model.boundaries, &new.model.boundaries, |b| &b.id),
            new_threats: new
                .threats
                .iter()
                .filter(|t| find(old.threats, &t.id).is_none())
                .map(reference)
                .collect(),
            resolved_threats: old
                .threats
                .iter()
                .filter(|t| find(new.threats, &t.id).is_none())
                .map(reference)
                .collect(),
            changed_threats: new
                .threats
                .iter()
                .filter_map(|t| {
                    let before = &old.threats[find(old.threats, &t.id)?];
                    (before.severity != t.severity || before.status != t.status).then(|| {
                        ThreatChange {
                            id: t.id.clone(),
                            title: t.title.clone(),
                            severity: (before.severity, t.severity),
                            status: (before.status, t.status),
                        }
                    })
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.elements == PartChanges::default()
            && self.flows == PartChanges::default()
            && self.boundaries == PartChanges::default()
            && self.new_threats.is_empty()
            && self.resolved_threats.is_empty()
            && self.changed_threats.is_empty()
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a diff serialises");
        text.push('\n');
        text
    }

    pub fn to_markdown(&self) -> String {
        let code = |s: &str| format!("`{}`", s.replace('`', "'"));
        let mut out = format!(
            "# Threat model changes\n\nFrom {} to {}.\n\n",
            code(&self.old),
            code(&self.new)
        );
        if self.is_empty() {
            out.push_str("No change: the same architecture and the same findings.\n");
            return out;
        }
        out.push_str("## Architecture\n\n");
        for (name, part) in [
            ("Elements", &self.elements),
            ("Flows", &self.flows),
            ("Boundaries", &self.boundaries),
        ] {
            if *part == PartChanges::default() {
                continue;
            }
            let _ = writeln!(out, "### {name}\n");
            for id in &part.added {
                let _ = writeln!(out, "- added {}", code(id));
            }
            for id in &part.removed {
                let _ = writeln!(out, "- removed {}", code(id));
            }
            for (id, fields) in &part.changed {
                let _ = writeln!(out, "- changed {}: {}", code(id), fields.join(", "));
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "## Findings\n\n{} new, {} resolved, {} changed.\n",
            self.new_threats.len(),
            self.resolved_threats.len(),
            self.changed_threats.len()
        );
        let table = |out: &mut String, title: &str, list: &[ThreatRef]| {
            if list.is_empty() {
                return;
            }
            let _ = writeln!(
                out,
                "### {title}\n\n| Threat | Severity | Status |\n|---|---|---|"
            );
            for t in list {
                let _ = writeln!(
                    out,
                    "| {} {} | {} | {} |",
                    code(&t.id),
                    t.title.replace('|', "\\|").replace(['<', '>'], ""),
                    t.severity.label(),
                    t.status
                );
            }
            out.push('\n');
        };
        table(&mut out, "New", &self.new_threats);
        table(&mut out, "Resolved", &self.resolved_threats);
        if !self.changed_threats.is_empty() {
            out.push_str("### Changed\n\n| Threat | Severity | Status |\n|---|---|---|\n");
            for c in &self.changed_threats {
                let arrow = |a: String, b: String| if a == b { a } else { format!("{a} → {b}") };
                let _ = writeln!(
                    out,
                    "| {} {} | {} | {} |",
                    code(&c.id),
                    c.title.replace('|', "\\|").replace(['<', '>'], ""),
                    arrow(
                        c.severity.0.label().to_owned(),
                        c.severity.1.label().to_owned()
                    ),
                    arrow(
                        c.status.0.as_str().to_owned(),
                        c.status.1.as_str().to_owned()
                    )
                );
            }
            out.push('\n');
        }
        out
    }
}
