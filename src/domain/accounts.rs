//! The web admin's accounts (docs/admin.md): who may do what, and what a name and a password
//! must be. No I/O here.

use std::fmt;

/// What an account may do. Owners do everything; editors write; moderators moderate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Editor,
    Moderator,
}

/// The classes of admin work, each granted to some roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Read the dashboard, the deliveries, the audit log; manage one's own API tokens.
    Look,
    /// Write, publish, edit, pin and delete statements.
    Write,
    /// Record and withdraw founding signatories.
    Sign,
    /// Followers, the relay queue, members, blocks, hiding co-signatures, retrying hosts.
    Moderate,
    /// Accounts, keys and settings.
    Govern,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Editor, Role::Moderator];

    pub fn may(self, duty: Duty) -> bool {
        matches!(
            (self, duty),
            (Role::Owner, _)
                | (_, Duty::Look)
                | (Role::Editor, Duty::Write | Duty::Sign)
                | (Role::Moderator, Duty::Moderate)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a name or a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountRule {
    #[error("a name is 1 to 40 characters: letters, digits, '.', '_' or '-'")]
    Name,
    #[error("a password is at least {MIN_PASSWORD} characters long")]
    TooShort,
    #[error("a password is at most {MAX_PASSWORD} bytes long")]
    TooLong,
    #[error("the two passwords differ")]
    Mismatch,
}

pub const MIN_PASSWORD: usize = 12;
/// Argon2 takes longer inputs, but nobody types more: a bound keeps hashing cheap.
pub const MAX_PASSWORD: usize = 1024;

/// An account name, as typed at login: kept as given, compared exactly.
pub fn check_name(name: &str) -> Result<&str, AccountRule> {
    let ok = !name.is_empty()
        && name.chars().count() <= 40
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then_some(name).ok_or(AccountRule::Name)
}

/// A new password and its confirmation.
pub fn check_password(password: &str, again: &str) -> Result<(), AccountRule> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountRule::TooShort);
    }
    if password.len() > MAX_PASSWORD {
        return Err(AccountRule::TooLong);
    }
    if password != again {
        return Err(AccountRule::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_its_duties() {
        use Duty::*;
        let table = [
            (Role::Owner, [true, true, true, true, true]),
            (Role::Editor, [true, true, true, false, false]),
            (Role::Moderator, [true, false, false, true, false]),
        ];
        for (role, rights) in table {
            for (duty, right) in [Look, Write, Sign, Moderate, Govern]
                .into_iter()
                .zip(rights)
            {
                assert_eq!(role.may(duty), right, "{role} {duty:?}");
            }
        }
    }

    #[test]
    fn names_and_passwords() {
        assert!(check_name("camille.d").is_ok());
        assert!(check_name("élise").is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(41)] {
            assert_eq!(check_name(bad), Err(AccountRule::Name), "{bad:?}");
        }
        assert_eq!(check_password("short", "short"), Err(AccountRule::TooShort));
        assert_eq!(
            check_password("correct horse", "correct house"),
            Err(AccountRule::Mismatch)
        );
        assert_eq!(
            check_password(&"x".repeat(2000), &"x".repeat(2000)),
            Err(AccountRule::TooLong)
        );
        assert!(check_password("correct horse battery", "correct horse battery").is_ok());
        assert_eq!(Role::parse("Editor"), Some(Role::Editor));
        assert_eq!(Role::parse("admin"), None);
    }
}
