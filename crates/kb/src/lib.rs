//! The knowledge base: the technology catalog, the threat rules and the controls, as YAML data
//! under the workspace's `kb/` directory, embedded in the binary and compiled on first use.
//!
//! This crate loads and checks the data and indexes it for lookup. It does not evaluate rules
//! against a model (that is the engine) and it does not parse model files (that is intake).
//!
//! Key decision: a rule is data, not code. Every file goes through two stages, raw serde structs
//! and then `compile`, which checks every reference (technology ids, tags, controls, STRIDE
//! categories, template placeholders) so that a bad rule fails `cargo test` here and never a
//! user's run. Adding a threat, a control or a technology is a YAML edit and nothing else.

mod catalog;
mod condition;
mod control;
mod docs;
mod error;
mod lint;
mod rule;

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

pub use catalog::{Catalog, Implies, Technology};
pub use condition::{Condition, Subject};
pub use control::Control;
pub use docs::{describe_condition, index_page, rule_page};
pub use error::{FilePosition, KbError};
pub use lint::LintFinding;
pub use rule::{Example, Layer, PLACEHOLDERS, Rule};

use condition::Vocabulary;
use error::{Text, parse};
use rule::RawRule;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// One tag of the vocabulary rules key on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub id: String,
    pub description: String,
}

/// One property of the vocabulary models may declare and rules may test.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertySpec {
    pub id: String,
    /// Where it belongs: `external_entity`, `process`, `data_store`, `flow`.
    pub on: Vec<String>,
    /// The values rules understand; `None` when free-form.
    #[serde(default)]
    pub values: Option<Vec<serde_json::Value>>,
    pub description: String,
}

/// The compiled knowledge base.
#[derive(Debug, PartialEq)]
pub struct KnowledgeBase {
    pub catalog: Catalog,
    /// Sorted by id.
    pub rules: Vec<Rule>,
    pub controls: BTreeMap<String, Control>,
    pub tags: BTreeMap<String, Tag>,
    pub properties: BTreeMap<String, PropertySpec>,
}

