//! Delivery: retry rules and back-off.

use super::*;
use crate::transport::retry::classify;

#[test]
fn retry_rules_follow_mastodon() {
    assert!(matches!(classify(202), Attempt::Delivered(202)));
    for s in [401, 408, 429, 500, 502, 503] {
        assert!(matches!(classify(s), Attempt::Transient(..)), "{s}");
    }
    for s in [400, 403, 404, 410, 413, 422, 501] {
        assert!(matches!(classify(s), Attempt::Final(..)), "{s}");
    }
}

#[test]
fn backoff_grows_to_about_three_days() {
    assert!((16_000..=20_800).contains(&backoff_ms(1, 1000)));
    let total: i64 = (1..16).map(|n| backoff_ms(n, 1000)).sum();
    let days = total as f64 / 86_400_000.0;
    assert!((1.5..4.0).contains(&days), "{days} days");
}
