//! Who sent a request, when proxies stand in front: the client's address,
//! protocol and host as the trusted proxies report them, and never as a
//! client could claim them. Which proxies are trusted, and which header they
//! write (`X-Forwarded-For` or `Forwarded`), is configuration: the other
//! header is ignored, so a client cannot pick the one its proxy leaves alone.
//!
//! The rules are those of Express's `proxy-addr`: walk the chain from the
//! socket's peer towards the client; the client is the first address that is
//! not trusted (or the furthest one, if all are).

use std::net::{IpAddr, SocketAddr};

use http::header::HOST;
use http::HeaderMap;
use ipnet::IpNet;

/// Which proxies in front are trusted to say who the client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trusted {
    /// None: the client is the socket's peer.
    #[default]
    Nothing,
    /// Every hop: the furthest address is the client. Only safe when every
    /// path to the server passes a proxy that overwrites the header.
    Everything,
    /// The peer and this many hops in all (Express's `trust proxy` number).
    Hops(usize),
    /// Proxies at these addresses and networks.
    Addresses(Vec<IpNet>),
}

/// The header trusted proxies write the chain of addresses into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (with `X-Forwarded-Proto` and `X-Forwarded-Host`),
    /// as nginx and most load balancers write it.
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded` (`for=`, `proto=`, `host=`).
    Forwarded,
}

/// The proxies a server trusts, and the header they write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustProxy {
    /// Which proxies are trusted.
    pub trusted: Trusted,
    /// Which header they write; the other is ignored.
    pub header: ForwardedHeader,
}

/// The networks of `proxy-addr`'s presets.
pub fn preset(name: &str) -> Option<Vec<IpNet>> {
    let nets: &[&str] = match name {
        "loopback" => &["127.0.0.1/8", "::1/128"],
        "linklocal" => &["169.254.0.0/16", "fe80::/10"],
        "uniquelocal" => &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
        _ => return None,
    };
    Some(
        nets.iter()
            .map(|net| net.parse().expect("the presets are valid networks"))
            .collect(),
    )
}

/// Who sent a request, as [`TrustProxy::client`] works it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address.
    pub ip: IpAddr,
    /// The addresses from the client to the nearest proxy (the socket's peer
    /// left out), client first; empty without trusted proxies.
    pub ips: Vec<IpAddr>,
    /// `https` when the trusted proxy that met the client says so, else `http`.
    pub protocol: &'static str,
    /// The host the client asked for, without a port: the trusted proxy's
    /// `X-Forwarded-Host` or `Forwarded` `host=`, else `Host` (or HTTP/2's
    /// `:authority`).
    pub hostname: Option<String>,
}

/// One hop of the chain, nearest first, with what its proxy reported.
struct Hop<'a> {
    ip: IpAddr,
    proto: Option<&'a str>,
    host: Option<&'a str>,
}

impl TrustProxy {
    /// Whether `ip`, the `index`th address from the server (the peer is 0),
    /// is a trusted proxy.
    fn trusts(&self, ip: IpAddr, index: usize) -> bool {
        match &self.trusted {
            Trusted::Nothing => false,
            Trusted::Everything => true,
            Trusted::Hops(hops) => index < *hops,
            Trusted::Addresses(nets) => nets.iter().any(|net| net.contains(&ip)),
        }
    }

    /// Only the client's address: what rate limiting and logs need.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !self.trusts(peer, 0) {
            return peer;
        }
        let hops = self.hops(headers);
        let (client, _) = self.walk(peer, &hops);
        client
    }

    /// Who sent a request that came from `peer` with `headers`; `authority`
    /// is the request target's (HTTP/2's `:authority`).
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap, authority: Option<&str>) -> Client {
        let peer = peer.ip().to_canonical();
        let own_host = headers
            .get(HOST)
            .and_then(|host| host.to_str().ok())
            .or(authority);
        if !self.trusts(peer, 0) {
            return Client {
                ip: peer,
                ips: Vec::new(),
                protocol: "http",
                hostname: own_host.map(without_port),
            };
        }
        let hops = self.hops(headers);
        let (ip, reached) = self.walk(peer, &hops);
        // The hop whose proxy met the client reported its protocol and host.
        let met = reached.checked_sub(1).and_then(|at| hops.get(at));
        let protocol = match met.and_then(|hop| hop.proto) {
            Some(proto) if proto.trim_matches('"').eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let host = met
            .and_then(|hop| hop.host)
            .map(|host| host.trim_matches('"'))
            .filter(|host| !host.is_empty())
            .or(own_host);
        Client {
            ip,
            ips: hops[..reached].iter().rev().map(|hop| hop.ip).collect(),
            protocol,
            hostname: host.map(without_port),
        }
    }

    /// Walks from the peer: the client's address, and how many hops of the
    /// chain were taken to reach it.
    fn walk(&self, peer: IpAddr, hops: &[Hop<'_>]) -> (IpAddr, usize) {
        let mut client = peer;
        for (taken, hop) in hops.iter().enumerate() {
            client = hop.ip;
            if !self.trusts(hop.ip, taken + 1) {
                return (client, taken + 1);
            }
        }
        (client, hops.len())
    }

    /// The chain the configured header reports, nearest hop first; it ends
    /// at the first entry that is not an address.
    fn hops<'h>(&self, headers: &'h HeaderMap) -> Vec<Hop<'h>> {
        let values = |name: &'static str| {
            headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
        };
        let mut hops = Vec::new();
        match self.header {
            ForwardedHeader::XForwardedFor => {
                let entries = |name| {
                    values(name)
                        .flat_map(|value| value.split(','))
                        .map(str::trim)
                        .collect::<Vec<_>>()
                };
                let (protos, hosts) = (entries("x-forwarded-proto"), entries("x-forwarded-host"));
                let addresses = entries("x-forwarded-for");
                for (from_right, entry) in addresses.iter().rev().enumerate() {
                    let Some(ip) = address(entry) else { break };
                    // A proxy that overwrites rather than appends leaves one
                    // entry: the furthest proxy's.
                    let at = |list: &Vec<&'h str>| {
                        let index = list.len().saturating_sub(from_right + 1);
                        list.get(index).copied()
                    };
                    hops.push(Hop {
                        ip,
                        proto: at(&protos),
                        host: at(&hosts),
                    });
                }
            }
            ForwardedHeader::Forwarded => {
                let elements: Vec<_> = values("forwarded").flat_map(rfc7239::parse).collect();
                for element in elements.into_iter().rev() {
                    let Ok(element) = element else { break };
                    let Some(rfc7239::NodeIdentifier {
                        name: rfc7239::NodeName::Ip(ip),
                        ..
                    }) = element.forwarded_for
                    else {
                        break;
                    };
                    hops.push(Hop {
                        ip: ip.to_canonical(),
                        proto: element.protocol,
                        host: element.host,
                    });
                }
            }
        }
        hops
    }
}

/// An `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:80`,
/// `[::1]:80`).
fn address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// `example.com:8080` → `example.com`, `[::1]:8080` → `[::1]`.
fn without_port(host: &str) -> String {
    let end = if host.starts_with('[') {
        host.find(']').map_or(host.len(), |at| at + 1)
    } else {
        host.rfind(':').unwrap_or(host.len())
    };
    host[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn trust(trusted: Trusted, header: ForwardedHeader) -> TrustProxy {
        TrustProxy { trusted, header }
    }

    #[test]
    fn counts_hops_from_the_peer() {
        let xff = headers(&[
            ("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.1"),
            ("x-forwarded-proto", "https"),
            ("host", "internal:8080"),
            ("x-forwarded-host", "shop.example.com"),
        ]);
        let hop = |n| trust(Trusted::Hops(n), ForwardedHeader::XForwardedFor);
        let ip = |t: &TrustProxy| t.client_ip(peer("10.0.0.9"), &xff).to_string();
        assert_eq!(ip(&hop(0)), "10.0.0.9");
        assert_eq!(ip(&hop(1)), "10.0.0.1");
        assert_eq!(ip(&hop(2)), "203.0.113.7");
        assert_eq!(ip(&hop(9)), "198.51.100.1");
        let all = trust(Trusted::Everything, ForwardedHeader::XForwardedFor);
        let client = all.client(peer("10.0.0.9"), &xff, None);
        assert_eq!(client.ip.to_string(), "198.51.100.1");
        assert_eq!(client.ips.len(), 3);
        assert_eq!(client.protocol, "https");
        assert_eq!(client.hostname.as_deref(), Some("shop.example.com"));
        let untrusted = TrustProxy::default().client(peer("10.0.0.9"), &xff, None);
        assert_eq!(untrusted.ip.to_string(), "10.0.0.9");
        assert_eq!(untrusted.protocol, "http");
        assert_eq!(untrusted.hostname.as_deref(), Some("internal"));
    }

    #[test]
    fn trusts_networks_and_presets() {
        let nets = Trusted::Addresses(
            [
                preset("loopback").unwrap(),
                vec!["10.0.0.0/8".parse().unwrap()],
            ]
            .concat(),
        );
        let t = trust(nets, ForwardedHeader::XForwardedFor);
        let xff = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(
            t.client_ip(peer("127.0.0.1"), &xff).to_string(),
            "203.0.113.7"
        );
        assert_eq!(
            t.client_ip(peer("::ffff:127.0.0.1"), &xff).to_string(),
            "203.0.113.7"
        );
        // A peer outside the networks is the client, whatever it claims.
        assert_eq!(
            t.client_ip(peer("192.0.2.1"), &xff).to_string(),
            "192.0.2.1"
        );
    }

    #[test]
    fn reads_only_the_configured_header() {
        let both = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            (
                "forwarded",
                "for=192.0.2.60;proto=https;host=a.example, for=\"[2001:db8::1]:4711\"",
            ),
        ]);
        let xff = trust(Trusted::Hops(1), ForwardedHeader::XForwardedFor);
        assert_eq!(
            xff.client_ip(peer("10.0.0.1"), &both).to_string(),
            "6.6.6.6"
        );
        let forwarded = trust(Trusted::Everything, ForwardedHeader::Forwarded);
        let client = forwarded.client(peer("10.0.0.1"), &both, None);
        assert_eq!(client.ip.to_string(), "192.0.2.60");
        assert_eq!(client.protocol, "https");
        assert_eq!(client.hostname.as_deref(), Some("a.example"));
        let one = trust(Trusted::Hops(1), ForwardedHeader::Forwarded);
        assert_eq!(
            one.client_ip(peer("10.0.0.1"), &both).to_string(),
            "2001:db8::1"
        );
        // Without the configured header the peer is the client.
        let only_forwarded = headers(&[("forwarded", "for=192.0.2.60")]);
        assert_eq!(
            xff.client_ip(peer("10.0.0.1"), &only_forwarded).to_string(),
            "10.0.0.1"
        );
    }

    #[test]
    fn stops_at_garbage_and_strips_ports() {
        let t = trust(Trusted::Everything, ForwardedHeader::XForwardedFor);
        let xff = headers(&[("x-forwarded-for", "1.1.1.1, garbage, 203.0.113.7:5000")]);
        assert_eq!(
            t.client_ip(peer("10.0.0.1"), &xff).to_string(),
            "203.0.113.7"
        );
        assert_eq!(without_port("[::1]:8080"), "[::1]");
        assert_eq!(without_port("example.com:80"), "example.com");
        assert_eq!(without_port("example.com"), "example.com");
    }
}
