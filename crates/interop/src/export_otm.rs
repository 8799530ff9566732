//! The model and its findings as an Open Threat Model (OTM 0.2.0) file: boundaries as trust
//! zones, elements as components, flows as data flows, data assets as assets, every finding as
//! a threat referenced by its element or flow with its state, and each mitigation as an OTM
//! mitigation. What OTM has no field for (catalog technologies, tags, properties, protocols)
//! goes in `attributes` under `threatscribe-` names, which threatscribe's OTM import reads back.

use serde_json::{Value, json};
use threatscribe_model::{
    BoundaryKind, Classification, ElementKind, Model, Severity, Status, Threat,
};

/// OTM threat-instance states; the import maps them back.
fn state(status: Status) -> &'static str {
    match status {
        Status::Open => "EXPOSED",
        Status::InProgress => "IN_PROGRESS",
        Status::Mitigated => "MITIGATED",
        Status::Accepted => "ACCEPTED",
        Status::Transferred => "TRANSFERRED",
        Status::FalsePositive => "NOT_APPLICABLE",
    }
}

/// Likelihood and impact (0-100) whose product the import reads back as the same severity.
fn risk(severity: Severity) -> (u32, u32) {
    match severity {
        Severity::Critical => (100, 100),
        Severity::High => (100, 80),
        Severity::Medium => (60, 60),
        Severity::Low => (30, 30),
    }
}

fn confidentiality(classification: Classification) -> u32 {
    match classification {
        Classification::Public => 0,
        Classification::Internal => 25,
        Classification::Confidential => 50,
        Classification::Restricted => 100,
    }
}

/// The references an element or flow makes to its findings.
fn references(threats: &[Threat], target: &str) -> Vec<Value> {
    threats
        .iter()
        .filter(|t| t.target == target)
        .map(|t| {
            let implemented = t.status == Status::Mitigated;
            json!({
                "threat": t.id,
                "state": state(t.status),
                "mitigations": t.mitigations.iter().map(|m| json!({
                    "mitigation": format!("{}/{}", t.id, m.id),
                    "state": if implemented { "IMPLEMENTED" } else { "RECOMMENDED" },
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The OTM file for a model and its findings.
pub fn export_otm(model: &Model, threats: &[Threat]) -> Value {
    let trust_zones = trust_zones(model);
    let components = components(model, threats);
    let dataflows = dataflows(model, threats);
    let assets = assets(model);
    let otm_threats = otm_threats(threats);
    let mitigations = mitigations(threats);
    let mut project = json!({
        "name": model.name,
        "id": threatscribe_model::derive_id(&model.name),
        "description": model.description,
    });
    // Decisions and hand-written findings, so threatscribe's import restores the model exactly;
    // the findings themselves are derived again from the architecture.
    let mut attributes = serde_json::Map::new();
    if !model.tracking.is_empty() {
        attributes.insert("threatscribe-tracking".into(), json!(model.tracking));
    }
    if !model.findings.is_empty() {
        attributes.insert("threatscribe-findings".into(), json!(model.findings));
    }
    if !model.assumptions.is_empty() {
        attributes.insert("threatscribe-assumptions".into(), json!(model.assumptions));
    }
    if !model.questions.is_empty() {
        attributes.insert("threatscribe-questions".into(), json!(model.questions));
    }
    if !attributes.is_empty() {
        project["attributes"] = Value::Object(attributes);
    }
    json!({
        "otmVersion": "0.2.0",
        "project": project,
        "representations": [{"name": "threatscribe", "id": "threatscribe", "type": "threat-model"}],
        "trustZones": trust_zones,
        "components": components,
        "dataflows": dataflows,
        "assets": assets,
        "threats": otm_threats,
        "mitigations": mitigations,
    })
}

fn trust_zones(model: &Model) -> Vec<Value> {
    model
        .boundaries
        .iter()
        .map(|b| {
            let kind = b.kind.as_str();
            let internet = b.kind == BoundaryKind::Internet;
            let mut zone = json!({
                "id": b.id,
                "name": b.name,
                "type": kind,
                "risk": {"trustRating": if internet { 0 } else { 100 }},
            });
            if let Some(parent) = &b.parent {
                zone["parent"] = json!({"trustZone": parent});
            }
            zone
        })
        .collect()
}

fn components(model: &Model, threats: &[Threat]) -> Vec<Value> {
    model
        .elements
        .iter()
        .map(|e| {
            let kind = match e.kind {
                ElementKind::ExternalEntity => "external-entity",
                ElementKind::Process => "process",
                ElementKind::DataStore => "datastore",
            };
            let mut component = json!({
                "id": e.id,
                "name": e.name,
                "type": kind,
                "threats": references(threats, &e.id),
            });
            if let Some(boundary) = &e.boundary {
                component["parent"] = json!({"trustZone": boundary});
            }
            if let Some(description) = &e.description {
                component["description"] = json!(description);
            }
            let mut attributes = serde_json::Map::new();
            if !e.technologies.is_empty() {
                attributes.insert("threatscribe-technologies".into(), json!(e.technologies));
            }
            if !e.tags.is_empty() {
                attributes.insert("threatscribe-tags".into(), json!(e.tags));
            }
            if !e.properties.is_empty() {
                attributes.insert("threatscribe-properties".into(), json!(e.properties));
            }
            if !attributes.is_empty() {
                component["attributes"] = Value::Object(attributes);
            }
            component
        })
        .collect()
}

fn dataflows(model: &Model, threats: &[Threat]) -> Vec<Value> {
    model
        .flows
        .iter()
        .map(|f| {
            let mut flow = json!({
                "id": f.id,
                "name": f.description.clone().unwrap_or_else(|| f.id.clone()),
                "source": f.from,
                "destination": f.to,
                "bidirectional": false,
                "assets": f.data,
                "threats": references(threats, &f.id),
            });
            let mut attributes = serde_json::Map::new();
            if let Some(protocol) = &f.protocol {
                attributes.insert("threatscribe-protocol".into(), json!(protocol));
            }
            if !f.properties.is_empty() {
                attributes.insert("threatscribe-properties".into(), json!(f.properties));
            }
            if !attributes.is_empty() {
                flow["attributes"] = Value::Object(attributes);
            }
            flow
        })
        .collect()
}

fn assets(model: &Model) -> Vec<Value> {
    model
    .data_assets
    .iter()
    .map(|d| {
        json!({
            "id": d.id,
            "name": d.name,
            "description": d.description,
            "risk": {"confidentiality": confidentiality(d.classification), "integrity": 50, "availability": 50},
        })
    })
    .collect()
}

fn otm_threats(threats: &[Threat]) -> Vec<Value> {
    threats
        .iter()
        .map(|t| {
            let (likelihood, impact) = risk(t.severity);
            json!({
                "id": t.id,
                "name": t.title,
                "description": t.description,
                "categories": t.categories.iter().map(|c| c.label()).collect::<Vec<_>>(),
                "cwes": t.cwe,
                "risk": {"likelihood": likelihood, "impact": impact},
            })
        })
        .collect()
}

fn mitigations(threats: &[Threat]) -> Vec<Value> {
    threats
        .iter()
        .flat_map(|t| {
            t.mitigations.iter().map(move |m| {
                json!({
                    "id": format!("{}/{}", t.id, m.id),
                    "name": m.title.as_ref(),
                    "description": m.description.as_ref(),
                    "riskReduction": 100,
                })
            })
        })
        .collect()
}
