//! Endpoint strings (`tcp://host:port`, `ipc://path`, `inproc://name`)
//! parsed into a typed [`Endpoint`].

use crate::error::{Error, Result};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::str::FromStr;

/// A parsed endpoint: where a socket binds or connects.
///
/// - `tcp://host:port`. The host of a `bind` may be `*` (every IPv4
///   interface), an address, an interface name (`lo`, `eth0`: its first
///   IPv4 address, else its first IPv6 one) or a host name; port `0` or `*`
///   picks a free port. The host of a `connect` may be an address or a host
///   name, resolved in the background at each connection attempt.
/// - `ipc://path`: a Unix domain socket at `path` (absolute or relative);
///   `ipc://@name` is Linux's abstract namespace (no file; no trailing NUL,
///   as libzmq); `ipc://*` binds a fresh path in the temporary directory.
/// - `inproc://name`: sockets of the same `Context`, joined in memory.
///
/// ```
/// use ferromq::Endpoint;
/// let e: Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
/// assert_eq!(e.to_string(), "tcp://127.0.0.1:5555");
/// let e: Endpoint = "ipc:///tmp/feed.sock".parse().unwrap();
/// assert_eq!(e, Endpoint::Ipc { path: "/tmp/feed.sock".into() });
/// assert!("udp://x:1".parse::<Endpoint>().is_err());
/// assert!("ipc://@".parse::<Endpoint>().is_err());
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
    /// `ipc://path`: a Unix domain socket. A path starting with `@` is
    /// an abstract name (Linux); `*` asks for a fresh path (bind only).
    Ipc {
        /// The path (or `@name`, or `*`) as written.
        path: String,
    },
    /// `inproc://name`: in-memory, between sockets of one `Context`.
    Inproc {
        /// The name.
        name: String,
    },
}

/// Most bytes in a Unix socket path (`sun_path` is 108 bytes, NUL included;
/// an abstract name has its leading NUL instead).
pub(crate) const IPC_PATH_MAX: usize = 107;

impl Endpoint {
    /// A TCP endpoint for a socket address.
    pub fn tcp(addr: SocketAddr) -> Endpoint {
        Endpoint::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// The TCP port (0 for "any free port" in a `bind` request); `None`
    /// for other transports.
    ///
    /// ```
    /// let e: ferromq::Endpoint = "tcp://localhost:5555".parse().unwrap();
    /// assert_eq!((e.host(), e.port()), (Some("localhost"), Some(5555)));
    /// ```
    pub fn port(&self) -> Option<u16> {
        match self {
            Endpoint::Tcp { port, .. } => Some(*port),
            _ => None,
        }
    }

    /// The TCP host part as written (`*`, an address, a name); `None` for
    /// other transports.
    pub fn host(&self) -> Option<&str> {
        match self {
            Endpoint::Tcp { host, .. } => Some(host),
            _ => None,
        }
    }

    /// The transport's name, as in the endpoint string (`tcp`, `ipc`,
    /// `inproc`).
    pub fn transport(&self) -> &'static str {
        match self {
            Endpoint::Tcp { .. } => "tcp",
            Endpoint::Ipc { .. } => "ipc",
            Endpoint::Inproc { .. } => "inproc",
        }
    }

    /// The address to bind: `*` means every IPv4 interface; then an address
    /// literal, an interface name, or a host name (as libzmq tries them).
    pub(crate) fn bind_addr(&self) -> Result<SocketAddr> {
        let Endpoint::Tcp { host, port } = self else {
            return Err(Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason: "not a TCP endpoint",
            });
        };
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
        let invalid = |reason| {
            Err(Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason,
            })
        };
        match self {
            Endpoint::Tcp { host, .. } if host == "*" => invalid("'*' is only valid for bind"),
            Endpoint::Tcp { port: 0, .. } => {
                invalid("port 0 is only valid for bind (it asks for any free port)")
            }
            Endpoint::Ipc { path } if path == "*" => {
                invalid("'*' is only valid for bind (it asks for a fresh path)")
            }
            _ => Ok(()),
        }
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
            Endpoint::Ipc { path } => write!(f, "ipc://{path}"),
            Endpoint::Inproc { name } => write!(f, "inproc://{name}"),
        }
    }
}

/// Check an `ipc://` path (as libzmq's `ipc_address.cpp`): not empty, an
/// abstract `@name` with a name, within the OS's path limit.
fn parse_ipc(s: &str, path: &str) -> Result<Endpoint> {
    let invalid = |reason| Error::InvalidEndpoint {
        endpoint: s.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(invalid("empty ipc path"));
    }
    if path == "@" {
        return Err(invalid("an abstract ipc name needs a name after '@'"));
    }
    if path.starts_with('@') && !cfg!(any(target_os = "linux", target_os = "android")) {
        return Err(invalid("abstract ipc names ('@') exist only on Linux"));
    }
    if path.contains('\0') {
        return Err(invalid("ipc path contains a NUL byte"));
    }
    if path.len() > IPC_PATH_MAX {
        return Err(invalid("ipc path longer than the OS limit of 107 bytes"));
    }
    Ok(Endpoint::Ipc {
        path: path.to_owned(),
    })
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
            "ipc" => return parse_ipc(s, rest),
            "inproc" => {
                if rest.is_empty() {
                    return Err(invalid("empty inproc name"));
                }
                return Ok(Endpoint::Inproc {
                    name: rest.to_owned(),
                });
            }
            _ => return Err(invalid("unknown transport (expected tcp, ipc or inproc)")),
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
    fn ipc_and_inproc_forms() {
        let e: Endpoint = "ipc://@abstract".parse().unwrap();
        assert_eq!(e.to_string(), "ipc://@abstract");
        assert_eq!(e.transport(), "ipc");
        let long = format!("ipc:///{}", "x".repeat(106));
        assert!(long.parse::<Endpoint>().is_ok(), "107 bytes fit");
        let too_long = format!("ipc:///{}", "x".repeat(107));
        assert!(matches!(
            too_long.parse::<Endpoint>(),
            Err(Error::InvalidEndpoint { .. })
        ));
        let e: Endpoint = "inproc://a/b:c".parse().unwrap();
        assert_eq!(
            e,
            Endpoint::Inproc {
                name: "a/b:c".into()
            }
        );
        let star: Endpoint = "ipc://*".parse().unwrap();
        assert!(star.check_connect().is_err());
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
            "ipc://",
            "ipc://@",
            "inproc://",
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

/// Who is at the other end of an accepted connection.
///
/// ```
/// use ferromq::{Context, MonitorEvent, PeerAddr, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// let mon = pull.monitor();
/// let ep = pull.bind("tcp://127.0.0.1:0")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect(&ep.to_string())?;
/// let peer = loop {
///     if let MonitorEvent::Accepted { peer, .. } = mon.recv_timeout(Duration::from_secs(10))? {
///         break peer;
///     }
/// };
/// assert!(matches!(peer, PeerAddr::Tcp(a) if a.ip().is_loopback()));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerAddr {
    /// A TCP peer's address and port.
    Tcp(SocketAddr),
    /// A Unix-domain peer: its socket's path, if it bound one (connecting
    /// sockets usually have none).
    Ipc(Option<PathBuf>),
}

impl std::fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerAddr::Tcp(a) => write!(f, "{a}"),
            PeerAddr::Ipc(Some(p)) => write!(f, "{}", p.display()),
            PeerAddr::Ipc(None) => f.write_str("(unnamed ipc peer)"),
        }
    }
}
