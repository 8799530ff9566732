//! The rule language: declarative predicates on an element or a flow, combined with all/any/not.
//!
//! A rule file says `when:` and `mitigated_when:` in this language. Raw conditions are what the
//! YAML says; `compile` checks every name against the catalog and the tag vocabulary and that
//! each predicate fits its subject (an element predicate inside `from:` of a flow rule is fine,
//! `encrypted` on an element rule is not), so a typo fails the knowledge-base test, not a run.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use threatscribe_model::{BoundaryKind, Classification, ElementKind};

use crate::catalog::{Catalog, Implies};

/// What a rule or a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Element,
    Flow,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawProperty {
    /// `property: debug`: the property is set and truthy.
    Truthy(String),
    /// `property: {session_protection: strong}`: the property equals the value (or one of a list).
    Equals(BTreeMap<String, serde_json::Value>),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    at_least: Classification,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawCondition {
    All(Vec<RawCondition>),
    Any(Vec<RawCondition>),
    Not(Box<RawCondition>),
    Kind(OneOrMany<ElementKind>),
    Technology(OneOrMany<String>),
    Tag(OneOrMany<String>),
    Property(RawProperty),
    Data(RawData),
    Reaches(Box<RawCondition>),
    ReachedBy(Box<RawCondition>),
    InternetFacing(bool),
    InBoundary(OneOrMany<BoundaryKind>),
    CrossesBoundary(bool),
    Encrypted(bool),
    Authenticated(bool),
    Protocol(OneOrMany<String>),
    From(Box<RawCondition>),
    To(Box<RawCondition>),
}

/// A compiled, checked condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// Element: its kind is one of these.
    Kind(Vec<ElementKind>),
    /// Element: it uses one of these catalog technologies.
    Technology(Vec<String>),
    /// Element: it, or one of its technologies, carries one of these tags.
    Tag(Vec<String>),
    /// Element or flow: the property is truthy (`expected` is `None`) or equals one of `expected`.
    Property {
        name: String,
        expected: Option<Vec<serde_json::Value>>,
    },
    /// Element or flow: some data at stake is at least this sensitive.
    DataAtLeast(Classification),
    /// Element: it sends a flow to an element matching the condition.
    Reaches(Box<Condition>),
    /// Element: it receives a flow from an element matching the condition.
    ReachedBy(Box<Condition>),
    /// Element: reachable from the internet (see the engine's definition).
    InternetFacing(bool),
    /// Element: one of its enclosing boundaries is of one of these kinds.
    InBoundary(Vec<BoundaryKind>),
    /// Flow: its ends sit in different trust boundaries.
    CrossesBoundary(bool),
    /// Flow: declared or implied (by its protocol) encrypted.
    Encrypted(bool),
    /// Flow: declared or implied authenticated.
    Authenticated(bool),
    /// Flow: its protocol is one of these catalog protocols.
    Protocol(Vec<String>),
    /// Flow: its source element matches.
    From(Box<Condition>),
    /// Flow: its destination element matches.
    To(Box<Condition>),
}

/// What a condition may refer to.
pub(crate) struct Vocabulary<'a> {
    pub catalog: &'a Catalog,
    pub tags: &'a HashSet<String>,
    pub properties: &'a BTreeMap<String, crate::PropertySpec>,
}

/// A property test must name a declared property that belongs on this subject, with values the
/// vocabulary lists.
fn check_property(
    name: &str,
    expected: Option<&[serde_json::Value]>,
    subject: Subject,
    vocabulary: &Vocabulary<'_>,
) -> Result<(), String> {
    let Some(spec) = vocabulary.properties.get(name) else {
        return Err(format!(
            "unknown property `{name}` (declare it in kb/properties.yaml)"
        ));
    };
    let fits = match subject {
        Subject::Flow => spec.on.iter().any(|o| o == "flow"),
        Subject::Element => spec.on.iter().any(|o| o != "flow"),
    };
    if !fits {
        return Err(format!(
            "property `{name}` is declared for {}, not for this subject",
            spec.on.join(", ")
        ));
    }
    if let (Some(known), Some(expected)) = (&spec.values, expected)
        && let Some(unknown) = expected.iter().find(|v| !known.contains(v))
    {
        return Err(format!(
            "value {unknown} of property `{name}` is not declared in kb/properties.yaml"
        ));
    }
    Ok(())
}

