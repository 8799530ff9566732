//! The fast path for JSON model files.
//!
//! The YAML reader gives every value its line and column, but reads JSON at about 12 MB/s: a
//! model of 10,000 elements took 0.4 s to read, more than its analysis. Here `serde_json` reads
//! the file, and one scan with jiter (a JSON tokenizer that reports byte offsets) finds where
//! each value the checks can point at was written: ids, names, kinds, references. The
//! positions are those the YAML reader gives, line and column in characters, 1-based.
//!
//! Anything unexpected (a shape `serde_json` refuses, a scan that does not line up with what it
//! read) returns `None`, and the caller reads the file with the YAML reader, whose diagnostics
//! stay the only ones users see for a broken file.

use jiter::Jiter;

use crate::model_file::{
    BoundaryEntry, DataAssetEntry, ElementEntry, FindingEntry, FlowEntry, ModelFile,
    TrackingEntryRaw,
};
use crate::spanned::Spanned;

/// The model file in `text`, with every position filled in, or `None` to take the slow path.
pub(crate) fn read(text: &str) -> Option<ModelFile> {
    // YAML also breaks lines at a lone carriage return, JSON does not: such a file's lines
    // would be counted differently, so it takes the slow path.
    let lone_cr = text.contains('\r')
        && text
            .as_bytes()
            .windows(2)
            .any(|pair| pair[0] == b'\r' && pair[1] != b'\n')
        || text.ends_with('\r');
    if lone_cr {
        return None;
    }
    let mut file: ModelFile = serde_json::from_str(text).ok()?;
    Scan::new(text).model(&mut file).ok()?;
    Some(file)
}

/// A key the walkers below match on, as a `'static` string; any other key reads as "", which
/// they skip. A walker matching a name missing here would skip that field: the layout test
/// compares the position of every spanned field with the YAML reader's.
fn field_name(key: &str) -> &'static str {
    match key {
        "boundaries" => "boundaries",
        "boundary" => "boundary",
        "classification" => "classification",
        "data" => "data",
        "data_assets" => "data_assets",
        "date" => "date",
        "elements" => "elements",
        "expires" => "expires",
        "findings" => "findings",
        "flows" => "flows",
        "from" => "from",
        "id" => "id",
        "kind" => "kind",
        "name" => "name",
        "parent" => "parent",
        "protocol" => "protocol",
        "status" => "status",
        "target" => "target",
        "technologies" => "technologies",
        "threat" => "threat",
        "to" => "to",
        "tracking" => "tracking",
        _ => "",
    }
}

/// How many characters `bytes` (UTF-8, cut at character boundaries) holds: every byte but the
/// continuation bytes of multi-byte characters (0x80 to 0xBF) starts one.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b.cast_signed() >= -0x40).count()
}

/// The scan went somewhere `serde_json` did not: give up on the fast path.
struct Misaligned;

impl From<jiter::JiterError> for Misaligned {
    fn from(_: jiter::JiterError) -> Self {
        Misaligned
    }
}

type Scanned = Result<(), Misaligned>;

struct Scan<'j> {
    jiter: Jiter<'j>,
    text: &'j str,
    /// Position counting so far: the line of byte `counted`, and the characters between that
    /// line's start and `counted`.
    line: u32,
    column: usize,
    counted: usize,
}

impl<'j> Scan<'j> {
    fn new(text: &'j str) -> Self {
        Scan {
            jiter: Jiter::new(text.as_bytes()),
            text,
            line: 1,
            column: 0,
            counted: 0,
        }
    }

    /// Where the next value starts. Values are reached in the order of the text, so each byte
    /// is counted once, from where the last call stopped: counting from the line's start each
    /// time made a model written on one line (minified JSON) quadratic, 16 s at 4 MB.
    fn here(&mut self) -> Result<(u32, u32), Misaligned> {
        self.jiter.peek()?;
        let index = self.jiter.current_index();
        if !self.text.is_char_boundary(index) {
            return Err(Misaligned);
        }
        let span = self
            .text
            .as_bytes()
            .get(self.counted..index)
            .ok_or(Misaligned)?;
        match memchr::memrchr(b'\n', span) {
            Some(last) => {
                let lines = memchr::memchr_iter(b'\n', span).count();
                self.line += u32::try_from(lines).map_err(|_| Misaligned)?;
                self.column = characters(&span[last + 1..]);
            }
            None => self.column += characters(span),
        }
        self.counted = index;
        let column = u32::try_from(self.column + 1).map_err(|_| Misaligned)?;
        Ok((self.line, column))
    }

    /// Places one spanned value: the scan must find the same string `serde_json` read.
    fn place(&mut self, spanned: &mut Spanned<String>) -> Scanned {
        spanned.at = self.here()?;
        if self.jiter.next_str()? == spanned.value {
            Ok(())
        } else {
            Err(Misaligned)
        }
    }

