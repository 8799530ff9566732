//! The Markdown report: the sections of the reference report, each written from the analysis.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

use threatscribe_engine::{Analysis, CoverageCell, join_names};
use threatscribe_model::{Element, ElementKind, Status, Threat};

use crate::{Render, Report, Summary, Usage, VERSION, mermaid};

pub struct Markdown;

/// Escapes user text for running Markdown: every ASCII punctuation character that could start
/// markup is backslash-escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// Makes knowledge-base prose (which may hold `code spans`, and names filled in from the
/// model) safe inside a table cell or paragraph: no raw HTML outside code spans, no cell
/// breaks, no line breaks.
fn prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            // Links, images and emphasis are the renderer's to make: text from an LLM or an
            // imported file must not turn into a link.
            '[' | ']' | '*' | '_' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '&' if !in_code => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A fence longer than any run of backticks in `body`, so the input cannot close it.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

/// "1 process", "2 processes".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first sentence of a description.
fn first_sentence(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut in_code = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'`' {
            in_code = !in_code;
        } else if !in_code
            && b == b'.'
            && bytes.get(i + 1) == Some(&b' ')
            && bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase)
        {
            return &s[..=i];
        }
    }
    s
}

fn reference_link(id: &str) -> String {
    if let Some(n) = id.strip_prefix("CWE-") {
        format!("[{id}](https://cwe.mitre.org/data/definitions/{n}.html)")
    } else if let Some(n) = id.strip_prefix("CAPEC-") {
        format!("[{id}](https://capec.mitre.org/data/definitions/{n}.html)")
    } else if id.starts_with("API") {
        format!("[OWASP {id}](https://owasp.org/API-Security/editions/2023/en/0x11-t10/)")
    } else if id.starts_with("LLM") {
        format!("[OWASP {id}](https://genai.owasp.org/llm-top-10/)")
    } else if id.ends_with(":2025") {
        format!("[OWASP {id}](https://owasp.org/Top10/2025/)")
    } else {
        format!("OWASP {id}")
    }
}

fn categories(threat: &Threat) -> String {
    threat
        .categories
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(", ")
}

fn severity_cell(threat: &Threat) -> String {
    match threat.status {
        Status::Open => threat.severity.label().to_owned(),
        status => format!("{} ({status})", threat.severity.label()),
    }
}

fn boundary_path(analysis: &Analysis, element: &Element) -> String {
    let chain = analysis.model.boundary_chain(element.boundary.as_deref());
    chain
        .iter()
        .map(|b| text(&b.name))
        .collect::<Vec<_>>()
        .join(" in ")
}

/// The components in model order (elements, then flows), each with its threats.
fn components(analysis: &Analysis) -> Vec<(&str, Vec<&Threat>)> {
    let ids = analysis
        .model
        .elements
        .iter()
        .map(|e| e.id.as_str())
        .chain(analysis.model.flows.iter().map(|f| f.id.as_str()));
    ids.map(|id| (id, analysis.threats_on(id).collect::<Vec<_>>()))
        .filter(|(_, list)| !list.is_empty())
        .collect()
}

fn anchor(threat: &Threat) -> String {
    threat.id.to_ascii_lowercase().replace('@', "-")
}

impl Render for Markdown {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        // Section by section, each written out before the next is built, so a large report is
        // never held whole in memory.
        let sections: [&dyn Fn(&mut String); 9] = [
            &|doc| write_title(doc, report),
            &|doc| write_summary(doc, report),
            &|doc| write_results(doc, report.analysis),
            &|doc| write_diagram(doc, report.analysis),
            &|doc| write_discussion(doc, report.analysis, report.llm),
            &|doc| write_assumptions(doc, report.analysis),
            &|doc| write_appendix(doc, report),
            &|doc| write_usage(doc, report),
            &|doc| write_log(doc, report),
        ];
        let mut doc = String::new();
        for section in sections {
            doc.clear();
            section(&mut doc);
            out.write_all(doc.as_bytes())?;
        }
        Ok(())
    }
}

