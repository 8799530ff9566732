//! Secrets never leave the machine through us: API keys and things shaped like credentials are
//! replaced before a prompt is sent, cached or logged.

use std::sync::LazyLock;

use regex::Regex;

/// Shapes of common credentials: provider API keys, cloud access keys, tokens, private keys.
static SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}",
        r"|AKIA[0-9A-Z]{16}",
        r"|gh[pousr]_[A-Za-z0-9]{30,}",
        r"|xox[abprs]-[A-Za-z0-9-]{10,}",
        r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}",
        r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    ))
    .expect("the credential patterns compile")
});

pub const REDACTED: &str = "[REDACTED]";

/// `text` with every given secret (keys of at least 8 characters) and every credential-shaped
/// string replaced by `[REDACTED]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut text = SHAPES.replace_all(text, REDACTED).into_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_credential_shapes_are_replaced() {
        let text =
            "key sk-proj-abcdefghijklmnopqrstuv, aws AKIAABCDEFGHIJKLMNOP, mine=hunter2hunter2";
        let out = redact(text, &["hunter2hunter2"]);
        assert_eq!(out, "key [REDACTED], aws [REDACTED], mine=[REDACTED]");
        assert_eq!(
            redact("Authorization: Bearer abcdefghijklmnopqrstu", &[]),
            "Authorization: [REDACTED]"
        );
        assert_eq!(
            redact("a Flask blog on EC2", &["short"]),
            "a Flask blog on EC2"
        );
    }
}
