//! The socket patterns against real libzmq 4.3.4 (through the `zmq` crate),
//! in both directions and with either side binding: REQ/REP, PUB/SUB with
//! filtering, XPUB seeing a libzmq SUB's subscriptions (and libzmq's XPUB
//! seeing ours), XSUB, an XPUB/XSUB proxy between libzmq publishers and
//! subscribers, PAIR, and resubscription after a libzmq publisher restarts.
//! Every wait is for an observable condition, bounded by a deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/libzmq.rs"]
mod libzmq;

use ferromq::{Context, Message, Options, SocketType};
use libzmq::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fsocket(ctx: &Context, ty: SocketType) -> ferromq::Socket {
    ctx.socket_with(ty, Options::default().with_linger(Duration::ZERO))
        .unwrap()
}

fn fbind(s: &ferromq::Socket) -> String {
    s.bind("tcp://127.0.0.1:0").unwrap().to_string()
}

fn strs(frames: &[Vec<u8>]) -> Vec<String> {
    frames
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

fn ftexts(m: &Message) -> Vec<String> {
    strs(&frames(m))
}

/// Repeat `send` until `received` yields something (a subscription has to
/// reach the publisher before anything gets through); returns it.
fn until<T>(mut send: impl FnMut(), mut received: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "nothing got through in time");
        send();
        if let Some(x) = received() {
            return x;
        }
    }
}

/// A libzmq receive with a short timeout, for polling loops.
fn ztry(s: &zmq::Socket) -> Option<Vec<Vec<u8>>> {
    s.set_rcvtimeo(20).unwrap();
    let r = s.recv_multipart(0).ok();
    s.set_rcvtimeo(WAIT_MS).unwrap();
    r
}

/// ferromq REQ against libzmq REP and libzmq REQ against ferromq REP, each
/// with either side binding.
#[test]
fn req_rep_both_ways() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    for ferromq_binds in [false, true] {
        // ferromq REQ, libzmq REP.
        let req = fsocket(&ctx, SocketType::Req);
        let rep = zsocket(&zctx, zmq::REP);
        if ferromq_binds {
            rep.connect(&fbind(&req)).unwrap();
        } else {
            req.connect(&zbind(&rep).0).unwrap();
        }
        for i in 0..3 {
            req.send(Message::multipart([format!("q{i}"), "part".into()]))
                .unwrap();
            assert_eq!(
                strs(&zrecv(&rep, "request")),
                [format!("q{i}"), "part".into()]
            );
            rep.send_multipart([format!("a{i}").into_bytes()], 0)
                .unwrap();
            assert_eq!(ftexts(&frecv(&req, "reply")), [format!("a{i}")]);
        }
        // libzmq REQ, ferromq REP.
        let rep = fsocket(&ctx, SocketType::Rep);
        let req = zsocket(&zctx, zmq::REQ);
        if ferromq_binds {
            req.connect(&fbind(&rep)).unwrap();
        } else {
            rep.connect(&zbind(&req).0).unwrap();
        }
        for i in 0..3 {
            req.send_multipart([format!("q{i}").into_bytes()], 0)
                .unwrap();
            assert_eq!(ftexts(&frecv(&rep, "request")), [format!("q{i}")]);
            rep.send(Message::multipart([format!("a{i}"), "x".into()]))
                .unwrap();
            assert_eq!(strs(&zrecv(&req, "reply")), [format!("a{i}"), "x".into()]);
        }
    }
}

/// Several libzmq REQs on one ferromq REP: each gets its own reply.
#[test]
fn ferromq_rep_serves_several_libzmq_reqs() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let rep = fsocket(&ctx, SocketType::Rep);
    let ep = fbind(&rep);
    let reqs: Vec<zmq::Socket> = (0..4)
        .map(|_| {
            let r = zsocket(&zctx, zmq::REQ);
            r.connect(&ep).unwrap();
            r
        })
        .collect();
    for (i, r) in reqs.iter().enumerate() {
        r.send(format!("from {i}").as_bytes(), 0).unwrap();
    }
    for _ in 0..4 {
        let m = frecv(&rep, "request");
        let body = ftexts(&m)[0].clone();
        rep.send(format!("re {body}")).unwrap();
    }
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(strs(&zrecv(r, "reply")), [format!("re from {i}")]);
    }
}

