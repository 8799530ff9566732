//! The data flow diagram as a Mermaid flowchart: trust boundaries as nested subgraphs,
//! element shapes by DFD kind, flows labelled with protocol and data.

use std::collections::HashMap;
use std::fmt::Write as _;

use threatscribe_engine::Analysis;
use threatscribe_model::{ElementKind, Model};

/// Escapes text for a double-quoted Mermaid label.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn element_node(index: usize, name: &str, kind: ElementKind) -> String {
    let text = label(name);
    match kind {
        ElementKind::ExternalEntity => format!("n{index}[\"{text}\"]"),
        ElementKind::Process => format!("n{index}((\"{text}\"))"),
        ElementKind::DataStore => format!("n{index}[(\"{text}\")]"),
    }
}

/// Elements and child boundaries by the boundary they sit in (`None`: the top level), as
/// positions, so nesting is written in one pass over the model.
struct Nesting<'m> {
    elements: HashMap<Option<&'m str>, Vec<usize>>,
    boundaries: HashMap<Option<&'m str>, Vec<usize>>,
}

impl<'m> Nesting<'m> {
    fn of(model: &'m Model) -> Self {
        let mut elements: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (index, element) in model.elements.iter().enumerate() {
            elements
                .entry(element.boundary.as_deref())
                .or_default()
                .push(index);
        }
        let mut boundaries: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (index, boundary) in model.boundaries.iter().enumerate() {
            boundaries
                .entry(boundary.parent.as_deref())
                .or_default()
                .push(index);
        }
        Nesting {
            elements,
            boundaries,
        }
    }
}

fn write_boundary(
    out: &mut String,
    model: &Model,
    nesting: &Nesting<'_>,
    boundary: Option<&str>,
    depth: usize,
) {
    let indent = "  ".repeat(depth + 1);
    for &index in nesting.elements.get(&boundary).into_iter().flatten() {
        let element = &model.elements[index];
        let _ = writeln!(
            out,
            "{indent}{}",
            element_node(index, &element.name, element.kind)
        );
    }
    for &index in nesting.boundaries.get(&boundary).into_iter().flatten() {
        let child = &model.boundaries[index];
        let _ = writeln!(
            out,
            "{indent}subgraph b{index}[\"{} ({})\"]",
            label(&child.name),
            child.kind
        );
        write_boundary(out, model, nesting, Some(&child.id), depth + 1);
        let _ = writeln!(out, "{indent}end");
    }
}

/// The Mermaid source of the model's data flow diagram (without the Markdown fence).
pub fn mermaid(analysis: &Analysis) -> String {
    let model = &analysis.model;
    let mut out = String::from("flowchart LR\n");
    write_boundary(&mut out, model, &Nesting::of(model), None, 0);
    let index_of = |id: &str| analysis.element_index(id);
    for flow in &model.flows {
        let (Some(from), Some(to)) = (index_of(&flow.from), index_of(&flow.to)) else {
            continue;
        };
        let mut text = flow
            .protocol
            .as_deref()
            .map(|p| analysis.technology_name(p).to_owned())
            .unwrap_or_default();
        let data: Vec<&str> = flow
            .data
            .iter()
            .map(|d| model.data_asset(d).map_or(d.as_str(), |a| a.name.as_str()))
            .collect();
        if !data.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&data.join(", "));
        }
        if text.is_empty() {
            let _ = writeln!(out, "  n{from} --> n{to}");
        } else {
            let _ = writeln!(out, "  n{from} -->|\"{}\"| n{to}", label(&text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_quotes() {
        assert_eq!(
            label(r#"a"]; click n0 "x|y"#),
            "a#quot;]; click n0 #quot;x#124;y"
        );
        assert_eq!(label("<b>#1</b>"), "#lt;b#gt;#35;1#lt;/b#gt;");
    }
}
