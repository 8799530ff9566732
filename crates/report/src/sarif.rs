//! SARIF 2.1.0 for code-scanning tools: one SARIF rule per threat rule, one result per finding,
//! located at the element's line in the model file.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;

use serde_json::{Value, json};
use threatscribe_engine::StreamingAnalysis;
use threatscribe_model::{Severity, Threat};

use crate::json::{in_order, write_at};
use crate::{Baseline, Render, Report, Source, VERSION};

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

/// What every result needs besides its finding.
struct Results<'r> {
    source: &'r Source,
    baseline: Option<&'r Baseline>,
    /// Each rule's place in the tool's rule table.
    rule_index: BTreeMap<&'r str, usize>,
}

impl Results<'_> {
    /// One SARIF result: a finding, located at its element's line in the model file, and a
    /// suppression when it is decided.
    fn result(&self, t: &Threat) -> Value {
        let source = self.source;
        let (score, level) = security_severity(t.severity);
        let mut location = json!({
            "logicalLocations": [{"name": t.target, "fullyQualifiedName": format!("{}:{}", t.target_type, t.target), "kind": "resource"}],
        });
        let (line, column) = source.locations.get(&t.target).copied().unwrap_or((1, 1));
        location["physicalLocation"] = json!({
            "artifactLocation": {"uri": source.path},
            "region": {"startLine": line.max(1), "startColumn": column.max(1)},
        });
        let mut result = json!({
            "ruleId": t.rule,
            "ruleIndex": self.rule_index[t.rule.as_str()],
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
            let is_model_file = !source.locations.is_empty();
            let declared_in_model = is_model_file
                && (t.tracking.is_none()
                    || source.text.contains(
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
        if let Some(baseline) = self.baseline {
            result["baselineState"] = json!(baseline.state(t));
        }
        result
    }
}

/// A SARIF rule, described by its rule's most severe finding (titles are filled in with names,
/// so the rule's text is the finding's).
fn rule(t: &Threat) -> Value {
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
}

/// The findings that describe the rules: for each rule, the first of its most severe findings
/// (in report order), as indexes into the findings.
fn describing<'t>(findings: impl Iterator<Item = (&'t str, Severity)>) -> BTreeMap<&'t str, usize> {
    let mut rules: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for (index, (rule, severity)) in findings.enumerate() {
        let entry = rules.entry(rule).or_insert((index, severity));
        if severity > entry.1 {
            *entry = (index, severity);
        }
    }
    rules
        .into_iter()
        .map(|(rule, (index, _))| (rule, index))
        .collect()
}

/// Writes the document: `n` findings, each written when its turn comes by `finding`, whose
/// rules and severities (in report order) are `ranked`.
fn write<'t, 'r>(
    out: &mut dyn io::Write,
    source: &Source,
    baseline: Option<&Baseline>,
    ranked: impl Iterator<Item = (&'r str, Severity)>,
    n: usize,
    finding: impl Fn(usize) -> Cow<'t, Threat> + Sync,
) -> io::Result<()> {
    let rules: BTreeMap<&str, Cow<'t, Threat>> = describing(ranked)
        .into_iter()
        .map(|(rule, index)| (rule, finding(index)))
        .collect();
    let results = Results {
        source,
        baseline,
        rule_index: rules.keys().enumerate().map(|(i, id)| (*id, i)).collect(),
    };
    let tool = json!({"driver": {
        "name": "threatscribe",
        "version": VERSION,
        "semanticVersion": VERSION,
        "rules": rules.values().map(|t| rule(t)).collect::<Vec<_>>(),
    }});
    let artifacts = json!([{"location": {"uri": source.path}}]);
    // The document is written piece by piece, each result made and printed in turn (on every
    // core, in chunks spliced in order): built whole as one JSON value, a report of 100,000
    // results held gigabytes. The layout is serde_json's pretty one, as the whole value
    // printed before.
    out.write_all(b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")?;
    write_at(out, 3, &tool)?;
    out.write_all(b",\n      \"artifacts\": ")?;
    write_at(out, 3, &artifacts)?;
    out.write_all(b",\n      \"results\": [")?;
    let print = |(): &mut (), range: std::ops::Range<usize>| -> io::Result<Vec<u8>> {
        let mut buffer = Vec::new();
        for i in range {
            buffer.extend_from_slice(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            write_at(&mut buffer, 4, &results.result(&finding(i)))?;
        }
        Ok(buffer)
    };
    in_order(n, print, |chunk| out.write_all(&chunk))?;
    if n > 0 {
        out.write_all(b"\n      ")?;
    }
    out.write_all(b"]\n    }\n  ]\n}\n")
}

impl Render for Sarif {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let threats = &report.analysis.threats;
        write(
            out,
            report.source,
            report.baseline.as_ref(),
            threats.iter().map(|t| (t.rule.as_str(), t.severity)),
            threats.len(),
            |i| Cow::Borrowed(&threats[i]),
        )
    }
}

impl Sarif {
    /// The same SARIF as `render` gives for `analysis.into_analysis()`, byte for byte, each
    /// finding written only when its result comes.
    pub fn render_streaming(
        &self,
        analysis: &StreamingAnalysis<'_>,
        source: &Source,
        baseline: Option<&Baseline>,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        write(
            out,
            source,
            baseline,
            analysis.outlines().map(|o| (o.rule, o.severity)),
            analysis.len(),
            |i| Cow::Owned(analysis.threat(i)),
        )
    }
}
