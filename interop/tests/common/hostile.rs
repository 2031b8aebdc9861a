//! Helpers for the hostile-peer and heartbeat tests (`hostile.rs`,
//! `heartbeat.rs`), included with `#[path = "common/hostile.rs"] mod hostile;`.
//!
//! * byte builders for raw ZMTP (greeting, frames, commands, READY);
//! * [`Transport`]: TCP or ipc, for the socket under attack and its peers;
//! * [`Raw`]: a raw peer (a `std::net::TcpStream`, or a
//!   `std::os::unix::net::UnixStream` over ipc) that sends crafted bytes;
//! * [`Target`]: a ferromq socket under attack (bound on 127.0.0.1:0, or on
//!   a fresh `ipc://*` path), with its monitor and a well-behaved peer,
//!   ferromq or libzmq, connected to it, and [`Target::round_trip`] to
//!   prove that peer still gets through;
//! * event waits with deadlines, and `/proc/self` readings (resident memory,
//!   open descriptors).
//!
//! Nothing here sleeps to synchronise: every wait is for a condition, an
//! event or bytes, bounded by a deadline.
#![allow(dead_code)] // each test file uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ferromq::{Context, Message, Monitor, MonitorEvent, Options, Reason, Socket, SocketType};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Longest wait for something that is expected to happen.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Test serialisation: measuring tests run alone
// ---------------------------------------------------------------------------

static PROCESS: RwLock<()> = RwLock::new(());

/// Taken by ordinary tests: they may run in parallel with each other.
pub(crate) fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS.read().unwrap_or_else(|e| e.into_inner())
}

/// Taken by tests that measure the whole process (memory, descriptors):
/// nothing else in this test binary runs meanwhile.
pub(crate) fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS.write().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// Raw ZMTP bytes
// ---------------------------------------------------------------------------

/// A 64-byte greeting with this mechanism and version.
pub(crate) fn greeting_with(mechanism: &[u8], major: u8, minor: u8) -> Vec<u8> {
    let mut g = vec![0u8; 64];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = major;
    g[11] = minor;
    g[12..12 + mechanism.len()].copy_from_slice(mechanism);
    g
}

/// A valid NULL 3.1 greeting.
pub(crate) fn greeting() -> Vec<u8> {
    greeting_with(b"NULL", 3, 1)
}

/// A frame header with these flags (LONG added when the size needs it).
pub(crate) fn header(flags: u8, len: u64) -> Vec<u8> {
    if len > 255 {
        let mut h = vec![flags | 0x02];
        h.extend_from_slice(&len.to_be_bytes());
        h
    } else {
        vec![flags, len as u8]
    }
}

/// A whole frame.
pub(crate) fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = header(flags, body.len() as u64);
    f.extend_from_slice(body);
    f
}

/// A command frame whose body is `body` as given (may be malformed).
pub(crate) fn command_body(body: &[u8]) -> Vec<u8> {
    frame(0x04, body)
}

/// A well-formed command frame: `name_len name data`.
pub(crate) fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    command_body(&body)
}

/// One metadata property.
pub(crate) fn property(name: &str, value: &[u8]) -> Vec<u8> {
    let mut p = vec![name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(&(value.len() as u32).to_be_bytes());
    p.extend_from_slice(value);
    p
}

/// A READY command with these properties.
pub(crate) fn ready(props: &[(&str, &[u8])]) -> Vec<u8> {
    let md: Vec<u8> = props.iter().flat_map(|(n, v)| property(n, v)).collect();
    command("READY", &md)
}

/// A whole message (MORE on all frames but the last).
pub(crate) fn message(frames: &[&[u8]]) -> Vec<u8> {
    let last = frames.len().saturating_sub(1);
    frames
        .iter()
        .enumerate()
        .flat_map(|(i, f)| frame(u8::from(i < last), f))
        .collect()
}

// ---------------------------------------------------------------------------
// Transports and raw streams
// ---------------------------------------------------------------------------

/// The transport a [`Target`] listens on, and its peers connect over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// `tcp://127.0.0.1:0`.
    Tcp,
    /// `ipc://*`: a fresh socket file in the temporary directory (removed
    /// when the socket closes).
    Ipc,
}