fn write_title(doc: &mut String, report: &Report<'_>) {
    let analysis = report.analysis;
    let _ = writeln!(doc, "# Threat model: {}\n", text(&analysis.model.name));
    let llm = match report.llm {
        None => "no LLM was used. Every finding below comes from a rule applied to an element or flow of the model, with the facts that made it apply.".to_owned(),
        Some(run) => format!(
            "the LLM `{}` added to it through the architect, analyst, reviewer and writer agents. Every finding below comes from a rule applied to an element or flow of the model, with the facts that made it apply, or, where its source is `llm:`, from the analyst agent after the built-in checks and the reviewer agent passed it.",
            run.provider.replace('`', "'")
        ),
    };
    let _ = writeln!(
        doc,
        "Generated by threatscribe {VERSION} from the {} `{}` with its built-in knowledge base of {} rules and {} controls; {llm}\n",
        text(&report.source.kind),
        report.source.path.replace('`', "'"),
        report.knowledge_base.0,
        report.knowledge_base.1
    );
}

fn write_summary(doc: &mut String, report: &Report<'_>) {
    let analysis = report.analysis;
    let model = &analysis.model;
    let summary = Summary::of(
        &analysis.threats,
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len(),
    );
    doc.push_str("## Executive Summary\n\n");
    if let Some(description) = &model.description {
        let _ = writeln!(doc, "{}\n", text(description.trim()));
    }
    let count = |kind: ElementKind, one: &str, many: &str| {
        plural(
            model.elements.iter().filter(|e| e.kind == kind).count(),
            one,
            many,
        )
    };
    let _ = writeln!(
        doc,
        "The model has {} ({}, {}, {}), {} and {}. The analysis found **{}**: {}.\n",
        plural(summary.elements, "element", "elements"),
        count(
            ElementKind::ExternalEntity,
            "external entity",
            "external entities"
        ),
        count(ElementKind::Process, "process", "processes"),
        count(ElementKind::DataStore, "data store", "data stores"),
        plural(summary.flows, "data flow", "data flows"),
        plural(summary.boundaries, "trust boundary", "trust boundaries"),
        plural(summary.total, "threat", "threats"),
        summary.status_phrase()
    );

    let mut priorities: Vec<&Threat> = Vec::new();
    for threat in analysis
        .threats
        .iter()
        .filter(|t| t.status.is_unresolved() && t.source != "kb:baseline")
    {
        if priorities.len() == 5 {
            break;
        }
        if !priorities.iter().any(|p| p.rule == threat.rule) {
            priorities.push(threat);
        }
    }
    if !priorities.is_empty() {
        doc.push_str("Top priorities, the most severe open findings:\n\n");
        for (n, threat) in priorities.iter().enumerate() {
            let first_step = threat.mitigations.first().map(|m| {
                let specific = m
                    .technology_guidance
                    .first()
                    .map(|g| format!(" For {}: {}", g.name, first_sentence(&g.guidance)))
                    .unwrap_or_default();
                format!(" First step: {}.{specific}", m.title)
            });
            let _ = writeln!(
                doc,
                "{}. **{}** ({}, [`{}`](#{})). {}{}",
                n + 1,
                prose(&threat.title),
                threat.severity.label(),
                threat.id,
                anchor(threat),
                prose(first_sentence(&threat.description)),
                prose(&first_step.unwrap_or_default())
            );
        }
        doc.push('\n');
    }

    doc.push_str(
        "| Open findings | Critical | High | Medium | Low |\n|---|---|---|---|---|\n| count |",
    );
    for (_, n) in &summary.by_severity {
        let _ = write!(doc, " {n} |");
    }
    doc.push_str("\n\n| STRIDE (primary category) | Findings |\n|---|---|\n");
    for (stride, n) in &summary.by_stride {
        let _ = writeln!(doc, "| {} | {n} |", stride.label());
    }
    doc.push('\n');
    if let Some(run) = report.llm {
        write_llm_summary(doc, report.analysis, run);
    }
}

/// What the LLM agents added, what went wrong, and the writer's summary, beside the built-in one.
fn write_llm_summary(doc: &mut String, analysis: &Analysis, run: &threatscribe_model::LlmRun) {
    let added = analysis
        .threats
        .iter()
        .filter(|t| t.source.starts_with("llm:"))
        .count();
    let _ = writeln!(
        doc,
        "The LLM `{}` took part: {} above {} from its analyst agent, checked against the model and judged by its reviewer agent; {} refused (see the Conversation Log).\n",
        run.provider.replace('`', "'"),
        plural(added, "finding", "findings"),
        if added == 1 { "comes" } else { "come" },
        plural(run.rejected.len(), "proposal was", "proposals were")
    );
    for problem in &run.problems {
        let _ = writeln!(doc, "> **LLM:** {}\n", text(problem));
    }
    if let Some(narrative) = &run.narrative {
        let _ = writeln!(
            doc,
            "### Summary by the writer agent\n\n*Written by `{}` from the findings of this report; the figures above are the built-in analysis's own.*\n\n{}\n",
            narrative.source.replace('`', "'"),
            text(&narrative.executive_summary)
        );
    }
}

