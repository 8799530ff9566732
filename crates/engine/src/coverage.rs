//! The coverage matrix: every element and flow against every STRIDE category.

use serde::Serialize;
use threatscribe_model::{ElementKind, Status, Stride};

use crate::streaming::Outline;

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CoverageCell {
    /// At least one open threat falls in this category.
    Found { threats: Vec<String> },
    /// Threats fall in this category and the model declares each handled.
    Mitigated { threats: Vec<String> },
    /// The category does not apply to this kind of element, and why.
    NotApplicable { reason: &'static str },
    /// The category applies but no rule produced a threat: a hole in the knowledge base.
    Gap,
}

/// One row: an element or a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub target: String,
    pub name: String,
    /// `external_entity`, `process`, `data_store` or `flow`.
    pub kind: String,
    /// One cell per STRIDE category, in S, T, R, I, D, E order.
    pub cells: Vec<(Stride, CoverageCell)>,
}

/// Each STRIDE category, in S, T, R, I, D, E order, with the reason when it does not apply.
pub type Applicable = Vec<(Stride, Result<(), &'static str>)>;

/// Which STRIDE categories apply to a DFD element (Microsoft SDL's STRIDE-per-element chart),
/// each with the reason when it does not.
pub fn applicable_categories(
    kind: Option<ElementKind>,
    holds_logs: bool,
    crosses_boundary: bool,
) -> Applicable {
    Stride::ALL
        .iter()
        .map(|&stride| {
            let verdict = match (kind, stride) {
                (Some(ElementKind::Process), _)
                | (Some(ElementKind::ExternalEntity), Stride::Spoofing | Stride::Repudiation)
                | (Some(ElementKind::DataStore) | None, Stride::Tampering | Stride::InformationDisclosure | Stride::DenialOfService) => Ok(()),
                (Some(ElementKind::DataStore), Stride::Repudiation) if holds_logs => Ok(()),
                (None, Stride::Spoofing | Stride::ElevationOfPrivilege) if crosses_boundary => Ok(()),
                (Some(ElementKind::ExternalEntity), _) => {
                    Err("external entities are outside the system: only their identity (S) and their denial of actions (R) are in scope")
                }
                (Some(ElementKind::DataStore), Stride::Repudiation) => Err("the store holds no logs or audit records (tag it `logs` if it does)"),
                (Some(ElementKind::DataStore), _) => Err("a data store runs no code of its own: it cannot be impersonated or gain privileges"),
                (None, Stride::Repudiation) => Err("a flow performs no action that could be denied"),
                (None, _) => Err("the flow stays inside one trust boundary"),
            };
            (stride, verdict)
        })
        .collect()
}

/// The categories of a row that are gaps: they apply, and no finding on the target falls in
/// them. The same cells `row` marks `Gap`, without writing the row.
pub(crate) fn gaps<'r>(
    applicable: &'r [(Stride, Result<(), &'static str>)],
    threats: &'r [Outline<'_>],
) -> impl Iterator<Item = Stride> + 'r {
    (applicable.iter())
        .filter(|(stride, verdict)| {
            verdict.is_ok() && !threats.iter().any(|t| t.categories.contains(stride))
        })
        .map(|(stride, _)| *stride)
}

pub(crate) fn row(
    target: &str,
    name: &str,
    kind: &str,
    applicable: &[(Stride, Result<(), &'static str>)],
    threats: &[Outline<'_>],
) -> CoverageRow {
    let cells = applicable
        .iter()
        .map(|(stride, verdict)| {
            // `threats` are this target's only.
            let on_target: Vec<&Outline<'_>> = threats
                .iter()
                .filter(|t| t.categories.contains(stride))
                .collect();
            let ids = |status: Option<Status>| -> Vec<String> {
                on_target
                    .iter()
                    .filter(|t| status.is_none_or(|s| t.status == s))
                    .map(|t| t.id.to_owned())
                    .collect()
            };
            let cell = if on_target.iter().any(|t| t.status == Status::Open) {
                CoverageCell::Found {
                    threats: ids(Some(Status::Open)),
                }
            } else if !on_target.is_empty() {
                CoverageCell::Mitigated { threats: ids(None) }
            } else {
                match verdict {
                    Ok(()) => CoverageCell::Gap,
                    Err(reason) => CoverageCell::NotApplicable { reason },
                }
            };
            (*stride, cell)
        })
        .collect();
    CoverageRow {
        target: target.to_owned(),
        name: name.to_owned(),
        kind: kind.to_owned(),
        cells,
    }
}

#[cfg(test)]
mod tests {
    use threatscribe_model::{ElementKind, Severity, Status, Stride};

    use super::{CoverageCell, applicable_categories, gaps, row};
    use crate::streaming::Outline;

    /// The reviewer's gap check and the report's rows must agree on every cell: for each kind
    /// of target, with findings in no, one or several categories, open or mitigated.
    #[test]
    fn gaps_are_the_cells_a_row_marks_gap() {
        let kinds = [
            Some(ElementKind::Process),
            Some(ElementKind::DataStore),
            Some(ElementKind::ExternalEntity),
            None,
        ];
        let category_sets: [&[Stride]; 4] = [
            &[],
            &[Stride::Spoofing],
            &[Stride::Tampering, Stride::InformationDisclosure],
            &[
                Stride::Repudiation,
                Stride::DenialOfService,
                Stride::ElevationOfPrivilege,
            ],
        ];
        let mut compared_gaps = 0;
        for kind in kinds {
            for flag in [false, true] {
                let applicable = applicable_categories(kind, flag, flag);
                for categories in category_sets {
                    for status in [Status::Open, Status::Mitigated] {
                        let threats: Vec<Outline<'_>> = (categories.first())
                            .map(|&stride| Outline {
                                id: "R@t",
                                rule: "R",
                                target: "t",
                                stride,
                                categories,
                                severity: Severity::Medium,
                                status,
                            })
                            .into_iter()
                            .collect();
                        let written: Vec<Stride> = (row("t", "T", "k", &applicable, &threats)
                            .cells)
                            .into_iter()
                            .filter(|(_, cell)| *cell == CoverageCell::Gap)
                            .map(|(stride, _)| stride)
                            .collect();
                        let found: Vec<Stride> = gaps(&applicable, &threats).collect();
                        assert_eq!(found, written, "{kind:?} {flag} {categories:?} {status:?}");
                        compared_gaps += found.len();
                    }
                }
            }
        }
        assert!(compared_gaps > 0, "some case has a gap");
    }
}
