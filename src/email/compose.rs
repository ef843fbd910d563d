//! One notification as an email: plain text and HTML alternatives of the same words, the
//! title as subject, absolute links, an unsubscribe link in the footer and the
//! `List-Unsubscribe` headers mail clients show as a button (RFC 2369, one-click RFC 8058).

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

/// What one email says: the notification's words and where its links go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub title: String,
    pub body: String,
    /// The absolute link to what the notification is about.
    pub link: Option<String>,
    /// The page that turns this kind of email off (a confirmation page with a button).
    pub unsubscribe_page: String,
    /// Where a mail client's one-click unsubscribe posts (no confirmation needed).
    pub unsubscribe_post: String,
    /// The account page, where every kind is chosen.
    pub settings_page: String,
}

impl Letter {
    /// `link` (a path of the site, or already absolute) made absolute with `public_url`.
    pub fn absolute(public_url: &str, link: &str) -> String {
        if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else {
            format!("{public_url}/{}", link.trim_start_matches('/'))
        }
    }

    pub fn text(&self) -> String {
        let mut text = format!("{}\n\n{}\n", self.title, self.body);
        if let Some(link) = &self.link {
            text.push_str(&format!("\nOpen it: {link}\n"));
        }
        text.push_str(&format!(
            "\n--\nYou receive this email because of your notification settings.\n\
             Stop emails like this one: {}\nChoose which emails you get: {}\n",
            self.unsubscribe_page, self.settings_page
        ));
        text
    }

    pub fn html(&self) -> String {
        let paragraphs: String = self
            .body
            .split("\n\n")
            .map(|paragraph| format!("<p>{}</p>", escape(paragraph).replace('\n', "<br>")))
            .collect();
        let button = self.link.as_deref().map_or_else(String::new, |link| {
            format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:8px 16px;\
                 background:#2563eb;color:#fff;text-decoration:none;border-radius:4px\">Open it</a></p>",
                escape(link)
            )
        });
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#111\">\
             <h1 style=\"font-size:1.25em\">{title}</h1>{paragraphs}{button}\
             <hr><p style=\"font-size:0.85em;color:#555\">You receive this email because of your \
             notification settings. <a href=\"{unsubscribe}\">Stop emails like this one</a> &middot; \
             <a href=\"{settings}\">Choose which emails you get</a></p></body></html>\n",
            title = escape(&self.title),
            unsubscribe = escape(&self.unsubscribe_page),
            settings = escape(&self.settings_page),
        )
    }

    /// The message from `from` to `to`.
    pub fn message(&self, from: Mailbox, to: Mailbox) -> Result<Message, lettre::error::Error> {
        Message::builder()
            .from(from)
            .to(to)
            .subject(self.title.as_str())
            .date_now()
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", self.unsubscribe_post),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(self.text(), self.html()))
    }
}

/// `text` safe inside HTML text and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            title: "Usage of <Echo> at 90 %".into(),
            body: "You used 90 of 100 calls & counting.\n\nIt resets tomorrow.".into(),
            link: Some(Letter::absolute("https://a.example", "/my-agents")),
            unsubscribe_page: "https://a.example/unsubscribe/d1".into(),
            unsubscribe_post: "https://a.example/api/unsubscribe/d1".into(),
            settings_page: "https://a.example/account".into(),
        }
    }

    #[test]
    fn html_escapes_what_the_notification_says() {
        let html = letter().html();
        assert!(html.contains("Usage of &lt;Echo&gt; at 90 %"), "{html}");
        assert!(html.contains("100 calls &amp; counting."), "{html}");
        assert!(!html.contains("<Echo>"), "{html}");
        assert_eq!(escape("\"'"), "&quot;&#39;");
    }

    #[test]
    fn both_parts_carry_the_absolute_link_and_the_unsubscribe_link() {
        let letter = letter();
        for part in [letter.text(), letter.html()] {
            assert!(part.contains("https://a.example/my-agents"), "{part}");
            assert!(part.contains("https://a.example/unsubscribe/d1"), "{part}");
            assert!(part.contains("https://a.example/account"), "{part}");
        }
        assert_eq!(
            Letter::absolute("https://a.example", "https://b.example/x"),
            "https://b.example/x"
        );
    }

    #[test]
    fn the_message_is_multipart_with_a_subject_and_list_unsubscribe_headers() {
        let from: Mailbox = "Abetworks <no-reply@a.example>".parse().expect("a mailbox");
        let to: Mailbox = "Lea <lea@example.com>".parse().expect("a mailbox");
        let raw = String::from_utf8(letter().message(from, to).expect("a message").formatted())
            .expect("ASCII");
        assert!(raw.contains("Subject: Usage of <Echo> at 90 %"), "{raw}");
        assert!(
            raw.contains("List-Unsubscribe: <https://a.example/api/unsubscribe/d1>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
        assert!(raw.contains("Content-Type: text/html"), "{raw}");
    }
}