fn mitigation_cell(threat: &Threat) -> String {
    threat
        .mitigations
        .iter()
        .map(|m| {
            let mut cell = format!("**{}**", prose(&m.title));
            for guidance in &m.technology_guidance {
                let _ = write!(
                    cell,
                    "<br>*{}:* {}",
                    prose(&guidance.name),
                    prose(first_sentence(&guidance.guidance))
                );
            }
            cell
        })
        .collect::<Vec<_>>()
        .join("<br><br>")
}

fn write_results(doc: &mut String, analysis: &Analysis) {
    doc.push_str("## Results\n\nFindings grouped by component, most severe first, with the first step of each mitigation for the technologies the component uses. The Discussion section has each finding's full description, the facts that made it apply, its rating, the complete guidance and references.\n\n");
    for (id, threats) in components(analysis) {
        // Accepted and false-positive findings have their own section below.
        let threats: Vec<&Threat> = threats.into_iter().filter(|t| !set_aside(t)).collect();
        if threats.is_empty() {
            continue;
        }
        let heading = match analysis.element(id) {
            Some(element) => {
                let place = boundary_path(analysis, element);
                if place.is_empty() {
                    format!("{} ({})", text(&element.name), element.kind.label())
                } else {
                    format!(
                        "{} ({}, {place})",
                        text(&element.name),
                        element.kind.label()
                    )
                }
            }
            None => format!("Flow {} (`{id}`)", text(&analysis.target_name(id))),
        };
        let _ = writeln!(doc, "### {heading}\n");
        doc.push_str("| Threat | STRIDE | Severity | Mitigations |\n|---|---|---|---|\n");
        for threat in threats {
            let _ = writeln!(
                doc,
                "| [{}](#{})<br>`{}` | {} | {} | {} |",
                prose(&threat.title),
                anchor(threat),
                threat.id,
                categories(threat),
                severity_cell(threat),
                mitigation_cell(threat)
            );
        }
        doc.push('\n');
    }

    write_tracking(doc, analysis);
    doc.push_str("### STRIDE coverage\n\nEvery element and flow against every STRIDE category: the number of open findings, ✓ when all findings there are mitigated, — when the category does not apply to that kind of element (the reason is in the JSON report), ⚠ when it applies but no rule produced a finding.\n\n");
    doc.push_str(
        "| Component | Kind | S | T | R | I | D | E |\n|---|---|---|---|---|---|---|---|\n",
    );
    for row in &analysis.coverage {
        let _ = write!(
            doc,
            "| {} | {} |",
            text(&row.name),
            row.kind.replace('_', " ")
        );
        for (_, cell) in &row.cells {
            let mark = match cell {
                CoverageCell::Found { threats } => threats.len().to_string(),
                CoverageCell::Mitigated { .. } => "✓".to_owned(),
                CoverageCell::NotApplicable { .. } => "—".to_owned(),
                CoverageCell::Gap => "⚠".to_owned(),
            };
            let _ = write!(doc, " {mark} |");
        }
        doc.push('\n');
    }
    doc.push('\n');
}

fn write_diagram(doc: &mut String, analysis: &Analysis) {
    doc.push_str("## Data Flow Diagram\n\nTrust boundaries are drawn as boxes; external entities as rectangles, processes as circles, data stores as cylinders. Arrows point from the element that sends or initiates.\n\n");
    let _ = writeln!(doc, "```mermaid\n{}```\n", mermaid(analysis));
}

/// Accepted and false-positive findings are listed apart from the open work.
fn set_aside(threat: &Threat) -> bool {
    matches!(threat.status, Status::Accepted | Status::FalsePositive)
}

/// "accepted by Dana (2026-03-01, until 2026-12-31, SEC-12): the admin is on a VPN."
fn tracking_line(tracking: &threatscribe_model::Tracking) -> String {
    let entry = &tracking.entry;
    let mut line = entry.status.as_str().to_owned();
    if let Some(owner) = &entry.owner {
        line.push_str(&format!(" by {owner}"));
    }
    let details: Vec<String> = [
        entry.date.clone(),
        entry.expires.as_ref().map(|e| format!("until {e}")),
        entry.ticket.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        line.push_str(&format!(" ({})", details.join(", ")));
    }
    if let Some(justification) = &entry.justification {
        line.push_str(&format!(": {justification}"));
    }
    if tracking.expired {
        line.push_str(" (expired: counted as open again)");
    }
    line
}

