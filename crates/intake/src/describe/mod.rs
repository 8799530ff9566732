//! The description reader: plain English in, a `Model` out, with every inference stated.
//!
//! It works sentence by sentence. Each sentence's mentions (technologies from the catalog, role
//! nouns such as "the database", actors, data, verbs, pronouns) are found in one pass; the
//! mentions before the first verb are the subjects, those after it the objects. Role nouns and
//! pronouns resolve to elements already named, so "the web application" in the fifth sentence is
//! the web application of the first. Libraries join the element that uses them, platforms become
//! its hosting boundaries, and verbs make flows. What the text implies but does not say (an
//! administrator behind an admin interface, a flow from users to the entry point) is added with
//! the reason written into the model's assumptions; nothing is added without one.

mod lexicon;
mod sentences;

use std::collections::{BTreeMap, HashSet};

use threatscribe_kb::{Implies, KnowledgeBase, Technology};
use threatscribe_model::{
    Boundary, BoundaryKind, DataAsset, Element, ElementKind, Flow, Model, Properties, derive_id,
};

use crate::diagnostic::{Diagnostic, IntakeError};
use crate::validate::{ParsedModel, SourceMap};
use lexicon::{Lexeme, Lexicon, Mention, Vocabulary};
use sentences::Sentence;

/// Descriptions larger than this are refused: a design document's architecture section is a few
/// pages, not megabytes.
pub const MAX_DESCRIPTION_BYTES: usize = 1024 * 1024;

/// Role nouns so generic that they name whatever process the text is about.
const GENERIC_PHRASES: [&str; 4] = ["application", "app", "service", "server"];

/// Roles an outside party reaches first.
const ENTRY_ROLES: [&str; 8] = [
    "web-app",
    "api",
    "gateway",
    "load-balancer",
    "frontend",
    "mobile-app",
    "chatbot",
    "backend",
];

/// Catalog tags that say which role a technology plays when the text names no role noun.
const TAG_ROLES: [(&str, &str); 25] = [
    ("key-value-cache", "cache"),
    ("task-queue-worker", "worker"),
    ("vector-db", "vector-store"),
    ("sql", "database"),
    ("nosql", "database"),
    ("database", "database"),
    ("cache", "cache"),
    ("queue", "queue"),
    ("stream", "queue"),
    ("message-broker", "queue"),
    ("object-storage", "object-storage"),
    ("serverless-function", "function"),
    ("cloud-load-balancer", "load-balancer"),
    ("search-engine", "search"),
    ("search", "search"),
    ("analytics-warehouse", "warehouse"),
    ("api-gateway", "gateway"),
    ("load-balancer", "load-balancer"),
    ("serverless", "function"),
    ("mobile-client", "mobile-app"),
    ("mobile-app", "mobile-app"),
    ("desktop-app", "desktop-app"),
    ("browser-spa", "frontend"),
    ("http-server", "web-app"),
    ("web-framework", "web-app"),
];

#[derive(Debug)]
struct DraftElement {
    name: String,
    kind: ElementKind,
    /// Role key (`web-app`), `actor:<name>` or `tech:<id>`: what later mentions resolve against.
    role: String,
    technologies: Vec<String>,
    /// The technology that decides what the element is (Flask for a web app, MySQL for a store).
    primary: Option<String>,
    tags: Vec<String>,
    boundary: Option<usize>,
    notes: Vec<String>,
}

#[derive(Debug)]
struct DraftFlow {
    from: usize,
    to: usize,
    data: Vec<String>,
    protocol: Option<String>,
    notes: Vec<String>,
}

#[derive(Debug)]
struct DraftBoundary {
    key: String,
    name: String,
    kind: BoundaryKind,
    parent: Option<usize>,
}

/// What a mention in a sentence refers to, before it is resolved to an element.
#[derive(Debug, Clone)]
enum Reference {
    Pronoun,
    Actor(usize),
    /// A role noun, maybe qualified by a technology ("a MySQL database") or by an unknown
    /// product name ("a Frobnicator database").
    Role {
        role: usize,
        technology: Option<usize>,
        unknown: Option<String>,
        generic: bool,
    },
    Technology(usize),
    /// A role noun named for its purpose: "the cart service", "ledger-api".
    Named {
        role: usize,
        name: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    None,
    Flow { allows: bool },
    Attribute,
    Reverse,
}

struct Reader<'a> {
    kb: &'a KnowledgeBase,
    lexicon: &'a Lexicon<'a>,
    vocabulary: &'static Vocabulary,
    elements: Vec<DraftElement>,
    flows: Vec<DraftFlow>,
    boundaries: Vec<DraftBoundary>,
    /// Data word ids in the order first mentioned.
    data: Vec<String>,
    /// Data named in a sentence about an element but on no flow of that sentence.
    pending_data: Vec<(usize, Vec<String>)>,
    /// Element indexes in the order last mentioned, most recent last.
    recency: Vec<usize>,
    last_subjects: Vec<usize>,
    mentions_tls: bool,
    assumptions: Vec<String>,
    questions: Vec<String>,
    repeated: usize,
    /// Flows the text draws from a person straight to a store: drawn through the entry point.
    via_entry: Vec<(usize, usize, Vec<String>, String)>,
}

/// Reads a plain-English description into a model. `default_name` names the model when the
/// text does not ("a simple blog application" names it "Blog application").
pub fn parse_description(
    text: &str,
    default_name: &str,
    kb: &KnowledgeBase,
) -> Result<ParsedModel, IntakeError> {
    parse_description_limited(text, default_name, kb, MAX_DESCRIPTION_BYTES)
}

/// As `parse_description`, refusing texts longer than `max_bytes`.
pub fn parse_description_limited(
    text: &str,
    default_name: &str,
    kb: &KnowledgeBase,
    max_bytes: usize,
) -> Result<ParsedModel, IntakeError> {
    let guidance = "describe the parts (\"a Django web app\", \"a PostgreSQL database\", \"users\") and how they talk (\"the app stores orders in the database\")";
    if text.len() > max_bytes {
        return Err(IntakeError::Invalid(vec![
            Diagnostic::error(
                (0, 0),
                format!(
                    "the description is {} KiB; descriptions are read up to {} KiB",
                    text.len() / 1024,
                    max_bytes / 1024
                ),
            )
            .with_hint("give the architecture section only, or write a model file"),
        ]));
    }
    if text.trim().is_empty() {
        return Err(IntakeError::Invalid(vec![
            Diagnostic::error((0, 0), "the description is empty").with_hint(guidance),
        ]));
    }
    // A rule pack may add technologies: the reader then knows their names too.
    let with_pack;
    let lexicon = if std::ptr::eq(kb, KnowledgeBase::builtin()) {
        Lexicon::builtin()
    } else {
        with_pack = Lexicon::build(kb, Vocabulary::builtin());
        &with_pack
    };
    let mut reader = Reader {
        kb,
        lexicon,
        vocabulary: Vocabulary::builtin(),
        elements: Vec::new(),
        flows: Vec::new(),
        boundaries: Vec::new(),
        data: Vec::new(),
        pending_data: Vec::new(),
        recency: Vec::new(),
        last_subjects: Vec::new(),
        mentions_tls: false,
        assumptions: Vec::new(),
        questions: Vec::new(),
        repeated: 0,
        via_entry: Vec::new(),
    };
    let mut seen = HashSet::new();
    for sentence in sentences::split(text) {
        let key = sentence.text.to_lowercase();
        if !seen.insert(key) {
            reader.repeated += 1;
            continue;
        }
        for clause in clauses(&reader, &sentence) {
            reader.read(&clause);
        }
    }
    if !reader
        .elements
        .iter()
        .any(|e| e.kind != ElementKind::ExternalEntity)
    {
        return Err(IntakeError::Invalid(vec![Diagnostic::error(
            (0, 0),
            "no architecture found in the description: it names no application, service or data store",
        )
        .with_hint(guidance)]));
    }
    reader.complete();
    Ok(reader.finish(text, default_name))
}

