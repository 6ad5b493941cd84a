//! Email as MIME: the same bytes go to SES (raw content) and, locally, into an `.eml` file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use stagepass_domain::notifications::models::Email;

/// A multipart/mixed message: the words as multipart/alternative (plain text, then HTML), then
/// each attachment, all in base64.
pub fn to_mime(m: &Email) -> Vec<u8> {
    let boundary = format!("stagepass-{}", uuid::Uuid::new_v4().simple());
    let mut out = String::new();
    out.push_str(&format!("From: {}\r\n", header_value(&m.from)));
    out.push_str(&format!("To: {}\r\n", header_value(&m.to)));
    out.push_str(&format!("Subject: {}\r\n", encode_word(&m.subject)));
    for (name, value) in &m.headers {
        out.push_str(&format!("{name}: {}\r\n", header_value(value)));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    // The words twice, as plain text and as HTML: a reader shows the best it can.
    let alternative = format!("alternative-{}", uuid::Uuid::new_v4().simple());
    out.push_str(&format!("--{boundary}\r\n"));
    out.push_str(&format!(
        "Content-Type: multipart/alternative; boundary=\"{alternative}\"\r\n\r\n"
    ));
    for (content_type, body) in [("text/plain", &m.text), ("text/html", &m.html)] {
        out.push_str(&format!("--{alternative}\r\n"));
        out.push_str(&format!(
            "Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        out.push_str(&wrap(&STANDARD.encode(body.as_bytes())));
    }
    out.push_str(&format!("--{alternative}--\r\n"));
    for a in &m.attachments {
        out.push_str(&format!("--{boundary}\r\n"));
        out.push_str(&format!(
                "Content-Type: {}; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                a.content_type,
                safe_name(&a.filename),
                safe_name(&a.filename)
            ));
        out.push_str(&wrap(&STANDARD.encode(&a.bytes)));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

/// Header values never carry a line break (no header injection from user data).
fn header_value(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// RFC 2047 encoding for subjects with non-ASCII text.
fn encode_word(v: &str) -> String {
    let v = header_value(v);
    if v.is_ascii() {
        v
    } else {
        format!("=?utf-8?B?{}?=", STANDARD.encode(v.as_bytes()))
    }
}

fn safe_name(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect()
}

fn wrap(b64: &str) -> String {
    let mut out = String::new();
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_cannot_inject_headers() {
        let mut m = Email::new("a@x", "b@y\r\nBcc: evil@z", "Hi\r\nBcc: evil@z");
        m.attach("../../x\".pdf", "application/pdf", vec![1, 2, 3]);
        let mime = String::from_utf8(to_mime(&m)).unwrap();
        assert!(!mime.contains("\r\nBcc:"));
        assert!(mime.contains("filename=\"....x.pdf\""));
    }

    #[test]
    fn both_parts_are_there_inside_one_alternative() {
        let mut m = Email::new("a@x.example", "b@x.example", "Hi");
        m.set_body("See https://x.example/".into());
        m.attach("t.pdf", "application/pdf", vec![1]);
        let mime = String::from_utf8(to_mime(&m)).unwrap();
        let alt = mime.find("multipart/alternative").unwrap();
        let text = mime.find("Content-Type: text/plain").unwrap();
        let html = mime.find("Content-Type: text/html").unwrap();
        let pdf = mime.find("Content-Type: application/pdf").unwrap();
        assert!(alt < text && text < html && html < pdf, "{mime}");
        assert!(mime.contains(&STANDARD.encode(m.html.as_bytes())[..60]));
    }
}
