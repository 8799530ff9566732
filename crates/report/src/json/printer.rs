//! Findings and coverage rows printed for the JSON report, byte for byte as
//! `write_at(out, 2, item)` prints them.
//!
//! Key decision: findings and coverage rows are nearly all of a large report (226 MB and 23 MB
//! at 10,000 elements), and through serde two things dominated their printing: `serde_json` scans every string byte by
//! byte for characters to escape, and a finding's mitigations (a third of its bytes) are the
//! same texts on thousands of findings. Here a string with nothing to escape (almost all of
//! them) is copied whole after a check the compiler vectorises, any other goes to
//! `serde_json`, and each printing thread keeps the mitigation lists it has printed, by content,
//! to copy them. The layout is the one `Pretty` gives; property tests compare the two on
//! arbitrary findings and rows.

use std::io;

// A list's texts are hashed at every lookup: foldhash does that several times faster than
// SipHash, and its per-process random seed still keeps texts written in a model file (the
// mitigation of a finding it provides) from being crafted to collide.
use foldhash::HashMap;

use threatscribe_engine::{CoverageCell, CoverageRow};
use threatscribe_model::{Mitigation, Stride, Threat};

use super::write_at;

/// What a printing thread keeps between findings.
#[derive(Default)]
pub(crate) struct Printer {
    /// Printed mitigation lists (at a finding's field depth), by content.
    mitigations: HashMap<Vec<Mitigation>, Vec<u8>>,
}

/// Beyond this many distinct lists, new ones are printed without being kept. A model names a
/// few hundred (rules times technology combinations); the cap bounds memory on odd input.
const KEPT: usize = 4_096;

/// The depth of a finding or coverage row in the report: an element of a top-level array.
const DEPTH: usize = 2;

impl Printer {
    /// Appends `threat` to `out` as an element of the report's `threats` array.
    pub(crate) fn finding(&mut self, out: &mut Vec<u8>, threat: &Threat) -> io::Result<()> {
        // Destructured so that a new field does not compile until it is printed here.
        let Threat {
            id,
            rule,
            stride,
            categories,
            target,
            target_type,
            title,
            description,
            severity,
            likelihood,
            impact,
            rating_reasoning,
            cwe,
            capec,
            owasp,
            mitigations,
            status,
            mitigated_by,
            residual_severity,
            tracking,
            evidence,
            source,
            agent,
        } = threat;
        let mut object = Object::open(out, DEPTH);
        object.string(key!("id"), id);
        object.string(key!("rule"), rule);
        object.string(key!("stride"), stride.as_str());
        object.strings(key!("categories"), categories.iter().map(|c| c.as_str()));
        object.string(key!("target"), target);
        object.string(key!("target_type"), target_type);
        object.string(key!("title"), title);
        object.string(key!("description"), description);
        object.string(key!("severity"), severity.as_str());
        object.string(key!("likelihood"), likelihood.as_str());
        object.string(key!("impact"), impact.as_str());
        object.strings(
            key!("rating_reasoning"),
            rating_reasoning.iter().map(String::as_str),
        );
        object.strings(key!("cwe"), cwe.iter().map(String::as_str));
        object.strings(key!("capec"), capec.iter().map(String::as_str));
        object.strings(key!("owasp"), owasp.iter().map(String::as_str));
        object.key(key!("mitigations"));
        self.mitigations(object.out, mitigations)?;
        object.string(key!("status"), status.as_str());
        if let Some(by) = mitigated_by {
            object.string(key!("mitigated_by"), by);
        }
        if let Some(residual) = residual_severity {
            object.string(key!("residual_severity"), residual.as_str());
        }
        if let Some(tracking) = tracking {
            object.key(key!("tracking"));
            write_at(object.out, DEPTH + 1, tracking)?;
        }
        object.strings(key!("evidence"), evidence.iter().map(String::as_str));
        object.string(key!("source"), source);
        if let Some(agent) = agent {
            object.string(key!("agent"), agent);
        }
        object.close();
        Ok(())
    }