impl KnowledgeBase {
    /// The knowledge base compiled into this binary.
    pub fn builtin() -> &'static KnowledgeBase {
        static BUILTIN: OnceLock<KnowledgeBase> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            KnowledgeBase::compile(builtin_texts().collect::<Vec<_>>())
                .expect("the built-in knowledge base compiles: its unit test checks every file")
        })
    }

    /// The embedded files, as `(path under kb/, text)`.
    pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
        embedded::FILES
    }

    /// Compiles a set of knowledge-base files given as `(path under kb/, YAML text)`.
    /// Returns every problem found, not just the first.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, Vec<KbError>> {
        Self::compile(
            files
                .iter()
                .map(|&(path, text)| (path, Text::Yaml(text)))
                .collect(),
        )
    }

    #[allow(clippy::too_many_lines)] // one pass per kind of file, then the cross-checks
    fn compile(files: Vec<(&str, Text<'_>)>) -> Result<Self, Vec<KbError>> {
        let mut errors = Vec::new();
        let mut tags = BTreeMap::new();
        let mut properties = BTreeMap::new();
        let mut technology_files = Vec::new();
        let mut control_files = Vec::new();
        let mut rule_files = Vec::new();
        for (full_path, text) in files {
            let path = layout_path(full_path);
            if path == "tags.yaml" || path.starts_with("tags/") {
                match parse::<Vec<Tag>>(full_path, text) {
                    Ok(list) => {
                        for tag in list {
                            if tags.insert(tag.id.clone(), tag.clone()).is_some() {
                                errors.push(KbError::invalid(
                                    full_path,
                                    &tag.id,
                                    "tag is declared twice",
                                ));
                            }
                        }
                    }
                    Err(e) => errors.push(e),
                }
            } else if path == "properties.yaml" || path.starts_with("properties/") {
                match parse::<Vec<PropertySpec>>(full_path, text) {
                    Ok(list) => {
                        for property in list {
                            let places = ["external_entity", "process", "data_store", "flow"];
                            if let Some(bad) =
                                property.on.iter().find(|p| !places.contains(&p.as_str()))
                            {
                                errors.push(KbError::invalid(
                                    full_path,
                                    &property.id,
                                    format!("`on: {bad}` is not one of {}", places.join(", ")),
                                ));
                            }
                            if properties
                                .insert(property.id.clone(), property.clone())
                                .is_some()
                            {
                                errors.push(KbError::invalid(
                                    full_path,
                                    &property.id,
                                    "property is declared twice",
                                ));
                            }
                        }
                    }
                    Err(e) => errors.push(e),
                }
            } else if path.starts_with("technologies/") {
                match parse::<Vec<Technology>>(full_path, text) {
                    Ok(list) => technology_files.push((full_path.to_owned(), list)),
                    Err(e) => errors.push(e),
                }
            } else if path.starts_with("controls/") {
                match parse::<Vec<Control>>(full_path, text) {
                    Ok(list) => control_files.push((full_path, list)),
                    Err(e) => errors.push(e),
                }
            } else if path.starts_with("threats/") {
                match parse::<RawRule>(full_path, text) {
                    Ok(rule) => rule_files.push((full_path, rule)),
                    Err(e) => errors.push(e),
                }
            } else {
                errors.push(KbError::invalid(full_path, full_path, "unexpected file: the knowledge base holds tags.yaml, tags/, properties.yaml, properties/, technologies/, controls/ and threats/"));
            }
        }

        let catalog = match Catalog::build(technology_files) {
            Ok(catalog) => catalog,
            Err(e) => {
                errors.push(e);
                Catalog::default()
            }
        };
        for technology in catalog.iter() {
            for tag in &technology.tags {
                if !tags.contains_key(tag) {
                    errors.push(KbError::invalid(
                        "technologies/",
                        &technology.id,
                        format!("unknown tag `{tag}` (declare it in kb/tags.yaml)"),
                    ));
                }
            }
        }

        let mut controls = BTreeMap::new();
        for (file, list) in control_files {
            for control in list {
                if !threatscribe_model::is_valid_id(&control.id) {
                    errors.push(KbError::invalid(
                        file,
                        &control.id,
                        "control id must be lowercase kebab-case",
                    ));
                }
                for technology in control.technologies.keys() {
                    if catalog.get(technology).is_none() {
                        errors.push(KbError::invalid(
                            file,
                            &control.id,
                            format!("guidance for unknown technology `{technology}`"),
                        ));
                    }
                }
                if control.guidance.trim().is_empty() {
                    errors.push(KbError::invalid(file, &control.id, "guidance is empty"));
                }
                if controls.insert(control.id.clone(), control).is_some() {
                    errors.push(KbError::invalid(
                        file,
                        file,
                        "a control id is defined twice",
                    ));
                }
            }
        }

        let tag_ids: HashSet<String> = tags.keys().cloned().collect();
        let vocabulary = Vocabulary {
            catalog: &catalog,
            tags: &tag_ids,
            properties: &properties,
        };
        let mut rules: Vec<Rule> = Vec::new();
        for (file, raw) in rule_files {
            match compile_rule(file, raw, &vocabulary, &controls) {
                Ok(rule) => {
                    if let Some(other) = rules.iter().find(|r| r.id == rule.id) {
                        errors.push(KbError::invalid(
                            file,
                            &rule.id,
                            format!("rule id is already used by kb/{}", other.file),
                        ));
                    } else {
                        rules.push(rule);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        for rule in &rules {
            for absorbed in &rule.absorbs {
                let fits = rule.layer == Layer::Specific
                    && rules.iter().any(|r| {
                        r.id == *absorbed
                            && r.layer == Layer::Baseline
                            && r.applies_to == rule.applies_to
                    });
                if !fits {
                    errors.push(KbError::invalid(&rule.file, &rule.id, format!("`absorbs: {absorbed}` must name a baseline rule about the same kind of target, from a specific rule")));
                }
            }
        }

        if errors.is_empty() {
            Ok(KnowledgeBase {
                catalog,
                rules,
                controls,
                tags,
                properties,
            })
        } else {
            Err(errors)
        }
    }

    /// The built-in knowledge base plus a user rule pack: `(path, text)` files laid out like kb/
    /// (threats/, controls/, technologies/, tags/, properties/). A pack rule with the id of a
    /// built-in rule replaces it; everything else is added, and must not clash.
    pub fn with_pack(pack: &[(String, String)]) -> Result<Self, Vec<KbError>> {
        #[derive(Deserialize)]
        struct IdOnly {
            id: String,
        }
        let overridden: Vec<String> = pack
            .iter()
            .filter(|(path, _)| layout_path(path).starts_with("threats/"))
            .filter_map(|(_, text)| serde_saphyr::from_str::<IdOnly>(text).ok())
            .map(|r| r.id)
            .collect();
        let mut files: Vec<(&str, Text<'_>)> = builtin_texts()
            .filter(|(path, _)| {
                let name = path.rsplit('/').next().unwrap_or(path);
                !(path.starts_with("threats/")
                    && overridden
                        .iter()
                        .any(|id| name.starts_with(&format!("{id}-"))))
            })
            .collect();
        files.extend(pack.iter().map(|(p, t)| (p.as_str(), Text::Yaml(t))));
        Self::compile(files)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}

/// The part of a path from the knowledge-base layout on: `mypack/threats/x.yaml` ->
/// `threats/x.yaml`. Built-in paths are already relative to kb/.
pub(crate) fn layout_path(path: &str) -> &str {
    const LAYOUT: [&str; 7] = [
        "tags.yaml",
        "tags",
        "properties.yaml",
        "properties",
        "technologies",
        "controls",
        "threats",
    ];
    let mut offset = 0;
    for part in path.split('/') {
        if LAYOUT.contains(&part) {
            return &path[offset..];
        }
        offset += part.len() + 1;
    }
    path
}

fn is_rule_id(id: &str) -> bool {
    let letters = id.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = &id[letters..];
    (2..=8).contains(&letters) && digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_reference(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `A05:2025`, `API1:2023`, `LLM01:2025`, `MASVS-AUTH-1`.
fn is_owasp_reference(id: &str) -> bool {
    if id.starts_with("MASVS-") {
        return true;
    }
    let Some((item, year)) = id.split_once(':') else {
        return false;
    };
    let letters = item.bytes().take_while(u8::is_ascii_uppercase).count();
    letters > 0
        && item.len() > letters
        && item[letters..].bytes().all(|b| b.is_ascii_digit())
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
}

/// The `{name}` placeholders a template uses.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

#[allow(clippy::too_many_lines)] // the checks a rule file must pass, in the order of its fields
fn compile_rule(
    file: &str,
    raw: RawRule,
    vocabulary: &Vocabulary<'_>,
    controls: &BTreeMap<String, Control>,
) -> Result<Rule, KbError> {
    let id = raw.id.clone();
    let fail = |problem: String| KbError::invalid(file, &id, problem);
    if !is_rule_id(&id) {
        return Err(fail(
            "rule id must be an uppercase area prefix and three digits, like WEB003".into(),
        ));
    }
    let file_name = file.rsplit('/').next().unwrap_or(file);
    if !file_name.starts_with(&format!("{id}-")) {
        return Err(fail(format!(
            "the file of rule {id} must be named {id}-<slug>.yaml"
        )));
    }
    let stride = raw.stride.into_vec();
    if stride.is_empty() {
        return Err(fail("`stride` needs at least one category".into()));
    }
    if raw.layer == Layer::Baseline && stride.len() != 1 {
        return Err(fail(
            "a baseline rule covers exactly one STRIDE category".into(),
        ));
    }
    for (i, s) in stride.iter().enumerate() {
        if stride[..i].contains(s) {
            return Err(fail(format!("STRIDE category `{s}` is listed twice")));
        }
    }
    let when = raw
        .when
        .map(|c| c.compile(raw.applies_to, vocabulary))
        .transpose()
        .map_err(|e| fail(format!("when: {e}")))?;
    if when.is_none() && raw.layer == Layer::Specific {
        return Err(fail("a specific rule says `when:` it applies".into()));
    }
    let mitigated_when = raw
        .mitigated_when
        .map(|c| c.compile(raw.applies_to, vocabulary))
        .transpose()
        .map_err(|e| fail(format!("mitigated_when: {e}")))?;
    if let Some(name) = raw
        .question
        .as_deref()
        .into_iter()
        .flat_map(placeholders)
        .find(|n| *n != "target")
    {
        return Err(fail(format!(
            "a question may only use `{{target}}`, not `{{{name}}}`"
        )));
    }
    for text in [&raw.title, &raw.description] {
        for name in placeholders(text) {
            let known = PLACEHOLDERS.iter().any(|(p, _)| *p == name);
            let fits = match name {
                "from" | "to" | "protocol" => raw.applies_to == Subject::Flow,
                "peers" | "peer_data" => raw.applies_to == Subject::Element,
                _ => true,
            };
            if !known || !fits {
                return Err(fail(format!(
                    "placeholder `{{{name}}}` is unknown or does not fit a rule on a {:?}",
                    raw.applies_to
                )));
            }
        }
    }
    if raw.description.trim().len() < 40 {
        return Err(fail(
            "description is too short to tell a reviewer what goes wrong".into(),
        ));
    }
    if let Some(bad) = raw.cwe.iter().find(|c| !is_reference(c, "CWE-")) {
        return Err(fail(format!("`{bad}` is not a CWE id like CWE-89")));
    }
    if let Some(bad) = raw.capec.iter().find(|c| !is_reference(c, "CAPEC-")) {
        return Err(fail(format!("`{bad}` is not a CAPEC id like CAPEC-66")));
    }
    if let Some(bad) = raw.owasp.iter().find(|c| !is_owasp_reference(c)) {
        return Err(fail(format!(
            "`{bad}` is not an OWASP id like A05:2025 or API1:2023"
        )));
    }
    if raw.layer == Layer::Specific && raw.cwe.is_empty() {
        return Err(fail("a specific rule names at least one CWE".into()));
    }
    if raw.controls.is_empty() {
        return Err(fail("a rule names at least one control".into()));
    }
    if let Some(unknown) = raw.controls.iter().find(|c| !controls.contains_key(*c)) {
        return Err(fail(format!("unknown control `{unknown}`")));
    }
    if raw.examples.triggers.is_empty() {
        return Err(fail(
            "a rule needs at least one `examples.triggers` model".into(),
        ));
    }
    if raw.layer == Layer::Specific && raw.examples.ignores.is_empty() {
        return Err(fail(
            "a specific rule needs at least one `examples.ignores` model".into(),
        ));
    }
    if raw.examples.triggers.iter().any(|e| e.target.is_none()) {
        return Err(fail(
            "every trigger example names the `target` the rule must fire on".into(),
        ));
    }
    let used: Vec<&str> = placeholders(&raw.title)
        .chain(placeholders(&raw.description))
        .collect();
    let placeholders = (PLACEHOLDERS.iter().map(|(name, _)| *name))
        .filter(|name| used.contains(name))
        .collect();
    Ok(Rule {
        placeholders,
        id: raw.id,
        title: raw.title,
        layer: raw.layer,
        stride,
        applies_to: raw.applies_to,
        when,
        mitigated_when,
        description: raw.description.trim().to_owned(),
        likelihood: raw.likelihood,
        impact: raw.impact,
        cwe: raw.cwe,
        capec: raw.capec,
        owasp: raw.owasp,
        controls: raw.controls,
        references: raw.references,
        question: raw.question.map(|q| q.trim().to_owned()),
        absorbs: raw.absorbs,
        triggers: raw.examples.triggers,
        ignores: raw.examples.ignores,
        file: file.to_owned(),
    })
}

/// The built-in files, each as JSON where the build converted it.
fn builtin_texts() -> impl Iterator<Item = (&'static str, Text<'static>)> {
    embedded::FILES
        .iter()
        .zip(embedded::JSON)
        .map(|(&(path, yaml), json)| (path, json.map_or(Text::Yaml(yaml), Text::Json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_knowledge_base_compiles() {
        match KnowledgeBase::from_files(KnowledgeBase::builtin_files()) {
            Ok(kb) => {
                assert!(!kb.rules.is_empty());
                assert!(kb.catalog.len() > 10);
            }
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!(
                    "the knowledge base has {} problem(s):\n{}",
                    list.len(),
                    list.join("\n")
                );
            }
        }
    }

    #[test]
    fn the_json_the_build_converted_compiles_to_the_same_knowledge_base_as_the_yaml() {
        let unconverted: Vec<&str> = embedded::FILES
            .iter()
            .zip(embedded::JSON)
            .filter(|(_, json)| json.is_none())
            .map(|((path, _), _)| *path)
            .collect();
        assert!(
            unconverted.is_empty(),
            "read as YAML at every run: {unconverted:?}"
        );
        let from_yaml = KnowledgeBase::from_files(KnowledgeBase::builtin_files())
            .expect("the built-in knowledge base compiles");
        // Not `assert_eq!`: printed whole, the knowledge base is 20,000 lines.
        assert!(
            from_yaml == *KnowledgeBase::builtin(),
            "the built-in knowledge base read from JSON differs from the YAML"
        );
    }

    #[test]
    fn every_control_and_tag_is_used() {
        let kb = KnowledgeBase::builtin();
        for control in kb.controls.keys() {
            assert!(
                kb.rules.iter().any(|r| r.controls.contains(control)),
                "control `{control}` is not used by any rule"
            );
        }
    }

    #[test]
    fn rule_errors_point_at_the_file_and_line() {
        let files = [(
            "threats/web/WEB900-bad.yaml",
            "id: WEB900\ntitle: x\nstride: [spoofing]\nbogus: 1\n",
        )];
        let errors = KnowledgeBase::from_files(&files).expect_err("unknown field must fail");
        let text = errors[0].to_string();
        assert!(
            text.starts_with("kb/threats/web/WEB900-bad.yaml:"),
            "{text}"
        );
        assert!(text.contains("bogus"), "{text}");
    }

    #[test]
    fn unknown_tags_and_technologies_in_conditions_are_rejected() {
        let rule = |when: &str| {
            format!(
                "id: WEB900\ntitle: t\nstride: spoofing\napplies_to: element\nwhen: {when}\n\
                 description: a description long enough to pass the length check here\n\
                 likelihood: low\nimpact: low\ncwe: [CWE-1]\ncontrols: []\n\
                 examples: {{triggers: [], ignores: []}}\n"
            )
        };
        for (when, expected) in [
            ("{tag: no-such-tag}", "unknown tag `no-such-tag`"),
            (
                "{technology: no-such-tech}",
                "unknown technology `no-such-tech`",
            ),
            ("{encrypted: true}", "`encrypted` applies to flows"),
            ("{property: {imdsv3: on}}", "unknown property `imdsv3`"),
        ] {
            let text = rule(when);
            let errors =
                KnowledgeBase::from_files(&[("threats/web/WEB900-x.yaml", &text)]).expect_err(when);
            assert!(
                errors.iter().any(|e| e.to_string().contains(expected)),
                "{when}: {errors:?}"
            );
        }
    }

    #[test]
    fn ids_and_references_are_checked() {
        assert!(is_rule_id("WEB003"));
        assert!(is_rule_id("CLOUD007"));
        assert!(!is_rule_id("web003"));
        assert!(!is_rule_id("WEB03"));
        assert!(is_owasp_reference("A05:2025"));
        assert!(is_owasp_reference("API1:2023"));
        assert!(is_owasp_reference("LLM01:2025"));
        assert!(!is_owasp_reference("A05"));
        assert!(is_reference("CWE-89", "CWE-"));
        assert!(!is_reference("CWE-", "CWE-"));
    }
}

#[cfg(test)]
mod docs_tests {
    use super::*;

    /// docs/rules holds one page per rule and an index, exactly as `threatscribe kb docs`
    /// writes them.
    #[test]
    fn checked_in_rule_docs_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
        let kb = KnowledgeBase::builtin();
        let mut expected: Vec<(String, String)> = kb
            .rules
            .iter()
            .map(|r| (format!("{}.md", r.id), rule_page(kb, r)))
            .collect();
        expected.push(("README.md".into(), index_page(kb)));
        let mut stale = Vec::new();
        for (name, text) in &expected {
            if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
                stale.push(name.clone());
            }
        }
        let on_disk = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let extra: Vec<&String> = on_disk
            .iter()
            .filter(|n| !expected.iter().any(|(e, _)| e == *n))
            .collect();
        assert!(
            stale.is_empty() && extra.is_empty(),
            "docs/rules is stale ({stale:?} differ, {extra:?} are extra): run `cargo run -- kb docs --out docs/rules`"
        );
    }
}
