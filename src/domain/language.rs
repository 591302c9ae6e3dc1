use std::fmt;

/// A BCP 47 language tag as used in `contentMap` keys: a 2–3 letter primary subtag, then
/// optional subtags of 1–8 letters or digits (`fr`, `en`, `pt-BR`, `zh-Hant`). The primary
/// subtag is lower-cased; the rest is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "{s:?} is not a language tag (expected e.g. fr, en, pt-BR)"
            ));
        }
        let mut out = primary.to_ascii_lowercase();
        for p in parts {
            if !(1..=8).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "{s:?} is not a language tag (expected e.g. fr, en, pt-BR)"
                ));
            }
            out.push('-');
            out.push_str(p);
        }
        Ok(LanguageTag(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::LanguageTag;

    #[test]
    fn parses_common_tags() {
        assert_eq!(LanguageTag::parse("FR").unwrap().as_str(), "fr");
        assert_eq!(LanguageTag::parse("pt-BR").unwrap().as_str(), "pt-BR");
        for bad in ["", "f", "français", "fr_FR", "en-", "e1"] {
            assert!(LanguageTag::parse(bad).is_err(), "{bad}");
        }
    }
}
