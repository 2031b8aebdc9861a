//! `tcp://`: listeners, outgoing connects and per-connection options
//! (`TCP_NODELAY`, keepalive, kernel buffer sizes), through socket2.

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::options::Options;
use mio::net::{TcpListener, TcpStream};
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use std::io;
use std::net::SocketAddr;

/// Bind and listen on `ep` (non-blocking), with the socket's receive
/// buffer size, which accepted connections inherit. Returns the listener
/// and the endpoint bound, with the real port (`tcp://*:0` gives
/// `tcp://0.0.0.0:PORT`, as libzmq's ZMQ_LAST_ENDPOINT).
pub(super) fn bind(ep: &Endpoint, opts: &Options) -> Result<(super::Listener, Endpoint)> {
    let addr = ep.bind_addr()?;
    let listener = listen(addr, opts).map_err(|e| {
        if e.kind() == io::ErrorKind::AddrInUse {
            Error::AddressInUse(ep.to_string())
        } else {
            Error::Io(e)
        }
    })?;
    let actual = Endpoint::tcp(listener.local_addr()?);
    Ok((super::Listener::Tcp(listener), actual))
}

fn listen(addr: SocketAddr, opts: &Options) -> io::Result<TcpListener> {
    let raw = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    raw.set_reuse_address(true)?;
    if addr.is_ipv6() {
        raw.set_only_v6(true)?;
    }
    if let Some(n) = opts.recv_buffer {
        raw.set_recv_buffer_size(n)?;
    }
    raw.bind(&addr.into())?;
    raw.listen(1024)?;
    raw.set_nonblocking(true)?;
    let std: std::net::TcpListener = raw.into();
    Ok(TcpListener::from_std(std))
}

/// Start a non-blocking connect to `addr` with the socket's options set
/// first (buffer sizes must precede the handshake to take effect).
pub(super) fn connect(addr: SocketAddr, opts: &Options) -> io::Result<TcpStream> {
    let raw = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    raw.set_nonblocking(true)?;
    apply(&raw, opts)?;
    match raw.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    let std: std::net::TcpStream = raw.into();
    Ok(TcpStream::from_std(std))
}

/// Has a non-blocking connect completed? A TCP simultaneous open onto our
/// own ephemeral port (a connection to itself, never a peer) is an error.
pub(super) fn connected(s: &TcpStream) -> io::Result<bool> {
    match s.peer_addr() {
        Ok(peer) if s.local_addr().ok() == Some(peer) => {
            Err(io::Error::from(io::ErrorKind::AddrInUse))
        }
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

/// Set the per-connection options on an accepted stream (errors are
/// ignored: the connection works without them).
pub(super) fn tune_accepted(stream: &TcpStream, opts: &Options) {
    let _ = apply(&SockRef::from(stream), opts);
}

fn apply(s: &Socket, opts: &Options) -> io::Result<()> {
    s.set_nodelay(true)?;
    if let Some(n) = opts.send_buffer {
        s.set_send_buffer_size(n)?;
    }
    if let Some(n) = opts.recv_buffer {
        s.set_recv_buffer_size(n)?;
    }
    if let Some(ka) = opts.tcp_keepalive {
        let mut k = TcpKeepalive::new();
        if let Some(idle) = ka.idle {
            k = k.with_time(idle);
        }
        if let Some(interval) = ka.interval {
            k = k.with_interval(interval);
        }
        if let Some(n) = ka.retries {
            k = k.with_retries(n);
        }
        s.set_tcp_keepalive(&k)?;
    }
    Ok(())
}

/// `EINPROGRESS`, which a non-blocking connect returns while the handshake
/// runs (std's `ErrorKind::InProgress` is newer than our minimum Rust).
#[cfg(any(target_os = "linux", target_os = "android"))]
const EINPROGRESS: i32 = 115;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const EINPROGRESS: i32 = 36;
