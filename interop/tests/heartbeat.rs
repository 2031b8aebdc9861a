//! ZMTP 3.1 heartbeats (PING/PONG): dead peers are noticed, live ones are
//! not disturbed, and ferromq interoperates with libzmq's heartbeats.
//!
//! * A raw TCP peer that completes a valid NULL handshake and then never
//!   answers is dropped with `Disconnected(HeartbeatTimeout)` within
//!   interval + timeout (plus a margin), and the connecting ferromq socket
//!   reconnects (`ConnectRetried`, `Connected`, `HandshakeSucceeded`).
//! * A frozen process — a child ferromq peer stopped with SIGSTOP — is
//!   dropped the same way; after SIGCONT it reconnects and works again.
//! * A peer's PING TTL is honoured.
//! * libzmq → ferromq: a libzmq socket with `ZMQ_HEARTBEAT_IVL` stays
//!   connected to ferromq across idle periods many intervals long (ferromq
//!   answers its PINGs), while the same libzmq socket facing a silent raw
//!   peer disconnects — proof that its heartbeats are really on.
//! * ferromq → libzmq: a ferromq socket with `heartbeat_interval` stays
//!   connected to libzmq across idle periods (libzmq answers PONG).
//! * PING before the handshake is a protocol error; exactly one PONG answers
//!   each PING, echoing its context (cut to 16 bytes).
//!
//! Waits are for events or bytes, with deadlines. The "stays connected"
//! checks are absence checks: no disconnect event within an idle window of
//! ten heartbeat intervals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/hostile.rs"]
mod hostile;

use ferromq::{Context, Message, MonitorEvent, Options, Reason, SocketType};
use hostile::*;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Heartbeat interval used by these tests.
const IVL: Duration = Duration::from_millis(100);
/// Heartbeat timeout used by these tests.
const TIMEOUT: Duration = Duration::from_millis(200);
/// Scheduling slack allowed on top of interval + timeout.
const MARGIN: Duration = Duration::from_millis(1000);
/// Environment variable that turns the helper test into the SIGSTOP child.
const HELPER_ENV: &str = "FERROMQ_HEARTBEAT_HELPER_ENDPOINT";

/// A raw listener on 127.0.0.1:0 and its `tcp://` endpoint.
fn raw_listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", l.local_addr().unwrap());
    (l, ep)
}

/// A raw peer that completed a NULL handshake (as a ROUTER) with a ferromq
/// DEALER that connected to our listener.
fn accept_and_handshake(l: &TcpListener) -> Raw {
    let (tcp, _) = l.accept().unwrap();
    Raw::from_stream(tcp).complete_handshake(&[("Socket-Type", b"ROUTER"), ("Identity", b"")])
}

/// Wait for a PING frame from the other side; returns its body.
fn read_ping(raw: &mut Raw) -> Vec<u8> {
    loop {
        let (flags, body) = raw.read_frame().expect("a PING before the close");
        if flags & 4 != 0 && body.get(1..5) == Some(&b"PING"[..]) {
            return body;
        }
    }
}

