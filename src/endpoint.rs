//! Endpoint strings (`tcp://host:port`) parsed into a typed [`Endpoint`].

use crate::error::{Error, Result};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

/// A parsed endpoint. Only TCP exists today; `ipc://` and `inproc://` are
/// recognised and rejected with a clear error until their transports land.
///
/// The host of a `bind` may be `*` (every IPv4 interface), an address, an
/// interface name (`lo`, `eth0`: its first IPv4 address, else its first
/// IPv6 one) or a host name. The host of a `connect` may be an address or a
/// host name, resolved in the background at each connection attempt.
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
    /// name (resolved at connect time), an interface name (bind only), or
    /// `*` (all interfaces, bind only).
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

    /// The port (0 for "any free port" in a `bind` request).
    ///
    /// ```
    /// let e: ferromq::Endpoint = "tcp://localhost:5555".parse().unwrap();
    /// assert_eq!((e.host(), e.port()), ("localhost", 5555));
    /// ```
    pub fn port(&self) -> u16 {
        let Endpoint::Tcp { port, .. } = self;
        *port
    }

    /// The host part as written (`*`, an address, a name).
    pub fn host(&self) -> &str {
        let Endpoint::Tcp { host, .. } = self;
        host
    }

    /// The address to bind: `*` means every IPv4 interface; then an address
    /// literal, an interface name, or a host name (as libzmq tries them).
    pub(crate) fn bind_addr(&self) -> Result<SocketAddr> {
        let Endpoint::Tcp { host, port } = self;
        if host == "*" {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), *port));
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, *port));
        }
        if let Some(ip) = interface_addr(host) {
            return Ok(SocketAddr::new(ip, *port));
        }
        let mut addrs =
            (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|_| Error::InvalidEndpoint {
                    endpoint: self.to_string(),
                    reason: "not an address, an interface name or a host name that resolves",
                })?;
        addrs.next().ok_or_else(|| Error::InvalidEndpoint {
            endpoint: self.to_string(),
            reason: "host name has no addresses",
        })
    }

    /// Check an endpoint given to `connect`: a real port, a real host.
    /// (Host names are resolved later, in the background.)
    pub(crate) fn check_connect(&self) -> Result<()> {
        let Endpoint::Tcp { host, port } = self;
        let invalid = |reason| {
            Err(Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason,
            })
        };
        if host == "*" {
            return invalid("'*' is only valid for bind");
        }
        if *port == 0 {
            return invalid("port 0 is only valid for bind (it asks for any free port)");
        }
        Ok(())
    }
}

/// The address of the network interface named `name`: its first IPv4
/// address, else its first IPv6 one.
fn interface_addr(name: &str) -> Option<IpAddr> {
    let ifs = if_addrs::get_if_addrs().ok()?;
    let mut mine = ifs.iter().filter(|i| i.name == name);
    let all: Vec<IpAddr> = mine.by_ref().map(|i| i.ip()).collect();
    all.iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| all.first())
        .copied()
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
        assert_eq!(e.bind_addr().unwrap(), "[::1]:7".parse().unwrap());
        assert_eq!(e.to_string(), "tcp://[::1]:7");
        let e: Endpoint = "tcp://localhost:9".parse().unwrap();
        assert_eq!(e.bind_addr().unwrap().port(), 9);
        assert!(e.check_connect().is_ok());
    }

    #[test]
    fn binds_by_interface_name() {
        let e: Endpoint = "tcp://lo:0".parse().unwrap();
        assert!(e.bind_addr().unwrap().ip().is_loopback());
    }

    #[test]
    fn connect_needs_a_real_port_and_host() {
        for s in ["tcp://127.0.0.1:0", "tcp://*:5555", "tcp://localhost:*"] {
            let e: Endpoint = s.parse().unwrap();
            assert!(
                matches!(e.check_connect(), Err(Error::InvalidEndpoint { .. })),
                "{s} should be refused for connect"
            );
        }
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
