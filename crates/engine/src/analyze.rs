//! The analyst and reviewer passes over one model.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use threatscribe_kb::{KnowledgeBase, Layer, Rule};
use threatscribe_model::{
    Classification, Element, ElementKind, Flow, Impact, Likelihood, Mitigation, Model,
    ProvidedFinding, Severity, Status, Threat,
};

use crate::context::{Context, Exposure};
use crate::coverage::{self, Applicable, CoverageRow, applicable_categories};
use crate::evaluate::{Findings, Subject, matches};
use crate::rating::{Rating, RatingInput, rate};
use crate::streaming::{Outline, StreamingAnalysis};
use crate::text::{cat, fill, join_names};

/// The roles of the pipeline, as named in the report's conversation log: the same four as the
/// LLM agents, which play them when `--llm` is given.
pub use threatscribe_model::AgentRole as Role;

/// One step a role took, in order.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LogEntry {
    pub role: Role,
    pub message: String,
}

/// Everything the analysis concluded about one model.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub model: Model,
    /// Ordered by severity (highest first), then rule id, then target.
    pub threats: Vec<Threat>,
    pub coverage: Vec<CoverageRow>,
    pub assumptions: Vec<String>,
    pub questions: Vec<String>,
    pub log: Vec<LogEntry>,
    /// Tracking entries that expired or match no finding, in words.
    pub tracking_notes: Vec<String>,
    /// Display names of the catalog technologies and protocols the model names, by id.
    pub technology_names: BTreeMap<String, String>,
    /// Positions by id, so renderers look things up in constant time on large models.
    index: Index,
}

#[derive(Debug, Clone, Default)]
struct Index {
    elements: HashMap<String, usize>,
    flows: HashMap<String, usize>,
    /// Threat positions by target id, in threat order.
    threats: HashMap<String, Vec<usize>>,
}

impl Analysis {
    pub fn element(&self, id: &str) -> Option<&Element> {
        self.index
            .elements
            .get(id)
            .map(|&i| &self.model.elements[i])
    }

    /// Position of an element in `model.elements`, in constant time.
    pub fn element_index(&self, id: &str) -> Option<usize> {
        self.index.elements.get(id).copied()
    }

    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.index.flows.get(id).map(|&i| &self.model.flows[i])
    }

    /// Name of an element, or "From → To" for a flow (element names), for headings and tables;
    /// the id itself when it names neither.
    pub fn target_name(&self, id: &str) -> String {
        if let Some(element) = self.element(id) {
            return element.name.clone();
        }
        self.flow(id).map_or_else(
            || id.to_owned(),
            |flow| {
                let name = |e: &str| {
                    self.element(e)
                        .map_or_else(|| e.to_owned(), |x| x.name.clone())
                };
                format!("{} → {}", name(&flow.from), name(&flow.to))
            },
        )
    }

    /// The threats on one element or flow, most severe first.
    pub fn threats_on<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Threat> + 'a {
        self.index
            .threats
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.threats[i])
    }

    /// Display name of a technology or protocol id (the id itself when it is not catalogued).
    pub fn technology_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.technology_names.get(id).map_or(id, String::as_str)
    }
}

/// A rule's hit on one target before rating.
pub(crate) struct Hit<'a> {
    pub(crate) rule: &'a Rule,
    pub(crate) subject: Subject<'a>,
    findings: Findings<'a>,
    pub(crate) mitigated_by: Option<String>,
}

/// Runs the analyst and reviewer on `model`, without a date: tracking entries never expire.
pub fn analyze(model: &Model, kb: &KnowledgeBase) -> Analysis {
    analyze_on(model, kb, None)
}

/// Runs the analyst and reviewer on `model` as of `today` (YYYY-MM-DD), which decides whether
/// tracking entries with an `expires` date still hold. Deterministic: the same model and date
/// give the same analysis, in the same order.
pub fn analyze_on(model: &Model, kb: &KnowledgeBase, today: Option<&str>) -> Analysis {
    analyze_with(model, kb, today, &[])
}

/// `analyze_on`, plus threats an LLM agent proposed: each is checked against the model and,
/// when admitted, rated like a rule's finding; refusals go to the log. The rules' findings are
/// the same with or without proposals.
pub fn analyze_with(
    model: &Model,
    kb: &KnowledgeBase,
    today: Option<&str>,
    proposals: &[threatscribe_model::ProposedThreat],
) -> Analysis {
    StreamingAnalysis::new(model, kb, today, proposals).into_analysis()
}