fn lower_text(sentence: &str, mention: &Mention) -> String {
    sentence[mention.start..mention.end].to_lowercase()
}

fn quote(sentence: &Sentence) -> String {
    let mut text: String = sentence.text.chars().take(120).collect();
    if text.len() < sentence.text.len() {
        text.push('…');
    }
    format!("\"{text}\" (line {})", sentence.line)
}

impl<'a> Reader<'a> {
    fn technology(&self, index: usize) -> &'a Technology {
        self.lexicon.technologies[index]
    }

    fn touch(&mut self, element: usize) {
        self.recency.retain(|&e| e != element);
        self.recency.push(element);
    }

    fn last_process(&self) -> Option<usize> {
        self.recency
            .iter()
            .rev()
            .copied()
            .find(|&e| self.elements[e].kind == ElementKind::Process)
    }

    fn add_element(
        &mut self,
        name: String,
        kind: ElementKind,
        role: String,
        tags: &[String],
        note: String,
    ) -> usize {
        self.elements.push(DraftElement {
            name,
            kind,
            role,
            technologies: Vec::new(),
            primary: None,
            tags: tags.to_vec(),
            boundary: None,
            notes: vec![note],
        });
        let index = self.elements.len() - 1;
        self.touch(index);
        index
    }

    fn attach_technology(&mut self, element: usize, technology: &'a Technology) {
        let e = &mut self.elements[element];
        if !e.technologies.contains(&technology.id) {
            e.technologies.push(technology.id.clone());
        }
        let decides = matches!(
            technology.implies,
            Implies::Process | Implies::DataStore | Implies::ExternalEntity
        );
        if decides && e.primary.is_none() {
            e.primary = Some(technology.id.clone());
            // "Database" becomes "MySQL database" once the text says which database it is.
            let default = self
                .vocabulary
                .role(&e.role)
                .filter(|r| r.name == e.name && r.kind == ElementKind::DataStore);
            if let Some(role) = default {
                let name = format!("{} {}", technology.name, role_noun(&role.name));
                let name = self.unique_name(&name);
                self.elements[element].name = name;
            }
        }
    }

    fn actor(&mut self, name: &str, note: String) -> usize {
        let role = format!("actor:{name}");
        if let Some(found) = self.elements.iter().position(|e| e.role == role) {
            self.touch(found);
            return found;
        }
        let tags = self
            .vocabulary
            .actor(name)
            .map(|a| a.tags.clone())
            .unwrap_or_default();
        self.add_element(
            name.to_owned(),
            ElementKind::ExternalEntity,
            role,
            &tags,
            note,
        )
    }

    /// The role a technology plays, from its catalog tags.
    fn role_of(technology: &Technology) -> Option<&'static str> {
        TAG_ROLES
            .iter()
            .find(|(tag, _)| technology.tags.iter().any(|t| t == tag))
            .map(|(_, role)| *role)
    }

    fn boundary(
        &mut self,
        key: &str,
        name: &str,
        kind: BoundaryKind,
        parent: Option<usize>,
    ) -> usize {
        if let Some(found) = self.boundaries.iter().position(|b| b.key == key) {
            return found;
        }
        self.boundaries.push(DraftBoundary {
            key: key.to_owned(),
            name: name.to_owned(),
            kind,
            parent,
        });
        self.boundaries.len() - 1
    }

    fn flow(
        &mut self,
        from: usize,
        to: usize,
        data: &[String],
        protocol: Option<&str>,
        note: &str,
    ) {
        if from == to {
            return;
        }
        // Two outside parties talking to each other is outside the system's data flows.
        if self.elements[from].kind == ElementKind::ExternalEntity
            && self.elements[to].kind == ElementKind::ExternalEntity
        {
            return;
        }
        // People do not write to a database directly: they use the application, which does.
        if self.elements[from].role.starts_with("actor:")
            && self.elements[to].kind == ElementKind::DataStore
        {
            self.via_entry
                .push((from, to, data.to_vec(), note.to_owned()));
            return;
        }
        let index =
            if let Some(found) = self.flows.iter().position(|f| f.from == from && f.to == to) {
                found
            } else {
                self.flows.push(DraftFlow {
                    from,
                    to,
                    data: Vec::new(),
                    protocol: None,
                    notes: Vec::new(),
                });
                self.flows.len() - 1
            };
        let flow = &mut self.flows[index];
        for d in data {
            if !flow.data.contains(d) {
                flow.data.push(d.clone());
            }
        }
        if flow.protocol.is_none() {
            flow.protocol = protocol.map(ToOwned::to_owned);
        }
        if !flow.notes.iter().any(|n| n == note) {
            flow.notes.push(note.to_owned());
        }
    }

    fn note_data(&mut self, id: &str) {
        if !self.data.iter().any(|d| d == id) {
            self.data.push(id.to_owned());
        }
    }

    #[allow(clippy::too_many_lines)] // one sentence, read in the order the comments give
    fn read(&mut self, sentence: &Sentence) {
        let text = &sentence.text;
        let note = quote(sentence);
        let mentions = self.lexicon.mentions(text);

        // 1. The first verb splits subjects from objects.
        let verb_at = mentions.iter().position(|m| {
            matches!(
                m.lexeme,
                Lexeme::FlowVerb | Lexeme::AttributeVerb | Lexeme::ReverseVerb
            )
        });
        let verb_word = verb_at
            .map(|i| lower_text(text, &mentions[i]))
            .unwrap_or_default();
        let consumes = self.vocabulary.consume_verbs.contains(&verb_word);
        // "X is a Y that ...": Y describes X, whatever verb the relative clause adds.
        let copula = matches!(verb_word.as_str(), "is" | "are" | "was" | "were");
        let verb = verb_at.map_or(Verb::None, |i| match mentions[i].lexeme {
            Lexeme::AttributeVerb => Verb::Attribute,
            Lexeme::ReverseVerb => Verb::Reverse,
            _ => {
                let word = lower_text(text, &mentions[i]);
                Verb::Flow {
                    allows: word == "allows" || word == "lets",
                }
            }
        });
        // "is hosted on", "is written in": a copula before an attribute verb is one verb.
        let verb = match (verb, verb_at) {
            (Verb::Attribute, Some(i)) => mentions[i + 1..]
                .iter()
                .find(|m| matches!(m.lexeme, Lexeme::FlowVerb | Lexeme::AttributeVerb))
                .filter(|m| m.lexeme == Lexeme::FlowVerb && lower_text(text, m) != "using")
                .map_or(Verb::Attribute, |m| Verb::Flow {
                    allows: matches!(lower_text(text, m).as_str(), "allows" | "lets"),
                }),
            (other, _) => other,
        };

        // 2. Mentions become references (subjects before the verb, objects after), attributes
        //    (libraries, platforms, protocols) and data.
        let mut subjects: Vec<Reference> = Vec::new();
        let mut objects: Vec<Reference> = Vec::new();
        let mut libraries: Vec<usize> = Vec::new();
        let mut platforms: Vec<usize> = Vec::new();
        let mut protocols: Vec<usize> = Vec::new();
        let mut data: Vec<String> = Vec::new();
        let mut skip_next = false;
        // "PostgreSQL on RDS", "Postgres (Aurora)": the second store technology hosts the first.
        let mut hosted_stores: Vec<(bool, usize, usize)> = Vec::new();
        let mut last_store: Option<(usize, bool, usize, ElementKind)> = None;
        for (i, mention) in mentions.iter().enumerate() {
            if skip_next {
                skip_next = false;
                continue;
            }
            let after_verb = verb_at.is_some_and(|v| i > v);
            if mention.fuzzy {
                let technology = self.technology(match mention.lexeme {
                    Lexeme::Technology(t) => t,
                    _ => continue,
                });
                let assumption = format!(
                    "\"{}\" (line {}) is read as {}.",
                    &text[mention.start..mention.end],
                    sentence.line,
                    technology.name
                );
                if !self.assumptions.contains(&assumption) {
                    self.assumptions.push(assumption);
                }
            }
            let reference = match mention.lexeme {
                Lexeme::Technology(t) => {
                    let technology = self.technology(t);
                    match technology.implies {
                        Implies::Library => {
                            libraries.push(t);
                            None
                        }
                        Implies::Platform => {
                            platforms.push(t);
                            None
                        }
                        Implies::Protocol => None,
                        _ => {
                            // "a MySQL database": the technology qualifies the role noun after it.
                            let next = mentions.get(i + 1).filter(|n| {
                                matches!(n.lexeme, Lexeme::Role(_))
                                    && text[mention.end..n.start].split_whitespace().count() <= 1
                            });
                            if let Some(&Mention {
                                lexeme: Lexeme::Role(role),
                                ..
                            }) = next
                            {
                                skip_next = true;
                                Some(Reference::Role {
                                    role,
                                    technology: Some(t),
                                    unknown: None,
                                    generic: false,
                                })
                            } else {
                                Some(Reference::Technology(t))
                            }
                        }
                    }
                }
                Lexeme::Protocol(p) => {
                    protocols.push(p);
                    if self.technology(p).tags.iter().any(|t| t == "encrypted") {
                        self.mentions_tls = true;
                    }
                    None
                }
                Lexeme::Role(role)
                    if purpose_name(
                        text,
                        mention,
                        &mentions[..i],
                        &self.vocabulary.roles[role].role,
                    )
                    .is_some() =>
                {
                    let name = purpose_name(
                        text,
                        mention,
                        &mentions[..i],
                        &self.vocabulary.roles[role].role,
                    )
                    .unwrap_or_default();
                    Some(Reference::Named { role, name })
                }
                Lexeme::Role(role) => {
                    let phrase = lower_text(text, mention);
                    let unknown = unknown_product_before(text, mention.start, &mentions[..i]);
                    Some(Reference::Role {
                        role,
                        technology: None,
                        unknown,
                        generic: GENERIC_PHRASES.contains(&phrase.as_str()),
                    })
                }
                Lexeme::Actor(a) => Some(Reference::Actor(a)),
                Lexeme::Data(d) => {
                    let id = self.vocabulary.data[d].id.clone();
                    if !data.contains(&id) {
                        data.push(id);
                    }
                    None
                }
                Lexeme::Pronoun => Some(Reference::Pronoun),
                Lexeme::Descriptor => {
                    if let Some(name) = unknown_product_before(text, mention.start, &mentions[..i])
                    {
                        let question = format!(
                            "The description names {name} (line {}), which threatscribe does not know: what is it, and which element uses it?",
                            sentence.line
                        );
                        if !self.questions.contains(&question) {
                            self.questions.push(question);
                        }
                    }
                    None
                }
                Lexeme::FlowVerb | Lexeme::AttributeVerb | Lexeme::ReverseVerb => None,
            };
            if let Some(reference) = reference {
                // What kind of element the reference names, to join "PostgreSQL on RDS" and
                // "a REST API built with Spring Boot" into one element each.
                let anchor_kind = match &reference {
                    Reference::Technology(t)
                    | Reference::Role {
                        technology: Some(t),
                        ..
                    } => match self.technology(*t).implies {
                        Implies::DataStore => Some(ElementKind::DataStore),
                        Implies::Process => Some(ElementKind::Process),
                        _ => None,
                    },
                    Reference::Role { role, .. } | Reference::Named { role, .. } => {
                        Some(self.vocabulary.roles[*role].kind)
                    }
                    _ => None,
                };
                let joining_technology = match &reference {
                    Reference::Technology(t) => Some(*t),
                    _ => None,
                };
                if let (Some(t), Some(kind), Some((end, side, index, anchor))) =
                    (joining_technology, anchor_kind, last_store)
                    && kind == anchor
                {
                    let between = text[end..mention.start]
                        .trim()
                        .trim_matches(|c| c == '(' || c == ',')
                        .trim()
                        .to_lowercase();
                    let connectors: &[&str] = if kind == ElementKind::DataStore {
                        &[
                            "on",
                            "in",
                            "",
                            "via",
                            "hosted on",
                            "running on",
                            "on amazon",
                            "on aws",
                            "managed by",
                        ]
                    } else {
                        &[
                            "",
                            "built with",
                            "built on",
                            "written in",
                            "using",
                            "based on",
                            "powered by",
                            "on",
                            "in",
                        ]
                    };
                    if connectors.contains(&between.as_str()) {
                        hosted_stores.push((side, index, t));
                        last_store = None;
                        continue;
                    }
                }
                let list = if after_verb {
                    &mut objects
                } else {
                    &mut subjects
                };
                list.push(reference);
                last_store =
                    anchor_kind.map(|kind| (mention.end, after_verb, list.len() - 1, kind));
            } else if !matches!(mention.lexeme, Lexeme::Descriptor | Lexeme::AttributeVerb) {
                last_store = None;
            }
        }
        if text.to_ascii_lowercase().contains("tls") || text.to_ascii_lowercase().contains("ssl") {
            self.mentions_tls = true;
        }

        // 3. Resolve subjects, then objects (which may be the subject under another name).
        let mut subject_elements: Vec<usize> = subjects
            .iter()
            .filter_map(|r| self.resolve(r, &[], verb, &note))
            .collect();
        // "The messages are saved in Postgres": no one is named, so the process the text is
        // about does it.
        if subject_elements.is_empty()
            && matches!(verb, Verb::Flow { .. })
            && let Some(process) = self.last_process()
        {
            subject_elements.push(process);
        }
        let object_elements: Vec<usize> = objects
            .iter()
            .filter_map(|r| {
                self.resolve(
                    r,
                    &subject_elements,
                    if copula { Verb::Attribute } else { verb },
                    &note,
                )
            })
            .collect();
        for &e in subject_elements.iter().chain(&object_elements) {
            if !self.elements[e].notes.contains(&note) {
                self.elements[e].notes.push(note.clone());
            }
        }
        for (after_verb, index, t) in hosted_stores {
            let list = if after_verb {
                &object_elements
            } else {
                &subject_elements
            };
            if let Some(&store) = list.get(index) {
                self.attach_technology(store, self.technology(t));
            }
        }
        self.apply_traits(text, &subject_elements, &object_elements);
        self.co_locate(text, &subject_elements, &object_elements, &note);

        // 4. Libraries join the process the sentence is about; platforms host it.
        let host = subject_elements
            .iter()
            .copied()
            .find(|&e| self.elements[e].kind == ElementKind::Process)
            .or_else(|| {
                object_elements
                    .iter()
                    .copied()
                    .find(|&e| self.elements[e].kind == ElementKind::Process)
            })
            .or_else(|| self.last_process());
        let in_sentence: Vec<usize> = subject_elements
            .iter()
            .chain(&object_elements)
            .copied()
            .collect();
        for &library in &libraries {
            let technology = self.technology(library);
            let host = self.library_host(technology, &in_sentence).or(host);
            let host = host.unwrap_or_else(|| {
                let created = self.add_element("Application".into(), ElementKind::Process, "backend".into(), &[], note.clone());
                self.assumptions.push(format!(
                    "An application process is assumed because {} is named without the application that uses it ({note}).",
                    technology.name
                ));
                created
            });
            self.attach_technology(host, technology);
        }
        for &platform in &platforms {
            let hosted: Vec<usize> = subject_elements
                .iter()
                .copied()
                .filter(|&e| self.elements[e].kind != ElementKind::ExternalEntity)
                .collect();
            let hosted = if hosted.is_empty() {
                host.into_iter().collect()
            } else {
                hosted
            };
            for element in hosted {
                self.attach_technology(element, self.technology(platform));
                self.place_on_platform(element, platform);
            }
        }

        // 5. Flows from the verb.
        let protocol = protocols.first().map(|&p| self.technology(p).id.clone());
        let mut made_flow = false;
        let is_actor = |reader: &Self, e: usize| reader.elements[e].role.starts_with("actor:");
        match verb {
            Verb::Flow { allows } => {
                for &s in &subject_elements {
                    for &o in &object_elements {
                        let from_queue = consumes
                            && (self.elements[o].role == "queue"
                                || self.all_tags(o).iter().any(|t| t == "message-broker"));
                        if (allows && is_actor(self, o)) || from_queue {
                            self.flow(o, s, &data, protocol.as_deref(), &note);
                        } else {
                            self.flow(s, o, &data, protocol.as_deref(), &note);
                        }
                        made_flow |= s != o;
                    }
                }
            }
            Verb::Reverse => {
                for &s in &subject_elements {
                    for &o in &object_elements {
                        self.flow(o, s, &data, protocol.as_deref(), &note);
                        made_flow |= s != o;
                    }
                }
            }
            Verb::Attribute => {
                for &s in &subject_elements {
                    for &o in &object_elements {
                        if s == o || self.elements[o].kind == ElementKind::Process {
                            continue;
                        }
                        if is_actor(self, o) {
                            self.flow(o, s, &data, protocol.as_deref(), &note);
                        } else {
                            self.flow(s, o, &data, protocol.as_deref(), &note);
                        }
                        made_flow = true;
                    }
                }
            }
            Verb::None => {
                // "A web application with a database": the first thing uses the others.
                if text.to_ascii_lowercase().contains(" with ")
                    && let Some((&first, rest)) = subject_elements.split_first()
                {
                    for &other in rest {
                        self.flow(first, other, &data, protocol.as_deref(), &note);
                        made_flow = true;
                    }
                }
            }
        }
        for id in &data {
            self.note_data(id);
        }
        if !made_flow && !data.is_empty() {
            for &e in subject_elements.iter().chain(&object_elements) {
                self.pending_data.push((e, data.clone()));
            }
        }
        if !subject_elements.is_empty() {
            self.last_subjects = subject_elements;
        }
    }

    /// The element a reference names: an existing one where the words point to it, else new.
    fn resolve(
        &mut self,
        reference: &Reference,
        subjects: &[usize],
        verb: Verb,
        note: &str,
    ) -> Option<usize> {
        match reference {
            Reference::Pronoun => self
                .last_subjects
                .first()
                .copied()
                .or_else(|| self.last_process()),
            Reference::Actor(a) => {
                let name = self.vocabulary.actors[*a].name.clone();
                Some(self.actor(&name, note.to_owned()))
            }
            Reference::Role {
                role,
                technology,
                unknown,
                generic,
            } => Some(self.resolve_role(
                *role,
                *technology,
                unknown.as_deref(),
                *generic,
                subjects,
                verb,
                note,
            )),
            Reference::Technology(t) => Some(self.resolve_technology(*t, subjects, note)),
            Reference::Named { role, name } => {
                let kind = self.vocabulary.roles[*role].kind;
                if verb == Verb::Attribute
                    && let Some(subject) = subjects
                        .iter()
                        .copied()
                        .find(|&s| self.elements[s].kind == kind)
                {
                    return Some(subject);
                }
                let key = format!("named:{}", name.to_lowercase());
                if let Some(found) = self.elements.iter().position(|e| e.role == key) {
                    self.touch(found);
                    return Some(found);
                }
                let role_def = &self.vocabulary.roles[*role];
                let unique = self.unique_name(name);
                Some(self.add_element(
                    unique,
                    role_def.kind,
                    key,
                    &role_def.tags.clone(),
                    note.to_owned(),
                ))
            }
        }
    }

    /// A role noun ("the database", "a MySQL database"): the subject it describes after "is",
    /// the element already playing the role, or a new one.
    #[allow(clippy::too_many_arguments)] // the reference's parts plus the sentence context
    fn resolve_role(
        &mut self,
        role: usize,
        technology: Option<usize>,
        unknown: Option<&str>,
        generic: bool,
        subjects: &[usize],
        verb: Verb,
        note: &str,
    ) -> usize {
        let subject_of_kind = |reader: &Self, kind: ElementKind| {
            subjects
                .iter()
                .copied()
                .find(|&s| reader.elements[s].kind == kind)
        };
        let role_def = &self.vocabulary.roles[role];
        // "The web application is a simple blog application": what the subject is.
        if verb == Verb::Attribute
            && let Some(subject) = subject_of_kind(self, role_def.kind)
        {
            if let Some(t) = technology {
                self.attach_technology(subject, self.technology(t));
            }
            return subject;
        }
        if generic
            && technology.is_none()
            && let Some(process) = self.last_process()
        {
            self.touch(process);
            return process;
        }
        let key = role_def.role.clone();
        if let Some(t) = technology {
            let technology = self.technology(t);
            if let Some(found) = self
                .elements
                .iter()
                .position(|e| e.technologies.contains(&technology.id))
            {
                self.touch(found);
                return found;
            }
            if let Some(found) = self
                .elements
                .iter()
                .rposition(|e| e.role == key && e.primary.is_none())
            {
                self.attach_technology(found, technology);
                self.touch(found);
                return found;
            }
            let name = if role_def.kind == ElementKind::DataStore {
                self.unique_name(&format!(
                    "{} {}",
                    technology.name,
                    role_noun(&role_def.name)
                ))
            } else {
                self.unique_name(&role_def.name)
            };
            let created = self.add_element(
                name,
                role_def.kind,
                key,
                &role_def.tags.clone(),
                note.to_owned(),
            );
            self.attach_technology(created, technology);
            return created;
        }
        if let Some(product) = unknown {
            let name = self.unique_name(&format!("{product} {}", role_noun(&role_def.name)));
            if let Some(found) = self.elements.iter().position(|e| e.name == name) {
                return found;
            }
            self.questions.push(format!(
                "{product} is not in threatscribe's catalog: the {} is analysed by its role only. Which product is it, and how is it configured?",
                role_noun(&role_def.name)
            ));
            return self.add_element(
                name,
                role_def.kind,
                key,
                &role_def.tags.clone(),
                note.to_owned(),
            );
        }
        if let Some(found) = self
            .recency
            .iter()
            .rev()
            .copied()
            .find(|&e| self.elements[e].role == key)
        {
            self.touch(found);
            return found;
        }
        let name = self.unique_name(&role_def.name);
        self.add_element(
            name,
            role_def.kind,
            key,
            &role_def.tags.clone(),
            note.to_owned(),
        )
    }

    /// A technology named on its own: the element already built on it, the subject built on
    /// it ("the app uses the Flask framework"), the role it plays, or a new element.
    fn resolve_technology(&mut self, t: usize, subjects: &[usize], note: &str) -> usize {
        let technology = self.technology(t);
        if let Some(found) = self
            .elements
            .iter()
            .position(|e| e.technologies.contains(&technology.id))
        {
            self.touch(found);
            return found;
        }
        let kind = match technology.implies {
            Implies::DataStore => ElementKind::DataStore,
            Implies::ExternalEntity => ElementKind::ExternalEntity,
            _ => ElementKind::Process,
        };
        // "The web application uses the Flask framework": what the subject is built on.
        if kind == ElementKind::Process
            && let Some(subject) = subjects.iter().copied().find(|&s| {
                self.elements[s].kind == kind
                    && self.elements[s].primary.is_none()
                    && client_fits(technology, &self.elements[s].role)
            })
        {
            self.attach_technology(subject, technology);
            return subject;
        }
        let role = Self::role_of(technology);
        if let Some(role) = role
            && let Some(found) = self
                .recency
                .iter()
                .rev()
                .copied()
                .find(|&e| self.elements[e].role == role && self.elements[e].primary.is_none())
        {
            self.attach_technology(found, technology);
            self.touch(found);
            return found;
        }
        if kind == ElementKind::Process
            && subjects.is_empty()
            && let Some(only) = self.single_unbuilt_process()
        {
            self.attach_technology(only, technology);
            self.touch(only);
            return only;
        }
        let (name, key, tags) = match role.and_then(|r| self.vocabulary.role(r)) {
            Some(def) if kind != ElementKind::ExternalEntity => {
                let name = if kind == ElementKind::Process {
                    def.name.clone()
                } else {
                    format!("{} {}", technology.name, role_noun(&def.name))
                };
                (name, def.role.clone(), def.tags.clone())
            }
            _ => (
                technology.name.clone(),
                format!("tech:{}", technology.id),
                Vec::new(),
            ),
        };
        let name = self.unique_name(&name);
        let created = self.add_element(name, kind, key, &tags, note.to_owned());
        self.attach_technology(created, technology);
        if kind == ElementKind::ExternalEntity {
            let boundary = self.boundary(
                &format!("saas:{}", technology.id),
                &technology.name,
                BoundaryKind::Saas,
                None,
            );
            self.elements[created].boundary = Some(boundary);
        }
        created
    }

    /// "MySQL runs on the same server": the store and the process share one host boundary.
    fn co_locate(&mut self, text: &str, subjects: &[usize], objects: &[usize], note: &str) {
        let lower = text.to_lowercase();
        let same_host = [
            "same host",
            "same server",
            "same machine",
            "same vm",
            "same virtual machine",
            "same instance",
            "same box",
            "same droplet",
        ]
        .iter()
        .any(|p| lower.contains(p));
        if !same_host {
            return;
        }
        let in_sentence: Vec<usize> = subjects.iter().chain(objects).copied().collect();
        let store = in_sentence
            .iter()
            .copied()
            .find(|&e| self.elements[e].kind == ElementKind::DataStore);
        let process = in_sentence
            .iter()
            .copied()
            .find(|&e| self.elements[e].kind == ElementKind::Process)
            .or_else(|| self.last_process());
        let (Some(store), Some(process)) = (store, process) else {
            return;
        };
        let existing = self.elements[process]
            .boundary
            .filter(|&b| self.boundaries[b].kind == BoundaryKind::Host);
        let host = if let Some(host) = existing {
            host
        } else {
            let parent = self.elements[process].boundary;
            let name = format!("{} host", self.elements[process].name);
            let host = self.boundary(&format!("host:{name}"), &name, BoundaryKind::Host, parent);
            self.elements[process].boundary = Some(host);
            host
        };
        self.elements[store].boundary = Some(host);
        self.assumptions.push(format!(
            "{} and {} share one host, as {note} says: their connection is treated as local.",
            self.elements[process].name, self.elements[store].name
        ));
    }

    /// "multi-tenant", "uploads": words that give the process the sentence is about a tag.
    fn apply_traits(&mut self, text: &str, subjects: &[usize], objects: &[usize]) {
        let lower = text.to_lowercase();
        let bounded = |phrase: &str| {
            lower.match_indices(phrase).any(|(i, _)| {
                let before = lower[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let after = lower[i + phrase.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                before && after
            })
        };
        for t in &self.vocabulary.traits {
            if !t.phrases.iter().any(|p| bounded(p)) {
                continue;
            }
            let process = subjects
                .iter()
                .chain(objects)
                .copied()
                .find(|&e| self.elements[e].kind == ElementKind::Process)
                .or_else(|| self.last_process());
            if let Some(process) = process
                && !self.elements[process].tags.contains(&t.tag)
            {
                self.elements[process].tags.push(t.tag.clone());
            }
        }
    }

    /// The process a library most likely lives in: the one in the sentence, else the one whose
    /// technologies share the library's language or ecosystem tags.
    fn library_host(&self, library: &Technology, in_sentence: &[usize]) -> Option<usize> {
        let score = |e: usize| {
            self.all_tags(e)
                .iter()
                .filter(|t| library.tags.contains(t))
                .count()
        };
        let sentence_process = in_sentence
            .iter()
            .copied()
            .find(|&e| self.elements[e].kind == ElementKind::Process);
        let best = self
            .recency
            .iter()
            .rev()
            .copied()
            .filter(|&e| self.elements[e].kind == ElementKind::Process)
            .max_by_key(|&e| (score(e), in_sentence.contains(&e)));
        match (sentence_process, best) {
            (Some(s), Some(b)) if score(b) > score(s) && score(s) == 0 => Some(b),
            (Some(s), _) => Some(s),
            (None, b) => b,
        }
    }

    fn single_unbuilt_process(&self) -> Option<usize> {
        let mut candidates = self
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == ElementKind::Process && e.primary.is_none());
        match (candidates.next(), candidates.next()) {
            (Some((only, _)), None) => Some(only),
            _ => None,
        }
    }

    fn unique_name(&self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while self
            .elements
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(&name))
        {
            name = format!("{base} {n}");
            n += 1;
        }
        name
    }

    /// A platform hosts the element: its cloud provider and, for virtual machines and clusters,
    /// a host or cluster boundary inside it.
    fn place_on_platform(&mut self, element: usize, platform: usize) {
        let technology = self.technology(platform);
        let provider = provider_of(technology);
        let cloud = provider.map(|(key, name)| self.boundary(key, name, BoundaryKind::Cloud, None));
        let has = |tag: &str| technology.tags.iter().any(|t| t == tag);
        let inner = if has("instance-metadata") || has("cloud-compute") {
            Some(self.boundary(
                &format!("host:{}", technology.id),
                &format!("{} instance", technology.name),
                BoundaryKind::Host,
                cloud,
            ))
        } else if has("container-orchestrator") {
            Some(self.boundary(
                &format!("cluster:{}", technology.id),
                &format!("{} cluster", technology.name),
                BoundaryKind::Cluster,
                cloud,
            ))
        } else {
            cloud
        };
        if let Some(boundary) = inner {
            self.elements[element].boundary = Some(boundary);
        }
    }

    /// After the last sentence: what the structure implies, each with its reason.
    #[allow(clippy::too_many_lines)] // one pass per kind of inference, each stated
    fn complete(&mut self) {
        // Elements built on a cloud provider's services sit in that provider's boundary.
        for e in 0..self.elements.len() {
            if self.elements[e].boundary.is_some() {
                continue;
            }
            let provider = self.elements[e]
                .technologies
                .iter()
                .filter_map(|t| self.kb.catalog.get(t))
                .find_map(provider_of);
            if let Some((key, name)) = provider {
                let b = self.boundary(key, name, BoundaryKind::Cloud, None);
                self.elements[e].boundary = Some(b);
            }
        }

        // What the technologies imply: administrators, API clients, credentials, sessions.
        for e in 0..self.elements.len() {
            let tags = self.all_tags(e);
            for implication in &self.vocabulary.implications {
                if !tags.contains(&implication.tag) {
                    continue;
                }
                let because = self.implied_by(e, &implication.tag);
                if let Some(actor) = &implication.actor {
                    let exists = self
                        .elements
                        .iter()
                        .any(|x| x.role == format!("actor:{actor}"));
                    let a = self.actor(
                        actor,
                        format!("inferred: {} ({because})", implication.reason),
                    );
                    if !exists {
                        self.assumptions.push(format!(
                            "Added {actor} as users of {}: {} ({because}).",
                            self.elements[e].name, implication.reason
                        ));
                    }
                    if !self.flows.iter().any(|f| f.from == a && f.to == e) {
                        let note = format!("inferred: {}", implication.reason);
                        self.flow(a, e, &[], None, &note);
                    }
                }
                if !implication.data.is_empty() {
                    let mut added = false;
                    for f in 0..self.flows.len() {
                        let (from, to) = (self.flows[f].from, self.flows[f].to);
                        let human_in =
                            to == e && self.elements[from].tags.iter().any(|t| t == "browser");
                        let stored = from == e && self.elements[to].role == "database";
                        let relevant = human_in || (stored && implication.tag == "auth-library");
                        if relevant {
                            for d in &implication.data {
                                if !self.flows[f].data.contains(d) {
                                    self.flows[f].data.push(d.clone());
                                    added = true;
                                }
                            }
                        }
                    }
                    if added {
                        for d in &implication.data {
                            self.note_data(d);
                        }
                        let names: Vec<String> = implication
                            .data
                            .iter()
                            .filter_map(|d| self.vocabulary.data_word(d))
                            .map(|d| d.name.to_lowercase())
                            .collect();
                        self.assumptions.push(format!(
                            "Added {} to the flows of {}: {} ({because}).",
                            join(&names),
                            self.elements[e].name,
                            implication.reason
                        ));
                    }
                }
            }
        }

        // A person "storing" something in a store does it through the entry point.
        if let Some(entry) = ENTRY_ROLES
            .iter()
            .find_map(|role| self.elements.iter().position(|e| e.role == *role))
            .or_else(|| {
                self.elements
                    .iter()
                    .position(|e| e.kind == ElementKind::Process)
            })
        {
            for (from, to, data, note) in std::mem::take(&mut self.via_entry) {
                let through = format!("{note}, through {}", self.elements[entry].name);
                self.flow(from, entry, &data, None, &through);
                self.flow(entry, to, &data, None, &through);
            }
        }

        // Outside parties with no flow reach the entry point.
        let entry = ENTRY_ROLES
            .iter()
            .find_map(|role| self.elements.iter().position(|e| e.role == *role))
            .or_else(|| {
                self.elements
                    .iter()
                    .position(|e| e.kind == ElementKind::Process)
            });
        if let Some(entry) = entry {
            for a in 0..self.elements.len() {
                if self.elements[a].kind != ElementKind::ExternalEntity
                    || self.flows.iter().any(|f| f.from == a || f.to == a)
                {
                    continue;
                }
                let reason = format!(
                    "{} are named but not how they connect; they are taken to use {}, the entry point",
                    self.elements[a].name, self.elements[entry].name
                );
                self.flow(a, entry, &[], None, &format!("inferred: {reason}"));
                self.assumptions.push(format!("{reason}."));
            }
            // Data stores nothing reaches are used by the main process.
            for s in 0..self.elements.len() {
                if self.elements[s].kind != ElementKind::DataStore
                    || self.flows.iter().any(|f| f.from == s || f.to == s)
                {
                    continue;
                }
                let user = self
                    .elements
                    .iter()
                    .position(|e| e.kind == ElementKind::Process && e.role != "load-balancer")
                    .unwrap_or(entry);
                let reason = format!(
                    "{} is named but not who uses it; {} is taken to read and write it",
                    self.elements[s].name, self.elements[user].name
                );
                self.flow(user, s, &[], None, &format!("inferred: {reason}"));
                self.assumptions.push(format!("{reason}."));
            }
        }

        // Data named about an element lands on its flows.
        let pending = std::mem::take(&mut self.pending_data);
        for (e, data) in pending {
            let flows: Vec<usize> = (0..self.flows.len())
                .filter(|&f| self.flows[f].from == e || self.flows[f].to == e)
                .collect();
            for f in flows {
                let outside_in =
                    self.elements[self.flows[f].from].kind == ElementKind::ExternalEntity;
                let to_store = self.elements[self.flows[f].to].kind == ElementKind::DataStore;
                if outside_in || to_store {
                    for d in &data {
                        if !self.flows[f].data.contains(d) {
                            self.flows[f].data.push(d.clone());
                        }
                    }
                }
            }
        }

        // Outside parties sit on the internet unless the text placed them.
        let outside: Vec<usize> = (0..self.elements.len())
            .filter(|&e| {
                self.elements[e].kind == ElementKind::ExternalEntity
                    && self.elements[e].boundary.is_none()
            })
            .collect();
        if !outside.is_empty() {
            let internet = self.boundary("internet", "Internet", BoundaryKind::Internet, None);
            let names: Vec<String> = outside
                .iter()
                .map(|&e| self.elements[e].name.clone())
                .collect();
            for e in outside {
                self.elements[e].boundary = Some(internet);
            }
            self.assumptions.push(format!(
                "{} reach the system over the internet (the description does not say from where).",
                join(&names)
            ));
        }

        // Protocols: HTTPS where the text names TLS, the database's own protocol for stores.
        for f in 0..self.flows.len() {
            if self.flows[f].protocol.is_some() {
                continue;
            }
            let (from, to) = (self.flows[f].from, self.flows[f].to);
            let to_web = self.all_tags(to).iter().any(|t| t == "http-server");
            if self.elements[from].kind == ElementKind::ExternalEntity
                && to_web
                && self.mentions_tls
            {
                self.flows[f].protocol = Some("https".into());
            } else if self.elements[to].kind == ElementKind::DataStore
                && let Some(primary) = self.elements[to].primary.clone()
                && let Some(protocol) = self.kb.catalog.lookup_protocol(&primary)
            {
                self.flows[f].protocol = Some(protocol.id.clone());
                self.assumptions.push(format!(
                    "{} talks to {} over the {}.",
                    self.elements[from].name, self.elements[to].name, protocol.name
                ));
            }
        }
        let uses_secrets = self.flows.iter().any(|f| {
            self.elements[f.to].kind == ElementKind::DataStore
                && self.elements[f.from].kind == ElementKind::Process
        }) || (0..self.elements.len())
            .any(|e| self.all_tags(e).iter().any(|t| t == "session-management"));
        if uses_secrets {
            self.questions.push("Where are the application's secrets kept (database passwords, session signing keys, API keys), and who can read them?".into());
        }
        if self.repeated > 0 {
            self.assumptions.push(format!(
                "{} repeated sentence(s) in the description were read once.",
                self.repeated
            ));
        }
    }

    /// The element's own tags and its technologies' tags.
    fn all_tags(&self, element: usize) -> Vec<String> {
        let e = &self.elements[element];
        let mut tags = e.tags.clone();
        for t in e.technologies.iter().filter_map(|t| self.kb.catalog.get(t)) {
            tags.extend(t.tags.iter().cloned());
        }
        tags
    }

    /// "Flask-Admin on Web application": which of the element's technologies carries the tag.
    fn implied_by(&self, element: usize, tag: &str) -> String {
        let e = &self.elements[element];
        let by: Vec<&str> = e
            .technologies
            .iter()
            .filter_map(|t| self.kb.catalog.get(t))
            .filter(|t| t.tags.iter().any(|x| x == tag))
            .map(|t| t.name.as_str())
            .collect();
        if by.is_empty() {
            format!("{} is described as one", e.name)
        } else {
            format!("{} uses {}", e.name, join(&by))
        }
    }

    #[allow(clippy::too_many_lines)] // drafts to model, part by part
    fn finish(self, text: &str, default_name: &str) -> ParsedModel {
        let mut ids: Vec<String> = Vec::new();
        for element in &self.elements {
            let base = derive_id(&element.name);
            let mut id = base.clone();
            let mut n = 2;
            while ids.contains(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            ids.push(id);
        }
        let mut boundary_ids: Vec<String> = Vec::new();
        for boundary in &self.boundaries {
            let base = derive_id(&boundary.name);
            let mut id = base.clone();
            let mut n = 2;
            while boundary_ids.contains(&id) || ids.contains(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            boundary_ids.push(id);
        }
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let elements: Vec<Element> = self
            .elements
            .iter()
            .zip(&ids)
            .map(|(e, id)| {
                notes.insert(id.clone(), e.notes.clone());
                Element {
                    id: id.clone(),
                    name: e.name.clone(),
                    kind: e.kind,
                    technologies: e.technologies.clone(),
                    boundary: e.boundary.map(|b| boundary_ids[b].clone()),
                    tags: e.tags.clone(),
                    properties: Properties::new(),
                    description: None,
                }
            })
            .collect();
        let mut flow_ids: Vec<String> = Vec::new();
        let flows: Vec<Flow> = self
            .flows
            .iter()
            .map(|f| {
                let id = format!("{}-to-{}", ids[f.from], ids[f.to]);
                notes.insert(id.clone(), f.notes.clone());
                flow_ids.push(id.clone());
                Flow {
                    id,
                    from: ids[f.from].clone(),
                    to: ids[f.to].clone(),
                    protocol: f.protocol.clone(),
                    data: f.data.clone(),
                    properties: Properties::new(),
                    description: None,
                }
            })
            .collect();
        let boundaries = self
            .boundaries
            .iter()
            .zip(&boundary_ids)
            .map(|(b, id)| Boundary {
                id: id.clone(),
                name: b.name.clone(),
                kind: b.kind,
                parent: b.parent.map(|p| boundary_ids[p].clone()),
                properties: Properties::new(),
            })
            .collect();
        let used: HashSet<&str> = flows
            .iter()
            .flat_map(|f| f.data.iter().map(String::as_str))
            .collect();
        let data_assets = self
            .data
            .iter()
            .filter(|d| used.contains(d.as_str()))
            .filter_map(|d| self.vocabulary.data_word(d))
            .map(|d| DataAsset {
                id: d.id.clone(),
                name: d.name.clone(),
                classification: d.classification,
                description: None,
            })
            .collect();
        let model = Model {
            name: model_name(text).unwrap_or_else(|| default_name.to_owned()),
            description: Some(summary(text)),
            elements,
            flows,
            boundaries,
            data_assets,
            assumptions: self.assumptions,
            questions: self.questions,
            tracking: Vec::new(),
            findings: Vec::new(),
        };
        let locations: SourceMap = SourceMap::new();
        ParsedModel {
            model,
            warnings: Vec::new(),
            locations,
            notes,
        }
    }
}

/// "Application server" -> "application server"; keeps acronyms ("API gateway").
fn role_noun(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => first
            .to_lowercase()
            .chain(std::iter::once(second))
            .chain(chars)
            .collect(),
        _ => name.to_owned(),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

pub(crate) fn join<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// The cloud provider a technology belongs to, as a boundary key and name.
fn provider_of(technology: &Technology) -> Option<(&'static str, &'static str)> {
    let has = |tag: &str| technology.tags.iter().any(|t| t == tag);
    if has("aws") {
        Some(("cloud:aws", "AWS"))
    } else if has("azure") {
        Some(("cloud:azure", "Azure"))
    } else if has("gcp") {
        Some(("cloud:gcp", "Google Cloud"))
    } else {
        None
    }
}

/// The byte offset just after the last character of `text` that `stop` matches (0 when none
/// does), on a character boundary whatever that character's width.
fn after_last(text: &str, stop: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| stop(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// A capitalised word right before a role noun or descriptor that no catalog entry matched:
/// "the Frobnicator database" -> "Frobnicator".
fn unknown_product_before(text: &str, at: usize, earlier: &[Mention]) -> Option<String> {
    let before = text[..at].trim_end();
    let word_start = after_last(before, char::is_whitespace);
    let word = &before[word_start..];
    let covered = earlier
        .iter()
        .any(|m| m.end > word_start && m.start < before.len());
    let first_word_of_sentence = before[..word_start].trim().is_empty();
    let looks_like_name = word.len() >= 3
        && word.chars().next().is_some_and(char::is_uppercase)
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !NOT_PRODUCTS.contains(&word.to_lowercase().as_str());
    (!covered && !first_word_of_sentence && looks_like_name).then(|| word.to_owned())
}

/// Splits a sentence into clauses joined by ", and", ", while", ", but", "; " when each side
/// has its own verb: "Buyers log in with Devise, and sellers connect through Stripe".
fn clauses(reader: &Reader<'_>, sentence: &Sentence) -> Vec<Sentence> {
    let has_verb = |text: &str| {
        reader.lexicon.mentions(text).iter().any(|m| {
            matches!(
                m.lexeme,
                Lexeme::FlowVerb | Lexeme::AttributeVerb | Lexeme::ReverseVerb
            )
        })
    };
    let mut parts = vec![sentence.text.clone()];
    for joiner in [
        ", and ",
        ", while ",
        ", but ",
        ", so that ",
        ", which ",
        " and then ",
    ] {
        let mut next = Vec::new();
        for part in parts {
            let pieces: Vec<&str> = part.split(joiner).collect();
            if pieces.len() > 1 && pieces.iter().all(|p| has_verb(p)) {
                next.extend(pieces.iter().map(|p| (*p).to_owned()));
            } else {
                next.push(part);
            }
        }
        parts = next;
    }
    parts
        .into_iter()
        .map(|text| Sentence {
            text,
            line: sentence.line,
        })
        .collect()
}

/// Client platforms (iOS, Android, Electron, React in the browser) are elements of their own:
/// they never become what a backend is built on.
fn client_fits(technology: &Technology, subject_role: &str) -> bool {
    let client = [
        "mobile-app",
        "mobile-client",
        "desktop-app",
        "browser-spa",
        "spa-client",
    ];
    !technology.tags.iter().any(|t| client.contains(&t.as_str()))
        || matches!(subject_role, "mobile-app" | "desktop-app" | "frontend")
}

/// Roles a purpose word can name ("cart service", "orders database", "billing worker").
const NAMEABLE_ROLES: [&str; 10] = [
    "backend",
    "api",
    "worker",
    "function",
    "pipeline",
    "database",
    "queue",
    "cache",
    "object-storage",
    "frontend",
];

/// Words before a role noun that do not name a purpose.
const NOT_PURPOSES: [&str; 48] = [
    "the",
    "a",
    "an",
    "our",
    "its",
    "their",
    "this",
    "that",
    "these",
    "those",
    "each",
    "every",
    "new",
    "main",
    "existing",
    "separate",
    "single",
    "internal",
    "external",
    "public",
    "private",
    "small",
    "simple",
    "web",
    "mobile",
    "same",
    "other",
    "another",
    "one",
    "two",
    "all",
    "both",
    "central",
    "shared",
    "own",
    "custom",
    "dedicated",
    "legacy",
    "backend",
    "front",
    "back",
    "big",
    "to",
    "and",
    "or",
    "of",
    "with",
    "in",
];

/// The name a role noun is given by the words right before it: "the cart service" -> "Cart
/// service", "ledger-api" -> "ledger-api". `None` when no purpose word stands there.
fn purpose_name(text: &str, mention: &Mention, earlier: &[Mention], role: &str) -> Option<String> {
    if !NAMEABLE_ROLES.contains(&role) {
        return None;
    }
    let phrase = &text[mention.start..mention.end];
    let bytes = text.as_bytes();
    // An identifier written as one hyphenated token: "ledger-api", "balance-svc".
    if mention.start > 0 && bytes[mention.start - 1] == b'-' {
        let start = after_last(&text[..mention.start], |c| {
            !(c.is_alphanumeric() || c == '-' || c == '_')
        });
        let token = &text[start..mention.end];
        return (token.len() > phrase.len() + 1).then(|| token.to_owned());
    }
    let before = &text[..mention.start];
    let words: Vec<(usize, &str)> = before
        .split_whitespace()
        .rev()
        .take(2)
        .map(|w| (before.rfind(w).unwrap_or(0), w))
        .collect();
    let mut purpose: Vec<&str> = Vec::new();
    for (at, word) in words {
        let lower = word.to_lowercase();
        let covered = earlier.iter().any(|m| {
            m.start < at + word.len() && at < m.end && !matches!(m.lexeme, Lexeme::Data(_))
        });
        let plain = word.chars().all(|c| c.is_alphabetic() || c == '-') && word.len() >= 3;
        let first_word = before[..at].trim().is_empty();
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        if covered
            || !plain
            || NOT_PURPOSES.contains(&lower.as_str())
            || (capitalised && !first_word)
        {
            break;
        }
        purpose.insert(0, word);
    }
    if purpose.is_empty() {
        return None;
    }
    // "the OpenAI embeddings API" is OpenAI's API, not a service of ours named "embeddings".
    let first_at = before.rfind(purpose[0]).unwrap_or(0);
    let product_before = earlier.iter().any(|m| {
        matches!(m.lexeme, Lexeme::Technology(_)) && before[m.end..first_at].trim().is_empty()
    });
    if product_before {
        return None;
    }
    let noun = match phrase.to_lowercase().as_str() {
        "svc" => "service".to_owned(),
        "db" => "database".to_owned(),
        "api" | "apis" => "API".to_owned(),
        other => other.to_owned(),
    };
    Some(format!(
        "{} {noun}",
        capitalise(&purpose.join(" ").to_lowercase())
    ))
}

/// Capitalised words that are not product names.
const NOT_PRODUCTS: [&str; 12] = [
    "the", "our", "its", "their", "this", "that", "main", "new", "internal", "external", "public",
    "private",
];

/// "a simple blog application" -> "Blog application".
fn model_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate() {
        let lower = word.to_lowercase();
        if !matches!(
            lower.as_str(),
            "application" | "app" | "platform" | "system" | "site" | "website" | "service"
        ) || i == 0
        {
            continue;
        }
        let adjective = words[i - 1].to_lowercase();
        let article = i >= 2
            && matches!(
                words[i - 2].to_lowercase().as_str(),
                "a" | "an" | "simple" | "small" | "our"
            );
        let generic = [
            "web",
            "mobile",
            "the",
            "a",
            "an",
            "simple",
            "this",
            "desktop",
            "backend",
            "single-page",
            "new",
        ];
        if article
            && !generic.contains(&adjective.as_str())
            && adjective.chars().all(char::is_alphabetic)
        {
            return Some(format!("{} {lower}", capitalise(&adjective)));
        }
    }
    None
}

/// The first sentence of the text, for the model's description.
fn summary(text: &str) -> String {
    let first = sentences::split(text)
        .into_iter()
        .map(|s| s.text)
        .take(3)
        .collect::<Vec<_>>()
        .join(". ");
    let mut out: String = first.chars().take(300).collect();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests;

/// Catalog technologies named word for word in an imported model's element names ("Jenkins
/// Build Server", "Accounting PostgreSQL"), added to elements that name none. Only names count:
/// descriptions talk about other elements too ("routes requests to the Python web server").
/// Only exact spellings count (no typo reading), and only technologies that fit the element's
/// kind. Returns one note per element changed, for the assumptions.
pub fn technologies_from_names(model: &mut serde_json::Value) -> Vec<String> {
    let lexicon = Lexicon::builtin();
    let mut notes = Vec::new();
    let Some(elements) = model
        .get_mut("elements")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return notes;
    };
    for element in elements {
        if element.get("technologies").is_some() {
            continue;
        }
        let kind = element
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let text = element
            .get("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut found: Vec<&Technology> = Vec::new();
        for mention in lexicon.mentions(&text) {
            let Lexeme::Technology(index) = mention.lexeme else {
                continue;
            };
            let technology = lexicon.technologies[index];
            let fits = match kind {
                "process" => matches!(
                    technology.implies,
                    Implies::Process | Implies::Library | Implies::Platform
                ),
                "data_store" => technology.implies == Implies::DataStore,
                "external_entity" => technology.implies == Implies::ExternalEntity,
                _ => false,
            };
            if !mention.fuzzy && fits && !found.iter().any(|t| t.id == technology.id) {
                found.push(technology);
            }
        }
        if found.is_empty() {
            continue;
        }
        let name = element
            .get("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        notes.push(format!(
            "{name}: {}",
            found
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        element["technologies"] =
            serde_json::json!(found.iter().map(|t| &t.id).collect::<Vec<_>>());
    }
    notes
}
