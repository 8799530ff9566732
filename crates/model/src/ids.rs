//! Identifiers: lowercase kebab-case, derived from names when a model omits them.

/// Derives a kebab-case id from a human name: `"Blog Web App (Flask)"` -> `"blog-web-app-flask"`.
///
/// Letters and digits are kept (lowercased, ASCII only), every other run of characters becomes
/// one hyphen. A name with no ASCII letter or digit yields `"unnamed"`, so an id is never empty.
pub fn derive_id(name: &str) -> String {
    let mut id = String::with_capacity(name.len());
    let mut pending_hyphen = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !id.is_empty() {
                id.push('-');
            }
            pending_hyphen = false;
            id.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if id.is_empty() {
        id.push_str("unnamed");
    }
    id
}

/// True when `id` is lowercase kebab-case: `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_kebab_case_from_names() {
        assert_eq!(derive_id("Blog Web App (Flask)"), "blog-web-app-flask");
        assert_eq!(derive_id("  MySQL  "), "mysql");
        assert_eq!(derive_id("API clients / partners"), "api-clients-partners");
        assert_eq!(derive_id("Ünïcode only ✓"), "n-code-only");
        assert_eq!(derive_id("✓✓"), "unnamed");
    }

    #[test]
    fn validates_ids() {
        assert!(is_valid_id("web-app"));
        assert!(is_valid_id("db2"));
        assert!(!is_valid_id("Web-App"));
        assert!(!is_valid_id("web--app"));
        assert!(!is_valid_id("-web"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("web_app"));
    }
}
