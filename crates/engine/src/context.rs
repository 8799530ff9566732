//! Facts about a model that rules ask for again and again, computed once: which flows touch
//! an element, its boundary chain, whether it faces the internet, the data at stake.

// Ids are looked up several times per rule and target: foldhash hashes short keys several times
// faster than SipHash, and its per-process random seed still keeps crafted ids from colliding
// on purpose (model files may come from untrusted branches).
use foldhash::HashMap;
use std::sync::Arc;

use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{
    Boundary, BoundaryKind, Classification, DataAsset, Element, ElementKind, Flow, Model,
    TechGuidance,
};

/// Why an element counts as internet-facing, for the assumptions list and rating reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// `internet_facing: true` in the model.
    Declared,
    /// It receives a flow from this element, which sits on the internet.
    ReachedFrom(String),
}

/// A control's texts, shared by every finding that cites it.
pub struct SharedControl {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub guidance: Arc<str>,
    /// By technology id.
    pub variants: HashMap<String, TechGuidance>,
    pub references: Arc<[Arc<str>]>,
}

pub struct Context<'a> {
    pub model: &'a Model,
    pub kb: &'a KnowledgeBase,
    elements: HashMap<&'a str, usize>,
    flows: HashMap<&'a str, usize>,
    /// Positions of data assets by id: a finding's rating and texts look up each asset at
    /// stake, and a company's model may declare hundreds.
    data_assets: HashMap<&'a str, usize>,
    /// Per element index: indexes of flows leaving it / arriving at it.
    outgoing: Vec<Vec<usize>>,
    incoming: Vec<Vec<usize>>,
    /// Per flow index: the indexes of its source and destination elements, when they exist.
    ends: Vec<(Option<usize>, Option<usize>)>,
    exposure: Vec<Option<Exposure>>,
    /// Per element: every tag of the element and of its technologies.
    tags: Vec<Vec<&'a str>>,
    /// Per element: the boundaries holding it, innermost first.
    chains: Vec<Vec<&'a Boundary>>,
    /// Per element: the data assets on flows into or out of it, in model order.
    data: Vec<Vec<&'a str>>,
    controls: HashMap<&'a str, SharedControl>,
}

