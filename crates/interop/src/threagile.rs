//! Threagile YAML (already parsed to JSON values): technical assets, data assets, trust
//! boundaries and communication links. Threagile's `technology` is a category (web-server,
//! database), never a product, so it maps to our tags where a tag means the same thing and
//! becomes an open question otherwise; naming a product we were not told would be invention.

use serde_json::{Map, Value, json};

use crate::{Ids, ImportError, one_line, protocol, text};

fn kind(threagile: &str) -> Option<&'static str> {
    match threagile {
        "external-entity" => Some("external_entity"),
        "process" => Some("process"),
        "datastore" => Some("data_store"),
        _ => None,
    }
}

/// Threagile technology categories to the tags that say the same thing.
fn tags(technology: &str) -> Option<&'static [&'static str]> {
    Some(match technology {
        "browser" => &["browser"],
        "desktop" => &["desktop-app"],
        "mobile-app" => &["mobile-app"],
        "web-server" => &["web-server", "http-server"],
        "web-application" | "application-server" => &["http-server"],
        "web-service-rest" => &["rest-api", "http-server"],
        "cms" => &["http-server", "html-rendering"],
        "database" | "identity-store-database" => &["database"],
        "identity-provider" => &["identity-provider"],
        "ldap-server" | "identity-store-ldap" => &["ldap-directory"],
        "build-pipeline" => &["ci-cd"],
        "sourcecode-repository" => &["source-code-host"],
        "reverse-proxy" => &["reverse-proxy"],
        "search-index" | "search-engine" => &["search-engine"],
        "container-platform" => &["container-platform"],
        "message-queue" => &["message-broker"],
        "iot-device" => &["iot-device"],
        "vault" => &["secret-store"],
        "waf" => &["web-application-firewall"],
        "service-mesh" => &["service-mesh"],
        _ => return None,
    })
}

/// Threagile's five confidentiality levels onto our four classes: the names that exist in
/// both keep their meaning; `strictly-confidential` is our highest.
fn classification(confidentiality: &str) -> &'static str {
    match confidentiality {
        "public" => "public",
        "internal" => "internal",
        "strictly-confidential" => "restricted",
        _ => "confidential",
    }
}

fn boundary_kind(threagile: &str) -> &'static str {
    match threagile {
        "network-cloud-provider" => "cloud",
        "network-policy-namespace-isolation" => "cluster",
        "execution-environment" => "host",
        _ => "network",
    }
}

/// Whether a Threagile protocol encrypts in transit, when the name says.
fn encrypted(threagile: &str) -> Option<bool> {
    match threagile {
        "https" | "wss" | "ldaps" | "ssh" | "ssh-tunnel" | "sftp" | "scp" | "ftps" => Some(true),
        "http" | "ws" | "ldap" | "ftp" | "smtp" | "pop3" | "imap" | "jdbc" | "odbc" | "text"
        | "binary" | "nfs" | "smb" | "jms" | "mqtt" => Some(false),
        other if other.ends_with("-encrypted") => Some(true),
        _ => None,
    }
}

fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// A top-level mapping of name -> entry, in file order; absent or empty (`key:` alone) is empty.
fn entries<'a>(value: &'a Value, key: &str) -> Vec<(&'a String, &'a Value)> {
    value
        .get(key)
        .and_then(Value::as_object)
        .map(|map| map.iter().collect())
        .unwrap_or_default()
}

/// What the import learns as it goes, for the assumptions and questions.
#[derive(Default)]
struct Notes {
    assumptions: Vec<String>,
    questions: Vec<String>,
    out_of_scope: Vec<String>,
    untagged: Vec<String>,
    protocols: Vec<String>,
}

