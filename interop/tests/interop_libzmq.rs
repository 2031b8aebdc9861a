//! Interoperability with real libzmq (4.3.4, through the `zmq` crate).
//!
//! Every test puts a ferromq socket on one end of a loopback TCP connection
//! and a libzmq socket on the other, and checks what actually arrives:
//!
//! * PUSH/PULL in both directions and with either side binding, with
//!   multipart messages mixing empty, short (≤255 bytes) and LONG frames;
//! * DEALER/ROUTER in both directions, with announced and generated routing
//!   ids, replies routed by those ids, and `router_mandatory`;
//! * a libzmq (or ferromq) peer that goes away and comes back on the same
//!   port: messages sent while it is down, and messages still queued when it
//!   died, wait in the pipe and arrive, in order, once it is back;
//! * the end-of-stream pill (`send_eof`), which libzmq must ignore without
//!   dropping the connection.
//!
//! Nothing here sleeps to synchronise: every wait is for an observable
//! condition (a message, a monitor event, an accepted TCP connection) and is
//! bounded by a deadline, so a broken behaviour fails the test instead of
//! hanging it.

// A test fails by panicking; `expect` carries the reason into the failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/libzmq.rs"]
mod libzmq;

use ferromq::{Context, Error, Message, Options, SocketType};
use libzmq::*;
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Bind a libzmq socket to a given loopback port, retrying (within the
/// deadline) while the port is still held by a closing socket.
fn zbind_port(s: &zmq::Socket, port: u16) {
    let ep = format!("tcp://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    loop {
        match s.bind(&ep) {
            Ok(()) => return,
            Err(zmq::Error::EADDRINUSE) if Instant::now() < deadline => thread::yield_now(),
            Err(e) => panic!("zmq bind {ep}: {e}"),
        }
    }
}

/// Bind a ferromq socket to a given loopback port, retrying like [`zbind_port`].
fn fbind_port(s: &ferromq::Socket, port: u16) {
    let ep = format!("tcp://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    loop {
        match s.bind(&ep) {
            Ok(bound) => {
                assert_eq!(bound.to_string(), ep);
                return;
            }
            Err(Error::AddressInUse(_)) if Instant::now() < deadline => thread::yield_now(),
            Err(e) => panic!("ferromq bind {ep}: {e}"),
        }
    }
}

/// A frame of `len` bytes whose content depends on `seed`, so that a frame
/// from the wrong message, or a shifted or truncated one, does not compare
/// equal.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| (k.wrapping_mul(31).wrapping_add(seed.wrapping_mul(7)) % 251) as u8)
        .collect()
}

/// Message number `i` of a test stream. Shapes cycle through: one frame;
/// three frames with an empty one in the middle; frames of 255 and 256 bytes
/// (the last SHORT and the first LONG size); a 300-byte frame; a 70 KiB frame.
fn numbered(i: usize) -> Vec<Vec<u8>> {
    let head = format!("m{i}").into_bytes();
    match i % 5 {
        0 => vec![head],
        1 => vec![head, Vec::new(), b"tail".to_vec()],
        2 => vec![head, pattern(i, 255), pattern(i + 1, 256)],
        3 => vec![head, pattern(i, 300)],
        _ => vec![head, pattern(i, 70 * 1024)],
    }
}

/// [`numbered`] as a ferromq message.
fn numbered_msg(i: usize) -> Message {
    Message::multipart(numbered(i))
}

/// Decode one libzmq monitor event (two frames: 6-byte header, endpoint).
fn monitor_event(frames: &[Vec<u8>]) -> zmq::SocketEvent {
    assert_eq!(frames.len(), 2, "monitor events have two frames");
    assert!(frames[0].len() >= 2, "monitor event header too short");
    zmq::SocketEvent::from_raw(u16::from_le_bytes([frames[0][0], frames[0][1]]))
}

/// Start monitoring `s`: returns the PAIR socket that receives its events.
/// Call before the monitored socket binds or connects.
fn zmonitor(ctx: &zmq::Context, s: &zmq::Socket, name: &str) -> zmq::Socket {
    let ep = format!("inproc://monitor-{name}");
    s.monitor(&ep, zmq::SocketEvent::ALL as i32)
        .expect("zmq_socket_monitor");
    let mon = zsocket(ctx, zmq::PAIR);
    mon.connect(&ep).expect("connect monitor");
    mon
}

