//! The invitation email. The invitee may have no account yet, so it cannot be a delivery of
//! the outbox (those go to users): it is sent once, right after the invitation is stored, and
//! the admin is told whether it went out (the link is shown to them either way).

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::email::{escape, Mailer};

/// What the invitee reads.
pub(super) struct InvitationLetter<'a> {
    pub organization_name: &'a str,
    pub inviter_name: &'a str,
    pub accept_url: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl InvitationLetter<'_> {
    fn subject(&self) -> String {
        format!("Join {} on Abetworks", self.organization_name)
    }

    fn body(&self) -> String {
        format!(
            "{} invites you to join {} on Abetworks.\n\nThe link works once, until {}. \
             Sign in (or sign up) with this email address to accept.",
            self.inviter_name,
            self.organization_name,
            self.expires_at.format("%Y-%m-%d %H:%M UTC"),
        )
    }

    fn text(&self) -> String {
        format!(
            "{}\n\n{}\n\nAccept the invitation: {}\n\n--\nIf you did not expect this \
             invitation, ignore this email.\n",
            self.subject(),
            self.body(),
            self.accept_url
        )
    }

    fn html(&self) -> String {
        let paragraphs: String = self
            .body()
            .split("\n\n")
            .map(|paragraph| format!("<p>{}</p>", escape(paragraph)))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#111\">\
             <h1 style=\"font-size:1.25em\">{title}</h1>{paragraphs}\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:8px 16px;\
             background:#2563eb;color:#fff;text-decoration:none;border-radius:4px\">Accept the \
             invitation</a></p><hr><p style=\"font-size:0.85em;color:#555\">If you did not \
             expect this invitation, ignore this email.</p></body></html>\n",
            title = escape(&self.subject()),
            link = escape(self.accept_url),
        )
    }

    fn message(&self, from: Mailbox, to: Mailbox) -> Result<Message, lettre::error::Error> {
        Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject())
            .date_now()
            .multipart(MultiPart::alternative_plain_html(self.text(), self.html()))
    }
}

/// Sends `letter` to `email`; whether the SMTP server took it. A failure is logged, not
/// returned: the invitation stands, and its link is shown to the admin to share.
pub(super) async fn send(mailer: &Mailer, email: &str, letter: &InvitationLetter<'_>) -> bool {
    let Ok(address) = email.parse() else {
        tracing::warn!("an invitation cannot be emailed: the address cannot be mailed");
        return false;
    };
    let message = match letter.message(mailer.from().clone(), Mailbox::new(None, address)) {
        Ok(message) => message,
        Err(e) => {
            tracing::warn!(error = %e, "an invitation email cannot be built");
            return false;
        }
    };
    match mailer.send(message).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "an invitation email was not sent");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_email_names_the_team_and_carries_the_link_escaped_in_html() {
        let letter = InvitationLetter {
            organization_name: "R&D <Lab>",
            inviter_name: "Ada",
            accept_url: "https://a.example/invitations/tok",
            expires_at: DateTime::from_timestamp(1_800_000_000, 0).expect("a time"),
        };
        assert_eq!(letter.subject(), "Join R&D <Lab> on Abetworks");
        assert!(letter
            .text()
            .contains("Accept the invitation: https://a.example/invitations/tok"));
        let html = letter.html();
        assert!(html.contains("R&amp;D &lt;Lab&gt;"), "{html}");
        assert!(
            html.contains("href=\"https://a.example/invitations/tok\""),
            "{html}"
        );
    }
}
