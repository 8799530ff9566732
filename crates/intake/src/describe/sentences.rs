//! Splitting prose into sentences: full stops, bullets, headings and list items, with Markdown
//! markers removed and hard-wrapped lines joined.

/// One sentence, with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub text: String,
    pub line: u32,
}

const ABBREVIATIONS: [&str; 6] = ["e.g.", "i.e.", "etc.", "vs.", "approx.", "incl."];

/// Removes a leading Markdown marker: `#`, `-`, `*`, `+`, `1.`, `1)`, `>`.
fn strip_marker(line: &str) -> (&str, bool) {
    let trimmed = line.trim_start();
    let without_heading = trimmed.trim_start_matches('#');
    if without_heading.len() != trimmed.len() {
        return (without_heading.trim_start(), true);
    }
    for marker in ["- ", "* ", "+ ", "> "] {
        if let Some(rest) = trimmed.strip_prefix(marker) {
            return (rest.trim_start(), true);
        }
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &trimmed[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return (rest.trim_start(), true);
        }
    }
    (trimmed, false)
}

/// Splits a description into sentences. A line break ends a sentence only before a list item
/// or heading, after a blank line, or after a line ending in `:`; otherwise wrapped lines join.
pub fn split(text: &str) -> Vec<Sentence> {
    // First, logical lines: (text, line number).
    let mut lines: Vec<(String, u32)> = Vec::new();
    let mut previous_ends_block = true;
    for (n, raw) in text.lines().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        if raw.trim().is_empty() || raw.trim_start().starts_with("```") {
            previous_ends_block = true;
            continue;
        }
        let (content, is_item) = strip_marker(raw);
        let is_heading = raw.trim_start().starts_with('#');
        let content = content.replace(['*', '`', '_'], " ");
        match lines.last_mut() {
            Some((last, _)) if !is_item && !previous_ends_block => {
                last.push(' ');
                last.push_str(content.trim());
            }
            _ => lines.push((content.trim().to_owned(), number)),
        }
        previous_ends_block = is_heading || content.trim_end().ends_with(':');
    }
    let mut sentences = Vec::new();
    for (line, number) in lines {
        let mut start = 0;
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let at_end = i + 1 == bytes.len() || bytes[i + 1] == b' ';
            let ends = match c {
                b'!' | b'?' | b';' => at_end,
                b'.' => {
                    at_end
                        && !ABBREVIATIONS.iter().any(|a| {
                            // Compare only the bytes the abbreviation spans: looking at the
                            // whole line each time made long one-line texts quadratic.
                            i + 1 >= a.len()
                                && bytes[i + 1 - a.len()..=i].eq_ignore_ascii_case(a.as_bytes())
                        })
                }
                _ => false,
            };
            if ends {
                push(&mut sentences, &line[start..i], number);
                start = i + 1;
            }
            i += 1;
        }
        push(&mut sentences, &line[start..], number);
    }
    sentences
}

fn push(sentences: &mut Vec<Sentence>, text: &str, line: u32) {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_matches(|c: char| c == ':' || c == ',' || c.is_whitespace());
    if text.chars().any(char::is_alphanumeric) {
        sentences.push(Sentence {
            text: text.to_owned(),
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<String> {
        split(input).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_sentences_and_keeps_dotted_names() {
        assert_eq!(
            texts("A Node.js API on ASP.NET hosts. It uses e.g. Redis! Done?"),
            [
                "A Node.js API on ASP.NET hosts",
                "It uses e.g. Redis",
                "Done"
            ]
        );
    }

    #[test]
    fn bullets_and_headings_are_sentences_and_wrapped_lines_join() {
        let input = "# Shop\nThe shop is a Django app that\nstores orders in Postgres.\n\nComponents:\n- **API**: FastAPI\n- DB: PG 15\n1. workers read the queue\n";
        assert_eq!(
            texts(input),
            [
                "Shop",
                "The shop is a Django app that stores orders in Postgres",
                "Components",
                "API : FastAPI",
                "DB: PG 15",
                "workers read the queue"
            ]
        );
        assert_eq!(split(input)[1].line, 2);
    }
}
