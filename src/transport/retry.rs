//! Mastodon's retry rules (docs/interop.md §7): 2xx is done; 4xx other than 401, 408 and 429
//! is final; everything else is tried again after a growing delay.

/// How an attempt ended.
pub(super) enum Attempt {
    Delivered(u16),
    Final(Option<u16>, String),
    Transient(Option<u16>, String),
}

pub(super) fn classify(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered(status),
        401 | 408 | 429 => Attempt::Transient(Some(status), format!("HTTP {status}")),
        400..=499 | 501 => Attempt::Final(Some(status), format!("HTTP {status}")),
        _ => Attempt::Transient(Some(status), format!("HTTP {status}")),
    }
}

/// Delay before the attempt after the `n`-th failure: (n⁴ + 15) units plus up to 30% jitter.
pub fn backoff_ms(n: i32, unit_ms: u64) -> i64 {
    let n = u64::try_from(n.max(1)).unwrap_or(1);
    let base = n
        .saturating_pow(4)
        .saturating_add(15)
        .saturating_mul(unit_ms);
    let jitter = rand::random::<u64>() % (base * 3 / 10 + 1);
    i64::try_from(base.saturating_add(jitter)).unwrap_or(i64::MAX)
}

/// Whether a send failed because the connection closed before the answer came: hyper's
/// "connection closed before message completed", as when the peer closes a pooled keep-alive
/// connection while we write on it (docs/interop.md §7). Such a send is worth one more try at
/// once, on a fresh connection.
pub(super) fn closed_before_answer(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
    })
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
