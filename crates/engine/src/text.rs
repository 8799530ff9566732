//! Small text helpers for the prose the engine writes.

/// Its pieces (anything that is `AsRef<str>`) joined into one `String`: `format!` for text alone.
/// A finding's id, evidence and reasoning are written each time the finding is, a hundred
/// thousand times on a large model; `format!` parses its template and grows its string piece by
/// piece, this sizes the string once and copies: a finding's id took about 1,000 instructions
/// through `format!` and about 220 through this, allocation included (cachegrind).
macro_rules! cat {
    ($($piece:expr),+ $(,)?) => {
        [$(::core::convert::AsRef::<str>::as_ref(&$piece)),+].concat()
    };
}
pub(crate) use cat;

/// "a", "a and b", "a, b and c".
pub fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let mut out = String::with_capacity(
                names.iter().map(|n| n.as_ref().len() + 2).sum::<usize>() + 3,
            );
            for (i, name) in init.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name.as_ref());
            }
            out.push_str(" and ");
            out.push_str(last.as_ref());
            out
        }
    }
}

/// Replaces each `{name}` of `template` with its value; unknown names are left as written
/// (the knowledge base test rejects them before they reach a user).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    // Room for every value once: the string is not grown while it is filled.
    let room = values.iter().map(|(_, value)| value.len()).sum::<usize>();
    let mut out = String::with_capacity(template.len() + room);
    let mut rest = template;
    // memchr: a description is a few hundred bytes, and the standard library's byte search was
    // over a third of filling one.
    while let Some(open) = memchr::memchr(b'{', rest.as_bytes()) {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = memchr::memchr(b'}', after.as_bytes()).and_then(|close| {
            let name = &after[..close];
            (values.iter().find(|(key, _)| *key == name)).map(|(_, value)| (*value, close))
        });
        if let Some((value, close)) = known {
            out.push_str(value);
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_prose() {
        assert_eq!(join_names::<&str>(&[]), "");
        assert_eq!(join_names(&["posts"]), "posts");
        assert_eq!(join_names(&["posts", "comments"]), "posts and comments");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn fills_known_placeholders_only() {
        assert_eq!(
            fill(
                "SQL injection in {target} via {peers}",
                &[("target", "App"), ("peers", "DB")]
            ),
            "SQL injection in App via DB"
        );
        assert_eq!(
            fill("keep {unknown} and {", &[("target", "x")]),
            "keep {unknown} and {"
        );
    }
}
