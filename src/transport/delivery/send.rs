//! One attempt at a delivery: the POST signed afresh, sent, and its answer classified.

use url::Url;

use super::{DeliveryWorker, Shared};
use crate::{
    db::{self, deliveries::Claimed},
    transport::{
        outgoing,
        retry::{self, Attempt, classify, error_chain},
        signing::{Signed, Unsigned},
    },
};

/// Where a POST goes, and how.
#[derive(Clone, Copy)]
struct To<'a> {
    url: &'a Url,
    body: &'a bytes::Bytes,
    close: bool,
    generation: u64,
}

impl DeliveryWorker {
    /// Send `row`, claimed under `generation` of this process's owner id; `close`: no other
    /// row for its host waits, sent with `Connection: close`. `None`: no (further) POST sent,
    /// this process's heartbeat having lapsed since the claim (another may have the row now);
    /// the row is left unrecorded for whoever claims it next.
    pub(super) async fn attempt(
        &self,
        shared: &Shared,
        row: &Claimed,
        close: bool,
        generation: u64,
    ) -> Option<Attempt> {
        let url = match Url::parse(&row.inbox) {
            Ok(u) => u,
            Err(e) => return Some(Attempt::Final(None, format!("bad inbox URL: {e}"))),
        };
        // Before each send, not only when the row was queued: an inbox may have been stored
        // under other settings (SECURITY.md, attack 1). Refused for good, never retried.
        if let Err(e) = outgoing::check(&url, self.allow_private_addresses) {
            return Some(Attempt::Final(None, format!("refused address: {e}")));
        }
        let host = db::deliveries::authority(&url);
        let knows_9421 = shared
            .rfc9421_hosts
            .lock()
            .map(|h| h.contains(&host))
            .unwrap_or(false);
        let to = To {
            url: &url,
            body: &row.body,
            close,
            generation,
        };
        let first = self.send(shared, &to, knows_9421).await?;
        // Double knock, as Mastodon 4.7 does: a 401 to draft-cavage may mean the server
        // wants RFC 9421; try once with it, and remember the host if that works.
        if !knows_9421 && matches!(first, Attempt::Transient(Some(401), _)) {
            let second = self.send(shared, &to, true).await?;
            if let Attempt::Delivered(_) = second
                && let Ok(mut hosts) = shared.rfc9421_hosts.lock()
            {
                hosts.insert(host);
            }
            return Some(second);
        }
        Some(first)
    }

    async fn send(&self, shared: &Shared, to: &To<'_>, rfc9421: bool) -> Option<Attempt> {
        let To {
            url,
            body,
            close,
            generation,
        } = *to;
        let signed = match shared
            .signing
            .sign(self.keys.signer(), url, body, rfc9421)
            .await
        {
            Ok(signed) => signed,
            Err(Unsigned::Failed(e)) => return Some(Attempt::Final(None, e)),
            Err(Unsigned::Stopped) => {
                return Some(Attempt::Transient(
                    None,
                    "no signing thread answered".into(),
                ));
            }
        };
        // Once more at the last moment: the lease's extension and the signing take time, and
        // another process takes the row once our heartbeat is `owner::STALE_MS` old.
        if !shared.owner.may_send(generation) {
            return None;
        }
        let request = self
            .client
            .post(url.clone())
            .header("accept", "application/activity+json, application/ld+json");
        let request = match signed {
            Signed::Cavage(h) => request
                .header("host", h.host)
                .header("date", h.date)
                .header("digest", h.digest)
                .header("content-type", h.content_type)
                .header("signature", h.signature),
            Signed::Message(h) => request
                .header("content-type", h.content_type)
                .header("content-digest", h.content_digest)
                .header("signature-input", h.signature_input)
                .header("signature", h.signature),
        };
        let request = if close {
            request.header("connection", "close")
        } else {
            request
        };
        let request = request.body(body.clone());
        // A pooled connection the peer closed while idle fails before any answer: the same
        // signed request once more at once, not after the backoff (docs/interop.md §7).
        let again = request.try_clone();
        let sent = match (request.send().await, again) {
            (Err(e), Some(again)) if retry::closed_before_answer(&e) => {
                self.metrics.resent_at_once.inc();
                again.send().await
            }
            (sent, _) => sent,
        };
        Some(match sent {
            Ok(res) => classify(res.status().as_u16()),
            Err(e) => Attempt::Transient(None, error_chain(&e)),
        })
    }
}