impl<'a> Context<'a> {
    pub fn new(model: &'a Model, kb: &'a KnowledgeBase) -> Self {
        let elements: HashMap<&str, usize> = model
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let mut outgoing = vec![Vec::new(); model.elements.len()];
        let mut incoming = vec![Vec::new(); model.elements.len()];
        let ends: Vec<(Option<usize>, Option<usize>)> = (model.flows.iter())
            .map(|f| {
                let end = |id: &str| elements.get(id).copied();
                (end(&f.from), end(&f.to))
            })
            .collect();
        for (i, &(from, to)) in ends.iter().enumerate() {
            if let (Some(from), Some(to)) = (from, to) {
                outgoing[from].push(i);
                incoming[to].push(i);
            }
        }
        let tags = model
            .elements
            .iter()
            .map(|element| {
                let mut tags: Vec<&str> = element.tags.iter().map(String::as_str).collect();
                for technology in element
                    .technologies
                    .iter()
                    .filter_map(|t| kb.catalog.get(t))
                {
                    tags.extend(technology.tags.iter().map(String::as_str));
                }
                tags.sort_unstable();
                tags.dedup();
                tags
            })
            .collect();
        let flows = model
            .flows
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.as_str(), i))
            .collect();
        let controls = shared_controls(kb);
        let chains = boundary_chains(model);
        // The first of a repeated id, as `Model::data_asset` finds it (validation refuses
        // repeats anyway).
        let data_assets: HashMap<&str, usize> = (model.data_assets.iter().enumerate().rev())
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let data = element_data(model, &data_assets, &incoming, &outgoing);
        let mut context = Context {
            model,
            kb,
            elements,
            flows,
            data_assets,
            controls,
            outgoing,
            incoming,
            ends,
            exposure: Vec::new(),
            tags,
            chains,
            data,
        };
        context.exposure = model
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| context.compute_exposure(i, e))
            .collect();
        context
    }

    fn compute_exposure(&self, index: usize, element: &Element) -> Option<Exposure> {
        match element.properties.get("internet_facing") {
            Some(serde_json::Value::Bool(true)) => return Some(Exposure::Declared),
            Some(serde_json::Value::Bool(false)) => return None,
            _ => {}
        }
        if self.on_internet(element) {
            return None;
        }
        self.incoming[index].iter().find_map(|&f| {
            let source = self.source(&self.model.flows[f])?;
            self.on_internet(source)
                .then(|| Exposure::ReachedFrom(source.id.clone()))
        })
    }

    /// An element sits on the internet when a boundary holding it is of kind `internet`, or it
    /// is an external entity placed in no boundary at all.
    pub fn on_internet(&self, element: &Element) -> bool {
        let chain = self.boundary_chain(element);
        if chain.is_empty() {
            element.kind == ElementKind::ExternalEntity
        } else {
            chain.iter().any(|b| b.kind == BoundaryKind::Internet)
        }
    }

    /// The boundaries holding an element, innermost first (as `Model::boundary_chain`, from an
    /// index built once).
    pub fn boundary_chain(&self, element: &Element) -> &[&'a Boundary] {
        &self.chains[self.index(element)]
    }

    pub fn control(&self, id: &str) -> Option<&SharedControl> {
        self.controls.get(id)
    }

    /// Where an element or flow sits in the model: elements first, then flows.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.elements
            .get(id)
            .copied()
            .or_else(|| self.flows.get(id).map(|i| self.model.elements.len() + i))
    }

    pub fn flow(&self, id: &str) -> Option<&'a Flow> {
        self.flows.get(id).map(|&i| &self.model.flows[i])
    }

    pub fn element(&self, id: &str) -> Option<&'a Element> {
        self.elements.get(id).map(|&i| &self.model.elements[i])
    }

    /// The element's place in the model. Rules ask for it several times per target, so an
    /// element borrowed from the model (as the engine's always are) is placed by its address,
    /// without hashing its id.
    fn index(&self, element: &Element) -> usize {
        let base = self.model.elements.as_ptr() as usize;
        let offset = (std::ptr::from_ref(element) as usize).wrapping_sub(base)
            / std::mem::size_of::<Element>();
        match self.model.elements.get(offset) {
            Some(at) if std::ptr::eq(at, element) => offset,
            _ => self.elements[element.id.as_str()],
        }
    }

    /// The flow's place in the model, by address as `index` finds an element's.
    fn flow_index(&self, flow: &Flow) -> usize {
        let base = self.model.flows.as_ptr() as usize;
        let offset =
            (std::ptr::from_ref(flow) as usize).wrapping_sub(base) / std::mem::size_of::<Flow>();
        match self.model.flows.get(offset) {
            Some(at) if std::ptr::eq(at, flow) => offset,
            _ => self.flows[flow.id.as_str()],
        }
    }

    /// The element a flow leaves, when the model has it (without hashing its id).
    pub fn source(&self, flow: &Flow) -> Option<&'a Element> {
        let model = self.model;
        self.ends[self.flow_index(flow)]
            .0
            .map(|i| &model.elements[i])
    }

    /// The element a flow arrives at, when the model has it.
    pub fn destination(&self, flow: &Flow) -> Option<&'a Element> {
        let model = self.model;
        self.ends[self.flow_index(flow)]
            .1
            .map(|i| &model.elements[i])
    }

    /// The names of a flow's source and destination, or the ids it gives for ends the model
    /// does not have.
    pub fn end_names<'f>(&self, flow: &'f Flow) -> (&'f str, &'f str)
    where
        'a: 'f,
    {
        let name = |end: Option<&'a Element>, id: &'f str| end.map_or(id, |e| e.name.as_str());
        (
            name(self.source(flow), &flow.from),
            name(self.destination(flow), &flow.to),
        )
    }

    pub fn outgoing(&self, element: &Element) -> impl Iterator<Item = &'a Flow> + '_ {
        self.outgoing[self.index(element)]
            .iter()
            .map(|&i| &self.model.flows[i])
    }

    pub fn incoming(&self, element: &Element) -> impl Iterator<Item = &'a Flow> + '_ {
        self.incoming[self.index(element)]
            .iter()
            .map(|&i| &self.model.flows[i])
    }

    pub fn tags(&self, element: &Element) -> &[&'a str] {
        &self.tags[self.index(element)]
    }

    pub fn exposure(&self, element: &Element) -> Option<&Exposure> {
        self.exposure[self.index(element)].as_ref()
    }

    /// Data assets on flows into or out of the element, in model order, without repeats.
    pub fn element_data(&self, element: &Element) -> &[&'a str] {
        &self.data[self.index(element)]
    }

    pub fn highest_classification(&self, data: &[&str]) -> Option<Classification> {
        data.iter()
            .filter_map(|id| self.data_asset(id))
            .map(|d| d.classification)
            .max()
    }

    /// Source and destination sit in different innermost boundaries.
    pub fn crosses_boundary(&self, flow: &Flow) -> bool {
        let boundary = |end: Option<&'a Element>| end.and_then(|e| e.boundary.as_deref());
        boundary(self.source(flow)) != boundary(self.destination(flow))
    }

    /// Declared by `encrypted:`, else implied by a protocol tagged `encrypted`.
    pub fn is_encrypted(&self, flow: &Flow) -> bool {
        match flow.properties.get("encrypted") {
            Some(serde_json::Value::Bool(value)) => *value,
            _ => flow
                .protocol
                .as_deref()
                .and_then(|p| self.kb.catalog.get(p))
                .is_some_and(|p| p.tags.iter().any(|t| t == "encrypted")),
        }
    }

    /// Declared by `authenticated:`; nothing implies it.
    pub fn is_authenticated(flow: &Flow) -> bool {
        matches!(
            flow.properties.get("authenticated"),
            Some(serde_json::Value::Bool(true))
        )
    }

    /// Display name of a technology id (the id itself when it is not in the catalog).
    pub fn technology_name(&self, id: &'a str) -> &'a str {
        self.kb.catalog.get(id).map_or(id, |t| t.name.as_str())
    }

    /// The model's data asset with this id, in constant time.
    pub fn data_asset(&self, id: &str) -> Option<&'a DataAsset> {
        let model = self.model;
        self.data_assets.get(id).map(|&i| &model.data_assets[i])
    }

    pub fn data_name(&self, id: &'a str) -> &'a str {
        self.data_asset(id).map_or(id, |d| d.name.as_str())
    }
}

