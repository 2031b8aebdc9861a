//! Reliable layer and the `Context`'s lifetime: a producer and a consumer
//! keep their context alive (dropping the application's last handle of a
//! `Context` shuts it down, like `zmq_ctx_term`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use ferromq::{Context, Error};
use ferromq_reliable::ProducerConfig;
use reliable_common::*;

/// The application makes each end from its own context and drops both
/// handles at once: the producer and the consumer hold their own, so the
/// queue goes on working end to end, pill included.
#[test]
fn dropping_the_applications_context_handles_does_not_stop_them() {
    let (pctx, cctx) = (Context::new().unwrap(), Context::new().unwrap());
    let p = producer(&pctx, ProducerConfig::default().with_confirmations(true));
    let c = consumer(&cctx, &p, 10);
    drop(pctx);
    drop(cctx);
    for i in 0..3u64 {
        assert_eq!(p.send(format!("job {i}")).unwrap(), i);
    }
    for i in 0..3u64 {
        let d = next(&c);
        assert_eq!(
            (d.id, d.delivery_count, text(&d)),
            (i, 1, format!("job {i}"))
        );
        c.ack(&d).unwrap();
    }
    let mut confirmed = Vec::new();
    while confirmed.len() < 3 {
        confirmed.extend(p.recv_confirmations(ARRIVE).unwrap());
    }
    assert_eq!(confirmed, [0, 1, 2]);
    p.finish();
    assert!(matches!(c.recv_timeout(ARRIVE), Err(Error::EndOfStream)));
}
