//! Where a webhook may point. A super admin types a URL; the server later sends requests to
//! it from inside the network, so loopback, private, link-local, CGNAT, unique-local and
//! multicast addresses are refused — when the endpoint is saved, and again each time a
//! delivery connects (a name may resolve elsewhere by then: DNS rebinding) — unless
//! `ABETWORKS_WEBHOOK_ALLOW_PRIVATE=true`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

use crate::config::Config;
use crate::error::{CoreError, CoreResult};

/// The longest webhook URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// How long the server waits for a host name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which addresses webhooks may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only (the default).
    PublicOnly,
    /// Any address (`ABETWORKS_WEBHOOK_ALLOW_PRIVATE=true`: tests, closed networks).
    Anywhere,
}

impl Reach {
    pub fn of(config: &Config) -> Self {
        if config.webhook_allow_private {
            Self::Anywhere
        } else {
            Self::PublicOnly
        }
    }
}

/// A webhook URL as typed, checked for its form: http or https, a host, no credentials, at
/// most [`MAX_URL_CHARS`] characters. Problems name the field `url`.
pub fn parse_url(text: &str) -> CoreResult<Url> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::invalid("url", "must not be empty"));
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(CoreError::invalid(
            "url",
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let url =
        Url::parse(text).map_err(|e| CoreError::invalid("url", format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CoreError::invalid(
            "url",
            "must start with https:// (or http://)",
        ));
    }
    if url.host().is_none() {
        return Err(CoreError::invalid("url", "must name a host"));
    }
    // The URL is shown in the admin screen and the audit trail: no passwords in it.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CoreError::invalid(
            "url",
            "must not hold a user name or password",
        ));
    }
    Ok(url)
}

/// Checks that `url` may be reached under `reach`, resolving its host name; the problem
/// names the field `url`.
pub async fn check_reachable(url: &Url, reach: Reach) -> CoreResult<()> {
    if reach == Reach::Anywhere {
        return Ok(());
    }
    let addresses = match url.host() {
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => resolve_public(name)
            .await
            .map_err(|problem| CoreError::invalid("url", problem))?
            .into_iter()
            .map(|a| a.ip())
            .collect(),
        None => return Err(CoreError::invalid("url", "must name a host")),
    };
    match addresses.into_iter().find(|ip| is_private(*ip)) {
        Some(ip) => Err(CoreError::invalid(
            "url",
            private_problem(&ip.to_string(), ip),
        )),
        None => Ok(()),
    }
}

/// The addresses `name` resolves to, all of them public; otherwise what is wrong, as a
/// sentence fragment. Used when an endpoint is saved and by the delivery client's resolver.
pub async fn resolve_public(name: &str) -> Result<Vec<SocketAddr>, String> {
    let looked_up = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, 0)))
        .await
        .map_err(|_| format!("the host {name} did not resolve within 5 s"))?
        .map_err(|e| format!("the host {name} cannot be resolved ({e})"))?;
    let addresses: Vec<SocketAddr> = looked_up.collect();
    if addresses.is_empty() {
        return Err(format!("the host {name} has no address"));
    }
    match addresses.iter().find(|a| is_private(a.ip())) {
        Some(address) => Err(private_problem(name, address.ip())),
        None => Ok(addresses),
    }
}

fn private_problem(host: &str, ip: IpAddr) -> String {
    let target = if host == ip.to_string() {
        format!("points at {ip}")
    } else {
        format!("points at {host}, which resolves to {ip}")
    };
    format!(
        "{target}, a loopback or private address: webhooks must reach public addresses \
         (unless ABETWORKS_WEBHOOK_ALLOW_PRIVATE=true)"
    )
}

/// Whether a webhook must not reach `ip` unless private addresses are allowed: unspecified,
/// loopback, private, link-local, CGNAT, unique-local, multicast, reserved and broadcast
/// addresses, also when written as an IPv4-mapped or NAT64 IPv6 address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", with 0.0.0.0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || ip.is_multicast()
        || a >= 240 // reserved 240.0.0.0/4 and the broadcast address
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let embedded_v4 = || {
        let [.., high, low] = segments;
        Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
    };
    // NAT64 (64:ff9b::/96) and the old IPv4-compatible form (::a.b.c.d) reach an IPv4 host.
    let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    let compatible = segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified();
    if nat64 || compatible {
        return is_private_v4(embedded_v4());
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // the old site-local fec0::/10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(text: &str) -> bool {
        is_private(text.parse().expect("an address"))
    }

    #[test]
    fn loopback_private_link_local_cgnat_unique_local_and_multicast_addresses_are_private() {
        for text in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(private(text), "{text} is private");
        }
    }

    #[test]
    fn public_addresses_are_not_private() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "203.0.113.10",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!private(text), "{text} is public");
        }
    }

    #[test]
    fn a_url_must_be_http_or_https_with_a_host_and_no_credentials() {
        for (text, problem) in [
            ("", "must not be empty"),
            ("ftp://example.com/x", "must start with https://"),
            ("not a url", "is not a URL"),
            ("https://user:pw@example.com/", "user name or password"),
            ("mailto:a@example.com", "must start with https://"),
        ] {
            let err = parse_url(text).expect_err(text).to_string();
            assert!(
                err.contains("url") && err.contains(problem),
                "{text}: {err}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(parse_url(&long)
            .expect_err("too long")
            .to_string()
            .contains("at most 2048"));
        assert!(parse_url(" https://hooks.example.com/in?x=1 ").is_ok());
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_unless_anywhere_is_allowed() {
        for text in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://10.0.0.5/hook",
            "http://2130706433/hook", // 127.0.0.1 written as a number
            "http://169.254.169.254/latest/meta-data",
        ] {
            let url = parse_url(text).expect(text);
            let refused = check_reachable(&url, Reach::PublicOnly)
                .await
                .expect_err(text)
                .to_string();
            assert!(refused.contains("private address"), "{text}: {refused}");
            check_reachable(&url, Reach::Anywhere).await.expect(text);
        }
        let public = parse_url("https://203.0.113.10/hook").expect("a URL");
        check_reachable(&public, Reach::PublicOnly)
            .await
            .expect("a public address is fine");
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        let url = parse_url("http://localhost:9/hook").expect("a URL");
        let refused = check_reachable(&url, Reach::PublicOnly)
            .await
            .expect_err("localhost is loopback")
            .to_string();
        assert!(refused.contains("localhost"), "{refused}");
    }
}
