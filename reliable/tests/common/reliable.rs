//! Helpers for the reliable-layer tests (`reliable_*.rs`), included with
//! `#[path = "common/reliable.rs"] mod reliable_common;`.
//!
//! Waits are on conditions with deadlines; nothing sleeps to synchronise.
#![allow(dead_code)] // each test file uses a different subset

use ferromq::{Context, Error};
use ferromq_reliable::{Consumer, ConsumerConfig, Delivery, Producer, ProducerConfig};
use std::time::{Duration, Instant};

/// Generous: only a failing test waits this long.
pub(crate) const ARRIVE: Duration = Duration::from_secs(10);

/// A producer on a free loopback port.
pub(crate) fn producer(ctx: &Context, cfg: ProducerConfig) -> Producer {
    Producer::bind(ctx, "tcp://127.0.0.1:0", cfg).expect("producer binds")
}

/// A consumer of `p` with credit `prefetch`, once `p` knows it.
pub(crate) fn consumer(ctx: &Context, p: &Producer, prefetch: u32) -> Consumer {
    consumer_with(ctx, p, ConsumerConfig::default().with_prefetch(prefetch))
}

/// A consumer of `p` with `cfg`, once `p` knows it.
pub(crate) fn consumer_with(ctx: &Context, p: &Producer, cfg: ConsumerConfig) -> Consumer {
    let known = p.stats().consumers;
    let c = Consumer::connect(ctx, &p.endpoint().to_string(), cfg).expect("consumer connects");
    assert!(
        p.wait_for(ARRIVE, |s| s.consumers > known),
        "producer never saw the consumer's READY"
    );
    c
}

/// The next delivery, which must come.
pub(crate) fn next(c: &Consumer) -> Delivery {
    c.recv_timeout(ARRIVE).expect("a delivery arrives")
}

/// Receive for `window`, failing on any delivery; stop early once `done`.
pub(crate) fn expect_nothing(c: &Consumer, window: Duration, done: impl Fn(&Consumer) -> bool) {
    let until = Instant::now() + window;
    while !done(c) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        match c.recv_timeout(left.min(Duration::from_millis(50))) {
            Err(Error::TimedOut) => {}
            other => panic!("expected nothing, got {other:?}"),
        }
    }
}

/// The body as text.
pub(crate) fn text(d: &Delivery) -> String {
    String::from_utf8_lossy(&d.body.frames()[0]).into_owned()
}
