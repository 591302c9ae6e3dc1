//! The chart of signatures over time: an inline SVG drawn by a template, no script.
//!
//! Cumulative signatures per day (UTC), from the first day with a signature to the last: each
//! day's change is drawn across that day, so signatures that arrive together make a slope
//! over their day rather than a vertical line at the edge, and days without any are flat.
//! The first and last dates label the axis; the title says the whole in words.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::*;

/// The plot's frame, in the SVG's own units (it scales to the page's width).
const LEFT: f64 = 44.0;
const RIGHT: f64 = 590.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 128.0;

#[derive(Template)]
#[template(path = "chart.html")]
struct Chart {
    title: String,
    caption: &'static str,
    line: String,
    area: String,
    top: i64,
    first_day: String,
    last_day: String,
}

/// The level after each day, in order, with the days between them.
fn daily_levels(history: &[db::read::cosign::SignatureRow]) -> Vec<(NaiveDate, i64, i64)> {
    let mut deltas: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for s in history.iter().filter(|s| s.counts && s.hidden_at.is_none()) {
        *deltas.entry(s.signed_at.date_naive()).or_default() += 1;
        if let Some(w) = s.withdrawn_at {
            *deltas.entry(w.date_naive()).or_default() -= 1;
        }
    }
    let (Some(first), Some(last)) = (
        deltas.keys().next().copied(),
        deltas.keys().next_back().copied(),
    ) else {
        return Vec::new();
    };
    let mut level = 0;
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| {
            let before = level;
            level += deltas.get(&d).copied().unwrap_or(0);
            (d, before, level)
        })
        .collect()
}

/// The SVG, or nothing before the first signature.
pub(super) fn chart(history: &[db::read::cosign::SignatureRow], ui: Ui) -> String {
    let days = daily_levels(history);
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return String::new();
    };
    let top = days.iter().map(|d| d.2.max(d.1)).max().unwrap_or(1).max(1);
    let n = days.len() as f64;
    let x = |i: f64| LEFT + i / n * (RIGHT - LEFT);
    let y = |level: i64| BOTTOM - level as f64 / top as f64 * (BOTTOM - TOP);
    let mut points = Vec::with_capacity(days.len() * 2);
    for (i, (_, before, after)) in days.iter().enumerate() {
        points.push((x(i as f64), y(*before)));
        points.push((x(i as f64 + 1.0), y(*after)));
    }
    let line: Vec<String> = points
        .iter()
        .map(|(px, py)| format!("{px:.1},{py:.1}"))
        .collect();
    let area = format!(
        "{LEFT:.1},{BOTTOM:.1} {} {RIGHT:.1},{BOTTOM:.1}",
        line.join(" ")
    );
    let chart = Chart {
        title: format!(
            "{} : {} ({} → {})",
            ui.t(Key::Chart),
            last.2,
            first.0,
            last.0
        ),
        caption: ui.t(Key::Chart),
        line: line.join(" "),
        area,
        top,
        first_day: first.0.to_string(),
        last_day: last.0.to_string(),
    };
    // The template holds only numbers, dates and fixed words; rendering cannot fail on input.
    chart.render().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::states::{SignerClass, Visibility};

    fn signed(day: &str, withdrawn: Option<&str>) -> db::read::cosign::SignatureRow {
        let at = |d: &str| {
            DateTime::parse_from_rfc3339(&format!("{d}T12:00:00Z"))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        db::read::cosign::SignatureRow {
            announce_id: String::new(),
            slug: String::new(),
            actor_id: String::new(),
            actor_kind: "Person".into(),
            actor_name: None,
            actor_handle: None,
            actor_icon: None,
            actor_host: String::new(),
            class: SignerClass::Person,
            counts: true,
            visibility: Visibility::Public,
            version: 1,
            version_hash: String::new(),
            signed_at: at(day),
            withdrawn_at: withdrawn.map(at),
            hidden_at: None,
            hidden_reason: None,
        }
    }

    #[test]
    fn many_signatures_on_one_day_make_a_slope_across_it() {
        let history: Vec<_> = (0..50).map(|_| signed("2026-11-30", None)).collect();
        let days = daily_levels(&history);
        assert_eq!(days.len(), 1);
        assert_eq!((days[0].1, days[0].2), (0, 50));
        let svg = chart(&history, Ui::En);
        // From the bottom left to the top right: not a vertical line at the edge.
        assert!(svg.contains("points=\"44.0,128.0 590.0,16.0\""), "{svg}");
        assert!(svg.contains("2026-11-30"));
        assert!(svg.contains(">50<"), "the top of the axis: {svg}");
    }

    #[test]
    fn the_count_is_cumulative_and_withdrawals_lower_it() {
        let history = vec![
            signed("2026-11-01", None),
            signed("2026-11-01", Some("2026-11-03")),
            signed("2026-11-04", None),
        ];
        let days = daily_levels(&history);
        let levels: Vec<i64> = days.iter().map(|d| d.2).collect();
        assert_eq!(
            levels,
            [2, 2, 1, 2],
            "one value per day, quiet days included"
        );
        let svg = chart(&history, Ui::Fr);
        assert!(
            svg.contains("2026-11-01") && svg.contains("2026-11-04"),
            "{svg}"
        );
        assert!(
            svg.contains("<title id=\"chart-title\">"),
            "a text alternative"
        );
        assert!(chart(&[], Ui::Fr).is_empty());
    }
}
