//! The HTML report: one self-contained page (inline CSS, JS and SVG; nothing fetched) with the
//! diagram, a findings table that filters and sorts, the coverage matrix, and every finding's
//! detail. Everything from the input is HTML-escaped; knowledge-base text may carry `code`
//! spans, which become <code> after escaping.

use std::fmt::Write as _;
use std::io;

use threatscribe_engine::{Analysis, CoverageCell};
use threatscribe_model::{Severity, Threat};

use crate::{Render, Report, Summary, VERSION, svg};

pub struct Html;

/// The report as a page of the web app: its script comes from the app's own assets (the app's
/// Content-Security-Policy allows no inline script), every finding gets a form to record a
/// decision, and the app's navigation goes on top.
pub struct LiveHtml<'a> {
    /// Extra elements for the page's head (the app's stylesheet links), as HTML the app made.
    pub head: &'a str,
    /// The app's navigation, as HTML the app made (and escaped).
    pub nav: &'a str,
    /// Where the page's script is served.
    pub script_src: &'a str,
    /// The session's anti-CSRF token, sent back with each decision.
    pub csrf_token: &'a str,
    /// Decisions are PUT to this prefix followed by the threat id.
    pub tracking_url: &'a str,
}

/// The script of the report page: filters, sorting, details. The web app serves it as a file.
pub const REPORT_SCRIPT: &str = SCRIPT;

