//! DEALER/ROUTER over real TCP loopback: routing by id, unroutable and full
//! peers (dropped and counted, or refused with `router_mandatory`), duplicate
//! and generated routing ids, and DEALER's round-robin out / fair-queue in
//! (`/work/shared/zmtp.md` §10, libzmq's `router.cpp`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use bytes::Bytes;
use ferromq::{Context, Error, Message, MonitorEvent, Options, Reason, Socket, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// A DEALER with routing id `id` connected to `ep`, attached: it said hello
/// and the ROUTER received `[id, "hello"]`.
fn attached_dealer(ctx: &Context, router: &Socket, ep: &str, opts: Options) -> Socket {
    let d = ctx.socket_with(SocketType::Dealer, opts).unwrap();
    d.connect(ep).unwrap();
    d.send("hello").unwrap();
    let m = recv(router, "dealer hello");
    assert_eq!(m.len(), 2, "ROUTER prepends exactly one id frame: {m:?}");
    assert_eq!(body(&m), "hello");
    if let Some(id) = &d.options().routing_id {
        assert_eq!(&m.frames()[0], id, "announced id is used");
    }
    d
}

/// Two DEALERs with explicit ids: the ROUTER sees each one's id on receive and
/// routes replies by the first frame to the right one (stripping it).
#[test]
fn router_routes_replies_by_first_frame() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let a = attached_dealer(
        &ctx,
        &router,
        &ep,
        Options::default().with_routing_id("alpha"),
    );
    let b = attached_dealer(
        &ctx,
        &router,
        &ep,
        Options::default().with_routing_id("beta"),
    );

    // Requests from both, interleaved: each arrives tagged with its sender.
    for i in 0..10 {
        a.send(format!("a-req-{i}")).unwrap();
        b.send(format!("b-req-{i}")).unwrap();
    }
    let (mut from_a, mut from_b) = (0, 0);
    for _ in 0..20 {
        let m = recv(&router, "request");
        let t = texts(&m);
        match t[0].as_str() {
            "alpha" => {
                assert_eq!(t[1], format!("a-req-{from_a}"));
                from_a += 1;
            }
            "beta" => {
                assert_eq!(t[1], format!("b-req-{from_b}"));
                from_b += 1;
            }
            other => panic!("unexpected routing id {other:?}"),
        }
    }

    // Replies, interleaved, with a multipart body: each goes to its owner only.
    for i in 0..10 {
        router
            .send(msg(&["beta", "for-beta", &format!("{i}")]))
            .unwrap();
        router
            .send(msg(&["alpha", "for-alpha", &format!("{i}")]))
            .unwrap();
    }
    for i in 0..10 {
        let m = recv(&a, "reply for alpha");
        assert_eq!(
            texts(&m),
            ["for-alpha", &format!("{i}")],
            "id frame stripped"
        );
        let m = recv(&b, "reply for beta");
        assert_eq!(
            texts(&m),
            ["for-beta", &format!("{i}")],
            "id frame stripped"
        );
    }
    let s = router.stats();
    assert_eq!((s.dropped_unroutable, s.dropped_full), (0, 0));
    assert_eq!(s.messages_received, 22);
}

/// An unknown routing id: dropped and counted by default; with
/// `router_mandatory`, refused with HostUnreachable and the message handed back.
#[test]
fn router_unknown_id_is_dropped_and_counted_or_unreachable_when_mandatory() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let d = attached_dealer(
        &ctx,
        &router,
        &ep,
        Options::default().with_routing_id("known"),
    );

    let before = router.stats();
    router.send(Message::multipart(["nobody", "lost"])).unwrap();
    router.send(Message::multipart(["nobody", "lost"])).unwrap();
    let after = router.stats();
    assert_eq!(after.dropped_unroutable - before.dropped_unroutable, 2);
    assert_eq!(after.dropped_full, 0);
    // A message to the known peer after the drops still arrives, and nothing
    // of the dropped ones does.
    router.send(Message::multipart(["known", "kept"])).unwrap();
    assert_eq!(texts(&recv(&d, "routable message")), ["kept"]);
    assert!(matches!(d.recv_timeout(ABSENT), Err(Error::TimedOut)));

    let strict = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_router_mandatory(true),
        )
        .unwrap();
    let sep = bind_local(&strict);
    let sd = attached_dealer(
        &ctx,
        &strict,
        &sep,
        Options::default().with_routing_id("known"),
    );
    let e = strict
        .send(Message::multipart(["nobody", "x"]))
        .unwrap_err();
    assert!(matches!(e.error, Error::HostUnreachable), "{:?}", e.error);
    assert_eq!(
        e.message,
        Message::multipart(["nobody", "x"]),
        "handed back whole"
    );
    assert_eq!(strict.stats().dropped_unroutable, 0);
    strict.send(Message::multipart(["known", "ok"])).unwrap();
    assert_eq!(texts(&recv(&sd, "mandatory routable message")), ["ok"]);
}

