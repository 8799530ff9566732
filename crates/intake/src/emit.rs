//! Writes a model as an editable YAML model file, with a comment on each element and flow
//! saying where it came from, so a person can check the reading and correct it in place.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use threatscribe_model::{Model, Properties};

/// A YAML scalar for `text`: plain when that reads back as the same string, else double-quoted
/// (JSON string syntax is valid YAML).
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || " -_./()+,'".contains(c))
        && !text.starts_with(['-', ' ', '\'', '.'])
        && !text.ends_with(' ')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "yes" | "no" | "true" | "false" | "null" | "on" | "off" | "y" | "n" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string serialises")
    }
}

/// A value inside `{ ... }` or `[ ... ]`: commas must be quoted there.
fn list_item(text: &str) -> String {
    if text.contains(',') {
        serde_json::to_string(text).expect("a string serialises")
    } else {
        scalar(text)
    }
}

/// A flow sequence: items with commas are quoted, since a comma ends a plain item there.
fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| list_item(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn comment_lines(out: &mut String, indent: &str, notes: Option<&Vec<String>>) {
    for note in notes.into_iter().flatten() {
        let one_line: String = note
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let _ = writeln!(out, "{indent}# {one_line}");
    }
}

fn properties(out: &mut String, indent: &str, properties: &Properties) {
    if properties.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}properties:");
    for (key, value) in properties {
        let _ = writeln!(out, "{indent}  {}: {value}", scalar(key));
    }
}

/// The model as a commented YAML model file, part by part in model-file order. `source` names what it was read from.
#[allow(clippy::too_many_lines)] // one block per part of the model file
pub fn model_to_yaml(model: &Model, notes: &BTreeMap<String, Vec<String>>, source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by threatscribe from {}.",
        source.replace('\n', " ")
    );
    if !notes.is_empty() {
        let _ = writeln!(
            out,
            "# Each element and flow says which words it came from, or why it was inferred."
        );
    }
    let _ = writeln!(
        out,
        "# Check the model, correct what is wrong, add what is missing (protocols, properties"
    );
    let _ = writeln!(
        out,
        "# that declare mitigations: see `threatscribe kb properties`), then run"
    );
    let _ = writeln!(out, "# `threatscribe analyze` on this file.");
    let _ = writeln!(out, "name: {}", scalar(&model.name));
    if let Some(description) = &model.description {
        let _ = writeln!(out, "description: {}", scalar(description));
    }
    for (key, items) in [
        ("assumptions", &model.assumptions),
        ("questions", &model.questions),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{key}:");
        for item in items {
            let _ = writeln!(out, "  - {}", scalar(item));
        }
    }
    let _ = writeln!(out, "\nelements:");
    for e in &model.elements {
        comment_lines(&mut out, "  ", notes.get(&e.id));
        let _ = writeln!(out, "  - id: {}", e.id);
        let _ = writeln!(out, "    name: {}", scalar(&e.name));
        let _ = writeln!(out, "    kind: {}", e.kind);
        if let Some(boundary) = &e.boundary {
            let _ = writeln!(out, "    boundary: {boundary}");
        }
        if !e.technologies.is_empty() {
            let _ = writeln!(out, "    technologies: {}", list(&e.technologies));
        }
        if !e.tags.is_empty() {
            let _ = writeln!(out, "    tags: {}", list(&e.tags));
        }
        properties(&mut out, "    ", &e.properties);
        if let Some(description) = &e.description {
            let _ = writeln!(out, "    description: {}", scalar(description));
        }
    }
    if !model.flows.is_empty() {
        let _ = writeln!(out, "\nflows:");
    }
    for f in &model.flows {
        comment_lines(&mut out, "  ", notes.get(&f.id));
        let _ = writeln!(out, "  - id: {}", f.id);
        let _ = writeln!(out, "    from: {}", f.from);
        let _ = writeln!(out, "    to: {}", f.to);
        match &f.protocol {
            Some(protocol) => {
                let _ = writeln!(out, "    protocol: {}", scalar(protocol));
            }
            None => {
                let _ = writeln!(
                    out,
                    "    # protocol: not stated; add it (https, grpc, ...) so the analysis can use it"
                );
            }
        }
        if !f.data.is_empty() {
            let _ = writeln!(out, "    data: {}", list(&f.data));
        }
        properties(&mut out, "    ", &f.properties);
    }
    if !model.boundaries.is_empty() {
        let _ = writeln!(out, "\nboundaries:");
    }
    for b in &model.boundaries {
        let _ = write!(
            out,
            "  - {{ id: {}, name: {}, kind: {}",
            b.id,
            list_item(&b.name),
            b.kind
        );
        if let Some(parent) = &b.parent {
            let _ = write!(out, ", parent: {parent}");
        }
        out.push_str(" }\n");
    }
    if !model.data_assets.is_empty() {
        let _ = writeln!(out, "\ndata_assets:");
    }
    for d in &model.data_assets {
        let _ = writeln!(
            out,
            "  - {{ id: {}, name: {}, classification: {} }}",
            d.id,
            list_item(&d.name),
            d.classification
        );
    }
    findings(&mut out, &model.findings);
    out
}

fn findings(out: &mut String, findings: &[threatscribe_model::ProvidedFinding]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n# Findings already written down; reports show them beside the analysis's own."
    );
    let _ = writeln!(out, "findings:");
    for f in findings {
        let _ = writeln!(out, "  - target: {}", f.target);
        let _ = writeln!(out, "    stride: {}", f.stride.as_str());
        let _ = writeln!(out, "    title: {}", scalar(&f.title));
        if let Some(description) = &f.description {
            let _ = writeln!(out, "    description: {}", scalar(description));
        }
        let _ = writeln!(out, "    status: {}", f.status.as_str());
        if let Some(severity) = &f.severity {
            let _ = writeln!(out, "    severity: {}", severity.as_str());
        }
        if let Some(mitigation) = &f.mitigation {
            let _ = writeln!(out, "    mitigation: {}", scalar(mitigation));
        }
        let _ = writeln!(out, "    source: {}", scalar(&f.source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_written() {
        for text in [
            "Web application",
            "yes",
            "1.5",
            "a: b",
            "#tag",
            "say \"hi\"",
            "- item",
            "Users, staff",
            "Node.js (API)",
        ] {
            let yaml = format!("value: {}\n", scalar(text));
            let parsed: BTreeMap<String, String> = serde_saphyr::from_str(&yaml).expect(&yaml);
            assert_eq!(parsed["value"], text, "{yaml}");
        }
    }
}
