//! The model and its findings as a TM-BOM file (the OWASP Threat Model Library's schema,
//! v1.0.1): boundaries as trust zones, external entities as actors, processes as components,
//! data stores as data stores, data assets as data sets placed in the stores their flows reach,
//! flows as data flows, every finding as a threat with one control per mitigation (the control
//! status carries the finding's status) and one risk (its rating), and the assumptions as
//! unconfirmed assumptions.
//!
//! The schema allows no field of its own anywhere else, so what it has no place for is said
//! twice: for people, in a closing `[threatscribe]` paragraph of the description it belongs to;
//! for threatscribe's import, under one key of the top-level `extensions` (catalog
//! technologies, tags, properties, protocols, flow data, boundary kinds and nesting,
//! classifications, decisions, hand-written findings and questions).

use serde_json::{Map, Value, json};
use threatscribe_kb::{Catalog, Implies, KnowledgeBase};
use threatscribe_model::{
    Classification, Element, ElementKind, Flow, Impact, Likelihood, Model, Properties, Severity,
    Status, Threat,
};

/// The schema a file says it follows (the schema's own `$schema` constant).
const SCHEMA: &str = "https://github.com/OWASP/www-project-threat-model-library/blob/v1.0.1/threat-model.schema.json";

/// The `extensions` key under which threatscribe keeps what TM-BOM has no field for. The schema
/// wants a domain name and a path; this is the workspace's `repository` address.
pub(crate) const EXTENSION: &str = "example.invalid/threatscribe/tm-bom";

/// Opens the paragraph of a description that holds threatscribe's notes; the import drops it.
pub(crate) const NOTES: &str = "[threatscribe] ";

/// The one threat persona every threat names: threatscribe does not model attackers.
const PERSONA: &str = "unassessed-attacker";

/// A description with threatscribe's notes as a closing paragraph.
fn described(text: Option<&str>, notes: &[String]) -> String {
    let text = text.unwrap_or_default().trim_end();
    match (text.is_empty(), notes.is_empty()) {
        (_, true) => text.to_owned(),
        (true, false) => format!("{NOTES}{}", notes.join(" ")),
        (false, false) => format!("{text}\n\n{NOTES}{}", notes.join(" ")),
    }
}

/// A schema-safe symbolic name (`^[0-9a-z-]+$`): model ids already are; finding ids such as
/// `WEB008@web-app` become `web008-web-app`.
fn symbol(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "unnamed".to_owned()
    } else {
        name
    }
}

/// Symbolic names unique within one kind of object.
#[derive(Default)]
struct Symbols(Vec<String>);

impl Symbols {
    fn make(&mut self, id: &str) -> String {
        let base = symbol(id);
        let mut name = base.clone();
        let mut n = 2;
        while self.0.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.0.push(name.clone());
        name
    }
}

/// TM-BOM data sensitivity codes for a data asset. Our classification is a level and TM-BOM's
/// codes are kinds of data, so:
/// - public: no code (the schema has none for public data, and an empty list is allowed);
/// - internal and confidential: `biz`, the schema's generic code for business data;
/// - restricted: `cred`, `pci`, `phi` or `fin` only where the asset's own id or name says so
///   (a word such as credentials, password, secret, token or key; card or payment; health,
///   medical or patient; bank or financial), since our restricted class is defined as exactly
///   those kinds of data; `biz` otherwise.
fn sensitivity(id: &str, name: &str, classification: Classification) -> Vec<&'static str> {
    match classification {
        Classification::Public => Vec::new(),
        Classification::Internal | Classification::Confidential => vec!["biz"],
        Classification::Restricted => {
            let words = format!("{id} {name}").to_ascii_lowercase();
            let says = |list: &[&str]| {
                words
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| list.contains(&w))
            };
            let mut codes = Vec::new();
            for (code, list) in [
                (
                    "cred",
                    &[
                        "credential",
                        "credentials",
                        "password",
                        "passwords",
                        "secret",
                        "secrets",
                        "token",
                        "tokens",
                        "key",
                        "keys",
                    ][..],
                ),
                ("pci", &["card", "cards", "payment", "payments"][..]),
                ("phi", &["health", "medical", "patient", "patients"][..]),
                ("fin", &["bank", "banking", "financial"][..]),
            ] {
                if says(list) {
                    codes.push(code);
                }
            }
            if codes.is_empty() {
                codes.push("biz");
            }
            codes
        }
    }
}

