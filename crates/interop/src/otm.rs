//! Open Threat Model (OTM) files, JSON or YAML (parsed to JSON values by the caller): trust
//! zones, components, data flows, data assets, and the file's own threats and mitigations.
//! OTM components carry a free-form `type` and no data-flow kind, so the kind is inferred from
//! the type, tags and name, and the assumptions list what was inferred for each component.

use serde_json::{Value, json};

use crate::{Ids, ImportError, list, one_line, text};

/// Words in a component's type, tags or name that make it a data store.
const STORES: [&str; 11] = [
    "database",
    "-db",
    "db-",
    "storage",
    "bucket",
    "datastore",
    "data-store",
    "cache",
    "queue",
    "s3",
    "blob",
];
/// Words that make it an external entity.
const EXTERNAL: [&str; 6] = ["external", "client", "browser", "user", "actor", "device"];

/// The data-flow kind a component's type, tags and name point to, with the word that decided.
fn kind(component: &Value) -> (&'static str, Option<String>) {
    let exact = match text(component, "type").to_ascii_lowercase().as_str() {
        "external-entity" | "external_entity" => Some("external_entity"),
        "process" => Some("process"),
        "datastore" | "data-store" | "data_store" => Some("data_store"),
        _ => None,
    };
    if let Some(kind) = exact {
        return (kind, Some(format!("type {}", text(component, "type"))));
    }
    let tags: Vec<&str> = list(component, "tags").filter_map(Value::as_str).collect();
    let words = format!(
        "{} {} {}",
        text(component, "type"),
        tags.join(" "),
        text(component, "name")
    )
    .to_ascii_lowercase();
    if let Some(word) = STORES.iter().find(|w| words.contains(*w)) {
        return ("data_store", Some((*word).to_owned()));
    }
    if let Some(word) = EXTERNAL.iter().find(|w| words.contains(*w)) {
        return ("external_entity", Some((*word).to_owned()));
    }
    ("process", None)
}

/// OTM rates confidentiality 0-100; our four classes split that range evenly.
pub(crate) fn classification(confidentiality: Option<f64>) -> &'static str {
    match confidentiality {
        Some(c) if c >= 75.0 => "restricted",
        Some(c) if c >= 50.0 => "confidential",
        Some(c) if c >= 25.0 => "internal",
        Some(_) => "public",
        None => "confidential",
    }
}