pub(crate) fn import(value: &Value) -> Result<Value, ImportError> {
    let mut notes = Notes::default();
    let mut ids = Ids::default();
    let assets = entries(value, "technical_assets");
    if assets.is_empty() {
        return Err(ImportError("it has no technical_assets".into()));
    }
    // Threagile ids are kept where they are valid ids for us, so links and tracking line up.
    let mut asset_ids: Vec<(String, String)> = Vec::new();
    for (name, asset) in &assets {
        let given = text(asset, "id");
        let id = ids.make(if given.is_empty() {
            name.as_str()
        } else {
            given
        });
        asset_ids.push((given.to_owned(), id));
    }
    let asset_id = |given: &str| {
        asset_ids
            .iter()
            .find(|(g, _)| g == given)
            .map(|(_, id)| id.clone())
    };
    let boundaries = boundaries(value, &mut ids);
    let member_of = |asset: &str| {
        boundaries
            .iter()
            .find(|(_, members, _)| members.iter().any(|m| m == asset))
            .map(|(id, _, _)| id.clone())
    };
    let data_ids: Vec<String> = entries(value, "data_assets")
        .iter()
        .map(|(_, d)| text(d, "id").to_owned())
        .collect();
    // Data ids a link names, known ones only, each once.
    let known_data = |list: Vec<String>| -> Vec<String> {
        let mut known: Vec<String> = Vec::new();
        for d in list {
            if data_ids.contains(&d) && !known.contains(&d) {
                known.push(d);
            }
        }
        known
    };

    let mut elements = Vec::new();
    let mut flows = Vec::new();
    for (name, asset) in &assets {
        let name = one_line(name);
        let given = text(asset, "id");
        let id = asset_id(given).unwrap_or_default();
        let element = asset_to_element(&name, asset, &id, member_of(given), &mut notes)?;
        elements.push(element);

        for (link_name, link) in asset
            .get("communication_links")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(to) = asset_id(text(link, "target")) else {
                return Err(ImportError(format!(
                    "communication link `{link_name}` of `{name}` targets `{}`, which is not a technical asset",
                    text(link, "target")
                )));
            };
            let data = known_data(
                strings(link, "data_assets_sent")
                    .into_iter()
                    .chain(strings(link, "data_assets_received"))
                    .collect(),
            );
            let flow = link_to_flow(&id, &to, link_name, link, &data, &mut notes);
            flows.push(flow);
        }
    }

    let data_assets: Vec<Value> = entries(value, "data_assets")
        .iter()
        .map(|(name, d)| {
            json!({
                "id": text(d, "id"),
                "name": one_line(name),
                "classification": classification(text(d, "confidentiality")),
            })
        })
        .collect();
    let boundaries: Vec<Value> = boundaries
        .into_iter()
        .map(|(_, _, boundary)| boundary)
        .collect();
    describe_gaps(value, &mut notes);
    let tracking = risk_tracking(value, &asset_id, &mut notes);
    Ok(json!({
        "name": value.get("title").and_then(Value::as_str).unwrap_or("Imported Threagile model"),
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data_assets,
        "assumptions": notes.assumptions,
        "questions": notes.questions,
        "tracking": tracking,
    }))
}

/// The threatscribe rules that mean the same as a Threagile risk category, and whether they
/// are about flows (whose ids a Threagile risk id does not carry).
fn rules_for(category: &str) -> (&'static [&'static str], bool) {
    match category {
        "sql-nosql-injection" => (&["WEB001", "DB004"], false),
        "cross-site-scripting" => (&["WEB002"], false),
        "cross-site-request-forgery" => (&["WEB003"], false),
        "ldap-injection" => (&["AUTH010"], false),
        "path-traversal" => (&["WEB014"], false),
        "untrusted-deserialization" => (&["WEB018"], false),
        "server-side-request-forgery" => (&["WEB019"], false),
        "unencrypted-asset" => (&["CLOUD004", "DB002"], false),
        "missing-authentication" => (
            &["DB005", "CACHE001", "MSG001", "CLOUD009", "LLM016"],
            false,
        ),
        "missing-authentication-second-factor" => (&["WEB013"], false),
        "container-baseimage-backdooring" => (&["KUBE007"], false),
        "accidental-secret-leak" => (&["WEB020"], false),
        "unencrypted-communication" => (
            &[
                "WEB012", "DB001", "CACHE002", "CLOUD003", "MSG003", "KUBE008",
            ],
            true,
        ),
        _ => (&[], false),
    }
}