/// The schema's order of sensitivity codes, for the scope's union.
const SENSITIVITY_ORDER: [&str; 9] = ["pii", "phi", "fin", "ip", "cred", "biz", "gov", "pci", "op"];

/// The control status that says where a finding stands: mitigated is `active` (the control is
/// in place), in progress `scheduled`, transferred `assumed` (someone else provides it),
/// accepted and false positive `wont_do`, open `suggested`.
pub(crate) fn control_status(status: Status) -> &'static str {
    match status {
        Status::Open => "suggested",
        Status::InProgress => "scheduled",
        Status::Mitigated => "active",
        Status::Transferred => "assumed",
        Status::Accepted | Status::FalsePositive => "wont_do",
    }
}

fn priority(threat: &Threat) -> &'static str {
    if threat.status == Status::FalsePositive {
        return "none";
    }
    match threat.severity {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// Our three likelihoods and impacts on TM-BOM's five-step scales, with the step (1-5) the
/// score multiplies.
fn likelihood(likelihood: Likelihood) -> (&'static str, u32) {
    match likelihood {
        Likelihood::Low => ("unlikely", 2),
        Likelihood::Medium => ("possible", 3),
        Likelihood::High => ("likely", 4),
    }
}

fn impact(impact: Impact) -> (&'static str, u32) {
    match impact {
        Impact::Low => ("minor", 2),
        Impact::Medium => ("moderate", 3),
        Impact::High => ("major", 4),
    }
}

/// `CWE-89` -> 89; `None` for anything else.
fn number(reference: &str, prefix: &str) -> Option<u64> {
    reference
        .trim()
        .strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
}

fn catalog() -> &'static Catalog {
    &KnowledgeBase::builtin().catalog
}