fn zone_kind(zone: &Value) -> &'static str {
    // threatscribe's own exports write our boundary kinds as zone types.
    const OURS: [&str; 10] = [
        "internet",
        "cloud",
        "network",
        "host",
        "container",
        "cluster",
        "saas",
        "on_premises",
        "device",
        "vpn",
    ];
    if let Some(kind) = OURS.iter().find(|k| **k == text(zone, "type")) {
        return kind;
    }
    let internet = |s: &str| s.eq_ignore_ascii_case("internet");
    if internet(text(zone, "type")) || internet(text(zone, "name")) {
        "internet"
    } else {
        "network"
    }
}

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let mut ids = Ids::default();
    let ours = list(value, "representations").any(|r| text(r, "id") == "threatscribe");
    let mut assumptions = vec![
        "Imported from an Open Threat Model (OTM) file. OTM components have no data-flow kind: a type, tag or name with database, storage, bucket, cache, queue or blob makes a data store; external, client, browser, user, actor or device an external entity; anything else a process.".to_owned(),
    ];
    let (zones, boundaries) = trust_zones(value, &mut ids, ours);
    let zone_id = |given: &str| {
        zones
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };

    let components: Vec<&Value> = list(value, "components").collect();
    if components.is_empty() {
        return Err(ImportError("it has no components".into()));
    }
    // Ids from names, except in threatscribe's own exports, whose ids are ours already (other
    // tools write UUIDs, which make poor ids to read).
    let component_ids: Vec<(String, String)> = components
        .iter()
        .map(|c| {
            let name = one_line(text(c, "name"));
            let keep = ours || name.is_empty();
            (
                text(c, "id").to_owned(),
                ids.make(if keep { text(c, "id") } else { &name }),
            )
        })
        .collect();
    let component_id = |given: &str| {
        component_ids
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };
    // A component inside another component sits in that component's trust zone.
    let zone_of = |component: &Value| {
        let mut current = component;
        for _ in 0..components.len() {
            if let Some(zone) = current.pointer("/parent/trustZone").and_then(Value::as_str) {
                return zone_id(zone);
            }
            let parent = current
                .pointer("/parent/component")
                .and_then(Value::as_str)?;
            current = components.iter().find(|c| text(c, "id") == parent)?;
        }
        None
    };

    let mut inferred = Vec::new();
    let mut elements = Vec::new();
    for (component, (_, id)) in components.iter().zip(&component_ids) {
        let name = one_line(text(component, "name"));
        let (kind, because) = kind(component);
        inferred.push(match because {
            Some(word) => format!("{name}: {} ({word})", kind.replace('_', " ")),
            None => format!("{name}: process"),
        });
        let boundary = zone_of(component);
        elements.push(component_to_element(component, id, name, kind, boundary));
    }
    assumptions.push(format!(
        "Kinds inferred for the OTM components: {}.",
        inferred.join("; ")
    ));

    let (data_ids, data_assets) = data_assets(value, &mut assumptions);

    let (flows, flow_ids) = flows(value, &mut ids, &component_id, &data_ids, &mut assumptions)?;

    let targets: Vec<(String, String)> = component_ids.iter().chain(&flow_ids).cloned().collect();
    let (findings, tracking, questions) = if ours {
        own_export(value, &mut assumptions)
    } else {
        (
            json!(findings(value, &targets, &mut assumptions)),
            json!([]),
            json!([
                "Which products does each component use? OTM component types are free text, so specific findings need the products named in the model.",
                "Is each component's inferred kind (process, data store, external entity) right?"
            ]),
        )
    };

    let project = value.get("project").unwrap_or(&Value::Null);
    let description = text(project, "description");
    Ok(json!({
        "name": if text(project, "name").is_empty() { "Imported OTM model" } else { text(project, "name") },
        "description": if description.is_empty() { Value::Null } else { json!(description) },
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data_assets,
        "assumptions": assumptions,
        "findings": findings,
        "tracking": tracking,
        "questions": questions,
    }))
}

/// One component as an element.
fn component_to_element(
    component: &Value,
    id: &str,
    name: String,
    kind: &str,
    boundary: Option<String>,
) -> Value {
    let mut element =
        json!({"id": id, "name": if name.is_empty() { id.to_owned() } else { name }, "kind": kind});
    let description = text(component, "description");
    if !description.is_empty() {
        element["description"] = json!(description);
    }
    if let Some(zone) = boundary {
        element["boundary"] = json!(zone);
    }
    // threatscribe's own exports keep what OTM has no field for in attributes.
    for (attribute, key) in [
        ("technologies", "technologies"),
        ("tags", "tags"),
        ("properties", "properties"),
    ] {
        if let Some(value) = component.pointer(&format!("/attributes/threatscribe-{attribute}")) {
            element[key] = value.clone();
        }
    }
    element
}

/// A file threatscribe wrote: its threats are our own findings, derived again from the model,
/// so they are not read; hand-written findings, decisions and notes come back from the
/// project's attributes. Returns the findings, tracking and questions, and replaces the
/// assumptions.
fn own_export(value: &Value, assumptions: &mut Vec<String>) -> (Value, Value, Value) {
    let attribute = |key: &str| {
        value
            .pointer(&format!("/project/attributes/threatscribe-{key}"))
            .cloned()
            .unwrap_or_else(|| json!([]))
    };
    *assumptions = vec![
        "Written by threatscribe's OTM export: the findings are derived again from the model, and its decisions and hand-written findings come back from the file.".to_owned(),
    ];
    let kept = attribute("assumptions");
    assumptions.extend(
        kept.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned),
    );
    (
        attribute("findings"),
        attribute("tracking"),
        attribute("questions"),
    )
}

/// (id in the file, our id) pairs.
type IdPairs = Vec<(String, String)>;