impl Html {
    /// The report as a page of the web app.
    pub fn render_live(
        report: &Report<'_>,
        live: &LiveHtml<'_>,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        out.write_all(document(report, Some(live)).as_bytes())
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes prose, then turns `code` spans into <code> elements.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

fn reference_link(id: &str) -> String {
    let url = if let Some(n) = id.strip_prefix("CWE-") {
        format!("https://cwe.mitre.org/data/definitions/{n}.html")
    } else if let Some(n) = id.strip_prefix("CAPEC-") {
        format!("https://capec.mitre.org/data/definitions/{n}.html")
    } else if id.starts_with("API") {
        "https://owasp.org/API-Security/editions/2023/en/0x11-t10/".to_owned()
    } else if id.starts_with("LLM") {
        "https://genai.owasp.org/llm-top-10/".to_owned()
    } else {
        "https://owasp.org/Top10/2025/".to_owned()
    };
    format!(
        r#"<a href="{}" rel="noreferrer">{}</a>"#,
        esc(&url),
        esc(id)
    )
}

const STYLE: &str = r#"
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg:#fff;--soft:#f6f8fa;--critical:#8e1b1b;--high:#c2410c;--medium:#a16207;--low:#3f6212;--ok:#166534}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:28px 40px 18px;border-bottom:1px solid var(--line)}header h1{margin:0 0 6px;font-size:26px}header p{margin:0;color:var(--muted)}
main{padding:8px 40px 48px;max-width:1400px}h2{margin:36px 0 12px;font-size:20px;border-bottom:1px solid var(--line);padding-bottom:6px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:18px 0}.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:110px}.card b{display:block;font-size:24px}
.card.critical b{color:var(--critical)}.card.high b{color:var(--high)}.card.medium b{color:var(--medium)}.card.low b{color:var(--low)}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}.sev.critical{background:var(--critical)}.sev.high{background:var(--high)}.sev.medium{background:var(--medium)}.sev.low{background:var(--low)}
.status{font-size:12px;color:var(--muted)}.status.mitigated{color:var(--ok);font-weight:600}
.diagram{overflow:auto;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff}
.filters{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}.filters label{font-size:13px;color:var(--muted)}.filters select,.filters input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}th{background:var(--soft);font-size:13px;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
tr.finding>td{cursor:pointer}tr.finding:hover>td{background:#fafbfc}tr.detail>td{background:var(--soft);padding:14px 18px}tr.detail[hidden]{display:none}
.detail h4{margin:12px 0 4px}.detail ul{margin:4px 0 8px;padding-left:20px}.detail .tech{color:var(--muted)}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f4;padding:1px 4px;border-radius:4px}
.matrix td,.matrix th{text-align:center}.matrix td:first-child,.matrix th:first-child{text-align:left}.m-found{background:#fde8e8}.m-mitigated{background:#e7f5ea}.m-na{color:#9aa0a6}.m-gap{background:#fff3cd}
footer{color:var(--muted);font-size:13px;padding:0 40px 30px}
.warning{border-left:4px solid var(--high);background:#fff7ed;padding:8px 12px}
details{border-bottom:1px solid var(--line);padding:4px 0}details summary{cursor:pointer;font-size:13px;color:var(--muted)}details pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:10px;font-size:12px;max-height:420px;overflow:auto}
@media print{.filters,.noprint{display:none}tr.detail[hidden]{display:table-row}header,main{padding-left:0;padding-right:0}h2{break-after:avoid}tr{break-inside:avoid}.diagram{border:none}a{color:inherit}}
"#;

const SCRIPT: &str = r"
(function(){
  var table=document.getElementById('findings');if(!table)return;
  var body=table.tBodies[0];
  function rows(){var out=[];var r=body.rows;for(var i=0;i<r.length;i+=2){out.push([r[i],r[i+1]]);}return out;}
  function apply(){
    var sev=document.getElementById('f-severity').value,str=document.getElementById('f-stride').value,
        comp=document.getElementById('f-component').value,q=document.getElementById('f-text').value.toLowerCase(),shown=0;
    rows().forEach(function(p){var d=p[0].dataset;
      var ok=(!sev||d.severity===sev)&&(!str||d.stride.split(' ').indexOf(str)>=0)&&(!comp||d.component===comp)&&(!q||p[0].textContent.toLowerCase().indexOf(q)>=0);
      p[0].hidden=!ok;if(!ok)p[1].hidden=true;if(ok)shown++;});
    document.getElementById('f-count').textContent=shown+' shown';
  }
  ['f-severity','f-stride','f-component','f-text'].forEach(function(id){document.getElementById(id).addEventListener('input',apply);});
  body.addEventListener('click',function(e){var tr=e.target.closest('tr.finding');if(!tr||e.target.closest('a'))return;var d=tr.nextElementSibling;d.hidden=!d.hidden;tr.setAttribute('aria-expanded',String(!d.hidden));});
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,col){th.addEventListener('click',function(){
    var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});th.setAttribute('aria-sort',dir);
    var key=th.dataset.key;var list=rows();
    list.sort(function(a,b){var x=a[0].dataset[key]||a[0].cells[col].textContent,y=b[0].dataset[key]||b[0].cells[col].textContent;
      var n=(+x)-(+y);var c=isNaN(n)?x.localeCompare(y):n;return dir==='ascending'?c:-c;});
    list.forEach(function(p){body.appendChild(p[0]);body.appendChild(p[1]);});});});
  window.addEventListener('beforeprint',function(){rows().forEach(function(p){if(!p[0].hidden)p[1].hidden=false;});});
  apply();
})();
";

/// `<li>` items of prose.
fn items(list: &[String]) -> String {
    list.iter().fold(String::new(), |mut out, item| {
        let _ = write!(out, "<li>{}</li>", prose(item));
        out
    })
}

fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 4,
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low => 1,
    }
}

