//! Intake: reads what a user gives threatscribe into a validated `Model`.
//!
//! Today that is a model file (YAML or JSON, "threat modeling as code"); plain-English
//! descriptions and other tools' formats come later and land here too. This crate does not
//! analyse anything: it answers "what is the architecture?", with every problem pinned to a line
//! and column of the input and a hint.
//!
//! Key decision: one set of checks for both formats, on the same raw shape (`ModelFile`) with
//! a line and column on every value they can point at. YAML is read by a YAML parser that
//! records them. A JSON file that is well formed and of the right shape is read by `serde_json`
//! and placed by a scan with jiter (the YAML parser reads JSON twenty times slower); any other
//! JSON file is read by the YAML parser too (JSON is a subset of YAML 1.2) after a strict JSON
//! syntax check, so a broken file gets the same diagnostics whichever format it claims.

mod describe;
mod diagnostic;
mod emit;
mod json;
mod model_file;
mod spanned;
mod validate;

pub use describe::{
    MAX_DESCRIPTION_BYTES, parse_description, parse_description_limited, technologies_from_names,
};
pub use diagnostic::{Diagnostic, IntakeError, Level};
pub use emit::model_to_yaml;
pub use model_file::{
    BoundaryEntry, DataAssetEntry, ElementEntry, FlowEntry, ModelFile, model_file_schema,
};
pub use validate::{
    Format, ParsedModel, SourceMap, parse_model, parse_model_value, parse_tracking,
};
