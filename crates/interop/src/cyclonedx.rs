//! CycloneDX TM-BOM: a CycloneDX 1.6 BOM whose `threat-model` components nest the model's
//! parts, each typed by its `cdx:model:type` property (actor, server, process, lambda,
//! datastore, boundary, asset, dataflow) and joined by `bom-ref`s. A BOM may hold several
//! threat models; they are read as one architecture and the assumptions say so.

use serde_json::{Value, json};

use crate::{Ids, ImportError, list, one_line, otm, protocol, text};

/// A part of the model: one `threat-model` component and its properties.
struct Part<'a> {
    reference: &'a str,
    name: String,
    description: &'a str,
    properties: Vec<(&'a str, &'a str)>,
}

impl Part<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    fn kind(&self) -> &str {
        self.get("cdx:model:type").unwrap_or_default()
    }
}

fn collect<'a>(component: &'a Value, parts: &mut Vec<Part<'a>>) {
    if text(component, "type") != "threat-model" {
        return;
    }
    let properties: Vec<(&str, &str)> = list(component, "properties")
        .map(|p| (text(p, "name"), text(p, "value")))
        .collect();
    let part = Part {
        reference: text(component, "bom-ref"),
        name: one_line(text(component, "name")),
        description: text(component, "description"),
        properties,
    };
    parts.push(part);
    for child in list(component, "components") {
        collect(child, parts);
    }
}

fn element_kind(cdx: &str) -> Option<&'static str> {
    match cdx {
        "actor" => Some("external_entity"),
        "server" | "process" | "lambda" => Some("process"),
        "datastore" => Some("data_store"),
        _ => None,
    }
}

/// Whether a CycloneDX BOM holds a threat model.
pub(crate) fn is_tm_bom(value: &Value) -> bool {
    value.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
        && value
            .get("components")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| text(c, "type") == "threat-model"))
}

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let mut parts = Vec::new();
    let mut roots = 0;
    for component in list(value, "components") {
        let before = parts.len();
        collect(component, &mut parts);
        if parts[before..]
            .iter()
            .any(|p| element_kind(p.kind()).is_some())
        {
            roots += 1;
        }
    }
    let mut ids = Ids::default();
    let mut assumptions = vec![
        "Imported from a CycloneDX TM-BOM: actors are external entities; servers, processes and lambdas are processes; data stores are data stores.".to_owned(),
    ];
    if roots > 1 {
        assumptions.push(format!(
            "The BOM holds {roots} threat models; they are read as one architecture."
        ));
    }
    let mut made: Vec<(&str, String)> = Vec::new();
    let (boundaries, data_assets) = boundaries_and_data(&parts, &mut ids, &mut made);
    let mut elements = Vec::new();
    let mut skipped = Vec::new();
    let mut out_of_scope = Vec::new();
    for part in &parts {
        let kind = match (element_kind(part.kind()), part.kind()) {
            (Some(kind), _) => kind,
            (None, "boundary" | "asset" | "dataflow" | "" | "diagram") => continue,
            (None, other) => {
                skipped.push(format!("{} ({other})", part.name));
                continue;
            }
        };
        let id = ids.make(&part.name);
        made.push((part.reference, id.clone()));
        let mut element = json!({"id": id, "name": part.name, "kind": kind});
        if !part.description.is_empty() {
            element["description"] = json!(one_line(part.description));
        }
        if let Some(boundary) = part
            .get("cdx:model:inBoundary")
            .and_then(|b| made.iter().find(|(r, _)| *r == b))
        {
            element["boundary"] = json!(boundary.1);
        }
        if part.get("cdx:model:inScope") == Some("false") {
            out_of_scope.push(part.name.clone());
        }
        elements.push(element);
    }
    if elements.is_empty() {
        return Err(ImportError(
            "its threat models hold no actors, processes or data stores".into(),
        ));
    }
    let find = |reference: &str| {
        made.iter()
            .find(|(r, _)| *r == reference)
            .map(|(_, id)| id.clone())
    };
    let flows = flows(&parts, &find, &mut assumptions)?;
    if !skipped.is_empty() {
        assumptions.push(format!(
            "Parts that are not data-flow elements were left out: {}.",
            skipped.join(", ")
        ));
    }
    if !out_of_scope.is_empty() {
        assumptions.push(format!(
            "Marked out of scope in the TM-BOM but analysed here: {}.",
            out_of_scope.join(", ")
        ));
    }
    let name = parts
        .iter()
        .find(|p| p.get("cdx:model:type").is_none() || p.kind() == "diagram")
        .map_or("Imported TM-BOM", |p| p.name.as_str());
    Ok(json!({
        "name": name,
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data_assets,
        "assumptions": assumptions,
        "questions": ["Which technologies does each element use? The TM-BOM names at most a platform, and specific findings key on products."],
    }))
}

