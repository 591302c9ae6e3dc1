//! What arrives: activities decoded into [`Incoming`] after the inbox's tolerant envelope
//! check, with what each kind's handling needs.

use serde_json::Value;

use super::{
    PUBLIC,
    activities::{Answer, Kind},
};

/// The id of a value that is an id string or an object with an `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Whether an address is the public collection, in any of the forms servers write it.
pub fn is_public(s: &str) -> bool {
    s == PUBLIC || s == "as:Public" || s == "Public"
}

/// `to` or `cc` names the public collection (a public or unlisted post or boost).
pub fn addressed_publicly(activity: &Value) -> bool {
    ["to", "cc"].iter().any(|k| match activity.get(*k) {
        Some(Value::String(s)) => is_public(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(is_public),
        _ => false,
    })
}

/// What the object of an incoming `Undo` is: an activity embedded, or a bare id (Pleroma and
/// Akkoma send the id, docs/interop.md §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undone {
    /// An embedded activity of a kind we track, with its id, actor and object ids.
    Embedded {
        kind: Kind,
        id: Option<String>,
        actor: Option<String>,
        object: Option<String>,
    },
    /// An embedded activity of another kind.
    Other,
    /// Only an id.
    Id(String),
    Nothing,
}

impl Undone {
    pub fn from_object(object: &Value) -> Undone {
        match object {
            Value::String(s) => Undone::Id(s.clone()),
            Value::Object(o) => match o.get("type").and_then(Value::as_str) {
                Some(t) => match Kind::parse(t) {
                    Some(kind @ (Kind::Follow | Kind::Announce | Kind::Like)) => Undone::Embedded {
                        kind,
                        id: id_of(object).map(str::to_owned),
                        actor: o.get("actor").and_then(id_of).map(str::to_owned),
                        object: o.get("object").and_then(id_of).map(str::to_owned),
                    },
                    _ => Undone::Other,
                },
                None => id_of(object).map_or(Undone::Nothing, |id| Undone::Id(id.to_owned())),
            },
            _ => Undone::Nothing,
        }
    }

    /// The undone activity's id, embedded or bare.
    pub fn id(&self) -> Option<&str> {
        match self {
            Undone::Embedded { id, .. } => id.as_deref(),
            Undone::Id(id) => Some(id),
            Undone::Other | Undone::Nothing => None,
        }
    }

    /// The undone activity's object id, when embedded.
    pub fn object(&self) -> Option<&str> {
        match self {
            Undone::Embedded { object, .. } => object.as_deref(),
            _ => None,
        }
    }
}

/// An activity as received, decoded after the envelope check: the kinds tribune acts on,
/// with what each needs; anything else is accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Follow {
        object: Option<String>,
    },
    Undo(Undone),
    Announce {
        object: Option<String>,
        public: bool,
    },
    Like {
        object: Option<String>,
    },
    Create,
    Update,
    Delete {
        object: Option<String>,
    },
    /// An `Accept` or `Reject` of a Follow: its object embedded or by id.
    Answer {
        answer: Answer,
        id: Option<String>,
        follow_actor: Option<String>,
        follow_object: Option<String>,
        embedded_follow: bool,
    },
    Move {
        target: Option<String>,
    },
    Other(String),
}

impl Incoming {
    /// Decode from the activity's `type` and JSON. Never fails: what does not fit is `Other`.
    pub fn decode(kind: &str, raw: &Value) -> Incoming {
        let object = raw.get("object").unwrap_or(&Value::Null);
        let object_id = || id_of(object).map(str::to_owned);
        match Kind::parse(kind) {
            Some(Kind::Follow) => Incoming::Follow {
                object: object_id(),
            },
            Some(Kind::Undo) => Incoming::Undo(Undone::from_object(object)),
            Some(Kind::Announce) => Incoming::Announce {
                object: object_id(),
                public: addressed_publicly(raw),
            },
            Some(Kind::Like) => Incoming::Like {
                object: object_id(),
            },
            Some(Kind::Create) => Incoming::Create,
            Some(Kind::Update) => Incoming::Update,
            Some(Kind::Delete) => Incoming::Delete {
                object: object_id(),
            },
            Some(k @ (Kind::Accept | Kind::Reject)) => Incoming::Answer {
                answer: if k == Kind::Accept {
                    Answer::Accept
                } else {
                    Answer::Reject
                },
                id: object_id(),
                follow_actor: object.get("actor").and_then(id_of).map(str::to_owned),
                follow_object: object.get("object").and_then(id_of).map(str::to_owned),
                embedded_follow: object.get("type").and_then(Value::as_str) == Some("Follow"),
            },
            Some(Kind::Move) => Incoming::Move {
                target: raw.get("target").and_then(id_of).map(str::to_owned),
            },
            Some(Kind::Add | Kind::Remove) | None => Incoming::Other(kind.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undos_decode_embedded_or_bare() {
        let bare = Incoming::decode("Undo", &json!({"object": "https://p.example/l/1"}));
        assert_eq!(
            bare,
            Incoming::Undo(Undone::Id("https://p.example/l/1".into()))
        );
        let embedded = Incoming::decode(
            "Undo",
            &json!({"object": {"id": "https://p.example/l/1", "type": "Like",
                                "actor": "https://p.example/u", "object": {"id": "https://t.example/s/x"}}}),
        );
        let Incoming::Undo(u) = embedded else {
            panic!("an Undo")
        };
        assert_eq!(u.id(), Some("https://p.example/l/1"));
        assert_eq!(u.object(), Some("https://t.example/s/x"));
        assert_eq!(
            Incoming::decode("Undo", &json!({"object": {"type": "Block"}})),
            Incoming::Undo(Undone::Other)
        );
        assert_eq!(
            Incoming::decode("EmojiReact", &json!({})),
            Incoming::Other("EmojiReact".into())
        );
    }

    #[test]
    fn public_addressing_in_every_form() {
        assert!(addressed_publicly(&json!({"to": PUBLIC})));
        assert!(addressed_publicly(&json!({"cc": ["as:Public"]})));
        assert!(!addressed_publicly(
            &json!({"to": ["https://m.example/followers"]})
        ));
    }
}
