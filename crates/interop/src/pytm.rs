//! OWASP pytm's JSON model: elements with `__class__`, `inBoundary` by name, flows with
//! `source` and `sink` names, data with a classification.

use serde_json::{Value, json};

use crate::{Ids, ImportError, list, one_line, protocol};

fn kind(class: &str) -> Option<&'static str> {
    match class {
        "Actor" | "ExternalEntity" => Some("external_entity"),
        "Server" | "Process" | "Lambda" | "SetOfProcesses" => Some("process"),
        "Datastore" => Some("data_store"),
        _ => None,
    }
}

/// pytm's classifications, from least to most sensitive.
fn classification(pytm: &str) -> &'static str {
    match pytm {
        "PUBLIC" => "public",
        "RESTRICTED" | "UNKNOWN" => "internal",
        "SENSITIVE" => "confidential",
        _ => "restricted",
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let mut ids = Ids::default();
    let mut assumptions = vec!["Imported from an OWASP pytm model: pytm names no technologies, so only generic STRIDE findings and what the names imply apply.".to_owned()];
    let boundaries: Vec<(String, String)> = list(value, "boundaries")
        .filter_map(|b| text(b, "name"))
        .map(|name| (name.to_owned(), ids.make(name)))
        .collect();
    let boundary_id = |name: &str| {
        boundaries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
    };
    let mut elements = Vec::new();
    let mut element_ids: Vec<(String, String)> = Vec::new();
    for element in list(value, "elements") {
        let name = text(element, "name")
            .map(one_line)
            .ok_or_else(|| ImportError("a pytm element has no name".into()))?;
        let class = text(element, "__class__").unwrap_or_default();
        let Some(kind) = kind(class) else {
            assumptions.push(format!("pytm element `{name}` of class {class} was left out: it has no data flow diagram kind."));
            continue;
        };
        let id = ids.make(&name);
        let mut out = json!({"id": id, "name": name, "kind": kind});
        if let Some(boundary) = text(element, "inBoundary").and_then(boundary_id) {
            out["boundary"] = json!(boundary);
        }
        if let Some(description) = text(element, "description").filter(|d| !d.is_empty()) {
            out["description"] = json!(description);
        }
        element_ids.push((name, id));
        elements.push(out);
    }
    let element_id = |name: &str| {
        element_ids
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
    };
    let data = data_assets(value);
    let mut flows = Vec::new();
    for flow in list(value, "flows") {
        let (Some(from), Some(to)) = (
            text(flow, "source").and_then(element_id),
            text(flow, "sink").and_then(element_id),
        ) else {
            assumptions.push(format!(
                "pytm flow `{}` was left out: its source or sink is not an imported element.",
                text(flow, "name").unwrap_or("?")
            ));
            continue;
        };
        let carried: Vec<String> = list(flow, "data")
            .filter_map(Value::as_str)
            .filter_map(|name| {
                data.iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, id, _)| id.clone())
            })
            .collect();
        let out = flow_to_model(flow, &from, &to, &carried, &mut assumptions);
        flows.push(out);
    }
    let boundaries: Vec<Value> = boundaries
        .iter()
        .map(|(name, id)| json!({"id": id, "name": name, "kind": if name.eq_ignore_ascii_case("internet") { "internet" } else { "network" }}))
        .collect();
    Ok(json!({
        "name": text(value, "name").unwrap_or("Imported pytm model"),
        "description": text(value, "description"),
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data.iter().map(|(name, id, class)| json!({"id": id, "name": name, "classification": class})).collect::<Vec<_>>(),
        "assumptions": assumptions,
        "questions": ["Which technologies does each element use (frameworks, databases, cloud services)? The pytm model names none, and specific findings key on them."],
    }))
}

/// One pytm flow as a model-file flow; a protocol that is not recognised is noted, not guessed.
fn flow_to_model(
    flow: &Value,
    from: &str,
    to: &str,
    carried: &[String],
    assumptions: &mut Vec<String>,
) -> Value {
    let mut out = json!({"from": from, "to": to, "data": carried});
    if let Some(name) = text(flow, "name") {
        out["description"] = json!(name);
    }
    if let Some(encrypted) = flow.get("isEncrypted").and_then(Value::as_bool) {
        out["properties"] = json!({"encrypted": encrypted});
    }
    if let Some(named) = text(flow, "protocol").filter(|p| !p.trim().is_empty()) {
        match protocol(named) {
            Some(id) => out["protocol"] = json!(id),
            None => assumptions.push(format!(
                "The protocol `{named}` of pytm flow `{}` is not recognised and was left out.",
                text(flow, "name").unwrap_or("?")
            )),
        }
    }
    out
}

/// pytm's data as (name, id, classification).
fn data_assets(value: &Value) -> Vec<(String, String, &'static str)> {
    list(value, "data")
        .filter_map(|d| {
            Some((
                text(d, "name")?.to_owned(),
                classification(text(d, "classification").unwrap_or("SENSITIVE")),
            ))
        })
        .map(|(name, class)| {
            let id = threatscribe_model::derive_id(&name);
            (name, id, class)
        })
        .collect()
}
