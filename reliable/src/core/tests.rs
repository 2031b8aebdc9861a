use super::*;
use bytes::Bytes;

fn c(name: &'static str) -> ConsumerId {
    Bytes::from_static(name.as_bytes())
}

fn cfg() -> CoreConfig {
    CoreConfig {
        capacity: 100,
        max_deliveries: 3,
        ack_timeout: Duration::from_secs(10),
        default_delay: Duration::ZERO,
        max_credit: 1000,
        consumer_timeout: Duration::from_secs(60),
    }
}

const HB: Duration = Duration::from_secs(1);

/// Every dispatch available now, as (consumer, id, count).
fn drain(core: &mut ProducerCore, now: Instant) -> Vec<(ConsumerId, u64, u32)> {
    let mut out = Vec::new();
    while let Some(d) = core.next_dispatch(now) {
        if let Dispatch::Msg {
            consumer,
            id,
            delivery_count,
            ..
        } = d
        {
            out.push((consumer, id, delivery_count));
        }
    }
    out
}

fn events(core: &mut ProducerCore) -> Vec<Event> {
    std::iter::from_fn(|| core.take_event()).collect()
}

#[test]
fn fifo_credit_and_acks() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    for i in 0..5 {
        assert_eq!(core.submit(Message::from(format!("{i}")), None, t), Ok(i));
    }
    assert!(drain(&mut core, t).is_empty(), "no consumer yet");
    core.on_ready(&c("a"), 2, HB, t);
    let got = drain(&mut core, t);
    assert_eq!(got, vec![(c("a"), 0, 1), (c("a"), 1, 1)]);
    assert_eq!(core.held(&c("a")), Some(2));
    assert!(core.on_ack(&c("a"), 0, t));
    assert!(!core.on_ack(&c("a"), 0, t), "second ack is not news");
    assert_eq!(drain(&mut core, t), vec![(c("a"), 2, 1)]);
    assert_eq!(events(&mut core), vec![Event::Acked(0)]);
    let s = core.stats();
    assert_eq!((s.pending, s.in_flight, s.acked), (2, 2, 1));
}

#[test]
fn round_robin_over_consumers_with_room() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 1, HB, t);
    core.on_ready(&c("b"), 3, HB, t);
    for _ in 0..6 {
        core.submit(Message::from("x"), None, t).unwrap();
    }
    let got: Vec<_> = drain(&mut core, t).into_iter().map(|d| d.0).collect();
    assert_eq!(got, vec![c("a"), c("b"), c("b"), c("b")]);
    assert_eq!(core.held(&c("a")), Some(1), "a holds at most its credit");
}

#[test]
fn ack_timeout_redelivers_then_dead_letters() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 9);
    core.on_ready(&c("a"), 10, Duration::ZERO, t);
    core.submit(Message::from("m"), None, t).unwrap();
    let mut now = t;
    for n in 1..=3 {
        assert_eq!(drain(&mut core, now), vec![(c("a"), 0, n)]);
        let due = core.next_deadline().unwrap();
        assert_eq!(due, now + Duration::from_secs(10));
        core.on_tick(due - Duration::from_millis(1));
        assert_eq!(core.stats().in_flight, 1, "not before the deadline");
        now = due;
        core.on_seen(&c("a"), now);
        core.on_tick(now);
    }
    match events(&mut core).as_slice() {
        [Event::DeadLettered(d)] => {
            assert_eq!((d.epoch, d.id, d.delivery_count), (9, 0, 3));
            assert_eq!(d.reason, "ack timeout");
            assert_eq!(d.body, Message::from("m"));
        }
        other => panic!("{other:?}"),
    }
    assert!(core.is_empty());
    assert_eq!(core.stats().timeouts, 3);
}

#[test]
fn nack_counts_only_from_the_holder() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 1, HB, t);
    core.on_ready(&c("b"), 1, HB, t);
    core.submit(Message::from("m"), None, t).unwrap();
    let first = drain(&mut core, t);
    assert_eq!(first.len(), 1);
    let holder = first[0].0.clone();
    let other = if holder == c("a") { c("b") } else { c("a") };
    core.on_nack(&other, 0, "not mine", t);
    assert_eq!(core.stats().nacks, 0);
    core.on_nack(&holder, 0, "bad", t);
    let again = drain(&mut core, t);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].2, 2);
    assert_eq!(core.stats().redelivered, 1);
}

#[test]
fn lost_consumer_messages_go_first_to_another() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 3, HB, t);
    for _ in 0..5 {
        core.submit(Message::from("m"), None, t).unwrap();
    }
    assert_eq!(drain(&mut core, t).len(), 3);
    core.on_consumer_gone(&c("a"));
    assert_eq!(core.stats().pending, 5);
    core.on_ready(&c("b"), 10, HB, t);
    let got: Vec<_> = drain(&mut core, t).iter().map(|d| (d.1, d.2)).collect();
    assert_eq!(got, vec![(0, 2), (1, 2), (2, 2), (3, 1), (4, 1)]);
    // A late ack from the lost consumer still settles the message.
    assert!(core.on_ack(&c("a"), 1, t));
    assert_eq!(core.held(&c("b")), Some(4));
}

#[test]
fn silent_consumer_is_lost_after_three_heartbeats() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 3, HB, t);
    core.submit(Message::from("m"), None, t).unwrap();
    drain(&mut core, t);
    core.on_ready(&c("a"), 3, HB, t + HB);
    core.on_tick(t + HB * 3);
    assert_eq!(core.stats().consumers, 1);
    assert_eq!(core.next_deadline(), Some(t + HB * 4));
    core.on_tick(t + HB * 4);
    let s = core.stats();
    assert_eq!((s.consumers, s.consumers_lost, s.pending), (0, 1, 1));
}

