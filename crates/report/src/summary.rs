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
        Self::count(
            threats.iter().map(|t| (t.stride, t.severity, t.status)),
            elements,
            flows,
            boundaries,
        )
    }

    /// The counts of findings given as (primary category, severity, status).
    pub fn count(
        findings: impl IntoIterator<Item = (Stride, Severity, Status)>,
        elements: usize,
        flows: usize,
        boundaries: usize,
    ) -> Self {
        let mut by_status = [0usize; Status::ALL.len()];
        let mut by_severity = [0usize; Severity::ALL.len()];
        let mut by_stride = [0usize; Stride::ALL.len()];
        let mut total = 0;
        for (stride, severity, status) in findings {
            total += 1;
            by_status[status as usize] += 1;
            by_stride[stride as usize] += 1;
            if status.is_unresolved() {
                by_severity[severity as usize] += 1;
            }
        }
        Summary {
            total,
            open: by_status[Status::Open as usize] + by_status[Status::InProgress as usize],
            mitigated: by_status[Status::Mitigated as usize],
            by_status: Status::ALL
                .iter()
                .map(|&s| (s, by_status[s as usize]))
                .collect(),
            by_severity: Severity::ALL
                .iter()
                .rev()
                .map(|&s| (s, by_severity[s as usize]))
                .collect(),
            by_stride: Stride::ALL
                .iter()
                .map(|&s| (s, by_stride[s as usize]))
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
