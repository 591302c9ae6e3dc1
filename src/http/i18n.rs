//! The public pages' interface in French and English: chosen by `?lang=`, else the visitor's
//! `Accept-Language`, else the coalition's primary language.

use axum::http::{HeaderMap, header};

use crate::domain::LanguageTag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ui {
    Fr,
    En,
}

impl Ui {
    pub fn code(self) -> &'static str {
        match self {
            Ui::Fr => "fr",
            Ui::En => "en",
        }
    }

    pub fn other(self) -> Ui {
        match self {
            Ui::Fr => Ui::En,
            Ui::En => Ui::Fr,
        }
    }

    pub fn from_tag(tag: &str) -> Option<Ui> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Ui::Fr),
            "en" => Some(Ui::En),
            _ => None,
        }
    }

    /// `?lang=` wins, then `Accept-Language` by quality, then the primary language.
    pub fn choose(query: Option<&str>, headers: &HeaderMap, primary: Option<&LanguageTag>) -> Ui {
        let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Ui::from_tag(&v));
        if let Some(ui) = asked {
            return ui;
        }
        let mut best: Option<(f32, Ui)> = None;
        for value in headers.get_all(header::ACCEPT_LANGUAGE) {
            let Ok(value) = value.to_str() else { continue };
            for range in value.split(',') {
                let mut parts = range.split(';');
                let Some(ui) = parts.next().and_then(Ui::from_tag) else {
                    continue;
                };
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, ui));
                }
            }
        }
        best.map(|(_, ui)| ui)
            .or_else(|| primary.and_then(|p| Ui::from_tag(p.as_str())))
            .unwrap_or(Ui::En)
    }

    /// The words for a count of `n`: singular for 1 (and for 0 in French, as French says
    /// "0 abonné·e"), else the plural `t` gives.
    pub fn t_n(self, key: Key, n: impl std::borrow::Borrow<u64>) -> &'static str {
        use Key::*;
        let n = *n.borrow();
        let singular = match self {
            Ui::Fr => n <= 1,
            Ui::En => n == 1,
        };
        if !singular {
            return self.t(key);
        }
        match (self, key) {
            (Ui::Fr, Followers) => "abonné·e",
            (Ui::En, Followers) => "follower",
            (Ui::Fr, Cosignatures) => "cosignature",
            (Ui::En, Cosignatures) => "co-signature",
            (Ui::Fr, Likes) => "soutien",
            (Ui::En, Likes) => "like",
            (Ui::Fr, FirstSignatories) => "premier signataire",
            (Ui::En, FirstSignatories) => "first signatory",
            (Ui::Fr, Members) => "organisation membre",
            (Ui::En, Members) => "member organisation",
            _ => self.t(key),
        }
    }

    /// The web admin's words, given in both languages where they are used.
    pub fn say(self, en: &'static str, fr: &'static str) -> &'static str {
        match self {
            Ui::Fr => fr,
            Ui::En => en,
        }
    }

    /// The interface's words.
    pub fn t(self, key: Key) -> &'static str {
        use Key::*;
        match (self, key) {
            (Ui::Fr, Follow) => "Suivre",
            (Ui::En, Follow) => "Follow",
            (Ui::Fr, FollowHelp) => {
                "Saisissez votre adresse sur le fédivers (par exemple @vous@mastodon.social) ou votre serveur : vous serez conduit·e sur votre serveur pour suivre la coalition."
            }
            (Ui::En, FollowHelp) => {
                "Enter your fediverse address (for example @you@mastodon.social) or your server: you will be taken to your server to follow the coalition."
            }
            (Ui::Fr, Cosign) => "Cosigner",
            (Ui::En, Cosign) => "Co-sign",
            (Ui::Fr, CosignHelp) => {
                "Partagez (boostez) cette déclaration depuis votre compte : c'est votre signature. Annuler le partage la retire."
            }
            (Ui::En, CosignHelp) => {
                "Boost this statement from your account: that is your signature. Un-boosting withdraws it."
            }
            (Ui::Fr, YourAddress) => "Votre adresse ou votre serveur",
            (Ui::En, YourAddress) => "Your address or server",
            (Ui::Fr, Placeholder) => "@vous@mastodon.social",
            (Ui::En, Placeholder) => "@you@mastodon.social",
            (Ui::Fr, BadHandle) => {
                "Cette adresse n'est pas une adresse du fédivers. Saisissez @vous@votre.serveur ou votre.serveur."
            }
            (Ui::En, BadHandle) => {
                "This is not a fediverse address. Enter @you@your.server or your.server."
            }
            (Ui::Fr, Unreachable) => {
                "Impossible de trouver l'adresse d'interaction de ce serveur. Vérifiez l'adresse saisie."
            }
            (Ui::En, Unreachable) => {
                "That server's interaction address could not be found. Check the address you entered."
            }
            (Ui::Fr, TryAgain) => "Essayez à nouveau",
            (Ui::En, TryAgain) => "Try again",
            (Ui::Fr, Continue) => "Continuer",
            (Ui::En, Continue) => "Continue",
            (Ui::Fr, Members) => "Organisations membres",
            (Ui::En, Members) => "Member organisations",
            (Ui::Fr, Statements) => "Déclarations",
            (Ui::En, Statements) => "Statements",
            (Ui::Fr, Pinned) => "À la une",
            (Ui::En, Pinned) => "Pinned",
            (Ui::Fr, Followers) => "abonné·es",
            (Ui::En, Followers) => "followers",
            (Ui::Fr, Cosignatures) => "cosignatures",
            (Ui::En, Cosignatures) => "co-signatures",
            (Ui::Fr, Likes) => "soutiens",
            (Ui::En, Likes) => "likes",
            (Ui::Fr, Cosigners) => "Cosignataires",
            (Ui::En, Cosigners) => "Co-signers",
            (Ui::Fr, MemberOrgs) => "Organisations membres",
            (Ui::En, MemberOrgs) => "Member organisations",
            (Ui::Fr, OtherOrgs) => "Autres organisations",
            (Ui::En, OtherOrgs) => "Other organisations",
            (Ui::Fr, Persons) => "Personnes",
            (Ui::En, Persons) => "People",
            (Ui::Fr, Withdrawn) => "Signatures retirées",
            (Ui::En, Withdrawn) => "Withdrawn signatures",
            (Ui::Fr, WithdrawnOn) => "retirée le",
            (Ui::En, WithdrawnOn) => "withdrawn on",
            (Ui::Fr, LedgerHead) => "Registre signé des cosignatures : entrée",
            (Ui::En, LedgerHead) => "Signed ledger of co-signatures: entry",
            (Ui::Fr, Versions) => "Versions du texte",
            (Ui::En, Versions) => "Versions of the text",
            (Ui::Fr, Version) => "version",
            (Ui::En, Version) => "version",
            (Ui::Fr, Current) => "actuelle",
            (Ui::En, Current) => "current",
            (Ui::Fr, SignedVersion) => "a signé la version",
            (Ui::En, SignedVersion) => "signed version",
            (Ui::Fr, Published) => "Publiée le",
            (Ui::En, Published) => "Published on",
            (Ui::Fr, Edited) => "modifiée le",
            (Ui::En, Edited) => "edited on",
            (Ui::Fr, FirstSignatories) => "premiers signataires",
            (Ui::En, FirstSignatories) => "first signatories",
            (Ui::Fr, FoundingSignatories) => "Premiers signataires",
            (Ui::En, FoundingSignatories) => "First signatories",
            (Ui::Fr, OnTheFediverse) => "sur le fédivers",
            (Ui::En, OnTheFediverse) => "on the fediverse",
            (Ui::Fr, AlsoOnTheFediverse) => "a aussi signé sur le fédivers",
            (Ui::En, AlsoOnTheFediverse) => "also signed on the fediverse",
            (Ui::Fr, NoCosigners) => "Pas encore de cosignataire.",
            (Ui::En, NoCosigners) => "No co-signers yet.",
            (Ui::Fr, NoStatements) => "Pas encore de déclaration.",
            (Ui::En, NoStatements) => "No statements yet.",
            (Ui::Fr, Languages) => "Langues du texte",
            (Ui::En, Languages) => "Languages of the text",
            (Ui::Fr, Interface) => "English",
            (Ui::En, Interface) => "Français",
            (Ui::Fr, TagFeed) => "Flux Atom de ce mot-clé",
            (Ui::En, TagFeed) => "Atom feed of this tag",
            (Ui::Fr, Tags) => "Mots-clés",
            (Ui::En, Tags) => "Tags",
            (Ui::Fr, Feed) => "Flux Atom des déclarations",
            (Ui::En, Feed) => "Atom feed of the statements",
            (Ui::Fr, Chart) => "Signatures au fil du temps",
            (Ui::En, Chart) => "Signatures over time",
            (Ui::Fr, Deleted) => "Cette déclaration a été supprimée.",
            (Ui::En, Deleted) => "This statement was deleted.",
            (Ui::Fr, OlderVersion) => "Vous lisez une version antérieure.",
            (Ui::En, OlderVersion) => "You are reading an earlier version.",
            (Ui::Fr, ReadCurrent) => "Lire la version actuelle",
            (Ui::En, ReadCurrent) => "Read the current version",
            (Ui::Fr, Back) => "Retour au profil",
            (Ui::En, Back) => "Back to the profile",
            (Ui::Fr, NoMembers) => "Pas encore de membre.",
            (Ui::En, NoMembers) => "No members yet.",
        }
    }
}

