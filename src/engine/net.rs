//! TCP sockets: listeners, outgoing connects and per-connection options
//! (`TCP_NODELAY`, keepalive, kernel buffer sizes), through socket2.

use crate::options::Options;
use mio::net::TcpStream;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use std::io;
use std::net::{SocketAddr, TcpListener};

/// Bind and listen on `addr` (non-blocking), with the socket's receive
/// buffer size, which accepted connections inherit.
pub(crate) fn bind_listener(addr: SocketAddr, opts: &Options) -> io::Result<TcpListener> {
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
    Ok(raw.into())
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