/// Wait (bounded) for a given monitor event; returns the events seen before it.
fn await_event(mon: &zmq::Socket, want: zmq::SocketEvent) -> Vec<zmq::SocketEvent> {
    let mut before = Vec::new();
    loop {
        let ev = monitor_event(&zrecv(mon, &format!("monitor event {want:?}")));
        if ev == want {
            return before;
        }
        before.push(ev);
    }
}

/// Every monitor event that arrives until the monitor has been quiet for
/// [`QUIET_MS`].
fn drain_events(mon: &zmq::Socket) -> Vec<zmq::SocketEvent> {
    mon.set_rcvtimeo(QUIET_MS).expect("RCVTIMEO");
    let mut seen = Vec::new();
    loop {
        match mon.recv_multipart(0) {
            Ok(f) => seen.push(monitor_event(&f)),
            Err(zmq::Error::EAGAIN) => return seen,
            Err(e) => panic!("monitor recv: {e}"),
        }
    }
}

/// Assert that nothing more arrives on a libzmq socket within [`QUIET_MS`].
fn assert_quiet(s: &zmq::Socket, what: &str) {
    s.set_rcvtimeo(QUIET_MS).expect("RCVTIMEO");
    match s.recv_multipart(0) {
        Err(zmq::Error::EAGAIN) => {}
        Ok(extra) => panic!("{what}: unexpected extra message {extra:?}"),
        Err(e) => panic!("{what}: recv failed: {e}"),
    }
}

