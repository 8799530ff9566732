//! The words the reader knows: the technology catalog's spellings plus the vocabulary file, in
//! one case-insensitive automaton that finds every mention in one pass over the text.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;
use threatscribe_kb::{Implies, KnowledgeBase};
use threatscribe_model::{Classification, ElementKind};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names)] // `role` is the vocabulary file's own word for the key
pub struct Role {
    pub role: String,
    pub kind: ElementKind,
    pub name: String,
    pub tags: Vec<String>,
    pub phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: String,
    pub tags: Vec<String>,
    pub phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataWord {
    pub id: String,
    pub name: String,
    pub classification: Classification,
    pub phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Implication {
    pub tag: String,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub data: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trait {
    pub tag: String,
    pub phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub roles: Vec<Role>,
    pub descriptors: Vec<String>,
    pub actors: Vec<Actor>,
    pub data: Vec<DataWord>,
    pub flow_verbs: Vec<String>,
    pub attribute_verbs: Vec<String>,
    pub reverse_verbs: Vec<String>,
    pub consume_verbs: Vec<String>,
    pub traits: Vec<Trait>,
    pub implications: Vec<Implication>,
}

impl Vocabulary {
    pub fn builtin() -> &'static Vocabulary {
        static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
        VOCABULARY.get_or_init(|| {
            serde_saphyr::from_str(include_str!("vocabulary.yaml"))
                .expect("the embedded vocabulary parses: its unit test checks it")
        })
    }

    pub fn role(&self, role: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.role == role)
    }

    pub fn actor(&self, name: &str) -> Option<&Actor> {
        self.actors.iter().find(|a| a.name == name)
    }

    pub fn data_word(&self, id: &str) -> Option<&DataWord> {
        self.data.iter().find(|d| d.id == id)
    }
}

/// What a matched phrase means. Order is priority when two categories share a spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lexeme {
    /// A catalog technology (not a protocol), by catalog index.
    Technology(usize),
    /// A catalog protocol.
    Protocol(usize),
    Role(usize),
    Actor(usize),
    Data(usize),
    /// "framework", "library": the word describes the technology before it.
    Descriptor,
    FlowVerb,
    AttributeVerb,
    ReverseVerb,
    /// "it", "its", "they", "this": the subject of the sentence before.
    Pronoun,
}

/// One mention in a sentence: byte range and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub lexeme: Lexeme,
    /// True when the word was read as a near spelling of a catalog name (a typo).
    pub fuzzy: bool,
}

pub struct Lexicon<'k> {
    automaton: AhoCorasick,
    meanings: Vec<Lexeme>,
    /// Catalog technologies by index (as `kb.catalog.iter()` yields them).
    pub technologies: Vec<&'k threatscribe_kb::Technology>,
    /// Single-word spellings of technologies, lowercased, for typo matching.
    single_words: Vec<(String, usize)>,
}

const PRONOUNS: [&str; 6] = [
    "it",
    "its",
    "they",
    "their",
    "this service",
    "this application",
];

impl<'k> Lexicon<'k> {
    /// The lexicon of the built-in knowledge base, built once.
    pub fn builtin() -> &'static Lexicon<'static> {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(|| Lexicon::build(KnowledgeBase::builtin(), Vocabulary::builtin()))
    }

