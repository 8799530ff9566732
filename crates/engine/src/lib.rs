//! The engine: the analyst and reviewer roles. It applies the knowledge base to a validated
//! model and returns an `Analysis`: rated, ordered threats with mitigations, the coverage
//! matrix, the assumptions it made, the questions left open, and a log of what it did. A
//! `StreamingAnalysis` is the same analysis with each finding's texts written only when asked
//! for, for reports of models too large to hold every finding at once; `Analysis` is built from
//! it, so both give the same findings.
//!
//! It does not read files or render anything, and it never invents elements: every finding is
//! one rule on one element or flow of the model, with the facts that made the rule fire.
//!
//! Key decision: two layers of rules. Baseline rules give each element and flow every STRIDE
//! category its DFD kind calls for, worded for that element, so nothing is ever silent; specific
//! rules name concrete weaknesses of the technologies used and absorb the baseline finding of the
//! same target and primary category. Completeness and specificity then never trade off.

mod analyze;
mod context;
mod coverage;
mod evaluate;
mod proposals;
pub mod rating;
mod streaming;
mod text;

pub use analyze::{Analysis, LogEntry, Role, analyze, analyze_on, analyze_with};
pub use coverage::{CoverageCell, CoverageRow, applicable_categories};
pub use proposals::check_proposals;
pub use streaming::{Outline, StreamingAnalysis};
pub use text::join_names;
