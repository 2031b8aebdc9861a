//! Reliable layer, queue behaviour: dead letters, delayed delivery, credit,
//! busy at the bound with blocking and retrying sends, the poison pill.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use ferromq::{Context, Error, Message, SocketType};
use ferromq_reliable::{
    Backoff, DeadLetter, DeadLetterTarget, ProducerConfig, SendOptions, SubmitError,
};
use reliable_common::*;
use std::time::{Duration, Instant};

#[test]
fn rejected_message_is_dead_lettered_with_reason_and_count() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default().with_max_deliveries(3));
    let c = consumer(&ctx, &p, 10);
    p.send(Message::multipart(["poison", "payload"])).unwrap();
    for n in 1..=3 {
        let d = next(&c);
        assert_eq!((d.id, d.delivery_count), (0, n));
        c.nack(&d, "cannot parse").unwrap();
    }
    let dead = p.recv_dead_letter(ARRIVE).unwrap();
    assert_eq!((dead.id, dead.delivery_count), (0, 3));
    assert_eq!(dead.reason, "nack: cannot parse");
    assert_eq!(dead.body, Message::multipart(["poison", "payload"]));
    assert_eq!(dead.epoch, p.epoch());
    // It no longer blocks the queue or takes retries.
    p.send("next").unwrap();
    let d = next(&c);
    assert_eq!((d.id, text(&d)), (1, "next".to_string()));
    c.ack(&d).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.acked == 1
        && s.dead_lettered == 1
        && s.in_flight == 0));
}

#[test]
fn timed_out_message_is_dead_lettered_to_a_named_endpoint() {
    let ctx = Context::new().unwrap();
    let dlq = ctx.socket(SocketType::Pull).unwrap();
    let dlq_ep = dlq.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let cfg = ProducerConfig::default()
        .with_ack_timeout(Duration::from_millis(100))
        .with_max_deliveries(2)
        .with_dead_letters(DeadLetterTarget::Endpoint(dlq_ep));
    let p = producer(&ctx, cfg);
    let c = consumer(&ctx, &p, 1);
    p.send(Message::multipart(["order", "17"])).unwrap();
    let d = next(&c); // and never acked
    let dead = DeadLetter::decode(dlq.recv_timeout(ARRIVE).unwrap()).unwrap();
    assert_eq!((dead.id, dead.delivery_count), (d.id, 2));
    assert_eq!(dead.reason, "ack timeout");
    assert_eq!(dead.body, Message::multipart(["order", "17"]));
    assert!(matches!(
        p.recv_dead_letter(Duration::ZERO),
        Err(Error::TimedOut)
    ));
    assert_eq!(p.stats().timeouts, 2);
}

#[test]
fn delayed_messages_are_not_seen_early_and_are_seen_on_time() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let c = consumer(&ctx, &p, 10);
    let delay = Duration::from_millis(400);
    let sent = Instant::now();
    p.try_send_with("later", SendOptions::delay(delay)).unwrap();
    p.try_send_with("at", SendOptions::at(sent + delay / 2))
        .unwrap();
    p.send("now").unwrap();
    assert!(p.stats().delayed >= 1, "held back, not pending");
    let order: Vec<(String, Duration)> = (0..3)
        .map(|_| {
            let d = next(&c);
            c.ack(&d).unwrap();
            (text(&d), sent.elapsed())
        })
        .collect();
    assert_eq!(order[0].0, "now");
    assert_eq!(order[1].0, "at");
    assert_eq!(order[2].0, "later");
    assert!(order[1].1 >= delay / 2, "'at' seen early: {:?}", order[1].1);
    assert!(order[2].1 >= delay, "'later' seen early: {:?}", order[2].1);
    let slack = Duration::from_secs(3);
    assert!(order[2].1 < delay + slack, "'later' late: {:?}", order[2].1);
}

#[test]
fn queue_default_delay_applies_to_plain_sends() {
    let ctx = Context::new().unwrap();
    let delay = Duration::from_millis(300);
    let p = producer(&ctx, ProducerConfig::default().with_default_delay(delay));
    let c = consumer(&ctx, &p, 10);
    let sent = Instant::now();
    p.send("job").unwrap();
    let d = next(&c);
    let seen = sent.elapsed();
    assert!(
        seen >= delay && seen < delay + Duration::from_secs(3),
        "{seen:?}"
    );
    c.ack(&d).unwrap();
}

