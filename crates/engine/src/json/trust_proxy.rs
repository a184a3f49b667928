//! `App.new({ trustProxy })`, as JSON: the forms Express's `trust proxy`
//! takes (a hop count, `true`, addresses, networks and presets), and an
//! object that also names the header the proxies write.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::proxy::{preset, ForwardedHeader, TrustProxy, Trusted};
use crate::units;
use crate::Error;

fn invalid(why: String) -> Error {
    Error::invalid_option(format!("trustProxy{why}"))
}

/// Reads the option; `null` and `false` trust no proxy.
pub fn trust_proxy_from_json(value: Value) -> Result<TrustProxy, Error> {
    match value {
        Value::Object(mut fields) => {
            let header = match fields.remove("header") {
                None => ForwardedHeader::default(),
                Some(Value::String(name)) if name.eq_ignore_ascii_case("x-forwarded-for") => {
                    ForwardedHeader::XForwardedFor
                }
                Some(Value::String(name)) if name.eq_ignore_ascii_case("forwarded") => {
                    ForwardedHeader::Forwarded
                }
                Some(other) => {
                    return Err(invalid(format!(
                        ".header must be 'x-forwarded-for' or 'forwarded', got {other}"
                    )))
                }
            };
            let mut keys = fields.keys().map(String::as_str).collect::<Vec<_>>();
            keys.sort_unstable();
            let trusted = match (keys.as_slice(), fields.values().next()) {
                (["hops"], Some(hops @ Value::Number(_))) => hop_count(hops.clone())?,
                (["addresses"], Some(addresses)) => {
                    Trusted::Addresses(networks(addresses.clone())?)
                }
                (["all"], Some(Value::Bool(true))) => Trusted::Everything,
                _ => {
                    return Err(invalid(format!(
                    " takes one of hops (a number), addresses or all: true, besides header; got {}",
                    Value::Object(fields)
                )))
                }
            };
            Ok(TrustProxy { trusted, header })
        }
        other => Ok(TrustProxy {
            trusted: shorthand(other)?,
            header: ForwardedHeader::default(),
        }),
    }
}

fn shorthand(value: Value) -> Result<Trusted, Error> {
    match value {
        Value::Null | Value::Bool(false) => Ok(Trusted::Nothing),
        Value::Bool(true) => Ok(Trusted::Everything),
        Value::Number(_) => hop_count(value),
        Value::String(_) | Value::Array(_) => Ok(Trusted::Addresses(networks(value)?)),
        Value::Object(_) => unreachable!("objects are read by the caller"),
    }
}

fn hop_count(value: Value) -> Result<Trusted, Error> {
    let hops = value.as_f64().unwrap_or(f64::NAN);
    match units::whole("trustProxy hops", hops, 0, 1024)? {
        0 => Ok(Trusted::Nothing),
        hops => Ok(Trusted::Hops(hops as usize)),
    }
}

/// Addresses, networks and presets: one string (entries separated by
/// commas, as `proxy-addr` reads it) or a list of them.
fn networks(value: Value) -> Result<Vec<IpNet>, Error> {
    let entries: Vec<String> = match value {
        Value::String(list) => list
            .split(',')
            .map(|entry| entry.trim().to_owned())
            .collect(),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(entry) => Ok(entry.trim().to_owned()),
                other => Err(invalid(format!(
                    ": {other} is not an address, a network or a preset name"
                ))),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(invalid(format!(
                ": {other} is not an address, a network or a preset name"
            )))
        }
    };
    let mut nets = Vec::new();
    for entry in entries.iter().filter(|entry| !entry.is_empty()) {
        if let Some(preset) = preset(entry) {
            nets.extend(preset);
        } else if let Ok(net) = entry.parse::<IpNet>() {
            nets.push(net.trunc());
        } else if let Ok(ip) = entry.parse::<IpAddr>() {
            nets.push(IpNet::from(ip.to_canonical()));
        } else {
            return Err(invalid(format!(
                ": '{entry}' is not an address, a network (10.0.0.0/8) or a preset (loopback, linklocal, uniquelocal)"
            )));
        }
    }
    Ok(nets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_form() {
        let read = |value| trust_proxy_from_json(value).map(|t| t.trusted);
        assert_eq!(read(json!(false)).unwrap(), Trusted::Nothing);
        assert_eq!(read(json!(true)).unwrap(), Trusted::Everything);
        assert_eq!(read(json!(2)).unwrap(), Trusted::Hops(2));
        assert_eq!(read(json!(0)).unwrap(), Trusted::Nothing);
        let Trusted::Addresses(nets) = read(json!("loopback, 10.0.0.0/8, 192.0.2.1")).unwrap()
        else {
            panic!("addresses")
        };
        assert_eq!(nets.len(), 4);
        let object = trust_proxy_from_json(json!({ "hops": 1, "header": "Forwarded" })).unwrap();
        assert_eq!(object.trusted, Trusted::Hops(1));
        assert_eq!(object.header, ForwardedHeader::Forwarded);
        let message = |value| trust_proxy_from_json(value).unwrap_err().to_string();
        assert!(message(json!(1.5)).contains("trustProxy hops must be a whole number"));
        assert!(message(json!(["nope"])).contains("'nope' is not an address"));
        assert!(message(json!({ "hops": 1, "addresses": [] })).contains("takes one of hops"));
        assert!(message(json!({ "all": true, "header": "x-real-ip" })).contains(".header must be"));
    }
}