/// Wait until a ferromq socket that lost its connection to `port` tries to
/// connect to it again — the observable sign that it has noticed the loss.
///
/// A plain TCP listener takes the port and accepts the first attempt, then
/// closes both. The listener never sends a ZMTP greeting, so the handshake
/// cannot complete and no message can be written to it: everything sent
/// from now on waits in ferromq's pipe until a real peer is back. (A ferromq
/// connecter makes a new attempt only once its previous connection is
/// closed, so an attempt proves the old connection is gone.)
fn await_reconnect_attempt(port: u16) {
    let deadline = Instant::now() + WAIT;
    let listener = loop {
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => break l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                thread::yield_now();
            }
            Err(e) => panic!("sentinel bind on port {port}: {e}"),
        }
    };
    let (tx, rx) = mpsc::channel();
    // A blocking accept on a helper thread; we wait for it with a deadline.
    thread::spawn(move || {
        let accepted = listener.accept().map(|(stream, _)| stream);
        // The stream (if any) and the listener are closed when this thread ends.
        let _ = tx.send(accepted.map(drop).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(WAIT) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("sentinel accept on port {port}: {e}"),
        Err(_) => panic!("ferromq did not try to reconnect to port {port} within {WAIT:?}"),
    }
}

// ---------------------------------------------------------------------------
// 1. ferromq PUSH -> libzmq PULL
// ---------------------------------------------------------------------------

const STREAM_LEN: usize = 1000;

/// Receive `STREAM_LEN` numbered messages on a libzmq PULL and check each.
fn zrecv_stream(zpull: &zmq::Socket) {
    for i in 0..STREAM_LEN {
        let got = zrecv(zpull, &format!("message {i}"));
        assert_eq!(got, numbered(i), "message {i} differs");
    }
}

/// Send `STREAM_LEN` numbered messages from a ferromq socket.
fn fsend_stream(s: &ferromq::Socket) {
    for i in 0..STREAM_LEN {
        s.send_timeout(numbered_msg(i), WAIT)
            .unwrap_or_else(|e| panic!("ferromq send {i}: {}", e.error));
    }
}

#[test]
fn ferromq_push_connects_to_libzmq_pull() {
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    let (ep, _) = zbind(&zpull);

    let ctx = Context::new().expect("ferromq context");
    let push = ctx.socket(SocketType::Push).expect("push");
    push.connect(&ep).expect("connect");

    thread::scope(|s| {
        s.spawn(|| fsend_stream(&push));
        zrecv_stream(&zpull);
    });
    assert_eq!(push.stats().messages_sent, STREAM_LEN as u64);
    assert_eq!(push.close().unsent, 0);
}

#[test]
fn libzmq_pull_connects_to_ferromq_push() {
    let ctx = Context::new().expect("ferromq context");
    let push = ctx.socket(SocketType::Push).expect("push");
    let ep = push.bind("tcp://127.0.0.1:0").expect("bind");
    assert_ne!(
        ep.to_string(),
        "tcp://127.0.0.1:0",
        "bind reports the real port"
    );

    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zpull.connect(&ep.to_string()).expect("zmq connect");

    // The PUSH has no peer until libzmq's connection is handshaken; the
    // first sends wait for it (bounded by send_timeout).
    thread::scope(|s| {
        s.spawn(|| fsend_stream(&push));
        zrecv_stream(&zpull);
    });
    assert_eq!(push.close().unsent, 0);
}

// ---------------------------------------------------------------------------
// 2. libzmq PUSH -> ferromq PULL
// ---------------------------------------------------------------------------

/// Send `STREAM_LEN` numbered messages from a libzmq socket.
fn zsend_stream(zpush: &zmq::Socket) {
    for i in 0..STREAM_LEN {
        zpush
            .send_multipart(numbered(i), 0)
            .unwrap_or_else(|e| panic!("libzmq send {i}: {e}"));
    }
}

/// Receive `STREAM_LEN` numbered messages on a ferromq PULL and check each.
fn frecv_stream(pull: &ferromq::Socket) {
    for i in 0..STREAM_LEN {
        let got = frecv(pull, &format!("message {i}"));
        assert_eq!(frames(&got), numbered(i), "message {i} differs");
    }
    assert_eq!(pull.stats().messages_received, STREAM_LEN as u64);
    assert_eq!(pull.stats().protocol_errors, 0);
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn libzmq_push_connects_to_ferromq_pull() {
    let ctx = Context::new().expect("ferromq context");
    let pull = ctx.socket(SocketType::Pull).expect("pull");
    let ep = pull.bind("tcp://127.0.0.1:0").expect("bind");

    let z = zmq::Context::new();
    let zpush = zsocket(&z, zmq::PUSH);
    zpush.connect(&ep.to_string()).expect("zmq connect");

    // zmq sockets are not Sync: libzmq sends here, ferromq receives there.
    thread::scope(|s| {
        let receiver = s.spawn(|| frecv_stream(&pull));
        zsend_stream(&zpush);
        receiver.join().expect("receiver thread");
    });
}

#[test]
fn ferromq_pull_connects_to_libzmq_push() {
    let z = zmq::Context::new();
    let zpush = zsocket(&z, zmq::PUSH);
    let (ep, _) = zbind(&zpush);

    let ctx = Context::new().expect("ferromq context");
    let pull = ctx.socket(SocketType::Pull).expect("pull");
    pull.connect(&ep).expect("connect");

    // zmq sockets are not Sync: libzmq sends here, ferromq receives there.
    thread::scope(|s| {
        let receiver = s.spawn(|| frecv_stream(&pull));
        zsend_stream(&zpush);
        receiver.join().expect("receiver thread");
    });
}

// ---------------------------------------------------------------------------
// 3. ferromq DEALER <-> libzmq ROUTER
// ---------------------------------------------------------------------------

/// A libzmq ROUTER bound to an ephemeral port, with ROUTER_MANDATORY so that
/// a reply to an unknown routing id fails loudly instead of vanishing.
fn zrouter(z: &zmq::Context) -> (zmq::Socket, String) {
    let router = zsocket(z, zmq::ROUTER);
    router.set_router_mandatory(true).expect("ROUTER_MANDATORY");
    let (ep, _) = zbind(&router);
    (router, ep)
}

#[test]
fn ferromq_dealer_with_routing_id_to_libzmq_router() {
    let z = zmq::Context::new();
    let (router, ep) = zrouter(&z);

    let ctx = Context::new().expect("ferromq context");
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default().with_routing_id("fdealer"),
        )
        .expect("dealer");
    dealer.connect(&ep).expect("connect");

    for round in 0..20 {
        let mut request = numbered(round);
        dealer
            .send_timeout(Message::multipart(request.clone()), WAIT)
            .expect("dealer send");
        let got = zrecv(&router, "request");
        request.insert(0, b"fdealer".to_vec());
        assert_eq!(
            got, request,
            "ROUTER sees [routing id, frames...] (round {round})"
        );

        // Reply by that id: ROUTER_MANDATORY makes an unknown id an error.
        let reply = vec![
            b"fdealer".to_vec(),
            format!("reply{round}").into_bytes(),
            pattern(round, 70 * 1024),
        ];
        router.send_multipart(&reply, 0).expect("router reply");
        let back = frecv(&dealer, "reply");
        assert_eq!(
            frames(&back),
            reply[1..].to_vec(),
            "DEALER gets the reply without the id"
        );
    }
}

#[test]
fn ferromq_dealers_without_routing_id_get_generated_ids_from_libzmq() {
    let z = zmq::Context::new();
    let (router, ep) = zrouter(&z);

    let ctx = Context::new().expect("ferromq context");
    let a = ctx.socket(SocketType::Dealer).expect("dealer a");
    let b = ctx.socket(SocketType::Dealer).expect("dealer b");
    a.connect(&ep).expect("connect a");
    b.connect(&ep).expect("connect b");

    a.send_timeout(Message::multipart(["from", "a"]), WAIT)
        .expect("send a");
    let ma = zrecv(&router, "from a");
    b.send_timeout(Message::multipart(["from", "b"]), WAIT)
        .expect("send b");
    let mb = zrecv(&router, "from b");

    for (m, who) in [(&ma, "a"), (&mb, "b")] {
        assert_eq!(m.len(), 3, "[id, from, {who}]");
        assert_eq!(m[0].len(), 5, "generated id is 5 bytes: {:?}", m[0]);
        assert_eq!(m[0][0], 0, "generated id starts with 0x00: {:?}", m[0]);
        assert_eq!(m[1..], [b"from".to_vec(), who.as_bytes().to_vec()]);
    }
    assert_ne!(ma[0], mb[0], "two peers get two ids");

    // Replies by generated id reach the right DEALER, crossing on purpose.
    router
        .send_multipart([mb[0].clone(), b"to b".to_vec()], 0)
        .expect("reply to b");
    router
        .send_multipart([ma[0].clone(), b"to a".to_vec()], 0)
        .expect("reply to a");
    assert_eq!(frames(&frecv(&a, "reply a")), [b"to a".to_vec()]);
    assert_eq!(frames(&frecv(&b, "reply b")), [b"to b".to_vec()]);
    assert!(matches!(a.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(b.try_recv(), Err(Error::WouldBlock)));
}

// ---------------------------------------------------------------------------
// 4. libzmq DEALER <-> ferromq ROUTER
// ---------------------------------------------------------------------------

/// A ferromq ROUTER with `router_mandatory`, bound to an ephemeral port.
fn frouter(ctx: &Context) -> (ferromq::Socket, String) {
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_router_mandatory(true),
        )
        .expect("router");
    let ep = router.bind("tcp://127.0.0.1:0").expect("bind");
    (router, ep.to_string())
}

#[test]
fn libzmq_dealer_with_identity_to_ferromq_router() {
    let ctx = Context::new().expect("ferromq context");
    let (router, ep) = frouter(&ctx);

    let z = zmq::Context::new();
    let zdealer = zsocket(&z, zmq::DEALER);
    zdealer.set_identity(b"zdealer").expect("identity");
    zdealer.connect(&ep).expect("zmq connect");

    for round in 0..20 {
        let request = numbered(round);
        zdealer.send_multipart(&request, 0).expect("zmq send");
        let got = frecv(&router, "request");
        let mut want = request.clone();
        want.insert(0, b"zdealer".to_vec());
        assert_eq!(
            frames(&got),
            want,
            "ROUTER recv gives [\"zdealer\", ...] (round {round})"
        );

        let mut reply =
            Message::multipart([format!("reply{round}").into_bytes(), pattern(round, 300)]);
        let expected = frames(&reply);
        reply.push_front("zdealer");
        router
            .send(reply)
            .expect("router reply (mandatory: id is known)");
        assert_eq!(zrecv(&zdealer, "reply"), expected);
    }
    assert_eq!(router.stats().dropped_unroutable, 0);
}

#[test]
fn libzmq_dealer_without_identity_gets_generated_id_from_ferromq() {
    let ctx = Context::new().expect("ferromq context");
    let (router, ep) = frouter(&ctx);

    let z = zmq::Context::new();
    let za = zsocket(&z, zmq::DEALER);
    let zb = zsocket(&z, zmq::DEALER);
    za.connect(&ep).expect("zmq connect a");
    zb.connect(&ep).expect("zmq connect b");

    za.send_multipart(["hi", "a"], 0).expect("send a");
    let ma = frecv(&router, "from a");
    zb.send_multipart(["hi", "b"], 0).expect("send b");
    let mb = frecv(&router, "from b");

    for (m, who) in [(&ma, "a"), (&mb, "b")] {
        let id = &m.frames()[0];
        assert_eq!(id.len(), 5, "generated id is 5 bytes: {id:?}");
        assert_eq!(id[0], 0, "generated id starts with 0x00: {id:?}");
        assert_eq!(frames(m)[1..], [b"hi".to_vec(), who.as_bytes().to_vec()]);
    }
    assert_ne!(ma.frames()[0], mb.frames()[0], "two peers get two ids");

    let mut to_b = Message::multipart(["to b"]);
    to_b.push_front(mb.frames()[0].clone());
    let mut to_a = Message::multipart(["to a"]);
    to_a.push_front(ma.frames()[0].clone());
    router.send(to_b).expect("reply to b");
    router.send(to_a).expect("reply to a");
    assert_eq!(zrecv(&za, "reply a"), [b"to a".to_vec()]);
    assert_eq!(zrecv(&zb, "reply b"), [b"to b".to_vec()]);
}

#[test]
fn ferromq_router_mandatory_refuses_unknown_and_departed_ids() {
    let ctx = Context::new().expect("ferromq context");
    let (router, ep) = frouter(&ctx);

    // Never-seen id: refused, message handed back intact, nothing counted.
    let err = router
        .send(Message::multipart(["nobody", "x", "y"]))
        .expect_err("unknown id must be refused");
    assert!(
        matches!(err.error, Error::HostUnreachable),
        "got {:?}",
        err.error
    );
    assert_eq!(err.message, Message::multipart(["nobody", "x", "y"]));
    assert_eq!(router.stats().messages_sent, 0);

    // A libzmq peer that was known and then left becomes unreachable too.
    let z = zmq::Context::new();
    let zdealer = zsocket(&z, zmq::DEALER);
    zdealer.set_identity(b"leaver").expect("identity");
    zdealer.connect(&ep).expect("zmq connect");
    zdealer.send("hello", 0).expect("zmq send");
    assert_eq!(
        frames(&frecv(&router, "hello")),
        [b"leaver".to_vec(), b"hello".to_vec()]
    );
    router
        .send(Message::multipart(["leaver", "while connected"]))
        .expect("known id is routable");
    assert_eq!(zrecv(&zdealer, "reply"), [b"while connected".to_vec()]);
    drop(zdealer);
    drop(z); // linger 0: the connection is closed when this returns

    let deadline = Instant::now() + WAIT;
    loop {
        match router.send(Message::multipart(["leaver", "probe"])) {
            Err(e) => {
                assert!(
                    matches!(e.error, Error::HostUnreachable),
                    "got {:?}",
                    e.error
                );
                assert_eq!(e.message, Message::multipart(["leaver", "probe"]));
                break;
            }
            // Not noticed yet; the probe goes into the dying connection.
            Ok(()) => {
                assert!(
                    Instant::now() < deadline,
                    "departed peer still routable after {WAIT:?}"
                );
                thread::yield_now();
            }
        }
    }

    // Without router_mandatory the same sends are silently dropped and counted.
    let lax = ctx.socket(SocketType::Router).expect("router");
    lax.send(Message::multipart(["nobody", "x"]))
        .expect("non-mandatory ROUTER drops silently");
    assert_eq!(lax.stats().dropped_unroutable, 1);
}

// ---------------------------------------------------------------------------
// 5. A peer that stops and restarts on the same port
// ---------------------------------------------------------------------------

/// Messages sent while the peer is down.
const QUEUED: usize = 100;

/// Options for a ferromq connecter that reconnects quickly.
fn quick_reconnect() -> Options {
    Options::default().with_reconnect(Duration::from_millis(10), Duration::from_millis(100))
}

#[test]
fn ferromq_push_queues_while_libzmq_pull_restarts() {
    let ctx = Context::new().expect("ferromq context");
    let push = ctx
        .socket_with(SocketType::Push, quick_reconnect().with_send_hwm(QUEUED))
        .expect("push");

    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    let (ep, port) = zbind(&zpull);
    push.connect(&ep).expect("connect");
    push.send_timeout("before", WAIT).expect("send before");
    assert_eq!(zrecv(&zpull, "before"), [b"before".to_vec()]);

    // Stop libzmq: with linger 0, terminating the context closes the
    // connection and the listening socket before it returns.
    drop(zpull);
    drop(z);
    await_reconnect_attempt(port);

    // The peer is down: sends fill the pipe, up to the HWM, without blocking.
    for i in 0..QUEUED {
        push.try_send(numbered_msg(i))
            .unwrap_or_else(|e| panic!("queue message {i} while down: {}", e.error));
    }
    let full = push
        .try_send("one too many")
        .expect_err("pipe is at its HWM");
    assert!(
        matches!(full.error, Error::WouldBlock),
        "got {:?}",
        full.error
    );
    assert!(!push.readiness().writable);

    // Restart libzmq on the same port: everything queued arrives, in order.
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zbind_port(&zpull, port);
    for i in 0..QUEUED {
        assert_eq!(
            zrecv(&zpull, &format!("queued {i}")),
            numbered(i),
            "queued message {i}"
        );
    }
    // And the connection keeps working afterwards.
    push.send_timeout("after", WAIT).expect("send after");
    assert_eq!(zrecv(&zpull, "after"), [b"after".to_vec()]);
    assert_eq!(push.stats().dropped_on_disconnect, 0);
    assert_eq!(push.close().unsent, 0);
}

#[test]
fn ferromq_push_keeps_its_backlog_when_libzmq_pull_dies() {
    // Messages still in ferromq's pipe when the connection is lost must wait
    // there for the next connection (libzmq does the same); only what was
    // already handed to the connection (its write buffer, the kernel, the
    // dead peer) is lost.
    const HWM: usize = 32;
    const BODY: usize = 1 << 20;
    let ctx = Context::new().expect("ferromq context");
    let push = ctx
        .socket_with(SocketType::Push, quick_reconnect().with_send_hwm(HWM))
        .expect("push");

    // A PULL that absorbs little: a one-message queue, a tiny kernel buffer,
    // and an application that does not read.
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zpull.set_rcvhwm(1).expect("RCVHWM");
    zpull.set_rcvbuf(4096).expect("RCVBUF");
    let (ep, port) = zbind(&zpull);
    push.connect(&ep).expect("connect");
    push.send_timeout("hello", WAIT).expect("send hello");
    assert_eq!(zrecv(&zpull, "hello"), [b"hello".to_vec()]);

    // Fill everything until the pipe itself is at its HWM. The write buffer,
    // both kernel buffers and libzmq hold a few 1 MiB messages at most, far
    // fewer than HWM, and nothing downstream reads: the newest messages stay
    // in the pipe.
    let body = bytes::Bytes::from(pattern(0, BODY));
    let msg = |i: usize| Message::multipart([bytes::Bytes::from(i.to_string()), body.clone()]);
    let deadline = Instant::now() + WAIT;
    let mut sent = 0;
    loop {
        match push.try_send(msg(sent)) {
            Ok(()) => sent += 1,
            Err(e) if matches!(e.error, Error::WouldBlock) => break,
            Err(e) => panic!("try_send {sent}: {}", e.error),
        }
        assert!(
            sent <= 4 * HWM,
            "{sent} MiB accepted: the pipe never filled"
        );
        assert!(
            Instant::now() < deadline,
            "pipe did not fill within {WAIT:?}"
        );
    }
    assert!(sent >= HWM);

    // Kill libzmq (unread data: the kernel resets the connection), restart
    // it on the same port, and read what comes.
    drop(zpull);
    drop(z);
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    zbind_port(&zpull, port);
    let head = zrecv(&zpull, "first surviving message");
    let first: usize = std::str::from_utf8(&head[0])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("index frame");
    // What had left the pipe when libzmq died is lost; the rest — a
    // contiguous tail ending with the newest message — arrives.
    assert!(first < sent, "message {first} was never sent ({sent} were)");
    let mut got = head;
    for i in first..sent {
        if i > first {
            got = zrecv(&zpull, &format!("backlog message {i}"));
        }
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            i.to_string().into_bytes(),
            "backlog in order, without gaps"
        );
        assert!(got[1] == body.as_ref(), "message {i}: body intact");
    }
    push.send_timeout("after", WAIT).expect("send after");
    assert_eq!(zrecv(&zpull, "after"), [b"after".to_vec()]);
}

