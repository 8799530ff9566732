//! Evaluates the rule language on one element or flow, and says which facts made it true.

use threatscribe_kb::Condition;
use threatscribe_model::{Element, Flow};

use crate::context::Context;
use crate::text::cat;

/// What a condition is asked about.
#[derive(Clone, Copy)]
pub enum Subject<'a> {
    Element(&'a Element),
    Flow(&'a Flow),
}

impl<'a> Subject<'a> {
    /// The element's or flow's id.
    pub fn id(self) -> &'a str {
        match self {
            Subject::Element(e) => &e.id,
            Subject::Flow(f) => &f.id,
        }
    }
}

/// What a successful match found out: the facts that made it true, and the elements matched
/// by `reaches` / `reached_by` (the rule's `{peers}`).
#[derive(Debug, Default)]
pub struct Findings<'a> {
    pub evidence: Vec<String>,
    pub peers: Vec<&'a Element>,
    /// Whether to write the evidence down: not when only the verdict is wanted.
    pub quiet: bool,
}

impl Findings<'_> {
    /// Findings that keep the peers but write no evidence.
    pub fn quiet() -> Self {
        Findings {
            quiet: true,
            ..Findings::default()
        }
    }

    fn note(&mut self, fact: impl FnOnce() -> String) {
        if !self.quiet {
            self.evidence.push(fact());
        }
    }

    /// Empty findings that write evidence as these do.
    fn like(&self) -> Self {
        Findings {
            quiet: self.quiet,
            ..Findings::default()
        }
    }
}

fn article(kind: threatscribe_model::ElementKind) -> &'static str {
    if kind == threatscribe_model::ElementKind::ExternalEntity {
        "an"
    } else {
        "a"
    }
}

fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(a) => !a.is_empty(),
        serde_json::Value::Object(o) => !o.is_empty(),
    }
}

/// Property values compare as written, but strings ignore case (`Strong` = `strong`).
fn same_value(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    match (actual, expected) {
        (serde_json::Value::String(a), serde_json::Value::String(b)) => a.eq_ignore_ascii_case(b),
        _ => actual == expected,
    }
}

fn show(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// True when `condition` holds for `subject`. Facts are appended to `findings` only for the
/// branches that made it true, so `not` and failed `any` branches leave no trace.
pub fn matches<'a>(
    condition: &Condition,
    subject: Subject<'a>,
    context: &Context<'a>,
    findings: &mut Findings<'a>,
) -> bool {
    let mark = (findings.evidence.len(), findings.peers.len());
    let result = evaluate(condition, subject, context, findings);
    if !result {
        findings.evidence.truncate(mark.0);
        findings.peers.truncate(mark.1);
    }
    result
}

