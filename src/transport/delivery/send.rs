//! One attempt at a delivery: the POST signed afresh, sent, and its answer classified.

use std::time::Duration;

use url::Url;

use super::{DeliveryWorker, Lease, Shared};
use crate::{
    db::{self, deliveries::Claimed, delivery_leases},
    transport::{
        outgoing,
        retry::{self, Attempt, classify, error_chain},
        signing::{Signed, Unsigned},
    },
    util::now_ms,
};

/// Time allowed for recording a send's outcome once its answer came, beyond the request's
/// timeout, before its lease may run out: as long as a heartbeat takes to go stale, so
/// that a database slow enough to outlast it shows as a lapse too (`owner`).
const RECORDING_MS: i64 = super::owner::STALE_MS;

/// Where a POST goes, and how.
#[derive(Clone, Copy)]
struct To<'a> {
    id: i64,
    url: &'a Url,
    body: &'a bytes::Bytes,
    close: bool,
}

impl DeliveryWorker {
    /// Send `row`, held under `lease`; `close`: no other row for its host waits, sent with
    /// `Connection: close`. `None`: no (further) POST sent, this process's heartbeat having
    /// lapsed since the claim or the lease run out (another may have the row now); the row
    /// is left unrecorded for whoever claims it next.
    pub(super) async fn attempt(
        &self,
        shared: &Shared,
        row: &Claimed,
        close: bool,
        lease: &mut Lease,
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
            id: row.id,
            url: &url,
            body: &row.body,
            close,
        };
        let first = self.send(shared, &to, lease, knows_9421).await?;
        // Double knock, as Mastodon 4.7 does: a 401 to draft-cavage may mean the server
        // wants RFC 9421; try once with it, and remember the host if that works.
        if !knows_9421 && matches!(first, Attempt::Transient(Some(401), _)) {
            let second = self.send(shared, &to, lease, true).await?;
            if let Attempt::Delivered(_) = second
                && let Ok(mut hosts) = shared.rfc9421_hosts.lock()
            {
                hosts.insert(host);
            }
            return Some(second);
        }
        Some(first)
    }

    /// Whether the lease on row `id` lasts until this send's answer is recorded, extended if
    /// need be; false when it ran out and the row was claimed again (by this process or
    /// another) or the database did not answer, so that no row is sent twice. A row may have
    /// waited long for its host's turn (many rows for one slow host), and the signing takes
    /// time under load: this is checked after both, as the POST leaves.
    async fn keep_lease(&self, id: i64, lease: &mut Lease) -> bool {
        let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
        let lease_ms = ms(self.settings.lease_seconds);
        // The send (bounded by its timeout), then the recording of its outcome.
        let cover_ms = ms(self.settings.timeout_seconds).saturating_add(RECORDING_MS);
        let now = now_ms();
        if lease.until.saturating_sub(now) >= (lease_ms / 2).max(cover_ms) {
            return true;
        }
        let until = now.saturating_add(lease_ms.max(cover_ms));
        match delivery_leases::extend(&self.db, id, lease.until, until).await {
            Ok(true) => {
                lease.until = until;
                true
            }
            Ok(false) => {
                tracing::debug!("lease ran out while waiting; claimed again meanwhile");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "extending a delivery's lease");
                false
            }
        }
    }

    async fn send(
        &self,
        shared: &Shared,
        to: &To<'_>,
        lease: &mut Lease,
        rfc9421: bool,
    ) -> Option<Attempt> {
        let To {
            id,
            url,
            body,
            close,
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
        // At the last moment: the lease must outlast the send and its recording, and another
        // process takes the row once our heartbeat is `owner::STALE_MS` old.
        if !self.keep_lease(id, lease).await || !shared.owner.may_send(lease.generation) {
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
        // Both tries together within the timeout, which the lease was made to cover.
        let again = request.try_clone();
        let timeout = self.settings.timeout_seconds;
        let sent = tokio::time::timeout(Duration::from_secs(timeout), async {
            match (request.send().await, again) {
                (Err(e), Some(again)) if retry::closed_before_answer(&e) => {
                    self.metrics.resent_at_once.inc();
                    again.send().await
                }
                (sent, _) => sent,
            }
        })
        .await;
        Some(match sent {
            Ok(Ok(res)) => classify(res.status().as_u16()),
            Ok(Err(e)) => Attempt::Transient(None, error_chain(&e)),
            Err(_) => Attempt::Transient(None, format!("no answer within {timeout} s")),
        })
    }
}
