//! SARIF 2.1.0 for code-scanning tools: one SARIF rule per threat rule, one result per finding,
//! located at the element's line in the model file.

use std::collections::BTreeMap;
use std::io;

use serde_json::{Value, json};
use threatscribe_model::{Severity, Threat};

use crate::json::write_at;
use crate::{Render, Report, VERSION};

pub struct Sarif;

/// GitHub code scanning reads `security-severity` (0.0-10.0): >= 9 critical, >= 7 high,
/// >= 4 medium, else low. The level is what other SARIF viewers show.
fn security_severity(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("9.5", "error"),
        Severity::High => ("8.0", "error"),
        Severity::Medium => ("5.5", "warning"),
        Severity::Low => ("2.0", "note"),
    }
}

fn help_markdown(threat: &Threat) -> String {
    let mut text = format!("{}\n\n**Mitigations**\n", threat.description);
    for m in &threat.mitigations {
        text.push_str(&format!("\n- **{}** {}", m.title, m.description));
        for g in &m.technology_guidance {
            text.push_str(&format!("\n  - *{}:* {}", g.name, g.guidance));
        }
    }
    let references: Vec<&str> = threat.references().collect();
    if !references.is_empty() {
        text.push_str(&format!("\n\n**References:** {}", references.join(", ")));
    }
    text
}

/// One SARIF result: a finding, located at its element's line in the model file, and a
/// suppression when it is decided.
fn result(
    t: &Threat,
    report: &Report<'_>,
    rule_index: &BTreeMap<&str, usize>,
    is_model_file: bool,
) -> Value {
    let (score, level) = security_severity(t.severity);
    let mut location = json!({
        "logicalLocations": [{"name": t.target, "fullyQualifiedName": format!("{}:{}", t.target_type, t.target), "kind": "resource"}],
    });
    let (line, column) = report
        .source
        .locations
        .get(&t.target)
        .copied()
        .unwrap_or((1, 1));
    location["physicalLocation"] = json!({
        "artifactLocation": {"uri": report.source.path},
        "region": {"startLine": line.max(1), "startColumn": column.max(1)},
    });
    let mut result = json!({
        "ruleId": t.rule,
        "ruleIndex": rule_index[t.rule.as_str()],
        "level": level,
        "message": {"text": format!("{} ({})", t.title, t.id)},
        "locations": [location],
        "partialFingerprints": {"threatscribe/v1": t.id},
        "properties": {
            "security-severity": score,
            "severity": t.severity,
            "stride": t.categories,
            "status": t.status,
            "ratingReasoning": t.rating_reasoning,
        },
    });
    // Anything decided (mitigated, accepted, transferred, a false positive) is a
    // suppression with its reason; open and in-progress findings are not.
    if !t.status.is_unresolved() {
        let justification = t
            .tracking
            .as_ref()
            .and_then(|tr| tr.entry.justification.clone())
            .or_else(|| t.mitigated_by.clone())
            .unwrap_or_else(|| t.status.as_str().to_owned());
        let declared_in_model = is_model_file
            && (t.tracking.is_none()
                || report.source.text.contains(
                    &t.tracking
                        .as_ref()
                        .map(|x| x.entry.threat.clone())
                        .unwrap_or_default(),
                ));
        result["suppressions"] = json!([{
            "kind": if declared_in_model { "inSource" } else { "external" },
            "status": "accepted",
            "justification": format!("{}: {justification}", t.status),
        }]);
    }
    if let Some(baseline) = &report.baseline {
        result["baselineState"] = json!(baseline.state(t));
    }
    result
}

impl Render for Sarif {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let analysis = report.analysis;
        // One SARIF rule per threat rule, described by its first finding (titles are filled in
        // with names, so the rule's text is the finding's without them where they differ).
        let mut rules: BTreeMap<&str, &Threat> = BTreeMap::new();
        for threat in &analysis.threats {
            let entry = rules.entry(threat.rule.as_str()).or_insert(threat);
            if threat.severity > entry.severity {
                *entry = threat;
            }
        }
        let rule_index: BTreeMap<&str, usize> =
            rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
        let sarif_rules: Vec<Value> = rules
            .values()
            .map(|t| {
                let (score, level) = security_severity(t.severity);
                let mut tags = vec![
                    "security".to_owned(),
                    format!("STRIDE/{}", t.stride.label()),
                ];
                tags.extend(
                    t.cwe
                        .iter()
                        .map(|c| format!("external/cwe/{}", c.to_lowercase())),
                );
                json!({
                    "id": t.rule,
                    "name": t.rule,
                    "shortDescription": {"text": t.title},
                    "fullDescription": {"text": t.description},
                    "help": {"text": t.description, "markdown": help_markdown(t)},
                    "defaultConfiguration": {"level": level},
                    "properties": {"security-severity": score, "tags": tags, "precision": "medium"},
                })
            })
            .collect();
        let is_model_file = !report.source.locations.is_empty();
        let tool = json!({"driver": {
            "name": "threatscribe",
            "version": VERSION,
            "semanticVersion": VERSION,
            "rules": sarif_rules,
        }});
        let artifacts = json!([{"location": {"uri": report.source.path}}]);
        // The document is written piece by piece, each result made and printed in turn: built
        // whole as one JSON value, a report of 100,000 results held gigabytes. The layout is
        // serde_json's pretty one, as the whole value printed before.
        out.write_all(b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")?;
        write_at(out, 3, &tool)?;
        out.write_all(b",\n      \"artifacts\": ")?;
        write_at(out, 3, &artifacts)?;
        out.write_all(b",\n      \"results\": [")?;
        for (i, threat) in analysis.threats.iter().enumerate() {
            out.write_all(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            })?;
            write_at(out, 4, &result(threat, report, &rule_index, is_model_file))?;
        }
        if !analysis.threats.is_empty() {
            out.write_all(b"\n      ")?;
        }
        out.write_all(b"]\n    }\n  ]\n}\n")
    }
}
