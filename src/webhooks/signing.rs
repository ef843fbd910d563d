//! Webhook secrets and signatures, per Standard Webhooks (standardwebhooks.com): the secret
//! is `whsec_` + base64 of random bytes; the signature `v1,` + base64 of HMAC-SHA256, keyed
//! with the secret's decoded bytes, over `{webhook-id}.{webhook-timestamp}.{body}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::SecondsFormat;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

use crate::entities::outbox_events;

/// How every secret begins.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 24;

/// A new signing secret, `whsec_` + base64 of 24 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The body sent for `event`: `{"type", "timestamp", "data"}`, the same at every attempt.
pub fn body(event: &outbox_events::Model) -> String {
    serde_json::json!({
        "type": event.event_type,
        "timestamp": event.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": event.payload,
    })
    .to_string()
}

/// The `webhook-signature` header of `body` sent as message `id` at `timestamp` (unix
/// seconds); `None` when `secret` is not a `whsec_` secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_whsec_and_24_random_bytes_in_base64() {
        let secret = new_secret();
        let encoded = secret.strip_prefix(SECRET_PREFIX).expect("the prefix");
        assert_eq!(STANDARD.decode(encoded).expect("base64").len(), 24);
        assert_ne!(new_secret(), secret, "secrets are random");
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_reference_example() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_secret_without_the_prefix_or_base64_gives_no_signature() {
        assert_eq!(
            signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a", 1, "{}"),
            None
        );
        assert_eq!(signature("whsec_***", "a", 1, "{}"), None);
    }
}
