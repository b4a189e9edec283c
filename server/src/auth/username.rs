//! Usernames: lower-cased when written ("Alice" and "alice" are one account), 1–64 characters of
//! `a-z 0-9 . _ -`, starting with a letter or digit (so none looks like a flag or a hidden file).

use super::AuthError;

pub const MAX_CHARS: usize = 64;

/// The username as stored, or what is wrong with it.
pub fn normalize(username: &str) -> Result<String, AuthError> {
    let name = username.trim().to_lowercase();
    let bad = |reason: &str| Err(AuthError::BadUsername(reason.to_string()));
    if name.is_empty() {
        return bad("enter a username");
    }
    if name.chars().count() > MAX_CHARS {
        return bad("a username may have at most 64 characters");
    }
    if let Some(c) = name.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-')) {
        return Err(AuthError::BadUsername(format!(
            "{c:?} cannot be part of a username: use letters a-z, digits, '.', '_' and '-'"
        )));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return bad("a username starts with a letter or a digit");
    }
    Ok(name)
}

/// The key log-in attempts for `username` are counted under: the stored form when it is valid,
/// else a bounded prefix (an invalid name is still an attempt).
pub fn attempt_key(username: &str) -> String {
    normalize(username).unwrap_or_else(|_| username.trim().to_lowercase().chars().take(MAX_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_trimmed() {
        assert_eq!(normalize("Alice").unwrap(), "alice");
        assert_eq!(normalize("  bob.smith_2-x ").unwrap(), "bob.smith_2-x");
        assert_eq!(normalize("7eleven").unwrap(), "7eleven");
        assert_eq!(normalize(&"a".repeat(64)).unwrap().len(), 64);
    }

    #[test]
    fn bad_usernames_say_what_to_type() {
        for (name, says) in [
            ("", "enter a username"),
            ("   ", "enter a username"),
            (".hidden", "starts with a letter or a digit"),
            ("-flag", "starts with a letter or a digit"),
            ("_x", "starts with a letter or a digit"),
            ("a b", "' ' cannot be part of a username"),
            ("émile", "'é' cannot be part"),
            ("a@b", "'@' cannot"),
        ] {
            let err = normalize(name).unwrap_err().to_string();
            assert!(err.contains(says), "{name:?}: {err}");
        }
        assert!(normalize(&"a".repeat(65)).unwrap_err().to_string().contains("at most 64"));
    }

    #[test]
    fn attempts_on_a_name_count_whatever_its_case() {
        assert_eq!(attempt_key("ALICE"), attempt_key("alice"));
        assert_eq!(attempt_key(&"X".repeat(500)).len(), 64);
    }
}
