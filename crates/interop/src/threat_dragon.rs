//! OWASP Threat Dragon (v2, and v1 through `diagram_cells`): each diagram's cells are actors,
//! processes, stores, flows and trust boundaries, and cells carry the threats people wrote. Boundary boxes list no members, so membership comes from the geometry: an element
//! belongs to the smallest box that holds its centre, and a box sits inside the smallest box
//! that holds it whole. Boundary curves separate regions without enclosing anything, so they
//! give no membership; the assumptions say so.

use serde_json::{Value, json};

use crate::{Ids, ImportError, one_line, protocol, text};

/// How far, in diagram units, a loose flow end may lie from the element it is joined to: the
/// demo models leave ends about 10 units off the shape they visibly start from.
const LOOSE_END_REACH: f64 = 20.0;

#[derive(Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn of(cell: &Value) -> Option<Rect> {
        Some(Rect {
            x: cell.pointer("/position/x")?.as_f64()?,
            y: cell.pointer("/position/y")?.as_f64()?,
            w: cell.pointer("/size/width")?.as_f64()?,
            h: cell.pointer("/size/height")?.as_f64()?,
        })
    }

    fn contains_point(self, x: f64, y: f64) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }

    fn contains(self, other: Rect) -> bool {
        self.contains_point(other.x, other.y)
            && self.contains_point(other.x + other.w, other.y + other.h)
    }

    /// How far a point lies outside the rectangle; 0 inside.
    fn distance(self, x: f64, y: f64) -> f64 {
        let dx = (self.x - x).max(x - (self.x + self.w)).max(0.0);
        let dy = (self.y - y).max(y - (self.y + self.h)).max(0.0);
        dx.hypot(dy)
    }

    fn area(self) -> f64 {
        self.w * self.h
    }
}

/// The cell's own id in threatscribe's exports (`ours`), whose ids are model ids already;
/// elsewhere ids are generated UUIDs, and the name makes a readable id.
fn id_source(cell: &Value, name: &str, ours: bool) -> String {
    let id = cell.get("id").and_then(Value::as_str).unwrap_or_default();
    if ours && threatscribe_model::is_valid_id(id) {
        id.to_owned()
    } else {
        name.to_owned()
    }
}

/// `WEB001@web-app`: a finding of one of threatscribe's rules.
fn is_rule_finding(id: &str) -> bool {
    id.split_once('@').is_some_and(|(rule, target)| {
        !target.is_empty()
            && rule.len() > 3
            && rule.chars().take_while(char::is_ascii_uppercase).count() >= 2
            && rule
                .chars()
                .skip_while(char::is_ascii_uppercase)
                .all(|c| c.is_ascii_digit())
            && rule.chars().last().is_some_and(|c| c.is_ascii_digit())
    })
}

/// A status set in Threat Dragon on one of our findings, as a tracking entry.
fn decision(threat: &Value) -> Option<Value> {
    if threat.pointer("/threatscribe/mitigatedBy").is_some() {
        return None;
    }
    let status = match text(threat, "status").to_ascii_lowercase().as_str() {
        "mitigated" => "mitigated",
        "notapplicable" => "false-positive",
        _ => return None,
    };
    Some(json!({
        "threat": text(threat, "id"),
        "status": status,
        "justification": "Set in OWASP Threat Dragon.",
    }))
}

/// A Threat Dragon threat as a provided finding on `target`, or why it cannot be one.
fn finding(threat: &Value, target: &str) -> Result<Value, String> {
    let kind = text(threat, "type").trim().to_ascii_lowercase();
    let stride = match kind.as_str() {
        "spoofing" => "spoofing",
        "tampering" | "integrity" => "tampering",
        "repudiation" => "repudiation",
        "information disclosure" | "confidentiality" => "information_disclosure",
        "denial of service" | "availability" => "denial_of_service",
        "elevation of privilege" => "elevation_of_privilege",
        "" => return Err("no type".into()),
        other => return Err(format!("type `{other}` has no STRIDE category")),
    };
    let status = match text(threat, "status").trim().to_ascii_lowercase().as_str() {
        "mitigated" => "mitigated",
        "notapplicable" | "not applicable" | "n/a" => "false-positive",
        _ => "open",
    };
    let title = one_line(text(threat, "title"));
    let mut out = json!({
        "target": target,
        "stride": stride,
        "title": if title.is_empty() { "Untitled threat".to_owned() } else { title },
        "status": status,
        "source": "OWASP Threat Dragon",
    });
    if let severity @ ("low" | "medium" | "high" | "critical") = text(threat, "severity")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        out["severity"] = json!(severity);
    }
    for key in ["description", "mitigation"] {
        let value = text(threat, key).trim();
        if !value.is_empty() {
            out[key] = json!(value);
        }
    }
    Ok(out)
}

