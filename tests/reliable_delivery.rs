//! Reliable layer, delivery guarantees: FIFO, redelivery after an ack
//! timeout and after a lost consumer (to another, or to the same one when it
//! reconnects), and the duplicate window.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use bytes::Bytes;
use ferromq::reliable::wire::{Downstream, Upstream};
use ferromq::reliable::{ConsumerConfig, ProducerConfig};
use ferromq::{Context, Message, Options, SocketType};
use reliable_common::*;
use std::time::{Duration, Instant};

#[test]
fn fifo_from_one_producer_to_one_consumer() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let c = consumer(&ctx, &p, 64);
    for i in 0..2000u64 {
        assert_eq!(p.send(format!("{i}")).unwrap(), i);
    }
    for i in 0..2000u64 {
        let d = next(&c);
        assert_eq!((d.id, d.delivery_count, text(&d)), (i, 1, i.to_string()));
        c.ack(&d).unwrap();
    }
    assert!(p.wait_for(ARRIVE, |s| s.acked == 2000 && s.in_flight == 0));
}

#[test]
fn ack_timeout_redelivers_with_a_higher_count() {
    let ctx = Context::new().unwrap();
    let timeout = Duration::from_millis(300);
    let p = producer(&ctx, ProducerConfig::default().with_ack_timeout(timeout));
    // Both known before the clock starts; `stuck` said READY first, so it
    // gets the message, then stays connected and heartbeating but never
    // acks in time. When the deadline passes, `other` is next in the ring.
    let stuck = consumer(&ctx, &p, 1);
    let other = consumer(&ctx, &p, 1);
    p.send("job").unwrap();
    let first = next(&stuck);
    let got_first = Instant::now();
    assert_eq!((first.id, first.delivery_count), (0, 1));
    let again = next(&other);
    let waited = got_first.elapsed();
    assert_eq!(
        (again.id, again.delivery_count, text(&again)),
        (0, 2, "job".into())
    );
    assert!(
        waited >= timeout - Duration::from_millis(50),
        "redelivered after {waited:?}"
    );
    assert!(
        waited < timeout + Duration::from_secs(5),
        "redelivered after {waited:?}"
    );
    assert_eq!(p.stats().timeouts, 1);
    // The late ack settles it; the second ack is harmless.
    stuck.ack(&first).unwrap();
    other.ack(&again).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.acked == 1 && s.in_flight == 0));
}

#[test]
fn lost_consumer_messages_go_to_another_consumer() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    // Heartbeats so rare that only the disconnect can explain a quick loss.
    let slow_hb = ConsumerConfig::default()
        .with_prefetch(10)
        .with_heartbeat(Duration::from_secs(30));
    let a = consumer_with(&ctx, &p, slow_hb);
    for i in 0..3 {
        p.send(format!("m{i}")).unwrap();
    }
    for i in 0..3 {
        assert_eq!(next(&a).id, i);
    }
    a.close();
    assert!(
        p.wait_for(ARRIVE, |s| s.consumers_lost == 1 && s.pending == 3),
        "disconnect not noticed: {:?}",
        p.stats()
    );
    let b = consumer(&ctx, &p, 10);
    for i in 0..3 {
        let d = next(&b);
        assert_eq!((d.id, d.delivery_count, text(&d)), (i, 2, format!("m{i}")));
        b.ack(&d).unwrap();
    }
    assert!(p.wait_for(ARRIVE, |s| s.acked == 3));
}

