//! CSV for spreadsheets and ticket imports: one row per threat, safe to open in a spreadsheet.

use std::borrow::Cow;
use std::io;

use threatscribe_engine::StreamingAnalysis;
use threatscribe_model::Threat;

use crate::json::in_order;
use crate::{Render, Report};

pub struct Csv;

/// A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as
/// a formula; a leading apostrophe makes it text (OWASP's advice for CSV injection).
fn cell(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

impl Render for Csv {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let analysis = report.analysis;
        let component = |id: &str| -> Option<String> {
            (analysis.element(id).map(|e| e.name.clone()))
                .or_else(|| analysis.flow(id).map(|f| format!("{} -> {}", f.from, f.to)))
        };
        let threats = &analysis.threats;
        write_rows(
            threats.len(),
            |i| Cow::Borrowed(&threats[i]),
            component,
            out,
        )
    }
}

impl Csv {
    /// The same CSV as `render` gives for `analysis.into_analysis()`, byte for byte, each
    /// finding written only when its row comes.
    pub fn render_streaming(
        &self,
        analysis: &StreamingAnalysis<'_>,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        let component = |id: &str| -> Option<String> {
            (analysis.element(id).map(|e| e.name.clone()))
                .or_else(|| analysis.flow(id).map(|f| format!("{} -> {}", f.from, f.to)))
        };
        write_rows(
            analysis.len(),
            |i| Cow::Owned(analysis.threat(i)),
            component,
            out,
        )
    }
}

/// One row per finding, `n` of them, each written by `finding` when its turn comes (rows are
/// printed on every core, in chunks spliced in order); `component` names an element or flow
/// by id.
fn write_rows<'t>(
    n: usize,
    finding: impl Fn(usize) -> Cow<'t, Threat> + Sync,
    component: impl Fn(&str) -> Option<String> + Sync,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut header = csv::Writer::from_writer(&mut *out);
    header.write_record([
        "id",
        "component",
        "component_type",
        "stride",
        "categories",
        "severity",
        "likelihood",
        "impact",
        "status",
        "residual_severity",
        "title",
        "description",
        "mitigations",
        "references",
        "mitigated_by",
        "rule",
    ])?;
    header.flush()?;
    drop(header);
    let print = |(): &mut (), range: std::ops::Range<usize>| -> io::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for i in range {
            row(&mut writer, &finding(i), &component)?;
        }
        writer.into_inner().map_err(csv::IntoInnerError::into_error)
    };
    in_order(n, print, |chunk| out.write_all(&chunk))
}

fn row(
    writer: &mut csv::Writer<Vec<u8>>,
    t: &Threat,
    component: impl Fn(&str) -> Option<String>,
) -> io::Result<()> {
    let component = component(&t.target).unwrap_or_else(|| t.target.clone());
    let mitigations: Vec<String> = t
        .mitigations
        .iter()
        .map(|m| {
            let names: Vec<&str> = m.technology_guidance.iter().map(|g| &*g.name).collect();
            if names.is_empty() {
                m.title.to_string()
            } else {
                format!("{} ({})", m.title, names.join(", "))
            }
        })
        .collect();
    let references: Vec<&str> = t.references().collect();
    let categories: Vec<&str> = t.categories.iter().map(|c| c.as_str()).collect();
    writer.write_record([
        cell(&t.id),
        cell(&component),
        cell(&t.target_type),
        cell(t.stride.as_str()),
        cell(&categories.join(" ")),
        cell(t.severity.as_str()),
        cell(t.likelihood.as_str()),
        cell(t.impact.as_str()),
        cell(t.status.as_str()),
        cell(
            t.residual_severity
                .map_or("", threatscribe_model::Severity::as_str),
        ),
        cell(&t.title),
        cell(&t.description),
        cell(&mitigations.join("; ")),
        cell(&references.join(" ")),
        cell(t.mitigated_by.as_deref().unwrap_or("")),
        cell(&t.rule),
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_become_text() {
        assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-x"), "'-x");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("two\nlines"), "two lines");
    }
}
