//! Socket life cycle over real TCP loopback: reconnecting to a restarted peer,
//! the end-of-stream pill, linger on close, and the typed errors for bad
//! endpoints, options, messages and operations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use bytes::Bytes;
use ferromq::{Error, Incoming, Message, MonitorEvent, Options, Reason, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// The pill must end the stream at once, not after a timeout: we wait with a
/// long timeout and require the answer well before it.
const LONG_WAIT: Duration = Duration::from_secs(30);
const PROMPT: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------- reconnect

/// PUSH connects to a PULL; the PULL goes away and a new PULL binds the same
/// port: messages sent while it was down, and after, reach the new one, in
/// order. The two sides use separate contexts (separate I/O threads).
#[test]
fn push_reconnects_to_restarted_pull_on_same_port() {
    let (ctx_push, ctx_pull) = (ctx(), ctx());
    let pull1 = ctx_pull.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull1);
    let push = ctx_push
        .socket_with(SocketType::Push, fast_reconnect())
        .unwrap();
    let mon = push.monitor();
    push.connect(&ep).unwrap();
    for i in 0..5 {
        push.send(format!("before-{i}")).unwrap();
    }
    for i in 0..5 {
        assert_eq!(body(&recv(&pull1, "before restart")), format!("before-{i}"));
    }

    assert_eq!(pull1.close().unsent, 0);
    // Wait until the PUSH has seen the connection go: a message written into
    // a connection the peer already closed would be lost in flight (as with
    // libzmq), which is not what this test is about.
    wait_disconnected(&mon, 1);
    // Nobody listens now: these wait in the connected endpoint's pipe.
    for i in 0..5 {
        push.try_send(format!("gap-{i}")).unwrap();
    }

    let pull2 = ctx_pull.socket(SocketType::Pull).unwrap();
    assert_eq!(pull2.bind(&ep).unwrap().to_string(), ep, "same port");
    for i in 0..5 {
        push.send_timeout(format!("after-{i}"), ARRIVE).unwrap();
    }
    for i in 0..5 {
        assert_eq!(body(&recv(&pull2, "sent while down")), format!("gap-{i}"));
    }
    for i in 0..5 {
        assert_eq!(
            body(&recv(&pull2, "sent after restart")),
            format!("after-{i}")
        );
    }
}

// ---------------------------------------------------------------- the pill

/// PUSH sends 100 messages then the pill: the PULL gets all 100, then
/// EndOfStream at once (long before its 30 s timeout), and keeps saying so.
/// Sending after the pill is Closed.
#[test]
fn pill_ends_the_stream_promptly_after_every_message() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..100 {
        push.send(format!("m{i}")).unwrap();
    }
    push.send_eof().unwrap();

    for i in 0..100 {
        let m = pull.recv_timeout(LONG_WAIT).unwrap();
        assert_eq!(
            body(&m),
            format!("m{i}"),
            "all messages come before the end"
        );
    }
    let t0 = Instant::now();
    let r = pull.recv_timeout(LONG_WAIT);
    assert!(matches!(r, Err(Error::EndOfStream)), "{r:?}");
    assert!(t0.elapsed() < PROMPT, "EndOfStream took {:?}", t0.elapsed());
    assert!(matches!(pull.try_recv(), Err(Error::EndOfStream)));
    assert!(pull.readiness().readable, "an ended stream is readable");

    let e = push.send("too late").unwrap_err();
    assert!(matches!(e.error, Error::Closed), "{:?}", e.error);
    assert_eq!(e.message, Message::from("too late"));
    assert!(matches!(
        push.try_send("too late").map_err(|e| e.error),
        Err(Error::Closed)
    ));
    assert!(!push.readiness().writable);
}

