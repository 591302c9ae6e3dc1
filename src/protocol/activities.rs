//! Typed activities: every activity we send is an [`Activity`] built by one of the
//! constructors below and serialised with its `@context`; what arrives is decoded into an
//! [`Incoming`] after the inbox's tolerant envelope check.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{AS_CONTEXT, PUBLIC};

/// The activity types tribune sends or acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Follow,
    Accept,
    Reject,
    Undo,
    Announce,
    Like,
    Create,
    Update,
    Delete,
    Add,
    Remove,
    Move,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "Follow",
            Kind::Accept => "Accept",
            Kind::Reject => "Reject",
            Kind::Undo => "Undo",
            Kind::Announce => "Announce",
            Kind::Like => "Like",
            Kind::Create => "Create",
            Kind::Update => "Update",
            Kind::Delete => "Delete",
            Kind::Add => "Add",
            Kind::Remove => "Remove",
            Kind::Move => "Move",
        }
    }

    /// The kind named by an activity's `type`, if tribune knows it.
    pub fn parse(s: &str) -> Option<Kind> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An activity we send. Fields are written in this order; empty ones are left out.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// FEP-1b12: the group an announced activity belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub object: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A time as ActivityPub servers write it: RFC 3339, whole seconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An object without its own `@context`, for embedding in an activity that has one.
pub fn without_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.shift_remove("@context");
    }
    v
}

fn random_suffix() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A Follow as our answers embed it and as it is kept: its id, type, actor and object, as
/// ids; whatever else a sender put in it (up to the inbox's 1 MiB) is dropped (SECURITY.md,
/// attack 5). Mastodon matches an embedded Follow by its actor and object (docs/interop.md §3).
pub fn minimal_follow(follow: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["id", "type", "actor", "object"] {
        if let Some(v) = follow.get(key) {
            // An embedded actor or object stands for its id.
            let v = match (key, v.get("id")) {
                ("actor" | "object", Some(id)) => id.clone(),
                _ => v.clone(),
            };
            out.insert(key.to_owned(), v);
        }
    }
    Value::Object(out)
}

/// Our answers to a Follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Reject,
}

impl Activity {
    fn new(kind: Kind, id: String, actor: &Url, object: Value) -> Activity {
        Activity {
            context: Value::String(AS_CONTEXT.into()),
            id,
            kind,
            actor: actor.to_string(),
            published: None,
            to: Vec::new(),
            cc: Vec::new(),
            audience: None,
            object,
            target: None,
        }
    }

    /// Public, and to the coalition's followers (plus `also`).
    fn public(mut self, followers: &Url, also: Option<&str>) -> Activity {
        self.to = vec![PUBLIC.into()];
        self.cc = std::iter::once(followers.to_string())
            .chain(also.map(str::to_owned))
            .collect();
        self
    }