#[test]
fn ferromq_dealer_queues_while_libzmq_router_restarts() {
    let ctx = Context::new().expect("ferromq context");
    let dealer = ctx
        .socket_with(SocketType::Dealer, quick_reconnect().with_routing_id("fd"))
        .expect("dealer");

    let z = zmq::Context::new();
    let (router, ep) = zrouter(&z);
    let port: u16 = ep
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    dealer.connect(&ep).expect("connect");
    dealer.send_timeout("ping", WAIT).expect("send ping");
    assert_eq!(zrecv(&router, "ping"), [b"fd".to_vec(), b"ping".to_vec()]);
    router.send_multipart(["fd", "pong"], 0).expect("pong");
    assert_eq!(frames(&frecv(&dealer, "pong")), [b"pong".to_vec()]);

    drop(router);
    drop(z);
    await_reconnect_attempt(port);

    for i in 0..QUEUED {
        dealer
            .send_timeout(numbered_msg(i), WAIT)
            .unwrap_or_else(|e| panic!("queue message {i} while down: {}", e.error));
    }

    let z = zmq::Context::new();
    let router = zsocket(&z, zmq::ROUTER);
    router.set_router_mandatory(true).expect("ROUTER_MANDATORY");
    zbind_port(&router, port);
    for i in 0..QUEUED {
        let mut want = numbered(i);
        want.insert(0, b"fd".to_vec());
        assert_eq!(
            zrecv(&router, &format!("queued {i}")),
            want,
            "queued message {i}"
        );
    }
    // The new ROUTER knows the DEALER by the same id and can reply.
    router
        .send_multipart(["fd", "welcome back"], 0)
        .expect("reply after restart");
    assert_eq!(
        frames(&frecv(&dealer, "welcome back")),
        [b"welcome back".to_vec()]
    );
}