#[test]
fn delayed_messages_wait_for_their_time() {
    let t = Instant::now();
    let mut core = ProducerCore::new(
        CoreConfig {
            default_delay: Duration::from_secs(5),
            ..cfg()
        },
        1,
    );
    core.on_ready(&c("a"), 10, Duration::ZERO, t);
    core.submit(Message::from("default"), None, t).unwrap();
    core.submit(Message::from("later"), Some(t + Duration::from_secs(2)), t)
        .unwrap();
    core.submit(Message::from("now"), Some(t), t).unwrap();
    assert_eq!(drain(&mut core, t), vec![(c("a"), 2, 1)]);
    assert_eq!(core.stats().delayed, 2);
    assert_eq!(core.next_deadline(), Some(t + Duration::from_secs(2)));
    core.on_tick(t + Duration::from_millis(1999));
    assert!(drain(&mut core, t).is_empty());
    core.on_tick(t + Duration::from_secs(2));
    assert_eq!(drain(&mut core, t), vec![(c("a"), 1, 1)]);
    core.on_tick(t + Duration::from_secs(5));
    assert_eq!(drain(&mut core, t), vec![(c("a"), 0, 1)]);
}

#[test]
fn capacity_bounds_everything_held() {
    let t = Instant::now();
    let mut core = ProducerCore::new(
        CoreConfig {
            capacity: 2,
            ..cfg()
        },
        1,
    );
    core.submit(Message::from("a"), None, t).unwrap();
    core.submit(Message::from("b"), Some(t + HB), t).unwrap();
    assert_eq!(
        core.submit(Message::from("c"), None, t),
        Err(Message::from("c"))
    );
    core.on_ready(&c("a"), 5, HB, t);
    drain(&mut core, t);
    core.on_ack(&c("a"), 0, t);
    assert!(core.submit(Message::from("c"), None, t).is_ok());
}

#[test]
fn pill_after_everything_settles_and_for_latecomers() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 5, HB, t);
    core.submit(Message::from("m"), None, t).unwrap();
    drain(&mut core, t);
    core.finish();
    assert_eq!(
        core.submit(Message::from("x"), None, t),
        Err(Message::from("x"))
    );
    assert_eq!(core.next_dispatch(t), None, "a message is still in flight");
    core.on_ack(&c("a"), 0, t);
    assert_eq!(
        core.next_dispatch(t),
        Some(Dispatch::Eof { consumer: c("a") })
    );
    assert_eq!(core.next_dispatch(t), None);
    core.on_ready(&c("b"), 5, HB, t);
    assert_eq!(
        core.next_dispatch(t),
        Some(Dispatch::Eof { consumer: c("b") })
    );
}

#[test]
fn failed_send_is_undone() {
    let t = Instant::now();
    let mut core = ProducerCore::new(cfg(), 1);
    core.on_ready(&c("a"), 5, HB, t);
    core.on_ready(&c("b"), 5, HB, t);
    core.submit(Message::from("m"), None, t).unwrap();
    let (who, id, _) = drain(&mut core, t).remove(0);
    core.send_failed(&who, id, true);
    assert_eq!(core.stats().consumers, 1);
    let again = drain(&mut core, t);
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].0, who);
    assert_eq!(again[0].2, 1, "an undone send is not a delivery");
    // Paused (pipe full) until the next READY.
    let other = again[0].0.clone();
    core.send_failed(&other, id, false);
    assert!(drain(&mut core, t).is_empty());
    core.on_ready(&other, 5, HB, t);
    assert_eq!(drain(&mut core, t), vec![(other, 0, 1)]);
}

#[test]
fn settled_deadlines_do_not_wake_the_driver() {
    let t = Instant::now();
    let mut core = ProducerCore::new(
        CoreConfig {
            consumer_timeout: Duration::from_secs(3600),
            ..cfg()
        },
        1,
    );
    core.on_ready(&c("a"), 100, Duration::ZERO, t);
    for i in 0..50u64 {
        core.submit(Message::from("m"), None, t).unwrap();
        let now = t + Duration::from_millis(i);
        drain(&mut core, now);
        core.on_ack(&c("a"), i, now);
    }
    // Only the consumer's liveness (last heard at the last ack) remains.
    let last = t + Duration::from_millis(49);
    assert_eq!(core.next_deadline(), Some(last + Duration::from_secs(3600)));
}

/// Time arithmetic saturates: a peer's longest heartbeat, the longest
/// timeouts and delays, at the latest instant the platform can represent,
/// panic nowhere (the driver thread would die with the lock held).
#[test]
fn deadlines_saturate_at_the_end_of_time() {
    use crate::clock::{later, MAX_DURATION};
    let end = later(Instant::now(), Duration::MAX);
    let mut core = ProducerCore::new(
        CoreConfig {
            ack_timeout: MAX_DURATION,
            consumer_timeout: MAX_DURATION,
            default_delay: MAX_DURATION,
            ..cfg()
        },
        1,
    );
    let longest_heartbeat = Duration::from_millis(u64::from(u32::MAX));
    core.on_ready(&c("a"), u32::MAX, longest_heartbeat, end);
    core.on_ready(&c("b"), 1, Duration::ZERO, end);
    let id = core.submit(Message::from("m"), None, end).unwrap();
    core.submit(Message::from("n"), Some(end), end).unwrap();
    // Nothing can be later than `end`: both are due, and go out.
    assert_eq!(drain(&mut core, end).len(), 2);
    assert_eq!(core.next_deadline(), Some(end));
    core.on_ack(&c("a"), id, end);
    // Every deadline has come: the other delivery times out, and both
    // consumers are silent.
    core.on_tick(end);
    let s = core.stats();
    assert_eq!((s.acked, s.timeouts, s.consumers), (1, 1, 0));
}
