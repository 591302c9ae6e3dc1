//! Remote text as the CLI prints it: in a terminal table no control character (an escape
//! sequence in a display name could rewrite the operator's screen), in CSV no cell that a
//! spreadsheet would run as a formula.

use std::io::{ErrorKind, Write};

/// Print a line on standard output (what `out!` does). When the reader has gone
/// (`tribune deliveries | head -4`), stop at once and quietly, with the status a tool killed
/// by SIGPIPE has (141), rather than panic as `println!` does.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        stop(&e)
    }
}

/// Print text on standard output as it is (no newline added).
pub fn text(s: &str) {
    if let Err(e) = std::io::stdout().lock().write_all(s.as_bytes()) {
        stop(&e)
    }
}

/// Status 141 (128 + SIGPIPE) when the reader is gone; any other failure to write (a full
/// disk under a redirection) is said once, status 1.
pub fn stop(e: &std::io::Error) -> ! {
    if e.kind() == ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1)
}

/// An error as one sentence: its causes joined by `: `, each said once (a database error
/// repeats its cause in its own message).
pub fn sentence(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Whether a command failed only because its reader closed the pipe (a CSV or archive
/// written to `head`).
pub fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let io = cause.downcast_ref::<std::io::Error>().or_else(|| {
            match cause.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                Some(csv::ErrorKind::Io(io)) => Some(io),
                _ => None,
            }
        });
        io.is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
    })
}

/// For a tab-separated table: every control character (tabs and newlines included, C1 and
/// DEL too) becomes a space.
pub fn cell(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// For a CSV cell: a value that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
/// gets a leading `'`, so that spreadsheets show it instead of evaluating it (OWASP's advice
/// on CSV injection); control characters other than those go as in `cell`.
pub fn csv_cell(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\r' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if clean.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{clean}")
    } else {
        clean
    }
}

/// A JSON value as a cell's text: strings as they are, null as nothing, the rest as JSON.
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_escapes_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("Asso Écologie"), "Asso Écologie");
        assert_eq!(cell("a\u{1b}[31mred\tx\ny\u{9b}z"), "a [31mred x y z");
    }
}