#[allow(clippy::too_many_lines)] // one arm per predicate of the language
fn evaluate<'a>(
    condition: &Condition,
    subject: Subject<'a>,
    context: &Context<'a>,
    findings: &mut Findings<'a>,
) -> bool {
    let properties = match subject {
        Subject::Element(e) => &e.properties,
        Subject::Flow(f) => &f.properties,
    };
    match (condition, subject) {
        (Condition::All(all), _) => all.iter().all(|c| matches(c, subject, context, findings)),
        (Condition::Any(any), _) => any.iter().any(|c| matches(c, subject, context, findings)),
        (Condition::Not(inner), _) => {
            let mut scratch = Findings::quiet();
            !evaluate(inner, subject, context, &mut scratch)
        }
        (Condition::Property { name, expected }, _) => {
            let Some(actual) = properties.get(name) else {
                return false;
            };
            let hit = match expected {
                None => truthy(actual),
                Some(values) => values.iter().any(|v| same_value(actual, v)),
            };
            if hit {
                findings.note(|| format!("`{name}: {}` is declared", show(actual)));
            }
            hit
        }
        (Condition::DataAtLeast(level), _) => {
            let flow_data: Vec<&str>;
            let data = match subject {
                Subject::Element(e) => context.element_data(e),
                Subject::Flow(f) => {
                    flow_data = f.data.iter().map(String::as_str).collect();
                    &flow_data
                }
            };
            let sensitive: Vec<&str> = data
                .iter()
                .filter_map(|id| context.data_asset(id))
                .filter(|d| d.classification >= *level)
                .map(|d| d.name.as_str())
                .collect();
            if sensitive.is_empty() {
                return false;
            }
            findings.note(|| {
                format!(
                    "{level} or more sensitive data at stake: {}",
                    sensitive.join(", ")
                )
            });
            true
        }
        (Condition::Kind(kinds), Subject::Element(e)) => {
            let hit = kinds.contains(&e.kind);
            if hit {
                findings.note(|| cat!("`", e.id, "` is ", article(e.kind), " ", e.kind.label()));
            }
            hit
        }
        (Condition::Technology(ids), Subject::Element(e)) => {
            let Some(found) = e.technologies.iter().find(|t| ids.contains(t)) else {
                return false;
            };
            findings.note(|| cat!("`", e.id, "` uses ", context.technology_name(found)));
            true
        }
        (Condition::Tag(tags), Subject::Element(e)) => {
            let Some(tag) = tags.iter().find(|t| context.tags(e).contains(&t.as_str())) else {
                return false;
            };
            findings.note(|| {
                let source = if e.tags.contains(tag) {
                    "declared on the element".to_owned()
                } else {
                    let by: Vec<&str> = e
                        .technologies
                        .iter()
                        .filter(|t| {
                            context
                                .kb
                                .catalog
                                .get(t)
                                .is_some_and(|c| c.tags.contains(tag))
                        })
                        .map(|t| context.technology_name(t))
                        .collect();
                    format!("from {}", by.join(", "))
                };
                format!("`{}` has tag `{tag}` ({source})", e.id)
            });
            true
        }
        (Condition::Reaches(inner), Subject::Element(e)) => neighbours(
            context.outgoing(e).filter_map(|f| context.destination(f)),
            "sends data to",
            inner,
            context,
            findings,
        ),
        (Condition::ReachedBy(inner), Subject::Element(e)) => neighbours(
            context.incoming(e).filter_map(|f| context.source(f)),
            "receives data from",
            inner,
            context,
            findings,
        ),
        (Condition::InternetFacing(wanted), Subject::Element(e)) => {
            let exposure = context.exposure(e);
            if exposure.is_some() != *wanted {
                return false;
            }
            findings.note(|| match exposure {
                Some(crate::context::Exposure::Declared) => {
                    cat!("`", e.id, "` is declared internet-facing")
                }
                Some(crate::context::Exposure::ReachedFrom(source)) => {
                    cat!(
                        "`",
                        e.id,
                        "` is reachable from the internet (flow from `",
                        source,
                        "`)"
                    )
                }
                None => cat!("`", e.id, "` is not reachable from the internet"),
            });
            true
        }
        (Condition::InBoundary(kinds), Subject::Element(e)) => {
            let chain = context.boundary_chain(e);
            let Some(boundary) = chain.iter().find(|b| kinds.contains(&b.kind)) else {
                return false;
            };
            findings.note(|| {
                cat!(
                    "`",
                    e.id,
                    "` runs inside ",
                    boundary.name,
                    " (",
                    boundary.kind.as_str(),
                    ")"
                )
            });
            true
        }
        (Condition::CrossesBoundary(wanted), Subject::Flow(f)) => {
            let crosses = context.crosses_boundary(f);
            if crosses != *wanted {
                return false;
            }
            findings.note(|| {
                if crosses {
                    cat!("`", f.id, "` crosses a trust boundary")
                } else {
                    cat!("`", f.id, "` stays inside one trust boundary")
                }
            });
            true
        }
        (Condition::Encrypted(wanted), Subject::Flow(f)) => {
            let encrypted = context.is_encrypted(f);
            if encrypted != *wanted {
                return false;
            }
            findings.note(|| {
                let (protocol, name) = match f.protocol.as_deref() {
                    Some(p) => ("protocol ", context.technology_name(p)),
                    None => ("no protocol given", ""),
                };
                let state = if encrypted {
                    "` is encrypted ("
                } else {
                    "` is not declared encrypted ("
                };
                cat!("`", f.id, state, protocol, name, ")")
            });
            true
        }
        (Condition::Authenticated(wanted), Subject::Flow(f)) => {
            let authenticated = Context::is_authenticated(f);
            if authenticated != *wanted {
                return false;
            }
            findings.note(|| {
                if authenticated {
                    cat!("`", f.id, "` is declared authenticated")
                } else {
                    cat!("`", f.id, "` is not declared authenticated")
                }
            });
            true
        }
        (Condition::Protocol(ids), Subject::Flow(f)) => {
            let Some(protocol) = f
                .protocol
                .as_deref()
                .filter(|p| ids.iter().any(|id| id == p))
            else {
                return false;
            };
            findings.note(|| cat!("`", f.id, "` uses ", context.technology_name(protocol)));
            true
        }
        (Condition::From(inner), Subject::Flow(f)) => context
            .source(f)
            .is_some_and(|e| matches(inner, Subject::Element(e), context, findings)),
        (Condition::To(inner), Subject::Flow(f)) => context
            .destination(f)
            .is_some_and(|e| matches(inner, Subject::Element(e), context, findings)),
        // The knowledge base rejects element predicates on flows and the reverse; a rule that
        // slipped through simply does not match.
        _ => false,
    }
}

fn neighbours<'a>(
    peers: impl Iterator<Item = &'a Element>,
    verb: &str,
    inner: &Condition,
    context: &Context<'a>,
    findings: &mut Findings<'a>,
) -> bool {
    let mut hit = false;
    for peer in peers {
        let mut local = findings.like();
        if matches(inner, Subject::Element(peer), context, &mut local) {
            findings.note(|| cat!("it ", verb, " `", peer.id, "`"));
            findings.evidence.extend(local.evidence);
            for found in std::iter::once(peer).chain(local.peers) {
                if !findings.peers.iter().any(|p| p.id == found.id) {
                    findings.peers.push(found);
                }
            }
            hit = true;
        }
    }
    hit
}