#[allow(clippy::too_many_lines)] // the summary row, then the detail row's parts in reading order
fn finding_rows(out: &mut String, analysis: &Analysis, threat: &Threat, live: bool) {
    let component = analysis.target_name(&threat.target);
    let stride: Vec<&str> = threat.categories.iter().map(|c| c.as_str()).collect();
    let _ = writeln!(
        out,
        r#"<tr class="finding" tabindex="0" aria-expanded="false" data-severity="{sev}" data-rank="{rank}" data-stride="{stride}" data-component="{comp}" data-status="{status}"><td>{title}<br><code>{id}</code></td><td>{compv}</td><td>{cats}</td><td><span class="sev {sev}">{label}</span></td><td><span class="status {status}">{status}</span></td></tr>"#,
        sev = threat.severity.as_str(),
        rank = severity_rank(threat.severity),
        stride = esc(&stride.join(" ")),
        comp = esc(&threat.target),
        status = threat.status.as_str(),
        title = prose(&threat.title),
        id = esc(&threat.id),
        compv = esc(&component),
        cats = esc(&threat
            .categories
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(", ")),
        label = threat.severity.label(),
    );
    let mut detail = format!(
        "<p>{}</p><p><b>Status:</b> {}, residual severity {}.</p>",
        prose(&threat.description),
        threat.status,
        threat.residual_severity.map_or("none", Severity::as_str)
    );
    if let Some(tracking) = &threat.tracking {
        let entry = &tracking.entry;
        let _ = write!(
            detail,
            "<p><b>Tracked:</b> {}{}{}{}</p>",
            entry.status,
            entry
                .owner
                .as_deref()
                .map(|o| format!(" by {}", esc(o)))
                .unwrap_or_default(),
            entry
                .justification
                .as_deref()
                .map(|j| format!(": {}", prose(j)))
                .unwrap_or_default(),
            if tracking.expired {
                " <b>(expired: counted as open again)</b>"
            } else {
                ""
            }
        );
    }
    if let Some(by) = &threat.mitigated_by {
        let _ = write!(detail, "<p><b>Mitigated by design:</b> {}.</p>", prose(by));
    }
    if !threat.evidence.is_empty() {
        let _ = write!(
            detail,
            "<h4>Why it applies</h4><ul>{}</ul>",
            items(&threat.evidence)
        );
    }
    let _ = write!(
        detail,
        "<h4>Rating</h4><ul>{}</ul>",
        items(&threat.rating_reasoning)
    );
    detail.push_str("<h4>Mitigations</h4><ul>");
    for m in &threat.mitigations {
        let _ = write!(
            detail,
            "<li><b>{}.</b> {}",
            prose(&m.title),
            prose(&m.description)
        );
        if !m.technology_guidance.is_empty() {
            detail.push_str("<ul>");
            for g in &m.technology_guidance {
                let _ = write!(
                    detail,
                    "<li><span class=\"tech\">{}:</span> {}</li>",
                    esc(&g.name),
                    prose(&g.guidance)
                );
            }
            detail.push_str("</ul>");
        }
        if !m.references.is_empty() {
            let links: Vec<String> = m
                .references
                .iter()
                .map(|r| format!(r#"<a href="{0}" rel="noreferrer">{0}</a>"#, esc(r)))
                .collect();
            let _ = write!(detail, "<div class=\"tech\">See {}</div>", links.join(", "));
        }
        detail.push_str("</li>");
    }
    detail.push_str("</ul>");
    let references: Vec<String> = threat.references().map(reference_link).collect();
    if !references.is_empty() {
        let _ = write!(
            detail,
            "<p><b>References:</b> {}</p>",
            references.join(", ")
        );
    }
    if live {
        tracking_form(&mut detail, threat);
    }
    let _ = writeln!(
        out,
        r#"<tr class="detail" hidden><td colspan="5">{detail}</td></tr>"#
    );
}

/// The decision form of a finding in the web app: status and justification, saved by the
/// page's script.
fn tracking_form(detail: &mut String, threat: &Threat) {
    let options = threatscribe_model::Status::ALL
        .iter()
        .fold(String::new(), |mut out, status| {
            let _ = write!(
                out,
                r#"<option value="{0}"{1}>{0}</option>"#,
                status.as_str(),
                if *status == threat.status {
                    " selected"
                } else {
                    ""
                }
            );
            out
        });
    let justification = threat
        .tracking
        .as_ref()
        .and_then(|t| t.entry.justification.as_deref())
        .unwrap_or("");
    let _ = write!(
        detail,
        r#"<form class="track noprint" data-threat="{}"><h4>Decision</h4><label>Status <select name="status">{options}</select></label> <label>Justification <input name="justification" size="60" maxlength="2000" value="{}"></label> <button type="submit">Save</button> <span class="saved status" role="status"></span></form>"#,
        esc(&threat.id),
        esc(justification)
    );
}

fn options(values: &[(String, String)]) -> String {
    values.iter().fold(String::new(), |mut out, (v, label)| {
        let _ = write!(out, r#"<option value="{}">{}</option>"#, esc(v), esc(label));
        out
    })
}

fn write_findings(out: &mut String, analysis: &Analysis, live: bool) {
    let mut components: Vec<(String, String)> = Vec::new();
    for t in &analysis.threats {
        if !components.iter().any(|(id, _)| *id == t.target) {
            components.push((t.target.clone(), analysis.target_name(&t.target)));
        }
    }
    let severities: Vec<(String, String)> = Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let strides: Vec<(String, String)> = threatscribe_model::Stride::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let _ = writeln!(
        out,
        r#"<div class="filters noprint"><label>Severity <select id="f-severity"><option value="">all</option>{}</select></label><label>STRIDE <select id="f-stride"><option value="">all</option>{}</select></label><label>Component <select id="f-component"><option value="">all</option>{}</select></label><label>Search <input id="f-text" type="search" placeholder="text"></label><span id="f-count" class="status"></span></div>"#,
        options(&severities),
        options(&strides),
        options(&components)
    );
    out.push_str(r#"<table id="findings"><thead><tr><th data-key="title">Threat</th><th data-key="component">Component</th><th data-key="stride">STRIDE</th><th data-key="rank">Severity</th><th data-key="status">Status</th></tr></thead><tbody>"#);
    out.push('\n');
    for threat in &analysis.threats {
        finding_rows(out, analysis, threat, live);
    }
    out.push_str("</tbody></table>\n<p class=\"status noprint\">Click a finding to see why it applies, how it was rated and what to do.</p>\n");
}

fn write_matrix(out: &mut String, analysis: &Analysis) {
    out.push_str(r#"<table class="matrix"><thead><tr><th>Component</th><th>Kind</th><th title="Spoofing">S</th><th title="Tampering">T</th><th title="Repudiation">R</th><th title="Information disclosure">I</th><th title="Denial of service">D</th><th title="Elevation of privilege">E</th></tr></thead><tbody>"#);
    for row in &analysis.coverage {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            esc(&row.name),
            esc(&row.kind.replace('_', " "))
        );
        for (stride, cell) in &row.cells {
            let (class, mark, title) = match cell {
                CoverageCell::Found { threats } => (
                    "m-found",
                    threats.len().to_string(),
                    format!("{}: {}", stride.label(), threats.join(", ")),
                ),
                CoverageCell::Mitigated { threats } => (
                    "m-mitigated",
                    "✓".to_owned(),
                    format!("{}: mitigated ({})", stride.label(), threats.join(", ")),
                ),
                CoverageCell::NotApplicable { reason } => (
                    "m-na",
                    "—".to_owned(),
                    format!("{}: not applicable: {reason}", stride.label()),
                ),
                CoverageCell::Gap => (
                    "m-gap",
                    "⚠".to_owned(),
                    format!(
                        "{}: applies, but no rule produced a finding",
                        stride.label()
                    ),
                ),
            };
            let _ = write!(
                out,
                r#"<td class="{class}" title="{}">{mark}</td>"#,
                esc(&title)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n<p class=\"status\">Numbers are open findings; ✓ all mitigated; — not applicable to that kind of element (hover for the reason); ⚠ applies but no finding.</p>\n");
}

impl Render for Html {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        out.write_all(document(report, None).as_bytes())
    }
}

/// The whole page; `live` makes it a page of the web app.
#[allow(clippy::too_many_lines)] // the page, section by section
fn document(report: &Report<'_>, live: Option<&LiveHtml<'_>>) -> String {
    {
        let analysis = report.analysis;
        let model = &analysis.model;
        let summary = Summary::of(
            &analysis.threats,
            model.elements.len(),
            model.flows.len(),
            model.boundaries.len(),
        );
        let mut doc = String::new();
        let _ = writeln!(
            doc,
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{}<title>Threat model: {}</title><style>{STYLE}</style></head><body>{}"#,
            live.map_or_else(
                || r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">"#.to_owned(),
                |l| format!(
                    r#"<meta name="csrf-token" content="{}"><meta name="tracking-url" content="{}">{}"#,
                    esc(l.csrf_token),
                    esc(l.tracking_url),
                    l.head
                )
            ),
            esc(&model.name),
            live.map_or("", |l| l.nav)
        );
        let _ = writeln!(
            doc,
            "<header><h1>Threat model: {}</h1><p>Generated by threatscribe {VERSION} from the {} <code>{}</code> with the built-in knowledge base ({} rules); {}.</p></header><main>",
            esc(&model.name),
            esc(&report.source.kind),
            esc(&report.source.path),
            report.knowledge_base.0,
            report.llm.map_or_else(
                || "no LLM was used".to_owned(),
                |run| format!("the LLM <code>{}</code> added to it (findings whose source is <code>llm:</code>)", esc(&run.provider))
            )
        );
        doc.push_str("<h2>Executive summary</h2>\n");
        if let Some(description) = &model.description {
            let _ = writeln!(doc, "<p>{}</p>", esc(description));
        }
        let _ = writeln!(
            doc,
            "<p>{} elements, {} data flows and {} trust boundaries; <b>{} threats</b>: {}.</p>",
            summary.elements,
            summary.flows,
            summary.boundaries,
            summary.total,
            summary.status_phrase()
        );
        doc.push_str("<div class=\"cards\">");
        for (severity, n) in &summary.by_severity {
            let _ = write!(
                doc,
                r#"<div class="card {}"><b>{n}</b>open {}</div>"#,
                severity.as_str(),
                severity.as_str()
            );
        }
        doc.push_str("</div>\n");
        if let Some(run) = report.llm {
            llm_summary(&mut doc, analysis, run);
        }
        doc.push_str("<h2>Data flow diagram</h2>\n<div class=\"diagram\">");
        doc.push_str(&svg(analysis));
        doc.push_str("</div>\n<h2>Findings</h2>\n");
        write_findings(&mut doc, analysis, live.is_some());
        doc.push_str("<h2>STRIDE coverage</h2>\n");
        write_matrix(&mut doc, analysis);
        doc.push_str("<h2>Assumptions</h2>\n<ul>");
        for a in &analysis.assumptions {
            let _ = write!(doc, "<li>{}</li>", prose(a));
        }
        doc.push_str("</ul>\n<h2>Open questions</h2>\n<ul>");
        for q in &analysis.questions {
            let _ = write!(doc, "<li>{}</li>", prose(q));
        }
        doc.push_str("</ul>\n<h2>Model as understood</h2>\n<table><thead><tr><th>Id</th><th>Name</th><th>Kind</th><th>Technologies</th><th>Boundary</th></tr></thead><tbody>");
        for e in &model.elements {
            let technologies: Vec<&str> = e
                .technologies
                .iter()
                .map(|t| analysis.technology_name(t))
                .collect();
            let _ = write!(
                doc,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.id),
                esc(&e.name),
                e.kind.label(),
                esc(&technologies.join(", ")),
                esc(e.boundary.as_deref().unwrap_or(""))
            );
        }
        doc.push_str("</tbody></table>\n<h2>Conversation log</h2>\n<ol>");
        for entry in &analysis.log {
            let _ = write!(
                doc,
                "<li><b>{}</b>: {}</li>",
                entry.role.as_str(),
                prose(&entry.message)
            );
        }
        doc.push_str("</ol>\n");
        usage(&mut doc, report);
        doc.push_str("</main>\n");
        let open_mitigated = analysis
            .threats
            .iter()
            .filter(|t| !t.status.is_unresolved())
            .count();
        let script = live.map_or_else(
            || format!("<script>{SCRIPT}</script>"),
            |l| format!(r#"<script src="{}"></script>"#, esc(l.script_src)),
        );
        let _ = writeln!(
            doc,
            "<footer>threatscribe {VERSION} · {} findings · {open_mitigated} resolved, accepted or transferred</footer>{script}</body></html>",
            analysis.threats.len()
        );
        doc
    }
}

/// What the LLM agents added and what went wrong, and the writer's summary.
fn llm_summary(doc: &mut String, analysis: &Analysis, run: &threatscribe_model::LlmRun) {
    let added = analysis
        .threats
        .iter()
        .filter(|t| t.source.starts_with("llm:"))
        .count();
    let _ = writeln!(
        doc,
        "<p>The LLM <code>{}</code> took part: {added} {} from its analyst agent, checked against the model and judged by its reviewer agent; {} {} refused (see the conversation log).</p>",
        esc(&run.provider),
        if added == 1 {
            "finding comes"
        } else {
            "findings come"
        },
        run.rejected.len(),
        if run.rejected.len() == 1 {
            "proposal was"
        } else {
            "proposals were"
        }
    );
    for problem in &run.problems {
        let _ = writeln!(doc, "<p class=\"warning\"><b>LLM:</b> {}</p>", esc(problem));
    }
    if let Some(narrative) = &run.narrative {
        let _ = writeln!(
            doc,
            "<h3>Summary by the writer agent</h3><p><i>Written by <code>{}</code> from the findings of this report.</i></p><p>{}</p><h3>Discussion by the writer agent</h3><p>{}</p>",
            esc(&narrative.source),
            esc(&narrative.executive_summary),
            esc(&narrative.discussion)
        );
    }
}

/// Usage costs, and with an LLM, what was refused and every message exchanged.
fn usage(doc: &mut String, report: &Report<'_>) {
    doc.push_str("<h2>Usage costs</h2>\n");
    let Some(run) = report.llm else {
        doc.push_str("<p>No LLM was called: 0 calls, 0 tokens, $0.00.</p>\n");
        return;
    };
    let spent = crate::Usage::of(Some(run));
    let _ = writeln!(
        doc,
        "<p>Spent this run with <code>{}</code>: {} calls, {} input tokens, {} output tokens, <b>${:.4}</b>; {} calls answered from the cache. Prices: {}.</p>",
        esc(&run.provider),
        spent.calls,
        spent.input_tokens,
        spent.output_tokens,
        spent.cost_usd,
        spent.cached_calls,
        esc(&run.price_source)
    );
    doc.push_str("<table><thead><tr><th>#</th><th>Role</th><th>Subject</th><th>Input tokens</th><th>Output tokens</th><th>Cost (USD)</th><th>Attempts</th><th>Outcome</th></tr></thead><tbody>");
    for call in &run.calls {
        let _ = write!(
            doc,
            "<tr><td>{}</td></tr>",
            crate::llm::call_cells(call, esc).join("</td><td>")
        );
    }
    doc.push_str("</tbody></table>\n<h3>Refused and dropped</h3>\n<ul>");
    for line in &run.rejected {
        let _ = write!(doc, "<li>{}</li>", esc(line));
    }
    doc.push_str("</ul>\n<h3>Messages</h3>\n");
    for m in &run.messages {
        let _ = write!(
            doc,
            "<details><summary>Call {} · {} · {}</summary><pre>{}</pre></details>",
            m.call,
            m.role.as_str(),
            esc(&m.speaker),
            esc(&m.content)
        );
    }
    doc.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(esc("\" onload=\"x"), "&quot; onload=&quot;x");
        assert_eq!(
            prose("set `a<b>` then <i>"),
            "set <code>a&lt;b&gt;</code> then &lt;i&gt;"
        );
    }
}
