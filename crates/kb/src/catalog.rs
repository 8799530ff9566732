//! The technology catalog: what people name in architectures, and what each name implies.

use std::collections::BTreeMap;

// Looked up for every technology and protocol of every element and flow, several times per
// rule: foldhash hashes short keys several times faster than SipHash, and its per-process seed
// still keeps names in a model file from being crafted to collide.
use foldhash::HashMap;

use serde::Deserialize;

use crate::error::KbError;

/// What naming a technology says about the element that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Implies {
    /// It runs as its own process (a web framework, a worker runtime).
    Process,
    /// It is where data rests (a database, a bucket).
    DataStore,
    /// It is someone else's system the application talks to (a payment provider).
    ExternalEntity,
    /// It is a library inside the element that names it (Flask-Login inside a Flask app).
    Library,
    /// It hosts the element (a virtual machine service, a container platform).
    Platform,
    /// It is a wire protocol, named on flows (HTTPS, gRPC).
    Protocol,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technology {
    /// Catalog id, kebab-case (`flask-login`).
    pub id: String,
    /// Display name (`Flask-Login`).
    pub name: String,
    /// Other spellings people write, matched case-insensitively.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub category: String,
    pub implies: Implies,
    /// Attribute tags that rules key on (`sql`, `http-server`, `session-management`).
    #[serde(default)]
    pub tags: Vec<String>,
    pub description: String,
}

/// All technologies, looked up by id or by any spelling.
#[derive(Debug, Default, PartialEq)]
pub struct Catalog {
    technologies: Vec<Technology>,
    by_id: HashMap<String, usize>,
    by_spelling: HashMap<String, usize>,
    /// Protocols have their own spellings: `mysql` on a flow is the wire protocol, on an
    /// element the database.
    by_protocol_spelling: HashMap<String, usize>,
}

impl Catalog {
    pub(crate) fn build(files: Vec<(String, Vec<Technology>)>) -> Result<Self, KbError> {
        let mut catalog = Catalog::default();
        let mut seen_in: BTreeMap<String, String> = BTreeMap::new();
        for (file, technologies) in files {
            for technology in technologies {
                if !threatscribe_model::is_valid_id(&technology.id) {
                    return Err(KbError::invalid(
                        &file,
                        &technology.id,
                        "technology id must be lowercase kebab-case",
                    ));
                }
                if let Some(other) = seen_in.insert(technology.id.clone(), file.clone()) {
                    return Err(KbError::invalid(
                        &file,
                        &technology.id,
                        format!("technology id is already defined in kb/{other}"),
                    ));
                }
                let index = catalog.technologies.len();
                catalog.by_id.insert(technology.id.clone(), index);
                let spellings = std::iter::once(&technology.id)
                    .chain(std::iter::once(&technology.name))
                    .chain(technology.aliases.iter());
                let index_by_spelling = if technology.implies == Implies::Protocol {
                    &mut catalog.by_protocol_spelling
                } else {
                    &mut catalog.by_spelling
                };
                for spelling in spellings {
                    let key = spelling.to_lowercase();
                    if let Some(&previous) = index_by_spelling.get(&key)
                        && previous != index
                    {
                        return Err(KbError::invalid(
                            &file,
                            &technology.id,
                            format!(
                                "spelling `{spelling}` already names `{}`",
                                catalog.technologies[previous].id
                            ),
                        ));
                    }
                    index_by_spelling.insert(key, index);
                }
                catalog.technologies.push(technology);
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&Technology> {
        self.by_id.get(id).map(|&i| &self.technologies[i])
    }

    /// Finds a technology (not a protocol) by id, name or alias, ignoring case.
    pub fn lookup(&self, spelling: &str) -> Option<&Technology> {
        self.by_spelling
            .get(&spelling.trim().to_lowercase())
            .map(|&i| &self.technologies[i])
    }

    /// Finds a protocol by id, name or alias, ignoring case.
    pub fn lookup_protocol(&self, spelling: &str) -> Option<&Technology> {
        self.by_protocol_spelling
            .get(&spelling.trim().to_lowercase())
            .map(|&i| &self.technologies[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Technology> {
        self.technologies.iter()
    }

    pub fn len(&self) -> usize {
        self.technologies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.technologies.is_empty()
    }

    /// The closest catalog id to an unknown spelling, when one is close enough to be a typo.
    pub fn suggest(&self, spelling: &str) -> Option<&str> {
        Self::closest(&self.by_spelling, spelling).map(|i| self.technologies[i].id.as_str())
    }

    /// The closest protocol id to an unknown spelling.
    pub fn suggest_protocol(&self, spelling: &str) -> Option<&str> {
        Self::closest(&self.by_protocol_spelling, spelling)
            .map(|i| self.technologies[i].id.as_str())
    }

    fn closest(index: &HashMap<String, usize>, spelling: &str) -> Option<usize> {
        let wanted = spelling.trim().to_lowercase();
        index
            .iter()
            .map(|(known, &index)| (strsim::jaro_winkler(&wanted, known), index))
            .filter(|&(score, _)| score >= 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
            .map(|(_, index)| index)
    }
}
