//! PAIR, and the routing options that change who gets what: libzmq's
//! `test_pair_tcp`, `test_router_handover`, `test_probe_router`,
//! `test_connect_rid`, `test_conflate`, `test_immediate`, and the
//! single-connect rule, ported over TCP loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{Error, MonitorEvent, Options, Reason, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// Two PAIRs talk both ways, multipart included (test_pair_tcp bounce).
#[test]
fn pair_bounce() {
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pair).unwrap();
    let ep = bind_local(&a);
    let b = connected(&ctx, SocketType::Pair, Options::default(), &ep);
    for _ in 0..3 {
        b.send(msg(&["12345678ABCDEFGH", "12345678abcdefgh"]))
            .unwrap();
        let m = recv(&a, "at a");
        assert_eq!(texts(&m), ["12345678ABCDEFGH", "12345678abcdefgh"]);
        a.send(m).unwrap();
        assert_eq!(
            texts(&recv(&b, "back at b")),
            ["12345678ABCDEFGH", "12345678abcdefgh"]
        );
    }
    // The second case of test_pair_tcp: connect by host name.
    let c = ctx.socket(SocketType::Pair).unwrap();
    let d = ctx.socket(SocketType::Pair).unwrap();
    let ep2 = bind_local(&c).replace("127.0.0.1", "localhost");
    d.connect(&ep2).unwrap();
    d.send("by name").unwrap();
    assert_eq!(texts(&recv(&c, "by name")), ["by name"]);
}

/// A PAIR has one peer: a second one completes its handshake and is then
/// refused (monitor reason `Refused`), while the first keeps working.
#[test]
fn pair_refuses_a_second_peer() {
    let ctx = ctx();
    let a = ctx.socket(SocketType::Pair).unwrap();
    let mon = a.monitor();
    let ep = bind_local(&a);
    let first = connected(&ctx, SocketType::Pair, Options::default(), &ep);
    wait_handshakes(&mon, 1);
    let second = ctx.socket(SocketType::Pair).unwrap();
    second.connect(&ep).unwrap();
    let deadline = Instant::now() + ARRIVE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.recv_timeout(left).expect("refusal reported") {
            MonitorEvent::HandshakeFailed { reason, .. } => {
                assert!(matches!(reason, Reason::Refused(_)), "{reason:?}");
                break;
            }
            MonitorEvent::HandshakeSucceeded { .. } => panic!("second peer accepted"),
            _ => {}
        }
    }
    first.send("still mine").unwrap();
    assert_eq!(texts(&recv(&a, "from the first")), ["still mine"]);
    a.send("to the first").unwrap();
    assert_eq!(texts(&recv(&first, "to the first")), ["to the first"]);
    assert!(matches!(second.recv_timeout(ABSENT), Err(Error::TimedOut)));
}

/// ROUTER_HANDOVER (test_router_handover): a second DEALER with the same id
/// takes it over; without handover it is refused and the first keeps it.
#[test]
fn router_handover_and_duplicate_refusal() {
    let ctx = ctx();
    for handover in [true, false] {
        let router = ctx
            .socket_with(
                SocketType::Router,
                Options::default().with_router_handover(handover),
            )
            .unwrap();
        let ep = bind_local(&router);
        let d1 = connected(
            &ctx,
            SocketType::Dealer,
            Options::default().with_routing_id("X"),
            &ep,
        );
        d1.send("Hello").unwrap();
        assert_eq!(texts(&recv(&router, "from d1")), ["X", "Hello"]);
        let d2 = ctx
            .socket_with(SocketType::Dealer, Options::default().with_routing_id("X"))
            .unwrap();
        let mon2 = d2.monitor();
        d2.connect(&ep).unwrap();
        d2.send("Hello2").unwrap();
        if handover {
            assert_eq!(texts(&recv(&router, "from d2")), ["X", "Hello2"]);
            router.send(msg(&["X", "Hello"])).unwrap();
            assert_eq!(texts(&recv(&d2, "at d2")), ["Hello"]);
            assert!(matches!(d1.recv_timeout(ABSENT), Err(Error::TimedOut)));
        } else {
            // d2's handshake is refused by the ROUTER (its side sees the
            // connection go); its message never reaches the ROUTER.
            let deadline = Instant::now() + ARRIVE;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if let MonitorEvent::Disconnected { .. } =
                    mon2.recv_timeout(left).expect("d2 dropped")
                {
                    break;
                }
            }
            router.send(msg(&["X", "Hello"])).unwrap();
            assert_eq!(texts(&recv(&d1, "at d1")), ["Hello"]);
            assert!(matches!(router.recv_timeout(ABSENT), Err(Error::TimedOut)));
        }
    }
}

