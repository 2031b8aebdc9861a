//! Reliable layer, delivery guarantees: FIFO, redelivery after an ack
//! timeout and after a lost consumer, and the duplicate window. (Redelivery
//! to the same consumer when it reconnects, and a consumer lost after missed
//! heartbeats, need hand-written FMQR/1 peers and so the crate-private wire
//! codec: they are unit tests in `src/hand_peer_tests.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use ferromq::Context;
use ferromq_reliable::{ConsumerConfig, ProducerConfig};
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
