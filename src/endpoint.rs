//! Endpoint strings (`tcp://host:port`) parsed into a typed [`Endpoint`].

use crate::error::{Error, Result};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

/// A parsed endpoint. Only TCP exists today; `ipc://` and `inproc://` are
/// recognised and rejected with a clear error until their transports land.
///
/// ```
/// use ferromq::Endpoint;
/// let e: Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
/// assert_eq!(e.to_string(), "tcp://127.0.0.1:5555");
/// assert!("udp://x:1".parse::<Endpoint>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `tcp://host:port`. The host is an IPv4 or bracketed IPv6 literal, a host
    /// name (resolved at connect time), or `*` (all interfaces, bind only).
    Tcp {
        /// Host part as written (`*`, `127.0.0.1`, `::1`, `localhost`).
        host: String,
        /// Port; 0 asks the system for a free port when binding.
        port: u16,
    },
}

impl Endpoint {
    /// A TCP endpoint for a socket address.
    pub fn tcp(addr: SocketAddr) -> Endpoint {
        Endpoint::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// The address to bind: `*` means every IPv4 interface.
    pub(crate) fn bind_addr(&self) -> Result<SocketAddr> {
        match self {
            Endpoint::Tcp { host, port } => {
                if host == "*" {
                    return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), *port));
                }
                self.resolve()
            }
        }
    }

    /// Resolve host and port to one socket address (first result).
    pub(crate) fn resolve(&self) -> Result<SocketAddr> {
        match self {
            Endpoint::Tcp { host, port } => {
                if let Ok(ip) = host.parse::<IpAddr>() {
                    return Ok(SocketAddr::new(ip, *port));
                }
                if host == "*" {
                    return Err(Error::InvalidEndpoint {
                        endpoint: self.to_string(),
                        reason: "'*' is only valid for bind",
                    });
                }
                let mut addrs = (host.as_str(), *port).to_socket_addrs().map_err(|_| {
                    Error::InvalidEndpoint {
                        endpoint: self.to_string(),
                        reason: "host name does not resolve",
                    }
                })?;
                addrs.next().ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: self.to_string(),
                    reason: "host name has no addresses",
                })
            }
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } => {
                if host.parse::<Ipv6Addr>().is_ok() {
                    write!(f, "tcp://[{host}]:{port}")
                } else {
                    write!(f, "tcp://{host}:{port}")
                }
            }
        }
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Endpoint> {
        let invalid = |reason| Error::InvalidEndpoint {
            endpoint: s.to_owned(),
            reason,
        };
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| invalid("missing '://' (expected tcp://host:port)"))?;
        match scheme {
            "tcp" => {}
            "ipc" | "inproc" => return Err(invalid("transport not supported yet (only tcp)")),
            _ => return Err(invalid("unknown transport (expected tcp)")),
        }
        let (host, port) = if let Some(after) = rest.strip_prefix('[') {
            let (h, p) = after
                .split_once(']')
                .ok_or_else(|| invalid("unterminated '[' in IPv6 host"))?;
            let p = p
                .strip_prefix(':')
                .ok_or_else(|| invalid("missing ':port'"))?;
            if h.parse::<Ipv6Addr>().is_err() {
                return Err(invalid("bad IPv6 address"));
            }
            (h, p)
        } else {
            rest.rsplit_once(':')
                .ok_or_else(|| invalid("missing ':port'"))?
        };
        if host.is_empty() {
            return Err(invalid("empty host"));
        }
        if host.contains(['/', ' ', '[', ']']) || (host.contains(':') && !rest.starts_with('[')) {
            return Err(invalid("bad host"));
        }
        let port = if port == "*" {
            0
        } else {
            port.parse::<u16>()
                .map_err(|_| invalid("port must be 0..=65535 or '*'"))?
        };
        Ok(Endpoint::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let e: Endpoint = "tcp://*:0".parse().unwrap();
        assert_eq!(e.bind_addr().unwrap().port(), 0);
        let e: Endpoint = "tcp://[::1]:7".parse().unwrap();
        assert_eq!(e.resolve().unwrap(), "[::1]:7".parse().unwrap());
        assert_eq!(e.to_string(), "tcp://[::1]:7");
        let e: Endpoint = "tcp://localhost:9".parse().unwrap();
        assert_eq!(e.resolve().unwrap().port(), 9);
    }

    #[test]
    fn rejects_bad_forms_with_typed_errors() {
        for s in [
            "",
            "tcp://",
            "tcp://host",
            "tcp://:5",
            "tcp://h:99999",
            "tcp://h:x",
            "udp://h:1",
            "ipc:///tmp/x",
            "tcp://[::1:5",
            "tcp://[zz]:5",
            "tcp://a b:5",
            "127.0.0.1:5",
        ] {
            assert!(
                matches!(s.parse::<Endpoint>(), Err(Error::InvalidEndpoint { .. })),
                "{s} should be rejected"
            );
        }
    }
}