/// Threagile's `risk_tracking` as our tracking entries, for the categories one of our rules
/// covers. A risk id is `category@asset@...` with `*` for any: the assets it names (that are
/// ours) become targets, and one with only wildcards covers the rule everywhere. Statuses map
/// one to one; `unchecked` is no decision. What cannot be carried over is said in the
/// assumptions.
fn risk_tracking(
    value: &Value,
    asset_id: &dyn Fn(&str) -> Option<String>,
    notes: &mut Notes,
) -> Vec<Value> {
    let mut carried = Vec::new();
    let mut left = Vec::new();
    for (risk, t) in entries(value, "risk_tracking") {
        let mut parts = risk.split('@');
        let category = parts.next().unwrap_or_default();
        let named: Vec<&str> = parts.filter(|p| *p != "*" && !p.is_empty()).collect();
        let status = match text(t, "status") {
            "unchecked" | "" => continue,
            "in-discussion" => "open",
            "accepted" => "accepted",
            "in-progress" => "in-progress",
            "mitigated" => "mitigated",
            "false-positive" => "false-positive",
            other => {
                left.push(format!("{risk} (status `{other}` unknown)"));
                continue;
            }
        };
        let (rules, on_flows) = rules_for(category);
        let targets: Vec<String> = if named.is_empty() {
            vec!["*".to_owned()]
        } else if on_flows {
            Vec::new()
        } else {
            named.iter().filter_map(|a| asset_id(a)).collect()
        };
        if rules.is_empty() || targets.is_empty() {
            left.push(format!("{risk} ({status})"));
            continue;
        }
        let justification = match one_line(text(t, "justification")) {
            j if !j.is_empty() => j,
            _ if matches!(status, "accepted" | "false-positive") => {
                format!("Marked {status} in the Threagile file, without a justification.")
            }
            _ => String::new(),
        };
        for rule in rules {
            for target in &targets {
                let mut entry = json!({"threat": format!("{rule}@{target}"), "status": status});
                for (key, field) in [
                    ("justification", justification.as_str()),
                    ("owner", text(t, "checked_by")),
                    ("ticket", text(t, "ticket")),
                    ("date", text(t, "date")),
                ] {
                    if !field.is_empty() {
                        entry[key] = json!(one_line(field));
                    }
                }
                carried.push(entry);
            }
        }
    }
    if !carried.is_empty() {
        notes.assumptions.push(format!(
            "Threagile's risk tracking became {} tracking entries on the threatscribe rules that mean the same (a risk id with only wildcards covers the rule on every target); entries that match none of our findings are listed with the analysis's tracking notes.",
            carried.len()
        ));
    }
    if !left.is_empty() {
        notes.assumptions.push(format!(
            "Threagile risks tracked in the file but not carried over (no threatscribe rule means the same, or the risk names a communication link, which our flows do not share ids with): {}. Record decisions on our findings with a tracking file (--tracking).",
            left.join("; ")
        ));
    }
    carried
}

/// Trust boundaries as (id, member asset ids, model-file boundary), parents from
/// `trust_boundaries_nested`.
fn boundaries(value: &Value, ids: &mut Ids) -> Vec<(String, Vec<String>, Value)> {
    let listed = entries(value, "trust_boundaries");
    let made: Vec<(String, String)> = listed
        .iter()
        .map(|(name, b)| {
            let given = text(b, "id");
            (
                given.to_owned(),
                ids.make(if given.is_empty() {
                    name.as_str()
                } else {
                    given
                }),
            )
        })
        .collect();
    listed
        .iter()
        .zip(&made)
        .map(|((name, b), (given, id))| {
            let mut boundary =
                json!({"id": id, "name": one_line(name), "kind": boundary_kind(text(b, "type"))});
            let parent = listed
                .iter()
                .zip(&made)
                .find(|((_, p), _)| strings(p, "trust_boundaries_nested").contains(given))
                .map(|(_, (_, parent))| parent.clone());
            if let Some(parent) = parent {
                boundary["parent"] = json!(parent);
            }
            (id.clone(), strings(b, "technical_assets_inside"), boundary)
        })
        .collect()
}

fn asset_properties(asset: &Value, kind: &str) -> Value {
    let mut properties = Map::new();
    // `internet: false` is Threagile's default and says nothing about reachability through
    // other assets, so only `true` is carried; our ratings infer the rest from the flows.
    if asset.get("internet").and_then(Value::as_bool) == Some(true) {
        properties.insert("internet_facing".into(), json!(true));
    }
    if kind == "data_store" {
        let encryption = text(asset, "encryption");
        if !encryption.is_empty() {
            properties.insert("encrypted_at_rest".into(), json!(encryption != "none"));
        }
    }
    Value::Object(properties)
}

