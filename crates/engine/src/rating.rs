//! Risk rating: likelihood x impact on a fixed matrix, after context modifiers.
//!
//! The rule gives a base likelihood and impact for an ordinary deployment. Two modifiers then
//! apply, each at most one step, and every step is written into the threat's reasoning:
//!
//! 1. Exposure raises likelihood one step when the target is reachable from the internet (an
//!    element that receives flows from the internet or is declared `internet_facing`, or a flow
//!    whose source sits on the internet).
//! 2. Data raises impact one step when restricted data is held or carried by the target (a data
//!    store or a flow), and lowers it one step when every data asset at stake is public. A
//!    process touches everything that passes through it, so for processes the rule's own impact
//!    stands and only the lowering applies. The modifier concerns threats that expose or alter
//!    data (spoofing, tampering, information disclosure, elevation of privilege), not threats
//!    that only deny service or deny actions.
//!
//! Baseline findings (the generic STRIDE coverage) are capped at medium: a statement that holds
//! for every element of a kind never outranks a weakness named for this element.
//!
//! | likelihood \ impact | low    | medium | high     |
//! |---------------------|--------|--------|----------|
//! | low                 | low    | low    | medium   |
//! | medium              | low    | medium | high     |
//! | high                | medium | high   | critical |

use threatscribe_model::{Classification, Impact, Likelihood, Severity, Stride};

/// The matrix above.
pub fn severity(likelihood: Likelihood, impact: Impact) -> Severity {
    use Impact as I;
    use Likelihood as L;
    match (likelihood, impact) {
        (L::Low, I::Low | I::Medium) | (L::Medium, I::Low) => Severity::Low,
        (L::Low, I::High) | (L::Medium, I::Medium) | (L::High, I::Low) => Severity::Medium,
        (L::Medium, I::High) | (L::High, I::Medium) => Severity::High,
        (L::High, I::High) => Severity::Critical,
    }
}

/// What the rating needs to know about the threat's context.
pub struct RatingInput<'a> {
    /// Whether to write the reasoning. Without, it is left empty, and `exposure` and the data
    /// names count only for being there.
    pub explain: bool,
    pub rule: &'a str,
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub categories: &'a [Stride],
    /// Why the target is exposed to the internet, when it is.
    pub exposure: Option<String>,
    /// The most sensitive classification at stake, with the names of the data at that level.
    pub data: Option<(Classification, Vec<&'a str>)>,
    /// True when every data asset at stake is public (and there is at least one).
    pub only_public_data: bool,
    /// True when the target holds or carries the data itself (a data store or a flow).
    pub holds_data: bool,
    /// The highest severity this finding may get (baseline findings: medium).
    pub cap: Option<Severity>,
}

pub struct Rating {
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub severity: Severity,
    pub reasoning: Vec<String>,
}

