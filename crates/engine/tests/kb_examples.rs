//! Runs every rule's `examples` from the knowledge base: each trigger model must produce the
//! rule's finding on the named target (mitigated when the example says so), and each ignore
//! model must produce no finding of that rule at all. A new rule needs no new test code.

use threatscribe_engine::{Analysis, analyze};
use threatscribe_intake::parse_model_value;
use threatscribe_kb::{Example, KnowledgeBase, Rule};
use threatscribe_model::Status;

fn run(rule: &Rule, what: &str, n: usize, example: &Example) -> Result<Analysis, String> {
    let kb = KnowledgeBase::builtin();
    parse_model_value(&example.model, "example", kb)
        .map(|parsed| analyze(&parsed.model, kb))
        .map_err(|e| {
            format!(
                "{} ({}): {what} #{n} is not a valid model: {e}",
                rule.id, rule.file
            )
        })
}

/// True when the rule fired on `id` but a specific finding absorbed it (baseline rules only).
fn absorbed(analysis: &Analysis, id: &str) -> bool {
    analysis
        .log
        .iter()
        .any(|l| l.message.contains(&format!("{id} into")))
}

fn check_trigger(rule: &Rule, n: usize, example: &Example) -> Result<(), String> {
    let analysis = run(rule, "trigger", n, example)?;
    let target = example
        .target
        .as_deref()
        .expect("the kb checks that triggers name a target");
    let id = format!("{}@{target}", rule.id);
    let Some(threat) = analysis.threats.iter().find(|t| t.id == id) else {
        return if absorbed(&analysis, &id) {
            Ok(())
        } else {
            Err(format!(
                "{} ({}): trigger #{n} did not fire on `{target}`",
                rule.id, rule.file
            ))
        };
    };
    let want = if example.mitigated {
        Status::Mitigated
    } else {
        Status::Open
    };
    if threat.status == want {
        Ok(())
    } else {
        Err(format!(
            "{} ({}): trigger #{n} on `{target}` is {}, expected {want}",
            rule.id, rule.file, threat.status
        ))
    }
}

fn check_ignore(rule: &Rule, n: usize, example: &Example) -> Result<(), String> {
    let analysis = run(rule, "ignore", n, example)?;
    let fired: Vec<&str> = analysis
        .threats
        .iter()
        .filter(|t| t.rule == rule.id)
        .map(|t| t.id.as_str())
        .collect();
    let folded = analysis
        .log
        .iter()
        .any(|l| l.message.contains(&format!("{}@", rule.id)) && l.message.contains(" into "));
    if fired.is_empty() && !(rule.layer == threatscribe_kb::Layer::Baseline && folded) {
        Ok(())
    } else {
        Err(format!(
            "{} ({}): ignore #{n} fired on {fired:?}",
            rule.id, rule.file
        ))
    }
}

#[test]
fn every_rule_fires_on_its_triggers_and_not_on_its_ignores() {
    let kb = KnowledgeBase::builtin();
    let mut failures = Vec::new();
    for rule in &kb.rules {
        for (n, example) in rule.triggers.iter().enumerate() {
            failures.extend(check_trigger(rule, n + 1, example).err());
        }
        for (n, example) in rule.ignores.iter().enumerate() {
            failures.extend(check_ignore(rule, n + 1, example).err());
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_rule_that_misfires_is_caught() {
    // The checker itself must fail on a wrong expectation, or the test above proves nothing.
    let kb = KnowledgeBase::builtin();
    let rule = kb.rule("WEB001").expect("WEB001 exists");
    let ignore_as_trigger = Example {
        target: Some("app".into()),
        mitigated: false,
        model: rule.ignores[0].model.clone(),
    };
    assert!(check_trigger(rule, 1, &ignore_as_trigger).is_err());
    let trigger_as_ignore = Example {
        target: None,
        mitigated: false,
        model: rule.triggers[0].model.clone(),
    };
    assert!(check_ignore(rule, 1, &trigger_as_ignore).is_err());
}
