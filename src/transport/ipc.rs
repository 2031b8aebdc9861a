//! `ipc://`: Unix domain stream sockets carrying the same ZMTP engine as
//! TCP (libzmq's `ipc_listener.cpp` / `ipc_address.cpp` are the reference).
//!
//! Differences from libzmq, on purpose:
//! - binding a path held by a **live** listener is `AddressInUse` (libzmq
//!   unlinks it and silently steals the address, libzmq#2059); a stale file
//!   left by a dead process is replaced, and a path that is not a socket is
//!   never deleted;
//! - the file is removed when the listener closes, but only if it is still
//!   the one this listener created (same device and inode), so a newer
//!   listener's file is never removed.

use super::{Listener as AnyListener, PeerAddr, Stream};
use crate::endpoint::{Endpoint, IPC_PATH_MAX};
use crate::error::{Error, Result};
use crate::options::Options;
use mio::event::Source;
use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};
use socket2::SockRef;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A Unix listener that removes its socket file when dropped (if the file
/// is still its own).
#[derive(Debug)]
pub(crate) struct Listener {
    inner: UnixListener,
    /// The file we created, with its (device, inode).
    file: Option<(PathBuf, u64, u64)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some((path, dev, ino)) = &self.file {
            let ours = std::fs::symlink_metadata(path)
                .is_ok_and(|m| m.file_type().is_socket() && m.dev() == *dev && m.ino() == *ino);
            if ours {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

impl Listener {
    pub(super) fn accept(&self) -> io::Result<(Stream, PeerAddr)> {
        let (s, addr) = self.inner.accept()?;
        let path = addr.as_pathname().map(Path::to_path_buf);
        Ok((Stream::Ipc(s), PeerAddr::Ipc(path)))
    }
}

impl Source for Listener {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.inner.register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.inner.reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        self.inner.deregister(r)
    }
}

/// The socket address for an `ipc://` path (or `@name`).
pub(crate) fn address(path: &str) -> io::Result<SocketAddr> {
    if let Some(name) = path.strip_prefix('@') {
        abstract_address(name)
    } else {
        SocketAddr::from_pathname(path)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_address(name: &str) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    // No trailing NUL, as libzmq.
    SocketAddr::from_abstract_name(name.as_bytes())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_address(_: &str) -> io::Result<SocketAddr> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// A fresh path for `ipc://*`, in the temporary directory.
fn fresh_path() -> Result<String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!(
        "ferromq-{}-{}-{:08x}.ipc",
        std::process::id(),
        n,
        crate::random::random_u32()
    );
    let path = std::env::temp_dir().join(name);
    let path = path
        .to_str()
        .map(str::to_owned)
        .ok_or(Error::InvalidEndpoint {
            endpoint: "ipc://*".into(),
            reason: "the temporary directory's path is not UTF-8",
        })?;
    if path.len() > IPC_PATH_MAX {
        return Err(Error::InvalidEndpoint {
            endpoint: "ipc://*".into(),
            reason: "the temporary directory's path is too long for an ipc path",
        });
    }
    Ok(path)
}

/// Bind `ipc://path`: replace a stale socket file, refuse a live one.
pub(super) fn bind(ep: &Endpoint, path: &str) -> Result<(AnyListener, Endpoint)> {
    let path = if path == "*" {
        fresh_path()?
    } else {
        path.to_owned()
    };
    let actual = Endpoint::Ipc { path: path.clone() };
    let in_use = || Error::AddressInUse(actual.to_string());
    let addr = address(&path).map_err(|_| Error::InvalidEndpoint {
        endpoint: ep.to_string(),
        reason: "not a usable ipc path",
    })?;
    let inner = match UnixListener::bind_addr(&addr) {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && !path.starts_with('@') => {
            // A file is there. Live listener: refuse. Stale socket file:
            // replace it. Anything else: leave it alone.
            let meta = std::fs::symlink_metadata(&path).map_err(Error::Io)?;
            if !meta.file_type().is_socket() {
                return Err(in_use());
            }
            match probe(&addr) {
                Probe::Live => return Err(in_use()),
                Probe::Stale => {
                    std::fs::remove_file(&path).map_err(Error::Io)?;
                    UnixListener::bind_addr(&addr).map_err(|e| match e.kind() {
                        io::ErrorKind::AddrInUse => in_use(),
                        _ => Error::Io(e),
                    })?
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Err(in_use()),
        Err(e) => return Err(Error::Io(e)),
    };
    let file = if path.starts_with('@') {
        None
    } else {
        let m = std::fs::symlink_metadata(&path).map_err(Error::Io)?;
        Some((PathBuf::from(&path), m.dev(), m.ino()))
    };
    Ok((AnyListener::Ipc(Listener { inner, file }), actual))
}

/// Is a listener behind a socket file?
enum Probe {
    /// Yes (or we cannot tell: then the file is left alone).
    Live,
    /// No: nobody listens (connection refused); the file may be replaced.
    Stale,
}

/// Find out with a non-blocking connect, so that a live listener whose
/// accept backlog is full (the connect would wait) counts as live instead
/// of blocking `bind`. (A live ferromq or libzmq owner sees this probe as a
/// connection that closes before its greeting.)
fn probe(addr: &SocketAddr) -> Probe {
    let Ok(s) = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None) else {
        return Probe::Live;
    };
    if s.set_nonblocking(true).is_err() {
        return Probe::Live;
    }
    let Ok(target) = socket2::SockAddr::unix(addr.as_pathname().unwrap_or(Path::new(""))) else {
        return Probe::Live;
    };
    match s.connect(&target) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Probe::Stale,
        _ => Probe::Live,
    }
}

/// Start connecting to `addr` (completes at once, or fails at once, on
/// most systems).
pub(super) fn connect(addr: &SocketAddr, opts: &Options) -> io::Result<UnixStream> {
    let s = UnixStream::connect_addr(addr)?;
    tune(&s, opts);
    Ok(s)
}

/// Kernel buffer sizes (the only options that apply to a Unix socket).
pub(super) fn tune(s: &UnixStream, opts: &Options) {
    let r = SockRef::from(s);
    if let Some(n) = opts.send_buffer {
        let _ = r.set_send_buffer_size(n);
    }
    if let Some(n) = opts.recv_buffer {
        let _ = r.set_recv_buffer_size(n);
    }
}
