//! `GET /api/openapi.json`: the API described in `OpenAPI` 3.1. The paths are written here; the
//! bodies' schemas are generated from the types the handlers use (schemars, JSON Schema
//! 2020-12, which `OpenAPI` 3.1 takes as is), so they cannot drift from the code.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::api::{Created, Decision, NewVersion, Recorded};
use crate::store::{ModelSummary, VersionInfo};

/// Moves a generated schema's `$defs` into the components and points its references there.
fn add(components: &mut Map<String, Value>, name: &str, mut schema: Value) {
    if let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|o| o.remove("$defs")) {
        for (def_name, mut def) in defs {
            relink(&mut def);
            components.insert(def_name, def);
        }
    }
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    relink(&mut schema);
    components.insert(name.to_owned(), schema);
}

fn relink(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get_mut("$ref")
                && let Some(def) = target.strip_prefix("#/$defs/")
            {
                *target = format!("#/components/schemas/{def}");
            }
            object.values_mut().for_each(relink);
        }
        Value::Array(items) => items.iter_mut().for_each(relink),
        _ => {}
    }
}

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema serialises")
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The document.
#[allow(clippy::too_many_lines)] // one literal document, path by path
pub fn openapi() -> Value {
    let mut components = Map::new();
    add(&mut components, "NewVersion", schema::<NewVersion>());
    add(&mut components, "Created", schema::<Created>());
    add(&mut components, "Decision", schema::<Decision>());
    add(&mut components, "Recorded", schema::<Recorded>());
    add(&mut components, "ModelSummary", schema::<ModelSummary>());
    add(&mut components, "VersionInfo", schema::<VersionInfo>());
    let report: Value = serde_json::from_str(&threatscribe_report::report_schema())
        .expect("the report schema is JSON");
    add(&mut components, "Report", report);
    components.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "What is wrong, in words."}}}),
    );
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let version =
        json!({"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "threatscribe",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Threat models from descriptions and model files: create versions, fetch reports in every format, record decisions about findings, compare versions. Send `Authorization: Bearer TOKEN` when the server has a token."
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/models": {
                "post": {
                    "summary": "Analyse an input and store it as a new version of the model it names (a new model the first time).",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewVersion"}}}},
                    "responses": {
                        "201": {"description": "Stored.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Created"}}}},
                        "400": error("The body or the input is not usable; the message says what and where."),
                        "401": error("The token is missing or wrong."),
                        "413": error("The body is larger than the server takes.")
                    }
                },
                "get": {
                    "summary": "The models, each with its latest version number.",
                    "responses": {"200": {"description": "The models.", "content": {"application/json": {"schema": {"type": "object", "properties": {"models": {"type": "array", "items": {"$ref": "#/components/schemas/ModelSummary"}}}}}}}}
                }
            },
            "/api/models/{id}": {
                "get": {
                    "summary": "A model and its versions.",
                    "parameters": [id],
                    "responses": {
                        "200": {"description": "The model.", "content": {"application/json": {"schema": {"type": "object", "properties": {"model": {"$ref": "#/components/schemas/ModelSummary"}, "versions": {"type": "array", "items": {"$ref": "#/components/schemas/VersionInfo"}}}}}}},
                        "404": error("No such model.")
                    }
                }
            },
            "/api/models/{id}/versions/{version}/report": {
                "get": {
                    "summary": "The report of one version, with the model's decisions applied.",
                    "parameters": [id, version, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "md", "html", "sarif", "csv"], "default": "json"}}],
                    "responses": {
                        "200": {"description": "The report.", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Report"}},
                            "text/markdown": {"schema": {"type": "string"}},
                            "text/html": {"schema": {"type": "string"}},
                            "application/sarif+json": {"schema": {"type": "object"}},
                            "text/csv": {"schema": {"type": "string"}}
                        }},
                        "400": error("Unknown format."),
                        "404": error("No such model or version.")
                    }
                }
            },
            "/api/models/{id}/versions/{version}/export": {
                "get": {
                    "summary": "The version as an OWASP Threat Dragon v2 or Open Threat Model file, with its findings.",
                    "parameters": [id, version, {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "enum": ["threat-dragon", "otm"]}}],
                    "responses": {"200": {"description": "The file.", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": error("Unknown target."), "404": error("No such model or version.")}
                }
            },
            "/api/models/{id}/tracking/{threat_id}": {
                "put": {
                    "summary": "Record a decision about a finding (its status, and why); it applies to every version of the model.",
                    "parameters": [id, {"name": "threat_id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "A finding id (RULE@TARGET) or a pattern (RULE@*, *@TARGET)."}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Decision"}}}},
                    "responses": {"200": {"description": "Recorded.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recorded"}}}}, "400": error("Invalid status, id or justification."), "403": error("A page sent no anti-CSRF token."), "404": error("No such model.")}
                }
            },
            "/api/models/{id}/diff": {
                "get": {
                    "summary": "What changed between two versions: architecture and findings.",
                    "parameters": [id,
                        {"name": "from", "in": "query", "required": true, "schema": {"type": "integer"}},
                        {"name": "to", "in": "query", "required": true, "schema": {"type": "integer"}},
                        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "md"], "default": "json"}}],
                    "responses": {"200": {"description": "The differences.", "content": {"application/json": {"schema": {"type": "object"}}, "text/markdown": {"schema": {"type": "string"}}}}, "400": error("Missing versions."), "404": error("No such model or version.")}
                }
            },
            "/api/openapi.json": {
                "get": {"summary": "This document.", "security": [], "responses": {"200": {"description": "OpenAPI 3.1."}}}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in the document points at a schema the document has.
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(o) => {
                    if let Some(Value::String(r)) = o.get("$ref") {
                        out.push(r.clone());
                    }
                    o.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = openapi();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 20);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r} is not a component"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is missing"
            );
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