/// libzmq PUB → ferromq SUB: only subscribed prefixes arrive, in order.
#[test]
fn libzmq_pub_to_ferromq_sub_filters() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    for ferromq_binds in [false, true] {
        let publisher = zsocket(&zctx, zmq::PUB);
        let sub = fsocket(&ctx, SocketType::Sub);
        sub.subscribe("a").unwrap();
        if ferromq_binds {
            publisher.connect(&fbind(&sub)).unwrap();
        } else {
            sub.connect(&zbind(&publisher).0).unwrap();
        }
        until(
            || publisher.send("a-probe", 0).unwrap(),
            || sub.recv_timeout(Duration::from_millis(20)).ok(),
        );
        while sub.recv_timeout(Duration::from_millis(200)).is_ok() {}
        for t in ["a1", "b1", "a2", "ba", "a-end"] {
            publisher.send(t, 0).unwrap();
        }
        let got: Vec<String> = (0..3)
            .map(|_| ftexts(&frecv(&sub, "a*"))[0].clone())
            .collect();
        assert_eq!(got, ["a1", "a2", "a-end"]);
    }
}

/// ferromq PUB → libzmq SUB: libzmq's subscription (a 3.1 SUBSCRIBE
/// command) is honoured; multipart messages arrive whole.
#[test]
fn ferromq_pub_to_libzmq_sub_filters() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let publisher = fsocket(&ctx, SocketType::Pub);
    let ep = fbind(&publisher);
    let sub = zsocket(&zctx, zmq::SUB);
    sub.set_subscribe(b"a").unwrap();
    sub.connect(&ep).unwrap();
    until(|| publisher.send("a-probe").unwrap(), || ztry(&sub));
    while ztry(&sub).is_some() {}
    publisher.send("b-not-for-you").unwrap();
    publisher
        .send(Message::multipart(["a1", "second frame"]))
        .unwrap();
    publisher.send("a2").unwrap();
    assert_eq!(strs(&zrecv(&sub, "a1")), ["a1", "second frame"]);
    assert_eq!(strs(&zrecv(&sub, "a2")), ["a2"]);
    assert!(publisher.stats().unmatched >= 1);
}

/// ferromq XPUB sees a libzmq SUB's subscribe and unsubscribe; libzmq's
/// XPUB sees a ferromq SUB's.
#[test]
fn xpub_sees_subscriptions_both_ways() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let xpub = fsocket(&ctx, SocketType::XPub);
    let ep = fbind(&xpub);
    let zsub = zsocket(&zctx, zmq::SUB);
    zsub.connect(&ep).unwrap();
    zsub.set_subscribe(b"topic").unwrap();
    assert_eq!(frames(&frecv(&xpub, "subscribe")), [b"\x01topic".to_vec()]);
    zsub.set_unsubscribe(b"topic").unwrap();
    assert_eq!(frames(&frecv(&xpub, "cancel")), [b"\x00topic".to_vec()]);

    let zxpub = zsocket(&zctx, zmq::XPUB);
    let (zep, _) = zbind(&zxpub);
    let sub = fsocket(&ctx, SocketType::Sub);
    sub.connect(&zep).unwrap();
    sub.subscribe("news").unwrap();
    assert_eq!(zrecv(&zxpub, "ferromq's subscribe"), [b"\x01news".to_vec()]);
    zxpub.send("news: it works", 0).unwrap();
    assert_eq!(ftexts(&frecv(&sub, "news")), ["news: it works"]);
    sub.unsubscribe("news").unwrap();
    assert_eq!(zrecv(&zxpub, "ferromq's cancel"), [b"\x00news".to_vec()]);
}

/// ferromq XSUB subscribes by sending a message to a libzmq XPUB and
/// receives what it publishes.
#[test]
fn ferromq_xsub_with_libzmq_xpub() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let zxpub = zsocket(&zctx, zmq::XPUB);
    let (zep, _) = zbind(&zxpub);
    let xsub = fsocket(&ctx, SocketType::XSub);
    xsub.connect(&zep).unwrap();
    xsub.send(b"\x01abc".to_vec()).unwrap();
    assert_eq!(zrecv(&zxpub, "subscription"), [b"\x01abc".to_vec()]);
    zxpub.send("abc-1", 0).unwrap();
    zxpub.send("xyz", 0).unwrap();
    zxpub.send("abc-2", 0).unwrap();
    assert_eq!(ftexts(&frecv(&xsub, "abc-1")), ["abc-1"]);
    assert_eq!(ftexts(&frecv(&xsub, "abc-2")), ["abc-2"]);
}

