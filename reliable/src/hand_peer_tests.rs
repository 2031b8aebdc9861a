//! Reliable layer, delivery guarantees checked with consumers written by
//! hand from `docs/RELIABLE.md` (DEALERs speaking the FMQR/1 frames
//! directly): redelivery to the same consumer when it reconnects, and a
//! consumer lost after missed heartbeats. They encode and decode with the
//! crate-private wire codec, so they are unit tests rather than in
//! `tests/reliable_delivery.rs`; they share its helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "../tests/common/reliable.rs"]
mod reliable_common;

use crate::wire::{Downstream, Upstream};
use crate::ProducerConfig;
use bytes::Bytes;
use ferromq::{Context, Message, Options, SocketType};
use reliable_common::*;
use std::time::{Duration, Instant};

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

/// A broken or hostile peer: frames that are not FMQR/1, verbs with missing
/// or wrongly sized arguments, a verb meant for the other direction, the
/// largest credit and heartbeat, acks and nacks for ids it never had. The
/// producer counts what is malformed, ignores the rest, forgets the peer
/// when its promised heartbeat does not come, and keeps serving a
/// well-behaved consumer.
#[test]
fn a_peer_sending_garbage_and_extremes_cannot_stop_the_producer() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let peer = ctx.socket(SocketType::Dealer).unwrap();
    peer.connect(&p.endpoint().to_string()).unwrap();
    let epoch = p.epoch();
    let malformed = [
        Message::multipart(["garbage"]),
        Message::multipart(["FMQR/1"]),
        Message::multipart(["FMQR/1", "READY"]),
        Message::multipart(["FMQR/1", "READY", "xx"]),
        Message::multipart(["FMQR/1", "ACK", "12345678"]),
        Message::multipart(["FMQR/1", "NACK"]),
    ];
    let extreme = [
        Message::multipart(["FMQR/1", "MSG", "not for a producer"]),
        Upstream::Ready {
            credit: u32::MAX,
            heartbeat_ms: u32::MAX,
        }
        .encode(),
        Upstream::Ack {
            epoch,
            ids: vec![u64::MAX, u64::MAX - 1],
        }
        .encode(),
        Upstream::Nack {
            epoch,
            id: u64::MAX,
            reason: "\u{fffd}".repeat(1000),
        }
        .encode(),
        // Last: no credit, and a heartbeat it will not keep.
        Upstream::Ready {
            credit: 0,
            heartbeat_ms: 1,
        }
        .encode(),
    ];
    for m in malformed.iter().chain(&extreme) {
        peer.send(m.clone()).unwrap();
    }
    assert!(
        p.wait_for(ARRIVE, |s| s.protocol_errors == 6
            && s.consumers_lost == 1
            && s.consumers == 0),
        "{:?}",
        p.stats()
    );
    let c = consumer(&ctx, &p, 10);
    for i in 0..3u64 {
        assert_eq!(p.send(format!("{i}")).unwrap(), i);
    }
    for i in 0..3u64 {
        let d = next(&c);
        assert_eq!((d.id, d.delivery_count, text(&d)), (i, 1, i.to_string()));
        c.ack(&d).unwrap();
    }
    assert!(p.wait_for(ARRIVE, |s| s.acked == 3 && s.in_flight == 0));
    drop(peer);
}
