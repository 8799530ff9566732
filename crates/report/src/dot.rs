//! The data flow diagram in Graphviz DOT: boundaries as clusters, shapes by element kind.

use std::fmt::Write as _;

use threatscribe_engine::Analysis;
use threatscribe_model::{ElementKind, Model};

/// A DOT double-quoted string: backslashes and quotes escaped, line breaks removed.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_boundary(out: &mut String, model: &Model, boundary: Option<&str>, depth: usize) {
    let indent = "  ".repeat(depth + 1);
    for (i, e) in model.elements.iter().enumerate() {
        if e.boundary.as_deref() == boundary {
            let shape = match e.kind {
                ElementKind::ExternalEntity => "box",
                ElementKind::Process => "ellipse",
                ElementKind::DataStore => "cylinder",
            };
            let _ = writeln!(
                out,
                "{indent}n{i} [label={}, shape={shape}];",
                quoted(&e.name)
            );
        }
    }
    for (i, b) in model.boundaries.iter().enumerate() {
        if b.parent.as_deref() == boundary {
            let _ = writeln!(out, "{indent}subgraph cluster_{i} {{");
            let _ = writeln!(
                out,
                "{indent}  label={}; style=dashed; color=\"#b03a2e\";",
                quoted(&format!("{} ({})", b.name, b.kind))
            );
            write_boundary(out, model, Some(&b.id), depth + 1);
            let _ = writeln!(out, "{indent}}}");
        }
    }
}

/// The DOT source of the model's data flow diagram.
pub fn dot(analysis: &Analysis) -> String {
    let model = &analysis.model;
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        quoted(&model.name)
    );
    write_boundary(&mut out, model, None, 0);
    let index = |id: &str| analysis.element_index(id);
    for f in &model.flows {
        let (Some(a), Some(b)) = (index(&f.from), index(&f.to)) else {
            continue;
        };
        let mut label = f
            .protocol
            .as_deref()
            .map(|p| analysis.technology_name(p).to_owned())
            .unwrap_or_default();
        let data: Vec<&str> = f
            .data
            .iter()
            .map(|d| model.data_asset(d).map_or(d.as_str(), |x| x.name.as_str()))
            .collect();
        if !data.is_empty() {
            label = if label.is_empty() {
                data.join(", ")
            } else {
                format!("{label}: {}", data.join(", "))
            };
        }
        let _ = writeln!(out, "  n{a} -> n{b} [label={}];", quoted(&label));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn labels_stay_inside_their_quotes() {
        assert_eq!(quoted("a\"];evil[\"b"), "\"a\\\"];evil[\\\"b\"");
        assert_eq!(quoted("back\\slash\nnew"), "\"back\\\\slash new\"");
    }
}