#[test]
fn slow_consumer_holds_at_most_its_credit() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let slow = consumer(&ctx, &p, 2);
    let fast = consumer(&ctx, &p, 100);
    for i in 0..50 {
        p.send(format!("{i}")).unwrap();
    }
    let mut fast_got = 0;
    while fast_got < 48 {
        let d = next(&fast);
        fast.ack(&d).unwrap();
        fast_got += 1;
        assert!(p.held_by(slow.routing_id()).unwrap() <= 2);
    }
    assert!(p.wait_for(ARRIVE, |s| s.acked == 48 && s.pending == 0));
    assert_eq!(p.held_by(slow.routing_id()), Some(2));
    let held = [next(&slow), next(&slow)];
    assert!(matches!(slow.try_recv(), Err(Error::WouldBlock)));
    slow.ack_many(&held).unwrap();
    assert!(p.wait_for(ARRIVE, |s| s.acked == 50));
    assert_eq!(fast.stats().delivered, 48);
}

#[test]
fn busy_at_the_bound_then_blocking_and_retrying_sends() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default().with_capacity(3));
    for i in 0..3 {
        // Pending, delayed and in flight all count.
        let opts = if i == 1 {
            SendOptions::delay(Duration::from_millis(1))
        } else {
            SendOptions::default()
        };
        assert_eq!(p.try_send_with(format!("{i}"), opts).unwrap(), i);
    }
    match p.try_send("x") {
        Err(SubmitError::Busy(m)) => assert_eq!(m, Message::from("x")),
        other => panic!("expected Busy, got {other:?}"),
    }
    let t = Instant::now();
    match p.send_timeout("x", Duration::from_millis(150)) {
        Err(SubmitError::TimedOut(m)) => assert_eq!(m, Message::from("x")),
        other => panic!("expected TimedOut, got {other:?}"),
    }
    assert!(t.elapsed() >= Duration::from_millis(150));
    std::thread::scope(|s| {
        let blocked = s.spawn(|| p.send("blocked"));
        let retried = s.spawn(|| {
            let b = Backoff::new(Duration::from_millis(1), Duration::from_millis(20), 10_000);
            p.send_retry("retried", SendOptions::default(), &b)
        });
        // Room comes free only as a consumer acks.
        let c = consumer(&ctx, &p, 1);
        for _ in 0..5 {
            let d = next(&c);
            c.ack(&d).unwrap();
        }
        let mut ids = [
            blocked.join().unwrap().unwrap(),
            retried.join().unwrap().unwrap(),
        ];
        ids.sort_unstable();
        assert_eq!(ids, [3, 4]);
    });
    assert!(p.wait_for(ARRIVE, |s| s.acked == 5));
}

#[test]
fn pill_waits_for_everything_to_settle_then_ends_every_consumer() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let a = consumer(&ctx, &p, 10);
    let b = consumer(&ctx, &p, 10);
    for i in 0..4 {
        p.send(format!("{i}")).unwrap();
    }
    let mut held = Vec::new();
    let until = Instant::now() + ARRIVE;
    while held.len() < 4 {
        assert!(Instant::now() < until, "only {} delivered", held.len());
        for c in [&a, &b] {
            if let Ok(d) = c.recv_timeout(Duration::from_millis(20)) {
                held.push((c, d));
            }
        }
    }
    p.finish();
    assert!(matches!(p.try_send("late"), Err(SubmitError::Closed(_))));
    // Nothing is settled yet: no pill.
    expect_nothing(&a, Duration::from_millis(200), |_| false);
    for (c, d) in &held {
        c.ack(d).unwrap();
    }
    for c in [&a, &b] {
        assert!(matches!(c.recv_timeout(ARRIVE), Err(Error::EndOfStream)));
        assert!(matches!(c.try_recv(), Err(Error::EndOfStream)));
    }
    // A consumer that arrives after the pill gets it too.
    let late = consumer(&ctx, &p, 1);
    assert!(matches!(late.recv_timeout(ARRIVE), Err(Error::EndOfStream)));
}