impl Analysis {
    #[allow(clippy::too_many_arguments)] // the parts `StreamingAnalysis` worked out
    pub(crate) fn new(
        model: Model,
        threats: Vec<Threat>,
        coverage: Vec<CoverageRow>,
        assumptions: Vec<String>,
        questions: Vec<String>,
        log: Vec<LogEntry>,
        tracking_notes: Vec<String>,
        technology_names: BTreeMap<String, String>,
    ) -> Self {
        Analysis {
            index: Index::build(&model, &threats),
            model,
            threats,
            coverage,
            assumptions,
            questions,
            log,
            tracking_notes,
            technology_names,
        }
    }
}

/// Display names of the catalog technologies and protocols the model names, by id.
pub(crate) fn technology_names(model: &Model, kb: &KnowledgeBase) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    // Each id is copied once, not once per use (collecting pairs first held them all).
    let used = (model.elements.iter())
        .flat_map(|e| e.technologies.iter())
        .chain(model.flows.iter().filter_map(|f| f.protocol.as_ref()));
    for id in used {
        if !names.contains_key(id)
            && let Some(technology) = kb.catalog.get(id)
        {
            names.insert(id.clone(), technology.name.clone());
        }
    }
    names
}

impl Index {
    fn build(model: &Model, threats: &[Threat]) -> Self {
        Index {
            elements: model
                .elements
                .iter()
                .enumerate()
                .map(|(i, e)| (e.id.clone(), i))
                .collect(),
            flows: model
                .flows
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.clone(), i))
                .collect(),
            threats: threats.iter().enumerate().fold(
                HashMap::new(),
                |mut map: HashMap<String, Vec<usize>>, (i, t)| {
                    map.entry(t.target.clone()).or_default().push(i);
                    map
                },
            ),
        }
    }
}

/// One rule on one element or flow: the hit when the rule matches, with its evidence when
/// `evidence` is true (without, the verdict and whether it is mitigated are the same, and
/// nothing is written down).
pub(crate) fn apply<'a>(
    rule: &'a Rule,
    subject: Subject<'a>,
    context: &Context<'a>,
    evidence: bool,
) -> Option<Hit<'a>> {
    let blank = || {
        if evidence {
            Findings::default()
        } else {
            Findings::quiet()
        }
    };
    let mut findings = blank();
    if let Some(when) = &rule.when
        && !matches(when, subject, context, &mut findings)
    {
        return None;
    }
    let mitigated_by = rule.mitigated_when.as_ref().and_then(|condition| {
        let mut why = blank();
        matches(condition, subject, context, &mut why).then(|| why.evidence.join("; "))
    });
    first_of_each(&mut findings.evidence);
    Some(Hit {
        rule,
        subject,
        findings,
        mitigated_by,
    })
}

/// Keeps the first of each repeated text, in order, without copying any to compare.
fn first_of_each(texts: &mut Vec<String>) {
    let mut kept = 0;
    for i in 0..texts.len() {
        if !texts[..kept].contains(&texts[i]) {
            texts.swap(kept, i);
            kept += 1;
        }
    }
    texts.truncate(kept);
}

