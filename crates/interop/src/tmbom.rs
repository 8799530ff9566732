//! TM-BOM (the OWASP Threat Model Library's threat-model schema, JSON): actors, components and
//! data stores with trust zones, data sets placed in stores, and data flows. Data flows name no
//! data sets, so a data set travels on the flows into and out of the stores that hold it; the
//! assumptions say so.

use serde_json::{Value, json};

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

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let mut ids = Ids::default();
    let mut assumptions = vec![
        "Imported from a TM-BOM file: actors are external entities, components processes, data stores data stores, and trust zones boundaries.".to_owned(),
    ];
    let mut questions = Vec::new();
    let zones: Vec<(String, String)> = list(value, "trust_zones")
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
    let boundaries: Vec<Value> = list(value, "trust_zones")
        .zip(&zones)
        .map(
            |(z, (_, id))| json!({"id": id, "name": one_line(text(z, "title")), "kind": "network"}),
        )
        .collect();

    let (elements, element_ids, unnamed_products) = elements(value, &mut ids, &zone_id);
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

    // Data sets, and the stores that hold them.
    let mut data_assets = Vec::new();
    let mut held: Vec<(String, String)> = Vec::new();
    for set in list(value, "data_sets") {
        let id = text(set, "symbolic_name");
        let codes: Vec<&str> = list(set, "data_sensitivity")
            .filter_map(Value::as_str)
            .collect();
        data_assets.push(json!({"id": id, "name": one_line(text(set, "title")), "classification": classification(&codes)}));
        for placement in list(set, "placements") {
            if let Some(store) = element_id(text(placement, "data_store")) {
                held.push((store, id.to_owned()));
            }
        }
    }
    if !data_assets.is_empty() {
        assumptions.push("TM-BOM data flows name no data sets: each data set is taken to travel on the flows into and out of the stores that hold it. Sensitivity codes map to classes: cred, pii, phi and fin are restricted, pub public, biz and anything else confidential.".into());
    }

    let flows = flows(value, &element_id, &held)?;

    for assumption in list(value, "assumptions") {
        assumptions.push(format!(
            "From the TM-BOM ({}): {}",
            text(assumption, "validity"),
            one_line(text(assumption, "description"))
        ));
    }
    let own: Vec<String> = ["threats", "controls", "risks"]
        .iter()
        .map(|part| format!("{} {part}", list(value, part).count()))
        .collect();
    if list(value, "threats").next().is_some() {
        assumptions.push(format!(
            "The file carries {} of its own, which are not carried into this report yet.",
            own.join(", ")
        ));
    }
    if !unnamed_products.is_empty() {
        questions.push(format!(
            "Which catalog technology is each of these products? {}. Name them as technologies in the model for specific findings.",
            unnamed_products.join(", ")
        ));
    }
    questions.push("Which technologies do the components use? TM-BOM components name none, and specific findings key on them.".to_owned());

    let scope = value.get("scope").unwrap_or(&Value::Null);
    Ok(json!({
        "name": if text(scope, "title").is_empty() { "Imported TM-BOM model" } else { text(scope, "title") },
        "description": if text(scope, "description").is_empty() { Value::Null } else { json!(text(scope, "description")) },
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data_assets,
        "assumptions": assumptions,
        "questions": questions,
    }))
}

/// Actors, components and data stores as elements, with (TM-BOM name, our id) pairs and the
/// products no catalog entry matched.
fn elements(
    value: &Value,
    ids: &mut Ids,
    zone_id: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Value>, Vec<(String, String)>, Vec<String>) {
    let mut elements = Vec::new();
    let mut element_ids: Vec<(String, String)> = Vec::new();
    let mut unnamed_products = Vec::new();
    for (part, kind) in [
        ("actors", "external_entity"),
        ("components", "process"),
        ("data_stores", "data_store"),
    ] {
        for item in list(value, part) {
            let given = text(item, "symbolic_name");
            let name = one_line(text(item, "title"));
            let id = ids.make(if given.is_empty() { &name } else { given });
            let mut element = json!({"id": id, "name": if name.is_empty() { id.clone() } else { name.clone() }, "kind": kind});
            let description = text(item, "description");
            if !description.is_empty() {
                element["description"] = json!(one_line(description));
            }
            if let Some(zone) = zone_id(text(item, "trust_zone")) {
                element["boundary"] = json!(zone);
            }
            let product = text(item, "product");
            match technology(text(item, "vendor"), product) {
                Some(technology) => element["technologies"] = json!([technology]),
                None if product.is_empty() => {}
                None if product == name => unnamed_products.push(name.clone()),
                None => unnamed_products.push(format!("{name} ({product})")),
            }
            element_ids.push((given.to_owned(), id));
            elements.push(element);
        }
    }
    (elements, element_ids, unnamed_products)
}

/// Data flows, each carrying the data sets held by the stores at its ends.
fn flows(
    value: &Value,
    element_id: &dyn Fn(&str) -> Option<String>,
    held: &[(String, String)],
) -> Result<Vec<Value>, ImportError> {
    let mut flows = Vec::new();
    for flow in list(value, "data_flows") {
        let end = |key: &str| {
            let object = flow
                .pointer(&format!("/{key}/object"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            element_id(object).ok_or_else(|| {
                ImportError(format!(
                    "data flow `{}` has {key} `{object}`, which is not an actor, component or data store",
                    text(flow, "symbolic_name")
                ))
            })
        };
        let (from, to) = (end("source")?, end("destination")?);
        let data: Vec<&String> = held
            .iter()
            .filter(|(store, _)| *store == from || *store == to)
            .map(|(_, set)| set)
            .collect();
        let mut out = json!({"from": from, "to": to, "data": data});
        let description = one_line(text(flow, "description"));
        if !description.is_empty() {
            out["description"] = json!(description);
        }
        if let Some(encrypted) = flow.get("encrypted").and_then(Value::as_bool) {
            out["properties"] = json!({"encrypted": encrypted});
        }
        flows.push(out);
    }
    Ok(flows)
}