#[test]
fn libzmq_dealer_queues_while_ferromq_router_restarts() {
    let ctx = Context::new().expect("ferromq context");
    let (router, ep) = frouter(&ctx);
    let port: u16 = ep
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");

    let z = zmq::Context::new();
    let zdealer = zsocket(&z, zmq::DEALER);
    zdealer.set_identity(b"zd").expect("identity");
    let mon = zmonitor(&z, &zdealer, "dealer");
    zdealer.connect(&ep).expect("zmq connect");
    zdealer.send("ping", 0).expect("ping");
    assert_eq!(
        frames(&frecv(&router, "ping")),
        [b"zd".to_vec(), b"ping".to_vec()]
    );
    router
        .send(Message::multipart(["zd", "pong"]))
        .expect("pong");
    assert_eq!(zrecv(&zdealer, "pong"), [b"pong".to_vec()]);

    // Stop ferromq's ROUTER: close() returns after the engine has closed its
    // listener and connections. libzmq reports the disconnect.
    assert_eq!(router.close().unsent, 0);
    let before = await_event(&mon, zmq::SocketEvent::DISCONNECTED);
    assert!(
        before.contains(&zmq::SocketEvent::HANDSHAKE_SUCCEEDED),
        "first connection was handshaken: {before:?}"
    );

    for i in 0..QUEUED {
        zdealer
            .send_multipart(numbered(i), 0)
            .unwrap_or_else(|e| panic!("queue message {i} while down: {e}"));
    }

    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_router_mandatory(true),
        )
        .expect("router");
    fbind_port(&router, port);
    for i in 0..QUEUED {
        let mut want = numbered(i);
        want.insert(0, b"zd".to_vec());
        assert_eq!(
            frames(&frecv(&router, &format!("queued {i}"))),
            want,
            "queued message {i}"
        );
    }
    router
        .send(Message::multipart(["zd", "welcome back"]))
        .expect("reply after restart");
    assert_eq!(zrecv(&zdealer, "welcome back"), [b"welcome back".to_vec()]);
    assert_eq!(router.stats().protocol_errors, 0);
}