    /// Appends `row` to `out` as an element of the report's `coverage` array.
    pub(crate) fn coverage_row(out: &mut Vec<u8>, row: &CoverageRow) {
        let CoverageRow {
            target,
            name,
            kind,
            cells,
        } = row;
        let mut object = Object::open(out, DEPTH);
        object.string(key!("target"), target);
        object.string(key!("name"), name);
        object.string(key!("kind"), kind);
        let mut categories = object.object(key!("categories"));
        for (stride, cell) in cells {
            let mut cell_object = categories.object(stride_key(*stride));
            match cell {
                CoverageCell::Found { threats } => {
                    cell_object.string(key!("state"), "found");
                    cell_object.strings(key!("threats"), threats.iter().map(String::as_str));
                }
                CoverageCell::Mitigated { threats } => {
                    cell_object.string(key!("state"), "mitigated");
                    cell_object.strings(key!("threats"), threats.iter().map(String::as_str));
                }
                CoverageCell::NotApplicable { reason } => {
                    cell_object.string(key!("state"), "not_applicable");
                    cell_object.string(key!("reason"), reason);
                }
                CoverageCell::Gap => cell_object.string(key!("state"), "gap"),
            }
            cell_object.close();
        }
        categories.close();
        object.close();
    }

    fn mitigations(&mut self, out: &mut Vec<u8>, mitigations: &[Mitigation]) -> io::Result<()> {
        if let Some(printed) = self.mitigations.get(mitigations) {
            out.extend_from_slice(printed);
            return Ok(());
        }
        let mut printed = Vec::new();
        write_at(&mut printed, DEPTH + 1, &mitigations)?;
        out.extend_from_slice(&printed);
        if self.mitigations.len() < KEPT {
            self.mitigations.insert(mitigations.to_vec(), printed);
        }
        Ok(())
    }
}

/// A JSON object `depth` levels deep in the report, written field by field.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    first: bool,
}

impl<'o> Object<'o> {
    fn open(out: &'o mut Vec<u8>, depth: usize) -> Self {
        out.push(b'{');
        Object {
            out,
            depth,
            first: true,
        }
    }

    /// Starts a field: `quoted` is its name as `key!` writes it.
    fn key(&mut self, quoted: &str) {
        line(self.out, !self.first, self.depth + 1);
        self.first = false;
        self.out.extend_from_slice(quoted.as_bytes());
    }

    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        string(self.out, value);
    }

    fn strings<'s>(&mut self, key: &str, values: impl ExactSizeIterator<Item = &'s str>) {
        self.key(key);
        if values.len() == 0 {
            self.out.extend_from_slice(b"[]");
            return;
        }
        self.out.push(b'[');
        for (i, value) in values.enumerate() {
            line(self.out, i > 0, self.depth + 2);
            string(self.out, value);
        }
        line(self.out, false, self.depth + 1);
        self.out.push(b']');
    }

    /// An object as the value of `key`; close it before writing on in this one.
    fn object(&mut self, key: &str) -> Object<'_> {
        self.key(key);
        Object::open(self.out, self.depth + 1)
    }

    fn close(self) {
        if !self.first {
            line(self.out, false, self.depth);
        }
        self.out.push(b'}');
    }
}

/// A comma, a line break and the indentation of the deepest line printed here (a coverage
/// cell's threat list, six levels deep): a separator is one slice of it, without the comma
/// before a first item.
const BREAK: &[u8] = b",\n            ";

/// Starts a line `depth` levels deep, after a comma when `after_item` (a first item or a closing
/// bracket has none).
fn line(out: &mut Vec<u8>, after_item: bool, depth: usize) {
    out.extend_from_slice(&BREAK[usize::from(!after_item)..2 + 2 * depth]);
}

/// A field name known at compile time, quoted and followed by `: `, as `Object` takes it: a
/// field then costs two copies, where writing its pieces one by one cost five.
macro_rules! key {
    ($name:literal) => {
        concat!("\"", $name, "\": ")
    };
}
use key;

/// A STRIDE category as a key of a coverage row's `categories`.
fn stride_key(stride: Stride) -> &'static str {
    match stride {
        Stride::Spoofing => key!("spoofing"),
        Stride::Tampering => key!("tampering"),
        Stride::Repudiation => key!("repudiation"),
        Stride::InformationDisclosure => key!("information_disclosure"),
        Stride::DenialOfService => key!("denial_of_service"),
        Stride::ElevationOfPrivilege => key!("elevation_of_privilege"),
    }
}