#[test]
fn silent_raw_peer_is_detected_and_connecting_side_reconnects() {
    let (l, ep) = raw_listener();
    let ctx = Context::new().unwrap();
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default()
                .with_heartbeat(IVL, TIMEOUT)
                .with_reconnect(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .unwrap();
    let mon = dealer.monitor();
    dealer.connect(&ep).unwrap();
    let mut raw = accept_and_handshake(&l);
    handshake_succeeded(&mon);
    let up = Instant::now();
    // ferromq PINGs the silent peer (ttl 0: none asked), which never answers.
    let ping = read_ping(&mut raw);
    assert_eq!(&ping[..7], b"\x04PING\x00\x00");
    assert_eq!(disconnected(&mon), Reason::HeartbeatTimeout);
    let took = up.elapsed();
    assert!(
        took <= IVL + TIMEOUT + MARGIN,
        "detected after {took:?}, expected about {:?}",
        IVL + TIMEOUT
    );
    assert!(took >= TIMEOUT, "too early: {took:?}");
    raw.wait_closed();
    // The connecting side reconnects...
    wait_event(&mon, "ConnectRetried", |ev| {
        matches!(ev, MonitorEvent::ConnectRetried { .. }).then_some(())
    });
    wait_event(&mon, "Connected", |ev| {
        matches!(ev, MonitorEvent::Connected { .. }).then_some(())
    });
    // ...and the new connection works.
    let mut raw = accept_and_handshake(&l);
    handshake_succeeded(&mon);
    dealer.send("after reconnect").unwrap();
    assert_eq!(raw.read_data_frame().unwrap(), b"after reconnect");
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("run kill(1)");
    assert!(status.success(), "kill {sig}");
}

/// The child half of [`sigstopped_peer_is_detected`]: a ferromq DEALER that
/// connects to the parent's ROUTER, says hello, and echoes until "bye".
/// Without the environment variable it does nothing.
#[test]
#[ignore = "helper: the child process of sigstopped_peer_is_detected"]
fn helper_sigstop_child() {
    let Ok(ep) = std::env::var(HELPER_ENV) else {
        return;
    };
    let ctx = Context::new().unwrap();
    let d = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default()
                .with_routing_id("child")
                .with_reconnect(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .unwrap();
    d.connect(&ep).unwrap();
    d.send("hello").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(m) = d.recv_timeout(Duration::from_secs(1)) {
            let bye = m.frames()[0] == "bye";
            d.send(m).unwrap();
            if bye {
                return;
            }
        }
    }
}

#[test]
fn sigstopped_peer_is_detected() {
    let ctx = Context::new().unwrap();
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_heartbeat(IVL, TIMEOUT),
        )
        .unwrap();
    let mon = router.monitor();
    let ep = router.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "helper_sigstop_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(HELPER_ENV, &ep)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = ChildGuard(child);
    let m = router.recv_timeout(WAIT).expect("hello from the child");
    assert_eq!(m.frames(), ["child", "hello"]);
    handshake_succeeded(&mon);

    signal(&child.0, "-STOP");
    let stopped = Instant::now();
    assert_eq!(disconnected(&mon), Reason::HeartbeatTimeout);
    let took = stopped.elapsed();
    assert!(
        took <= IVL + TIMEOUT + MARGIN,
        "frozen peer detected after {took:?}"
    );

    // Thawed, the child notices the close and reconnects.
    signal(&child.0, "-CONT");
    handshake_succeeded(&mon);
    router.send(Message::multipart(["child", "again"])).unwrap();
    let m = router.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["child", "again"]);
    router.send(Message::multipart(["child", "bye"])).unwrap();
    assert_eq!(
        router.recv_timeout(WAIT).unwrap().frames(),
        ["child", "bye"]
    );
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "child: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "child did not exit");
        std::thread::yield_now();
    }
}

/// A peer whose PING asks for a TTL of 0.3 s and then goes silent is
/// dropped after about 0.3 s, although our own heartbeats are off.
#[test]
fn peer_ping_ttl_is_honoured() {
    let mut t = Target::router();
    let mut raw = Raw::handshake(&t.ep, &[("Socket-Type", b"DEALER"), ("Identity", b"ttl")]);
    handshake_succeeded(&t.mon);
    raw.send(&command("PING", b"\x00\x03"));
    let sent = Instant::now();
    assert_eq!(disconnected(&t.mon), Reason::HeartbeatTimeout);
    let took = sent.elapsed();
    let ttl = Duration::from_millis(300);
    assert!(took <= ttl + MARGIN, "after {took:?}");
    assert!(took >= ttl - Duration::from_millis(50), "early: {took:?}");
    raw.wait_closed();
    t.round_trip("after");
}

#[test]
fn ping_before_the_handshake_is_a_protocol_error() {
    let mut t = Target::new(
        SocketType::Router,
        Options::default().with_heartbeat(IVL, TIMEOUT),
        GoodPeer::Ferromq,
    );
    for bytes in [
        [greeting(), command("PING", b"\x00\x00")].concat(),
        [greeting(), command("PONG", b"")].concat(),
    ] {
        let mut raw = Raw::connect(&t.ep);
        raw.send(&bytes);
        assert_protocol(
            &handshake_failed(&t.mon),
            "unexpected command during handshake",
        );
        raw.wait_closed();
    }
    t.round_trip("after");
}