/// A ferromq XSUB/XPUB proxy between a libzmq PUB and a libzmq SUB: the
/// SUB's subscription travels up through the proxy, the publisher's
/// matching messages travel down.
#[test]
fn xpub_xsub_proxy_between_libzmq_peers() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let publisher = zsocket(&zctx, zmq::PUB);
    let (pub_ep, _) = zbind(&publisher);
    let xsub = Arc::new(fsocket(&ctx, SocketType::XSub));
    xsub.connect(&pub_ep).unwrap();
    let xpub = Arc::new(fsocket(&ctx, SocketType::XPub));
    let front = fbind(&xpub);
    let stop = Arc::new(AtomicBool::new(false));
    let forward = |from: Arc<ferromq::Socket>, to: Arc<ferromq::Socket>, stop: Arc<AtomicBool>| {
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if let Ok(m) = from.recv_timeout(Duration::from_millis(20)) {
                    to.send(m).unwrap();
                }
            }
        })
    };
    let up = forward(xpub.clone(), xsub.clone(), stop.clone());
    let down = forward(xsub.clone(), xpub.clone(), stop.clone());
    let sub = zsocket(&zctx, zmq::SUB);
    sub.set_subscribe(b"t").unwrap();
    sub.connect(&front).unwrap();
    until(|| publisher.send("t-probe", 0).unwrap(), || ztry(&sub));
    while ztry(&sub).is_some() {}
    publisher.send("u: filtered at the publisher", 0).unwrap();
    publisher.send("t: through the proxy", 0).unwrap();
    assert_eq!(strs(&zrecv(&sub, "t")), ["t: through the proxy"]);
    stop.store(true, Ordering::SeqCst);
    up.join().unwrap();
    down.join().unwrap();
}

/// PAIR to PAIR, both directions; a second libzmq PAIR is refused while
/// the first keeps talking.
#[test]
fn pair_both_ways_and_one_peer_only() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let zpair = zsocket(&zctx, zmq::PAIR);
    let (zep, _) = zbind(&zpair);
    let pair = fsocket(&ctx, SocketType::Pair);
    pair.connect(&zep).unwrap();
    pair.send(Message::multipart(["ping", "2"])).unwrap();
    assert_eq!(strs(&zrecv(&zpair, "ping")), ["ping", "2"]);
    zpair.send("pong", 0).unwrap();
    assert_eq!(ftexts(&frecv(&pair, "pong")), ["pong"]);

    let bound = fsocket(&ctx, SocketType::Pair);
    let mon = bound.monitor();
    let ep = fbind(&bound);
    let first = zsocket(&zctx, zmq::PAIR);
    first.connect(&ep).unwrap();
    first.send("first", 0).unwrap();
    assert_eq!(ftexts(&frecv(&bound, "first")), ["first"]);
    let second = zsocket(&zctx, zmq::PAIR);
    second.connect(&ep).unwrap();
    second.send("second", 0).unwrap();
    // The refusal is reported; the second's message never arrives.
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let ferromq::MonitorEvent::HandshakeFailed { reason, .. } =
            mon.recv_timeout(left).unwrap()
        {
            assert!(matches!(reason, ferromq::Reason::Refused(_)), "{reason:?}");
            break;
        }
    }
    bound.send("to first").unwrap();
    assert_eq!(strs(&zrecv(&first, "to first")), ["to first"]);
    assert!(bound
        .recv_timeout(Duration::from_millis(QUIET_MS as u64))
        .is_err());
}

/// A libzmq publisher restarts on the same port: the ferromq SUB
/// resubscribes by itself and receives from the new one.
#[test]
fn ferromq_sub_resubscribes_after_libzmq_pub_restarts() {
    let ctx = Context::new().unwrap();
    let zctx = zmq::Context::new();
    let first = zsocket(&zctx, zmq::PUB);
    let (ep, _) = zbind(&first);
    let sub = ctx
        .socket_with(
            SocketType::Sub,
            Options::default().with_reconnect(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .unwrap();
    sub.subscribe("k").unwrap();
    sub.connect(&ep).unwrap();
    until(
        || first.send("k-probe", 0).unwrap(),
        || sub.recv_timeout(Duration::from_millis(20)).ok(),
    );
    drop(first);
    let second = zsocket(&zctx, zmq::XPUB);
    let deadline = Instant::now() + WAIT;
    while second.bind(&ep).is_err() {
        assert!(Instant::now() < deadline, "rebind");
        std::thread::yield_now();
    }
    assert_eq!(zrecv(&second, "resent subscription"), [b"\x01k".to_vec()]);
    second.send("k after restart", 0).unwrap();
    let m = loop {
        let m = frecv(&sub, "from the new publisher");
        if ftexts(&m)[0] != "k-probe" {
            break m;
        }
    };
    assert_eq!(ftexts(&m), ["k after restart"]);
}
