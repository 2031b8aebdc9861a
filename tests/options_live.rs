//! Options on a live socket (libzmq's setsockopt), and misuse: every value
//! at the edge (zero, `Duration::MAX`, huge sizes), every option on a type
//! it does not apply to, and every endpoint mistake gets a typed error —
//! never a panic, never a spin — and host names resolve in the background.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{Bytes, Error, Interest, MonitorEvent, Options, Poller, SocketType, TcpKeepalive};
use sockets::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn invalid_option(r: ferromq::Result<()>, name: &str) {
    match r {
        Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
        other => panic!("{name}: expected InvalidOption, got {other:?}"),
    }
}

/// Raising the send HWM on a live PUSH lets a blocked producer go on at
/// once; lowering it makes the next send block.
#[test]
fn send_hwm_applies_to_existing_pipes() {
    let ctx = ctx();
    let push = Arc::new(
        ctx.socket_with(
            SocketType::Push,
            Options::default()
                .with_send_hwm(2)
                .with_linger(Duration::ZERO),
        )
        .unwrap(),
    );
    push.connect(&unused_endpoint()).unwrap();
    push.try_send("1").unwrap();
    push.try_send("2").unwrap();
    assert!(matches!(
        push.try_send("3").map_err(|e| e.error),
        Err(Error::WouldBlock)
    ));
    let p = push.clone();
    let waiter = std::thread::spawn(move || p.send_timeout("3", ARRIVE));
    push.set_send_hwm(5).unwrap();
    waiter
        .join()
        .unwrap()
        .expect("the blocked send went through");
    push.try_send("4").unwrap();
    push.try_send("5").unwrap();
    assert!(push.try_send("6").is_err());
    assert_eq!(push.options().send_hwm, 5);
    push.set_send_hwm(1).unwrap();
    assert!(!push.readiness().writable);
    invalid_option(push.set_send_hwm(0), "send_hwm");
    assert_eq!(
        push.options().send_hwm,
        1,
        "a refused value changes nothing"
    );
}

/// router_mandatory switched on and off on a live ROUTER.
#[test]
fn router_mandatory_toggles_live() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    router.send(msg(&["nobody", "x"])).unwrap();
    assert_eq!(router.stats().dropped_unroutable, 1);
    router.set_router_mandatory(true).unwrap();
    let e = router.send(msg(&["nobody", "x"])).unwrap_err();
    assert!(matches!(e.error, Error::HostUnreachable));
    router.set_router_mandatory(false).unwrap();
    router.send(msg(&["nobody", "x"])).unwrap();
    assert_eq!(router.stats().dropped_unroutable, 2);
}

/// A routing id set on a live DEALER is announced by its next connection.
#[test]
fn routing_id_applies_to_the_next_connection() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let dealer = ctx.socket(SocketType::Dealer).unwrap();
    dealer
        .set_routing_id(Some(Bytes::from("late-name")))
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("hi").unwrap();
    assert_eq!(texts(&recv(&router, "hi")), ["late-name", "hi"]);
}

/// Type-specific options are refused on other types, at creation and on a
/// live socket; the same options are accepted where they apply.
#[test]
fn options_that_do_not_apply_are_refused() {
    let ctx = ctx();
    let push = ctx.socket(SocketType::Push).unwrap();
    invalid_option(push.set_router_mandatory(true), "router_mandatory");
    invalid_option(push.set_router_handover(true), "router_handover");
    invalid_option(push.set_req_relaxed(true), "req_relaxed");
    invalid_option(push.set_xpub_verbose(true), "xpub_verbose");
    invalid_option(push.set_probe_router(true), "probe_router");
    invalid_option(push.subscribe("x"), "subscribe");
    let router = ctx.socket(SocketType::Router).unwrap();
    invalid_option(router.set_conflate(true), "conflate");
    router.set_router_handover(true).unwrap();
    router.set_probe_router(true).unwrap();
    match ctx.socket_with(
        SocketType::Push,
        Options::default().with_router_mandatory(true),
    ) {
        Err(Error::InvalidOption { option, .. }) => assert_eq!(option, "router_mandatory"),
        other => panic!("router_mandatory on a PUSH: {other:?}"),
    }
    ctx.socket_with(SocketType::Req, Options::default().with_req(true, true))
        .unwrap();
}

/// Values at the edges are typed errors, never panics.
#[test]
fn edge_values_are_typed_errors() {
    let ctx = ctx();
    let dealer = ctx.socket(SocketType::Dealer).unwrap();
    invalid_option(dealer.set_recv_hwm(0), "recv_hwm");
    invalid_option(dealer.set_linger(Duration::MAX), "linger");
    invalid_option(
        dealer.set_handshake_timeout(Duration::ZERO),
        "handshake_timeout",
    );
    invalid_option(
        dealer.set_handshake_timeout(Duration::MAX),
        "handshake_timeout",
    );
    invalid_option(
        dealer.set_reconnect(Duration::ZERO, Duration::ZERO),
        "reconnect_interval",
    );
    invalid_option(
        dealer.set_reconnect(Duration::from_secs(1), Duration::MAX),
        "reconnect_interval_max",
    );
    invalid_option(
        dealer.set_heartbeat(Some(Duration::ZERO), None),
        "heartbeat_interval",
    );
    invalid_option(
        dealer.set_heartbeat(Some(Duration::MAX), None),
        "heartbeat_interval",
    );
    invalid_option(
        dealer.set_heartbeat_ttl(Some(Duration::MAX)),
        "heartbeat_ttl",
    );
    invalid_option(dealer.set_max_message_size(0), "max_message_size");
    invalid_option(
        dealer.set_max_pending_handshakes(0),
        "max_pending_handshakes",
    );
    invalid_option(dealer.set_send_buffer(Some(0)), "send_buffer");
    invalid_option(dealer.set_recv_buffer(Some(usize::MAX)), "recv_buffer");
    invalid_option(
        dealer.set_tcp_keepalive(Some(TcpKeepalive::default().with_interval(Duration::MAX))),
        "tcp_keepalive.interval",
    );
    invalid_option(
        dealer.set_routing_id(Some(Bytes::from(vec![0u8, 1]))),
        "routing_id",
    );
    invalid_option(
        dealer.set_routing_id(Some(Bytes::from(vec![1u8; 256]))),
        "routing_id",
    );
    // The largest sane values are fine.
    dealer.set_send_hwm(usize::MAX).unwrap();
    dealer.set_max_message_size(usize::MAX).unwrap();
    dealer
        .set_tcp_keepalive(Some(
            TcpKeepalive::default()
                .with_idle(Duration::from_secs(60))
                .with_interval(Duration::from_secs(5))
                .with_retries(3),
        ))
        .unwrap();
}