// ---------------------------------------------------------------------------
// 6. The end-of-stream pill is invisible to libzmq
// ---------------------------------------------------------------------------

#[test]
fn pill_to_libzmq_pull_is_ignored() {
    let z = zmq::Context::new();
    let zpull = zsocket(&z, zmq::PULL);
    let mon = zmonitor(&z, &zpull, "pull");
    let (ep, _) = zbind(&zpull);

    let ctx = Context::new().expect("ferromq context");
    let push = ctx.socket(SocketType::Push).expect("push");
    push.connect(&ep).expect("connect");
    for i in 0..10 {
        push.send_timeout(numbered_msg(i), WAIT).expect("send");
    }
    push.send_eof().expect("send_eof");

    // After the pill, sends are refused and the message is handed back.
    let refused = push.send("after").expect_err("send after send_eof");
    assert!(
        matches!(refused.error, Error::Closed),
        "got {:?}",
        refused.error
    );
    assert_eq!(refused.message, Message::from("after"));
    let refused = push
        .try_send("after too")
        .expect_err("try_send after send_eof");
    assert!(
        matches!(refused.error, Error::Closed),
        "got {:?}",
        refused.error
    );

    for i in 0..10 {
        assert_eq!(zrecv(&zpull, &format!("message {i}")), numbered(i));
    }
    // The pill did not make libzmq drop the connection: exactly one
    // connection, never disconnected (ferromq would have reconnected).
    let events = drain_events(&mon);
    let count = |e: zmq::SocketEvent| events.iter().filter(|&&x| x == e).count();
    assert_eq!(count(zmq::SocketEvent::ACCEPTED), 1, "events: {events:?}");
    assert_eq!(
        count(zmq::SocketEvent::HANDSHAKE_SUCCEEDED),
        1,
        "events: {events:?}"
    );
    assert_eq!(
        count(zmq::SocketEvent::DISCONNECTED),
        0,
        "events: {events:?}"
    );
    // Everything, pill included, was written out.
    assert_eq!(push.close().unsent, 0);
    // And libzmq delivered nothing beyond the messages.
    assert_quiet(&zpull, "PULL after the pill");
}

