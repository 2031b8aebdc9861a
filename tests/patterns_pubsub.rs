//! PUB/SUB and XPUB/XSUB over TCP loopback: prefix filtering, counted
//! subscriptions, resubscription after reconnect, PUB never blocking (a
//! slow subscriber misses messages, counted; a multipart message is never
//! split), XPUB's notifications (libzmq's `test_xpub_verbose`,
//! `test_sub_forward`, `test_xpub_nodrop`, `test_xpub_welcome_msg`,
//! `test_hwm_pubsub`, ported with waits on conditions instead of sleeps).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use bytes::Bytes;
use ferromq::{Error, Message, Options, Socket, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// Publish `probe` until `sub` receives a message (the subscription has
/// reached the publisher); returns what it received.
fn until_subscribed(publisher: &Socket, sub: &Socket, probe: &str) -> Message {
    let deadline = Instant::now() + ARRIVE;
    loop {
        assert!(Instant::now() < deadline, "subscription never took effect");
        publisher.send(probe.to_owned()).unwrap();
        if let Ok(m) = sub.recv_timeout(Duration::from_millis(20)) {
            return m;
        }
    }
}

/// Drain `sub` until it has been quiet for [`ABSENT`].
fn drain(sub: &Socket) {
    while sub.recv_timeout(ABSENT).is_ok() {}
}

/// An XPUB's next notification: (subscribe?, topic).
fn notification(xpub: &Socket) -> (bool, String) {
    let m = recv(xpub, "subscription notification");
    let f = &m.frames()[0];
    assert!(
        matches!(f.first(), Some(0 | 1)),
        "not a notification: {m:?}"
    );
    (f[0] == 1, String::from_utf8_lossy(&f[1..]).into_owned())
}

/// SUB gets exactly the messages whose first frame starts with one of its
/// prefixes, in order; the PUB counts what matched nobody.
#[test]
fn sub_receives_only_matching_prefixes() {
    let ctx = ctx();
    let publisher = ctx.socket(SocketType::Pub).unwrap();
    let ep = bind_local(&publisher);
    let sub = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    sub.subscribe("a.").unwrap();
    sub.subscribe("c").unwrap();
    until_subscribed(&publisher, &sub, "a.probe");
    drain(&sub);
    let before = publisher.stats().unmatched;
    for t in ["a.1", "b.1", "c", "ab", "a.2", "cc", "a.end"] {
        publisher.send(t).unwrap();
    }
    let mut got = Vec::new();
    loop {
        let m = recv(&sub, "matching message");
        got.push(texts(&m)[0].clone());
        if got.last().map(String::as_str) == Some("a.end") {
            break;
        }
    }
    assert_eq!(got, ["a.1", "c", "a.2", "cc", "a.end"]);
    assert_eq!(publisher.stats().unmatched - before, 2, "b.1 and ab");
}

/// An empty subscription matches everything; a multipart message is
/// matched on its first frame and arrives whole.
#[test]
fn empty_subscription_matches_all_and_multipart_stays_whole() {
    let ctx = ctx();
    let publisher = ctx.socket(SocketType::Pub).unwrap();
    let ep = bind_local(&publisher);
    let sub = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    sub.subscribe("").unwrap();
    until_subscribed(&publisher, &sub, "probe");
    drain(&sub);
    publisher.send(msg(&["topic", "part 2", "part 3"])).unwrap();
    publisher.send(Message::from(Bytes::new())).unwrap();
    assert_eq!(
        texts(&recv(&sub, "multipart")),
        ["topic", "part 2", "part 3"]
    );
    assert_eq!(texts(&recv(&sub, "empty")), [""]);
}

/// Subscriptions are counted on the SUB: the publisher (an XPUB, to watch)
/// hears the first subscribe and the last cancel only.
#[test]
fn subscriptions_are_reference_counted() {
    let ctx = ctx();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    let ep = bind_local(&xpub);
    let sub = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    sub.subscribe("A").unwrap();
    assert_eq!(notification(&xpub), (true, "A".into()));
    sub.subscribe("A").unwrap();
    sub.unsubscribe("A").unwrap();
    sub.subscribe("marker").unwrap();
    // The duplicate subscribe reaches the XPUB (a SUB always forwards
    // subscribes) but is not its first for "A"; the first cancel is not
    // forwarded at all (one reference remains).
    assert_eq!(notification(&xpub), (true, "marker".into()));
    xpub.send("A: still subscribed").unwrap();
    assert_eq!(texts(&recv(&sub, "A")), ["A: still subscribed"]);
    sub.unsubscribe("A").unwrap();
    assert_eq!(notification(&xpub), (false, "A".into()));
    let before = xpub.stats().unmatched;
    xpub.send("A: nobody").unwrap();
    assert_eq!(xpub.stats().unmatched, before + 1);
    sub.unsubscribe("never subscribed").unwrap();
    sub.subscribe("marker2").unwrap();
    assert_eq!(
        notification(&xpub),
        (true, "marker2".into()),
        "unknown cancel not forwarded"
    );
}

/// The publisher goes away and a new one binds the same port: the SUB
/// resends every subscription on the new connection by itself.
#[test]
fn subscriptions_are_resent_after_reconnect() {
    let ctx = ctx();
    let first = ctx.socket(SocketType::Pub).unwrap();
    let ep = bind_local(&first);
    let sub = connected(&ctx, SocketType::Sub, fast_reconnect(), &ep);
    sub.subscribe("x").unwrap();
    sub.subscribe("y").unwrap();
    until_subscribed(&first, &sub, "x-probe");
    drop(first);
    let second = ctx.socket(SocketType::XPub).unwrap();
    let deadline = Instant::now() + ARRIVE;
    while second.bind(&ep).is_err() {
        assert!(Instant::now() < deadline, "rebind {ep}");
        std::thread::yield_now();
    }
    let mut topics = vec![notification(&second), notification(&second)];
    topics.sort();
    assert_eq!(topics, [(true, "x".into()), (true, "y".into())]);
    second.send("y after reconnect").unwrap();
    let m = loop {
        let m = recv(&sub, "message from the new publisher");
        if texts(&m)[0] != "x-probe" {
            break m;
        }
    };
    assert_eq!(texts(&m), ["y after reconnect"]);
}

/// A PUB never blocks: with one subscriber that does not read and one that
/// does, every send returns at once; the slow one misses messages (counted
/// in dropped_full) and every message either reaches a subscriber whole or
/// is counted.
#[test]
fn pub_never_blocks_and_counts_what_a_slow_subscriber_misses() {
    const N: usize = 20_000;
    let ctx = ctx();
    let publisher = ctx
        .socket_with(SocketType::Pub, Options::default().with_send_hwm(50))
        .unwrap();
    let ep = bind_local(&publisher);
    let slow = connected(
        &ctx,
        SocketType::Sub,
        Options::default().with_recv_hwm(10),
        &ep,
    );
    let fast = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    slow.subscribe("").unwrap();
    fast.subscribe("").unwrap();
    until_subscribed(&publisher, &fast, "probe");
    until_subscribed(&publisher, &slow, "probe");
    drain(&fast);
    drain(&slow);
    let base = publisher.stats();
    let reader = std::thread::spawn(move || {
        let mut got = 0usize;
        while let Ok(m) = fast.recv_timeout(Duration::from_secs(2)) {
            assert_eq!(m.len(), 2, "multipart split: {m:?}");
            got += 1;
        }
        got
    });
    let payload = Bytes::from(vec![7u8; 1024]);
    for i in 0..N {
        let m = Message::multipart([Bytes::from(format!("{i}")), payload.clone()]);
        publisher.try_send(m).expect("a PUB never blocks");
    }
    let fast_got = reader.join().unwrap();
    let mut slow_got = 0usize;
    while let Ok(m) = slow.recv_timeout(Duration::from_secs(1)) {
        assert_eq!(m.len(), 2, "multipart split: {m:?}");
        slow_got += 1;
    }
    let dropped = (publisher.stats().dropped_full - base.dropped_full) as usize;
    assert!(slow_got < N, "the slow subscriber cannot have kept up");
    assert!(dropped > 0, "misses are counted");
    assert_eq!(
        fast_got + slow_got + dropped,
        2 * N,
        "every copy delivered or counted"
    );
}

/// XPUB_VERBOSE: every subscribe is reported; XPUB_VERBOSER: every cancel
/// too (test_xpub_verbose, two subscribers).
#[test]
fn xpub_verbose_and_verboser() {
    let ctx = ctx();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    let ep = bind_local(&xpub);
    let sub0 = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    let sub1 = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    sub0.subscribe("A").unwrap();
    assert_eq!(notification(&xpub), (true, "A".into()));
    sub1.subscribe("A").unwrap();
    sub0.subscribe("B").unwrap();
    assert_eq!(
        notification(&xpub),
        (true, "B".into()),
        "second A not reported"
    );
    xpub.set_xpub_verbose(true).unwrap();
    sub1.subscribe("A").unwrap();
    assert_eq!(notification(&xpub), (true, "A".into()), "verbose: reported");
    xpub.send("A").unwrap();
    xpub.send("B").unwrap();
    assert_eq!(texts(&recv(&sub0, "A")), ["A"]);
    assert_eq!(texts(&recv(&sub0, "B")), ["B"]);
    assert_eq!(texts(&recv(&sub1, "A")), ["A"]);

    // sub1 holds A twice: its first cancel stays local, its second reaches
    // the XPUB, which still has sub0 on A: not reported unless verboser.
    sub1.unsubscribe("A").unwrap();
    sub1.unsubscribe("A").unwrap();
    // The marker travels on sub1's connection, behind its cancel.
    sub1.subscribe("marker").unwrap();
    assert_eq!(notification(&xpub), (true, "marker".into()));
    xpub.set_xpub_verboser(true).unwrap();
    sub1.subscribe("A").unwrap();
    assert_eq!(notification(&xpub), (true, "A".into()));
    sub1.unsubscribe("A").unwrap();
    assert_eq!(
        notification(&xpub),
        (false, "A".into()),
        "verboser: reported"
    );
    sub0.unsubscribe("A").unwrap();
    assert_eq!(notification(&xpub), (false, "A".into()), "the last one");
}

/// A subscriber that goes away raises cancels for the topics only it had.
#[test]
fn xpub_reports_cancels_when_a_subscriber_leaves() {
    let ctx = ctx();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    let ep = bind_local(&xpub);
    let stays = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    let leaves = connected(&ctx, SocketType::Sub, Options::default(), &ep);
    stays.subscribe("shared").unwrap();
    assert_eq!(notification(&xpub), (true, "shared".into()));
    leaves.subscribe("shared").unwrap();
    leaves.subscribe("own").unwrap();
    assert_eq!(notification(&xpub), (true, "own".into()));
    drop(leaves);
    assert_eq!(notification(&xpub), (false, "own".into()));
    stays.subscribe("marker").unwrap();
    assert_eq!(
        notification(&xpub),
        (true, "marker".into()),
        "shared is still held"
    );
}

/// XSUB/XPUB forwarding (test_sub_forward): a subscription read from the
/// XPUB and sent on the XSUB reaches the upstream PUB, whose messages the
/// XSUB reads and the XPUB forwards to the SUB.
#[test]
fn xsub_xpub_forward_subscriptions_and_messages() {
    let ctx = ctx();
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    let downstream = bind_local(&xpub);
    let xsub = ctx.socket(SocketType::XSub).unwrap();
    let upstream = bind_local(&xsub);
    let publisher = connected(&ctx, SocketType::Pub, Options::default(), &upstream);
    let sub = connected(&ctx, SocketType::Sub, Options::default(), &downstream);
    sub.subscribe("").unwrap();
    let sub_msg = recv(&xpub, "subscription");
    assert_eq!(sub_msg.frames()[0].as_ref(), b"\x01");
    xsub.send(sub_msg).unwrap();
    let deadline = Instant::now() + ARRIVE;
    let got = loop {
        assert!(Instant::now() < deadline, "nothing forwarded");
        publisher.send("forwarded").unwrap();
        if let Ok(m) = xsub.recv_timeout(Duration::from_millis(20)) {
            xpub.send(m).unwrap();
            break recv(&sub, "forwarded message");
        }
    };
    assert_eq!(texts(&got), ["forwarded"]);
    // An XSUB subscribes with messages, not with subscribe().
    assert!(matches!(
        xsub.subscribe("x"),
        Err(Error::InvalidOption { .. })
    ));
    assert!(matches!(
        sub.send("x").map_err(|e| e.error),
        Err(Error::Unsupported { .. })
    ));
}

/// XPUB_NODROP: a full subscriber makes try_send WouldBlock instead of a
/// drop; everything sent arrives (test_xpub_nodrop).
#[test]
fn xpub_nodrop_pushes_back_instead_of_dropping() {
    let ctx = ctx();
    let xpub = ctx
        .socket_with(
            SocketType::XPub,
            Options::default().with_send_hwm(10).with_xpub_nodrop(true),
        )
        .unwrap();
    let ep = bind_local(&xpub);
    let sub = connected(
        &ctx,
        SocketType::Sub,
        Options::default().with_recv_hwm(10),
        &ep,
    );
    sub.subscribe("").unwrap();
    assert_eq!(notification(&xpub), (true, String::new()));
    let payload = Bytes::from(vec![0u8; 64 * 1024]);
    let mut sent = 0usize;
    let deadline = Instant::now() + ARRIVE;
    loop {
        assert!(Instant::now() < deadline, "never pushed back");
        match xpub.try_send(payload.clone()) {
            Ok(()) => sent += 1,
            Err(e) => {
                assert!(matches!(e.error, Error::WouldBlock), "{:?}", e.error);
                break;
            }
        }
    }
    assert!(!xpub.readiness().writable);
    let mut got = 0;
    while got < sent {
        recv(&sub, "every message sent");
        got += 1;
    }
    assert_eq!(xpub.stats().dropped_full, 0);
}

/// XPUB_WELCOME_MSG: a new subscriber gets it, if it subscribed to it
/// (test_xpub_welcome_msg).
#[test]
fn xpub_welcome_message() {
    let ctx = ctx();
    let xpub = ctx
        .socket_with(
            SocketType::XPub,
            Options::default().with_xpub_welcome_msg("W"),
        )
        .unwrap();
    let ep = bind_local(&xpub);
    let sub = ctx.socket(SocketType::Sub).unwrap();
    sub.subscribe("W").unwrap();
    sub.connect(&ep).unwrap();
    assert_eq!(notification(&xpub), (true, "W".into()));
    assert_eq!(texts(&recv(&sub, "welcome")), ["W"]);
}