/// PROBE_ROUTER (test_probe_router): a connecting ROUTER or DEALER announces
/// itself with an empty message.
#[test]
fn probe_router_announces_the_peer() {
    let ctx = ctx();
    for client_ty in [SocketType::Router, SocketType::Dealer] {
        let server = ctx.socket(SocketType::Router).unwrap();
        let ep = bind_local(&server);
        let client = ctx
            .socket_with(
                client_ty,
                Options::default()
                    .with_routing_id("X")
                    .with_probe_router(true),
            )
            .unwrap();
        client.connect(&ep).unwrap();
        assert_eq!(texts(&recv(&server, "probe")), ["X", ""]);
        server.send(msg(&["X", "Hello"])).unwrap();
        let m = recv(&client, "Hello");
        if client_ty == SocketType::Router {
            let f = m.frames();
            assert_eq!(f.len(), 2);
            assert_eq!((f[0].len(), f[0][0]), (5, 0), "the server's generated id");
            assert_eq!(&f[1][..], b"Hello");
        } else {
            assert_eq!(texts(&m), ["Hello"]);
        }
    }
}

/// CONNECT_ROUTING_ID (test_connect_rid router_2_router): the next connect
/// names its peer, so a message can be routed before the handshake.
#[test]
fn connect_routing_id_names_the_peer() {
    let ctx = ctx();
    for named in [false, true] {
        let opts = if named {
            Options::default().with_routing_id("X")
        } else {
            Options::default()
        };
        let rbind = ctx.socket_with(SocketType::Router, opts).unwrap();
        let ep = bind_local(&rbind);
        let rconn = ctx
            .socket_with(
                SocketType::Router,
                Options::default()
                    .with_routing_id("Y")
                    .with_connect_routing_id("conn1"),
            )
            .unwrap();
        rconn.connect(&ep).unwrap();
        assert!(rconn.options().connect_routing_id.is_none(), "consumed");
        // Routable once connected: retry while the handshake runs.
        let deadline = Instant::now() + ARRIVE;
        loop {
            rconn.send(msg(&["conn1", "hi 1"])).unwrap();
            if let Ok(m) = rbind.recv_timeout(Duration::from_millis(20)) {
                assert_eq!(texts(&m), ["Y", "hi 1"]);
                break;
            }
            assert!(Instant::now() < deadline, "never routed");
        }
        rbind.send(msg(&["Y", "ok"])).unwrap();
        assert_eq!(texts(&recv(&rconn, "ok")), ["conn1", "ok"]);
    }
}

/// CONFLATE (test_conflate): a PULL that keeps only the newest message gets
/// the last of 20; the replaced ones are counted.
#[test]
fn conflate_keeps_the_newest() {
    let ctx = ctx();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_conflate(true))
        .unwrap();
    let ep = bind_local(&pull);
    let push = connected(&ctx, SocketType::Push, Options::default(), &ep);
    for i in 0..20 {
        push.send(format!("{i}")).unwrap();
    }
    push.send("last").unwrap();
    // Wait for the last one to land: everything before it was replaced.
    wait_until(ARRIVE, "20 replaced", || {
        pull.stats().dropped_conflated == 20
    });
    assert_eq!(texts(&recv(&pull, "newest")), ["last"]);
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(
        ctx.socket_with(SocketType::Router, Options::default().with_conflate(true)),
        Err(Error::InvalidOption {
            option: "conflate",
            ..
        })
    ));
}

/// IMMEDIATE (test_immediate 1 and 2): a PUSH connected to a dead and a
/// live endpoint parks half its messages on the dead one by default; with
/// `immediate` every message goes to the live one.
#[test]
fn immediate_sends_only_to_completed_connections() {
    let ctx = ctx();
    for immediate in [false, true] {
        let pull = ctx.socket(SocketType::Pull).unwrap();
        let live = bind_local(&pull);
        let push = ctx
            .socket_with(
                SocketType::Push,
                Options::default()
                    .with_immediate(immediate)
                    .with_linger(Duration::ZERO),
            )
            .unwrap();
        let mon = push.monitor();
        push.connect(&unused_endpoint()).unwrap();
        push.connect(&live).unwrap();
        wait_handshakes(&mon, 1);
        for _ in 0..10 {
            push.send("Hello").unwrap();
        }
        let mut got = 0;
        while pull.recv_timeout(ABSENT).is_ok() {
            got += 1;
        }
        assert_eq!(got, if immediate { 10 } else { 5 }, "immediate={immediate}");
    }
}