/// Appends `text` as a JSON string: copied whole when nothing in it needs escaping, else
/// escaped by `serde_json`.
fn string(out: &mut Vec<u8>, text: &str) {
    if plain(text) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, text).expect("a string always serialises to a Vec");
    }
}

/// True when `text` holds nothing JSON escapes: a quote, a backslash or a control character
/// (below U+0020; `serde_json` escapes exactly these). Eight bytes are checked at a time, with
/// the bit tricks that find a byte of a given value or below a bound in a word.
fn plain(text: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Non-zero exactly when some byte of `word` is zero (below 0x20, for `control`): exact for
    // the word as a whole, which is all that is asked here.
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let flags = |word: u64| {
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = zero(word ^ (ONES * u64::from(b'"')));
        let backslash = zero(word ^ (ONES * u64::from(b'\\')));
        control | quote | backslash
    };
    let word = |eight: &[u8]| u64::from_ne_bytes(eight.try_into().expect("eight bytes"));
    let bytes = text.as_bytes();
    let Some(tail) = bytes.len().checked_sub(8) else {
        // A short text, padded with spaces (which need no escape) to one word.
        let mut padded = [b' '; 8];
        padded[..bytes.len()].copy_from_slice(bytes);
        return flags(u64::from_ne_bytes(padded)) == 0;
    };
    // Every whole word, then the last eight bytes (which may overlap the last word checked):
    // no byte-by-byte tail, and no early exit, so the loop is straight-line work the compiler
    // can vectorise (almost every text is clean).
    (bytes.chunks_exact(8)).fold(flags(word(&bytes[tail..])), |seen, eight| {
        seen | flags(word(eight))
    }) == 0
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use threatscribe_engine::{CoverageCell, CoverageRow};
    use threatscribe_model::{
        Impact, Likelihood, Mitigation, Severity, Status, Stride, TechGuidance, Threat, Tracking,
        TrackingEntry,
    };

    use super::{Printer, plain};

    /// Text with what JSON must escape, multi-byte characters and DEL mixed in.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z ]{0,40}",
            "[a-z\"\\\\\u{0}-\u{1f}\u{7f}é€😀 ]{0,40}",
            Just(String::new()),
        ]
    }

    fn texts() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(text(), 0..4)
    }

    fn shared(text: String) -> Arc<str> {
        text.into()
    }

    fn mitigation() -> impl Strategy<Value = Mitigation> {
        let guidance = (text(), text(), text()).prop_map(|(t, n, g)| TechGuidance {
            technology: shared(t),
            name: shared(n),
            guidance: shared(g),
        });
        (
            text(),
            text(),
            text(),
            prop::collection::vec(guidance, 0..3),
            texts(),
        )
            .prop_map(
                |(id, title, description, technology_guidance, references)| Mitigation {
                    id: shared(id),
                    title: shared(title),
                    description: shared(description),
                    technology_guidance,
                    references: references.into_iter().map(shared).collect(),
                },
            )
    }

    fn tracking() -> impl Strategy<Value = Tracking> {
        (
            text(),
            prop::option::of(text()),
            prop::option::of(text()),
            any::<bool>(),
        )
            .prop_map(|(threat, justification, expires, expired)| Tracking {
                entry: TrackingEntry {
                    threat,
                    status: Status::Accepted,
                    justification,
                    owner: None,
                    ticket: Some("SEC-1".into()),
                    date: None,
                    expires,
                },
                expired,
            })
    }

    prop_compose! {
        fn threat()(
            (id, rule, target, title, description) in (text(), text(), text(), text(), text()),
            categories in prop::sample::subsequence(Stride::ALL.to_vec(), 0..=6),
            (rating_reasoning, cwe, capec, owasp, evidence) in (texts(), texts(), texts(), texts(), texts()),
            mitigations in prop::collection::vec(mitigation(), 0..3),
            severity in prop::sample::select(Severity::ALL.to_vec()),
            status in prop::sample::select(Status::ALL.to_vec()),
            (mitigated_by, residual, tracking, agent) in (
                prop::option::of(text()),
                prop::option::of(prop::sample::select(Severity::ALL.to_vec())),
                prop::option::of(tracking()),
                prop::option::of(text()),
            ),
            source in text(),
        ) -> Threat {
            Threat {
                id, rule,
                stride: categories.first().copied().unwrap_or(Stride::Tampering),
                categories, target,
                target_type: "flow".into(),
                title, description, severity,
                likelihood: Likelihood::High,
                impact: Impact::Low,
                rating_reasoning, cwe, capec, owasp, mitigations, status, mitigated_by,
                residual_severity: residual,
                tracking, evidence, source, agent,
            }
        }
    }

    fn cell() -> impl Strategy<Value = CoverageCell> {
        prop_oneof![
            texts().prop_map(|threats| CoverageCell::Found { threats }),
            texts().prop_map(|threats| CoverageCell::Mitigated { threats }),
            Just(CoverageCell::NotApplicable {
                reason: "a \"quoted\" reason"
            }),
            Just(CoverageCell::Gap),
        ]
    }

    prop_compose! {
        fn row()(
            (target, name, kind) in (text(), text(), text()),
            cells in prop::collection::vec((prop::sample::select(Stride::ALL.to_vec()), cell()), 0..7),
        ) -> CoverageRow {
            CoverageRow { target, name, kind, cells }
        }
    }

    proptest! {
        #[test]
        fn a_coverage_row_prints_as_serde_prints_it(row in row()) {
            let mut ours = Vec::new();
            Printer::coverage_row(&mut ours, &row);
            let mut theirs = Vec::new();
            super::write_at(&mut theirs, 2, &super::super::coverage_out(&row)).expect("printed");
            prop_assert_eq!(String::from_utf8(ours).expect("utf-8"), String::from_utf8(theirs).expect("utf-8"));
        }
    }

    fn through_serde(threat: &Threat) -> String {
        let mut out = Vec::new();
        super::write_at(&mut out, 2, threat).expect("printed");
        String::from_utf8(out).expect("utf-8")
    }

    proptest! {
        #[test]
        fn a_finding_prints_as_serde_prints_it(threats in prop::collection::vec(threat(), 1..4)) {
            // One printer for all, with the first finding's mitigations on the last, so the
            // kept copy is printed too.
            let mut threats = threats;
            let first = threats[0].mitigations.clone();
            threats.last_mut().expect("one or more").mitigations = first;
            let mut printer = Printer::default();
            for threat in &threats {
                let mut out = Vec::new();
                printer.finding(&mut out, threat).expect("printed");
                prop_assert_eq!(String::from_utf8(out).expect("utf-8"), through_serde(threat));
            }
        }
    }

    #[test]
    fn only_quotes_backslashes_and_control_characters_need_escaping() {
        assert!(plain("Plain text, with DEL \u{7f}, é and 😀 / slashes"));
        assert!(plain(""));
        for bad in ["a\"b", "a\\b", "tab\there", "\u{0}", "\u{1f}", "line\n"] {
            assert!(!plain(bad), "{bad:?}");
        }
        // Past the first chunk of 32 bytes, too.
        assert!(!plain(&format!("{}\"", "x".repeat(70))));
    }

    #[test]
    fn every_character_at_every_place_of_every_length_is_judged_as_serde_judges_it() {
        let escaped =
            |text: &str| serde_json::to_string(text).expect("a string") != format!("\"{text}\"");
        let characters = (0u8..0x80)
            .map(char::from)
            .chain(['\u{80}', 'é', '\u{7ff}', '€', '\u{ffff}', '😀']);
        // Every length from one byte (padded to a word) to two words and a bit (whole words
        // plus an overlapping last word).
        for c in characters {
            for length in 1..=17 {
                for place in 0..length {
                    let mut text = "abcdefghijklmnopq"[..length].to_owned();
                    text.replace_range(place..=place, c.encode_utf8(&mut [0; 4]));
                    assert_eq!(
                        plain(&text),
                        !escaped(&text),
                        "{c:?} at {place} of {length}"
                    );
                }
            }
        }
    }
}