/// Display names of catalog technologies; an unknown id as it is.
fn names(ids: &[String]) -> String {
    ids.iter()
        .map(|id| catalog().get(id).map_or(id.as_str(), |t| t.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn properties_note(properties: &Properties) -> Option<String> {
    (!properties.is_empty()).then(|| {
        let pairs: Vec<String> = properties
            .iter()
            .map(|(key, value)| match value.as_str() {
                Some(text) => format!("{key} = {text}"),
                None => format!("{key} = {value}"),
            })
            .collect();
        format!("Properties: {}.", pairs.join(", "))
    })
}

/// The element's tags with those of its catalog technologies.
fn all_tags(element: &Element) -> Vec<&str> {
    let mut tags: Vec<&str> = element.tags.iter().map(String::as_str).collect();
    for technology in element.technologies.iter().filter_map(|t| catalog().get(t)) {
        tags.extend(technology.tags.iter().map(String::as_str));
    }
    tags
}

/// The actor type for an external entity, and whether it is only a stand-in: a privileged user
/// is an `administrator`; someone at a browser, mobile or desktop client a `user`; a provider's
/// service a `third_party`; anything else built on a named technology a `system`. With nothing
/// to go on, `user` (most external entities in a data flow diagram are people).
fn actor_type(element: &Element) -> (&'static str, bool) {
    const PEOPLE: [&str; 4] = ["browser", "browser-spa", "mobile-app", "desktop-app"];
    const PROVIDERS: [&str; 9] = [
        "third-party-api",
        "payment-provider",
        "email-provider",
        "sms-provider",
        "identity-provider",
        "webhook-source",
        "llm-api",
        "hosted-ai-service",
        "paas",
    ];
    let tags = all_tags(element);
    if tags.contains(&"privileged-user") {
        ("administrator", false)
    } else if tags.iter().any(|t| PEOPLE.contains(t)) {
        ("user", false)
    } else if tags.iter().any(|t| PROVIDERS.contains(t))
        || element
            .technologies
            .iter()
            .filter_map(|t| catalog().get(t))
            .any(|t| t.implies == Implies::ExternalEntity)
    {
        ("third_party", false)
    } else if !element.technologies.is_empty() {
        ("system", false)
    } else {
        ("user", true)
    }
}

/// The data store type a catalog category names.
fn store_type_of(category: &str) -> Option<&'static str> {
    match category {
        "relational-database" | "analytical-database" | "data-warehouse" | "embedded-database" => {
            Some("sql")
        }
        "document-database" | "search-engine" => Some("document"),
        "key-value-store" | "key-value-database" | "wide-column-database" | "secret-store" => {
            Some("key_value")
        }
        "object-storage" => Some("object"),
        "graph-database" => Some("graph"),
        "time-series-database" => Some("time_series"),
        _ => None,
    }
}

/// The data store type, the product (the catalog name of the technology that decided it, or
/// else of the first data-store technology), and whether the type is only a stand-in: the
/// schema requires one of six types and has none for files, queues, logs or vector stores, so
/// those are written as `object`.
fn store_type(element: &Element) -> (&'static str, Option<String>, bool) {
    let technologies: Vec<_> = element
        .technologies
        .iter()
        .filter_map(|t| catalog().get(t))
        .collect();
    if let Some((kind, technology)) = technologies
        .iter()
        .find_map(|t| store_type_of(&t.category).map(|kind| (kind, t)))
    {
        return (kind, Some(technology.name.clone()), false);
    }
    let product = technologies
        .iter()
        .find(|t| t.implies == Implies::DataStore)
        .map(|t| t.name.clone());
    let tags = all_tags(element);
    for (tag, kind) in [
        ("sql", "sql"),
        ("key-value-cache", "key_value"),
        ("object-storage", "object"),
    ] {
        if tags.contains(&tag) {
            return (kind, product, false);
        }
    }
    ("object", product, true)
}

/// Whether a flow is encrypted: its `encrypted` property, else whether the catalog tags its
/// protocol `encrypted`; `None` when the model says neither.
fn encrypted(flow: &Flow) -> Option<bool> {
    if let Some(value) = flow.properties.get("encrypted") {
        match value {
            Value::Bool(b) => return Some(*b),
            Value::String(s) if s == "true" || s == "false" => return Some(s == "true"),
            _ => {}
        }
    }
    let protocol = catalog().get(flow.protocol.as_deref()?)?;
    Some(protocol.tags.iter().any(|t| t == "encrypted"))
}

/// Where everything sits: each element's trust zone (its innermost boundary, or one zone for
/// the elements in none, since TM-BOM requires a zone), and the kind of each element.
struct Layout<'a> {
    model: &'a Model,
    /// The zone for elements in no boundary, when there are any.
    outside: Option<String>,
}

impl Layout<'_> {
    fn zone(&self, element: &Element) -> String {
        match &element.boundary {
            Some(boundary) => symbol(boundary),
            None => self.outside.clone().unwrap_or_default(),
        }
    }

    fn zone_of(&self, id: &str) -> Option<String> {
        self.model.element(id).map(|e| self.zone(e))
    }

    /// The TM-BOM part an element is written in, as a typed reference names it.
    fn part(&self, id: &str) -> &'static str {
        match self.model.element(id).map(|e| e.kind) {
            Some(ElementKind::ExternalEntity) => "actor",
            Some(ElementKind::DataStore) => "data_store",
            Some(ElementKind::Process) | None => "component",
        }
    }

    fn name(&self, id: &str) -> String {
        self.model
            .element(id)
            .map_or_else(|| id.to_owned(), |e| e.name.clone())
    }

    /// The two zones a flow joins, when they differ.
    fn crossing(&self, flow: &Flow) -> Option<(String, String)> {
        let (from, to) = (self.zone_of(&flow.from)?, self.zone_of(&flow.to)?);
        (from != to).then(|| if from < to { (from, to) } else { (to, from) })
    }
}