/// One technical asset as a model-file element.
fn asset_to_element(
    name: &str,
    asset: &Value,
    id: &str,
    boundary: Option<String>,
    notes: &mut Notes,
) -> Result<Value, ImportError> {
    let Some(kind) = kind(text(asset, "type")) else {
        return Err(ImportError(format!(
            "technical asset `{name}` has type `{}`; expected external-entity, process or datastore",
            text(asset, "type")
        )));
    };
    let mut element = json!({"id": id, "name": name, "kind": kind});
    let description = text(asset, "description");
    if !description.is_empty() && description != name {
        element["description"] = json!(description);
    }
    if let Some(boundary) = boundary {
        element["boundary"] = json!(boundary);
    }
    let technology = text(asset, "technology");
    match tags(technology) {
        Some(tags) => element["tags"] = json!(tags),
        None if !technology.is_empty() => {
            notes.untagged.push(format!("{name} ({technology})"));
        }
        None => {}
    }
    // `serialization` among the formats an asset accepts is a native object serialization
    // format (Java serialization and the like), which is what our deserialization rule means.
    if kind == "process"
        && strings(asset, "data_formats_accepted")
            .iter()
            .any(|f| f == "serialization")
    {
        let mut tags: Vec<Value> = element["tags"].as_array().cloned().unwrap_or_default();
        tags.push(json!("object-deserialization"));
        element["tags"] = json!(tags);
    }
    element["properties"] = asset_properties(asset, kind);
    if asset.get("out_of_scope").and_then(Value::as_bool) == Some(true) {
        notes.out_of_scope.push(name.to_owned());
    }
    Ok(element)
}

/// One communication link as a model-file flow.
fn link_to_flow(
    from: &str,
    to: &str,
    name: &str,
    link: &Value,
    data: &[String],
    notes: &mut Notes,
) -> Value {
    let mut flow = json!({"from": from, "to": to, "description": one_line(name), "data": data});
    flow["properties"] = link_properties(link);
    let named = text(link, "protocol");
    match protocol(named) {
        Some(ours) => flow["protocol"] = json!(ours),
        None if !named.is_empty() => notes.protocols.push(named.to_owned()),
        None => {}
    }
    flow
}

fn link_properties(link: &Value) -> Value {
    let mut properties = Map::new();
    let authentication = text(link, "authentication");
    if !authentication.is_empty() {
        properties.insert("authenticated".into(), json!(authentication != "none"));
    }
    let vpn = link.get("vpn").and_then(Value::as_bool) == Some(true);
    if let Some(encrypted) = encrypted(text(link, "protocol")) {
        properties.insert("encrypted".into(), json!(encrypted || vpn));
    } else if vpn {
        properties.insert("encrypted".into(), json!(true));
    }
    Value::Object(properties)
}

/// Everything Threagile says that the model cannot carry, said in words.
fn describe_gaps(value: &Value, notes: &mut Notes) {
    notes.assumptions.push(
        "Imported from a Threagile model. Its technologies are categories, not products: they map to tags where one means the same (web-server, database, ci-cd...); product-specific findings need the products named.".into(),
    );
    notes.assumptions.push(
        "Each Threagile communication link becomes one flow from the asset that opens it, carrying the data it sends and receives.".into(),
    );
    notes.assumptions.push(
        "Threagile confidentiality becomes our classification: public and internal as named, restricted and confidential as confidential, strictly-confidential as restricted. Integrity and availability ratings are not used.".into(),
    );
    if !notes.untagged.is_empty() {
        notes.questions.push(format!(
            "Which product is each of these (Threagile names only a category that has no matching tag here)? {}.",
            notes.untagged.join(", ")
        ));
    }
    if !notes.out_of_scope.is_empty() {
        notes.assumptions.push(format!(
            "Marked out of scope in Threagile but analysed here: {}.",
            notes.out_of_scope.join(", ")
        ));
    }
    if !notes.protocols.is_empty() {
        notes.protocols.sort();
        notes.protocols.dedup();
        notes.assumptions.push(format!(
            "Threagile protocols with no catalog protocol here are left off their flows (encryption is kept as a property where the name says it): {}.",
            notes.protocols.join(", ")
        ));
    }
    for (question, answer) in entries(value, "questions") {
        match answer.as_str().map(str::trim).filter(|a| !a.is_empty()) {
            Some(answer) => {
                notes
                    .assumptions
                    .push(format!("{} {}", one_line(question), one_line(answer)));
            }
            None => notes.questions.push(one_line(question)),
        }
    }
    let runtimes: Vec<String> = entries(value, "shared_runtimes")
        .iter()
        .map(|(name, r)| {
            format!(
                "{} runs {}",
                one_line(name),
                strings(r, "technical_assets_running").join(", ")
            )
        })
        .collect();
    if !runtimes.is_empty() {
        notes.assumptions.push(format!(
            "Shared runtimes are not modelled, so a compromise of one tenant is not traced to its neighbours: {}.",
            runtimes.join("; ")
        ));
    }
    let individual: Vec<String> = entries(value, "individual_risk_categories")
        .iter()
        .map(|(name, _)| one_line(name))
        .collect();
    if !individual.is_empty() {
        notes.assumptions.push(format!(
            "Hand-written Threagile risk categories are not carried over yet: {}.",
            individual.join(", ")
        ));
    }
}