impl Transport {
    /// The endpoint to bind: a fresh port or a fresh path.
    pub(crate) fn any_endpoint(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0",
            Transport::Ipc => "ipc://*",
        }
    }
}

/// The socket address of a `tcp://127.0.0.1:PORT` endpoint.
pub(crate) fn addr(ep: &str) -> SocketAddr {
    ep.strip_prefix("tcp://").unwrap().parse().unwrap()
}

/// A raw byte stream to a ferromq socket: TCP, or a Unix domain socket.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Connect (blocking) to a `tcp://` or `ipc://` endpoint (a path, or a
    /// Linux abstract `@name`).
    pub(crate) fn connect(ep: &str) -> Stream {
        if let Some(path) = ep.strip_prefix("ipc://") {
            let unix = match path.strip_prefix('@') {
                Some(name) => {
                    use std::os::linux::net::SocketAddrExt;
                    let a = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
                    UnixStream::connect_addr(&a)
                }
                None => UnixStream::connect(path),
            };
            Stream::Unix(unix.unwrap_or_else(|e| panic!("raw connect to {ep}: {e}")))
        } else {
            let tcp = TcpStream::connect_timeout(&addr(ep), WAIT)
                .unwrap_or_else(|e| panic!("raw connect to {ep}: {e}"));
            Stream::Tcp(tcp)
        }
    }

    /// Close our sending direction (the peer reads EOF).
    pub(crate) fn shutdown_write(&self) {
        match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Write).unwrap(),
            Stream::Unix(s) => s.shutdown(Shutdown::Write).unwrap(),
        }
    }

    fn set_read_timeout(&self, t: Duration) {
        match self {
            Stream::Tcp(s) => {
                s.set_nodelay(true).unwrap();
                s.set_read_timeout(Some(t)).unwrap();
            }
            Stream::Unix(s) => s.set_read_timeout(Some(t)).unwrap(),
        }
    }
}

impl From<TcpStream> for Stream {
    fn from(s: TcpStream) -> Stream {
        Stream::Tcp(s)
    }
}

impl From<UnixStream> for Stream {
    fn from(s: UnixStream) -> Stream {
        Stream::Unix(s)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// A raw peer
// ---------------------------------------------------------------------------

/// A raw peer (TCP or Unix stream) that sends whatever the test wants.
pub(crate) struct Raw {
    pub(crate) stream: Stream,
    /// Bytes read from the ferromq side and not consumed yet.
    inbuf: Vec<u8>,
}

impl Raw {
    /// Connect to a ferromq endpoint (`tcp://` or `ipc://`).
    pub(crate) fn connect(ep: &str) -> Raw {
        Raw::from_stream(Stream::connect(ep))
    }

    /// Wrap a connected stream (e.g. one a raw listener accepted).
    pub(crate) fn from_stream(stream: impl Into<Stream>) -> Raw {
        let stream = stream.into();
        stream.set_read_timeout(Duration::from_millis(50));
        Raw {
            stream,
            inbuf: Vec::new(),
        }
    }

    /// Close our sending direction: the ferromq side reads EOF.
    pub(crate) fn shutdown_write(&self) {
        self.stream.shutdown_write();
    }

    /// Connect, send a valid greeting and a READY with these properties, and
    /// read the ferromq side's greeting and READY.
    pub(crate) fn handshake(ep: &str, props: &[(&str, &[u8])]) -> Raw {
        Raw::connect(ep).complete_handshake(props)
    }

    /// Send a valid greeting and a READY with these properties, and read the
    /// ferromq side's greeting and READY.
    pub(crate) fn complete_handshake(self, props: &[(&str, &[u8])]) -> Raw {
        let mut r = self;
        r.send(&[greeting(), ready(props)].concat());
        let g = r.read_exact(64).expect("ferromq greeting");
        assert_eq!((g[0], g[10]), (0xFF, 3), "ferromq greeting");
        let (flags, body) = r.read_frame().expect("ferromq READY");
        assert!(flags & 4 != 0 && body.get(1..6) == Some(&b"READY"[..]));
        r
    }

    /// Write bytes; errors are ignored (the other side may have closed,
    /// which is what many tests provoke).
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// Read more bytes into `inbuf`; false at EOF or on a reset.
    fn fill(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.inbuf.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => true,
            Err(e) if e.kind() == ErrorKind::Interrupted => true,
            Err(_) => false,
        }
    }

    /// The next `n` bytes from the ferromq side (`None` if it closed first).
    pub(crate) fn read_exact(&mut self, n: usize) -> Option<Vec<u8>> {
        let deadline = Instant::now() + WAIT;
        while self.inbuf.len() < n {
            assert!(Instant::now() < deadline, "no {n} bytes from ferromq");
            if !self.fill() {
                return None;
            }
        }
        Some(self.inbuf.drain(..n).collect())
    }

    /// The next frame from the ferromq side: (flags, body).
    pub(crate) fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let flags = self.read_exact(1)?[0];
        let len = if flags & 2 != 0 {
            u64::from_be_bytes(self.read_exact(8)?.try_into().unwrap()) as usize
        } else {
            usize::from(self.read_exact(1)?[0])
        };
        Some((flags, self.read_exact(len)?))
    }