pub fn rate(input: &RatingInput<'_>) -> Rating {
    let mut likelihood = input.likelihood;
    let mut impact = input.impact;
    let mut reasoning = Vec::new();
    // A line of reasoning, from its pieces, written only when it is asked for (a finding's
    // lines are written again each time it is: concatenation, not `format!`, keeps that cheap).
    macro_rules! say {
        ($($piece:expr),+ $(,)?) => {
            if input.explain {
                reasoning.push([$(AsRef::<str>::as_ref(&$piece)),+].concat());
            }
        };
    }
    say!(
        "Base rating of ",
        input.rule,
        ": likelihood ",
        likelihood.as_str(),
        ", impact ",
        impact.as_str(),
        "."
    );
    if let Some(why) = &input.exposure {
        let raised = likelihood.raised();
        if raised == likelihood {
            say!("Internet exposure (", why, "); likelihood already high.");
        } else {
            say!("Likelihood raised to ", raised.as_str(), ": ", why, ".");
            likelihood = raised;
        }
    }
    let data_matters = input.categories.iter().any(|c| {
        matches!(
            c,
            Stride::Spoofing
                | Stride::Tampering
                | Stride::InformationDisclosure
                | Stride::ElevationOfPrivilege
        )
    });
    if data_matters {
        match &input.data {
            Some((Classification::Restricted, names)) if input.holds_data => {
                let raised = impact.raised();
                if raised == impact {
                    say!(
                        "Restricted data at stake (",
                        names.join(", "),
                        "); impact already high."
                    );
                } else {
                    say!(
                        "Impact raised to ",
                        raised.as_str(),
                        ": restricted data at stake (",
                        names.join(", "),
                        ")."
                    );
                    impact = raised;
                }
            }
            _ if input.only_public_data => {
                let lowered = impact.lowered();
                if lowered != impact {
                    say!(
                        "Impact lowered to ",
                        lowered.as_str(),
                        ": only public data at stake."
                    );
                    impact = lowered;
                }
            }
            _ => {}
        }
    }
    let mut severity = severity(likelihood, impact);
    say!(
        "Likelihood ",
        likelihood.as_str(),
        " x impact ",
        impact.as_str(),
        " = ",
        severity.as_str(),
        " on the rating matrix."
    );
    if let Some(cap) = input.cap.filter(|cap| severity > *cap) {
        say!(
            "Capped at ",
            cap.as_str(),
            ": a generic STRIDE finding never outranks a specific one."
        );
        severity = cap;
    }
    Rating {
        likelihood,
        impact,
        severity,
        reasoning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_monotonic() {
        for l in Likelihood::ALL {
            for i in Impact::ALL {
                assert!(severity(l, i) <= severity(l.raised(), i));
                assert!(severity(l, i) <= severity(l, i.raised()));
            }
        }
        assert_eq!(severity(Likelihood::High, Impact::High), Severity::Critical);
        assert_eq!(severity(Likelihood::Low, Impact::Low), Severity::Low);
    }

    #[test]
    fn exposure_and_restricted_data_raise_with_reasons() {
        let rating = rate(&RatingInput {
            explain: true,
            rule: "WEB001",
            likelihood: Likelihood::Medium,
            impact: Impact::Medium,
            categories: &[Stride::Tampering],
            exposure: Some("it receives flows from Users on the internet".into()),
            data: Some((Classification::Restricted, vec!["Credentials"])),
            only_public_data: false,
            holds_data: true,
            cap: None,
        });
        assert_eq!(
            (rating.likelihood, rating.impact, rating.severity),
            (Likelihood::High, Impact::High, Severity::Critical)
        );
        assert_eq!(rating.reasoning.len(), 4, "{:?}", rating.reasoning);
        assert!(rating.reasoning[2].contains("Credentials"));
    }

    #[test]
    fn data_does_not_move_denial_of_service() {
        let rating = rate(&RatingInput {
            explain: true,
            rule: "WEB010",
            likelihood: Likelihood::Medium,
            impact: Impact::Medium,
            categories: &[Stride::DenialOfService],
            exposure: None,
            data: Some((Classification::Restricted, vec!["Credentials"])),
            only_public_data: false,
            holds_data: true,
            cap: None,
        });
        assert_eq!(rating.severity, Severity::Medium);
    }

    #[test]
    fn processes_keep_their_impact_and_baseline_is_capped() {
        let rating = rate(&RatingInput {
            explain: true,
            rule: "BASE001",
            likelihood: Likelihood::Medium,
            impact: Impact::High,
            categories: &[Stride::Spoofing],
            exposure: Some("reachable".into()),
            data: Some((Classification::Restricted, vec!["Credentials"])),
            only_public_data: false,
            holds_data: false,
            cap: Some(Severity::Medium),
        });
        assert_eq!(
            (rating.likelihood, rating.impact),
            (Likelihood::High, Impact::High)
        );
        assert_eq!(rating.severity, Severity::Medium);
        assert!(
            rating
                .reasoning
                .last()
                .is_some_and(|r| r.starts_with("Capped at medium"))
        );
    }
}