/// The TM-BOM file for a model and its findings.
pub fn export_tmbom(model: &Model, threats: &[Threat]) -> Value {
    let outside = model
        .elements
        .iter()
        .any(|e| e.boundary.is_none())
        .then(|| {
            let mut zones = Symbols(model.boundaries.iter().map(|b| symbol(&b.id)).collect());
            zones.make("outside-boundaries")
        });
    let layout = Layout { model, outside };
    let data_sets = data_sets(model);
    let mut codes: Vec<&str> = data_sets
        .iter()
        .flat_map(|d| {
            d["data_sensitivity"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| SENSITIVITY_ORDER.iter().find(|o| c == **o).copied())
        .collect();
    codes.sort_by_key(|c| SENSITIVITY_ORDER.iter().position(|o| o == c));
    codes.dedup();
    let exposure = if is_exposed(model) {
        "external"
    } else {
        "internal"
    };
    let (threats_out, controls, risks, kept) = findings(&layout, threats);

    let mut file = json!({
        "$schema": SCHEMA,
        "version": "1",
        "scope": {
            "title": model.name,
            "description": model.description.clone().unwrap_or_default(),
            "business_criticality": "moderate",
            "data_sensitivity": codes,
            "exposure": exposure,
            "tier": "important",
        },
        "description": overview(model, exposure),
        "trust_zones": trust_zones(&layout),
        "trust_boundaries": trust_boundaries(&layout),
        "actors": elements(&layout, ElementKind::ExternalEntity),
        "components": elements(&layout, ElementKind::Process),
        "data_stores": elements(&layout, ElementKind::DataStore),
        "data_sets": data_sets,
        "data_flows": data_flows(&layout),
        "assumptions": model.assumptions.iter().map(|a| json!({"description": a, "validity": "unconfirmed"})).collect::<Vec<_>>(),
    });
    if !threats_out.is_empty() {
        file["threat_personas"] = json!([{
            "symbolic_name": PERSONA,
            "title": "Unassessed attacker",
            "description": "threatscribe does not model threat personas: this one stands for whoever could carry out a threat. Its skill, access and applicability are placeholders, not an assessment.",
            "is_person": true,
            "skill_level": "engineer",
            "access_level": "anonymous",
            "malicious_intent": true,
            "applicability_to_org": "moderate",
        }]);
        file["threats"] = json!(threats_out);
        file["controls"] = json!(controls);
        file["risks"] = json!(risks);
    }
    file["extensions"] = json!({ EXTENSION: extension(&layout, &kept) });
    file
}

/// Exposed when an element sits in an internet boundary or says it is internet-facing.
fn is_exposed(model: &Model) -> bool {
    model.elements.iter().any(|e| {
        e.properties.get("internet_facing") == Some(&Value::Bool(true))
            || model
                .boundary_chain(e.boundary.as_deref())
                .iter()
                .any(|b| b.kind == threatscribe_model::BoundaryKind::Internet)
    })
}

/// The top-level free-text description: the model's own, what the scope's required ratings
/// mean here, and the open questions.
fn overview(model: &Model, exposure: &str) -> String {
    let mut notes = vec![format!(
        "Business criticality (moderate) and tier (important) are placeholders: threatscribe does not rate them. Exposure is {exposure}: {}.",
        if exposure == "external" {
            "an element sits on the internet"
        } else {
            "no element sits on the internet"
        }
    )];
    if !model.questions.is_empty() {
        notes.push(format!("Open questions: {}", model.questions.join(" ")));
    }
    described(model.description.as_deref(), &notes)
}

fn trust_zones(layout: &Layout<'_>) -> Vec<Value> {
    let model = layout.model;
    let mut zones: Vec<Value> = model
        .boundaries
        .iter()
        .map(|b| {
            let mut notes = vec![format!("Boundary kind: {}.", b.kind.as_str().replace('_', " "))];
            if let Some(parent) = b.parent.as_deref().and_then(|p| model.boundary(p)) {
                notes.push(format!("Inside: {} ({}).", parent.name, parent.id));
            }
            notes.extend(properties_note(&b.properties));
            json!({"symbolic_name": symbol(&b.id), "title": b.name, "description": described(None, &notes)})
        })
        .collect();
    if let Some(outside) = &layout.outside {
        zones.push(json!({
            "symbolic_name": outside,
            "title": "Outside every boundary",
            "description": described(None, &["The model places these elements in no trust boundary; TM-BOM requires a zone for each, so they share this one.".to_owned()]),
        }));
    }
    zones
}

/// A trust boundary for each pair of zones a flow crosses.
fn trust_boundaries(layout: &Layout<'_>) -> Vec<Value> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for flow in &layout.model.flows {
        if let Some(pair) = layout.crossing(flow)
            && !pairs.contains(&pair)
        {
            pairs.push(pair);
        }
    }
    pairs
        .into_iter()
        .map(|(a, b)| json!({"trust_zone_a": a, "trust_zone_b": b}))
        .collect()
}

fn elements(layout: &Layout<'_>, kind: ElementKind) -> Vec<Value> {
    layout
        .model
        .elements
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let mut notes = Vec::new();
            if !e.technologies.is_empty() {
                notes.push(format!("Technologies: {}.", names(&e.technologies)));
            }
            if !e.tags.is_empty() {
                notes.push(format!("Tags: {}.", e.tags.join(", ")));
            }
            notes.extend(properties_note(&e.properties));
            let mut out = json!({"symbolic_name": symbol(&e.id), "title": e.name});
            match kind {
                ElementKind::ExternalEntity => {
                    let (actor, stand_in) = actor_type(e);
                    if stand_in {
                        notes.push(format!("The actor type {actor} is a stand-in: the model does not say who this is."));
                    }
                    out["type"] = json!(actor);
                }
                ElementKind::DataStore => {
                    let (store, product, stand_in) = store_type(e);
                    if stand_in {
                        notes.push(format!("The data store type {store} is a stand-in: TM-BOM has no type for this store."));
                    }
                    out["type"] = json!(store);
                    if let Some(product) = product {
                        out["product"] = json!(product);
                    }
                }
                ElementKind::Process => {}
            }
            out["description"] = json!(described(e.description.as_deref(), &notes));
            out["trust_zone"] = json!(layout.zone(e));
            out
        })
        .collect()
}

