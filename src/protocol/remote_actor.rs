//! A remote actor's document, as the servers we talk to publish it. Only the fields we read
//! are typed; the whole document is kept as received.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

/// The actor types Mastodon accepts (docs/interop.md §1).
pub const ACTOR_TYPES: [&str; 5] = ["Application", "Group", "Organization", "Person", "Service"];

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorFields {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub inbox: Url,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    #[serde(default)]
    pub icon: Option<Value>,
    #[serde(default)]
    pub public_key: Option<OneOrMany<PublicKeyField>>,
    /// FEP-521a keys (Mastodon 4.7 publishes Ed25519 ones here).
    #[serde(default)]
    pub assertion_method: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyField {
    pub id: String,
    #[serde(default)]
    pub owner: Option<String>,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t).iter(),
            OneOrMany::Many(v) => v.iter(),
        }
    }
}

/// The typed view and the document it came from.
#[derive(Debug, Clone)]
pub struct ActorDocument {
    pub fields: ActorFields,
    pub raw: Value,
}

impl<'de> Deserialize<'de> for ActorDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let fields = ActorFields::deserialize(&raw).map_err(serde::de::Error::custom)?;
        Ok(ActorDocument { fields, raw })
    }
}

impl ActorDocument {
    /// The key with this id, if the actor publishes it (one key, or several as 4.7 may).
    pub fn key(&self, key_id: &str) -> Option<&PublicKeyField> {
        self.fields
            .public_key
            .as_ref()?
            .iter()
            .find(|k| k.id == key_id)
    }

    /// An FEP-521a `Multikey` with this id: its `publicKeyMultibase`.
    pub fn multikey(&self, key_id: &str) -> Option<String> {
        let methods = match self.fields.assertion_method.as_ref()? {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            one => vec![one],
        };
        methods
            .into_iter()
            .filter(|k| k.get("id").and_then(Value::as_str) == Some(key_id))
            .filter(|k| k.get("type").and_then(Value::as_str) == Some("Multikey"))
            .find_map(|k| k.get("publicKeyMultibase").and_then(Value::as_str))
            .map(str::to_owned)
    }

    /// The first key: the one we store.
    pub fn main_key(&self) -> Option<&PublicKeyField> {
        self.fields.public_key.as_ref()?.iter().next()
    }

    /// The avatar URL: `icon` as an Image object (or a list of them), its `url` a string or a
    /// Link.
    pub fn icon_url(&self) -> Option<String> {
        fn url_of(v: &Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o
                    .get("url")
                    .and_then(url_of)
                    .or_else(|| o.get("href").and_then(Value::as_str).map(str::to_owned)),
                Value::Array(a) => a.iter().find_map(url_of),
                _ => None,
            }
        }
        match self.fields.icon.as_ref()? {
            Value::String(_) => None,
            other => url_of(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ActorDocument;

    #[test]
    fn finds_fep_521a_multikeys() {
        let doc: ActorDocument = serde_json::from_value(serde_json::json!({
            "id": "https://a.example/u", "type": "Person", "inbox": "https://a.example/u/inbox",
            "publicKey": {"id": "https://a.example/u#main-key", "owner": "https://a.example/u", "publicKeyPem": "x"},
            "assertionMethod": [{"id": "https://a.example/u#ed", "type": "Multikey", "controller": "https://a.example/u", "publicKeyMultibase": "z6Mk"}],
        }))
        .unwrap();
        assert_eq!(
            doc.multikey("https://a.example/u#ed").as_deref(),
            Some("z6Mk")
        );
        assert!(doc.multikey("https://a.example/u#main-key").is_none());
    }
}