/// Trust zones as (OTM id, our id) pairs and model-file boundaries.
fn trust_zones(value: &Value, ids: &mut Ids, ours: bool) -> (Vec<(String, String)>, Vec<Value>) {
    let zones: Vec<(String, String)> = list(value, "trustZones")
        .map(|z| {
            let id = if ours {
                ids.make(text(z, "id"))
            } else {
                ids.make(&one_line(text(z, "name")))
            };
            (text(z, "id").to_owned(), id)
        })
        .collect();
    let zone_id = |given: &str| {
        zones
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };
    let boundaries: Vec<Value> = list(value, "trustZones")
        .zip(&zones)
        .map(|(zone, (_, id))| {
            let mut boundary =
                json!({"id": id, "name": one_line(text(zone, "name")), "kind": zone_kind(zone)});
            if let Some(parent) = zone
                .pointer("/parent/trustZone")
                .and_then(Value::as_str)
                .and_then(zone_id)
            {
                boundary["parent"] = json!(parent);
            }
            boundary
        })
        .collect();
    (zones, boundaries)
}

/// Data assets: their ids, and model-file data assets classified by confidentiality.
fn data_assets(value: &Value, assumptions: &mut Vec<String>) -> (Vec<String>, Vec<Value>) {
    let data_ids: Vec<String> = list(value, "assets")
        .map(|a| text(a, "id").to_owned())
        .collect();
    let data_assets: Vec<Value> = list(value, "assets")
        .map(|a| {
            let mut asset = json!({
                "id": text(a, "id"),
                "name": one_line(text(a, "name")),
                "classification": classification(a.pointer("/risk/confidentiality").and_then(Value::as_f64)),
            });
            let description = text(a, "description");
            if !description.is_empty() {
                asset["description"] = json!(description);
            }
            asset
        })
        .collect();
    if !data_assets.is_empty() {
        assumptions.push("OTM rates confidentiality from 0 to 100: 75 and above is restricted here, 50 confidential, 25 internal, below that public.".into());
    }
    (data_ids, data_assets)
}

/// Data flows between components; a bidirectional flow becomes one each way.
fn flows(
    value: &Value,
    ids: &mut Ids,
    component_id: &dyn Fn(&str) -> Option<String>,
    data_ids: &[String],
    assumptions: &mut Vec<String>,
) -> Result<(Vec<Value>, IdPairs), ImportError> {
    let mut flows = Vec::new();
    let mut flow_ids = Vec::new();
    for flow in list(value, "dataflows") {
        let name = one_line(text(flow, "name"));
        let (Some(from), Some(to)) = (
            component_id(text(flow, "source")),
            component_id(text(flow, "destination")),
        ) else {
            return Err(ImportError(format!(
                "data flow `{name}` joins `{}` to `{}`, and one of them is not a component",
                text(flow, "source"),
                text(flow, "destination")
            )));
        };
        let data: Vec<&str> = list(flow, "assets")
            .filter_map(Value::as_str)
            .filter(|d| data_ids.iter().any(|k| k == d))
            .collect();
        let given = text(flow, "id");
        let id = ids.make(if given.is_empty() { &name } else { given });
        flow_ids.push((given.to_owned(), id.clone()));
        let mut out = json!({"id": id, "from": from, "to": to, "data": data});
        // A flow's name is its description, unless it only repeats the id.
        if name != given {
            out["description"] = json!(name);
        }
        for attribute in ["protocol", "properties"] {
            if let Some(value) = flow.pointer(&format!("/attributes/threatscribe-{attribute}")) {
                out[attribute] = value.clone();
            }
        }
        flows.push(out);
        if flow.get("bidirectional").and_then(Value::as_bool) == Some(true) {
            let back = ids.make(&format!("{id}-reply"));
            flows.push(json!({"id": back, "from": to, "to": from, "description": format!("{name} (reply)"), "data": data}));
        }
    }
    if list(value, "dataflows")
        .any(|f| f.get("bidirectional").and_then(Value::as_bool) == Some(true))
    {
        assumptions.push(
            "Bidirectional OTM data flows become two flows, one each way, carrying the same data."
                .into(),
        );
    }
    Ok((flows, flow_ids))
}

