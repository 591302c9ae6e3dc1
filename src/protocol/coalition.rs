//! The coalition: the one local actor, its URLs and its actor document.

use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use url::Url;

use crate::{
    config::{CoalitionSettings, PublicUrl},
    domain::{LanguageTag, Username, ledger_head::AssertionKey},
    media::Image,
    protocol::{
        actor::{Endpoints, GroupActor, ImageObject, PropertyValue, actor_context},
        ledger_head::multikey,
    },
    util::{escape_html, text_to_html_paragraphs},
};

/// Every URL of the coalition, derived once from `server.public_url` and the username.
#[derive(Debug, Clone)]
pub struct CoalitionUrls {
    pub base: PublicUrl,
    /// `host[:port]` of the base, as a request's `Host` names this server.
    pub authority: String,
    /// The actor id, `…/ap/<username>`; WebFinger's self link is this string byte for byte.
    pub actor: Url,
    /// The human profile page, `…/@<username>`, the actor's `url`.
    pub profile: Url,
    pub inbox: Url,
    pub shared_inbox: Url,
    pub outbox: Url,
    pub followers: Url,
    pub following: Url,
    pub featured: Url,
    pub members: Url,
    pub key_id: String,
}

impl CoalitionUrls {
    pub fn new(base: &PublicUrl, username: &Username) -> Result<Self, url::ParseError> {
        let at = |path: String| Url::parse(&base.join(&path));
        let actor_path = format!("/ap/{username}");
        let actor = at(actor_path.clone())?;
        Ok(CoalitionUrls {
            base: base.clone(),
            authority: base.authority(),
            profile: at(format!("/@{username}"))?,
            inbox: at(format!("{actor_path}/inbox"))?,
            shared_inbox: at("/inbox".into())?,
            outbox: at(format!("{actor_path}/outbox"))?,
            followers: at(format!("{actor_path}/followers"))?,
            following: at(format!("{actor_path}/following"))?,
            featured: at(format!("{actor_path}/featured"))?,
            members: at(format!("{actor_path}/members"))?,
            key_id: format!("{actor}#main-key"),
            actor,
        })
    }

    /// A statement's id, `…/statements/<slug>`.
    pub fn statement(&self, slug: &str) -> String {
        self.base.join(&format!("/statements/{slug}"))
    }

    pub fn media(&self, image: &Image) -> Result<Url, url::ParseError> {
        Url::parse(&self.base.join(&format!("/media/{}", image.file_name)))
    }
}

/// The coalition as the server runs it: settings, keys and images together.
#[derive(Clone)]
pub struct Coalition {
    pub username: Username,
    pub name: String,
    pub languages: Vec<LanguageTag>,
    pub summary: Vec<(LanguageTag, String)>,
    pub fields: Vec<(String, String)>,
    pub discoverable: bool,
    pub indexable: bool,
    pub manually_approves_followers: bool,
    pub avatar: Image,
    pub header: Image,
    pub public_key_pem: String,
    private_key_pem: String,
    /// Signs the ledgers' heads (docs/ledger.md); published as a Multikey.
    pub assertion_key: AssertionKey,
    pub published: DateTime<Utc>,
    pub urls: CoalitionUrls,
}

impl std::fmt::Debug for Coalition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalition")
            .field("actor", &self.urls.actor.as_str())
            .finish_non_exhaustive()
    }
}

pub struct CoalitionParts {
    pub avatar: Image,
    pub header: Image,
    pub public_key_pem: String,
    pub private_key_pem: String,
    pub assertion_key: AssertionKey,
    pub published: DateTime<Utc>,
}

impl Coalition {
    pub fn new(
        settings: &CoalitionSettings,
        base: &PublicUrl,
        parts: CoalitionParts,
    ) -> Result<Self, url::ParseError> {
        Ok(Coalition {
            urls: CoalitionUrls::new(base, &settings.username)?,
            username: settings.username.clone(),
            name: settings.name.clone(),
            languages: settings.languages.clone(),
            summary: settings.summary.clone(),
            fields: settings
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            discoverable: settings.discoverable,
            indexable: settings.indexable,
            manually_approves_followers: settings.manually_approves_followers,
            avatar: parts.avatar,
            header: parts.header,
            public_key_pem: parts.public_key_pem,
            private_key_pem: parts.private_key_pem,
            assertion_key: parts.assertion_key,
            published: parts.published,
        })
    }

    /// `username@host[:port]`, the handle without the leading `@`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.urls.authority)
    }

    /// The private key, for signing; never serialised.
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }

    /// The bio as HTML: one block of paragraphs per language, primary language first.
    pub fn summary_html(&self) -> String {
        self.summary
            .iter()
            .map(|(_, text)| text_to_html_paragraphs(text))
            .collect()
    }

    /// The actor document with the key currently in use.
    pub fn to_actor_with_key(&self, public_key_pem: String) -> Result<GroupActor, url::ParseError> {
        let mut actor = self.to_actor()?;
        actor.public_key.public_key_pem = public_key_pem;
        Ok(actor)
    }

    pub fn to_actor(&self) -> Result<GroupActor, url::ParseError> {
        let urls = &self.urls;
        let image = |img: &Image| -> Result<ImageObject, url::ParseError> {
            Ok(ImageObject {
                kind: "Image".into(),
                media_type: img.media_type.into(),
                url: urls.media(img)?,
                name: (!img.alt.is_empty()).then(|| img.alt.clone()),
            })
        };
        Ok(GroupActor {
            context: actor_context(),
            id: urls.actor.clone(),
            kind: "Group".into(),
            preferred_username: self.username.to_string(),
            webfinger: self.handle(),
            name: self.name.clone(),
            summary: self.summary_html(),
            url: urls.profile.clone(),
            inbox: urls.inbox.clone(),
            outbox: urls.outbox.clone(),
            followers: urls.followers.clone(),
            following: urls.following.clone(),
            featured: urls.featured.clone(),
            members: urls.members.clone(),
            endpoints: Endpoints {
                shared_inbox: urls.shared_inbox.clone(),
            },
            manually_approves_followers: self.manually_approves_followers,
            discoverable: self.discoverable,
            indexable: self.indexable,
            published: self.published,
            icon: image(&self.avatar)?,
            image: image(&self.header)?,
            attachment: self
                .fields
                .iter()
                .map(|(name, value)| PropertyValue {
                    kind: "PropertyValue".into(),
                    name: name.clone(),
                    value: field_value_html(value),
                })
                .collect(),
            public_key: PublicKey {
                id: urls.key_id.clone(),
                owner: urls.actor.clone(),
                public_key_pem: self.public_key_pem.clone(),
            },
            assertion_method: vec![multikey(&urls.actor, &self.assertion_key.multibase())],
        })
    }
}

/// A profile field's value as HTML. An http(s) URL becomes a link with `rel="me"`, which
/// Mastodon follows to verify the field (`app/services/verify_link_service.rb`).
pub fn field_value_html(value: &str) -> String {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            let shown = value
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            format!(
                "<a href=\"{}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
                escape_html(url.as_str()),
                escape_html(shown)
            )
        }
        _ => escape_html(value),
    }
}

#[cfg(test)]
mod tests {
    use super::field_value_html;

    #[test]
    fn field_values_link_urls_and_escape_text() {
        assert_eq!(
            field_value_html("https://example.org/"),
            "<a href=\"https://example.org/\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">example.org</a>"
        );
        assert_eq!(field_value_html("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(
            field_value_html("javascript:alert(1)"),
            "javascript:alert(1)"
        );
    }
}
