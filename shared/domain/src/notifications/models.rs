//! An email as plain data; an adapter renders it (MIME for SES and `.eml` files).

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part: the same words as `text` (see [`Email::set_body`]).
    pub html: String,
    /// Extra headers (for example the integration event id, for tracing a mail to its cause).
    pub headers: Vec<(String, String)>,
    pub attachments: Vec<Attachment>,
}

impl Email {
    pub fn new(from: &str, to: &str, subject: &str) -> Self {
        Self {
            from: from.to_string(),
            to: to.to_string(),
            subject: subject.to_string(),
            text: String::new(),
            html: String::new(),
            headers: Vec::new(),
            attachments: Vec::new(),
        }
    }

    /// Sets both parts from one text, so they can never say different things: the HTML part
    /// is the text, escaped, in paragraphs, with every http(s) address a link.
    pub fn set_body(&mut self, text: String) {
        self.html = html_of(&self.subject, &text);
        self.text = text;
    }

    pub fn attach(&mut self, filename: &str, content_type: &str, bytes: Vec<u8>) {
        self.attachments.push(Attachment {
            filename: filename.to_string(),
            content_type: content_type.to_string(),
            bytes,
        });
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of text as HTML: escaped, with each whitespace-separated http(s) address a link.
fn line_html(line: &str) -> String {
    let mut out = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.starts_with("https://") || word.starts_with("http://") {
            let href = escape(word);
            out.push_str(&format!("<a href=\"{href}\">{href}</a>"));
        } else {
            out.push_str(&escape(word));
        }
    }
    out
}

fn html_of(subject: &str, text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim_end)
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(|l| line_html(l.trim())).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:system-ui,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;max-width:36em\">\n{}\n</body></html>\n",
        escape(subject),
        paragraphs.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_says_what_the_text_says_escaped_with_links() {
        let mut mail = Email::new("a@x.example", "b@x.example", "Tom & <Jerry>");
        mail.set_body(
            "Hello <b>Ann</b> & co.\n\nOpen https://x.example/#/guest/a.b?c=1&d=\"2\" today.\nBye\n"
                .into(),
        );
        assert!(mail.text.starts_with("Hello <b>Ann</b>"));
        assert!(mail.html.contains("<title>Tom &amp; &lt;Jerry&gt;</title>"));
        assert!(
            mail.html
                .contains("<p>Hello &lt;b&gt;Ann&lt;/b&gt; &amp; co.</p>")
        );
        assert!(mail.html.contains(
            "<a href=\"https://x.example/#/guest/a.b?c=1&amp;d=&quot;2&quot;\">https://x.example/#/guest/a.b?c=1&amp;d=&quot;2&quot;</a> today.<br>\nBye</p>"
        ));
        assert!(!mail.html.contains("<b>"));
    }
}