/// With `immediate`, a peer's pipe goes with its connection: the PUSH
/// cannot send until a new peer completes its handshake (test_immediate 3).
#[test]
fn immediate_pipe_goes_with_the_connection() {
    let ctx = ctx();
    let front = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default()
                .with_immediate(true)
                .with_reconnect(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .unwrap();
    let mon = front.monitor();
    let back = ctx.socket(SocketType::Dealer).unwrap();
    let ep = bind_local(&back);
    front.connect(&ep).unwrap();
    wait_handshakes(&mon, 1);
    front.send("Hello").unwrap();
    assert_eq!(texts(&recv(&back, "Hello")), ["Hello"]);
    drop(back);
    wait_disconnected(&mon, 1);
    assert!(matches!(
        front.try_send("x").map_err(|e| e.error),
        Err(Error::WouldBlock)
    ));
    let back = ctx.socket(SocketType::Dealer).unwrap();
    let deadline = Instant::now() + ARRIVE;
    while back.bind(&ep).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    wait_handshakes(&mon, 1);
    front.try_send("again").unwrap();
    assert_eq!(texts(&recv(&back, "again")), ["again"]);
}

/// DEALER, REQ, PUB and SUB ignore a second connect to the same endpoint
/// string (libzmq's single-connect rule); PUSH connects twice.
#[test]
fn single_connect_types_ignore_a_repeated_connect() {
    let ctx = ctx();
    for (ty, peer, twice) in [
        (SocketType::Dealer, SocketType::Router, false),
        (SocketType::Push, SocketType::Pull, true),
    ] {
        let server = ctx.socket(peer).unwrap();
        let smon = server.monitor();
        let ep = bind_local(&server);
        let client = ctx.socket(ty).unwrap();
        client.connect(&ep).unwrap();
        client.connect(&ep).unwrap();
        wait_handshakes(&smon, if twice { 2 } else { 1 });
        if !twice {
            let extra = smon.recv_timeout(ABSENT);
            assert!(
                !matches!(extra, Ok(MonitorEvent::HandshakeSucceeded { .. })),
                "{ty}: second connection made"
            );
        }
    }
}

/// ROUTER handover closes the old peer's connection at once, without the
/// application touching the ROUTER.
#[test]
fn router_handover_closes_the_old_connection_promptly() {
    let ctx = ctx();
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_router_handover(true),
        )
        .unwrap();
    let ep = bind_local(&router);
    let old = ctx
        .socket_with(SocketType::Dealer, Options::default().with_routing_id("X"))
        .unwrap();
    let old_mon = old.monitor();
    old.connect(&ep).unwrap();
    wait_handshakes(&old_mon, 1);
    let _new = connected(
        &ctx,
        SocketType::Dealer,
        Options::default().with_routing_id("X"),
        &ep,
    );
    wait_disconnected(&old_mon, 1);
}

/// With `connect_routing_id`, the peer is routable from the `connect` on:
/// a message sent before the peer even exists waits in its pipe.
#[test]
fn connect_routing_id_is_routable_before_the_connection() {
    let ctx = ctx();
    let ep = unused_endpoint();
    let rconn = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_connect_routing_id("later"),
        )
        .unwrap();
    rconn.connect(&ep).unwrap();
    rconn.send(msg(&["later", "early bird"])).unwrap();
    assert_eq!(rconn.stats().dropped_unroutable, 0);
    let rbind = ctx.socket(SocketType::Router).unwrap();
    let deadline = Instant::now() + ARRIVE;
    while rbind.bind(&ep).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    assert_eq!(body(&recv(&rbind, "early bird")), "early bird");
}

/// A REQ with probe_router announces itself too (libzmq's REQ inherits
/// DEALER's probe).
#[test]
fn req_probe_router() {
    let ctx = ctx();
    let server = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&server);
    let req = ctx
        .socket_with(
            SocketType::Req,
            Options::default()
                .with_routing_id("R")
                .with_probe_router(true),
        )
        .unwrap();
    req.connect(&ep).unwrap();
    assert_eq!(texts(&recv(&server, "probe")), ["R", ""]);
}