/// Counts by status, the findings set aside as accepted or false positive, and what the
/// tracking entries said that matched nothing or lapsed.
fn write_tracking(doc: &mut String, analysis: &Analysis) {
    let tracked = analysis.threats.iter().any(|t| t.tracking.is_some())
        || !analysis.tracking_notes.is_empty();
    if !tracked {
        return;
    }
    let summary = Summary::of(&analysis.threats, 0, 0, 0);
    doc.push_str("### Tracking\n\n| Status | Findings |\n|---|---|\n");
    for (status, n) in &summary.by_status {
        let _ = writeln!(doc, "| {status} | {n} |");
    }
    doc.push('\n');
    for note in &analysis.tracking_notes {
        let _ = writeln!(doc, "- {}", prose(note));
    }
    if !analysis.tracking_notes.is_empty() {
        doc.push('\n');
    }
    let aside: Vec<&Threat> = analysis.threats.iter().filter(|t| set_aside(t)).collect();
    if !aside.is_empty() {
        doc.push_str("#### Accepted and false-positive findings\n\n| Threat | Severity | Decision |\n|---|---|---|\n");
        for t in aside {
            let decision = t.tracking.as_ref().map(tracking_line).unwrap_or_default();
            let _ = writeln!(
                doc,
                "| [{}](#{})<br>`{}` | {} | {} |",
                prose(&t.title),
                anchor(t),
                t.id,
                t.severity.label(),
                prose(&decision)
            );
        }
        doc.push('\n');
    }
}

/// Who each element sends to and receives from, by element id, built once per report: scanning
/// every flow for every element made large models quadratic.
struct Neighbours<'a> {
    sends: HashMap<&'a str, Vec<&'a str>>,
    receives: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Neighbours<'a> {
    fn of(analysis: &'a Analysis) -> Self {
        let mut sends: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut receives: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &analysis.model.flows {
            sends.entry(&f.from).or_default().push(&f.to);
            receives.entry(&f.to).or_default().push(&f.from);
        }
        Neighbours { sends, receives }
    }
}

fn describe_element(analysis: &Analysis, neighbours: &Neighbours<'_>, element: &Element) -> String {
    let mut sentence = format!(
        "{} is {} {}",
        text(&element.name),
        if element.kind == ElementKind::ExternalEntity {
            "an"
        } else {
            "a"
        },
        element.kind.label()
    );
    for (n, boundary) in analysis
        .model
        .boundary_chain(element.boundary.as_deref())
        .iter()
        .enumerate()
    {
        let _ = write!(
            sentence,
            "{} {} ({})",
            if n == 0 { " inside" } else { ", within" },
            text(&boundary.name),
            boundary.kind
        );
    }
    if !element.technologies.is_empty() {
        let names: Vec<String> = element
            .technologies
            .iter()
            .map(|t| text(analysis.technology_name(t)))
            .collect();
        let _ = write!(sentence, ", built with {}", join_names(&names));
    }
    sentence.push('.');
    let names = |map: &HashMap<&str, Vec<&str>>| -> Vec<String> {
        map.get(element.id.as_str())
            .into_iter()
            .flatten()
            .map(|id| text(&analysis.target_name(id)))
            .collect()
    };
    let sends = names(&neighbours.sends);
    let receives = names(&neighbours.receives);
    if !receives.is_empty() {
        let _ = write!(
            sentence,
            " It receives data from {}.",
            join_names(&receives)
        );
    }
    if !sends.is_empty() {
        let _ = write!(sentence, " It sends data to {}.", join_names(&sends));
    }
    sentence
}