    /// The words of `kb`'s catalog (with a rule pack's technologies) and of the vocabulary.
    pub fn build(kb: &'k KnowledgeBase, vocabulary: &Vocabulary) -> Lexicon<'k> {
        let technologies: Vec<&threatscribe_kb::Technology> = kb.catalog.iter().collect();
        let mut patterns: Vec<(String, Lexeme)> = Vec::new();
        let mut single_words = Vec::new();
        for (index, technology) in technologies.iter().enumerate() {
            let lexeme = if technology.implies == Implies::Protocol {
                Lexeme::Protocol(index)
            } else {
                Lexeme::Technology(index)
            };
            for spelling in std::iter::once(&technology.name)
                .chain(&technology.aliases)
                .chain(std::iter::once(&technology.id))
            {
                let lower = spelling.to_lowercase();
                // Ids like `aws-ec2` read as words only when people write them so; names and
                // aliases cover the rest. Two-letter ids would match too much prose.
                if lower.len() < 2 {
                    continue;
                }
                if lexeme != Lexeme::Protocol(index)
                    && lower.len() >= 5
                    && lower.chars().all(|c| c.is_ascii_alphabetic())
                {
                    single_words.push((lower.clone(), index));
                }
                patterns.push((lower, lexeme));
            }
        }
        for (index, role) in vocabulary.roles.iter().enumerate() {
            patterns.extend(
                role.phrases
                    .iter()
                    .map(|p| (p.to_lowercase(), Lexeme::Role(index))),
            );
        }
        for (index, actor) in vocabulary.actors.iter().enumerate() {
            patterns.extend(
                actor
                    .phrases
                    .iter()
                    .map(|p| (p.to_lowercase(), Lexeme::Actor(index))),
            );
        }
        for (index, data) in vocabulary.data.iter().enumerate() {
            patterns.extend(
                data.phrases
                    .iter()
                    .map(|p| (p.to_lowercase(), Lexeme::Data(index))),
            );
        }
        patterns.extend(
            vocabulary
                .descriptors
                .iter()
                .map(|p| (p.to_lowercase(), Lexeme::Descriptor)),
        );
        patterns.extend(
            vocabulary
                .flow_verbs
                .iter()
                .map(|p| (p.to_lowercase(), Lexeme::FlowVerb)),
        );
        patterns.extend(
            vocabulary
                .attribute_verbs
                .iter()
                .map(|p| (p.to_lowercase(), Lexeme::AttributeVerb)),
        );
        patterns.extend(
            vocabulary
                .reverse_verbs
                .iter()
                .map(|p| (p.to_lowercase(), Lexeme::ReverseVerb)),
        );
        patterns.extend(PRONOUNS.iter().map(|p| ((*p).to_owned(), Lexeme::Pronoun)));
        // A spelling keeps its first (highest-priority) meaning: technologies before roles,
        // roles before actors, and so on, as pushed above.
        let mut seen = std::collections::HashSet::new();
        patterns.retain(|(text, _)| seen.insert(text.clone()));
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(text, _)| text.as_str()))
            .expect("the lexicon's patterns build an automaton");
        single_words.sort();
        single_words.dedup();
        Lexicon {
            automaton,
            meanings: patterns.into_iter().map(|(_, l)| l).collect(),
            technologies,
            single_words,
        }
    }

    /// Every mention in `sentence`, in order, whole words only, with typos of catalog names.
    pub fn mentions(&self, sentence: &str) -> Vec<Mention> {
        let bytes = sentence.as_bytes();
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut found: Vec<Mention> = Vec::new();
        for m in self.automaton.find_iter(sentence) {
            let before_ok = m.start() == 0 || !is_word(bytes[m.start() - 1]);
            let after_ok = m.end() == bytes.len() || !is_word(bytes[m.end()]);
            // "Flask-Login" must not also read as "Flask" followed by "-Login".
            let joined = m.end() < bytes.len()
                && bytes[m.end()] == b'-'
                && bytes.get(m.end() + 1).is_some_and(|b| is_word(*b));
            if before_ok && after_ok && !joined {
                found.push(Mention {
                    start: m.start(),
                    end: m.end(),
                    lexeme: self.meanings[m.pattern().as_usize()],
                    fuzzy: false,
                });
            }
        }
        self.add_typos(sentence, &mut found);
        found.sort_by_key(|m| m.start);
        found
    }

    /// Words of five letters or more that no phrase matched but that are one edit (two for long
    /// words) away from a catalog name: "Postgress", "Kubernets", "Djanog".
    fn add_typos(&self, sentence: &str, found: &mut Vec<Mention>) {
        // Words are runs of ASCII letters and digits; byte offsets come from the text itself, so
        // separators of any width (an em dash, a Hebrew point) keep them on char boundaries.
        let mut words = Vec::new();
        let mut begun: Option<usize> = None;
        for (i, c) in sentence.char_indices().chain([(sentence.len(), ' ')]) {
            match (c.is_ascii_alphanumeric(), begun) {
                (true, None) => begun = Some(i),
                (false, Some(start)) => {
                    words.push((start, i));
                    begun = None;
                }
                _ => {}
            }
        }
        for (start, end) in words {
            let word = &sentence[start..end];
            if word.len() < 5 || !word.chars().all(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            if found.iter().any(|m| m.start < end && start < m.end) {
                continue;
            }
            let lower = word.to_ascii_lowercase();
            if COMMON_WORDS.contains(&lower.as_str()) {
                continue;
            }
            let allowed = if lower.len() >= 9 { 2 } else { 1 };
            let best = self
                .single_words
                .iter()
                .filter(|(known, _)| {
                    known.len().abs_diff(lower.len()) <= allowed
                        && known.as_bytes()[0] == lower.as_bytes()[0]
                })
                .map(|(known, index)| (strsim::damerau_levenshtein(known, &lower), *index))
                .filter(|(distance, _)| *distance <= allowed && *distance > 0)
                .min();
            if let Some((_, index)) = best {
                found.push(Mention {
                    start,
                    end,
                    lexeme: Lexeme::Technology(index),
                    fuzzy: true,
                });
            }
        }
    }
}

/// English words close to a catalog name that must never be read as a typo of it.
const COMMON_WORDS: &[&str] = &[
    "django",
    "stored",
    "stores",
    "storage",
    "storing",
    "server",
    "servers",
    "service",
    "services",
    "secure",
    "secret",
    "secrets",
    "search",
    "record",
    "records",
    "report",
    "reports",
    "router",
    "routes",
    "render",
    "renders",
    "mobile",
    "module",
    "modules",
    "socket",
    "sockets",
    "cluster",
    "clusters",
    "backend",
    "frontend",
    "manage",
    "manages",
    "managed",
    "handle",
    "handles",
    "request",
    "requests",
    "respond",
    "response",
    "responses",
    "created",
    "creates",
    "update",
    "updates",
    "upload",
    "uploads",
    "deploy",
    "deploys",
    "deployed",
    "builds",
    "build",
    "events",
    "logging",
    "folder",
    "folders",
    "kernel",
    "network",
    "networks",
    "traffic",
    "public",
    "private",
    "client",
    "clients",
    "access",
    "accessed",
    "engine",
    "engines",
    "library",
    "framework",
    "hosted",
    "hosting",
    "python",
    "others",
    "simple",
    "single",
    "signed",
    "sensor",
    "sensors",
    "device",
    "devices",
    "stream",
    "streams",
    "charts",
    "sender",
    "senders",
    "docker",
    "listens",
    "splits",
    "spring",
    "summer",
    "winter",
    "autumn",
    "master",
    "matter",
    "comment",
    "comments",
    "native",
    "nature",
    "github",
    "gitlab",
    "shared",
    "sharing",
    "vector",
    "vectors",
    "tenant",
    "tenants",
    "member",
    "members",
    "driver",
    "drivers",
];
