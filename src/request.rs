//! What one request says about itself — the client's address and the request's id — worked
//! out once by the server's middleware and put in the request's extensions, where the REST
//! extractors and the server functions both read it. Neither surface derives it on its own.

/// The client's address and the request id of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The peer's address (proxy headers are not believed).
    pub client_ip: String,
    /// The `x-request-id` the server assigned or propagated.
    pub request_id: Option<String>,
}

impl RequestContext {
    /// What a request without a known peer (a test calling the router directly) reads as.
    pub const UNKNOWN_IP: &'static str = "unknown";

    /// The context of a request from `peer`, with `request_id`.
    pub fn new(peer: Option<std::net::IpAddr>, request_id: Option<String>) -> Self {
        Self {
            client_ip: peer.map_or_else(|| Self::UNKNOWN_IP.to_owned(), |ip| ip.to_string()),
            request_id,
        }
    }
}