/// `recv_incoming` shows the pill itself: `Finished` right after the last
/// message (no routing id on a PULL), then EndOfStream.
#[test]
fn recv_incoming_shows_finished_after_last_message() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..3 {
        push.send(format!("m{i}")).unwrap();
    }
    push.send_eof().unwrap();
    for i in 0..3 {
        match pull.recv_incoming(Some(ARRIVE)).unwrap() {
            Incoming::Message(m) => assert_eq!(body(&m), format!("m{i}")),
            other => panic!("expected message {i}, got {other:?}"),
        }
    }
    assert_eq!(
        pull.recv_incoming(Some(ARRIVE)).unwrap(),
        Incoming::Finished { routing_id: None }
    );
    let t0 = Instant::now();
    let r = pull.recv_incoming(Some(LONG_WAIT));
    assert!(matches!(r, Err(Error::EndOfStream)), "{r:?}");
    assert!(t0.elapsed() < PROMPT);
}

/// A ROUTER learns which DEALER finished: `Finished` carries its routing id.
#[test]
fn router_recv_incoming_names_the_finished_dealer() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let dealer = ctx
        .socket_with(SocketType::Dealer, Options::default().with_routing_id("w1"))
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("last words").unwrap();
    dealer.send_eof().unwrap();
    match router.recv_incoming(Some(ARRIVE)).unwrap() {
        Incoming::Message(m) => assert_eq!(texts(&m), ["w1", "last words"]),
        other => panic!("expected the message, got {other:?}"),
    }
    assert_eq!(
        router.recv_incoming(Some(ARRIVE)).unwrap(),
        Incoming::Finished {
            routing_id: Some(Bytes::from_static(b"w1"))
        }
    );
}

/// Two upstream PUSHes: the stream ends only after both sent the pill.
#[test]
fn end_of_stream_waits_for_every_upstream() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let a = ctx.socket(SocketType::Push).unwrap();
    let b = ctx.socket(SocketType::Push).unwrap();
    a.connect(&ep).unwrap();
    b.connect(&ep).unwrap();
    // Both upstreams must be attached before the first pill is consumed: the
    // PULL can only wait for upstreams it knows about.
    a.send("a-hello").unwrap();
    b.send("b-hello").unwrap();
    let mut hello: Vec<String> = (0..2).map(|_| body(&recv(&pull, "hello"))).collect();
    hello.sort();
    assert_eq!(hello, ["a-hello", "b-hello"]);
    for i in 0..10 {
        a.send(format!("a{i}")).unwrap();
        b.send(format!("b{i}")).unwrap();
    }
    a.send_eof().unwrap();
    // All 20 arrive, A's pill is consumed along the way, and the stream has
    // not ended: B is still going.
    let mut got = Vec::new();
    for _ in 0..20 {
        got.push(body(&recv(&pull, "message from either upstream")));
    }
    got.sort();
    let mut want: Vec<String> = (0..10)
        .flat_map(|i| [format!("a{i}"), format!("b{i}")])
        .collect();
    want.sort();
    assert_eq!(got, want);
    let r = pull.recv_timeout(ABSENT);
    assert!(matches!(r, Err(Error::TimedOut)), "one pill of two: {r:?}");

    b.send("b-last").unwrap();
    b.send_eof().unwrap();
    assert_eq!(body(&recv(&pull, "B's last message")), "b-last");
    let t0 = Instant::now();
    let r = pull.recv_timeout(LONG_WAIT);
    assert!(matches!(r, Err(Error::EndOfStream)), "{r:?}");
    assert!(t0.elapsed() < PROMPT, "EndOfStream took {:?}", t0.elapsed());
}

// ---------------------------------------------------------------- linger

/// Messages queued for an endpoint where nobody listens: close gives up after
/// the linger (200 ms) and reports every one of them unsent.
#[test]
fn close_with_unreachable_peer_waits_linger_and_reports_unsent() {
    let linger = Duration::from_millis(200);
    let ctx = ctx();
    let push = ctx
        .socket_with(SocketType::Push, fast_reconnect().with_linger(linger))
        .unwrap();
    push.connect(&unused_endpoint()).unwrap();
    for i in 0..7 {
        push.try_send(format!("stuck-{i}")).unwrap();
    }
    let s = push.stats();
    assert_eq!(s.messages_sent, 7);
    let t0 = Instant::now();
    let report = push.close();
    let took = t0.elapsed();
    assert_eq!(report.unsent, 7);
    assert_eq!(ctx.unsent_on_close(), 7, "the context counts the loss too");
    assert!(took >= linger, "close returned before the linger: {took:?}");
    assert!(
        took < linger + PROMPT,
        "close overstayed the linger: {took:?}"
    );
}

