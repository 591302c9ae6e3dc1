//! Remote text as the CLI prints it: in a terminal table no control character (an escape
//! sequence in a display name could rewrite the operator's screen), in CSV no cell that a
//! spreadsheet would run as a formula.

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
