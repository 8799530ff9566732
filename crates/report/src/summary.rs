//! Counts every format shows: by severity, by STRIDE category, by status.

use serde::Serialize;
use threatscribe_model::{Severity, Status, Stride, Threat};

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    /// Findings that still need work: open or in progress.
    pub open: usize,
    pub mitigated: usize,
    /// Every status with its count, in the order of `Status::ALL`.
    pub by_status: Vec<(Status, usize)>,
    /// Open (and in-progress) findings by severity, highest first.
    pub by_severity: Vec<(Severity, usize)>,
    /// Findings whose primary category is each STRIDE letter.
    pub by_stride: Vec<(Stride, usize)>,
    pub elements: usize,
    pub flows: usize,
    pub boundaries: usize,
}

impl Summary {
    pub fn of(threats: &[Threat], elements: usize, flows: usize, boundaries: usize) -> Self {
        let open: Vec<&Threat> = threats
            .iter()
            .filter(|t| t.status.is_unresolved())
            .collect();
        Summary {
            total: threats.len(),
            open: open.len(),
            mitigated: threats
                .iter()
                .filter(|t| t.status == Status::Mitigated)
                .count(),
            by_status: Status::ALL
                .iter()
                .map(|&s| (s, threats.iter().filter(|t| t.status == s).count()))
                .collect(),
            by_severity: Severity::ALL
                .iter()
                .rev()
                .map(|&s| (s, open.iter().filter(|t| t.severity == s).count()))
                .collect(),
            by_stride: Stride::ALL
                .iter()
                .map(|&s| (s, threats.iter().filter(|t| t.stride == s).count()))
                .collect(),
            elements,
            flows,
            boundaries,
        }
    }

    /// "35 open and 6 mitigated", "33 open, 6 mitigated and 2 accepted": every status that
    /// occurs, open and mitigated always.
    pub fn status_phrase(&self) -> String {
        let parts: Vec<String> = self
            .by_status
            .iter()
            .filter(|(s, n)| *n > 0 || matches!(s, Status::Open | Status::Mitigated))
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        threatscribe_engine::join_names(&parts)
    }
}
