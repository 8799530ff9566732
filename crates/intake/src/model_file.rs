//! The model file as written: the raw shape `serde` reads, with source locations, before any
//! id is derived or any reference checked. Its JSON Schema is the model file's schema.

use crate::spanned::Spanned;
use schemars::JsonSchema;
use serde::Deserialize;
use threatscribe_model::{
    BoundaryKind, Classification, ElementKind, Properties, Severity, Status, Stride,
};

/// A threatscribe model file: the architecture to analyse.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "threatscribe model")]
pub struct ModelFile {
    /// Editors may point at this schema; threatscribe ignores it.
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// The system's name, shown as the report's title. Defaults to the file's name.
    #[serde(default)]
    pub name: Option<String>,
    /// What the system does, in a sentence or two.
    #[serde(default)]
    pub description: Option<String>,
    /// People, processes and data stores.
    #[serde(default)]
    pub elements: Vec<ElementEntry>,
    /// Who sends what to whom.
    #[serde(default)]
    pub flows: Vec<FlowEntry>,
    /// Trust boundaries: networks, clouds, hosts, containers; nested by `parent`.
    #[serde(default)]
    pub boundaries: Vec<BoundaryEntry>,
    /// The data worth protecting, with how sensitive it is.
    #[serde(default)]
    pub data_assets: Vec<DataAssetEntry>,
    /// Modelling choices: what you took to be true where the system's documentation is silent.
    /// The report lists them first among its assumptions.
    #[serde(default)]
    pub assumptions: Vec<String>,
    /// What you could not find out; the report lists them among its open questions.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Decisions about findings: status, justification, owner, ticket, dates.
    #[serde(default)]
    pub tracking: Vec<TrackingEntryRaw>,
    /// Findings people or other tools already wrote down (imported threats); reports show them
    /// beside the analysis's own, with their status.
    #[serde(default)]
    pub findings: Vec<FindingEntry>,
}

/// A finding written by a person or another tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingEntry {
    /// Id of the element or flow it is about.
    #[schemars(with = "String")]
    pub target: Spanned<String>,
    /// Its STRIDE category.
    pub stride: Stride,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Where it stands; `open` when omitted.
    #[serde(default)]
    pub status: Option<Status>,
    /// As its author rated it; `medium` when omitted.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The mitigation its author wrote.
    #[serde(default)]
    pub mitigation: Option<String>,
    /// Who wrote it (a tool, a team); `model file` when omitted.
    #[serde(default)]
    pub source: Option<String>,
}

/// A decision about one finding or a pattern of findings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingEntryRaw {
    /// A threat id (`WEB003@web-app`), `RULE@*` (every target of a rule) or `*@ID` (every rule on
    /// one element or flow).
    #[schemars(with = "String")]
    pub threat: Spanned<String>,
    /// `open`, `in-progress`, `mitigated`, `accepted`, `transferred` or `false-positive`.
    #[schemars(with = "threatscribe_model::Status")]
    pub status: Spanned<String>,
    /// Why; required for `accepted` and `false-positive`.
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub ticket: Option<String>,
    /// When the decision was taken, YYYY-MM-DD.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Spanned<String>>,
    /// When the decision lapses, YYYY-MM-DD: an expired acceptance counts as open again.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub expires: Option<Spanned<String>>,
}

/// A tracking file kept apart from the model (`--tracking FILE`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingFile {
    pub tracking: Vec<TrackingEntryRaw>,
}

/// A person, process or data store.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElementEntry {
    /// Lowercase kebab-case; derived from `name` when omitted.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "String", length(min = 1))]
    pub name: Spanned<String>,
    /// `external_entity` (a person or outside system), `process`, or `data_store`.
    #[schemars(with = "ElementKind")]
    pub kind: Spanned<String>,
    /// What it is built with, as catalog ids or common names (`flask`, `Flask-Login`, `MySQL`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub technologies: Vec<Spanned<String>>,
    /// Id of the innermost trust boundary holding it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub boundary: Option<Spanned<String>>,
    /// Free tags rules may key on (`browser`, `privileged-user`, `admin-interface`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Facts about it (`internet_facing: true`, `csrf_protection: flask-wtf`).
    #[serde(default)]
    pub properties: Properties,
    #[serde(default)]
    pub description: Option<String>,
}

/// Data moving from one element to another.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowEntry {
    /// Lowercase kebab-case; derived from `from` and `to` when omitted.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Option<Spanned<String>>,
    /// Id of the element that sends (or initiates).
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// Id of the element that receives.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// Wire protocol (`https`, `http`, `mysql`, ...).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub protocol: Option<Spanned<String>>,
    /// Ids of the data assets it carries.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub data: Vec<Spanned<String>>,
    /// Facts about it (`encrypted: true`, `authenticated: true`).
    #[serde(default)]
    pub properties: Properties,
    #[serde(default)]
    pub description: Option<String>,
}

/// A trust boundary.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoundaryEntry {
    /// Lowercase kebab-case; derived from `name` when omitted.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "String", length(min = 1))]
    pub name: Spanned<String>,
    #[schemars(with = "BoundaryKind")]
    pub kind: Spanned<String>,
    /// Id of the boundary that encloses this one.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub parent: Option<Spanned<String>>,
    #[serde(default)]
    pub properties: Properties,
}

/// A kind of data worth protecting.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataAssetEntry {
    /// Lowercase kebab-case; derived from `name` when omitted.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "String", length(min = 1))]
    pub name: Spanned<String>,
    /// `public`, `internal`, `confidential` or `restricted`.
    #[schemars(with = "Classification")]
    pub classification: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The JSON Schema of the model file, pretty-printed with a trailing newline.
pub fn model_file_schema() -> String {
    let schema = schemars::schema_for!(ModelFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/model.schema.json"
        );
        let checked_in =
            std::fs::read_to_string(path).expect("schemas/model.schema.json is checked in");
        assert!(
            checked_in == super::model_file_schema(),
            "schemas/model.schema.json is stale: run `cargo run -- schema > schemas/model.schema.json`"
        );
    }
}
