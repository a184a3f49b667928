//! Who sent a request, as native middleware read it: put on the request
//! before the first layer runs ([`super::before`]), worked out once.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use http::HeaderMap;

use crate::proxy::TrustProxy;

/// Who sent a request: the socket's peer, and the proxies the app trusts to
/// say who is behind them. Put on a request before native middleware see it.
#[derive(Debug, Clone)]
pub struct ClientAddr {
    peer: SocketAddr,
    trust: Arc<TrustProxy>,
    /// Worked out once, by the first layer that asks.
    ip: OnceLock<IpAddr>,
}

impl ClientAddr {
    /// A request from `peer`, behind the proxies `trust` names.
    pub fn new(peer: SocketAddr, trust: Arc<TrustProxy>) -> Self {
        Self {
            peer,
            trust,
            ip: OnceLock::new(),
        }
    }

    /// The client's address, as the trusted proxies report it in `headers`
    /// (the request's: the answer is kept for the layers that ask next).
    pub fn ip(&self, headers: &HeaderMap) -> IpAddr {
        *self
            .ip
            .get_or_init(|| self.trust.client_ip(self.peer, headers))
    }
}