/// Every control of the knowledge base with its texts shared, by id.
fn shared_controls(kb: &KnowledgeBase) -> HashMap<&str, SharedControl> {
    kb.controls
        .values()
        .map(|c| {
            let variants = c
                .technologies
                .iter()
                .map(|(tech, text)| {
                    let name = kb
                        .catalog
                        .get(tech)
                        .map_or(tech.as_str(), |t| t.name.as_str());
                    (
                        tech.clone(),
                        TechGuidance {
                            technology: tech.as_str().into(),
                            name: name.into(),
                            guidance: text.trim().into(),
                        },
                    )
                })
                .collect();
            let shared = SharedControl {
                id: c.id.as_str().into(),
                title: c.title.as_str().into(),
                guidance: c.guidance.trim().into(),
                variants,
                references: c.references.iter().map(|r| Arc::from(r.as_str())).collect(),
            };
            (c.id.as_str(), shared)
        })
        .collect()
}

/// Per element: the data assets on the flows into or out of it, in model order, without
/// repeats (an id the model does not declare goes last).
fn element_data<'a>(
    model: &'a Model,
    place: &HashMap<&str, usize>,
    incoming: &[Vec<usize>],
    outgoing: &[Vec<usize>],
) -> Vec<Vec<&'a str>> {
    incoming
        .iter()
        .zip(outgoing)
        .map(|(incoming, outgoing)| {
            let mut data: Vec<&str> = Vec::new();
            for &flow in incoming.iter().chain(outgoing) {
                for asset in &model.flows[flow].data {
                    if !data.contains(&asset.as_str()) {
                        data.push(asset);
                    }
                }
            }
            data.sort_by_key(|id| place.get(id).copied().unwrap_or(usize::MAX));
            data
        })
        .collect()
}

/// Per element: the boundaries holding it, innermost first, through an id index (a nesting
/// cycle, which validation refuses anyway, stops the walk).
fn boundary_chains(model: &Model) -> Vec<Vec<&Boundary>> {
    let boundaries: HashMap<&str, &Boundary> = model
        .boundaries
        .iter()
        .map(|b| (b.id.as_str(), b))
        .collect();
    model
        .elements
        .iter()
        .map(|element| {
            let mut chain: Vec<&Boundary> = Vec::new();
            let mut next = element.boundary.as_deref();
            while let Some(b) = next.and_then(|id| boundaries.get(id)) {
                if chain.iter().any(|seen| seen.id == b.id) {
                    break;
                }
                chain.push(b);
                next = b.parent.as_deref();
            }
            chain
        })
        .collect()
}
