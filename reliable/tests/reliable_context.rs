//! Reliable layer and the `Context`'s lifetime: a producer and a consumer
//! keep their context alive (dropping the application's last handle of a
//! `Context` shuts it down, like `zmq_ctx_term`), and an explicit
//! `Context::shutdown` stops them with typed errors instead of hanging.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use ferromq::{Context, Error, Message};
use ferromq_reliable::{ProducerConfig, SubmitError};
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

/// `Context::shutdown` is still the way to stop everything made from it:
/// a send blocked on a full queue returns `Closed` with its message, waits
/// for reports end with `Terminated`, and so does the consumer's receive.
#[test]
fn shutting_the_context_down_ends_blocked_calls_with_typed_errors() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default().with_capacity(1));
    let c = consumer(&ctx, &p, 1);
    p.send("held").unwrap();
    let d = next(&c); // in flight, never acked: the queue stays full
    assert_eq!(text(&d), "held");
    std::thread::scope(|s| {
        let blocked = s.spawn(|| p.send("waits for room"));
        let waiting = s.spawn(|| p.recv_dead_letter(ARRIVE * 6));
        assert!(!blocked.is_finished());
        ctx.shutdown();
        match blocked.join().unwrap() {
            Err(SubmitError::Closed(m)) => assert_eq!(m, Message::from("waits for room")),
            other => panic!("expected Closed, got {other:?}"),
        }
        assert!(matches!(waiting.join().unwrap(), Err(Error::Terminated)));
    });
    assert!(matches!(p.try_send("late"), Err(SubmitError::Closed(_))));
    assert!(matches!(c.recv_timeout(ARRIVE), Err(Error::Terminated)));
}
