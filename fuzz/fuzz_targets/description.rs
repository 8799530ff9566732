//! The plain-English reader on arbitrary text, then the analysis of what it read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threatscribe_kb::KnowledgeBase;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kb = KnowledgeBase::builtin();
    if let Ok(parsed) = threatscribe_intake::parse_description(text, "fuzz", kb) {
        let _ = threatscribe_engine::analyze(&parsed.model, kb);
    }
});