/// Boundaries and data assets, recording each part's id in `made`.
fn boundaries_and_data<'a>(
    parts: &[Part<'a>],
    ids: &mut Ids,
    made: &mut Vec<(&'a str, String)>,
) -> (Vec<Value>, Vec<Value>) {
    let mut boundaries = Vec::new();
    for part in parts.iter().filter(|p| p.kind() == "boundary") {
        let id = ids.make(&part.name);
        made.push((part.reference, id.clone()));
        let internet = part.name.eq_ignore_ascii_case("internet");
        boundaries.push(
            json!({"id": id, "name": part.name, "kind": if internet { "internet" } else { "network" }}),
        );
    }
    let data_assets: Vec<Value> = parts
        .iter()
        .filter(|p| p.kind() == "asset")
        .map(|part| {
            let id = ids.make(&part.name);
            made.push((part.reference, id.clone()));
            let confidentiality = part
                .get("cdx:model:risk:confidentiality")
                .and_then(|c| c.parse().ok());
            json!({"id": id, "name": part.name, "classification": otm::classification(confidentiality)})
        })
        .collect();
    (boundaries, data_assets)
}

/// Data flows; a bidirectional one becomes one flow each way.
fn flows(
    parts: &[Part<'_>],
    find: &dyn Fn(&str) -> Option<String>,
    assumptions: &mut Vec<String>,
) -> Result<Vec<Value>, ImportError> {
    let mut flows = Vec::new();
    let mut unknown = Vec::new();
    for part in parts.iter().filter(|p| p.kind() == "dataflow") {
        let end = |key: &str| {
            let reference = part.get(key).unwrap_or_default();
            find(reference).ok_or_else(|| {
                ImportError(format!(
                    "data flow `{}` names `{reference}` as its {}, which is not an element of the BOM",
                    part.name,
                    key.rsplit(':').next().unwrap_or(key)
                ))
            })
        };
        let (from, to) = (
            end("cdx:model:dataflow:source")?,
            end("cdx:model:dataflow:destination")?,
        );
        let data: Vec<String> = part
            .properties
            .iter()
            .filter(|(k, _)| *k == "cdx:model:dataflow:data")
            .filter_map(|(_, v)| find(v))
            .collect();
        let mut flow = json!({"from": from, "to": to, "description": part.name, "data": data});
        if let Some(named) = part.get("cdx:model:dataflow:protocol") {
            match protocol(named) {
                Some(ours) => flow["protocol"] = json!(ours),
                None => unknown.push(named.to_owned()),
            }
        }
        if part.get("cdx:model:dataflow:isBidirectional") == Some("true") {
            let mut back = flow.clone();
            back["from"] = json!(to);
            back["to"] = json!(from);
            back["description"] = json!(format!("{} (reply)", part.name));
            flows.push(flow);
            flows.push(back);
        } else {
            flows.push(flow);
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        assumptions.push(format!(
            "Flow protocols not recognised and left out: {}.",
            unknown.join(", ")
        ));
    }
    Ok(flows)
}