impl RawCondition {
    #[allow(clippy::too_many_lines)] // one arm per predicate of the language
    pub(crate) fn compile(
        self,
        subject: Subject,
        vocabulary: &Vocabulary<'_>,
    ) -> Result<Condition, String> {
        use Subject::{Element, Flow};
        let only = |wanted: Subject, name: &str| -> Result<(), String> {
            if subject == wanted {
                Ok(())
            } else {
                Err(format!(
                    "`{name}` applies to {}s, but this condition is about a {}",
                    if wanted == Element { "element" } else { "flow" },
                    if subject == Element {
                        "element"
                    } else {
                        "flow"
                    }
                ))
            }
        };
        let compile_all =
            |conditions: Vec<RawCondition>, name: &str| -> Result<Vec<Condition>, String> {
                if conditions.is_empty() {
                    return Err(format!("`{name}` needs at least one condition"));
                }
                conditions
                    .into_iter()
                    .map(|c| c.compile(subject, vocabulary))
                    .collect()
            };
        Ok(match self {
            Self::All(conditions) => Condition::All(compile_all(conditions, "all")?),
            Self::Any(conditions) => Condition::Any(compile_all(conditions, "any")?),
            Self::Not(inner) => Condition::Not(Box::new(inner.compile(subject, vocabulary)?)),
            Self::Kind(kinds) => {
                only(Element, "kind")?;
                Condition::Kind(kinds.into_vec())
            }
            Self::Technology(ids) => {
                only(Element, "technology")?;
                let ids = ids.into_vec();
                for id in &ids {
                    match vocabulary.catalog.get(id) {
                        None => return Err(format!("unknown technology `{id}`")),
                        Some(t) if t.implies == Implies::Protocol => {
                            return Err(format!(
                                "`{id}` is a protocol: use `protocol:` on a flow rule"
                            ));
                        }
                        Some(_) => {}
                    }
                }
                Condition::Technology(ids)
            }
            Self::Tag(tags) => {
                only(Element, "tag")?;
                let tags = tags.into_vec();
                if let Some(unknown) = tags.iter().find(|t| !vocabulary.tags.contains(*t)) {
                    return Err(format!(
                        "unknown tag `{unknown}` (declare it in kb/tags.yaml)"
                    ));
                }
                Condition::Tag(tags)
            }
            Self::Property(RawProperty::Truthy(name)) => {
                check_property(&name, None, subject, vocabulary)?;
                Condition::Property {
                    name,
                    expected: None,
                }
            }
            Self::Property(RawProperty::Equals(map)) => {
                let mut entries = map.into_iter();
                let (Some((name, value)), None) = (entries.next(), entries.next()) else {
                    return Err(
                        "`property` takes one name, or a map with exactly one name: value".into(),
                    );
                };
                let expected = match value {
                    serde_json::Value::Array(values) => values,
                    other => vec![other],
                };
                check_property(&name, Some(&expected), subject, vocabulary)?;
                Condition::Property {
                    name,
                    expected: Some(expected),
                }
            }
            Self::Data(data) => Condition::DataAtLeast(data.at_least),
            Self::Reaches(inner) => {
                only(Element, "reaches")?;
                Condition::Reaches(Box::new(inner.compile(Element, vocabulary)?))
            }
            Self::ReachedBy(inner) => {
                only(Element, "reached_by")?;
                Condition::ReachedBy(Box::new(inner.compile(Element, vocabulary)?))
            }
            Self::InternetFacing(value) => {
                only(Element, "internet_facing")?;
                Condition::InternetFacing(value)
            }
            Self::InBoundary(kinds) => {
                only(Element, "in_boundary")?;
                Condition::InBoundary(kinds.into_vec())
            }
            Self::CrossesBoundary(value) => {
                only(Flow, "crosses_boundary")?;
                Condition::CrossesBoundary(value)
            }
            Self::Encrypted(value) => {
                only(Flow, "encrypted")?;
                Condition::Encrypted(value)
            }
            Self::Authenticated(value) => {
                only(Flow, "authenticated")?;
                Condition::Authenticated(value)
            }
            Self::Protocol(ids) => {
                only(Flow, "protocol")?;
                let ids = ids.into_vec();
                for id in &ids {
                    if !vocabulary
                        .catalog
                        .get(id)
                        .is_some_and(|t| t.implies == Implies::Protocol)
                    {
                        return Err(format!(
                            "unknown protocol `{id}` (protocols are catalog entries with `implies: protocol`)"
                        ));
                    }
                }
                Condition::Protocol(ids)
            }
            Self::From(inner) => {
                only(Flow, "from")?;
                Condition::From(Box::new(inner.compile(Element, vocabulary)?))
            }
            Self::To(inner) => {
                only(Flow, "to")?;
                Condition::To(Box::new(inner.compile(Element, vocabulary)?))
            }
        })
    }
}
