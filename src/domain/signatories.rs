//! Signatories the coalition gathered off the fediverse (a newspaper's list, a paper form):
//! what one is, and how a list of them is read from a statement file or a CSV file, with
//! errors that name the line and the field.

use serde::{Deserialize, Serialize};

/// A person or an organisation, as the coalition recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatoryKind {
    Person,
    Organisation,
}

impl SignatoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatoryKind::Person => "person",
            SignatoryKind::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Option<SignatoryKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "person" | "personne" => Some(SignatoryKind::Person),
            "organisation" | "organization" => Some(SignatoryKind::Organisation),
            _ => None,
        }
    }
}

/// One recorded signatory. Field order is the ledger's canonical order (see
/// `domain::ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub kind: SignatoryKind,
    pub link: Option<String>,
    /// A fediverse handle, `user@host`, lower case, without the leading `@`.
    pub handle: Option<String>,
}

/// What is wrong with one signatory, and where: `line` is the CSV line or the position in
/// the statement file's list (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {field}: {problem}")]
pub struct SignatoryError {
    pub line: usize,
    pub field: String,
    pub problem: String,
}

/// A signatory as written, before checking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignatory {
    #[serde(default)]
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub kind: Option<String>,
    pub link: Option<String>,
    pub handle: Option<String>,
}

const MAX_FIELD: usize = 300;
/// How many signatories one list may hold.
pub const MAX_LIST: usize = 10_000;

fn optional(
    line: usize,
    field: &str,
    value: Option<&str>,
) -> Result<Option<String>, SignatoryError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_FIELD {
        return Err(SignatoryError {
            line,
            field: field.into(),
            problem: format!("longer than {MAX_FIELD} characters"),
        });
    }
    if v.chars().any(char::is_control) {
        return Err(SignatoryError {
            line,
            field: field.into(),
            problem: "holds a control character".into(),
        });
    }
    Ok(Some(v.to_owned()))
}

/// `@user@host`, `user@host` or `acct:user@host`, as `user@host` in lower case.
pub fn normalise_handle(h: &str) -> Option<String> {
    let h = h.trim();
    let h = h.strip_prefix("acct:").unwrap_or(h);
    let h = h.strip_prefix('@').unwrap_or(h);
    let (user, host) = h.split_once('@')?;
    let user_ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | ':'));
    (user_ok && host_ok).then(|| format!("{user}@{host}").to_lowercase())
}

impl RawSignatory {
    /// Check one signatory; `line` names it in errors.
    pub fn check(&self, line: usize) -> Result<Signatory, SignatoryError> {
        let err = |field: &str, problem: &str| SignatoryError {
            line,
            field: field.into(),
            problem: problem.into(),
        };
        let name =
            optional(line, "name", Some(&self.name))?.ok_or_else(|| err("name", "is missing"))?;
        let kind = match self.kind.as_deref() {
            None => SignatoryKind::Person,
            Some(k) => SignatoryKind::parse(k).ok_or_else(|| {
                err(
                    "kind",
                    &format!("{k:?} is not a kind: person or organisation"),
                )
            })?,
        };
        let link = optional(line, "link", self.link.as_deref())?;
        if let Some(l) = &link {
            let parsed = url::Url::parse(l).map_err(|_| err("link", "is not a URL"))?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(err("link", "must be an https or http URL"));
            }
        }
        let handle = match optional(line, "handle", self.handle.as_deref())? {
            None => None,
            Some(h) => Some(normalise_handle(&h).ok_or_else(|| {
                err(
                    "handle",
                    "is not a fediverse address like @name@example.org",
                )
            })?),
        };
        Ok(Signatory {
            name,
            role: optional(line, "role", self.role.as_deref())?,
            organisation: optional(line, "organisation", self.organisation.as_deref())?,
            kind,
            link,
            handle,
        })
    }
}

/// The key two entries of one list must not share: the same name in the same organisation.
pub fn identity(s: &Signatory) -> (String, String) {
    (
        s.name.to_lowercase(),
        s.organisation.as_deref().unwrap_or_default().to_lowercase(),
    )
}

/// Check a whole list: every entry, no duplicates (same name and organisation, or the same
/// handle); the first problem is returned.
pub fn check_list(
    raw: &[RawSignatory],
    first_line: usize,
) -> Result<Vec<Signatory>, SignatoryError> {
    if raw.len() > MAX_LIST {
        return Err(SignatoryError {
            line: first_line + MAX_LIST,
            field: "list".into(),
            problem: format!("more than {MAX_LIST} signatories at once"),
        });
    }
    let mut out: Vec<Signatory> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let line = first_line + i;
        let s = r.check(line)?;
        if let Some(j) = out.iter().position(|o| identity(o) == identity(&s)) {
            return Err(SignatoryError {
                line,
                field: "name".into(),
                problem: format!("the same signatory as {}", first_line + j),
            });
        }
        if let Some(h) = &s.handle
            && let Some(j) = out.iter().position(|o| o.handle.as_ref() == Some(h))
        {
            return Err(SignatoryError {
                line,
                field: "handle".into(),
                problem: format!("the same handle as {}", first_line + j),
            });
        }
        out.push(s);
    }
    Ok(out)
}

/// The columns a CSV file of signatories may have; `name` is required.
pub const CSV_COLUMNS: [&str; 6] = ["name", "role", "organisation", "kind", "link", "handle"];

/// Read a CSV file of signatories (UTF-8, a header line naming columns of [`CSV_COLUMNS`]).
/// Line numbers in errors are the file's, the header being line 1.
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Signatory>, SignatoryError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        SignatoryError {
            line,
            field: "encoding".into(),
            problem: "the file is not UTF-8 (save it as CSV UTF-8)".into(),
        }
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_err = |problem: String| SignatoryError {
        line: 1,
        field: "header".into(),
        problem,
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| header_err(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(header_err(format!(
                "unknown column {h:?}; the columns are {}",
                CSV_COLUMNS.join(", ")
            )));
        }
    }
    if !headers.iter().any(|h| h == "name") {
        return Err(header_err("a name column is required".into()));
    }
    let mut raw = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| SignatoryError {
            line,
            field: "line".into(),
            problem: e.to_string(),
        })?;
        let mut r = RawSignatory::default();
        for (h, v) in headers.iter().zip(record.iter()) {
            if h == "name" {
                v.clone_into(&mut r.name);
                continue;
            }
            let v = Some(v.to_owned());
            match h.as_str() {
                "role" => r.role = v,
                "organisation" => r.organisation = v,
                "kind" => r.kind = v.filter(|k| !k.trim().is_empty()),
                "link" => r.link = v,
                _ => r.handle = v,
            }
        }
        raw.push(r);
    }
    if raw.is_empty() {
        return Err(SignatoryError {
            line: 2,
            field: "line".into(),
            problem: "no signatory in the file".into(),
        });
    }
    check_list(&raw, 2)
}

#[cfg(test)]
#[path = "signatories_tests.rs"]
mod tests;
