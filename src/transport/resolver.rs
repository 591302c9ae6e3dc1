//! Name resolution for every outgoing request.
//!
//! Two rules on top of the system resolver:
//! - `localhost` and every name under `.localhost` are the loopback addresses, answered here
//!   without asking DNS (RFC 6761 §6.3; browsers do the same). Several local test or demo
//!   instances can so be told apart by name alone (`a.localhost`, `b.localhost`).
//! - Every address a name resolves to passes `outgoing::address`, the same rule as for IP
//!   literals in URLs, at each connection (so also after a redirect): unless
//!   `federation.allow_private_addresses` is on, the server cannot be used to reach its own
//!   network, and link-local addresses are never reached.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::dns::{Name, Resolve, Resolving};

use super::outgoing;

/// The resolver of our HTTP clients.
pub fn resolver(allow_private_addresses: bool) -> Arc<Resolver> {
    Arc::new(Resolver {
        allow_private_addresses,
    })
}

pub struct Resolver {
    allow_private_addresses: bool,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("allow_private_addresses", &self.allow_private_addresses)
            .finish()
    }
}

/// `localhost`, or a name under `.localhost` (case-insensitive, trailing dot allowed).
pub fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allow_private_addresses;
        if !is_localhost_name(name.as_str()) {
            let host = name.as_str().to_owned();
            return Box::pin(async move {
                let addrs: Vec<SocketAddr> =
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                // One refused address refuses the name: a record set mixing public and
                // private addresses is how DNS rebinding tries its luck.
                for a in &addrs {
                    outgoing::address(a.ip(), allowed).map_err(|e| format!("{host}: {e}"))?;
                }
                Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
            });
        }
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if !allowed {
                return Err(format!(
                    "{host} is a loopback name, refused (federation.allow_private_addresses is off)"
                )
                .into());
            }
            let addrs: Vec<SocketAddr> = [
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]
            .into_iter()
            .map(|ip| SocketAddr::new(ip, 0))
            .collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_names() {
        for yes in [
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "h17.b.localhost.",
            "x.LocalHost",
        ] {
            assert!(is_localhost_name(yes), "{yes}");
        }
        for no in [
            "localhost.example",
            "notlocalhost",
            "example.org",
            "localhostx",
            "",
        ] {
            assert!(!is_localhost_name(no), "{no}");
        }
    }

    #[tokio::test]
    async fn loopback_names_resolve_only_when_allowed() {
        let name: Name = "h1.localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = resolver(true).resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
        let name: Name = "h1.localhost".parse().unwrap();
        assert!(resolver(false).resolve(name).await.is_err());
    }
}