#[test]
fn pill_from_dealer_leaves_libzmq_router_connection_up() {
    let z = zmq::Context::new();
    let router = zsocket(&z, zmq::ROUTER);
    router.set_router_mandatory(true).expect("ROUTER_MANDATORY");
    let mon = zmonitor(&z, &router, "router");
    let (ep, _) = zbind(&router);

    let ctx = Context::new().expect("ferromq context");
    let dealer = ctx
        .socket_with(SocketType::Dealer, Options::default().with_routing_id("fd"))
        .expect("dealer");
    dealer.connect(&ep).expect("connect");
    dealer.send_timeout("one", WAIT).expect("send one");
    dealer.send_timeout("two", WAIT).expect("send two");
    dealer.send_eof().expect("send_eof");
    let refused = dealer.send("three").expect_err("send after send_eof");
    assert!(
        matches!(refused.error, Error::Closed),
        "got {:?}",
        refused.error
    );

    assert_eq!(zrecv(&router, "one"), [b"fd".to_vec(), b"one".to_vec()]);
    assert_eq!(zrecv(&router, "two"), [b"fd".to_vec(), b"two".to_vec()]);

    // The connection survives the pill: the ROUTER can still reach the DEALER,
    // which can still receive (send_eof closes only the sending direction).
    for i in 0..5 {
        let body = format!("still here {i}");
        router
            .send_multipart([b"fd".to_vec(), body.clone().into_bytes()], 0)
            .expect("ROUTER still reaches the DEALER");
        assert_eq!(frames(&frecv(&dealer, "reply")), [body.into_bytes()]);
    }

    // Exactly one connection, never dropped and never re-made.
    let events = drain_events(&mon);
    let count = |e: zmq::SocketEvent| events.iter().filter(|&&x| x == e).count();
    assert_eq!(count(zmq::SocketEvent::ACCEPTED), 1, "events: {events:?}");
    assert_eq!(
        count(zmq::SocketEvent::HANDSHAKE_SUCCEEDED),
        1,
        "events: {events:?}"
    );
    assert_eq!(
        count(zmq::SocketEvent::DISCONNECTED),
        0,
        "events: {events:?}"
    );
    assert_quiet(&router, "ROUTER after the pill");
}
