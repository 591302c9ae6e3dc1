//! The one check of every URL tribune is about to reach (deliveries, actors, WebFinger,
//! NodeInfo): the scheme, and the host when it is an IP address written in any notation.
//!
//! Names are checked where they resolve (`resolver.rs`); an IP literal is never resolved, so
//! without this check `http://127.0.0.1:6379/`, `http://2130706433/` or
//! `http://[::ffff:7f00:1]/` would reach the server's own network. The URL parser has already
//! turned the decimal, hexadecimal and octal IPv4 notations into one address; IPv6 addresses
//! that carry an IPv4 one (IPv4-mapped, NAT64, 6to4) are judged by the address they carry.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Why a URL may not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is not an http(s) URL")]
    Scheme(String),
    #[error("{0} is not https (federation.allow_private_addresses is off)")]
    NotHttps(String),
    #[error("{url} has no host")]
    NoHost { url: String },
    #[error("{ip} is not a public address")]
    Address { ip: IpAddr },
}

/// Whether tribune may send a request to `url`.
pub fn check(url: &Url, allow_private_addresses: bool) -> Result<(), Refused> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private_addresses => {}
        "http" => return Err(Refused::NotHttps(url.to_string())),
        _ => return Err(Refused::Scheme(url.to_string())),
    }
    match url.host() {
        None => Err(Refused::NoHost {
            url: url.to_string(),
        }),
        Some(Host::Domain(_)) => Ok(()),
        Some(Host::Ipv4(ip)) => address(IpAddr::V4(ip), allow_private_addresses),
        Some(Host::Ipv6(ip)) => address(IpAddr::V6(ip), allow_private_addresses),
    }
}

/// Whether an address may be reached: public ones always; loopback and private ones only
/// when `federation.allow_private_addresses` is on (tests, local demos); link-local (where
/// cloud metadata services answer), multicast, broadcast and unspecified ones never.
pub fn address(ip: IpAddr, allow_private_addresses: bool) -> Result<(), Refused> {
    let refused = Err(Refused::Address { ip });
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) => match embedded_ipv4(&v6) {
            Some(v4) => v4,
            None => {
                return match v6_kind(&v6) {
                    Kind::Public => Ok(()),
                    Kind::Private if allow_private_addresses => Ok(()),
                    Kind::Private | Kind::Never => refused,
                };
            }
        },
    };
    match v4_kind(&v4) {
        Kind::Public => Ok(()),
        Kind::Private if allow_private_addresses => Ok(()),
        Kind::Private | Kind::Never => refused,
    }
}

enum Kind {
    Public,
    /// This machine or its network.
    Private,
    /// Nowhere a server of the fediverse lives.
    Never,
}

fn v4_kind(ip: &Ipv4Addr) -> Kind {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() || ip.is_broadcast() || ip.is_multicast() || ip.is_unspecified() {
        Kind::Never
    } else if ip.is_loopback()
        || ip.is_private()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || ip.is_documentation()
        || a >= 240
    {
        Kind::Private
    } else {
        Kind::Public
    }
}

fn v6_kind(ip: &Ipv6Addr) -> Kind {
    let first = ip.segments()[0];
    if ip.is_unspecified() || ip.is_multicast() || (first & 0xffc0) == 0xfe80 {
        // fe80::/10 is link-local.
        Kind::Never
    } else if ip.is_loopback()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]
    // discard-only, 100::/64
    {
        Kind::Private
    } else {
        Kind::Public
    }
}

/// The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`, deprecated), NAT64 (`64:ff9b::/96` and the local-use `64:ff9b:1::/48`) and
/// 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_ipv4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail());
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && (s[2..6] == [0, 0, 0, 0] || s[2] == 1) {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn every_notation_of_a_private_address_is_refused() {
        for u in [
            "https://127.0.0.1:19443/",
            "https://2130706433:19443/",
            "https://0x7f.1:19443/",
            "https://0177.0.0.1/",
            "https://0x7f000001/",
            "https://127.1/",
            "https://10.0.0.1/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]:6379/",
            "https://[::ffff:7f00:1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:7f00:1::]/",
            "https://[fd00::1]/",
        ] {
            assert!(check(&url(u), false).is_err(), "{u}");
        }
    }

    #[test]
    fn link_local_and_the_like_are_refused_even_when_private_addresses_are_allowed() {
        for u in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::]/",
        ] {
            assert!(check(&url(u), true).is_err(), "{u}");
        }
        assert!(check(&url("http://127.0.0.1:8080/"), true).is_ok());
        assert!(check(&url("http://[::1]:8080/"), true).is_ok());
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for u in [
            "https://93.184.215.14/",
            "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
            "https://[::ffff:93.184.215.14]/",
            "https://[64:ff9b::5db8:d70e]/",
            "https://mastodon.social/users/x",
            "https://école.example/",
        ] {
            assert!(check(&url(u), false).is_ok(), "{u}");
        }
    }

    #[test]
    fn plain_http_only_where_private_addresses_are_allowed() {
        assert_eq!(
            check(&url("http://mastodon.social/"), false),
            Err(Refused::NotHttps("http://mastodon.social/".into()))
        );
        assert!(check(&url("http://mastodon.social/"), true).is_ok());
        assert!(check(&url("ftp://mastodon.social/"), true).is_err());
    }
}