/// Sending to a peer whose pipe is at the HWM (the DEALER does not read, the
/// messages are big): dropped and counted in `dropped_full`, and exactly the
/// messages not dropped reach the DEALER. A blocking send waits only while
/// the I/O thread is behind. With `router_mandatory`: a timed send waits and
/// then gives TimedOut, `try_send` WouldBlock, with the message handed back,
/// nothing dropped.
#[test]
fn router_full_peer_pipe_drops_and_counts_or_would_block_when_mandatory() {
    // The pipe (2) plus what the kernel and ferromq's buffers can hold.
    let bound = 2 + 1 + kernel_buffer_messages(BIG) + 8;
    let payload = Bytes::from(vec![1u8; BIG]);
    let ctx = ctx();
    for mandatory in [false, true] {
        let router = ctx
            .socket_with(
                SocketType::Router,
                Options::default()
                    .with_send_hwm(2)
                    .with_router_mandatory(mandatory)
                    .with_linger(Duration::ZERO),
            )
            .unwrap();
        let ep = bind_local(&router);
        let d = attached_dealer(
            &ctx,
            &router,
            &ep,
            Options::default().with_routing_id("slow").with_recv_hwm(1),
        );

        let deadline = Instant::now() + ARRIVE;
        let mut queued = 0usize;
        loop {
            assert!(
                Instant::now() < deadline,
                "pipe never filled: mandatory={mandatory} queued={queued} stats={:?}",
                router.stats()
            );
            let big = Message::from(vec![Bytes::from_static(b"slow"), payload.clone()]);
            let before = router.stats().dropped_full;
            // A blocking send waits while only the I/O thread is behind;
            // it drops (or, mandatory, times out) once the peer is stuck.
            let sent = if mandatory {
                router.send_timeout(big, Duration::from_millis(500))
            } else {
                router.send(big)
            };
            match sent {
                Ok(()) if router.stats().dropped_full == before => queued += 1,
                Ok(()) => {
                    assert!(!mandatory, "mandatory ROUTER must not drop");
                    break;
                }
                Err(e) => {
                    assert!(mandatory, "non-mandatory ROUTER must not fail: {e:?}");
                    assert!(matches!(e.error, Error::TimedOut), "{:?}", e.error);
                    assert_eq!(e.message.frames()[0], "slow", "handed back with its id");
                    assert_eq!(e.message.size(), 4 + BIG);
                    break;
                }
            }
            assert!(queued <= bound, "pipe HWM not enforced ({queued} queued)");
        }
        if mandatory {
            // With router_mandatory a timed send waits for room in that
            // peer's pipe (as libzmq's does), then times out.
            let wait = Duration::from_millis(300);
            let t0 = Instant::now();
            let e = router
                .send_timeout(msg(&["slow", "must-wait"]), wait)
                .unwrap_err();
            assert!(matches!(e.error, Error::TimedOut), "{:?}", e.error);
            assert!(t0.elapsed() >= wait, "ROUTER send did not wait");
            assert_eq!(e.message, msg(&["slow", "must-wait"]), "handed back");
            let e = router.try_send(msg(&["slow", "no-wait"])).unwrap_err();
            assert!(matches!(e.error, Error::WouldBlock), "{:?}", e.error);
            assert!(!router.readiness().writable, "full pipe: not writable");
        }
        let s = router.stats();
        assert_eq!(
            s.dropped_full,
            u64::from(!mandatory),
            "mandatory={mandatory}"
        );
        assert_eq!(s.dropped_unroutable, 0);

        // Exactly the queued messages arrive; the dropped one does not.
        for _ in 0..queued {
            assert_eq!(recv(&d, "queued big message").size(), BIG);
        }
        router.send(Message::multipart(["slow", "end"])).unwrap();
        assert_eq!(
            body(&recv(&d, "end marker")),
            "end",
            "mandatory={mandatory}"
        );
    }
}

/// A second DEALER announcing an id already in use is refused: its messages
/// never reach the ROUTER, while the first keeps working both ways.
#[test]
fn router_rejects_duplicate_routing_id() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let first = attached_dealer(
        &ctx,
        &router,
        &ep,
        Options::default().with_routing_id("dup"),
    );
    let mon = router.monitor();

    let second = ctx
        .socket_with(
            SocketType::Dealer,
            fast_reconnect()
                .with_routing_id("dup")
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    second.connect(&ep).unwrap();
    second.send("from-second").unwrap();
    // The ROUTER refuses the duplicate id (a refusal, not a protocol
    // error: the peer did nothing wrong on the wire).
    let deadline = Instant::now() + ARRIVE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let MonitorEvent::HandshakeFailed { reason, .. } = mon.recv_timeout(left).unwrap() {
            assert_eq!(
                reason,
                Reason::RoutingId("routing id already in use on this ROUTER")
            );
            break;
        }
    }
    assert_eq!(router.stats().protocol_errors, 0);

    // The first still works: its message arrives and is the only one.
    first.send("from-first").unwrap();
    let m = recv(&router, "first dealer's message");
    assert_eq!(texts(&m), ["dup", "from-first"]);
    assert!(matches!(router.recv_timeout(ABSENT), Err(Error::TimedOut)));
    // Replies to "dup" go to the first only.
    router.send(Message::multipart(["dup", "reply"])).unwrap();
    assert_eq!(texts(&recv(&first, "reply to first")), ["reply"]);
    assert!(matches!(second.recv_timeout(ABSENT), Err(Error::TimedOut)));
    assert_eq!(router.stats().dropped_unroutable, 0);
}

