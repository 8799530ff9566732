//! Intake: reads what a user gives threatscribe into a validated `Model`.
//!
//! Today that is a model file (YAML or JSON, "threat modeling as code"); plain-English
//! descriptions and other tools' formats come later and land here too. This crate does not
//! analyse anything: it answers "what is the architecture?", with every problem pinned to a line
//! and column of the input and a hint.
//!
//! Key decision: JSON is read by the same YAML parser (JSON is a subset of YAML 1.2), after a
//! strict JSON syntax check. One code path then gives line and column for every value of
//! both formats, and the checks after parsing cannot drift between them.

mod describe;
mod diagnostic;
mod emit;
mod model_file;
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