/// With a live peer, close flushes: unsent is 0 and the peer receives every
/// one of the 10,000 messages sent before close, in order.
#[test]
fn close_with_live_peer_flushes_everything() {
    const N: usize = 10_000;
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default()
                .with_send_hwm(N)
                .with_linger(Duration::from_secs(10)),
        )
        .unwrap();
    push.connect(&ep).unwrap();
    std::thread::scope(|s| {
        let receiver = s.spawn(|| {
            for i in 0..N {
                assert_eq!(body(&recv(&pull, "flushed message")), format!("m{i}"));
            }
        });
        for i in 0..N {
            push.try_send(format!("m{i}")).unwrap();
        }
        let report = push.close();
        assert_eq!(report.unsent, 0, "linger must flush everything");
        receiver.join().unwrap();
    });
}

// ---------------------------------------------------------------- errors

/// Malformed or unsupported endpoints are InvalidEndpoint, naming the endpoint.
#[test]
fn invalid_endpoints_are_typed_errors() {
    let ctx = ctx();
    let s = ctx.socket(SocketType::Push).unwrap();
    for bad in [
        "bogus",
        "tcp://host",
        "ipc://@",
        "inproc://",
        "tcp://127.0.0.1:99999",
        "",
    ] {
        match s.bind(bad) {
            Err(Error::InvalidEndpoint { endpoint, .. }) => assert_eq!(endpoint, bad),
            other => panic!("bind({bad:?}): expected InvalidEndpoint, got {other:?}"),
        }
        match s.connect(bad) {
            Err(Error::InvalidEndpoint { endpoint, .. }) => assert_eq!(endpoint, bad),
            other => panic!("connect({bad:?}): expected InvalidEndpoint, got {other:?}"),
        }
    }
    // None of them left a pipe behind: a PUSH with no peer cannot send.
    assert!(matches!(
        s.try_send("x").map_err(|e| e.error),
        Err(Error::WouldBlock)
    ));
}

/// Out-of-range options are InvalidOption, naming the option.
#[test]
fn invalid_options_are_typed_errors() {
    let ctx = ctx();
    let cases = [
        (Options::default().with_send_hwm(0), "send_hwm"),
        (Options::default().with_recv_hwm(0), "recv_hwm"),
        (
            Options::default().with_max_message_size(0),
            "max_message_size",
        ),
        (
            Options::default().with_routing_id(vec![0u8, 1]),
            "routing_id",
        ),
        (
            Options::default().with_reconnect(Duration::ZERO, Duration::ZERO),
            "reconnect_interval",
        ),
    ];
    for (opts, name) in cases {
        match ctx.socket_with(SocketType::Dealer, opts) {
            Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
            other => panic!("{name}: expected InvalidOption, got {other:?}"),
        }
    }
}

/// Sending on a PULL and receiving on a PUSH are Unsupported.
#[test]
fn wrong_direction_is_unsupported() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    let is_pull = |e: &Error| {
        matches!(
            e,
            Error::Unsupported {
                socket_type: "PULL"
            }
        )
    };
    let e = pull.send("x").unwrap_err();
    assert!(is_pull(&e.error), "{:?}", e.error);
    assert_eq!(e.message, Message::from("x"), "handed back");
    assert!(is_pull(&pull.try_send("x").unwrap_err().error));
    assert!(is_pull(&pull.send_timeout("x", ABSENT).unwrap_err().error));
    assert!(is_pull(&pull.send_eof().unwrap_err()));

    let is_push = |e: &Error| {
        matches!(
            e,
            Error::Unsupported {
                socket_type: "PUSH"
            }
        )
    };
    let t0 = Instant::now();
    assert!(is_push(&push.try_recv().unwrap_err()));
    assert!(is_push(&push.recv_timeout(LONG_WAIT).unwrap_err()));
    assert!(is_push(&push.recv_incoming(Some(LONG_WAIT)).unwrap_err()));
    assert!(t0.elapsed() < PROMPT, "Unsupported must not wait");
}

