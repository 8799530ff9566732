//! The data model every threatscribe role shares: the architecture (`Model` with its elements,
//! flows, trust boundaries and data assets) and what the analysis says about it (`Threat`).
//!
//! This crate holds plain data and the few questions that can be answered from one model alone
//! (which boundary holds an element, what data a flow carries). It does not parse files, know
//! any threat rule, or render anything: those are `intake`, `kb`/`engine` and `report`.
//!
//! Key decision: every enum serialises to the exact lowercase words of the JSON report contract
//! (`external_entity`, `information_disclosure`, ...), so the model types are also the wire
//! types and no second set of structs can drift from them.

mod architecture;
mod ids;
mod llm;
mod properties;
mod threat;

pub use architecture::{
    Boundary, BoundaryKind, Classification, DataAsset, Element, ElementKind, Flow, Model,
};
pub use ids::{derive_id, is_valid_id};
pub use llm::{AgentRole, CallRecord, LlmRun, Message, Narrative, ProposedThreat};
pub use properties::Properties;
pub use threat::{
    Impact, Likelihood, Mitigation, ProvidedFinding, Severity, Status, Stride, TechGuidance,
    Threat, Tracking, TrackingEntry,
};
