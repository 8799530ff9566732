//! `threatscribe kb`: browse the built-in knowledge base.

use std::fmt::Write as _;

use clap::Subcommand;
use threatscribe_kb::{KnowledgeBase, Layer};

use crate::error::CliError;
use crate::output;

/// Browse the built-in knowledge base: its threat rules, controls and technologies.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// List every threat rule: id, STRIDE categories, title.
    List,
    /// Show one rule (by id, e.g. WEB003) or one technology (by catalog id or name) in full.
    Show {
        /// A rule id or a technology id or name.
        id: String,
    },
    /// List the technology catalog: id, name, category, tags.
    Technologies,
    /// List the properties a model may declare (and what values rules understand).
    Properties,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let kb = KnowledgeBase::builtin();
    let mut out = String::new();
    match &args.command {
        KbCommand::List => {
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
        KbCommand::Technologies => {
            for t in kb.catalog.iter() {
                let _ = writeln!(
                    out,
                    "{:<18} {:<22} {:<20} {}",
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
    }
    output::write(None, out.as_bytes())
}

/// One rule or one technology in full.
fn show(kb: &KnowledgeBase, id: &str, out: &mut String) -> Result<(), CliError> {
    if let Some(rule) = kb.rule(&id.to_ascii_uppercase()) {
        let _ = writeln!(out, "{} {}\nfile: kb/{}", rule.id, rule.title, rule.file);
        let _ = writeln!(
            out,
            "stride: {}",
            rule.stride
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            out,
            "likelihood: {}, impact: {}",
            rule.likelihood, rule.impact
        );
        let _ = writeln!(
            out,
            "references: {}",
            rule.cwe
                .iter()
                .chain(&rule.capec)
                .chain(&rule.owasp)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            out,
            "controls: {}\n\n{}",
            rule.controls.join(", "),
            rule.description
        );
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
