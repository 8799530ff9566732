//! `threatscribe kb`: browse, check and document the knowledge base.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use threatscribe_kb::{KnowledgeBase, Layer, Subject};

use crate::error::CliError;
use crate::output;

/// Browse, check and document the knowledge base: threat rules, controls, technologies.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Include a rule pack (a directory laid out like kb/) on top of the built-in knowledge base.
    #[arg(long, value_name = "DIR", global = true)]
    pub kb: Option<PathBuf>,
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per rule.
    Text,
    /// Technologies, rules (with STRIDE, CWE, CAPEC, OWASP) and controls, for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// List every threat rule: id, layer, STRIDE letters, title.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Show one rule (by id, e.g. WEB003) or one technology (by catalog id or name) in full.
    Show {
        /// A rule id or a technology id or name.
        id: String,
    },
    /// List the technology catalog: id, name, category, tags.
    Technologies,
    /// List the properties a model may declare (and what values rules understand).
    Properties,
    /// Check the knowledge base (or a rule pack with --kb): references, controls no rule cites,
    /// tags nothing carries. Exits 2 when something is wrong.
    Lint,
    /// Write one Markdown page per rule, and an index, into a directory.
    Docs {
        /// Where to write the pages (docs/rules in this repository).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let kb = crate::knowledge::load(args.kb.as_deref())?;
    let mut out = String::new();
    match &args.command {
        KbCommand::List {
            format: ListFormat::Text,
        } => {
            for rule in &kb.rules {
                let layer = if rule.layer == Layer::Baseline {
                    "baseline"
                } else {
                    "specific"
                };
                let stride: String = rule.stride.iter().map(|s| s.letter()).collect();
                let _ = writeln!(
                    out,
                    "{:<9} {:<8} {:<6} {}",
                    rule.id, layer, stride, rule.title
                );
            }
        }
        KbCommand::List {
            format: ListFormat::Json,
        } => out = list_json(kb),
        KbCommand::Technologies => {
            for t in kb.catalog.iter() {
                let _ = writeln!(
                    out,
                    "{:<24} {:<28} {:<22} {}",
                    t.id,
                    t.name,
                    t.category,
                    t.tags.join(", ")
                );
            }
        }
        KbCommand::Properties => {
            for p in kb.properties.values() {
                let values = p.values.as_ref().map_or_else(
                    || "any value".to_owned(),
                    |v| {
                        v.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), ToOwned::to_owned))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    },
                );
                let _ = writeln!(
                    out,
                    "{:<20} on {:<40} {values}\n    {}",
                    p.id,
                    p.on.join(", "),
                    p.description
                );
            }
        }
        KbCommand::Show { id } => show(kb, id, &mut out)?,
        KbCommand::Lint => return lint(kb),
        KbCommand::Docs { out: dir } => return docs(kb, dir),
    }
    output::write(None, out.as_bytes())
}

fn list_json(kb: &KnowledgeBase) -> String {
    let technologies: Vec<_> = kb
        .catalog
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "aliases": t.aliases, "category": t.category, "implies": format!("{:?}", t.implies).to_lowercase(), "tags": t.tags}))
        .collect();
    let rules: Vec<_> = kb
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "title": r.title,
                "layer": if r.layer == Layer::Baseline { "baseline" } else { "specific" },
                "applies_to": if r.applies_to == Subject::Element { "element" } else { "flow" },
                "stride": r.stride, "likelihood": r.likelihood, "impact": r.impact,
                "cwe": r.cwe, "capec": r.capec, "owasp": r.owasp, "controls": r.controls, "file": format!("kb/{}", r.file),
            })
        })
        .collect();
    let controls: Vec<_> = kb
        .controls
        .values()
        .map(|c| json!({"id": c.id, "title": c.title, "technologies": c.technologies.keys().collect::<Vec<_>>(), "references": c.references}))
        .collect();
    let mut text = serde_json::to_string_pretty(
        &json!({"technologies": technologies, "rules": rules, "controls": controls}),
    )
    .expect("json");
    text.push('\n');
    text
}

fn lint(kb: &KnowledgeBase) -> Result<(), CliError> {
    let findings = kb.lint();
    for finding in &findings {
        eprintln!(
            "{}: {}",
            if finding.error { "error" } else { "warning" },
            finding.message
        );
    }
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.error)
        .map(|f| f.message.clone())
        .collect();
    if !errors.is_empty() {
        return Err(CliError::RulePack(errors));
    }
    println!(
        "knowledge base ok: {} rules, {} controls, {} technologies, {} tags, {} properties; {} warning(s)",
        kb.rules.len(),
        kb.controls.len(),
        kb.catalog.len(),
        kb.tags.len(),
        kb.properties.len(),
        findings.len()
    );
    Ok(())
}

fn docs(kb: &KnowledgeBase, dir: &std::path::Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for rule in &kb.rules {
        output::write(
            Some(&dir.join(format!("{}.md", rule.id))),
            threatscribe_kb::rule_page(kb, rule).as_bytes(),
        )?;
    }
    output::write(
        Some(&dir.join("README.md")),
        threatscribe_kb::index_page(kb).as_bytes(),
    )?;
    println!(
        "wrote {} rule pages and an index to {}",
        kb.rules.len(),
        dir.display()
    );
    Ok(())
}

/// One rule or one technology in full.
fn show(kb: &KnowledgeBase, id: &str, out: &mut String) -> Result<(), CliError> {
    if let Some(rule) = kb.rule(&id.to_ascii_uppercase()) {
        out.push_str(&threatscribe_kb::rule_page(kb, rule));
        out.push('\n');
    } else if let Some(t) = kb
        .catalog
        .lookup(id)
        .or_else(|| kb.catalog.lookup_protocol(id))
    {
        let _ = writeln!(
            out,
            "{} ({})\ncategory: {}\naliases: {}\ntags: {}\n\n{}",
            t.name,
            t.id,
            t.category,
            t.aliases.join(", "),
            t.tags.join(", "),
            t.description
        );
    } else {
        return Err(CliError::Unusable(format!(
            "no rule or technology `{id}` in the knowledge base (see `threatscribe kb list`)"
        )));
    }
    Ok(())
}
