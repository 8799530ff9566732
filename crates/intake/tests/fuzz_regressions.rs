//! Inputs the fuzzers (`fuzz/`) found crashing, kept so the bugs stay fixed: each must be read
//! (or refused with an error) without a panic.

use threatscribe_kb::KnowledgeBase;

fn each(dir: &str, check: impl Fn(&str, &str)) -> usize {
    let root = format!(
        "{}/tests/fuzz-regressions/{dir}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut n = 0;
    for entry in std::fs::read_dir(root).expect("the regression directory exists") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        check(&path.display().to_string(), &text);
        n += 1;
    }
    n
}

#[test]
fn descriptions_that_crashed_the_reader_are_read() {
    let kb = KnowledgeBase::builtin();
    let n = each("description", |path, text| {
        let result = std::panic::catch_unwind(|| {
            threatscribe_intake::parse_description(text, "fuzz", kb).is_ok()
        });
        assert!(result.is_ok(), "{path} panics the description reader");
    });
    assert!(n >= 1);
}

/// The first crash: a typo candidate after a two-byte separator (U+05CF) got byte offsets one
/// off, and quoting it in the assumptions sliced inside a character.
#[test]
fn a_typo_after_a_multibyte_separator_is_quoted_whole() {
    let kb = KnowledgeBase::builtin();
    let parsed = threatscribe_intake::parse_description(
        "The app keeps one\u{5cf}prefix per tenant in Postgress.",
        "t",
        kb,
    )
    .expect("the description is read");
    assert!(
        parsed
            .model
            .assumptions
            .iter()
            .any(|a| a.contains("\"Postgress\"")),
        "{:?}",
        parsed.model.assumptions
    );
}

/// The second crash: a hyphenated service name ("…pa-api") right after a two-byte combining mark
/// (U+0485), and a product name after a two-byte space (U+00A0), were cut inside the character.
#[test]
fn names_after_multibyte_characters_are_cut_on_character_boundaries() {
    let kb = KnowledgeBase::builtin();
    for text in [
        "The edge\u{485}ledger-api service stores balances in PostgreSQL.",
        "Orders go to the\u{a0}Frobnicator database.",
    ] {
        assert!(
            threatscribe_intake::parse_description(text, "t", kb).is_ok(),
            "{text}"
        );
    }
}
