//! The model file parser (YAML and JSON) on arbitrary text: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threatscribe_intake::{Format, parse_model};
use threatscribe_kb::KnowledgeBase;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kb = KnowledgeBase::builtin();
    for format in [Format::Yaml, Format::Json] {
        let _ = parse_model(text, format, "fuzz", kb);
    }
});
