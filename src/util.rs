//! Small helpers shared by the HTML and ActivityPub renderers.

/// Escape text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text to HTML paragraphs: a blank line starts a paragraph, a single line break
/// becomes `<br>`. Everything is escaped.
pub fn text_to_html_paragraphs(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(|l| escape_html(l.trim())).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The SHA-256 of a token, what is kept in memory.
pub fn token_hash(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A URL's host in the one form hosts are compared and stored in: lower case (the URL parser
/// has already turned an internationalised name into its ASCII form) and without the trailing
/// dot of a fully qualified name, so that `B.example.` is `b.example` (docs/interop.md §9).
pub fn normal_host(url: &url::Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// `host[:port]` of a URL, the host in its normal form.
pub fn normal_authority(url: &url::Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", normal_host(url)),
        None => normal_host(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<a href="x">O'Neil & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(
            text_to_html_paragraphs("one\ntwo\n\n\n<three>\r\n"),
            "<p>one<br>two</p><p>&lt;three&gt;</p>"
        );
        assert_eq!(text_to_html_paragraphs("  "), "");
    }

    #[test]
    fn hosts_have_one_form() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(normal_host(&u("http://B.Localhost.:8080/x")), "b.localhost");
        assert_eq!(
            normal_authority(&u("http://b.localhost.:8080/x")),
            "b.localhost:8080"
        );
        assert_eq!(
            normal_authority(&u("https://xn--cole-9oa.example/")),
            "xn--cole-9oa.example"
        );
        assert_eq!(
            normal_authority(&u("https://école.example/")),
            "xn--cole-9oa.example"
        );
    }
}
