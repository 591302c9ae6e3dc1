use std::fmt;

/// The user part of the coalition's handle.
///
/// Mastodon only accepts `[a-z0-9_]+([.-]+[a-z0-9_]+)*`, case-insensitively
/// (`app/models/account.rb`, USERNAME_RE; docs/interop.md §1): an accented name would make
/// the actor unfollowable, so it is refused at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > Self::MAX_LEN {
            return Err(format!("at most {} characters", Self::MAX_LEN));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(format!(
                "{s:?} has characters Mastodon refuses: use ASCII letters, digits, \"_\", and \".\" or \"-\" between them"
            ));
        }
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let first = s.chars().next().is_some_and(word);
        let last = s.chars().next_back().is_some_and(word);
        if !first || !last {
            return Err(format!(
                "{s:?} must start and end with a letter, digit or \"_\""
            ));
        }
        Ok(Username(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Handles are compared without regard to case, as Mastodon does.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Username;

    #[test]
    fn accepts_mastodon_usernames() {
        for ok in [
            "coalition",
            "hiatus",
            "coalition-ecologie",
            "a.b",
            "x_y",
            "A1",
            "a--b",
            "_x_",
        ] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_mastodon_refuses() {
        for bad in [
            "",
            "écologie",
            "-a",
            "a-",
            ".a",
            "a.",
            "a b",
            "a@b",
            "a/b",
            &"x".repeat(65),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matches_without_case() {
        let u = Username::parse("Hiatus").unwrap();
        assert!(u.matches("hiatus") && u.matches("HIATUS") && !u.matches("hiatu"));
    }
}