fn write_threat_detail(doc: &mut String, threat: &Threat) {
    let _ = writeln!(
        doc,
        "<a id=\"{}\"></a>\n#### {} · {}\n",
        anchor(threat),
        threat.severity.label(),
        prose(&threat.title)
    );
    let references: Vec<String> = threat.references().map(reference_link).collect();
    let _ = writeln!(
        doc,
        "`{}` · {} · likelihood {}, impact {} · **{}**, residual {}{}\n",
        threat.id,
        categories(threat),
        threat.likelihood,
        threat.impact,
        threat.status,
        threat
            .residual_severity
            .map_or("none", threatscribe_model::Severity::as_str),
        if references.is_empty() {
            String::new()
        } else {
            format!(" · {}", references.join(", "))
        }
    );
    let _ = writeln!(doc, "{}\n", prose(&threat.description));
    if let Some(by) = &threat.mitigated_by {
        let _ = writeln!(doc, "**Mitigated by design:** {}.\n", prose(by));
    }
    if let Some(tracking) = &threat.tracking {
        let _ = writeln!(doc, "**Tracked:** {}\n", prose(&tracking_line(tracking)));
    }
    if !threat.evidence.is_empty() {
        let _ = writeln!(
            doc,
            "**Why it applies:** {}.\n",
            prose(&threat.evidence.join("; "))
        );
    }
    let _ = writeln!(
        doc,
        "**Rating:** {}\n",
        prose(&threat.rating_reasoning.join(" "))
    );
    doc.push_str("**Mitigations:**\n\n");
    for mitigation in &threat.mitigations {
        let _ = writeln!(
            doc,
            "- **{}.** {}",
            prose(&mitigation.title),
            prose(&mitigation.description)
        );
        for guidance in &mitigation.technology_guidance {
            let _ = writeln!(
                doc,
                "  - *{}:* {}",
                prose(&guidance.name),
                prose(&guidance.guidance)
            );
        }
        if !mitigation.references.is_empty() {
            let links: Vec<String> = mitigation
                .references
                .iter()
                .map(|r| format!("<{}>", r.replace(['<', '>', ' '], "")))
                .collect();
            let _ = writeln!(doc, "  - See {}", links.join(", "));
        }
    }
    doc.push('\n');
}

fn write_discussion(
    doc: &mut String,
    analysis: &Analysis,
    llm: Option<&threatscribe_model::LlmRun>,
) {
    doc.push_str("## Discussion\n\n");
    if let Some(narrative) = llm.and_then(|run| run.narrative.as_ref()) {
        let _ = writeln!(
            doc,
            "*The writer agent (`{}`):* {}\n",
            narrative.source.replace('`', "'"),
            text(&narrative.discussion)
        );
    }
    let neighbours = Neighbours::of(analysis);
    for (id, threats) in components(analysis) {
        let open: Vec<&&Threat> = threats
            .iter()
            .filter(|t| t.status.is_unresolved())
            .collect();
        let mut worst = String::new();
        if let Some(first) = open.first() {
            worst = format!(
                " The most severe open finding is {} ({}).",
                prose(&first.title),
                first.severity
            );
        }
        if let Some(element) = analysis.element(id) {
            let _ = writeln!(doc, "### {}\n", text(&element.name));
            let _ = writeln!(
                doc,
                "{} {} findings, {} open.{worst}\n",
                describe_element(analysis, &neighbours, element),
                threats.len(),
                open.len()
            );
        } else {
            {
                let flow = analysis.flow(id).expect("components are elements or flows");
                let _ = writeln!(doc, "### Flow {}\n", text(&analysis.target_name(id)));
                let protocol = flow.protocol.as_deref().map_or_else(
                    || "an unstated protocol".to_owned(),
                    |p| text(analysis.technology_name(p)),
                );
                let data: Vec<String> = flow
                    .data
                    .iter()
                    .map(|d| {
                        text(
                            analysis
                                .model
                                .data_asset(d)
                                .map_or(d.as_str(), |a| a.name.as_str()),
                        )
                    })
                    .collect();
                let carries = if data.is_empty() {
                    "no declared data".to_owned()
                } else {
                    join_names(&data)
                };
                let _ = writeln!(
                    doc,
                    "This flow (`{id}`) carries {carries} over {protocol}. {} findings, {} open.{worst}\n",
                    threats.len(),
                    open.len()
                );
            }
        }
        for threat in threats {
            write_threat_detail(doc, threat);
        }
    }
}

fn write_assumptions(doc: &mut String, analysis: &Analysis) {
    doc.push_str("## Assumptions and Open Questions\n\n### Assumptions\n\nWhat the analysis took to be true where the model is silent. Correct the model where one is wrong.\n\n");
    if analysis.assumptions.is_empty() {
        doc.push_str("None: the model states everything the rules needed.\n");
    }
    for assumption in &analysis.assumptions {
        let _ = writeln!(doc, "- {}", prose(assumption));
    }
    doc.push_str("\n### Open questions\n\nAnswers to these change the findings: most map to a property that marks a finding mitigated.\n\n");
    if analysis.questions.is_empty() {
        doc.push_str("None.\n");
    }
    for question in &analysis.questions {
        let _ = writeln!(doc, "- {}", prose(question));
    }
    doc.push('\n');
}