/// ROUTER messages need an id frame and a body; any message needs a frame.
#[test]
fn malformed_messages_are_invalid() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let e = router.send(Message::multipart(["only-id"])).unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
    assert_eq!(e.message, Message::multipart(["only-id"]), "handed back");
    let e = router.send(Message::new()).unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
    let s = router.stats();
    assert_eq!((s.messages_sent, s.dropped_unroutable), (0, 0));

    let push = ctx.socket(SocketType::Push).unwrap();
    let e = push.try_send(Message::new()).unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
}

/// A message over our own max_message_size (summed over frames) is refused
/// with InvalidMessage; exactly at the limit it is accepted. A ROUTER's id
/// frame does not count.
#[test]
fn sending_over_max_message_size_is_invalid() {
    let ctx = ctx();
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default()
                .with_max_message_size(100)
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    // A connected endpoint gives the PUSH a pipe, so valid sends succeed.
    push.connect(&unused_endpoint()).unwrap();
    push.try_send(vec![0u8; 100]).unwrap();
    let two = |a: usize, b: usize| {
        Message::from(vec![Bytes::from(vec![1u8; a]), Bytes::from(vec![2u8; b])])
    };
    push.try_send(two(50, 50)).unwrap();
    let e = push.try_send(vec![0u8; 101]).unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
    assert_eq!(e.message.size(), 101, "handed back");
    let e = push.try_send(two(50, 51)).unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
    assert_eq!(push.stats().messages_sent, 2);

    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_max_message_size(10),
        )
        .unwrap();
    let id = Bytes::from_static(b"a-long-routing-id");
    router
        .send(Message::from(vec![id.clone(), Bytes::from(vec![0u8; 10])]))
        .unwrap();
    let e = router
        .send(Message::from(vec![id, Bytes::from(vec![0u8; 11])]))
        .unwrap_err();
    assert!(matches!(e.error, Error::InvalidMessage(_)), "{:?}", e.error);
}

/// A peer sending more than our max_message_size (one big frame, or frames
/// that only add up to too much) loses its connection, counted in
/// `protocol_errors`; another peer keeps working throughout.
#[test]
fn peer_over_max_message_size_is_disconnected_others_unaffected() {
    let ctx = ctx();
    let pull = ctx
        .socket_with(
            SocketType::Pull,
            Options::default().with_max_message_size(1000),
        )
        .unwrap();
    let mon = pull.monitor();
    let ep = bind_local(&pull);
    let bad = ctx.socket_with(SocketType::Push, fast_reconnect()).unwrap();
    let good = ctx.socket(SocketType::Push).unwrap();
    bad.connect(&ep).unwrap();
    good.connect(&ep).unwrap();
    bad.send("bad-hello").unwrap();
    good.send("good-hello").unwrap();
    let mut hello: Vec<String> = (0..2).map(|_| body(&recv(&pull, "hello"))).collect();
    hello.sort();
    assert_eq!(hello, ["bad-hello", "good-hello"]);
    assert_eq!(pull.stats().protocol_errors, 0);

    let oversized = [
        Message::from(vec![9u8; 2000]),
        Message::from(vec![
            Bytes::from(vec![9u8; 600]),
            Bytes::from(vec![9u8; 600]),
        ]),
    ];
    for (n, big) in oversized.into_iter().enumerate() {
        // `bad` reconnects after each disconnection; the next big message
        // waits in its pipe until then.
        bad.send_timeout(big, ARRIVE).unwrap();
        wait_until(ARRIVE, "the oversized sender is disconnected", || {
            pull.stats().protocol_errors > n as u64
        });
        good.send(format!("good-{n}")).unwrap();
        assert_eq!(
            body(&recv(&pull, "good peer's message")),
            format!("good-{n}")
        );
    }
    assert_eq!(pull.stats().protocol_errors, 2);
    let mut too_large = 0;
    while let Ok(ev) = mon.try_recv() {
        if let MonitorEvent::Disconnected {
            reason: Reason::MessageTooLarge,
            ..
        } = ev
        {
            too_large += 1;
        }
    }
    assert_eq!(too_large, 2, "monitor names the reason");
    // The offender can still send small messages once reconnected.
    bad.send_timeout("bad-small", ARRIVE).unwrap();
    assert_eq!(
        body(&recv(&pull, "small message after reconnect")),
        "bad-small"
    );
    assert!(
        matches!(pull.recv_timeout(ABSENT), Err(Error::TimedOut)),
        "nothing big leaked"
    );
}

