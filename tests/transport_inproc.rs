//! `inproc://`: sockets of one context joined by in-memory lanes.
//!
//! Names are per context; bind twice is `AddressInUse`; a connect before
//! the bind is joined when the bind comes (messages sent meanwhile are
//! delivered); the queue limit is the sender's send HWM plus the
//! receiver's receive HWM; every socket type and the pill work; the
//! routing id is passed; what a closing sender queued is still delivered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{
    Context, Error, Interest, Message, MonitorEvent, Options, Poller, Reason, SocketType,
};
use sockets::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A fresh inproc name (names are per context, but tests share nothing).
fn name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("inproc://test-{}", N.fetch_add(1, Ordering::Relaxed))
}

#[test]
fn connect_before_bind_delivers_what_was_sent_meanwhile() {
    let ctx = ctx();
    let ep = name();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..5 {
        push.send(format!("early-{i}")).unwrap();
    }
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let bound = pull.bind(&ep).unwrap();
    assert_eq!(bound.to_string(), ep, "bind reports the inproc name");
    for i in 0..5 {
        assert_eq!(body(&recv(&pull, "early message")), format!("early-{i}"));
    }
    push.send("late").unwrap();
    assert_eq!(body(&recv(&pull, "late message")), "late");
}

#[test]
fn bind_twice_is_address_in_use_until_the_first_closes() {
    let ctx = ctx();
    let ep = name();
    let a = ctx.socket(SocketType::Pull).unwrap();
    a.bind(&ep).unwrap();
    let b = ctx.socket(SocketType::Pull).unwrap();
    assert!(matches!(b.bind(&ep), Err(Error::AddressInUse(_))));
    // The same socket binding again is refused too.
    assert!(matches!(a.bind(&ep), Err(Error::AddressInUse(_))));
    drop(a);
    b.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("to b").unwrap();
    assert_eq!(body(&recv(&b, "message to the new binder")), "to b");
}

#[test]
fn unbind_frees_the_name_and_keeps_joined_peers() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    pull.unbind(&ep).unwrap();
    // Joined peers stay joined.
    push.send("still here").unwrap();
    assert_eq!(body(&recv(&pull, "message after unbind")), "still here");
    // The name is free again.
    let other = ctx.socket(SocketType::Pull).unwrap();
    other.bind(&ep).unwrap();
}

#[test]
fn names_are_scoped_per_context() {
    let ctx1 = ctx();
    let ctx2 = ctx();
    let ep = name();
    let pull1 = ctx1.socket(SocketType::Pull).unwrap();
    pull1.bind(&ep).unwrap();
    // The same name is free in another context.
    let pull2 = ctx2.socket(SocketType::Pull).unwrap();
    pull2.bind(&ep).unwrap();
    let push2 = ctx2.socket(SocketType::Push).unwrap();
    push2.connect(&ep).unwrap();
    push2.send("ctx2").unwrap();
    assert_eq!(body(&recv(&pull2, "message in ctx2")), "ctx2");
    assert!(matches!(pull1.recv_timeout(ABSENT), Err(Error::TimedOut)));
}

#[test]
fn queue_limit_is_send_hwm_plus_receive_hwm() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(7))
        .unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx
        .socket_with(SocketType::Push, Options::default().with_send_hwm(5))
        .unwrap();
    push.connect(&ep).unwrap();
    let mut sent = 0;
    while push.try_send(format!("m{sent}")).is_ok() {
        sent += 1;
        assert!(sent <= 100, "the HWM does not hold");
    }
    assert_eq!(sent, 12, "5 (send HWM) + 7 (receive HWM)");
    for i in 0..12 {
        assert_eq!(body(&recv(&pull, "queued message")), format!("m{i}"));
    }
    // Room again, in order.
    push.try_send("after").unwrap();
    assert_eq!(body(&recv(&pull, "message after draining")), "after");
}

#[test]
fn a_blocked_sender_wakes_when_the_receiver_reads() {
    let ctx = ctx();
    let ep = name();
    let hwm = Options::default().with_send_hwm(2).with_recv_hwm(2);
    let pull = ctx.socket_with(SocketType::Pull, hwm.clone()).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket_with(SocketType::Push, hwm).unwrap();
    push.connect(&ep).unwrap();
    const N: usize = 2_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            push.send(format!("{i}")).unwrap();
        }
    });
    for i in 0..N {
        assert_eq!(
            body(&recv(&pull, "message through a tiny HWM")),
            i.to_string()
        );
    }
    sender.join().unwrap();
}