/// Data sets, each placed in the data stores at either end of a flow that carries it.
fn data_sets(model: &Model) -> Vec<Value> {
    model
        .data_assets
        .iter()
        .map(|d| {
            let mut stores: Vec<&Element> = Vec::new();
            for flow in model.flows.iter().filter(|f| f.data.contains(&d.id)) {
                for end in [&flow.from, &flow.to] {
                    if let Some(store) = model
                        .element(end)
                        .filter(|e| e.kind == ElementKind::DataStore)
                        && !stores.iter().any(|s| s.id == store.id)
                    {
                        stores.push(store);
                    }
                }
            }
            let placements: Vec<Value> = stores
                .iter()
                .map(|s| {
                    let mut placement = json!({"data_store": symbol(&s.id)});
                    if let Some(Value::Bool(at_rest)) = s.properties.get("encrypted_at_rest") {
                        placement["encrypted"] = json!(at_rest);
                    }
                    placement
                })
                .collect();
            let notes = [format!("Classification: {}.", d.classification)];
            json!({
                "symbolic_name": symbol(&d.id),
                "title": d.name,
                "description": described(d.description.as_deref(), &notes),
                "placements": placements,
                "data_sensitivity": sensitivity(&d.id, &d.name, d.classification),
            })
        })
        .collect()
}

fn data_flows(layout: &Layout<'_>) -> Vec<Value> {
    let model = layout.model;
    model
        .flows
        .iter()
        .map(|f| {
            let mut notes = Vec::new();
            if let Some(protocol) = &f.protocol {
                notes.push(format!("Protocol: {}.", names(std::slice::from_ref(protocol))));
            }
            let carried: Vec<_> = f.data.iter().filter_map(|d| model.data_asset(d)).collect();
            if !carried.is_empty() {
                let list: Vec<String> = carried
                    .iter()
                    .map(|d| format!("{} ({})", d.name, d.classification))
                    .collect();
                notes.push(format!("Carries: {}.", list.join(", ")));
            }
            notes.extend(properties_note(&f.properties));
            let encrypted = encrypted(f);
            if encrypted.is_none() {
                notes.push("The model does not say whether it is encrypted; written as not encrypted.".to_owned());
            }
            json!({
                "symbolic_name": symbol(&f.id),
                "title": format!("{} to {}", layout.name(&f.from), layout.name(&f.to)),
                "description": described(f.description.as_deref(), &notes),
                "source": {"type": layout.part(&f.from), "object": symbol(&f.from)},
                "destination": {"type": layout.part(&f.to), "object": symbol(&f.to)},
                "has_sensitive_data": carried.iter().any(|d| d.classification >= Classification::Confidential),
                "encrypted": encrypted.unwrap_or(false),
            })
        })
        .collect()
}