/// A DEALER without an id gets a generated one: 5 bytes, first byte 0x00
/// (libzmq's format), distinct per peer, and usable to reply.
#[test]
fn router_generates_zero_led_five_byte_ids() {
    let ctx = ctx();
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = bind_local(&router);
    let mut ids = Vec::new();
    let mut dealers = Vec::new();
    for _ in 0..2 {
        let d = ctx.socket(SocketType::Dealer).unwrap();
        d.connect(&ep).unwrap();
        d.send("anon").unwrap();
        let m = recv(&router, "anonymous hello");
        let id = m.frames()[0].clone();
        assert_eq!(id.len(), 5, "generated id {id:?}");
        assert_eq!(id[0], 0x00, "generated id {id:?}");
        ids.push(id);
        dealers.push(d);
    }
    assert_ne!(ids[0], ids[1], "generated ids are unique");
    for (i, id) in ids.iter().enumerate() {
        router
            .send(Message::from(vec![
                id.clone(),
                Bytes::from(format!("to-{i}")),
            ]))
            .unwrap();
    }
    for (i, d) in dealers.iter().enumerate() {
        assert_eq!(
            texts(&recv(d, "reply by generated id")),
            [format!("to-{i}")]
        );
    }
}

/// A DEALER connected to two ROUTERs sends round-robin (strict alternation,
/// the pipes existing from connect time) and receives fair-queued: with both
/// ROUTERs' messages waiting, it alternates between them, one message each,
/// instead of draining one first.
///
/// We read only once both backlogs are queued at the DEALER: each ROUTER
/// closes after sending, and the DEALER's monitor reports a disconnection
/// only after reading everything sent before it (its recv_hwm, 1000, has
/// room for all 200).
#[test]
fn dealer_round_robins_out_and_fair_queues_in() {
    const EACH: usize = 200;
    let ctx = ctx();
    let routers: Vec<Socket> = (0..2)
        .map(|_| ctx.socket(SocketType::Router).unwrap())
        .collect();
    let eps: Vec<String> = routers.iter().map(bind_local).collect();
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            fast_reconnect()
                .with_routing_id("d")
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    let mon = dealer.monitor();
    for ep in &eps {
        dealer.connect(ep).unwrap();
    }

    // Out: strict rotation over the two connected endpoints.
    for i in 0..10 {
        dealer.send(format!("{i}")).unwrap();
    }
    let mut residues = Vec::new();
    for r in &routers {
        let got: Vec<usize> = (0..5)
            .map(|_| {
                let m = recv(r, "round-robin message");
                assert_eq!(m.frames()[0], "d");
                body(&m).parse().unwrap()
            })
            .collect();
        let first = got[0];
        assert_eq!(got, (0..5).map(|k| first + 2 * k).collect::<Vec<_>>());
        residues.push(first);
        assert!(matches!(r.recv_timeout(ABSENT), Err(Error::TimedOut)));
    }
    residues.sort_unstable();
    assert_eq!(residues, [0, 1]);

    // In: both ROUTERs send 200 messages each and close (flushing them).
    for (n, r) in routers.into_iter().enumerate() {
        for i in 0..EACH {
            r.send(msg(&["d", &format!("{n}-{i}")])).unwrap();
        }
        assert_eq!(r.close().unsent, 0, "router {n} flushes its messages");
    }
    wait_disconnected(&mon, 2);
    let mut next = [0usize; 2];
    let mut prev = usize::MAX;
    for k in 0..2 * EACH {
        let b = body(&recv(&dealer, "fair-queued message"));
        let (src, idx) = b.split_once('-').unwrap();
        let src: usize = src.parse().unwrap();
        assert_eq!(idx.parse::<usize>().unwrap(), next[src], "FIFO per peer");
        next[src] += 1;
        assert_ne!(
            src, prev,
            "message {k}: same ROUTER twice in a row, not fair"
        );
        prev = src;
    }
}

/// The DEALER connects before the ROUTER exists and sends: the message waits
/// in its pipe and reaches the ROUTER once it binds.
#[test]
fn dealer_connect_before_router_binds_queues() {
    let ctx = ctx();
    let ep = unused_endpoint();
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            fast_reconnect().with_routing_id("early"),
        )
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.try_send("queued before bind").unwrap();
    let router = ctx.socket(SocketType::Router).unwrap();
    router.bind(&ep).unwrap();
    let m = recv(&router, "message queued before bind");
    assert_eq!(texts(&m), ["early", "queued before bind"]);
    router.send(Message::multipart(["early", "back"])).unwrap();
    assert_eq!(texts(&recv(&dealer, "reply")), ["back"]);
}