#[test]
fn blocked_receivers_are_never_missed() {
    // Ping-pong between two threads that block in recv: a lost wake-up
    // (the sleep handshake failing) hangs one of them.
    let ctx = ctx();
    let ep = name();
    let a = ctx.socket(SocketType::Pair).unwrap();
    a.bind(&ep).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    b.connect(&ep).unwrap();
    const N: u32 = 20_000;
    let t = std::thread::spawn(move || {
        for _ in 0..N {
            let m = recv(&b, "ping");
            b.send(m).unwrap();
        }
    });
    for i in 0..N {
        a.send(i.to_string()).unwrap();
        assert_eq!(body(&recv(&a, "pong")), i.to_string());
    }
    t.join().unwrap();
}

#[test]
fn messages_queued_by_a_closing_sender_are_delivered() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..500 {
        push.send(format!("{i}")).unwrap();
    }
    let report = push.close();
    assert_eq!(report.unsent, 0);
    for i in 0..500 {
        assert_eq!(
            body(&recv(&pull, "message sent before close")),
            i.to_string()
        );
    }
    assert!(matches!(pull.recv_timeout(ABSENT), Err(Error::TimedOut)));
}

#[test]
fn a_closed_receiver_disconnects_its_peer() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    let mon = push.monitor();
    push.connect(&ep).unwrap();
    wait_handshakes(&mon, 1);
    push.send("one").unwrap();
    assert_eq!(body(&recv(&pull, "first")), "one");
    push.send("unread").unwrap();
    let report = pull.close();
    assert_eq!(report.unread, 1, "the unread message is counted");
    loop {
        match mon.recv_timeout(ARRIVE).expect("a Disconnected event") {
            MonitorEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, Reason::PeerClosed);
                break;
            }
            _ => continue,
        }
    }
    // The connect pipe went with the wire: nothing can take a message.
    assert!(matches!(
        push.try_send("x").map_err(|e| e.error),
        Err(Error::WouldBlock)
    ));
}

#[test]
fn the_pill_ends_the_stream() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("last words").unwrap();
    push.send_eof().unwrap();
    assert_eq!(body(&recv(&pull, "message before the pill")), "last words");
    assert!(matches!(pull.recv_timeout(ARRIVE), Err(Error::EndOfStream)));
}

#[test]
fn req_rep_and_multipart_frames() {
    let ctx = ctx();
    let ep = name();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.bind(&ep).unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&ep).unwrap();
    for i in 0..3 {
        req.send(msg(&["q", &i.to_string()])).unwrap();
        let q = recv(&rep, "request");
        assert_eq!(texts(&q), ["q", &i.to_string()]);
        rep.send(msg(&["a", &i.to_string()])).unwrap();
        assert_eq!(texts(&recv(&req, "reply")), ["a", &i.to_string()]);
    }
}

#[test]
fn dealer_router_passes_the_routing_id() {
    let ctx = ctx();
    let ep = name();
    let router = ctx.socket(SocketType::Router).unwrap();
    router.bind(&ep).unwrap();
    let dealer = ctx
        .socket_with(
            SocketType::Dealer,
            Options::default().with_routing_id("worker-7"),
        )
        .unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("hello").unwrap();
    let m = recv(&router, "dealer's message");
    assert_eq!(texts(&m), ["worker-7", "hello"]);
    router.send(msg(&["worker-7", "back"])).unwrap();
    assert_eq!(body(&recv(&dealer, "router's reply")), "back");
}

#[test]
fn router_binds_a_connect_routing_id() {
    // connect_routing_id names the bound peer, as over TCP.
    let ctx = ctx();
    let ep = name();
    let pull_side = ctx.socket(SocketType::Dealer).unwrap();
    pull_side.bind(&ep).unwrap();
    let router = ctx
        .socket_with(
            SocketType::Router,
            Options::default().with_connect_routing_id("server"),
        )
        .unwrap();
    router.connect(&ep).unwrap();
    router.send(msg(&["server", "hi"])).unwrap();
    assert_eq!(
        body(&recv(&pull_side, "routed by connect_routing_id")),
        "hi"
    );
}

#[test]
fn pub_sub_filters_and_xpub_sees_subscriptions() {
    let ctx = ctx();
    let ep = name();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    xpub.bind(&ep).unwrap();
    let sub = ctx.socket(SocketType::Sub).unwrap();
    sub.connect(&ep).unwrap();
    sub.subscribe("news").unwrap();
    // The subscription reaches the publisher without it calling anything
    // but recv (and takes effect for its sends).
    let s = recv(&xpub, "subscription");
    assert_eq!(&s.frames()[0][..], b"\x01news");
    xpub.send("sport: no").unwrap();
    xpub.send("news: yes").unwrap();
    assert_eq!(body(&recv(&sub, "matching message")), "news: yes");
    assert!(matches!(sub.recv_timeout(ABSENT), Err(Error::TimedOut)));
}