fn name_of(cell: &Value, fallback: &str) -> String {
    let name = cell
        .pointer("/data/name")
        .and_then(Value::as_str)
        .or_else(|| cell.pointer("/attrs/text/text").and_then(Value::as_str))
        .map(one_line)
        .unwrap_or_default();
    if name.is_empty() {
        fallback.to_owned()
    } else {
        name
    }
}

/// A diagram's cells in the v2 form. Version 1 files keep them under `diagramJson.cells`, typed
/// `tm.Actor`, `tm.Process`, `tm.Store`, `tm.Flow` and `tm.Boundary` (always a curve), with
/// their properties on the cell itself and flow names in the label.
fn diagram_cells(diagram: &Value) -> Vec<Value> {
    if let Some(cells) = diagram.get("cells").and_then(Value::as_array) {
        return cells.clone();
    }
    let cells = diagram
        .pointer("/diagramJson/cells")
        .and_then(Value::as_array);
    cells.into_iter().flatten().map(v1_cell).collect()
}

fn v1_cell(cell: &Value) -> Value {
    let shape = match cell.get("type").and_then(Value::as_str).unwrap_or_default() {
        "tm.Actor" => "actor",
        "tm.Process" => "process",
        "tm.Store" => "store",
        "tm.Flow" => "flow",
        "tm.Boundary" => "trust-boundary-curve",
        _ => "other",
    };
    let name = ["/name", "/attrs/text/text", "/labels/0/attrs/text/text"]
        .iter()
        .find_map(|at| cell.pointer(at).and_then(Value::as_str));
    let mut data = serde_json::Map::new();
    data.insert("name".into(), json!(name));
    for key in [
        "description",
        "outOfScope",
        "isEncrypted",
        "protocol",
        "threats",
    ] {
        if let Some(value) = cell.get(key) {
            data.insert(key.into(), value.clone());
        }
    }
    let end = |key: &str| {
        cell.pointer(&format!("/{key}/id"))
            .map(|id| json!({"cell": id}))
    };
    json!({
        "id": cell.get("id"),
        "shape": shape,
        "position": cell.get("position"),
        "size": cell.get("size"),
        "data": data,
        "source": end("source"),
        "target": end("target"),
    })
}

