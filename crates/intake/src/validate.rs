//! From a parsed model file to a validated `Model`: ids derived, names resolved against the
//! catalog, every reference checked, and each problem reported where it is.

use std::collections::BTreeMap;

// Ids come from model files that may be hostile: foldhash's per-process random seed keeps them
// from being crafted to collide, and it hashes short keys several times faster than SipHash.
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};

use crate::spanned::Spanned;
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{
    Boundary, BoundaryKind, Classification, DataAsset, Element, ElementKind, Flow, Model,
    derive_id, is_valid_id,
};

use crate::diagnostic::{Diagnostic, IntakeError};
use crate::model_file::ModelFile;

/// How the text of a model file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format a file name implies, if it names a model file at all.
    pub fn from_path(path: &str) -> Option<Self> {
        let extension = std::path::Path::new(path)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match extension.as_str() {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Where each element and flow was declared, by id: (line, column), 1-based.
pub type SourceMap = BTreeMap<String, (u32, u32)>;

/// A model that passed validation, with what is worth a warning and where things are.
#[derive(Debug, Clone)]
pub struct ParsedModel {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
    pub locations: SourceMap,
    /// Where each element and flow came from, by id: the words of a description it rests on or
    /// the inference that added it. Empty for model files, whose text says it all.
    pub notes: BTreeMap<String, Vec<String>>,
}

/// Reads and validates a model file's text. `default_name` names the model when the file
/// does not (the CLI passes the file's stem).
pub fn parse_model(
    text: &str,
    format: Format,
    default_name: &str,
    kb: &KnowledgeBase,
) -> Result<ParsedModel, IntakeError> {
    if format == Format::Json
        && let Some(file) = crate::json::read(text)
    {
        return validate(file, default_name, kb);
    }
    if format == Format::Json
        && let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(text)
    {
        let at = (error.line() as u32, error.column() as u32);
        return Err(IntakeError::Syntax(Diagnostic::error(
            at,
            format!("invalid JSON: {}", strip_position(&error.to_string())),
        )));
    }
    let file: ModelFile = serde_saphyr::from_str_with_options(text, parse_options(text.len()))
        .map_err(|error| {
            let at = error
                .location()
                .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
            let message = error.without_snippet().to_string();
            IntakeError::Syntax(
                Diagnostic::error(at, strip_position(&message)).with_hint(shape_hint(&message)),
            )
        })?;
    validate(file, default_name, kb)
}

/// Parser limits scaled to the input: a real model has about one YAML node per three bytes, so
/// a large model file parses, while a small file whose aliases multiply into millions of nodes
/// (a "billion laughs" bomb) is stopped early. Alias and anchor caps stay at the parser's
/// defaults.
fn parse_options(input_bytes: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(input_bytes / 2);
    budget.max_events = budget.max_events.max(input_bytes);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Reads a model given as an already-parsed JSON value (rule examples, API bodies). Values carry
/// no positions, so diagnostics have none.
pub fn parse_model_value(
    value: &serde_json::Value,
    default_name: &str,
    kb: &KnowledgeBase,
) -> Result<ParsedModel, IntakeError> {
    let file: ModelFile = serde_json::from_value(value.clone())
        .map_err(|error| IntakeError::Syntax(Diagnostic::error((0, 0), error.to_string())))?;
    validate(file, default_name, kb)
}

/// Drops a trailing " at line X column Y" that the parsers append; we report positions apart.
fn strip_position(message: &str) -> String {
    let cut = message.find(" at line ").unwrap_or(message.len());
    message[..cut].trim_end().to_owned()
}

fn shape_hint(message: &str) -> String {
    if message.contains("budget breached") {
        "the document expands to more nodes than a model needs (aliases that multiply, as in a \"billion laughs\" file); it is refused to protect memory".into()
    } else if message.contains("recursion limit") {
        "values are nested deeper than any model needs".into()
    } else if message.contains("unknown field") {
        "model files take name, description, elements, flows, boundaries, data_assets; see `threatscribe schema`".into()
    } else {
        "see `threatscribe schema` for the model file's shape".into()
    }
}

fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(wanted, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

fn did_you_mean(wanted: &str, candidates: impl Iterator<Item = impl AsRef<str>>) -> Option<String> {
    let owned: Vec<String> = candidates.map(|c| c.as_ref().to_owned()).collect();
    closest(wanted, owned.iter().map(String::as_str)).map(|c| format!("did you mean `{c}`?"))
}

fn parse_enum<T: Copy>(
    raw: &Spanned<String>,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    let value = raw.value.trim();
    if let Some(&found) = all.iter().find(|&&k| name(k) == value) {
        return Some(found);
    }
    let names: Vec<&str> = all.iter().map(|&k| name(k)).collect();
    let hint = did_you_mean(value, names.iter())
        .unwrap_or_else(|| format!("one of: {}", names.join(", ")));
    errors.push(Diagnostic::error(raw.at, format!("unknown {what} `{value}`")).with_hint(hint));
    None
}

/// Warns about properties no rule knows, properties in the wrong place, and values the rules do
/// not understand: each would silently leave a finding open that the user meant to close.
fn check_properties(
    owner: &str,
    place: &str,
    properties: &threatscribe_model::Properties,
    position: (u32, u32),
    kb: &KnowledgeBase,
    warnings: &mut Vec<Diagnostic>,
) {
    for (name, value) in properties {
        let Some(spec) = kb.properties.get(name) else {
            let hint = did_you_mean(name, kb.properties.keys()).unwrap_or_else(|| {
                "kept as documentation; `threatscribe kb properties` lists the ones rules use"
                    .into()
            });
            warnings.push(
                Diagnostic::warning(
                    position,
                    format!("property `{name}` of `{owner}` is not one the rules use"),
                )
                .with_hint(hint),
            );
            continue;
        };
        if !spec.on.iter().any(|o| o == place) {
            warnings.push(
                Diagnostic::warning(
                    position,
                    format!(
                        "property `{name}` of `{owner}` has no effect on a {}",
                        place.replace('_', " ")
                    ),
                )
                .with_hint(format!(
                    "it belongs on: {}",
                    spec.on.join(", ").replace('_', " ")
                )),
            );
            continue;
        }
        if let Some(known) = &spec.values
            && !known.iter().any(|k| k == value || matches!((k, value), (serde_json::Value::String(a), serde_json::Value::String(b)) if a.eq_ignore_ascii_case(b)))
        {
            let listed: Vec<String> = known.iter().map(|k| k.as_str().map_or_else(|| k.to_string(), ToOwned::to_owned)).collect();
            warnings.push(
                Diagnostic::warning(position, format!("value {value} of property `{name}` on `{owner}` is not one the rules understand"))
                    .with_hint(format!("use one of: {}", listed.join(", "))),
            );
        }
    }
}

/// True for a calendar date written YYYY-MM-DD.
fn is_iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 3
        && number(parts[0], 4)
        && number(parts[1], 2)
        && number(parts[2], 2)
        && (1..=12).contains(&parts[1].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&parts[2].parse::<u32>().unwrap_or(0))
}

/// Checks tracking entries: a known status, a justification where one is required, dates
/// written YYYY-MM-DD, a threat id or pattern of the form RULE@TARGET.
pub(crate) fn tracking_entries(
    raw: &[crate::model_file::TrackingEntryRaw],
    errors: &mut Vec<Diagnostic>,
) -> Vec<threatscribe_model::TrackingEntry> {
    use threatscribe_model::Status;
    let mut out = Vec::new();
    for entry in raw {
        let threat = entry.threat.value.trim();
        let well_formed = threat
            .split_once('@')
            .is_some_and(|(rule, target)| !rule.is_empty() && !target.is_empty());
        if !well_formed {
            errors.push(
                Diagnostic::error(
                    entry.threat.at,
                    format!("tracking entry `{threat}` is not a threat id"),
                )
                .with_hint(
                    "write RULE@TARGET, like WEB003@web-app, or a pattern: WEB003@* or *@web-app",
                ),
            );
        }
        let Some(status) = parse_enum(
            &entry.status,
            &Status::ALL,
            Status::as_str,
            "tracking status",
            errors,
        ) else {
            continue;
        };
        let justified = entry
            .justification
            .as_deref()
            .is_some_and(|j| !j.trim().is_empty());
        if matches!(status, Status::Accepted | Status::FalsePositive) && !justified {
            errors.push(
                Diagnostic::error(
                    entry.status.at,
                    format!("a `{status}` decision on `{threat}` needs a `justification`"),
                )
                .with_hint("say why the risk is acceptable or why the finding does not apply"),
            );
        }
        for date in [&entry.date, &entry.expires].into_iter().flatten() {
            if !is_iso_date(date.value.trim()) {
                errors.push(
                    Diagnostic::error(date.at, format!("`{}` is not a date", date.value))
                        .with_hint("write YYYY-MM-DD, e.g. 2027-03-31"),
                );
            }
        }
        out.push(threatscribe_model::TrackingEntry {
            threat: threat.to_owned(),
            status,
            justification: entry.justification.clone(),
            owner: entry.owner.clone(),
            ticket: entry.ticket.clone(),
            date: entry.date.as_ref().map(|d| d.value.trim().to_owned()),
            expires: entry.expires.as_ref().map(|d| d.value.trim().to_owned()),
        });
    }
    out
}

/// Reads a tracking file (`tracking:` and a list of entries), kept apart from the model.
pub fn parse_tracking(text: &str) -> Result<Vec<threatscribe_model::TrackingEntry>, IntakeError> {
    let file: crate::model_file::TrackingFile =
        serde_saphyr::from_str_with_options(text, parse_options(text.len())).map_err(|error| {
            let at = error
                .location()
                .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
            IntakeError::Syntax(
                Diagnostic::error(at, strip_position(&error.without_snippet().to_string()))
                    .with_hint("a tracking file holds `tracking:` and a list of entries"),
            )
        })?;
    let mut errors = Vec::new();
    let entries = tracking_entries(&file.tracking, &mut errors);
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(IntakeError::Invalid(errors))
    }
}

/// Findings written elsewhere, each on an element or flow the model declares.
fn provided_findings(
    entries: &[crate::model_file::FindingEntry],
    elements: &[Element],
    flows: &[Flow],
    errors: &mut Vec<Diagnostic>,
) -> Vec<threatscribe_model::ProvidedFinding> {
    let targets: Vec<&str> = elements
        .iter()
        .map(|e| e.id.as_str())
        .chain(flows.iter().map(|f| f.id.as_str()))
        .collect();
    let mut out = Vec::new();
    for entry in entries {
        if !targets.contains(&entry.target.value.as_str()) {
            errors.push(
                Diagnostic::error(
                    entry.target.at,
                    format!(
                        "finding `{}` is on `{}`, which is neither an element nor a flow",
                        entry.title.trim(),
                        entry.target.value
                    ),
                )
                .with_hint(
                    did_you_mean(&entry.target.value, targets.iter())
                        .unwrap_or_else(|| "use an element or flow id".into()),
                ),
            );
            continue;
        }
        let text = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        out.push(threatscribe_model::ProvidedFinding {
            target: entry.target.value.clone(),
            stride: entry.stride,
            title: entry.title.trim().to_owned(),
            description: text(&entry.description),
            status: entry.status.unwrap_or(threatscribe_model::Status::Open),
            severity: entry.severity,
            mitigation: text(&entry.mitigation),
            source: text(&entry.source).unwrap_or_else(|| "model file".to_owned()),
        });
    }
    out
}

/// Trims entries and drops empty ones.
fn clean_list(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn has_control_characters(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Validates a name and returns the id: the given one, or one derived from the name.
fn resolve_id(
    id: Option<&Spanned<String>>,
    name: &Spanned<String>,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> (String, (u32, u32)) {
    if name.value.trim().is_empty() {
        errors.push(Diagnostic::error(
            name.at,
            format!("{what} has an empty name"),
        ));
    } else if has_control_characters(&name.value) {
        errors.push(
            Diagnostic::error(name.at, format!("{what} name contains control characters"))
                .with_hint("names are shown in reports; use plain text"),
        );
    }
    match id {
        Some(id) => {
            if !is_valid_id(&id.value) {
                errors.push(
                    Diagnostic::error(
                        id.at,
                        format!(
                            "{what} id `{}` is not lowercase kebab-case",
                            id.value.escape_debug()
                        ),
                    )
                    .with_hint(format!("for example `{}`", derive_id(&id.value))),
                );
            }
            (id.value.clone(), id.at)
        }
        None => (derive_id(&name.value), name.at),
    }
}

#[allow(clippy::too_many_lines)] // one pass over the file, in the order a reader checks it
fn validate(
    mut file: ModelFile,
    default_name: &str,
    kb: &KnowledgeBase,
) -> Result<ParsedModel, IntakeError> {
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut warnings: Vec<Diagnostic> = Vec::new();
    let mut locations = SourceMap::new();

    // Boundaries first: elements refer to them.
    let mut boundaries = Vec::new();
    let mut boundary_at: HashMap<String, (u32, u32)> = HashMap::new();
    for entry in &file.boundaries {
        let (id, position) = resolve_id(entry.id.as_ref(), &entry.name, "boundary", &mut errors);
        if boundary_at.insert(id.clone(), position).is_some() {
            errors.push(
                Diagnostic::error(position, format!("duplicate boundary id `{id}`"))
                    .with_hint("give each boundary its own `id`"),
            );
            continue;
        }
        let kind = parse_enum(
            &entry.kind,
            &BoundaryKind::ALL,
            BoundaryKind::as_str,
            "boundary kind",
            &mut errors,
        );
        boundaries.push(Boundary {
            id,
            name: entry.name.value.trim().to_owned(),
            kind: kind.unwrap_or(BoundaryKind::Network),
            parent: entry.parent.as_ref().map(|p| p.value.clone()),
            properties: entry.properties.clone(),
        });
    }
    for (entry, boundary) in file.boundaries.iter().zip(&boundaries) {
        if let Some(parent) = &entry.parent
            && !boundary_at.contains_key(&parent.value)
        {
            errors.push(
                Diagnostic::error(
                    parent.at,
                    format!(
                        "boundary `{}` has unknown parent `{}`",
                        boundary.id, parent.value
                    ),
                )
                .with_hint(
                    did_you_mean(&parent.value, boundary_at.keys())
                        .unwrap_or_else(|| "declare it under `boundaries:`".into()),
                ),
            );
        }
    }
    // Cycles: follow parents from each boundary; a walk longer than the list has looped.
    let parent_of: HashMap<&str, &str> = boundaries
        .iter()
        .filter_map(|b| b.parent.as_deref().map(|p| (b.id.as_str(), p)))
        .collect();
    let mut reported_cycle: HashSet<&str> = HashSet::new();
    for boundary in &boundaries {
        let mut path = vec![boundary.id.as_str()];
        let mut current = boundary.id.as_str();
        while let Some(&parent) = parent_of.get(current) {
            if let Some(start) = path.iter().position(|&p| p == parent) {
                let cycle = &path[start..];
                if cycle.iter().all(|id| reported_cycle.insert(id)) {
                    let mut chain: Vec<&str> = cycle.to_vec();
                    chain.push(parent);
                    errors.push(
                        Diagnostic::error(
                            boundary_at[parent],
                            format!("boundaries form a cycle: {}", chain.join(" -> ")),
                        )
                        .with_hint("a boundary cannot be inside itself; remove one `parent`"),
                    );
                }
                break;
            }
            path.push(parent);
            current = parent;
        }
    }

    // Data assets.
    let mut data_assets = Vec::new();
    let mut data_ids: HashSet<String> = HashSet::new();
    for entry in &file.data_assets {
        let (id, position) = resolve_id(entry.id.as_ref(), &entry.name, "data asset", &mut errors);
        if !data_ids.insert(id.clone()) {
            errors.push(
                Diagnostic::error(position, format!("duplicate data asset id `{id}`"))
                    .with_hint("give each data asset its own `id`"),
            );
            continue;
        }
        let classification = parse_enum(
            &entry.classification,
            &Classification::ALL,
            Classification::as_str,
            "classification",
            &mut errors,
        );
        data_assets.push(DataAsset {
            id,
            name: entry.name.value.trim().to_owned(),
            classification: classification.unwrap_or(Classification::Confidential),
            description: entry.description.clone(),
        });
    }

    // Elements.
    if file.elements.is_empty() {
        errors.push(
            Diagnostic::error((1, 1), "the model has no elements")
                .with_hint("list the people, processes and data stores under `elements:`"),
        );
    }
    let mut elements = Vec::new();
    // Taken, not borrowed: tags, properties and descriptions move into the model (on a large
    // model, copying the property maps cost hundreds of MiB at the peak).
    for entry in std::mem::take(&mut file.elements) {
        let (id, position) = resolve_id(entry.id.as_ref(), &entry.name, "element", &mut errors);
        if locations.contains_key(&id) {
            let hint = if entry.id.is_none() {
                "the id was derived from the name; set `id:` to tell them apart"
            } else {
                "give each element its own `id`"
            };
            errors.push(
                Diagnostic::error(position, format!("duplicate element id `{id}`")).with_hint(hint),
            );
            continue;
        }
        locations.insert(id.clone(), position);
        let kind = parse_enum(
            &entry.kind,
            &ElementKind::ALL,
            ElementKind::as_str,
            "element kind",
            &mut errors,
        );
        if let Some(boundary) = &entry.boundary
            && !boundary_at.contains_key(&boundary.value)
        {
            errors.push(
                Diagnostic::error(
                    boundary.at,
                    format!("element `{id}` is in unknown boundary `{}`", boundary.value),
                )
                .with_hint(
                    did_you_mean(&boundary.value, boundary_at.keys())
                        .unwrap_or_else(|| "declare it under `boundaries:`".into()),
                ),
            );
        }
        let mut technologies = Vec::new();
        for technology in &entry.technologies {
            let spelling = technology.value.trim();
            if let Some(known) = kb.catalog.lookup(spelling) {
                if !technologies.contains(&known.id) {
                    technologies.push(known.id.clone());
                }
            } else {
                let mut warning = Diagnostic::warning(
                    technology.at,
                    format!(
                        "unknown technology `{spelling}` in element `{id}`: analysed by its kind and tags only"
                    ),
                );
                if let Some(suggestion) = kb.catalog.suggest(spelling) {
                    warning = warning.with_hint(format!("did you mean `{suggestion}`?"));
                }
                warnings.push(warning);
                technologies.push(spelling.to_owned());
            }
        }
        elements.push(Element {
            id,
            name: entry.name.value.trim().to_owned(),
            kind: kind.unwrap_or(ElementKind::Process),
            technologies,
            boundary: entry.boundary.as_ref().map(|b| b.value.clone()),
            tags: entry.tags,
            properties: entry.properties,
            description: entry.description,
        });
    }

    // Flows.
    let element_ids: Vec<String> = elements.iter().map(|e| e.id.clone()).collect();
    let element_id_set: HashSet<&str> = elements.iter().map(|e| e.id.as_str()).collect();
    let mut flows: Vec<Flow> = Vec::new();
    for entry in std::mem::take(&mut file.flows) {
        let mut ends_known = true;
        for end in [&entry.from, &entry.to] {
            if !element_id_set.contains(end.value.as_str()) {
                ends_known = false;
                errors.push(
                    Diagnostic::error(
                        end.at,
                        format!("flow refers to unknown element `{}`", end.value),
                    )
                    .with_hint(
                        did_you_mean(&end.value, element_ids.iter())
                            .unwrap_or_else(|| "declare it under `elements:`".into()),
                    ),
                );
            }
        }
        if ends_known && entry.from.value == entry.to.value {
            errors.push(
                Diagnostic::error(
                    entry.from.at,
                    format!("flow from `{}` to itself", entry.from.value),
                )
                .with_hint(
                    "a data flow connects two elements; model the internal step as its own process",
                ),
            );
        }
        let (id, position) = if let Some(id) = &entry.id {
            if !is_valid_id(&id.value) {
                errors.push(Diagnostic::error(
                    id.at,
                    format!(
                        "flow id `{}` is not lowercase kebab-case",
                        id.value.escape_debug()
                    ),
                ));
            }
            (id.value.clone(), id.at)
        } else {
            let base = format!("{}-to-{}", entry.from.value, entry.to.value);
            let mut id = base.clone();
            let mut n = 2;
            while locations.contains_key(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            (id, entry.from.at)
        };
        if locations.contains_key(&id) {
            errors.push(
                Diagnostic::error(position, format!("duplicate id `{id}`"))
                    .with_hint("element and flow ids share one namespace: threat ids are RULE@ID"),
            );
            continue;
        }
        locations.insert(id.clone(), position);
        let protocol = entry.protocol.as_ref().map(|p| {
            let spelling = p.value.trim();
            if let Some(known) = kb.catalog.lookup_protocol(spelling) {
                known.id.clone()
            } else {
                let mut warning = Diagnostic::warning(
                    p.at,
                    format!("unknown protocol `{spelling}` on flow `{id}`"),
                );
                if let Some(suggestion) = kb.catalog.suggest_protocol(spelling) {
                    warning = warning.with_hint(format!("did you mean `{suggestion}`?"));
                }
                warnings.push(warning);
                spelling.to_lowercase()
            }
        });
        let mut data = Vec::new();
        for asset in &entry.data {
            if data_ids.contains(&asset.value) {
                if !data.contains(&asset.value) {
                    data.push(asset.value.clone());
                }
            } else {
                errors.push(
                    Diagnostic::error(
                        asset.at,
                        format!("flow `{id}` carries unknown data asset `{}`", asset.value),
                    )
                    .with_hint(
                        did_you_mean(&asset.value, data_ids.iter())
                            .unwrap_or_else(|| "declare it under `data_assets:`".into()),
                    ),
                );
            }
        }
        flows.push(Flow {
            id,
            from: entry.from.value.clone(),
            to: entry.to.value.clone(),
            protocol,
            data,
            properties: entry.properties,
            description: entry.description,
        });
    }

    for element in &elements {
        check_properties(
            &element.id,
            element.kind.as_str(),
            &element.properties,
            locations[&element.id],
            kb,
            &mut warnings,
        );
    }
    for flow in &flows {
        check_properties(
            &flow.id,
            "flow",
            &flow.properties,
            locations[&flow.id],
            kb,
            &mut warnings,
        );
    }
    let connected: HashSet<&str> = flows
        .iter()
        .flat_map(|f| [f.from.as_str(), f.to.as_str()])
        .collect();
    for element in &elements {
        if !connected.contains(element.id.as_str()) {
            warnings.push(Diagnostic::warning(
                locations[&element.id],
                format!(
                    "element `{}` has no flows: nothing reaches it or leaves it",
                    element.id
                ),
            ));
        }
    }

    let tracking = tracking_entries(&file.tracking, &mut errors);
    let findings = provided_findings(&file.findings, &elements, &flows, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|d| (d.line, d.column));
        return Err(IntakeError::Invalid(errors));
    }
    let name = file
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default_name.to_owned());
    Ok(ParsedModel {
        model: Model {
            tracking,
            findings,
            assumptions: clean_list(file.assumptions),
            questions: clean_list(file.questions),
            name,
            description: file.description,
            elements,
            flows,
            boundaries,
            data_assets,
        },
        warnings,
        locations,
        notes: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests;