/// `Duration::MAX` as a timeout means "wait for ever": no panic, and the
/// call still returns when its event comes.
#[test]
fn duration_max_timeouts_wait_and_return() {
    let ctx = ctx();
    let pull = Arc::new(ctx.socket(SocketType::Pull).unwrap());
    let mon = pull.monitor();
    let m = std::thread::spawn(move || mon.recv_timeout(Duration::MAX));
    let ep = bind_local(&pull);
    assert!(matches!(
        m.join().unwrap(),
        Ok(MonitorEvent::Listening { .. })
    ));
    let p = pull.clone();
    let r = std::thread::spawn(move || p.recv_timeout(Duration::MAX));
    let push = connected(&ctx, SocketType::Push, Options::default(), &ep);
    push.send_timeout("forever is fine", Duration::MAX).unwrap();
    assert_eq!(texts(&r.join().unwrap().unwrap()), ["forever is fine"]);
    let mut poller = Poller::new();
    poller.add(&push, 1, Interest::WRITABLE).unwrap();
    assert_eq!(poller.wait(Some(Duration::MAX)).unwrap().len(), 1);
}

/// Endpoint mistakes: a connect to port 0 or `*`, unknown transports, and
/// ipc/inproc names that cannot be, are typed errors.
#[test]
fn endpoint_mistakes_are_typed_errors() {
    let ctx = ctx();
    let s = ctx.socket(SocketType::Push).unwrap();
    for ep in [
        "tcp://127.0.0.1:0",
        "tcp://localhost:0",
        "tcp://*:5555",
        "tcp://127.0.0.1",
        "udp://127.0.0.1:5",
        "ipc://*",
        "ipc://@",
        "ipc://",
        "inproc://",
    ] {
        assert!(
            matches!(s.connect(ep), Err(Error::InvalidEndpoint { .. })),
            "{ep} should be refused"
        );
    }
}

/// `connect` never waits for DNS: a name that does not resolve is accepted
/// at once, and the monitor reports the failed lookups (which are retried
/// with the reconnect backoff); a name that resolves connects.
#[test]
fn host_names_resolve_in_the_background() {
    let ctx = ctx();
    let push = ctx.socket_with(SocketType::Push, fast_reconnect()).unwrap();
    let mon = push.monitor();
    let t0 = Instant::now();
    push.connect("tcp://no-such-host.invalid:5555").unwrap();
    assert!(t0.elapsed() < Duration::from_secs(1), "connect waited");
    let deadline = Instant::now() + ARRIVE;
    let mut failures = 0;
    while failures < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon
            .recv_timeout(left)
            .expect("resolution failures reported")
        {
            MonitorEvent::ResolveFailed { endpoint, error } => {
                assert_eq!(endpoint.to_string(), "tcp://no-such-host.invalid:5555");
                assert!(!error.is_empty());
                failures += 1;
            }
            MonitorEvent::ConnectRetried { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // (Without this, round-robin would park some messages on the pipe of
    // the name that never resolves, as libzmq does.)
    push.disconnect("tcp://no-such-host.invalid:5555").unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull).replace("127.0.0.1", "localhost");
    push.connect(&ep).unwrap();
    push.send("via a name").unwrap();
    assert_eq!(texts(&recv(&pull, "via a name")), ["via a name"]);
}

/// Binding by interface name (libzmq's `tcp://lo:*`).
#[test]
fn bind_by_interface_name() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://lo:0").unwrap();
    assert!(ep.to_string().starts_with("tcp://127.0.0.1:"), "{ep}");
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep.to_string()).unwrap();
    push.send("via lo").unwrap();
    assert_eq!(texts(&recv(&pull, "via lo")), ["via lo"]);
    assert!(matches!(
        pull.bind("tcp://no-such-interface-or-host.invalid:0"),
        Err(Error::InvalidEndpoint { .. })
    ));
}

/// TCP keepalive and buffer sizes reach the kernel (connections work with
/// them; the values are the OS's business).
#[test]
fn tcp_options_apply_to_connections() {
    let ctx = ctx();
    let opts = Options::default()
        .with_tcp_keepalive(TcpKeepalive::default().with_idle(Duration::from_secs(30)))
        .with_buffers(Some(64 * 1024), Some(64 * 1024));
    let pull = ctx.socket_with(SocketType::Pull, opts.clone()).unwrap();
    let ep = bind_local(&pull);
    let push = connected(&ctx, SocketType::Push, opts, &ep);
    for i in 0..100 {
        push.send(vec![i as u8; 100_000]).unwrap();
    }
    for i in 0..100 {
        assert_eq!(recv(&pull, "big message").frames()[0][0], i as u8);
    }
}
