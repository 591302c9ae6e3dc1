//! The chart of signatures over time: an inline SVG drawn by a template, no script.

use super::*;

#[derive(Template)]
#[template(path = "chart.html")]
struct Chart {
    title: &'static str,
    level: i64,
    points: String,
    top: i64,
}

/// A small SVG line of the number of signatures over time (no script, inline).
pub(super) fn chart(history: &[db::read::cosign::SignatureRow], ui: Ui) -> String {
    let mut events: Vec<(DateTime<Utc>, i64)> = Vec::new();
    for s in history.iter().filter(|s| s.counts && s.hidden_at.is_none()) {
        events.push((s.signed_at, 1));
        if let Some(w) = s.withdrawn_at {
            events.push((w, -1));
        }
    }
    if events.len() < 2 {
        return String::new();
    }
    events.sort();
    let (start, end) = (events[0].0, events[events.len() - 1].0);
    let span = (end - start).num_seconds().max(1) as f64;
    let mut level = 0i64;
    let mut points = vec![(0.0f64, 0i64)];
    for (at, delta) in &events {
        let x = (*at - start).num_seconds() as f64 / span * 560.0;
        points.push((x, level));
        level += delta;
        points.push((x, level));
    }
    let top = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", 20.0 + x, 110.0 - (*y as f64) / top * 90.0))
        .collect();
    let chart = Chart {
        title: ui.t(Key::Chart),
        level,
        points: coords.join(" "),
        top: top as i64,
    };
    // The template holds only numbers and a fixed title; rendering cannot fail on input.
    chart.render().unwrap_or_default()
}
