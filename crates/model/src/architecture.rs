//! The architecture as understood: elements, flows, trust boundaries and data assets.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::properties::Properties;

/// A validated architecture: every id present, unique and resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub elements: Vec<Element>,
    pub flows: Vec<Flow>,
    pub boundaries: Vec<Boundary>,
    pub data_assets: Vec<DataAsset>,
    /// What the modeller took to be true where the system's documentation is silent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
    /// What the modeller could not find out and a reviewer should ask.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    /// Decisions about findings: statuses, justifications, owners, expiry dates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking: Vec<crate::TrackingEntry>,
    /// Findings written by people or other tools, shown beside the rules' findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::ProvidedFinding>,
}

/// The three element kinds of a data flow diagram.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// A person or system outside the application's control that talks to it.
    ExternalEntity,
    /// Code the application runs: a web app, an API, a worker, a function.
    Process,
    /// Where data rests: a database, a bucket, a cache, a file, a log.
    DataStore,
}

impl ElementKind {
    pub const ALL: [ElementKind; 3] = [Self::ExternalEntity, Self::Process, Self::DataStore];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExternalEntity => "external_entity",
            Self::Process => "process",
            Self::DataStore => "data_store",
        }
    }

    /// Words for prose: "external entity", "process", "data store".
    pub fn label(self) -> &'static str {
        match self {
            Self::ExternalEntity => "external entity",
            Self::Process => "process",
            Self::DataStore => "data store",
        }
    }
}

impl fmt::Display for ElementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Element {
    pub id: String,
    pub name: String,
    pub kind: ElementKind,
    /// Catalog ids of the technologies this element is built on or uses (libraries included).
    #[serde(default)]
    pub technologies: Vec<String>,
    /// Id of the innermost trust boundary holding this element, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Flow {
    pub id: String,
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Ids of the data assets this flow carries.
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a trust boundary separates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryKind {
    /// The public internet: whoever is here is untrusted.
    Internet,
    /// A cloud provider account or region (AWS, Azure, GCP).
    Cloud,
    /// A private network segment: a VPC, a subnet, a DMZ, a corporate LAN.
    Network,
    /// One machine or virtual machine.
    Host,
    /// A container, pod or sandbox.
    Container,
    /// A cluster of machines run as one (Kubernetes, ECS).
    Cluster,
    /// A third party's hosted service.
    Saas,
    /// The organisation's own data centre.
    OnPremises,
    /// A user's device: a phone, a browser, a laptop, an IoT device.
    Device,
    /// A VPN or other encrypted overlay network.
    Vpn,
}

impl BoundaryKind {
    pub const ALL: [BoundaryKind; 10] = [
        Self::Internet,
        Self::Cloud,
        Self::Network,
        Self::Host,
        Self::Container,
        Self::Cluster,
        Self::Saas,
        Self::OnPremises,
        Self::Device,
        Self::Vpn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internet => "internet",
            Self::Cloud => "cloud",
            Self::Network => "network",
            Self::Host => "host",
            Self::Container => "container",
            Self::Cluster => "cluster",
            Self::Saas => "saas",
            Self::OnPremises => "on_premises",
            Self::Device => "device",
            Self::Vpn => "vpn",
        }
    }
}

impl fmt::Display for BoundaryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Boundary {
    pub id: String,
    pub name: String,
    pub kind: BoundaryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
}

/// How bad it is when a data asset leaks, ordered from least to most sensitive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Meant to be seen by anyone (published blog posts).
    Public,
    /// Not secret, but not for outsiders (internal metrics).
    Internal,
    /// Harmful if disclosed (personal data, session tokens).
    Confidential,
    /// Severe harm if disclosed (credentials, payment or health data, keys).
    Restricted,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Self::Public,
        Self::Internal,
        Self::Confidential,
        Self::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
            Self::Confidential => "confidential",
            Self::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataAsset {
    pub id: String,
    pub name: String,
    pub classification: Classification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Model {
    pub fn element(&self, id: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.id == id)
    }

    pub fn boundary(&self, id: &str) -> Option<&Boundary> {
        self.boundaries.iter().find(|b| b.id == id)
    }

    pub fn data_asset(&self, id: &str) -> Option<&DataAsset> {
        self.data_assets.iter().find(|d| d.id == id)
    }

    /// The chain of boundaries holding `boundary`, innermost first. Stops at a cycle, which a
    /// validated model never has.
    pub fn boundary_chain<'a>(&'a self, boundary: Option<&'a str>) -> Vec<&'a Boundary> {
        let mut chain: Vec<&Boundary> = Vec::new();
        let mut next = boundary;
        while let Some(id) = next {
            let Some(b) = self.boundary(id) else { break };
            if chain.iter().any(|seen| seen.id == b.id) {
                break;
            }
            chain.push(b);
            next = b.parent.as_deref();
        }
        chain
    }
}
