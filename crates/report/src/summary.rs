//! Counts every format shows: by severity, by STRIDE category, by status.

use serde::Serialize;
use threatscribe_model::{Severity, Status, Stride, Threat};

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub open: usize,
    pub mitigated: usize,
    /// Open findings by severity, highest first.
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
            .filter(|t| t.status == Status::Open)
            .collect();
        Summary {
            total: threats.len(),
            open: open.len(),
            mitigated: threats.len() - open.len(),
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
}