/// Six PINGs (one with a 20-byte context) get exactly six PONGs, in order,
/// each echoing its PING's context cut to 16 bytes; a PONG or unknown
/// command from the peer gets no answer.
#[test]
fn exactly_one_pong_per_ping() {
    let mut t = Target::router();
    let mut raw = Raw::handshake(
        &t.ep,
        &[("Socket-Type", b"DEALER"), ("Identity", b"pinger")],
    );
    handshake_succeeded(&t.mon);
    let contexts: Vec<Vec<u8>> = (0..5)
        .map(|i| format!("ctx{i}").into_bytes())
        .chain([b"0123456789abcdefOVER".to_vec()])
        .collect();
    let mut bytes = Vec::new();
    for c in &contexts {
        bytes.extend(command("PING", &[&[0u8, 0][..], c].concat()));
        bytes.extend(command("PONG", b"unsolicited"));
        bytes.extend(command("XUNKNOWN", b""));
    }
    bytes.extend(message(&[b"marker"]));
    raw.send(&bytes);
    // The marker proves everything before it was processed.
    let m = t.sock.recv_timeout(WAIT).unwrap();
    assert_eq!(m.frames(), ["pinger", "marker"]);
    t.sock.send(Message::multipart(["pinger", "end"])).unwrap();
    let mut pongs = Vec::new();
    loop {
        let (flags, body) = raw.read_frame().expect("frames until the end marker");
        if flags & 4 == 0 {
            assert_eq!(body, b"end");
            break;
        }
        assert_eq!(&body[..5], b"\x04PONG", "only PONGs expected");
        pongs.push(body[5..].to_vec());
    }
    let expected: Vec<Vec<u8>> = contexts
        .iter()
        .map(|c| c[..c.len().min(16)].to_vec())
        .collect();
    assert_eq!(pongs, expected);
    t.round_trip("after");
}

// ---------------------------------------------------------------------------
// libzmq interop
// ---------------------------------------------------------------------------

/// libzmq's monitor events, read through an inproc PAIR.
struct ZMonitor {
    pair: zmq::Socket,
}

impl ZMonitor {
    fn new(z: &zmq::Context, s: &zmq::Socket, name: &str) -> ZMonitor {
        let ep = format!("inproc://{name}");
        s.monitor(&ep, zmq::SocketEvent::ALL as i32).unwrap();
        let pair = z.socket(zmq::PAIR).unwrap();
        pair.connect(&ep).unwrap();
        ZMonitor { pair }
    }

    /// The next event id, waiting at most `timeout`.
    fn next(&self, timeout: Duration) -> Option<u16> {
        self.pair
            .set_rcvtimeo(timeout.as_millis().max(1) as i32)
            .unwrap();
        let frames = self.pair.recv_multipart(0).ok()?;
        Some(u16::from_le_bytes([frames[0][0], frames[0][1]]))
    }

    /// Every event within `window` (an absence check when none is expected).
    fn collect(&self, window: Duration) -> Vec<u16> {
        let end = Instant::now() + window;
        let mut out = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return out;
            }
            if let Some(ev) = self.next(left) {
                out.push(ev);
            }
        }
    }

    /// Wait for event `id`, at most `timeout`.
    fn wait_for(&self, id: zmq::SocketEvent, timeout: Duration) {
        let end = Instant::now() + timeout;
        let mut seen = Vec::new();
        while Instant::now() < end {
            match self.next(end.saturating_duration_since(Instant::now())) {
                Some(ev) if ev == id as u16 => return,
                Some(ev) => seen.push(ev),
                None => {}
            }
        }
        panic!("no libzmq event {id:?}; saw {seen:x?}");
    }
}

fn zsocket(z: &zmq::Context, ty: zmq::SocketType) -> zmq::Socket {
    let s = z.socket(ty).unwrap();
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(WAIT.as_millis() as i32).unwrap();
    s.set_sndtimeo(WAIT.as_millis() as i32).unwrap();
    s
}

