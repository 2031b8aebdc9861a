//! Helpers shared by the socket integration tests (`sockets_*.rs`), included
//! with `#[path = "common/sockets.rs"] mod sockets;`.
//!
//! Everything here waits for a *condition* with a deadline; nothing sleeps to
//! synchronise.
#![allow(dead_code)] // each test file uses a different subset

use ferromq::{Context, Message, Monitor, MonitorEvent, Options, Socket};
use std::time::{Duration, Instant};

/// Timeout for a message we expect to arrive (generous: only a failing test
/// ever waits this long).
pub(crate) const ARRIVE: Duration = Duration::from_secs(10);

/// How long we wait before concluding that something did *not* arrive. Only
/// used for absence checks, after the presence of something later in the
/// same stream has been established where possible.
pub(crate) const ABSENT: Duration = Duration::from_millis(200);

/// Size of the "big" messages used to fill kernel buffers with few messages.
pub(crate) const BIG: usize = 64 * 1024;

/// A fresh context.
pub(crate) fn ctx() -> Context {
    Context::new().expect("context starts")
}

/// Bind `s` to a free loopback port; returns the endpoint with the real port.
pub(crate) fn bind_local(s: &Socket) -> String {
    let ep = s.bind("tcp://127.0.0.1:0").expect("bind loopback port 0");
    let text = ep.to_string();
    assert!(
        !text.ends_with(":0"),
        "bind must report the real port, got {text}"
    );
    text
}

/// A loopback endpoint on which nobody listens: a free port below Linux's
/// ephemeral range (32768 and up), so that no socket bound to port 0 by a
/// test running at the same time can be handed it and receive messages
/// meant for nobody.
pub(crate) fn unused_endpoint() -> String {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() as u16).wrapping_mul(7919);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (seed.wrapping_add(n.wrapping_mul(31)) % 12_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return format!("tcp://127.0.0.1:{port}");
        }
    }
}

/// Options with a short reconnect interval, so reconnection tests are fast.
pub(crate) fn fast_reconnect() -> Options {
    Options::default().with_reconnect(Duration::from_millis(10), Duration::from_millis(50))
}

/// Poll `cond` (yielding the CPU between polls) until it holds; panic with
/// `what` if it does not within `timeout`.
pub(crate) fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        std::thread::yield_now();
    }
}

/// The frames of a message as (lossy) UTF-8 strings.
pub(crate) fn texts(m: &Message) -> Vec<String> {
    m.frames()
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// The last frame of a message as a string (the body, also for ROUTER
/// messages whose first frame is the routing id).
pub(crate) fn body(m: &Message) -> String {
    m.last()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .unwrap_or_default()
}

/// Receive one message that must arrive within [`ARRIVE`].
pub(crate) fn recv(s: &Socket, what: &str) -> Message {
    match s.recv_timeout(ARRIVE) {
        Ok(m) => m,
        Err(e) => panic!("{what}: expected a message within {ARRIVE:?}, got {e:?}"),
    }
}

/// Upper bound, in messages of `msg_size` bytes, of what the kernel can buffer
/// on one loopback TCP connection: the largest send buffer plus the largest
/// receive buffer autotuning may reach (`tcp_wmem[2] + tcp_rmem[2]`).
pub(crate) fn kernel_buffer_messages(msg_size: usize) -> usize {
    fn max_of(path: &str) -> Option<usize> {
        let s = std::fs::read_to_string(path).ok()?;
        s.split_whitespace().last()?.parse().ok()
    }
    // Fall back to generous Linux defaults when /proc is unavailable.
    let wmem = max_of("/proc/sys/net/ipv4/tcp_wmem").unwrap_or(4 << 20);
    let rmem = max_of("/proc/sys/net/ipv4/tcp_rmem").unwrap_or(6 << 20);
    (wmem + rmem).div_ceil(msg_size)
}

/// A multipart message from borrowed strings (copied).
pub(crate) fn msg(frames: &[&str]) -> Message {
    frames
        .iter()
        .map(|f| bytes::Bytes::copy_from_slice(f.as_bytes()))
        .collect()
}

/// Wait until `mon` has reported `n` `Disconnected` events (other events are
/// skipped); panic if that takes longer than [`ARRIVE`].
///
/// A connection is reported disconnected by the side that read the peer's
/// close, i.e. after everything the peer sent before closing was read and
/// queued (as long as the receive pipe had room for it).
pub(crate) fn wait_disconnected(mon: &Monitor, n: usize) {
    let deadline = Instant::now() + ARRIVE;
    let mut seen = 0;
    while seen < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.recv_timeout(left) {
            Ok(MonitorEvent::Disconnected { .. }) => seen += 1,
            Ok(_) => {}
            Err(e) => panic!("saw {seen} of {n} disconnections: {e:?}"),
        }
    }
}

/// Wait until `mon` has reported `n` `HandshakeSucceeded` events (other
/// events are skipped): `n` peers are attached and can take messages.
pub(crate) fn wait_handshakes(mon: &Monitor, n: usize) {
    let deadline = Instant::now() + ARRIVE;
    let mut seen = 0;
    while seen < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.recv_timeout(left) {
            Ok(MonitorEvent::HandshakeSucceeded { .. }) => seen += 1,
            Ok(_) => {}
            Err(e) => panic!("saw {seen} of {n} handshakes: {e:?}"),
        }
    }
}

/// A socket of `ty` connected to `ep`, with its handshake done.
pub(crate) fn connected(ctx: &Context, ty: ferromq::SocketType, opts: Options, ep: &str) -> Socket {
    let s = ctx.socket_with(ty, opts).expect("socket");
    let mon = s.monitor();
    s.connect(ep).expect("connect");
    wait_handshakes(&mon, 1);
    s
}
