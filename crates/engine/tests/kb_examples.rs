//! Runs every rule's `examples` from the knowledge base: each trigger model must produce the
//! rule's finding on the named target (mitigated when the example says so), and each ignore
//! model must produce no finding of that rule at all. A new rule needs no new test code.

use threatscribe_engine::analyze;
use threatscribe_intake::parse_model_value;
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::Status;

#[test]
fn every_rule_fires_on_its_triggers_and_not_on_its_ignores() {
    let kb = KnowledgeBase::builtin();
    let mut failures = Vec::new();
    for rule in &kb.rules {
        for (n, example) in rule.triggers.iter().enumerate() {
            let parsed = match parse_model_value(&example.model, "example", kb) {
                Ok(parsed) => parsed,
                Err(e) => {
                    failures.push(format!("{} ({}): trigger #{} is not a valid model: {e}", rule.id, rule.file, n + 1));
                    continue;
                }
            };
            let analysis = analyze(&parsed.model, kb);
            let target = example.target.as_deref().expect("the kb checks triggers name a target");
            let id = format!("{}@{target}", rule.id);
            // A baseline finding may be folded into a specific one; look at the raw rule hit
            // through the coverage of its id or the threat list.
            match analysis.threats.iter().find(|t| t.id == id) {
                None if rule.layer == threatscribe_kb::Layer::Baseline => {
                    // Absorbed baseline findings are fine only if a specific rule took their place.
                    let absorbed = analysis.log.iter().any(|l| l.message.contains(&format!("{id} into")));
                    if !absorbed {
                        failures.push(format!("{} ({}): trigger #{} did not fire on `{target}`", rule.id, rule.file, n + 1));
                    }
                }
                None => failures.push(format!("{} ({}): trigger #{} did not fire on `{target}`", rule.id, rule.file, n + 1)),
                Some(threat) => {
                    let want = if example.mitigated { Status::Mitigated } else { Status::Open };
                    if threat.status != want {
                        failures.push(format!("{} ({}): trigger #{} on `{target}` is {}, expected {}", rule.id, rule.file, n + 1, threat.status, want));
                    }
                }
            }
        }
        for (n, example) in rule.ignores.iter().enumerate() {
            let parsed = match parse_model_value(&example.model, "example", kb) {
                Ok(parsed) => parsed,
                Err(e) => {
                    failures.push(format!("{} ({}): ignore #{} is not a valid model: {e}", rule.id, rule.file, n + 1));
                    continue;
                }
            };
            let analysis = analyze(&parsed.model, kb);
            let fired: Vec<&str> = analysis.threats.iter().filter(|t| t.rule == rule.id).map(|t| t.id.as_str()).collect();
            let absorbed = analysis.log.iter().any(|l| l.message.contains(&format!("{}@", rule.id)));
            if !fired.is_empty() || (rule.layer == threatscribe_kb::Layer::Baseline && absorbed) {
                failures.push(format!("{} ({}): ignore #{} fired on {fired:?}", rule.id, rule.file, n + 1));
            }
        }
    }
    assert!(failures.is_empty(), "{} rule example(s) failed:\n{}", failures.len(), failures.join("\n"));
}