/// Threats, controls and risks for the findings, and for the extension each threat's finding
/// id and control status (only for the rules' and hand-written findings, which the import
/// restores from the model; other findings come back as provided findings).
fn findings(
    layout: &Layout<'_>,
    threats: &[Threat],
) -> (Vec<Value>, Vec<Value>, Vec<Value>, Map<String, Value>) {
    let mut symbols = Symbols::default();
    let mut control_symbols = Symbols::default();
    let (mut out, mut controls, mut risks) = (Vec::new(), Vec::new(), Vec::new());
    let mut kept = Map::new();
    for t in threats {
        let name = symbols.make(&t.id);
        out.push(threat(layout, t, &name));
        // A control on a flow across zones protects that trust boundary.
        let crossing = layout
            .model
            .flows
            .iter()
            .find(|f| f.id == t.target)
            .and_then(|f| layout.crossing(f));
        for m in &t.mitigations {
            let mut description = m.description.to_string();
            for guidance in &m.technology_guidance {
                description.push_str(&format!("\n\n{}: {}", guidance.name, guidance.guidance));
            }
            if !m.references.is_empty() {
                let list: Vec<&str> = m.references.iter().map(AsRef::as_ref).collect();
                description.push_str(&format!("\n\nReferences: {}", list.join(" ")));
            }
            let mut control = json!({
                "symbolic_name": control_symbols.make(&format!("{name}-{}", m.id)),
                "title": m.title.as_ref(),
                "description": description,
                "threats": [name],
            });
            if let Some((a, b)) = &crossing {
                control["trust_boundary"] = json!({"trust_zone_a": a, "trust_zone_b": b});
            }
            control["status"] = json!(control_status(t.status));
            control["priority"] = json!(priority(t));
            controls.push(control);
        }
        risks.push(risk(t, &name));
        if t.source.starts_with("kb:") || t.source.starts_with("provided:") {
            kept.insert(
                name,
                json!({"id": t.id, "control_status": control_status(t.status)}),
            );
        }
    }
    (out, controls, risks, kept)
}

/// One finding as a TM-BOM threat: its STRIDE categories as the event, CWE and CAPEC numbers
/// as weaknesses and attack mechanisms, the rest in the description's notes.
fn threat(layout: &Layout<'_>, t: &Threat, name: &str) -> Value {
    let target = if layout.model.flows.iter().any(|f| f.id == t.target) {
        format!("the flow {}", t.target)
    } else {
        format!("{} ({})", layout.name(&t.target), t.target)
    };
    let categories: Vec<&str> = t.categories.iter().map(|c| c.label()).collect();
    let mut notes = vec![
        format!("Finding {} ({}) on {target}.", t.id, t.source),
        format!("STRIDE: {}.", categories.join(", ")),
        format!(
            "Severity: {} (likelihood {}, impact {}).",
            t.severity, t.likelihood, t.impact
        ),
        format!("Status: {}.", t.status),
    ];
    if let Some(by) = &t.mitigated_by {
        notes.push(format!("Mitigated by: {by}."));
    }
    if let Some(why) = t
        .tracking
        .as_ref()
        .and_then(|tr| tr.entry.justification.as_ref())
    {
        notes.push(format!("Decision: {why}"));
    }
    let weaknesses: Vec<Value> = t
        .cwe
        .iter()
        .filter_map(|c| number(c, "CWE-"))
        .map(|n| json!({"cwe_id": n}))
        .collect();
    let mechanisms: Vec<Value> = t
        .capec
        .iter()
        .filter_map(|c| number(c, "CAPEC-"))
        .map(|n| json!({"capec_id": n}))
        .collect();
    let references: Vec<&str> = t
        .owasp
        .iter()
        .chain(t.cwe.iter().filter(|c| number(c, "CWE-").is_none()))
        .chain(t.capec.iter().filter(|c| number(c, "CAPEC-").is_none()))
        .map(String::as_str)
        .collect();
    if !references.is_empty() {
        notes.push(format!("References: {}.", references.join(", ")));
    }
    let mut threat = json!({
        "symbolic_name": name,
        "title": t.title,
        "description": described(Some(&t.description), &notes),
        "components_affected": [symbol(&t.target)],
        "threat_persona": PERSONA,
        "event": categories.join(", "),
        "sources": ["adversary"],
    });
    if !mechanisms.is_empty() {
        threat["attack_mechanisms"] = json!(mechanisms);
    }
    if !weaknesses.is_empty() {
        threat["weaknesses"] = json!(weaknesses);
    }
    threat
}

