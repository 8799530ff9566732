//! The model and its findings as an OWASP Threat Dragon v2 file: one STRIDE diagram laid out
//! as threatscribe draws it, boundaries as boxes around their members, and every finding
//! attached to its element or flow as a Threat Dragon threat (STRIDE type, severity, status,
//! mitigation). Threat Dragon has three statuses; in-progress, accepted and transferred
//! findings are written as Open, and the threat's description says what was decided. What
//! Threat Dragon has no field for (technologies, tags, properties, protocols as catalog ids,
//! flow data) goes in each cell's `data.threatscribe`, which threatscribe's import reads back.

use serde_json::{Value, json};
use threatscribe_model::{ElementKind, Model, Severity, Status, Stride, Threat};

/// Where an element or boundary sits: its id and `[x, y, width, height]`.
pub type Placement<'a> = &'a [(String, [f64; 4])];

fn stride_type(stride: Stride) -> &'static str {
    match stride {
        Stride::Spoofing => "Spoofing",
        Stride::Tampering => "Tampering",
        Stride::Repudiation => "Repudiation",
        Stride::InformationDisclosure => "Information disclosure",
        Stride::DenialOfService => "Denial of service",
        Stride::ElevationOfPrivilege => "Elevation of privilege",
    }
}

fn td_status(status: Status) -> &'static str {
    match status {
        Status::Mitigated => "Mitigated",
        Status::FalsePositive => "NotApplicable",
        Status::Open | Status::InProgress | Status::Accepted | Status::Transferred => "Open",
    }
}

fn td_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

fn threats_on(threats: &[Threat], target: &str) -> Vec<Value> {
    let mut on: Vec<&Threat> = threats.iter().filter(|t| t.target == target).collect();
    // Written findings keep their order (PROVIDED-N), so a re-import numbers them the same.
    on.sort_by_key(|t| {
        t.rule
            .strip_prefix("PROVIDED-")
            .and_then(|n| n.parse::<usize>().ok())
    });
    on.into_iter()
        .map(|t| {
            // A finding written elsewhere goes back under its own title.
            let title = t
                .source
                .strip_prefix("provided:")
                .and_then(|source| t.title.strip_suffix(&format!(" (from {source})")))
                .unwrap_or(&t.title);
            let mut description = t.description.clone();
            if matches!(
                t.status,
                Status::InProgress | Status::Accepted | Status::Transferred
            ) {
                description.push_str(&format!(
                    "\n\nStatus in threatscribe: {}.",
                    t.status.as_str()
                ));
            }
            if t.severity == Severity::Critical {
                description.push_str("\n\nRated critical by threatscribe.");
            }
            let mitigation: Vec<String> = t
                .mitigations
                .iter()
                .map(|m| format!("{}. {}", m.title, m.description))
                .collect();
            let by_design = t.mitigated_by.is_some() && t.tracking.is_none();
            let mut threat = json!({
                "id": t.id,
                "title": title,
                "type": stride_type(t.stride),
                "status": td_status(t.status),
                "severity": td_severity(t.severity),
                "description": description,
                "mitigation": mitigation.join("\n\n"),
                "modelType": "STRIDE",
            });
            // Mitigated by what the model declares, not by a decision: the import must not
            // turn it into one.
            if by_design {
                threat["threatscribe"] = json!({"mitigatedBy": t.mitigated_by});
            }
            threat
        })
        .collect()
}

fn open(threats: &[Value]) -> bool {
    threats.iter().any(|t| t["status"] == "Open")
}

fn position(placed: Placement<'_>, id: &str) -> [f64; 4] {
    placed
        .iter()
        .find(|(p, _)| p == id)
        .map_or([0.0, 0.0, 100.0, 100.0], |(_, r)| *r)
}

/// The Threat Dragon v2 file for a model, its findings and their diagram placements.
pub fn export_threat_dragon(
    model: &Model,
    threats: &[Threat],
    elements: Placement<'_>,
    boundaries: Placement<'_>,
) -> Value {
    let mut cells = Vec::new();
    for b in &model.boundaries {
        let [x, y, w, h] = position(boundaries, &b.id);
        cells.push(json!({
            "position": {"x": x, "y": y},
            "size": {"width": w, "height": h},
            "attrs": {"label": {"text": b.name}},
            "shape": "trust-boundary-box",
            "id": b.id,
            "zIndex": -1,
            "data": {"type": "tm.BoundaryBox", "name": b.name, "description": "", "isTrustBoundary": true, "hasOpenThreats": false, "threatscribe": {"kind": b.kind}},
        }));
    }
    for e in &model.elements {
        let [x, y, w, h] = position(elements, &e.id);
        let (shape, kind) = match e.kind {
            ElementKind::ExternalEntity => ("actor", "tm.Actor"),
            ElementKind::Process => ("process", "tm.Process"),
            ElementKind::DataStore => ("store", "tm.Store"),
        };
        let on = threats_on(threats, &e.id);
        cells.push(json!({
            "position": {"x": x, "y": y},
            "size": {"width": w, "height": h},
            "attrs": {"text": {"text": e.name}},
            "shape": shape,
            "id": e.id,
            "zIndex": 1,
            "data": {
                "type": kind,
                "name": e.name,
                "description": e.description.clone().unwrap_or_default(),
                "isTrustBoundary": false,
                "outOfScope": false,
                "reasonOutOfScope": "",
                "hasOpenThreats": open(&on),
                "threats": on,
                "threatscribe": {"technologies": e.technologies, "tags": e.tags, "properties": e.properties},
            },
        }));
    }
    for f in &model.flows {
        let on = threats_on(threats, &f.id);
        let encrypted =
            f.properties.get("encrypted").map(ToString::to_string) == Some("true".into());
        let name = f.description.clone().unwrap_or_else(|| f.id.clone());
        cells.push(json!({
            "shape": "flow",
            "attrs": {"line": {"stroke": "#333333", "strokeWidth": 1, "targetMarker": {"name": "block"}}},
            "connector": "smooth",
            "zIndex": 10,
            "id": f.id,
            "source": {"cell": f.from},
            "target": {"cell": f.to},
            "labels": [name],
            "data": {
                "type": "tm.Flow",
                "name": name,
                "description": "",
                "outOfScope": false,
                "reasonOutOfScope": "",
                "protocol": f.protocol.clone().unwrap_or_default(),
                "isEncrypted": encrypted,
                "isPublicNetwork": false,
                "isTrustBoundary": false,
                "hasOpenThreats": open(&on),
                "threats": on,
                "threatscribe": {"protocol": f.protocol, "properties": f.properties, "data": f.data},
            },
        }));
    }
    json!({
        "version": "2.2.0",
        "summary": {
            "title": model.name,
            "owner": "",
            "description": model.description.clone().unwrap_or_default(),
            "id": 0,
        },
        "detail": {
            "contributors": [],
            "reviewer": "",
            // What Threat Dragon has no place for, read back by threatscribe's import.
            "threatscribe": {
                "data_assets": model.data_assets,
                "tracking": model.tracking,
                "assumptions": model.assumptions,
                "questions": model.questions,
            },
            "diagrams": [{
                "id": 0,
                "title": model.name,
                "diagramType": "STRIDE",
                "placeholder": "",
                "thumbnail": "./public/content/images/thumbnail.stride.jpg",
                "version": "2.2.0",
                "cells": cells,
            }],
        },
    })
}