/// The file's own threats, named until they are carried over as findings.
fn stride(category: &str) -> Option<&'static str> {
    match category.trim().to_ascii_lowercase().as_str() {
        "spoofing" => Some("spoofing"),
        "tampering" => Some("tampering"),
        "repudiation" => Some("repudiation"),
        "information disclosure" => Some("information_disclosure"),
        "denial of service" => Some("denial_of_service"),
        "elevation of privilege" | "elevation of privileges" => Some("elevation_of_privilege"),
        _ => None,
    }
}

/// The threats components refer to, as provided findings; the rest are named as not carried.
fn findings(
    value: &Value,
    targets: &[(String, String)],
    assumptions: &mut Vec<String>,
) -> Vec<Value> {
    let threat = |id: &str| list(value, "threats").find(|t| text(t, "id") == id);
    let mitigation = |id: &str| list(value, "mitigations").find(|m| text(m, "id") == id);
    let mut out = Vec::new();
    let mut carried: Vec<&str> = Vec::new();
    for component in list(value, "components").chain(list(value, "dataflows")) {
        let Some((_, target)) = targets.iter().find(|(g, _)| g == text(component, "id")) else {
            continue;
        };
        for reference in list(component, "threats") {
            let Some(threat) = threat(text(reference, "threat")) else {
                continue;
            };
            let Some(category) = list(threat, "categories")
                .filter_map(Value::as_str)
                .find_map(stride)
            else {
                continue;
            };
            let mitigations: Vec<&Value> = list(reference, "mitigations").collect();
            let implemented = mitigations
                .iter()
                .any(|m| text(m, "state").eq_ignore_ascii_case("implemented"));
            let status = match text(reference, "state").to_ascii_uppercase().as_str() {
                "MITIGATED" => "mitigated",
                "NOT_APPLICABLE" => "false-positive",
                "ACCEPTED" => "accepted",
                "IN_PROGRESS" => "in-progress",
                "TRANSFERRED" => "transferred",
                "EXPOSED" => "open",
                _ if implemented => "mitigated",
                _ => "open",
            };
            let mut finding = json!({
                "target": target,
                "stride": category,
                "title": one_line(text(threat, "name")),
                "status": status,
                "source": "the OTM file",
            });
            let description = one_line(text(threat, "description"));
            if !description.is_empty() {
                finding["description"] = json!(description);
            }
            let risk = |key: &str| {
                threat
                    .pointer(&format!("/risk/{key}"))
                    .and_then(Value::as_f64)
            };
            if let (Some(likelihood), Some(impact)) = (risk("likelihood"), risk("impact")) {
                let score = likelihood * impact / 100.0;
                let severity = if score >= 90.0 {
                    "critical"
                } else if score >= 70.0 {
                    "high"
                } else if score >= 30.0 {
                    "medium"
                } else {
                    "low"
                };
                finding["severity"] = json!(severity);
            }
            let written: Vec<String> = mitigations
                .iter()
                .filter_map(|m| mitigation(text(m, "mitigation")))
                .map(|m| one_line(text(m, "name")))
                .filter(|m| !m.is_empty())
                .collect();
            if !written.is_empty() {
                finding["mitigation"] = json!(written.join(". "));
            }
            carried.push(text(threat, "id"));
            out.push(finding);
        }
    }
    if !out.is_empty() {
        assumptions.push(format!(
            "The file's {} threat reference(s) on components and data flows come along as provided findings. Status: as the threat's state says (exposed is open); without one, mitigated when one of its mitigations is implemented. Severity from OTM risk: likelihood x impact / 100 of 90 and above is critical, 70 high, 30 medium, below that low.",
            out.len()
        ));
    }
    let left: Vec<String> = list(value, "threats")
        .filter(|t| !carried.contains(&text(t, "id")))
        .map(|t| one_line(text(t, "name")))
        .collect();
    if !left.is_empty() {
        assumptions.push(format!(
            "Threats in the file not carried over (not on a component or data flow, or with no STRIDE category): {}.",
            left.join("; ")
        ));
    }
    out
}