    /// An optional value: placed when present, `null` skipped.
    fn place_option(&mut self, spanned: Option<&mut Spanned<String>>) -> Scanned {
        match spanned {
            Some(spanned) => self.place(spanned),
            None => self.skip(),
        }
    }

    fn place_all(&mut self, values: &mut [Spanned<String>]) -> Scanned {
        self.array(values, Self::place)
    }

    fn skip(&mut self) -> Scanned {
        self.jiter.next_skip()?;
        Ok(())
    }

    /// Calls `field` with each key of an object, which reads (or skips) its value. Keys reach
    /// `field` as `field_name` gives them, so none is copied out of the scanner.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> Scanned) -> Scanned {
        let mut key = self.jiter.next_object()?.map(field_name);
        while let Some(name) = key {
            field(self, name)?;
            key = self.jiter.next_key()?.map(field_name);
        }
        Ok(())
    }

    /// Walks an array beside the entries `serde_json` read from it, one `item` call per pair.
    fn array<T>(
        &mut self,
        entries: &mut [T],
        mut item: impl FnMut(&mut Self, &mut T) -> Scanned,
    ) -> Scanned {
        let mut entries = entries.iter_mut();
        let mut next = self.jiter.next_array()?;
        while next.is_some() {
            item(self, entries.next().ok_or(Misaligned)?)?;
            next = self.jiter.array_step()?;
        }
        match entries.next() {
            None => Ok(()),
            Some(_) => Err(Misaligned),
        }
    }

    fn model(&mut self, file: &mut ModelFile) -> Scanned {
        self.object(|scan, key| match key {
            "elements" => scan.array(&mut file.elements, Self::element),
            "flows" => scan.array(&mut file.flows, Self::flow),
            "boundaries" => scan.array(&mut file.boundaries, Self::boundary),
            "data_assets" => scan.array(&mut file.data_assets, Self::data_asset),
            "tracking" => scan.array(&mut file.tracking, Self::tracking),
            "findings" => scan.array(&mut file.findings, Self::finding),
            _ => scan.skip(),
        })?;
        self.jiter.finish()?;
        Ok(())
    }

    fn element(&mut self, entry: &mut ElementEntry) -> Scanned {
        self.object(|scan, key| match key {
            "id" => scan.place_option(entry.id.as_mut()),
            "name" => scan.place(&mut entry.name),
            "kind" => scan.place(&mut entry.kind),
            "technologies" => scan.place_all(&mut entry.technologies),
            "boundary" => scan.place_option(entry.boundary.as_mut()),
            _ => scan.skip(),
        })
    }

    fn flow(&mut self, entry: &mut FlowEntry) -> Scanned {
        self.object(|scan, key| match key {
            "id" => scan.place_option(entry.id.as_mut()),
            "from" => scan.place(&mut entry.from),
            "to" => scan.place(&mut entry.to),
            "protocol" => scan.place_option(entry.protocol.as_mut()),
            "data" => scan.place_all(&mut entry.data),
            _ => scan.skip(),
        })
    }

    fn boundary(&mut self, entry: &mut BoundaryEntry) -> Scanned {
        self.object(|scan, key| match key {
            "id" => scan.place_option(entry.id.as_mut()),
            "name" => scan.place(&mut entry.name),
            "kind" => scan.place(&mut entry.kind),
            "parent" => scan.place_option(entry.parent.as_mut()),
            _ => scan.skip(),
        })
    }

    fn data_asset(&mut self, entry: &mut DataAssetEntry) -> Scanned {
        self.object(|scan, key| match key {
            "id" => scan.place_option(entry.id.as_mut()),
            "name" => scan.place(&mut entry.name),
            "classification" => scan.place(&mut entry.classification),
            _ => scan.skip(),
        })
    }

    fn tracking(&mut self, entry: &mut TrackingEntryRaw) -> Scanned {
        self.object(|scan, key| match key {
            "threat" => scan.place(&mut entry.threat),
            "status" => scan.place(&mut entry.status),
            "date" => scan.place_option(entry.date.as_mut()),
            "expires" => scan.place_option(entry.expires.as_mut()),
            _ => scan.skip(),
        })
    }

    fn finding(&mut self, entry: &mut FindingEntry) -> Scanned {
        self.object(|scan, key| match key {
            "target" => scan.place(&mut entry.target),
            _ => scan.skip(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every position a check can report, in file order.
    fn positions(file: &ModelFile) -> Vec<(String, (u32, u32))> {
        let mut out = Vec::new();
        let mut put = |s: &Spanned<String>| out.push((s.value.clone(), s.at));
        for e in &file.elements {
            e.id.iter().for_each(&mut put);
            put(&e.name);
            put(&e.kind);
            e.technologies.iter().for_each(&mut put);
            e.boundary.iter().for_each(&mut put);
        }
        for f in &file.flows {
            f.id.iter().for_each(&mut put);
            put(&f.from);
            put(&f.to);
            f.protocol.iter().for_each(&mut put);
            f.data.iter().for_each(&mut put);
        }
        for b in &file.boundaries {
            b.id.iter().for_each(&mut put);
            put(&b.name);
            put(&b.kind);
            b.parent.iter().for_each(&mut put);
        }
        for d in &file.data_assets {
            d.id.iter().for_each(&mut put);
            put(&d.name);
            put(&d.classification);
        }
        for t in &file.tracking {
            put(&t.threat);
            put(&t.status);
            t.date.iter().for_each(&mut put);
            t.expires.iter().for_each(&mut put);
        }
        for f in &file.findings {
            put(&f.target);
        }
        out
    }

    // Every spanned field, keys in unusual orders, values after multi-byte text on their line,
    // escapes, compact and spread layouts, CRLF line ends, and fields the scan skips.
    const MODEL: &str = "{\"name\": \"Caf\u{e9} \u{2014} shop\", \"elements\": [\r\n  {\"kind\": \"process\", \"name\": \"Web \u{1F600} app\", \"id\": \"web\",\r\n   \"technologies\": [\"flask\", \"My\\u0053QL\"], \"properties\": {\"nested\": [1, {\"a\": null}]}, \"boundary\": \"vpc\"},\n  {\"name\": \"Db\", \"kind\": \"data_store\", \"boundary\": null, \"tags\": [\"x\"]}\n],\n\"flows\": [{\"from\": \"web\", \"to\": \"db\", \"protocol\": \"tls\", \"data\": [\"pii\"],\n\"id\": \"web-db\"}],\n\"boundaries\": [{\"id\": \"vpc\", \"name\": \"VPC \u{e9}\u{e9}\", \"kind\": \"network\"},\n {\"name\": \"Cloud\", \"kind\": \"cloud\", \"parent\": \"vpc\"}],\n\"data_assets\": [{\"name\": \"PII\", \"id\": \"pii\", \"classification\": \"restricted\"}],\n\"tracking\": [{\"threat\": \"WEB001@web\", \"status\": \"accepted\", \"justification\": \"\u{e9}\", \"date\": \"2026-01-01\", \"expires\": \"2027-01-01\"}],\n\"findings\": [{\"stride\": \"spoofing\", \"title\": \"t\", \"target\": \"web\"}]}\n";

    #[test]
    fn positions_are_those_the_yaml_reader_gives() {
        let fast = read(MODEL).expect("the fast path reads it");
        let slow: ModelFile = serde_saphyr::from_str(MODEL).expect("the YAML reader reads it");
        let (fast, slow) = (positions(&fast), positions(&slow));
        assert_eq!(fast.len(), 27);
        assert!(fast.iter().all(|(_, at)| at.0 > 0 && at.1 > 0), "{fast:?}");
        assert_eq!(fast, slow);
    }

    /// The same model laid out four ways: compact, pretty with two and four spaces, and pretty
    /// with CRLF line ends. Positions must agree with the YAML reader's in every layout.
    #[test]
    fn positions_agree_in_every_layout() {
        let value: serde_json::Value = serde_json::from_str(MODEL).expect("json");
        let pretty = serde_json::to_string_pretty(&value).expect("pretty");
        let mut four = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        serde::Serialize::serialize(
            &value,
            &mut serde_json::Serializer::with_formatter(&mut four, formatter),
        )
        .expect("four spaces");
        let layouts = [
            serde_json::to_string(&value).expect("compact"),
            pretty.clone(),
            String::from_utf8(four).expect("utf-8"),
            pretty.replace('\n', "\r\n"),
        ];
        for text in layouts {
            let fast = read(&text).expect("the fast path reads it");
            let slow: ModelFile = serde_saphyr::from_str(&text).expect("the YAML reader reads it");
            assert_eq!(positions(&fast), positions(&slow), "{text}");
        }
    }

    #[test]
    fn what_serde_json_refuses_takes_the_slow_path() {
        for text in [
            "{\"elements\": [{\"name\": \"a\", \"kind\": \"process\", \"colour\": \"red\"}]}",
            "{\"elements\": [{\"name\": 1, \"kind\": \"process\"}]}",
            "{\"name\": \"a\", \"name\": \"b\"}",
            "{\"elements\": []",
            "{\"name\": \"a\",\r\"elements\": []}",
        ] {
            assert!(read(text).is_none(), "{text}");
        }
    }
}