/// A consumer written by hand from `docs/RELIABLE.md` (a DEALER speaking the
/// frames directly) loses its connection and comes back with the same
/// routing id: what it held is redelivered to it.
#[test]
fn same_consumer_gets_its_messages_back_when_it_reconnects() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let ep = p.endpoint().to_string();
    let hand_peer = || {
        let opts = Options::default().with_routing_id("worker-7");
        let s = ctx.socket_with(SocketType::Dealer, opts).unwrap();
        s.connect(&ep).unwrap();
        let ready = Upstream::Ready {
            credit: 5,
            heartbeat_ms: 0,
        };
        s.send(ready.encode()).unwrap();
        s
    };
    let s = hand_peer();
    assert!(p.wait_for(ARRIVE, |st| st.consumers == 1));
    p.send(Message::multipart(["a", "b"])).unwrap();
    let m = s.recv_timeout(ARRIVE).unwrap();
    let Ok(Downstream::Msg {
        epoch,
        id,
        delivery_count,
        body,
    }) = Downstream::decode(m)
    else {
        panic!("not a MSG")
    };
    assert_eq!((epoch, id, delivery_count), (p.epoch(), 0, 1));
    assert_eq!(body, Message::multipart(["a", "b"]));
    drop(s);
    assert!(p.wait_for(ARRIVE, |st| st.consumers == 0 && st.pending == 1));
    let s = hand_peer();
    let m = s.recv_timeout(ARRIVE).unwrap();
    let Ok(Downstream::Msg {
        id, delivery_count, ..
    }) = Downstream::decode(m)
    else {
        panic!("not a MSG")
    };
    assert_eq!((id, delivery_count), (0, 2));
    let ack = Upstream::Ack {
        epoch,
        ids: vec![id],
    };
    s.send(ack.encode()).unwrap();
    assert!(p.wait_for(ARRIVE, |st| st.acked == 1));
    // An ack naming another epoch (a previous producer instance) is ignored.
    p.send("x").unwrap();
    let stale = Upstream::Ack {
        epoch: epoch ^ 1,
        ids: vec![1],
    };
    s.send(stale.encode()).unwrap();
    let _ = s.recv_timeout(ARRIVE).unwrap();
    s.send(Message::multipart([
        Bytes::from_static(b"FMQR/1"),
        Bytes::from_static(b"ACK"),
    ]))
    .unwrap();
    assert!(p.wait_for(ARRIVE, |st| st.protocol_errors == 1));
    let st = p.stats();
    assert_eq!((st.acked, st.in_flight), (1, 1));
}

#[test]
fn dedup_window_drops_a_redelivery_whose_ack_crossed_it() {
    let ctx = Context::new().unwrap();
    let timeout = Duration::from_millis(200);
    let p = producer(&ctx, ProducerConfig::default().with_ack_timeout(timeout));
    let c = consumer(&ctx, &p, 1);
    p.send("once").unwrap();
    let d = next(&c);
    // Hold the ack past the timeout: the producer redelivers to `c`.
    assert!(p.wait_for(ARRIVE, |s| s.redelivered == 1));
    c.ack(&d).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.acked == 1));
    // The redelivery (count 2) arrives, is recognised and dropped, and acked
    // again; the application never sees it.
    expect_nothing(&c, ARRIVE, |c| c.stats().duplicates_dropped == 1);
    let s = c.stats();
    assert_eq!((s.delivered, s.duplicates_dropped, s.acked), (1, 1, 1));
}

#[test]
fn dedup_window_drops_a_redelivery_of_a_message_in_progress() {
    let ctx = Context::new().unwrap();
    let p = producer(
        &ctx,
        ProducerConfig::default().with_ack_timeout(Duration::from_millis(100)),
    );
    let c = consumer(&ctx, &p, 1);
    p.send("slow job").unwrap();
    let d = next(&c);
    // Still processing while two ack timeouts pass: both redeliveries
    // come back to `c` and are dropped.
    assert!(p.wait_for(ARRIVE, |s| s.redelivered >= 2));
    expect_nothing(&c, ARRIVE, |c| c.stats().duplicates_dropped >= 2);
    c.ack(&d).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.acked == 1 && s.in_flight == 0));
    assert_eq!(c.stats().delivered, 1);
}

/// A consumer whose connection stays up (its socket still answers ZMTP
/// heartbeats) but whose application fell silent: after three of its
/// promised heartbeat intervals without a word, it is lost and what it held
/// goes to another consumer.
#[test]
fn silent_consumer_is_lost_after_missed_heartbeats() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let silent = ctx.socket(SocketType::Dealer).unwrap();
    silent.connect(&p.endpoint().to_string()).unwrap();
    let ready = Upstream::Ready {
        credit: 5,
        heartbeat_ms: 100,
    };
    silent.send(ready.encode()).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.consumers == 1));
    p.send("job").unwrap();
    let got = silent.recv_timeout(ARRIVE).unwrap();
    let since = Instant::now();
    assert!(matches!(
        Downstream::decode(got),
        Ok(Downstream::Msg { id: 0, .. })
    ));
    assert!(p.wait_for(ARRIVE, |s| s.consumers_lost == 1 && s.pending == 1));
    let lost_after = since.elapsed();
    assert!(lost_after >= Duration::from_millis(250), "{lost_after:?}");
    let c = consumer(&ctx, &p, 5);
    let d = next(&c);
    assert_eq!((d.id, d.delivery_count), (0, 2));
    c.ack(&d).unwrap();
    drop(silent);
}