/// Idle windows of ten intervals without application traffic.
const IDLE: Duration = Duration::from_millis(1000);

#[test]
fn libzmq_heartbeats_are_answered_by_ferromq() {
    let z = zmq::Context::new();
    let ivl_ms = IVL.as_millis() as i32;
    let timeout_ms = TIMEOUT.as_millis() as i32;

    // Control: against a raw peer that never answers, these libzmq settings
    // do disconnect — the heartbeats are really on.
    let (l, ep) = raw_listener();
    let control = zsocket(&z, zmq::DEALER);
    control.set_heartbeat_ivl(ivl_ms).unwrap();
    control.set_heartbeat_timeout(timeout_ms).unwrap();
    let control_mon = ZMonitor::new(&z, &control, "control");
    control.connect(&ep).unwrap();
    let mut raw = accept_and_handshake(&l);
    let ping = read_ping(&mut raw);
    assert_eq!(&ping[..5], b"\x04PING");
    control_mon.wait_for(zmq::SocketEvent::DISCONNECTED, WAIT);
    raw.wait_closed();

    // The same libzmq settings against ferromq: no disconnect across idle
    // windows of ten intervals, and messages keep flowing.
    let ctx = Context::new().unwrap();
    let router = ctx.socket(SocketType::Router).unwrap();
    let mon = router.monitor();
    let ep = router.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let dealer = zsocket(&z, zmq::DEALER);
    dealer.set_heartbeat_ivl(ivl_ms).unwrap();
    dealer.set_heartbeat_timeout(timeout_ms).unwrap();
    dealer.set_identity(b"z").unwrap();
    let zmon = ZMonitor::new(&z, &dealer, "dealer");
    dealer.connect(&ep).unwrap();
    zmon.wait_for(zmq::SocketEvent::HANDSHAKE_SUCCEEDED, WAIT);
    for i in 0..3 {
        let body = format!("trip {i}");
        dealer.send(body.as_bytes(), 0).unwrap();
        let m = router.recv_timeout(WAIT).unwrap();
        assert_eq!(m.frames()[1], body.as_bytes());
        router.send(m).unwrap();
        assert_eq!(dealer.recv_bytes(0).unwrap(), body.as_bytes());
        let events = zmon.collect(IDLE);
        assert!(
            !events.contains(&(zmq::SocketEvent::DISCONNECTED as u16)),
            "libzmq disconnected while idle: {events:x?}"
        );
    }
    while let Ok(ev) = mon.try_recv() {
        assert!(
            !matches!(
                ev,
                MonitorEvent::Disconnected { .. } | MonitorEvent::HandshakeFailed { .. }
            ),
            "{ev:?}"
        );
    }
}

#[test]
fn ferromq_heartbeats_are_answered_by_libzmq() {
    let z = zmq::Context::new();
    let router = zsocket(&z, zmq::ROUTER);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let ep = router.get_last_endpoint().unwrap().unwrap();
    let ctx = Context::new().unwrap();
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default()
                .with_heartbeat(IVL, TIMEOUT)
                .with_routing_id("f"),
        )
        .unwrap();
    let mon = dealer.monitor();
    dealer.connect(&ep).unwrap();
    handshake_succeeded(&mon);
    for i in 0..3 {
        let body = format!("trip {i}");
        dealer.send(body.clone()).unwrap();
        let m = router.recv_multipart(0).unwrap();
        assert_eq!(m, [b"f".to_vec(), body.clone().into_bytes()]);
        router.send_multipart(m, 0).unwrap();
        assert_eq!(
            dealer.recv_timeout(WAIT).unwrap().frames(),
            [body.as_bytes()]
        );
        // Idle: only heartbeats cross the connection. A missing PONG would
        // close it within interval + timeout (300 ms) of the first PING.
        match mon.recv_timeout(IDLE) {
            Err(_) => {}
            Ok(ev) => panic!("while idle: {ev:?}"),
        }
    }
}
