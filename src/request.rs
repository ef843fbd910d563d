//! What one request says about itself — the client's address, whether the client used HTTPS,
//! and the request's id — worked out once by the server's middleware and put in the request's
//! extensions, where the REST extractors and the server functions both read it.
//!
//! Forwarding headers are believed only from trusted proxies (`ABETWORKS_TRUSTED_PROXIES`):
//! from anyone else they would let a client choose the address its throttling counts against.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address and the request id of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The client's address: the peer's, or the one a trusted proxy forwarded.
    pub client_ip: String,
    /// A trusted proxy said the client used HTTPS (cookies are then marked `Secure`).
    pub forwarded_https: bool,
    /// The `x-request-id` the server assigned or propagated.
    pub request_id: Option<String>,
}

/// The forwarding headers of a request, as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct ForwardingHeaders<'a> {
    pub forwarded: Option<&'a str>,
    pub x_forwarded_for: Option<&'a str>,
    pub x_forwarded_proto: Option<&'a str>,
}

impl RequestContext {
    /// What a request without a known peer (a test calling the router directly) reads as.
    pub const UNKNOWN_IP: &'static str = "unknown";

    /// The context of a request from `peer` that believes no forwarding header.
    pub fn new(peer: Option<IpAddr>, request_id: Option<String>) -> Self {
        Self {
            client_ip: peer.map_or_else(|| Self::UNKNOWN_IP.to_owned(), |ip| ip.to_string()),
            forwarded_https: false,
            request_id,
        }
    }

    /// The context of a request from `peer`: when the peer is a trusted proxy, the client is
    /// the nearest address in the forwarding chain that is not itself a trusted proxy.
    pub fn resolve(
        peer: Option<IpAddr>,
        headers: ForwardingHeaders<'_>,
        trusted: &[IpNet],
        request_id: Option<String>,
    ) -> Self {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        let Some(peer_ip) = peer.filter(is_trusted) else {
            return Self::new(peer, request_id);
        };
        let chain = match headers.forwarded {
            Some(forwarded) => forwarded_for(forwarded),
            None => headers
                .x_forwarded_for
                .map(|list| list.split(',').map(parse_address).collect())
                .unwrap_or_default(),
        };
        // Walk from the nearest hop outwards; an unreadable hop ends the walk.
        let mut client = peer_ip;
        for hop in chain.iter().rev() {
            let Some(hop) = hop else { break };
            client = *hop;
            if !is_trusted(hop) {
                break;
            }
        }
        let proto = headers.forwarded.and_then(forwarded_proto).or_else(|| {
            headers
                .x_forwarded_proto
                .and_then(|list| list.split(',').next())
                .map(|p| p.trim().to_ascii_lowercase())
        });
        Self {
            client_ip: client.to_string(),
            forwarded_https: proto.as_deref() == Some("https"),
            request_id,
        }
    }
}

/// An address as forwarding headers write it: `1.2.3.4`, `1.2.3.4:80`, `"[::1]:80"`, `::1`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    text.rsplit_once(':')?.0.parse().ok()
}

/// The `for=` addresses of an RFC 7239 `Forwarded` header, in order.
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_address(value))
            })
        })
        .collect()
}

/// The first `proto=` of a `Forwarded` header.
fn forwarded_proto(header: &str) -> Option<String> {
    header.split(',').next()?.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("proto")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies() -> Vec<IpNet> {
        vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]
    }

    /// The context of a request from `peer` with `headers`, where [`proxies`] are trusted.
    fn resolved(peer: &str, headers: ForwardingHeaders<'_>) -> RequestContext {
        RequestContext::resolve(Some(ip(peer)), headers, &proxies(), None)
    }

    /// `X-Forwarded-For: chain` and `X-Forwarded-Proto: https`.
    fn forwarded_over_https(chain: &str) -> ForwardingHeaders<'_> {
        ForwardingHeaders {
            x_forwarded_for: Some(chain),
            x_forwarded_proto: Some("https"),
            ..Default::default()
        }
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_changes_nothing() {
        let headers = forwarded_over_https("203.0.113.9");
        let context = resolved("198.51.100.7", headers);
        assert_eq!(context.client_ip, "198.51.100.7");
        assert!(!context.forwarded_https);
        let nobody = RequestContext::resolve(Some(ip("127.0.0.1")), headers, &[], None);
        assert_eq!(
            nobody.client_ip, "127.0.0.1",
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn through_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let context = resolved(
            "127.0.0.1",
            forwarded_over_https("6.6.6.6, 203.0.113.9, 10.1.2.3"),
        );
        assert_eq!(
            context.client_ip, "203.0.113.9",
            "the client cannot pick 6.6.6.6"
        );
        assert!(context.forwarded_https);
    }

    #[test]
    fn the_standard_forwarded_header_is_read_with_ports_and_brackets() {
        let headers = ForwardingHeaders {
            forwarded: Some(r#"for="[2001:db8::17]:4711";proto=https, for=10.0.0.5"#),
            x_forwarded_for: Some("9.9.9.9"),
            ..Default::default()
        };
        let context = resolved("127.0.0.1", headers);
        assert_eq!(context.client_ip, "2001:db8::17");
        assert!(context.forwarded_https);
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_last_trusted_address() {
        let headers = ForwardingHeaders {
            x_forwarded_for: Some("not-an-address, 10.0.0.9"),
            ..Default::default()
        };
        let context = resolved("127.0.0.1", headers);
        assert_eq!(context.client_ip, "10.0.0.9");
    }
}