#[test]
fn pub_to_sub_with_a_plain_publisher() {
    let ctx = ctx();
    let ep = name();
    let publisher = ctx.socket(SocketType::Pub).unwrap();
    publisher.bind(&ep).unwrap();
    let sub = ctx.socket(SocketType::Sub).unwrap();
    sub.subscribe("").unwrap();
    sub.connect(&ep).unwrap();
    // The subscription went over when the wire was made: the first
    // message already matches.
    publisher.send("first").unwrap();
    assert_eq!(body(&recv(&sub, "first published")), "first");
}

#[test]
fn xsub_forwards_subscriptions_upstream() {
    let ctx = ctx();
    let ep = name();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    xpub.bind(&ep).unwrap();
    let xsub = ctx.socket(SocketType::XSub).unwrap();
    xsub.connect(&ep).unwrap();
    xsub.send(&b"\x01topic"[..]).unwrap();
    assert_eq!(&recv(&xpub, "subscription").frames()[0][..], b"\x01topic");
    xpub.send("topic!").unwrap();
    assert_eq!(body(&recv(&xsub, "published")), "topic!");
}

#[test]
fn pair_takes_one_peer_only() {
    let ctx = ctx();
    let ep = name();
    let a = ctx.socket(SocketType::Pair).unwrap();
    a.bind(&ep).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    b.connect(&ep).unwrap();
    let c = ctx.socket(SocketType::Pair).unwrap();
    let mon = c.monitor();
    c.connect(&ep).unwrap();
    loop {
        match mon
            .recv_timeout(ARRIVE)
            .expect("the second PAIR is refused")
        {
            MonitorEvent::HandshakeFailed { .. } => break,
            MonitorEvent::HandshakeSucceeded { .. } => panic!("a second PAIR peer was joined"),
            _ => continue,
        }
    }
    b.send("from b").unwrap();
    assert_eq!(body(&recv(&a, "b's message")), "from b");
    a.send("to b").unwrap();
    assert_eq!(body(&recv(&b, "a's message")), "to b");
}

#[test]
fn incompatible_socket_types_are_refused() {
    let ctx = ctx();
    let ep = name();
    let a = ctx.socket(SocketType::Push).unwrap();
    a.bind(&ep).unwrap();
    let b = ctx.socket(SocketType::Push).unwrap();
    let mon = b.monitor();
    b.connect(&ep).unwrap();
    loop {
        match mon.recv_timeout(ARRIVE).expect("a handshake failure") {
            MonitorEvent::HandshakeFailed { reason, .. } => {
                assert!(matches!(reason, Reason::SocketType(_)), "{reason:?}");
                break;
            }
            MonitorEvent::HandshakeSucceeded { .. } => panic!("PUSH joined PUSH"),
            _ => continue,
        }
    }
}

#[test]
fn a_poller_wakes_for_inproc_input() {
    let ctx = ctx();
    let ep = name();
    let pull = Arc::new(ctx.socket(SocketType::Pull).unwrap());
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    let mut poller = Poller::new();
    poller.add(&pull, 7, Interest::READABLE).unwrap();
    assert!(matches!(
        poller.wait(Some(Duration::ZERO)),
        Err(Error::TimedOut)
    ));
    let t = std::thread::spawn(move || push.send("wake up").map(|_| push));
    let events = poller.wait(Some(ARRIVE)).unwrap();
    assert_eq!(events.len(), 1, "the poller must wake");
    assert_eq!(body(&pull.try_recv().unwrap()), "wake up");
    drop(t.join().unwrap());
}

#[test]
fn disconnect_undoes_a_connect() {
    let ctx = ctx();
    let ep = name();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.send("before").unwrap();
    assert_eq!(body(&recv(&pull, "before disconnect")), "before");
    push.disconnect(&ep).unwrap();
    assert!(matches!(
        push.try_send(Message::from("after")).map_err(|e| e.error),
        Err(Error::WouldBlock)
    ));
    assert!(push.disconnect(&ep).is_err(), "nothing left to undo");
}

#[test]
fn many_producers_one_consumer_lose_nothing() {
    let ctx: Context = ctx();
    let ep = name();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(16))
        .unwrap();
    pull.bind(&ep).unwrap();
    const PRODUCERS: usize = 4;
    const EACH: usize = 5_000;
    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let ctx = ctx.clone();
            let ep = ep.clone();
            std::thread::spawn(move || {
                let push = ctx
                    .socket_with(SocketType::Push, Options::default().with_send_hwm(16))
                    .unwrap();
                push.connect(&ep).unwrap();
                for i in 0..EACH {
                    push.send(format!("{p}:{i}")).unwrap();
                }
                push.close().unsent
            })
        })
        .collect();
    let mut next = [0usize; PRODUCERS];
    for _ in 0..PRODUCERS * EACH {
        let m = recv(&pull, "a producer's message");
        let b = body(&m);
        let (p, i) = b.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "producer {p}'s messages in order, none lost");
        next[p] += 1;
    }
    for h in handles {
        assert_eq!(h.join().unwrap(), 0);
    }
}