    /// The JSON body, as delivered.
    pub fn body(&self) -> String {
        // Serialising this struct cannot fail: every field is a string, a list or a Value.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The coalition follows `target`.
    pub fn follow(coalition: &Url, target: &str) -> Activity {
        let id = format!("{coalition}#follows/{}", random_suffix());
        Activity::new(Kind::Follow, id, coalition, Value::String(target.into()))
    }

    /// `Undo` of a Follow the coalition sent, embedding it.
    pub fn undo_follow(coalition: &Url, follow_id: &str, target: &str) -> Activity {
        let follow = Activity::new(
            Kind::Follow,
            follow_id.to_owned(),
            coalition,
            Value::String(target.into()),
        );
        let mut object = follow.to_value();
        object = without_context(object);
        Activity::new(Kind::Undo, format!("{follow_id}/undo"), coalition, object)
    }

    /// `Accept` or `Reject` embedding the Follow (its id, type, actor and object): Mastodon matches a
    /// string object only against the Follow id it stored, and an embedded Follow by its
    /// actor and object, so the embedded form always works (docs/interop.md §3).
    pub fn follow_answer(
        coalition: &Url,
        answer: Answer,
        follow: &Value,
        follower: &str,
    ) -> Activity {
        let (kind, path) = match answer {
            Answer::Accept => (Kind::Accept, "accepts"),
            Answer::Reject => (Kind::Reject, "rejects"),
        };
        let id = format!("{coalition}#{path}/follows/{}", random_suffix());
        let mut a = Activity::new(kind, id, coalition, minimal_follow(follow));
        a.to = vec![follower.to_owned()];
        a
    }

    /// The coalition relays a member's post: an `Announce` by id, since Mastodon ignores an
    /// embedded object not attributed to the announcer and fetches the post from its origin
    /// (docs/interop.md §6).
    pub fn announce_post(
        id: String,
        coalition: &Url,
        followers: &Url,
        post_id: &str,
        author: &str,
        at: DateTime<Utc>,
    ) -> Activity {
        let mut a = Activity::new(Kind::Announce, id, coalition, Value::String(post_id.into()))
            .public(followers, Some(author));
        a.published = Some(rfc3339(at));
        a
    }

    /// FEP-1b12's form for Lemmy, Mbin and PieFed followers: the member's Create, verbatim,
    /// announced by the group (docs/interop.md §6).
    pub fn announce_create(
        id: String,
        coalition: &Url,
        followers: &Url,
        create: Value,
    ) -> Activity {
        let mut a = Activity::new(Kind::Announce, id, coalition, without_context(create))
            .public(followers, None);
        a.audience = Some(coalition.to_string());
        a
    }

    /// `Undo` of a relay, embedding our Announce.
    pub fn undo_announce(
        coalition: &Url,
        followers: &Url,
        announce_id: &str,
        post_id: &str,
        member: &str,
    ) -> Activity {
        let announce = Activity::new(
            Kind::Announce,
            announce_id.to_owned(),
            coalition,
            Value::String(post_id.into()),
        );
        Activity::new(
            Kind::Undo,
            format!("{announce_id}/undo"),
            coalition,
            without_context(announce.to_value()),
        )
        .public(followers, Some(member))
    }

    /// `Create` or `Update` of a Note, addressed as the Note is.
    pub fn wrap_note(
        id: String,
        kind: Kind,
        coalition: &Url,
        note: Value,
        context: Value,
        at: DateTime<Utc>,
    ) -> Activity {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut a = Activity::new(kind, id, coalition, Value::Null);
        a.context = context;
        a.published = Some(rfc3339(at));
        a.to = strings(&note["to"]);
        a.cc = strings(&note["cc"]);
        a.object = without_context(note);
        a
    }

    /// `Delete` of a statement, as a Tombstone.
    pub fn delete_note(id: String, coalition: &Url, followers: &Url, note_id: &str) -> Activity {
        let object = serde_json::json!({"id": note_id, "type": "Tombstone"});
        Activity::new(Kind::Delete, id, coalition, object).public(followers, None)
    }

    /// `Add` or `Remove` of a statement on `featured` (pin, unpin).
    pub fn featured_change(
        id: String,
        kind: Kind,
        coalition: &Url,
        followers: &Url,
        featured: &Url,
        note_id: &str,
    ) -> Activity {
        let mut a = Activity::new(kind, id, coalition, Value::String(note_id.into()))
            .public(followers, None);
        a.target = Some(featured.to_string());
        a
    }

    /// `Update` of the coalition's actor document (a new key, a new profile).
    pub fn update_actor(
        coalition: &Url,
        followers: &Url,
        actor: Value,
        context: Value,
    ) -> Activity {
        let id = format!("{coalition}#updates/{}", random_suffix());
        let mut a = Activity::new(Kind::Update, id, coalition, without_context(actor))
            .public(followers, None);
        a.context = context;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_follow_answer_embeds_the_follow_and_is_addressed_to_the_follower() {
        let follow = json!({"id": "https://m.example/f/1", "type": "Follow"});
        let a = Activity::follow_answer(
            &url("https://t.example/ap/c"),
            Answer::Accept,
            &follow,
            "https://m.example/users/a",
        )
        .to_value();
        assert_eq!(a["@context"], AS_CONTEXT);
        assert_eq!(a["type"], "Accept");
        assert_eq!(a["object"], follow);
        assert_eq!(a["to"], json!(["https://m.example/users/a"]));
        assert!(a.get("cc").is_none());
        assert!(
            a["id"]
                .as_str()
                .unwrap()
                .starts_with("https://t.example/ap/c#accepts/follows/")
        );
    }

    #[test]
    fn an_undo_of_our_follow_embeds_it_without_context() {
        let a = Activity::undo_follow(
            &url("https://t.example/ap/c"),
            "https://t.example/ap/c#follows/1",
            "https://m.example/users/a",
        )
        .to_value();
        assert_eq!(a["id"], "https://t.example/ap/c#follows/1/undo");
        assert_eq!(
            a["object"],
            json!({"id": "https://t.example/ap/c#follows/1", "type": "Follow",
                   "actor": "https://t.example/ap/c", "object": "https://m.example/users/a"})
        );
    }

    #[test]
    fn a_relay_is_public_to_followers_and_the_author() {
        let a = Activity::announce_post(
            "https://t.example/ap/activities/1".into(),
            &url("https://t.example/ap/c"),
            &url("https://t.example/ap/c/followers"),
            "https://m.example/notes/1",
            "https://m.example/users/a",
            DateTime::from_timestamp(0, 0).unwrap(),
        )
        .to_value();
        assert_eq!(a["to"], json!([PUBLIC]));
        assert_eq!(
            a["cc"],
            json!([
                "https://t.example/ap/c/followers",
                "https://m.example/users/a"
            ])
        );
        assert_eq!(a["object"], "https://m.example/notes/1");
        assert_eq!(a["published"], "1970-01-01T00:00:00Z");
    }
}