/// unbind/disconnect of an endpoint that is not bound/connected:
/// EndpointNotFound (also the second time, after a successful one).
#[test]
fn unknown_endpoint_unbind_and_disconnect_are_not_found() {
    let ctx = ctx();
    let s = ctx
        .socket_with(
            SocketType::Pull,
            Options::default().with_linger(Duration::ZERO),
        )
        .unwrap();
    let not_found = |r: ferromq::Result<()>| matches!(r, Err(Error::EndpointNotFound(_)));
    assert!(not_found(s.unbind("tcp://127.0.0.1:1")));
    assert!(not_found(s.disconnect("tcp://127.0.0.1:1")));

    let ep = bind_local(&s);
    assert!(not_found(s.disconnect(&ep)), "bound is not connected");
    s.unbind(&ep).unwrap();
    assert!(not_found(s.unbind(&ep)));

    let other = unused_endpoint();
    s.connect(&other).unwrap();
    assert!(not_found(s.unbind(&other)), "connected is not bound");
    s.disconnect(&other).unwrap();
    assert!(not_found(s.disconnect(&other)));
}

/// Binding a port that is already listening is AddressInUse (another socket
/// or the same one); after unbind the port can be bound again.
#[test]
fn bind_to_port_in_use_is_address_in_use() {
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&a);
    let b = ctx.socket(SocketType::Pull).unwrap();
    assert!(
        matches!(b.bind(&ep), Err(Error::AddressInUse(_))),
        "other socket"
    );
    assert!(
        matches!(a.bind(&ep), Err(Error::AddressInUse(_))),
        "same socket"
    );
    a.unbind(&ep).unwrap();
    wait_until(ARRIVE, "the port is free again after unbind", || {
        b.bind(&ep).is_ok()
    });
}

/// When a busy connection is lost, what the sender reports lost (and still
/// queued) never exceeds what the peer did not get: messages already
/// written are not counted again.
#[test]
fn losses_on_a_busy_connection_are_not_overcounted() {
    let ctx = ctx();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(10))
        .unwrap();
    let ep = bind_local(&pull);
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_linger(Duration::ZERO),
        )
        .unwrap();
    let mon = push.monitor();
    push.connect(&ep).unwrap();
    let payload = vec![5u8; 1024];
    let mut sent = 0u64;
    let deadline = Instant::now() + ARRIVE;
    // Fill everything: the PULL's queue, both kernel buffers, the PUSH's
    // connection and its pipe.
    while push
        .send_timeout(payload.clone(), Duration::from_millis(200))
        .is_ok()
    {
        sent += 1;
        assert!(Instant::now() < deadline, "never filled");
    }
    let mut received = 0u64;
    for _ in 0..100 {
        recv(&pull, "one of the first messages");
        received += 1;
    }
    drop(pull);
    wait_disconnected(&mon, 1);
    let lost = push.stats().dropped_on_disconnect;
    let unsent = push.close().unsent as u64;
    assert!(
        received + lost + unsent <= sent,
        "sent {sent}, received {received}, counted lost {lost}, unsent {unsent}"
    );
}