#[allow(clippy::too_many_lines)] // the input, then one table per part of the model
fn write_appendix(doc: &mut String, report: &Report<'_>) {
    let analysis = report.analysis;
    let model = &analysis.model;
    doc.push_str("## Appendix\n\n### Input as given\n\n");
    let language = if report.source.kind.contains("JSON") {
        "json"
    } else {
        "yaml"
    };
    let fence = fence(&report.source.text);
    let body = report.source.text.trim_end_matches('\n');
    let _ = writeln!(doc, "{fence}{language}\n{body}\n{fence}\n");
    if !report.source.warnings.is_empty() {
        doc.push_str("Warnings raised while reading it:\n\n");
        for warning in &report.source.warnings {
            let _ = writeln!(doc, "- {}", text(warning));
        }
        doc.push('\n');
    }
    doc.push_str("### Model as understood\n\n#### Elements\n\n| Id | Name | Kind | Technologies | Boundary | Tags |\n|---|---|---|---|---|---|\n");
    for e in &model.elements {
        let technologies: Vec<String> = e
            .technologies
            .iter()
            .map(|t| text(analysis.technology_name(t)))
            .collect();
        let _ = writeln!(
            doc,
            "| `{}` | {} | {} | {} | {} | {} |",
            e.id,
            text(&e.name),
            e.kind.label(),
            technologies.join(", "),
            e.boundary.as_deref().map(text).unwrap_or_default(),
            e.tags
                .iter()
                .map(|t| text(t))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    doc.push_str("\n#### Flows\n\n| Id | From | To | Protocol | Data | Properties |\n|---|---|---|---|---|---|\n");
    for f in &model.flows {
        let properties: Vec<String> = f
            .properties
            .iter()
            .map(|(k, v)| text(&format!("{k}: {v}")))
            .collect();
        let _ = writeln!(
            doc,
            "| `{}` | `{}` | `{}` | {} | {} | {} |",
            f.id,
            f.from,
            f.to,
            f.protocol
                .as_deref()
                .map(|p| text(analysis.technology_name(p)))
                .unwrap_or_default(),
            f.data
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", "),
            properties.join(", ")
        );
    }
    if !model.boundaries.is_empty() {
        doc.push_str(
            "\n#### Trust boundaries\n\n| Id | Name | Kind | Inside |\n|---|---|---|---|\n",
        );
        for b in &model.boundaries {
            let _ = writeln!(
                doc,
                "| `{}` | {} | {} | {} |",
                b.id,
                text(&b.name),
                b.kind,
                b.parent
                    .as_deref()
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_default()
            );
        }
    }
    if !model.data_assets.is_empty() {
        doc.push_str("\n#### Data assets\n\n| Id | Name | Classification |\n|---|---|---|\n");
        for d in &model.data_assets {
            let _ = writeln!(
                doc,
                "| `{}` | {} | {} |",
                d.id,
                text(&d.name),
                d.classification
            );
        }
    }
    let with_properties: Vec<&Element> = model
        .elements
        .iter()
        .filter(|e| !e.properties.is_empty())
        .collect();
    if !with_properties.is_empty() {
        doc.push_str("\n#### Declared properties\n\n");
        for e in with_properties {
            let properties: Vec<String> = e
                .properties
                .iter()
                .map(|(k, v)| format!("`{k}: {}`", v.to_string().replace('`', "'")))
                .collect();
            let _ = writeln!(doc, "- `{}`: {}", e.id, properties.join(", "));
        }
    }
    doc.push('\n');
}

fn write_usage(doc: &mut String, report: &Report<'_>) {
    doc.push_str("## Usage Costs\n\n");
    let Some(run) = report.llm else {
        let _ = writeln!(
            doc,
            "No LLM was called: 0 calls, 0 input tokens, 0 output tokens, **$0.00**. The analysis ran offline on the built-in knowledge base ({} rules, {} controls, {} catalogued technologies).\n",
            report.knowledge_base.0, report.knowledge_base.1, report.knowledge_base.2
        );
        return;
    };
    let usage = Usage::of(Some(run));
    let _ = writeln!(
        doc,
        "Spent this run with `{}`: {} calls, {} input tokens, {} output tokens, **${:.4}**{}. Token counts are the provider's own (its usage fields); prices come from {}.\n",
        run.provider.replace('`', "'"),
        usage.calls,
        usage.input_tokens,
        usage.output_tokens,
        usage.cost_usd,
        if usage.cached_calls > 0 {
            format!(
                "; {} more answered from the response cache at no cost",
                usage.cached_calls
            )
        } else {
            String::new()
        },
        text(&run.price_source)
    );
    if run.calls.is_empty() {
        return;
    }
    doc.push_str("| Role | Model | Calls | Cached | Input tokens | Output tokens | Cost (USD) |\n|---|---|---|---|---|---|---|\n");
    for (role, model, totals) in crate::llm::totals(run) {
        let _ = writeln!(
            doc,
            "| {role} | {} | {} | {} | {} | {} | {:.4} |",
            text(model),
            totals.calls,
            totals.cached,
            totals.input_tokens,
            totals.output_tokens,
            totals.cost_usd
        );
    }
    doc.push_str("\nEvery call (a cached call's tokens and cost are those of the original call):\n\n| # | Role | Subject | Input tokens | Output tokens | Cost (USD) | Attempts | Outcome |\n|---|---|---|---|---|---|---|---|\n");
    for call in &run.calls {
        let _ = writeln!(
            doc,
            "| {} |",
            crate::llm::call_cells(call, text).join(" | ")
        );
    }
    doc.push('\n');
}

fn write_log(doc: &mut String, report: &Report<'_>) {
    doc.push_str("## Conversation Log\n\nWhat each role of the pipeline did, in order.\n\n| # | Role | What it did |\n|---|---|---|\n");
    let mut n = 0;
    for entry in &report.analysis.log {
        n += 1;
        let _ = writeln!(
            doc,
            "| {n} | {} | {} |",
            entry.role.as_str(),
            prose(&entry.message)
        );
    }
    let sections = "Executive Summary, Results, Data Flow Diagram, Discussion, Assumptions and Open Questions, Appendix, Usage Costs, Conversation Log";
    let _ = writeln!(
        doc,
        "| {} | writer | Wrote this Markdown report ({sections}) from {} findings, {} assumptions and {} open questions. |",
        n + 1,
        report.analysis.threats.len(),
        report.analysis.assumptions.len(),
        report.analysis.questions.len()
    );
    if let Some(run) = report.llm {
        write_llm_log(doc, run);
    }
}

/// What the agents proposed and was refused, then every message exchanged, per call.
fn write_llm_log(doc: &mut String, run: &threatscribe_model::LlmRun) {
    doc.push_str("\n### Refused and dropped\n\n");
    if run.rejected.is_empty() {
        doc.push_str("Nothing an agent proposed was refused.\n");
    } else {
        doc.push_str("What the agents proposed that failed a check or the reviewer, with the reason; none of it is in the findings.\n\n");
        for line in &run.rejected {
            let _ = writeln!(doc, "- {}", text(line));
        }
    }
    doc.push_str("\n### Messages\n\nEvery message exchanged with the LLM, in call order, as sent and received (credentials redacted).\n");
    for m in &run.messages {
        let fence = fence(&m.content);
        let _ = writeln!(
            doc,
            "\n**Call {} · {} · {}**\n\n{fence}text\n{}\n{fence}",
            m.call,
            m.role.as_str(),
            m.speaker,
            m.content.replace('\r', "")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_inject_markup() {
        assert_eq!(text("<script>|*x*"), "\\<script\\>\\|\\*x\\*");
        assert_eq!(
            prose("use `a|b` not <b>x</b>"),
            "use `a\\|b` not &lt;b&gt;x&lt;/b&gt;"
        );
        assert_eq!(prose("line\nbreak"), "line break");
    }

    #[test]
    fn fences_outgrow_the_input() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("has ```` four"), "`````");
    }

    #[test]
    fn first_sentence_stops_at_a_sentence_end() {
        assert_eq!(first_sentence("One thing. Two things."), "One thing.");
        assert_eq!(first_sentence("Use e.g. this. Then"), "Use e.g. this.");
        assert_eq!(
            first_sentence("Call `text(\"... WHERE\")` here. Next"),
            "Call `text(\"... WHERE\")` here."
        );
    }
}
