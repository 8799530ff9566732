//! TM-BOM (the OWASP Threat Model Library's threat-model schema, JSON): actors, components and
//! data stores with trust zones, data sets placed in stores, data flows, and threats with the
//! controls and risks that name them. Data flows name no data sets, so a data set travels on
//! the flows into and out of the stores that hold it; the assumptions say so. A threat that
//! names an affected element or flow and a STRIDE category comes along as a provided finding,
//! its status read from its controls.
//!
//! threatscribe's own exports carry an extension with what TM-BOM has no field for: they come
//! back as the model they were written from, the findings are derived again, and a control
//! status someone changed since comes back as a decision.

use serde_json::{Value, json};
use threatscribe_model::{Severity, Status};

use crate::export_tmbom::{EXTENSION, NOTES};
use crate::{Ids, ImportError, list, one_line, text};

/// Vendor and product pairs that name a catalog technology exactly.
fn technology(vendor: &str, product: &str) -> Option<&'static str> {
    match (
        vendor.to_ascii_lowercase().as_str(),
        product.to_ascii_lowercase().as_str(),
    ) {
        ("azure" | "microsoft", "blob" | "blob storage") => Some("azure-blob-storage"),
        ("azure" | "microsoft", "key vault") => Some("azure-key-vault"),
        ("github", "github repositories" | "github") => Some("github"),
        _ => None,
    }
}

/// TM-BOM sensitivity codes, most sensitive class wins.
fn classification(codes: &[&str]) -> &'static str {
    let rank = |code: &str| match code {
        "pub" | "public" => 0,
        "cred" | "pii" | "phi" | "fin" | "pci" | "sec" => 3,
        _ => 2,
    };
    match codes.iter().map(|c| rank(c)).max().unwrap_or(2) {
        0 => "public",
        3 => "restricted",
        _ => "confidential",
    }
}

/// Where a threat stands, from the statuses of the controls that address it: mitigated when
/// one is active, transferred when one is assumed (someone else provides it), in progress when
/// one is approved or scheduled, accepted when every one is `wont_do`, open otherwise; `None`
/// without controls. The export writes each status so that it reads back the same, except a
/// false positive, which TM-BOM cannot tell from an acceptance.
fn status_from(controls: &[&str]) -> Option<Status> {
    let any = |statuses: &[&str]| controls.iter().any(|c| statuses.contains(c));
    if controls.is_empty() {
        None
    } else if any(&["active"]) {
        Some(Status::Mitigated)
    } else if any(&["assumed"]) {
        Some(Status::Transferred)
    } else if any(&["approved", "scheduled"]) {
        Some(Status::InProgress)
    } else if controls.iter().all(|c| *c == "wont_do") {
        Some(Status::Accepted)
    } else {
        Some(Status::Open)
    }
}

/// The STRIDE category a text names first, as its label ("Information Disclosure").
fn stride_in(text: &str) -> Option<&'static str> {
    const LABELS: [(&str, &str); 6] = [
        ("spoofing", "spoofing"),
        ("tampering", "tampering"),
        ("repudiation", "repudiation"),
        ("information disclosure", "information_disclosure"),
        ("denial of service", "denial_of_service"),
        ("elevation of privilege", "elevation_of_privilege"),
    ];
    let text = text.to_ascii_lowercase();
    LABELS
        .iter()
        .filter_map(|(label, stride)| text.find(label).map(|at| (at, *stride)))
        .min()
        .map(|(_, stride)| stride)
}

/// A description without the notes paragraph threatscribe's export adds.
fn without_notes(text: &str) -> &str {
    if text.starts_with(NOTES) {
        return "";
    }
    text.rfind(&format!("\n\n{NOTES}"))
        .map_or(text, |at| &text[..at])
}

/// What threatscribe's own export keeps in its extension, when the file is one.
#[derive(Clone, Copy)]
struct Ours<'a>(Option<&'a Value>);

impl<'a> Ours<'a> {
    fn is_some(self) -> bool {
        self.0.is_some()
    }

    /// Where the item with this id is in the extension's list `part`.
    fn position(self, part: &str, id: &str) -> Option<usize> {
        self.0?
            .get(part)?
            .as_array()?
            .iter()
            .position(|item| text(item, "id") == id)
    }

