//! Transports: how bytes get between two sockets. One file per transport —
//! `tcp.rs`, `ipc.rs` (both carry the same ZMTP engine over a mio stream),
//! and `inproc.rs` (no engine at all: pipes joined in memory).
//!
//! The engine and the socket see only the enums here: a [`Listener`], a
//! [`Stream`], a [`Target`] to connect to, and the public [`PeerAddr`].
//! **Adding a stream transport:** a file with `bind`, `connect` and the
//! stream and listener types, and one arm in each enum below.

pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod tcp;

use crate::endpoint::Endpoint;
pub(crate) use crate::endpoint::PeerAddr;
use crate::error::{Error, Result};
use crate::options::Options;
use mio::event::Source;
use mio::{Interest, Registry, Token};
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;

/// Where a connecter connects, once resolved.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket address (a path or an abstract name).
    Ipc(std::os::unix::net::SocketAddr),
}

/// A byte stream of any stream transport.
#[derive(Debug)]
pub(crate) enum Stream {
    /// TCP.
    Tcp(mio::net::TcpStream),
    /// A Unix domain socket.
    Ipc(mio::net::UnixStream),
}

/// A listening socket of any stream transport.
#[derive(Debug)]
pub(crate) enum Listener {
    /// TCP.
    Tcp(mio::net::TcpListener),
    /// A Unix domain socket (removes its file when dropped, if still ours).
    Ipc(ipc::Listener),
}

/// Bind `ep` (`tcp://` or `ipc://`; `inproc://` never reaches here): the
/// listener and the endpoint actually bound (real port, fresh path).
pub(crate) fn bind(ep: &Endpoint, opts: &Options) -> Result<(Listener, Endpoint)> {
    match ep {
        Endpoint::Tcp { .. } => tcp::bind(ep, opts),
        Endpoint::Ipc { path } => ipc::bind(ep, path),
        Endpoint::Inproc { .. } => Err(Error::InvalidEndpoint {
            endpoint: ep.to_string(),
            reason: "inproc endpoints are not bound by a transport",
        }),
    }
}

/// Start connecting to `target` (non-blocking).
pub(crate) fn connect(target: &Target, opts: &Options) -> io::Result<Stream> {
    match target {
        Target::Tcp(addr) => tcp::connect(*addr, opts).map(Stream::Tcp),
        Target::Ipc(addr) => ipc::connect(addr, opts).map(Stream::Ipc),
    }
}

impl Listener {
    /// Accept one connection.
    pub(crate) fn accept(&self) -> io::Result<(Stream, PeerAddr)> {
        match self {
            Listener::Tcp(l) => {
                let (s, a) = l.accept()?;
                Ok((Stream::Tcp(s), PeerAddr::Tcp(a)))
            }
            Listener::Ipc(l) => l.accept(),
        }
    }
}

impl Stream {
    /// Set the socket options an accepted connection takes from its
    /// socket (errors ignored: the connection works without them).
    pub(crate) fn tune_accepted(&self, opts: &Options) {
        match self {
            Stream::Tcp(s) => tcp::tune_accepted(s, opts),
            Stream::Ipc(s) => ipc::tune(s, opts),
        }
    }

    /// The pending error of a non-blocking connect, if any.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Stream::Tcp(s) => s.take_error(),
            Stream::Ipc(s) => s.take_error(),
        }
    }

    /// After a readiness event during a connect: `Ok(true)` when connected,
    /// `Ok(false)` while still connecting.
    pub(crate) fn connected(&self) -> io::Result<bool> {
        match self {
            Stream::Tcp(s) => tcp::connected(s),
            Stream::Ipc(s) => match s.peer_addr() {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                Err(e) => Err(e),
            },
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Ipc(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    // Writes go through `send`/`sendmsg` with MSG_NOSIGNAL: a peer that
    // went away is an EPIPE error for this connection, never a SIGPIPE
    // that kills a host process which did not ignore the signal (plain
    // `write`/`writev` on a socket raise it).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock().send_with_flags(buf, libc::MSG_NOSIGNAL)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.sock()
            .send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream {
    fn sock(&self) -> socket2::SockRef<'_> {
        match self {
            Stream::Tcp(s) => socket2::SockRef::from(s),
            Stream::Ipc(s) => socket2::SockRef::from(s),
        }
    }
}

/// mio registration, delegated to the transport's own source.
macro_rules! delegate_source {
    ($ty:ident { $($variant:ident),* }) => {
        impl Source for $ty {
            fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
                match self { $($ty::$variant(s) => s.register(r, t, i)),* }
            }
            fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
                match self { $($ty::$variant(s) => s.reregister(r, t, i)),* }
            }
            fn deregister(&mut self, r: &Registry) -> io::Result<()> {
                match self { $($ty::$variant(s) => s.deregister(r)),* }
            }
        }
    };
}

delegate_source!(Stream { Tcp, Ipc });
delegate_source!(Listener { Tcp, Ipc });