#[allow(clippy::too_many_lines)] // cells by kind, then boundaries, then what is not carried over
pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let ours = value.pointer("/detail/threatscribe").is_some();
    let diagrams = value
        .pointer("/detail/diagrams")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError("not a Threat Dragon v2 file: no detail.diagrams".into()))?;
    let mut ids = Ids::default();
    let mut elements: Vec<Value> = Vec::new();
    let mut flows: Vec<Value> = Vec::new();
    let mut boundaries: Vec<(String, String, Rect)> = Vec::new();
    let mut placed: Vec<(usize, Rect)> = Vec::new();
    let mut cell_ids: Vec<(String, String)> = Vec::new();
    let mut curves = 0;
    let mut out_of_scope = Vec::new();
    let mut unknown_protocols: Vec<String> = Vec::new();
    let mut loose_flows: Vec<String> = Vec::new();
    let mut attached_ends = 0;
    let mut kinds: Vec<(String, Value)> = Vec::new();

    let mut findings: Vec<Value> = Vec::new();
    let mut tracking: Vec<Value> = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    let mut carry = |cell: &Value, target: Option<&str>, owner: &str| {
        for threat in cell
            .pointer("/data/threats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // threatscribe's own findings, exported earlier: the rules find them again, so only
            // a status someone set in Threat Dragon comes back, as a decision.
            if is_rule_finding(text(threat, "id")) {
                if let Some(decision) = decision(threat) {
                    tracking.push(decision);
                }
                continue;
            }
            match target.map(|target| finding(threat, target)) {
                Some(Ok(finding)) => findings.push(finding),
                Some(Err(why)) => left_out.push(format!(
                    "\"{}\" on {owner} ({why})",
                    one_line(text(threat, "title"))
                )),
                None => left_out.push(format!(
                    "\"{}\" on {owner} (its flow was left out)",
                    one_line(text(threat, "title"))
                )),
            }
        }
    };

    for diagram in diagrams {
        let cells = diagram_cells(diagram);
        let this_diagram = placed.len();
        for cell in &cells {
            let shape = cell
                .get("shape")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let kind = match shape {
                "actor" => "external_entity",
                "process" => "process",
                "store" => "data_store",
                "trust-boundary-box" => {
                    let name = name_of(cell, "Trust boundary");
                    let name = if name == "Trust boundary" {
                        format!("Trust boundary {}", boundaries.len() + 1)
                    } else {
                        name
                    };
                    if let Some(rect) = Rect::of(cell) {
                        let id = ids.make(&id_source(cell, &name, ours));
                        if let Some(kind) = cell.pointer("/data/threatscribe/kind") {
                            kinds.push((id.clone(), kind.clone()));
                        }
                        boundaries.push((id, name, rect));
                    }
                    continue;
                }
                "trust-boundary-curve" => {
                    curves += 1;
                    continue;
                }
                _ => continue,
            };
            let name = name_of(cell, "Unnamed element");
            if cell.pointer("/data/outOfScope").and_then(Value::as_bool) == Some(true) {
                out_of_scope.push(name.clone());
            }
            let id = ids.make(&id_source(cell, &name, ours));
            carry(cell, Some(&id), &name);
            if let Some(cell_id) = cell.get("id").and_then(Value::as_str) {
                cell_ids.push((cell_id.to_owned(), id.clone()));
            }
            let mut element = json!({"id": id, "name": name, "kind": kind});
            for key in ["technologies", "tags", "properties"] {
                if let Some(value) = cell.pointer(&format!("/data/threatscribe/{key}")) {
                    element[key] = value.clone();
                }
            }
            if let Some(description) = cell
                .pointer("/data/description")
                .and_then(Value::as_str)
                .filter(|d| !d.trim().is_empty())
            {
                element["description"] = json!(description.trim());
            }
            if let Some(rect) = Rect::of(cell) {
                placed.push((elements.len(), rect));
            }
            elements.push(element);
        }
        for cell in &cells {
            if cell.get("shape").and_then(Value::as_str) != Some("flow") {
                continue;
            }
            // An end is a cell id, or a loose point: then the element drawn under it, as a
            // reader of the diagram would join them.
            let mut end = |key: &str| {
                if let Some(cell_id) = cell
                    .pointer(&format!("/{key}/cell"))
                    .and_then(Value::as_str)
                {
                    return cell_ids
                        .iter()
                        .find(|(c, _)| c == cell_id)
                        .map(|(_, id)| id.clone());
                }
                let x = cell.pointer(&format!("/{key}/x")).and_then(Value::as_f64)?;
                let y = cell.pointer(&format!("/{key}/y")).and_then(Value::as_f64)?;
                let (index, _) = placed[this_diagram..]
                    .iter()
                    .map(|(index, rect)| (index, rect.distance(x, y)))
                    .filter(|(_, distance)| *distance <= LOOSE_END_REACH)
                    .min_by(|a, b| a.1.total_cmp(&b.1))?;
                attached_ends += 1;
                elements[*index]["id"].as_str().map(str::to_owned)
            };
            let name = name_of(cell, "flow");
            let ends = match (end("source"), end("target")) {
                (Some(from), Some(to)) if from != to => Some((from, to)),
                _ => None,
            };
            let Some((from, to)) = ends else {
                carry(cell, None, &format!("flow {name}"));
                loose_flows.push(name);
                continue;
            };
            let id = ids.make(&id_source(cell, &format!("{from}-to-{to}"), ours));
            carry(cell, Some(&id), &format!("flow {name}"));
            let mut flow = json!({"id": id, "from": from, "to": to});
            // A flow's name is its description, unless it only repeats the id.
            if name != id {
                flow["description"] = json!(name);
            }
            let mut properties = serde_json::Map::new();
            if let Some(encrypted) = cell.pointer("/data/isEncrypted").and_then(Value::as_bool) {
                properties.insert("encrypted".into(), json!(encrypted));
            }
            if !properties.is_empty() {
                flow["properties"] = Value::Object(properties);
            }
            if let Some(text) = cell
                .pointer("/data/protocol")
                .and_then(Value::as_str)
                .filter(|p| !p.trim().is_empty())
            {
                match protocol(text) {
                    Some(id) => flow["protocol"] = json!(id),
                    None if threatscribe_model::is_valid_id(text) => flow["protocol"] = json!(text),
                    None => unknown_protocols.push(text.trim().to_owned()),
                }
            }
            for key in ["protocol", "properties", "data"] {
                if let Some(value) = cell
                    .pointer(&format!("/data/threatscribe/{key}"))
                    .filter(|v| !v.is_null())
                {
                    flow[key] = value.clone();
                }
            }
            flows.push(flow);
        }
    }

    if elements.is_empty() {
        return Err(ImportError(
            "its diagrams hold no actors, processes or stores".into(),
        ));
    }

    // Membership from geometry: each element in the smallest box holding its centre, each box
    // inside the smallest other box holding it whole.
    let smallest = |pick: &dyn Fn(Rect) -> bool, skip: Option<usize>| {
        boundaries
            .iter()
            .enumerate()
            .filter(|(i, (_, _, rect))| Some(*i) != skip && pick(*rect))
            .min_by(|a, b| a.1.2.area().total_cmp(&b.1.2.area()))
            .map(|(_, (id, _, _))| id.clone())
    };
    for (index, rect) in &placed {
        let (cx, cy) = (rect.x + rect.w / 2.0, rect.y + rect.h / 2.0);
        if let Some(boundary) = smallest(&|b: Rect| b.contains_point(cx, cy), None) {
            elements[*index]["boundary"] = json!(boundary);
        }
    }
    let boundaries: Vec<Value> = boundaries
        .iter()
        .enumerate()
        .map(|(i, (id, name, rect))| {
            let kind = kinds
                .iter()
                .find(|(k, _)| k == id)
                .map_or_else(|| json!("network"), |(_, kind)| kind.clone());
            let mut boundary = json!({"id": id, "name": name, "kind": kind});
            if let Some(parent) = smallest(
                &|b: Rect| b.contains(*rect) && b.area() > rect.area(),
                Some(i),
            ) {
                boundary["parent"] = json!(parent);
            }
            boundary
        })
        .collect();

    let mut assumptions = vec![
        "Imported from an OWASP Threat Dragon model: its elements name no technologies, so the findings are the generic STRIDE ones plus what names and flows imply.".to_owned(),
        "Threat Dragon boundary boxes list no members: each element is placed in the smallest box that holds its centre on the diagram, and boxes are drawn as network boundaries.".to_owned(),
    ];
    if curves > 0 {
        assumptions.push(format!(
            "The diagram has {curves} trust boundary curve(s); curves separate regions without enclosing elements, so they give no boundary membership here. Redraw them as boxes, or add boundaries to the model."
        ));
    }
    if !out_of_scope.is_empty() {
        assumptions.push(format!(
            "Marked out of scope in Threat Dragon but analysed here: {}.",
            out_of_scope.join(", ")
        ));
    }
    if !findings.is_empty() {
        assumptions.push(format!(
            "The file's own {} threat(s) come along as provided findings, with their status, beside the analysis's.",
            findings.len()
        ));
    }
    if !left_out.is_empty() {
        assumptions.push(format!(
            "Threats in the file not carried over: {}.",
            left_out.join("; ")
        ));
    }
    if !unknown_protocols.is_empty() {
        unknown_protocols.sort();
        unknown_protocols.dedup();
        assumptions.push(format!(
            "Flow protocols not recognised and left out: {}.",
            unknown_protocols.join(", ")
        ));
    }
    if attached_ends > 0 {
        assumptions.push(format!(
            "{attached_ends} flow end(s) are not connected in the file; each was joined to the element it touches on the diagram (within 20 units)."
        ));
    }
    if !loose_flows.is_empty() {
        assumptions.push(format!(
            "Left out {} flow(s) not joined to two different elements on the diagram: {}.",
            loose_flows.len(),
            loose_flows.join(", ")
        ));
    }
    let title = value
        .pointer("/summary/title")
        .and_then(Value::as_str)
        .unwrap_or("Imported Threat Dragon model");
    let mut questions = json!([
        "Which technologies does each element use (frameworks, databases, cloud services)? Threat Dragon models carry none, and specific findings key on them.",
        "What data does each flow carry, and how sensitive is it? The model declares no data assets, so ratings ignore data sensitivity."
    ]);
    let mut data_assets = json!([]);
    // threatscribe's own export: what Threat Dragon has no place for comes back from the file.
    if let Some(ours) = value.pointer("/detail/threatscribe") {
        let stored = |key: &str| ours.get(key).cloned().unwrap_or_else(|| json!([]));
        assumptions = vec![
            "Written by threatscribe's Threat Dragon export: the findings are derived again from the model; statuses set in Threat Dragon come back as decisions.".to_owned(),
        ];
        assumptions.extend(
            stored("assumptions")
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
        let mut kept: Vec<Value> = stored("tracking").as_array().cloned().unwrap_or_default();
        kept.append(&mut tracking);
        tracking = kept;
        questions = stored("questions");
        data_assets = stored("data_assets");
    }
    Ok(json!({
        "name": title,
        "description": value.pointer("/summary/description").and_then(Value::as_str).filter(|d| !d.trim().is_empty()),
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "assumptions": assumptions,
        "findings": findings,
        "tracking": tracking,
        "data_assets": data_assets,
        "questions": questions,
    }))
}
