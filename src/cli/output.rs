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

/// A list as every list command prints it (one convention): `table`, a header line then a
/// tab-separated row each, or `none` under the header when empty; `json`, an array of
/// objects keyed by the columns; `csv`, with a header and defused cells.
pub struct Table {
    columns: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &'static [&'static str]) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// A row: a cell per column, as plain text.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self, format: super::Format) {
        match format {
            super::Format::Table => {
                out!("{}", self.columns.join("\t"));
                if self.rows.is_empty() {
                    out!("none");
                }
                for row in &self.rows {
                    let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                    out!("{}", cells.join("\t"));
                }
            }
            super::Format::Json => {
                let list: Vec<serde_json::Value> = self
                    .rows
                    .iter()
                    .map(|row| {
                        let object: serde_json::Map<String, serde_json::Value> = self
                            .columns
                            .iter()
                            .zip(row)
                            .map(|(k, v)| (k.replace(' ', "_"), v.clone().into()))
                            .collect();
                        serde_json::Value::Object(object)
                    })
                    .collect();
                out!("{}", serde_json::Value::Array(list));
            }
            super::Format::Csv => {
                let line = |cells: Vec<String>| {
                    let quoted: Vec<String> = cells
                        .iter()
                        .map(|c| {
                            let c = csv_cell(c);
                            if c.contains([',', '"', '\n', '\r']) {
                                format!("\"{}\"", c.replace('"', "\"\""))
                            } else {
                                c
                            }
                        })
                        .collect();
                    out!("{}", quoted.join(","));
                };
                line(self.columns.iter().map(|c| c.to_string()).collect());
                for row in &self.rows {
                    line(row.clone());
                }
            }
        }
    }
}

/// A time as lists show it.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
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