/// What the templates of a rule are filled with for one target (only the placeholders its
/// title and description use: most use `{target}` alone), and the technologies whose guidance
/// its mitigations carry.
fn template_values<'a>(
    hit: &Hit<'a>,
    context: &Context<'a>,
) -> (Vec<(&'static str, String)>, Vec<&'a str>) {
    let uses = |name: &str| hit.rule.uses(name);
    let mut values: Vec<(&'static str, String)> = Vec::new();
    let data: &[&str];
    let flow_data: Vec<&str>;
    let mut technologies: Vec<&'a str> = Vec::new();
    if let Subject::Element(element) = hit.subject {
        data = context.element_data(element);
        values.push(("target", element.name.clone()));
        if uses("tech") {
            let names: Vec<&str> = (element.technologies.iter())
                .map(|t| context.technology_name(t))
                .collect();
            values.push(("tech", non_empty(join_names(&names), "its stack")));
        }
        technologies.extend(element.technologies.iter().map(String::as_str));
        if uses("peers") {
            let peers: Vec<&str> = hit.findings.peers.iter().map(|p| p.name.as_str()).collect();
            values.push((
                "peers",
                non_empty(join_names(&peers), "the elements it talks to"),
            ));
        }
        for peer in &hit.findings.peers {
            technologies.extend(peer.technologies.iter().map(String::as_str));
        }
        if uses("peer_data") {
            values.push(("peer_data", peer_data(hit, element, context)));
        }
    } else {
        let Subject::Flow(flow) = hit.subject else {
            unreachable!("a subject is an element or a flow")
        };
        flow_data = flow.data.iter().map(String::as_str).collect();
        data = &flow_data;
        let (from, to) = context.end_names(flow);
        values.push(("target", cat!("the flow from ", from, " to ", to)));
        if uses("from") {
            values.push(("from", from.to_owned()));
        }
        if uses("to") {
            values.push(("to", to.to_owned()));
        }
        if uses("protocol") {
            values.push((
                "protocol",
                flow.protocol.as_deref().map_or_else(
                    || "an unstated protocol".to_owned(),
                    |p| context.technology_name(p).to_owned(),
                ),
            ));
        }
        let ends: Vec<&Element> = [context.source(flow), context.destination(flow)]
            .into_iter()
            .flatten()
            .collect();
        if uses("tech") {
            let tech: Vec<&str> = ends
                .iter()
                .flat_map(|e| e.technologies.iter().map(|t| context.technology_name(t)))
                .collect();
            values.push(("tech", non_empty(join_names(&tech), "their stacks")));
        }
        for end in ends {
            technologies.extend(end.technologies.iter().map(String::as_str));
        }
    }
    if uses("data") {
        let data_names: Vec<&str> = data.iter().map(|d| context.data_name(d)).collect();
        values.push((
            "data",
            non_empty(join_names(&data_names), "the data it handles"),
        ));
    }
    let mut unique = Vec::new();
    for t in technologies {
        if !unique.contains(&t) {
            unique.push(t);
        }
    }
    (values, unique)
}

/// Names of the data assets on the flows between `element` and the peers its rule matched.
fn peer_data(hit: &Hit<'_>, element: &Element, context: &Context<'_>) -> String {
    let mut peer_data: Vec<&str> = Vec::new();
    for peer in &hit.findings.peers {
        // The element's own flows, from the context's index: scanning every flow of the model
        // for each finding made large models quadratic.
        let between = context
            .outgoing(element)
            .filter(|f| f.to == peer.id)
            .chain(context.incoming(element).filter(|f| f.from == peer.id));
        for asset in between.flat_map(|f| f.data.iter()) {
            if !peer_data.contains(&asset.as_str()) {
                peer_data.push(asset);
            }
        }
    }
    let names: Vec<&str> = peer_data.iter().map(|d| context.data_name(d)).collect();
    non_empty(join_names(&names), "the data they exchange")
}

/// Upper-cases the first letter, for titles that open with a filled-in name.
fn capitalize(mut text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_ascii() => {
            text[..1].make_ascii_uppercase();
            text
        }
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn non_empty(text: String, fallback: &str) -> String {
    if text.is_empty() {
        fallback.to_owned()
    } else {
        text
    }
}

/// Adds the findings written outside the analysis (imported, or the model's `findings:`).
pub(crate) fn add_provided(
    threats: &mut Vec<Threat>,
    context: &Context<'_>,
    log: &mut Vec<LogEntry>,
) {
    let findings = &context.model.findings;
    if findings.is_empty() {
        return;
    }
    threats.extend(
        findings
            .iter()
            .enumerate()
            .map(|(n, finding)| provided_threat(n + 1, finding, context)),
    );
    log.push(LogEntry {
        role: Role::Reviewer,
        message: format!(
            "Added {} findings written outside the analysis (imported or listed under `findings:`), shown beside the rules' findings.",
            findings.len()
        ),
    });
}

/// A finding someone wrote down, as a threat: its severity as written (medium when none), its
/// status, and its mitigation text. Ids are `PROVIDED-N@TARGET`, N its place in the list.
fn provided_threat(n: usize, finding: &ProvidedFinding, context: &Context<'_>) -> Threat {
    let severity = finding.severity.unwrap_or(Severity::Medium);
    let (likelihood, impact) = match severity {
        Severity::Low => (Likelihood::Low, Impact::Low),
        Severity::Medium => (Likelihood::Medium, Impact::Medium),
        Severity::High => (Likelihood::High, Impact::Medium),
        Severity::Critical => (Likelihood::High, Impact::High),
    };
    let rated = match finding.severity {
        Some(_) => format!("Severity as written by {}.", finding.source),
        None => format!("{} gave no severity: rated medium.", finding.source),
    };
    let mitigations = finding
        .mitigation
        .iter()
        .map(|text| {
            let (title, rest) = first_sentence(text);
            Mitigation {
                id: Arc::from("provided"),
                title: Arc::from(title.as_str()),
                description: Arc::from(rest.as_str()),
                technology_guidance: Vec::new(),
                references: Arc::from([]),
            }
        })
        .collect();
    Threat {
        id: format!("PROVIDED-{n}@{}", finding.target),
        rule: format!("PROVIDED-{n}"),
        stride: finding.stride,
        categories: vec![finding.stride],
        target: finding.target.clone(),
        target_type: if context.element(&finding.target).is_some() {
            "element"
        } else {
            "flow"
        }
        .to_owned(),
        title: format!("{} (from {})", finding.title, finding.source),
        description: finding
            .description
            .clone()
            .unwrap_or_else(|| finding.title.clone()),
        severity,
        likelihood,
        impact,
        rating_reasoning: vec![rated],
        cwe: Vec::new(),
        capec: Vec::new(),
        owasp: Vec::new(),
        mitigations,
        status: finding.status,
        mitigated_by: None,
        residual_severity: None,
        tracking: None,
        evidence: vec![format!(
            "Written by {}, not found by a threatscribe rule",
            finding.source
        )],
        source: format!("provided:{}", finding.source),
        agent: None,
    }
}

/// A text on one line, split after its first sentence: the sentence without its full stop
/// (renderers add one) and the rest.
pub(crate) fn first_sentence(text: &str) -> (String, String) {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (first, rest) = match line.find(". ") {
        Some(end) => (&line[..end], line[end + 2..].to_owned()),
        None => (line.as_str(), String::new()),
    };
    (first.trim_end_matches('.').to_owned(), rest)
}

/// A finding's own rating before context: the rule's (or agent's) likelihood and impact.
pub(crate) struct RatingBase<'r> {
    pub rule: &'r str,
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub categories: &'r [threatscribe_model::Stride],
    pub cap: Option<Severity>,
}

/// Rates a finding on `target` (an element's or flow's id) in its context: internet exposure and
/// the data at stake.
pub(crate) fn rate_on(
    context: &Context<'_>,
    target: &str,
    base: &RatingBase<'_>,
) -> crate::rating::Rating {
    let subject = (context.element(target).map(Subject::Element))
        .or_else(|| context.flow(target).map(Subject::Flow));
    rate_subject(context, subject, base, true)
}

/// `rate_on` for a target already found (none: an id the model does not have). Without
/// `explain`, the rating's reasoning is left empty and no text is written for it: ordering the
/// findings needs only their severity.
fn rate_subject(
    context: &Context<'_>,
    subject: Option<Subject<'_>>,
    base: &RatingBase<'_>,
    explain: bool,
) -> crate::rating::Rating {
    let (element, flow) = match subject {
        Some(Subject::Element(e)) => (Some(e), None),
        Some(Subject::Flow(f)) => (None, Some(f)),
        None => (None, None),
    };

    let flow_data: Vec<&str>;
    let data: &[&str] = match (element, flow) {
        (Some(e), _) => context.element_data(e),
        (None, Some(f)) => {
            flow_data = f.data.iter().map(String::as_str).collect();
            &flow_data
        }
        (None, None) => &[],
    };
    let highest = context.highest_classification(data);
    let at_highest: Vec<&str> = (data.iter())
        .filter(|_| explain)
        .filter_map(|d| context.data_asset(d))
        .filter(|d| Some(d.classification) == highest)
        .map(|d| d.name.as_str())
        .collect();
    let exposure = match (element, flow) {
        (Some(e), _) if !explain => context.exposure(e).map(|_| String::new()),
        (Some(e), _) => context.exposure(e).map(|x| match x {
            Exposure::Declared => cat!(e.name, " is declared internet-facing"),
            Exposure::ReachedFrom(source) => {
                let from = (context.element(source)).map_or(source.as_str(), |s| s.name.as_str());
                cat!(
                    e.name,
                    " is reachable from the internet (it receives flows from ",
                    from,
                    ")"
                )
            }
        }),
        (None, Some(f)) => context
            .source(f)
            .filter(|source| context.on_internet(source))
            .map(|source| {
                if explain {
                    cat!("the flow starts at ", source.name, ", on the internet")
                } else {
                    String::new()
                }
            }),
        (None, None) => None,
    };
    rate(&RatingInput {
        explain,
        rule: base.rule,
        likelihood: base.likelihood,
        impact: base.impact,
        categories: base.categories,
        exposure,
        data: highest.map(|c| (c, at_highest)),
        only_public_data: highest == Some(Classification::Public),
        holds_data: element.is_none_or(|e| e.kind == ElementKind::DataStore),
        cap: base.cap,
    })
}

/// A rule's rating on one target: its base, raised or lowered by the target's context; baseline
/// rules stop at medium. With `explain`, the reasoning is written out.
pub(crate) fn rule_rating(
    rule: &Rule,
    target: Subject<'_>,
    context: &Context<'_>,
    explain: bool,
) -> Rating {
    rate_subject(
        context,
        Some(target),
        &RatingBase {
            rule: &rule.id,
            likelihood: rule.likelihood,
            impact: rule.impact,
            categories: &rule.stride,
            cap: (rule.layer == Layer::Baseline).then_some(Severity::Medium),
        },
        explain,
    )
}

pub(crate) fn build_threat(hit: Hit<'_>, context: &Context<'_>) -> Threat {
    let rule = hit.rule;
    let (values, technologies) = template_values(&hit, context);
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let element = match hit.subject {
        Subject::Element(e) => Some(e),
        Subject::Flow(_) => None,
    };
    let rating = rule_rating(rule, hit.subject, context, true);

    let mitigations = rule
        .controls
        .iter()
        .filter_map(|id| context.control(id))
        .map(|control| Mitigation {
            id: control.id.clone(),
            title: control.title.clone(),
            description: control.guidance.clone(),
            technology_guidance: technologies
                .iter()
                .filter_map(|t| control.variants.get(*t).cloned())
                .collect(),
            references: control.references.clone(),
        })
        .collect();

    Threat {
        id: cat!(rule.id, "@", hit.subject.id()),
        rule: rule.id.clone(),
        stride: rule.primary_stride(),
        categories: rule.stride.clone(),
        target: hit.subject.id().to_owned(),
        target_type: if element.is_some() { "element" } else { "flow" }.to_owned(),
        title: capitalize(fill(&rule.title, &pairs)),
        description: fill(&rule.description, &pairs),
        severity: rating.severity,
        likelihood: rating.likelihood,
        impact: rating.impact,
        rating_reasoning: rating.reasoning,
        cwe: rule.cwe.clone(),
        capec: rule.capec.clone(),
        owasp: rule.owasp.clone(),
        mitigations,
        residual_severity: None,
        tracking: None,
        status: if hit.mitigated_by.is_some() {
            Status::Mitigated
        } else {
            Status::Open
        },
        mitigated_by: hit.mitigated_by,
        evidence: hit.findings.evidence,
        source: match rule.layer {
            Layer::Baseline => "kb:baseline",
            Layer::Specific => "kb:specific",
        }
        .to_owned(),
        agent: None,
    }
}

/// The coverage row of the element or flow at `position` (elements first, then flows), from
/// the findings on it.
pub(crate) fn coverage_row(
    context: &Context<'_>,
    position: usize,
    outlines: &[Outline<'_>],
) -> CoverageRow {
    let model = context.model;
    let (id, applicable) = applicable_at(context, position);
    let (name, kind) = match model.elements.get(position) {
        Some(element) => (element.name.clone(), element.kind.as_str()),
        None => (
            flow_label(context, &model.flows[position - model.elements.len()]),
            "flow",
        ),
    };
    coverage::row(id, &name, kind, &applicable, outlines)
}

/// The id of the element or flow at `position` (elements first, then flows), with the STRIDE
/// categories that apply to it.
pub(crate) fn applicable_at<'a>(context: &Context<'a>, position: usize) -> (&'a str, Applicable) {
    let model = context.model;
    if let Some(element) = model.elements.get(position) {
        let holds_logs = context.tags(element).contains(&"logs");
        let applicable = applicable_categories(Some(element.kind), holds_logs, false);
        (&element.id, applicable)
    } else {
        let flow = &model.flows[position - model.elements.len()];
        let crosses = context.crosses_boundary(flow);
        (&flow.id, applicable_categories(None, false, crosses))
    }
}

fn flow_label(context: &Context<'_>, flow: &Flow) -> String {
    let (from, to) = context.end_names(flow);
    cat!(from, " → ", to)
}

pub(crate) fn assumptions(context: &Context<'_>) -> Vec<String> {
    let model = context.model;
    let mut out: Vec<String> = model.assumptions.clone();
    for element in &model.elements {
        if let Some(Exposure::ReachedFrom(source)) = context.exposure(element) {
            let source_name = context
                .element(source)
                .map_or(source.as_str(), |s| s.name.as_str());
            out.push(format!(
                "{} is treated as reachable from the internet: it receives flows directly from {source_name}, on the internet. Set `internet_facing: false` on it if a VPN or private network stands between them.",
                element.name
            ));
        }
        if element.boundary.is_none() && element.kind == ElementKind::ExternalEntity {
            out.push(format!(
                "{} has no trust boundary and is treated as being on the internet.",
                element.name
            ));
        } else if element.boundary.is_none() {
            out.push(format!("{} has no trust boundary: flows between it and other elements without one are treated as not crossing a boundary.", element.name));
        }
        let unknown: Vec<&str> = element
            .technologies
            .iter()
            .filter(|t| context.kb.catalog.get(t).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            out.push(format!(
                "{} is not in the knowledge base's catalog; {} is analysed by its kind and tags only.",
                join_names(&unknown.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>()),
                element.name
            ));
        }
    }
    for flow in &model.flows {
        if !flow.properties.contains_key("encrypted") && !context.is_encrypted(flow) {
            let protocol = flow.protocol.as_deref().map_or_else(
                || "no protocol is given".to_owned(),
                |p| format!("{} does not imply TLS", context.technology_name(p)),
            );
            out.push(format!(
                "The flow {} is treated as unencrypted: {protocol} and no `encrypted:` property says otherwise.",
                flow_label(context, flow)
            ));
        }
    }
    let silent: Vec<&str> = model
        .elements
        .iter()
        .filter(|e| e.kind != ElementKind::ExternalEntity && context.element_data(e).is_empty())
        .map(|e| e.name.as_str())
        .collect();
    if !silent.is_empty() {
        out.push(format!(
            "No data assets are declared on the flows of {}; their findings are rated without knowing how sensitive the data is.",
            join_names(&silent)
        ));
    }
    out
}

/// (severity, rule) -> (id, target) of its open findings, highest severity first.
type OpenByRule<'s> = BTreeMap<(std::cmp::Reverse<Severity>, &'s str), Vec<(&'s str, &'s str)>>;

pub(crate) fn questions<'s>(
    context: &Context<'_>,
    outlines: impl Iterator<Item = Outline<'s>>,
) -> Vec<String> {
    let model = context.model;
    let mut out: Vec<String> = Vec::new();
    // Asked once each, in order; a set keeps that linear on models with many flows.
    let mut asked: foldhash::HashSet<String> = foldhash::HashSet::default();
    let mut push = |question: String| {
        if asked.insert(question.clone()) {
            out.push(question);
        }
    };
    for question in &model.questions {
        push(question.clone());
    }
    for flow in &model.flows {
        if flow.protocol.is_none() {
            push(format!(
                "What protocol does the flow {} use, and is it encrypted and authenticated?",
                flow_label(context, flow)
            ));
        }
    }
    for element in &model.elements {
        if element.kind != ElementKind::ExternalEntity && element.boundary.is_none() {
            push(format!(
                "Where does {} run (which host, network or cloud account)?",
                element.name
            ));
        }
    }
    // Open findings whose rule says what would settle them, in severity order.
    let mut by_rule = OpenByRule::new();
    for outline in outlines.filter(|o| o.status == Status::Open) {
        by_rule
            .entry((std::cmp::Reverse(outline.severity), outline.rule))
            .or_default()
            .push((outline.id, outline.target));
    }
    for ((_, rule_id), list) in by_rule {
        let Some(question) = context.kb.rule(rule_id).and_then(|r| r.question.as_ref()) else {
            continue;
        };
        for (id, target) in list {
            let target = context
                .element(target)
                .map(|e| e.name.clone())
                .or_else(|| {
                    context
                        .flow(target)
                        .map(|f| cat!("the flow ", flow_label(context, f)))
                })
                .unwrap_or_else(|| target.to_owned());
            push(cat!(fill(question, &[("target", &target)]), " (", id, ")"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::first_of_each;

    #[test]
    fn repeated_evidence_is_kept_once_in_the_order_first_found() {
        let mut texts: Vec<String> = ["b", "a", "b", "c", "a", "a", "d", "c"]
            .into_iter()
            .map(String::from)
            .collect();
        first_of_each(&mut texts);
        assert_eq!(texts, ["b", "a", "c", "d"]);
        let mut empty: Vec<String> = Vec::new();
        first_of_each(&mut empty);
        assert!(empty.is_empty());
    }
}
