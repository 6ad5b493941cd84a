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
    pub text: String,
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
            headers: Vec::new(),
            attachments: Vec::new(),
        }
    }

    pub fn attach(&mut self, filename: &str, content_type: &str, bytes: Vec<u8>) {
        self.attachments.push(Attachment {
            filename: filename.to_string(),
            content_type: content_type.to_string(),
            bytes,
        });
    }
}