/// One finding's rating as a TM-BOM risk: the level is our severity, the score TM-BOM's
/// likelihood step times its impact step.
fn risk(t: &Threat, name: &str) -> Value {
    let (likelihood, l) = likelihood(t.likelihood);
    let (impact, i) = impact(t.impact);
    json!({
        "symbolic_name": name,
        "title": t.title,
        "description": format!("Rated {} by threatscribe. {}", t.severity, t.rating_reasoning.join(" ")),
        "threats": [name],
        "likelihood": likelihood,
        "impact": impact,
        "impact_description": t.description,
        "score": l * i,
        "level": t.severity.as_str(),
    })
}

/// What TM-BOM has no field for, for threatscribe's import. Lists, not maps keyed by id, so
/// the model's order survives tools that reorder keys.
fn extension(layout: &Layout<'_>, threats: &Map<String, Value>) -> Value {
    let model = layout.model;
    let elements: Vec<Value> = model
        .elements
        .iter()
        .map(|e| json!({"id": symbol(&e.id), "technologies": e.technologies, "tags": e.tags, "properties": e.properties}))
        .collect();
    let flows: Vec<Value> = model
        .flows
        .iter()
        .map(|f| json!({"id": symbol(&f.id), "protocol": f.protocol, "data": f.data, "properties": f.properties}))
        .collect();
    let boundaries: Vec<Value> = model
        .boundaries
        .iter()
        .map(|b| json!({"id": symbol(&b.id), "kind": b.kind, "parent": b.parent, "properties": b.properties}))
        .collect();
    let data_assets: Vec<Value> = model
        .data_assets
        .iter()
        .map(|d| json!({"id": symbol(&d.id), "classification": d.classification}))
        .collect();
    json!({
        "outside_boundaries": layout.outside,
        "elements": elements,
        "flows": flows,
        "boundaries": boundaries,
        "data_assets": data_assets,
        "threats": threats,
        "findings": model.findings,
        "tracking": model.tracking,
        "questions": model.questions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_become_symbolic_names() {
        assert_eq!(symbol("WEB008@web-app"), "web008-web-app");
        assert_eq!(symbol("PROVIDED-3@db"), "provided-3-db");
        assert_eq!(symbol(""), "unnamed");
        let mut symbols = Symbols::default();
        assert_eq!(symbols.make("A@b"), "a-b");
        assert_eq!(symbols.make("a-b"), "a-b-2");
    }

    #[test]
    fn restricted_data_is_credentials_only_when_its_name_says_so() {
        let codes = |id: &str, name: &str, c| sensitivity(id, name, c);
        assert_eq!(
            codes(
                "credentials",
                "Login credentials",
                Classification::Restricted
            ),
            ["cred"]
        );
        assert_eq!(
            codes("card-data", "Card numbers", Classification::Restricted),
            ["pci"]
        );
        assert_eq!(
            codes("ledger", "Ledger", Classification::Restricted),
            ["biz"]
        );
        assert_eq!(
            codes("keys", "API keys", Classification::Confidential),
            ["biz"]
        );
        assert!(codes("posts", "Posts", Classification::Public).is_empty());
    }

    #[test]
    fn notes_close_the_description() {
        assert_eq!(described(Some("Stores posts."), &[]), "Stores posts.");
        assert_eq!(
            described(Some("Stores posts."), &["Tags: sql.".into()]),
            "Stores posts.\n\n[threatscribe] Tags: sql."
        );
        assert_eq!(
            described(None, &["Tags: sql.".into()]),
            "[threatscribe] Tags: sql."
        );
    }
}