    /// `key` of the item with this id in the extension's list `part`, when present and not
    /// null.
    fn get(self, part: &str, id: &str, key: &str) -> Option<&'a Value> {
        let at = self.position(part, id)?;
        self.0?
            .get(part)?
            .get(at)?
            .get(key)
            .filter(|v| !v.is_null())
    }

    /// The extension's threats map: our finding id and control status by symbolic name.
    fn threat(self, name: &str, key: &str) -> Option<&'a str> {
        self.0?.get("threats")?.get(name)?.get(key)?.as_str()
    }

    fn list(self, key: &str) -> Vec<Value> {
        self.0
            .and_then(|o| o.get(key))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// A name or a one-line text as written in our own files, or on one line from anyone
    /// else's.
    fn line(self, text: &str) -> String {
        if self.is_some() {
            text.to_owned()
        } else {
            one_line(text)
        }
    }

    /// A description as written, less our notes, or on one line from anyone else's.
    fn description(self, text: &str) -> String {
        if self.is_some() {
            without_notes(text).to_owned()
        } else {
            one_line(text)
        }
    }
}

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let ours = Ours(value.get("extensions").and_then(|e| e.get(EXTENSION)));
    let mut ids = Ids::default();
    let mut assumptions = vec![if ours.is_some() {
        "Written by threatscribe's TM-BOM export: the findings are derived again from the model, what TM-BOM has no field for comes back from the file's threatscribe extension, and a control status changed since comes back as a decision.".to_owned()
    } else {
        "Imported from a TM-BOM file: actors are external entities, components processes, data stores data stores, and trust zones boundaries.".to_owned()
    }];
    let mut questions = Vec::new();
    let (zones, boundaries) = trust_zones(value, ours, &mut ids);
    let zone_id = |given: &str| {
        zones
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };

    let (elements, element_ids, unnamed_products) = elements(value, ours, &mut ids, &zone_id);
    if elements.is_empty() {
        return Err(ImportError(
            "it has no actors, components or data stores".into(),
        ));
    }
    let element_id = |given: &str| {
        element_ids
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };

    let (data_assets, held) = data_sets(value, ours, &element_id);
    if !data_assets.is_empty() && !ours.is_some() {
        assumptions.push("TM-BOM data flows name no data sets: each data set is taken to travel on the flows into and out of the stores that hold it. Sensitivity codes map to classes: cred, pii, phi and fin are restricted, pub public, biz and anything else confidential.".into());
    }

    let (flows, flow_ids) = flows(value, ours, &mut ids, &element_id, &held)?;

    for assumption in list(value, "assumptions") {
        let description = ours.line(text(assumption, "description"));
        assumptions.push(if ours.is_some() {
            description
        } else {
            format!(
                "From the TM-BOM ({}): {description}",
                text(assumption, "validity")
            )
        });
    }

    let targets: Vec<(String, String)> = element_ids.iter().chain(&flow_ids).cloned().collect();
    let (findings, tracking) = threats(value, ours, &targets, &mut assumptions);

    if ours.is_some() {
        questions = ours
            .list("questions")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    } else {
        if !unnamed_products.is_empty() {
            questions.push(format!(
                "Which catalog technology is each of these products? {}. Name them as technologies in the model for specific findings.",
                unnamed_products.join(", ")
            ));
        }
        questions.push("Which technologies do the components use? TM-BOM components name none, and specific findings key on them.".to_owned());
    }

    let scope = value.get("scope").unwrap_or(&Value::Null);
    Ok(json!({
        "name": if text(scope, "title").is_empty() { "Imported TM-BOM model" } else { text(scope, "title") },
        "description": if text(scope, "description").is_empty() { Value::Null } else { json!(text(scope, "description")) },
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

/// (id in the file, our id) pairs.
type IdPairs = Vec<(String, String)>;

/// Trust zones as (TM-BOM name, our id) pairs and model-file boundaries. The zone our export
/// adds for elements in no boundary is no boundary of the model.
fn trust_zones(value: &Value, ours: Ours<'_>, ids: &mut Ids) -> (IdPairs, Vec<Value>) {
    let outside = ours.0.map(|o| text(o, "outside_boundaries"));
    let zone_list: Vec<&Value> = list(value, "trust_zones")
        .filter(|z| outside != Some(text(z, "symbolic_name")))
        .collect();
    let zones: IdPairs = zone_list
        .iter()
        .map(|z| {
            (
                text(z, "symbolic_name").to_owned(),
                ids.make(text(z, "symbolic_name")),
            )
        })
        .collect();
    let zone_id = |given: &str| {
        zones
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };
    let boundaries: Vec<Value> = zone_list
        .iter()
        .zip(&zones)
        .map(|(z, (given, id))| {
            let kind = ours
                .get("boundaries", given, "kind")
                .cloned()
                .unwrap_or_else(|| json!("network"));
            let mut boundary = json!({"id": id, "name": ours.line(text(z, "title")), "kind": kind});
            if let Some(parent) = ours
                .get("boundaries", given, "parent")
                .and_then(Value::as_str)
                .and_then(zone_id)
            {
                boundary["parent"] = json!(parent);
            }
            if let Some(properties) = ours.get("boundaries", given, "properties") {
                boundary["properties"] = properties.clone();
            }
            boundary
        })
        .collect();
    (zones, boundaries)
}

/// Data sets as data assets, and (store, data set) pairs for where each is placed.
fn data_sets(
    value: &Value,
    ours: Ours<'_>,
    element_id: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Value>, IdPairs) {
    let mut data_assets = Vec::new();
    let mut held = Vec::new();
    for set in list(value, "data_sets") {
        let id = text(set, "symbolic_name");
        let codes: Vec<&str> = list(set, "data_sensitivity")
            .filter_map(Value::as_str)
            .collect();
        let class = ours
            .get("data_assets", id, "classification")
            .cloned()
            .unwrap_or_else(|| json!(classification(&codes)));
        let mut asset =
            json!({"id": id, "name": ours.line(text(set, "title")), "classification": class});
        let description = ours.description(text(set, "description"));
        if !description.is_empty() {
            asset["description"] = json!(description);
        }
        data_assets.push(asset);
        for placement in list(set, "placements") {
            if let Some(store) = element_id(text(placement, "data_store")) {
                held.push((store, id.to_owned()));
            }
        }
    }
    (data_assets, held)
}

/// Actors, components and data stores as elements, with (TM-BOM name, our id) pairs and the
/// products no catalog entry matched.
fn elements(
    value: &Value,
    ours: Ours<'_>,
    ids: &mut Ids,
    zone_id: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Value>, IdPairs, Vec<String>) {
    let mut elements = Vec::new();
    let mut element_ids: IdPairs = Vec::new();
    let mut unnamed_products = Vec::new();
    for (part, kind) in [
        ("actors", "external_entity"),
        ("components", "process"),
        ("data_stores", "data_store"),
    ] {
        for item in list(value, part) {
            let given = text(item, "symbolic_name");
            let name = ours.line(text(item, "title"));
            let id = ids.make(if given.is_empty() { &name } else { given });
            let mut element = json!({"id": id, "name": if name.is_empty() { id.clone() } else { name.clone() }, "kind": kind});
            let description = ours.description(text(item, "description"));
            if !description.is_empty() {
                element["description"] = json!(description);
            }
            if let Some(zone) = zone_id(text(item, "trust_zone")) {
                element["boundary"] = json!(zone);
            }
            if ours.is_some() {
                // Our export names products from the catalog; the extension has the ids.
                for key in ["technologies", "tags", "properties"] {
                    if let Some(stored) = ours.get("elements", given, key) {
                        element[key] = stored.clone();
                    }
                }
            } else {
                let product = text(item, "product");
                match technology(text(item, "vendor"), product) {
                    Some(technology) => element["technologies"] = json!([technology]),
                    None if product.is_empty() => {}
                    None if product == name => unnamed_products.push(name.clone()),
                    None => unnamed_products.push(format!("{name} ({product})")),
                }
            }
            element_ids.push((given.to_owned(), id));
            elements.push((ours.position("elements", given), element));
        }
    }
    // Our own exports list elements by kind; the model's order comes back from the extension.
    elements.sort_by_key(|(at, _)| at.unwrap_or(usize::MAX));
    let elements = elements.into_iter().map(|(_, e)| e).collect();
    (elements, element_ids, unnamed_products)
}

/// Data flows, each carrying the data sets held by the stores at its ends (in our own exports,
/// the data the extension lists), with (TM-BOM name, our id) pairs.
fn flows(
    value: &Value,
    ours: Ours<'_>,
    ids: &mut Ids,
    element_id: &dyn Fn(&str) -> Option<String>,
    held: &[(String, String)],
) -> Result<(Vec<Value>, IdPairs), ImportError> {
    let mut flows = Vec::new();
    let mut flow_ids = Vec::new();
    for flow in list(value, "data_flows") {
        let given = text(flow, "symbolic_name");
        let end = |key: &str| {
            let object = flow
                .pointer(&format!("/{key}/object"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            element_id(object).ok_or_else(|| {
                ImportError(format!(
                    "data flow `{given}` has {key} `{object}`, which is not an actor, component or data store"
                ))
            })
        };
        let (from, to) = (end("source")?, end("destination")?);
        let mut out = json!({"from": from, "to": to});
        if !given.is_empty() {
            let id = ids.make(given);
            flow_ids.push((given.to_owned(), id.clone()));
            out["id"] = json!(id);
        }
        let description = ours.description(text(flow, "description"));
        if !description.is_empty() {
            out["description"] = json!(description);
        }
        if ours.is_some() {
            for key in ["protocol", "data", "properties"] {
                if let Some(stored) = ours.get("flows", given, key) {
                    out[key] = stored.clone();
                }
            }
        } else {
            let data: Vec<&String> = held
                .iter()
                .filter(|(store, _)| *store == from || *store == to)
                .map(|(_, set)| set)
                .collect();
            out["data"] = json!(data);
            if let Some(encrypted) = flow.get("encrypted").and_then(Value::as_bool) {
                out["properties"] = json!({"encrypted": encrypted});
            }
        }
        flows.push(out);
    }
    Ok((flows, flow_ids))
}

/// The file's threats: provided findings, and in our own exports the restored findings and
/// decisions, with a changed control status as a new decision. Adds what was and was not
/// carried over to the assumptions.
fn threats(
    value: &Value,
    ours: Ours<'_>,
    targets: &[(String, String)],
    assumptions: &mut Vec<String>,
) -> (Vec<Value>, Vec<Value>) {
    let mut findings = ours.list("findings");
    let mut decisions = Vec::new();
    let mut carried = 0;
    let mut left = Vec::new();
    for threat in list(value, "threats") {
        let name = text(threat, "symbolic_name");
        let controls: Vec<&Value> = list(value, "controls")
            .filter(|c| list(c, "threats").any(|t| t.as_str() == Some(name)))
            .collect();
        let statuses: Vec<&str> = controls.iter().map(|c| text(c, "status")).collect();
        if let Some(kept) = ours.threat(name, "id") {
            let written = ours.threat(name, "control_status").unwrap_or_default();
            let now = status_from(&statuses);
            if let Some(now) = now.filter(|now| Some(*now) != status_from(&[written])) {
                decide(kept, now, &statuses, &mut findings, &mut decisions);
            }
            continue;
        }
        match finding(value, threat, &controls, targets) {
            Ok(finding) => {
                carried += 1;
                findings.push(finding);
            }
            Err(why) => left.push(format!("{} ({why})", one_line(text(threat, "title")))),
        }
    }
    let own: Vec<String> = ["threats", "controls", "risks"]
        .iter()
        .map(|part| format!("{} {part}", list(value, part).count()))
        .collect();
    if carried + left.len() > 0 {
        assumptions.push(format!(
            "The file carries {} of its own. Threats that name an affected element or flow and a STRIDE category (in their event, title or description) come along as provided findings ({carried} of them). Status from their controls: active is mitigated, assumed transferred, approved or scheduled in progress, all wont_do accepted, anything else open; severity from the level of their risks.",
            own.join(", ")
        ));
    }
    if !left.is_empty() {
        assumptions.push(format!("Threats not carried over: {}.", left.join("; ")));
    }
    let mut tracking = decisions;
    tracking.extend(ours.list("tracking"));
    (findings, tracking)
}

/// A status set in another tool on one of our findings: a hand-written finding (`PROVIDED-N`,
/// the Nth written) takes it directly; a rule's finding gets a decision, which comes before
/// the file's own decisions so that it wins over them.
fn decide(
    id: &str,
    status: Status,
    statuses: &[&str],
    findings: &mut [Value],
    decisions: &mut Vec<Value>,
) {
    let written = id
        .strip_prefix("PROVIDED-")
        .and_then(|rest| rest.split('@').next())
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1));
    if let Some(finding) = written.and_then(|n| findings.get_mut(n)) {
        finding["status"] = json!(status.as_str());
        return;
    }
    decisions.push(json!({
        "threat": id,
        "status": status.as_str(),
        "justification": format!("Set in a TM-BOM file: control status {}.", statuses.join(", ")),
    }));
}

/// A TM-BOM threat as a provided finding, or why it cannot be one.
fn finding(
    value: &Value,
    threat: &Value,
    controls: &[&Value],
    targets: &[(String, String)],
) -> Result<Value, &'static str> {
    let target = list(threat, "components_affected")
        .filter_map(Value::as_str)
        .find_map(|c| targets.iter().find(|(g, _)| g == c).map(|(_, id)| id))
        .ok_or("it names no affected element or flow")?;
    let stride = ["event", "title", "description"]
        .iter()
        .find_map(|key| stride_in(text(threat, key)))
        .ok_or("it names no STRIDE category")?;
    let statuses: Vec<&str> = controls.iter().map(|c| text(c, "status")).collect();
    let title = one_line(text(threat, "title"));
    let mut out = json!({
        "target": target,
        "stride": stride,
        "title": if title.is_empty() { "Untitled threat".to_owned() } else { title },
        "status": status_from(&statuses).unwrap_or(Status::Open).as_str(),
        "source": "the TM-BOM file",
    });
    let description = one_line(text(threat, "description"));
    if !description.is_empty() {
        out["description"] = json!(description);
    }
    let name = text(threat, "symbolic_name");
    let severity = list(value, "risks")
        .filter(|r| list(r, "threats").any(|t| t.as_str() == Some(name)))
        .filter_map(
            |r| match text(r, "level").trim().to_ascii_lowercase().as_str() {
                "low" => Some(Severity::Low),
                "medium" => Some(Severity::Medium),
                "high" => Some(Severity::High),
                "critical" => Some(Severity::Critical),
                _ => None,
            },
        )
        .max();
    if let Some(severity) = severity {
        out["severity"] = json!(severity.as_str());
    }
    let mitigation: Vec<String> = controls
        .iter()
        .map(|c| one_line(text(c, "title")))
        .filter(|t| !t.is_empty())
        .collect();
    if !mitigation.is_empty() {
        out["mitigation"] = json!(mitigation.join(". "));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export_tmbom::control_status;

    #[test]
    fn every_status_but_false_positive_reads_back_from_its_control() {
        for status in Status::ALL {
            let back = status_from(&[control_status(status)]);
            let expected = if status == Status::FalsePositive {
                Status::Accepted
            } else {
                status
            };
            assert_eq!(back, Some(expected), "{status}");
        }
        assert_eq!(status_from(&[]), None);
        assert_eq!(
            status_from(&["suggested", "active"]),
            Some(Status::Mitigated)
        );
        assert_eq!(status_from(&["wont_do", "suggested"]), Some(Status::Open));
    }

    #[test]
    fn stride_is_the_first_category_named() {
        assert_eq!(
            stride_in("Tampering, Information Disclosure"),
            Some("tampering")
        );
        assert_eq!(
            stride_in("leads to denial of service after spoofing"),
            Some("denial_of_service")
        );
        assert_eq!(stride_in("supply chain attack"), None);
    }

    #[test]
    fn our_notes_are_dropped_from_descriptions() {
        assert_eq!(
            without_notes("Stores posts.\n\n[threatscribe] Tags: sql."),
            "Stores posts."
        );
        assert_eq!(without_notes("[threatscribe] Tags: sql."), "");
        assert_eq!(without_notes("Stores posts."), "Stores posts.");
    }
}