/// Every text of the interface: templates name them as `Key::…`, so that a key without a
/// translation, or a misspelt one, is a compile error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Follow,
    FollowHelp,
    Cosign,
    CosignHelp,
    YourAddress,
    Continue,
    Placeholder,
    BadHandle,
    Unreachable,
    TryAgain,
    Members,
    Statements,
    Pinned,
    Followers,
    Cosignatures,
    Likes,
    Cosigners,
    MemberOrgs,
    OtherOrgs,
    Persons,
    Withdrawn,
    WithdrawnOn,
    LedgerHead,
    Versions,
    Version,
    Current,
    SignedVersion,
    Published,
    Edited,
    FirstSignatories,
    FoundingSignatories,
    OnTheFediverse,
    AlsoOnTheFediverse,
    NoCosigners,
    NoStatements,
    Languages,
    Interface,
    Feed,
    TagFeed,
    Tags,
    Chart,
    Deleted,
    OlderVersion,
    ReadCurrent,
    Back,
    NoMembers,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn counts_take_the_singular_each_language_uses() {
        assert_eq!(Ui::Fr.t_n(Key::Followers, 1_u64), "abonné·e");
        assert_eq!(Ui::Fr.t_n(Key::Followers, 0_u64), "abonné·e");
        assert_eq!(Ui::Fr.t_n(Key::Followers, 2_u64), "abonné·es");
        assert_eq!(Ui::En.t_n(Key::Followers, 1_u64), "follower");
        assert_eq!(Ui::En.t_n(Key::Followers, 0_u64), "followers");
        assert_eq!(Ui::En.t_n(Key::FirstSignatories, 1_u64), "first signatory");
        assert_eq!(Ui::Fr.t_n(Key::Cosignatures, 22_u64), "cosignatures");
    }

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn chooses_the_interface_language() {
        let fr = LanguageTag::parse("fr").unwrap();
        assert_eq!(Ui::choose(None, &HeaderMap::new(), Some(&fr)), Ui::Fr);
        assert_eq!(
            Ui::choose(None, &with("en-GB,en;q=0.9,fr;q=0.5"), Some(&fr)),
            Ui::En
        );
        assert_eq!(
            Ui::choose(None, &with("de-DE,fr;q=0.4,en;q=0.3"), Some(&fr)),
            Ui::Fr
        );
        assert_eq!(Ui::choose(Some("lang=en"), &with("fr"), Some(&fr)), Ui::En);
        assert_eq!(Ui::choose(None, &with("de"), None), Ui::En);
    }
}