    /// The next data (non-command) frame, skipping commands (e.g. PINGs).
    pub(crate) fn read_data_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            let (flags, body) = self.read_frame()?;
            if flags & 4 == 0 {
                return Some(body);
            }
        }
    }

    /// Wait until the ferromq side closes the connection; panics if it is
    /// still open after [`WAIT`]. Whatever it sends meanwhile is discarded.
    pub(crate) fn wait_closed(&mut self) {
        let deadline = Instant::now() + WAIT;
        while self.fill() {
            self.inbuf.clear();
            assert!(
                Instant::now() < deadline,
                "ferromq kept the bad connection open"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Monitor events
// ---------------------------------------------------------------------------

/// Wait for the first event `pick` accepts (others are skipped), at most
/// [`WAIT`]; panics with the skipped events otherwise.
pub(crate) fn wait_event<T>(
    mon: &Monitor,
    what: &str,
    mut pick: impl FnMut(&MonitorEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.recv_timeout(left) {
            Ok(ev) => match pick(&ev) {
                Some(t) => return t,
                None => skipped.push(ev),
            },
            Err(_) => panic!("no {what} within {WAIT:?}; saw {skipped:?}"),
        }
    }
}

/// The next connection failure: `(handshake_failed, reason)`, for a
/// `HandshakeFailed` (true) or `Disconnected` (false) event.
pub(crate) fn next_failure(mon: &Monitor) -> (bool, Reason) {
    wait_event(mon, "HandshakeFailed/Disconnected", |ev| match ev {
        MonitorEvent::HandshakeFailed { reason, .. } => Some((true, reason.clone())),
        MonitorEvent::Disconnected { reason, .. } => Some((false, reason.clone())),
        _ => None,
    })
}

/// The next `HandshakeFailed`; panics on a `Disconnected` first.
pub(crate) fn handshake_failed(mon: &Monitor) -> Reason {
    match next_failure(mon) {
        (true, reason) => reason,
        (false, reason) => panic!("expected HandshakeFailed, got Disconnected({reason:?})"),
    }
}

/// The next `Disconnected`; panics on a `HandshakeFailed` first.
pub(crate) fn disconnected(mon: &Monitor) -> Reason {
    match next_failure(mon) {
        (false, reason) => reason,
        (true, reason) => panic!("expected Disconnected, got HandshakeFailed({reason:?})"),
    }
}

/// Wait for the next `HandshakeSucceeded`; panics on a failure first.
pub(crate) fn handshake_succeeded(mon: &Monitor) {
    wait_event(mon, "HandshakeSucceeded", |ev| match ev {
        MonitorEvent::HandshakeSucceeded { .. } => Some(()),
        MonitorEvent::HandshakeFailed { reason, .. }
        | MonitorEvent::Disconnected { reason, .. } => {
            panic!("expected HandshakeSucceeded, got a failure: {reason:?}")
        }
        _ => None,
    })
}

/// Assert a `Reason::Protocol` whose text contains `needle`.
#[track_caller]
pub(crate) fn assert_protocol(reason: &Reason, needle: &str) {
    match reason {
        Reason::Protocol(text) => assert!(
            text.contains(needle),
            "expected a protocol error about {needle:?}, got {text:?}"
        ),
        other => panic!("expected Reason::Protocol({needle:?}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The socket under attack and its good peer
// ---------------------------------------------------------------------------

/// Which well-behaved peer a [`Target`] gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoodPeer {
    /// A ferromq socket of the compatible type (DEALER for a ROUTER or
    /// DEALER target, PULL for PUSH, PUSH for PULL).
    Ferromq,
    /// A libzmq DEALER (ROUTER targets only).
    Libzmq,
}

#[allow(clippy::large_enum_variant)] // one per test
enum Good {
    Ferromq {
        peer: Socket,
        /// PUSH/PULL targets: the way back for the round trip.
        back: Option<(Socket, Socket)>,
    },
    Libzmq {
        _ctx: zmq::Context,
        dealer: zmq::Socket,
    },
}

/// A ferromq socket bound on 127.0.0.1:0 (or a fresh `ipc://*` path) with
/// a monitor and a good peer.
pub(crate) struct Target {
    pub(crate) ctx: Context,
    pub(crate) sock: Socket,
    pub(crate) mon: Monitor,
    pub(crate) ep: String,
    good: Good,
    trips: u64,
}

impl Target {
    /// A ROUTER (with `router_mandatory`, so that a leaked routing id would
    /// show) with a ferromq DEALER good peer.
    pub(crate) fn router() -> Target {
        Target::router_on(Transport::Tcp)
    }

    /// [`Target::router`] over `transport`.
    pub(crate) fn router_on(transport: Transport) -> Target {
        Target::new_on(
            transport,
            SocketType::Router,
            Options::default().with_router_mandatory(true),
            GoodPeer::Ferromq,
        )
    }

    /// A socket of type `ty` under attack over TCP: [`Target::new_on`].
    pub(crate) fn new(ty: SocketType, opts: Options, good: GoodPeer) -> Target {
        Target::new_on(Transport::Tcp, ty, opts, good)
    }

    /// A socket of type `ty` under attack, with `opts`, bound over
    /// `transport`, and its good peer, which has completed a first round
    /// trip when this returns. The monitor has seen that peer's handshake:
    /// the events it holds next are about the attack.
    pub(crate) fn new_on(
        transport: Transport,
        ty: SocketType,
        opts: Options,
        good: GoodPeer,
    ) -> Target {
        let ctx = Context::new().unwrap();
        let sock = ctx.socket_with(ty, opts).unwrap();
        let mon = sock.monitor();
        let ep = sock.bind(transport.any_endpoint()).unwrap().to_string();
        let good = match (good, ty) {
            (GoodPeer::Libzmq, SocketType::Router) => {
                let zctx = zmq::Context::new();
                let dealer = zctx.socket(zmq::DEALER).unwrap();
                dealer.set_linger(0).unwrap();
                dealer.set_rcvtimeo(WAIT.as_millis() as i32).unwrap();
                dealer.set_sndtimeo(WAIT.as_millis() as i32).unwrap();
                dealer.set_identity(b"good-libzmq").unwrap();
                dealer.connect(&ep).unwrap();
                Good::Libzmq { _ctx: zctx, dealer }
            }
            (GoodPeer::Libzmq, _) => panic!("libzmq good peers are for ROUTER targets"),
            (GoodPeer::Ferromq, _) => {
                let peer_ty = match ty {
                    SocketType::Push => SocketType::Pull,
                    SocketType::Pull => SocketType::Push,
                    _ => SocketType::Dealer,
                };
                let peer = ctx
                    .socket_with(peer_ty, Options::default().with_routing_id("good"))
                    .unwrap();
                peer.connect(&ep).unwrap();
                let back = matches!(ty, SocketType::Push | SocketType::Pull).then(|| {
                    let pull = ctx.socket(SocketType::Pull).unwrap();
                    let back_ep = pull.bind(transport.any_endpoint()).unwrap().to_string();
                    let push = ctx.socket(SocketType::Push).unwrap();
                    push.connect(&back_ep).unwrap();
                    (push, pull)
                });
                Good::Ferromq { peer, back }
            }
        };
        let mut t = Target {
            ctx,
            sock,
            mon,
            ep,
            good,
            trips: 0,
        };
        t.round_trip("hello");
        handshake_succeeded(&t.mon);
        t
    }

    /// The next message the good ferromq peer receives (DEALER or PULL),
    /// as the text of its first frame.
    pub(crate) fn good_recv(&self) -> String {
        let Good::Ferromq { peer, .. } = &self.good else {
            panic!("good_recv needs a ferromq good peer");
        };
        let m = peer.recv_timeout(WAIT).expect("message for the good peer");
        String::from_utf8_lossy(&m.frames()[0]).into_owned()
    }

    /// A round trip between the good peer and the socket under attack: a
    /// request goes one way and its reply comes back. ROUTER/DEALER: both
    /// ways through the socket under attack. PUSH/PULL (one-way types): the
    /// request goes through it and the reply over a second PUSH/PULL pair.
    pub(crate) fn round_trip(&mut self, tag: &str) {
        self.trips += 1;
        let req = format!("{tag}#{}", self.trips);
        let rep = format!("{req}:reply");
        let ty = self.sock.socket_type();
        match &self.good {
            Good::Libzmq { dealer, .. } => {
                dealer.send(req.as_bytes(), 0).unwrap();
                let m = self.sock.recv_timeout(WAIT).expect("request from libzmq");
                assert_eq!(m.frames()[0], "good-libzmq");
                assert_eq!(m.frames()[1], req.as_bytes());
                self.sock
                    .send(Message::multipart([
                        m.frames()[0].clone(),
                        rep.clone().into_bytes().into(),
                    ]))
                    .unwrap();
                let r = dealer.recv_bytes(0).expect("reply to libzmq");
                assert_eq!(r, rep.as_bytes());
            }
            Good::Ferromq { peer, back } => match ty {
                SocketType::Router | SocketType::Dealer => {
                    peer.send(req.clone()).unwrap();
                    let m = self.sock.recv_timeout(WAIT).expect("request");
                    assert_eq!(m.last().unwrap(), req.as_bytes(), "{m:?}");
                    // Keep the envelope (a ROUTER's routing id), swap the body.
                    let mut frames = m.into_frames();
                    frames.pop();
                    frames.push(rep.clone().into());
                    self.sock.send(Message::from(frames)).unwrap();
                    let r = peer.recv_timeout(WAIT).expect("reply");
                    assert_eq!(r.frames(), [rep.as_bytes()]);
                }
                SocketType::Push | SocketType::Pull => {
                    let (push, pull) = back.as_ref().unwrap();
                    let (sender, receiver) = if ty == SocketType::Push {
                        (&self.sock, peer)
                    } else {
                        (peer, &self.sock)
                    };
                    sender.send(req.clone()).unwrap();
                    let m = receiver.recv_timeout(WAIT).expect("request");
                    assert_eq!(m.frames(), [req.as_bytes()]);
                    push.send(rep.clone()).unwrap();
                    let r = pull.recv_timeout(WAIT).expect("reply");
                    assert_eq!(r.frames(), [rep.as_bytes()]);
                }
                _ => unreachable!(),
            },
        }
    }
}

// ---------------------------------------------------------------------------
// /proc/self
// ---------------------------------------------------------------------------

/// A `kB` line of /proc/self/status (e.g. `VmRSS`, `VmHWM`), in bytes.
pub(crate) fn proc_status_bytes(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in /proc/self/status"));
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

/// Resident memory of this process, in bytes.
pub(crate) fn rss() -> u64 {
    proc_status_bytes("VmRSS")
}

/// Reset the peak-resident counter (`VmHWM`) to the current resident size,
/// where the kernel allows it (Linux 4.0+); returns whether it did.
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory of this process, in bytes.
pub(crate) fn peak_rss() -> u64 {
    proc_status_bytes("VmHWM")
}

/// Open file descriptors of this process.
pub(crate) fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Poll `cond` (yielding between polls) until it holds, at most `timeout`.
pub(crate) fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::yield_now();
    }
}
