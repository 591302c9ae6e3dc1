//! Prometheus metrics: counters kept as things happen, gauges read from the database when
//! `/metrics` is scraped.

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InboxLabels {
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    pub inbox: Family<InboxLabels, Counter>,
    pub signature_failures: Family<ReasonLabels, Counter>,
    pub deliveries: Family<OutcomeLabels, Counter>,
    pub open_breakers: Gauge,
    /// Requests sent a second time at once, on a fresh connection, after a pooled one closed
    /// before any answer (the receiver may have taken the first: BENCHMARKS.md, B8).
    pub resent_at_once: Counter,
    /// Deliveries whose outcome was not recorded because another process had claimed the
    /// row meanwhile (this one's heartbeat or lease lapsed): each may have been sent twice.
    pub deliveries_taken_over: Counter,
    /// Transactions the inbox's applier ran, and the activities they applied.
    pub inbox_transactions: Counter,
    pub inbox_applied: Counter,
    /// How long each of the applier's batches took, commit included.
    pub inbox_batch_seconds: Seconds,
    /// How long a verified activity waited for its answer from the applier: the batch
    /// before its own, then its own (BENCHMARKS.md, B4 at half rate).
    pub inbox_apply_seconds: Seconds,
    /// Reads answered from the response cache in front of the routes (`http::front`): with
    /// the reads the routes answer, the share of hot documents served as prepared bytes.
    pub kept_answers: Counter,
}

/// A histogram of durations, from half a millisecond to about two seconds.
#[derive(Debug, Clone)]
pub struct Seconds(pub Histogram);

impl Default for Seconds {
    fn default() -> Self {
        Seconds(Histogram::new(exponential_buckets(0.0005, 2.0, 13)))
    }
}

impl Seconds {
    pub fn observe(&self, d: std::time::Duration) {
        self.0.observe(d.as_secs_f64());
    }
}

impl Metrics {
    pub fn inbox(&self, kind: &str, outcome: &str) {
        self.inbox
            .get_or_create(&InboxLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// One transaction of the inbox's applier, for `activities` verified activities.
    pub fn inbox_batch(&self, activities: usize) {
        self.inbox_transactions.inc();
        self.inbox_applied
            .inc_by(u64::try_from(activities).unwrap_or(u64::MAX));
    }

    pub fn signature_failure(&self, reason: &str) {
        self.signature_failures
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn delivery(&self, outcome: &str) {
        self.deliveries
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The text exposition, with the database's gauges of this scrape.
    pub fn render(&self, gauges: &Gauges) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::with_prefix("tribune");
        registry.register(
            "inbox_requests",
            "Inbox requests by activity type and outcome",
            self.inbox.clone(),
        );
        registry.register(
            "signature_failures",
            "Refused signatures by reason",
            self.signature_failures.clone(),
        );
        registry.register(
            "deliveries",
            "Delivery attempts by outcome",
            self.deliveries.clone(),
        );
        registry.register(
            "deliveries_resent_at_once",
            "Requests sent again at once after a reused connection closed before any answer",
            self.resent_at_once.clone(),
        );
        registry.register(
            "deliveries_taken_over",
            "Deliveries another process claimed while this one was sending them (possibly sent twice)",
            self.deliveries_taken_over.clone(),
        );
        registry.register(
            "open_breakers",
            "Hosts whose circuit breaker is open (this process)",
            self.open_breakers.clone(),
        );
        registry.register(
            "inbox_transactions",
            "Transactions the inbox applied verified activities in (several share one under load)",
            self.inbox_transactions.clone(),
        );
        registry.register(
            "inbox_applied",
            "Verified activities handed to the inbox's transactions",
            self.inbox_applied.clone(),
        );
        registry.register(
            "inbox_batch_seconds",
            "How long each transaction of the inbox's applier took, commit included",
            self.inbox_batch_seconds.0.clone(),
        );
        registry.register(
            "inbox_apply_seconds",
            "How long a verified activity waited for the applier's answer (its batch, and the one before)",
            self.inbox_apply_seconds.0.clone(),
        );
        registry.register(
            "kept_answers",
            "Reads answered from the response cache before the routes",
            self.kept_answers.clone(),
        );
        let gauge = |v: i64| {
            let g: Gauge = Gauge::default();
            g.set(v);
            g
        };
        registry.register(
            "queue_depth",
            "Deliveries pending",
            gauge(gauges.queue_depth),
        );
        registry.register(
            "queue_oldest_due_seconds",
            "Age of the oldest due pending delivery",
            gauge(gauges.oldest_due_seconds),
        );
        registry.register("followers", "Accepted followers", gauge(gauges.followers));
        registry.register(
            "cosignatures",
            "Current visible co-signatures, all statements",
            gauge(gauges.cosignatures),
        );
        registry.register("relays", "Relays of members' posts", gauge(gauges.relays));
        let mut out = String::new();
        encode(&mut out, &registry)?;
        Ok(out)
    }
}

/// Values read from the database at scrape time.
#[derive(Debug, Default)]
pub struct Gauges {
    pub queue_depth: i64,
    pub oldest_due_seconds: i64,
    pub followers: i64,
    pub cosignatures: i64,
    pub relays: i64,
}
