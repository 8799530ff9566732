//! Other threat-modeling tools' files, read as threatscribe models: OWASP Threat Dragon (v1 and
//! v2) diagrams, OWASP pytm JSON models, Threagile YAML, Open Threat Model and TM-BOM files
//! (native or CycloneDX), so a team can bring what it already has and get threatscribe's
//! analysis.
//!
//! Each importer writes the model-file form (a JSON value with elements, flows, boundaries,
//! data assets, assumptions and questions) and leaves validation to intake, so an imported
//! model is checked exactly like a hand-written one. A file's own threats become the model's
//! `findings`. What a format cannot express, or what is not carried over, is said in the
//! model's assumptions and questions, never dropped silently.
//!
//! Key decision: importers produce data, not code paths. No importer builds `Model` values
//! itself; intake's one validator stays the only judge of what a model may contain.

mod cyclonedx;
mod export_otm;
mod export_threat_dragon;
mod export_tmbom;
mod otm;
mod pytm;
mod threagile;
mod threat_dragon;
mod tmbom;

pub use export_otm::export_otm;
pub use export_threat_dragon::export_threat_dragon;
pub use export_tmbom::export_tmbom;
use serde_json::Value;

/// A format threatscribe can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignFormat {
    /// OWASP Threat Dragon JSON: version 2 (`detail.diagrams[].cells`) or 1 (`diagramJson.cells`).
    ThreatDragon,
    /// OWASP pytm's JSON model (`elements` with `__class__`).
    Pytm,
    /// Threagile YAML (`threagile_version`), parsed to JSON values by the caller.
    Threagile,
    /// Open Threat Model, JSON or YAML (`otmVersion`).
    Otm,
    /// TM-BOM, the OWASP Threat Model Library schema (`scope` and `data_flows`).
    TmBom,
    /// CycloneDX TM-BOM: a CycloneDX BOM with `threat-model` components.
    CycloneDx,
}

impl ForeignFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::ThreatDragon => "OWASP Threat Dragon JSON model",
            Self::Pytm => "OWASP pytm JSON model",
            Self::Threagile => "Threagile YAML model",
            Self::Otm => "Open Threat Model (OTM) file",
            Self::TmBom => "TM-BOM file",
            Self::CycloneDx => "CycloneDX TM-BOM file",
        }
    }
}

/// Recognises another tool's JSON by its shape; `None` for threatscribe's own model files and
/// anything else.
pub fn detect(value: &Value) -> Option<ForeignFormat> {
    if cyclonedx::is_tm_bom(value) {
        return Some(ForeignFormat::CycloneDx);
    }
    if value.get("otmVersion").is_some() {
        return Some(ForeignFormat::Otm);
    }
    if value.get("scope").is_some() && value.get("data_flows").is_some_and(Value::is_array) {
        return Some(ForeignFormat::TmBom);
    }
    if value.get("threagile_version").is_some() {
        return Some(ForeignFormat::Threagile);
    }
    if value
        .pointer("/detail/diagrams")
        .is_some_and(Value::is_array)
    {
        return Some(ForeignFormat::ThreatDragon);
    }
    let pytm = value
        .get("elements")
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().any(|x| x.get("__class__").is_some()));
    pytm.then_some(ForeignFormat::Pytm)
}

/// Why a file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError(pub String);

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportError {}

/// Converts another tool's file into the model-file form.
pub fn import(value: &Value, format: ForeignFormat) -> Result<Value, ImportError> {
    match format {
        ForeignFormat::ThreatDragon => threat_dragon::import(value),
        ForeignFormat::Pytm => pytm::import(value),
        ForeignFormat::Threagile => threagile::import(value),
        ForeignFormat::Otm => otm::import(value),
        ForeignFormat::TmBom => tmbom::import(value),
        ForeignFormat::CycloneDx => cyclonedx::import(value),
    }
}

/// Ids for names, unique within one import: "Web App", "Web App" -> web-app, web-app-2.
#[derive(Default)]
pub(crate) struct Ids {
    used: Vec<String>,
}

impl Ids {
    pub(crate) fn make(&mut self, name: &str) -> String {
        let base = threatscribe_model::derive_id(name);
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used.push(id.clone());
        id
    }
}

/// A string field, or "" when it is absent or not a string.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The items of an array field; none when it is absent or not an array.
pub(crate) fn list<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// One line of text from a name that may hold line breaks ("Web\nApplication").
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Free-text protocol names (Threat Dragon, pytm, Threagile, TM-BOM) to catalog protocol ids,
/// where the meaning is clear.
pub(crate) fn protocol(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "https" | "http/s" | "http(s)" | "tls" => Some("https"),
        "http" => Some("http"),
        "grpc" => Some("grpc"),
        "nfs" => Some("nfs"),
        "mysql" => Some("mysql-protocol"),
        "postgresql" | "postgres" => Some("postgresql-protocol"),
        "smb" => Some("smb"),
        "sftp" => Some("sftp"),
        "mqtt" => Some("mqtt"),
        "websocket" | "ws" => Some("websocket"),
        "wss" => Some("websocket-tls"),
        _ => None,
    }
}
