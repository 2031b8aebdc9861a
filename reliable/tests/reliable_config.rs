//! Reliable layer, settings out of range: every misuse is a typed error
//! naming the setting — at `Producer::bind` / `Consumer::connect` for the
//! configurations, at the send for per-message options — never a panic, a
//! dead driver thread, a spinning heartbeat or a message delivered at the
//! wrong time. The largest accepted values work.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#[path = "common/reliable.rs"]
mod reliable_common;

use ferromq::defaults::MAX_DURATION;
use ferromq::{Context, Error, Message, Options};
use ferromq_reliable::{
    Backoff, Consumer, ConsumerConfig, DeadLetterTarget, Producer, ProducerConfig, SendOptions,
    SubmitError,
};
use reliable_common::*;
use std::time::{Duration, Instant};

const AT_LEAST_ONE: &str = "must be at least 1";
const NON_ZERO: &str = "must be non-zero";
const AT_MOST_365_DAYS: &str = "must be at most 365 days";
const HEARTBEAT_MIN: &str = "must be at least 1 ms";
const HEARTBEAT_MAX: &str = "must be at most 4294967295 ms (READY carries a u32)";

const NS: Duration = Duration::from_nanos(1);
/// The largest heartbeat READY can carry.
const HEARTBEAT_LIMIT: Duration = Duration::from_millis(u32::MAX as u64);

/// `result` is `InvalidOption` with exactly this option name and reason.
fn assert_invalid<T: std::fmt::Debug>(
    case: &str,
    result: ferromq::Result<T>,
    option: &str,
    reason: &str,
) {
    match result {
        Err(Error::InvalidOption {
            option: o,
            reason: r,
        }) => assert_eq!((o, r), (option, reason), "{case}"),
        other => panic!("{case}: expected InvalidOption {option:?}, got {other:?}"),
    }
}

#[test]
fn producer_config_out_of_range_is_refused_at_bind() {
    let ctx = Context::new().unwrap();
    let d = ProducerConfig::default;
    let cases = [
        ("capacity 0", d().with_capacity(0), "capacity", AT_LEAST_ONE),
        (
            "max_deliveries 0",
            d().with_max_deliveries(0),
            "max_deliveries",
            AT_LEAST_ONE,
        ),
        (
            "max_credit 0",
            d().with_max_credit(0),
            "max_credit",
            AT_LEAST_ONE,
        ),
        (
            "ack_timeout 0",
            d().with_ack_timeout(Duration::ZERO),
            "ack_timeout",
            NON_ZERO,
        ),
        (
            "ack_timeout MAX",
            d().with_ack_timeout(Duration::MAX),
            "ack_timeout",
            AT_MOST_365_DAYS,
        ),
        (
            "ack_timeout just over 365 days",
            d().with_ack_timeout(MAX_DURATION + NS),
            "ack_timeout",
            AT_MOST_365_DAYS,
        ),
        (
            "consumer_timeout 0",
            d().with_consumer_timeout(Duration::ZERO),
            "consumer_timeout",
            NON_ZERO,
        ),
        (
            "consumer_timeout MAX",
            d().with_consumer_timeout(Duration::MAX),
            "consumer_timeout",
            AT_MOST_365_DAYS,
        ),
        (
            "default_delay MAX",
            d().with_default_delay(Duration::MAX),
            "default_delay",
            AT_MOST_365_DAYS,
        ),
        (
            "default_delay just over 365 days",
            d().with_default_delay(MAX_DURATION + NS),
            "default_delay",
            AT_MOST_365_DAYS,
        ),
        // The ROUTER's options are ferromq's own checks, made before binding.
        (
            "socket linger MAX",
            d().with_socket(Options::default().with_linger(Duration::MAX)),
            "linger",
            AT_MOST_365_DAYS,
        ),
    ];
    for (case, cfg, option, reason) in cases {
        assert_invalid(case, cfg.validate(), option, reason);
        assert_invalid(
            case,
            Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg),
            option,
            reason,
        );
    }
    // A dead-letter endpoint that cannot parse is refused before binding too.
    let cfg = d().with_dead_letters(DeadLetterTarget::Endpoint("nowhere".into()));
    assert!(matches!(cfg.validate(), Err(Error::InvalidEndpoint { .. })));
    assert!(matches!(
        Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg),
        Err(Error::InvalidEndpoint { .. })
    ));
}

#[test]
fn consumer_config_out_of_range_is_refused_at_connect() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let ep = p.endpoint().to_string();
    let d = ConsumerConfig::default;
    let cases = [
        ("prefetch 0", d().with_prefetch(0), "prefetch", AT_LEAST_ONE),
        (
            "heartbeat 0 (would spin)",
            d().with_heartbeat(Duration::ZERO),
            "heartbeat",
            HEARTBEAT_MIN,
        ),
        (
            "heartbeat under 1 ms (0 on the wire)",
            d().with_heartbeat(Duration::from_micros(999)),
            "heartbeat",
            HEARTBEAT_MIN,
        ),
        (
            "heartbeat MAX",
            d().with_heartbeat(Duration::MAX),
            "heartbeat",
            HEARTBEAT_MAX,
        ),
        (
            "heartbeat over u32::MAX ms",
            d().with_heartbeat(HEARTBEAT_LIMIT + Duration::from_millis(1)),
            "heartbeat",
            HEARTBEAT_MAX,
        ),
        (
            "dedup capacity 0",
            d().with_dedup(0, Duration::from_secs(60)),
            "dedup_capacity",
            AT_LEAST_ONE,
        ),
        (
            "dedup ttl 0",
            d().with_dedup(10, Duration::ZERO),
            "dedup_ttl",
            NON_ZERO,
        ),
        (
            "dedup ttl MAX",
            d().with_dedup(10, Duration::MAX),
            "dedup_ttl",
            AT_MOST_365_DAYS,
        ),
        (
            "socket linger MAX",
            d().with_socket(Options::default().with_linger(Duration::MAX)),
            "linger",
            AT_MOST_365_DAYS,
        ),
    ];
    for (case, cfg, option, reason) in cases {
        assert_invalid(case, cfg.validate(), option, reason);
        assert_invalid(case, Consumer::connect(&ctx, &ep, cfg), option, reason);
    }
    // None of them reached the producer.
    assert_eq!(p.stats().consumers, 0);
}

#[test]
fn send_options_out_of_range_are_refused_at_send_with_the_message() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default());
    let c = consumer(&ctx, &p, 10);
    let far = Instant::now() + MAX_DURATION + Duration::from_secs(3600);
    let cases = [
        (
            "delay MAX",
            SendOptions::delay(Duration::MAX),
            "delay",
            AT_MOST_365_DAYS,
        ),
        (
            "delay just over 365 days",
            SendOptions::delay(MAX_DURATION + NS),
            "delay",
            AT_MOST_365_DAYS,
        ),
        (
            "at over 365 days from now",
            SendOptions::at(far),
            "at",
            "must be at most 365 days from now",
        ),
    ];
    let backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(1), 3);
    for (case, opts, option, reason) in cases {
        assert_invalid(case, opts.validate(), option, reason);
        let sends: [(&str, Result<u64, SubmitError>); 3] = [
            ("try_send_with", p.try_send_with(case, opts)),
            ("send_timeout_with", p.send_timeout_with(case, opts, ARRIVE)),
            ("send_retry", p.send_retry(case, opts, &backoff)),
        ];
        for (how, sent) in sends {
            match sent {
                Err(SubmitError::InvalidOption {
                    option: o,
                    reason: r,
                    message,
                }) => {
                    assert_eq!((o, r), (option, reason), "{case}, {how}");
                    assert_eq!(message, Message::from(case), "{case}, {how}");
                }
                other => panic!("{case}, {how}: expected InvalidOption, got {other:?}"),
            }
        }
    }
    // Nothing was queued, and nothing is delivered at once.
    let s = p.stats();
    assert_eq!((s.pending, s.delayed, s.in_flight), (0, 0, 0));
    expect_nothing(&c, Duration::from_millis(200), |_| false);
}

#[test]
fn the_largest_accepted_values_work() {
    let ctx = Context::new().unwrap();
    let cfg = ProducerConfig::default()
        .with_ack_timeout(MAX_DURATION)
        .with_consumer_timeout(MAX_DURATION)
        .with_max_deliveries(u32::MAX)
        .with_max_credit(u32::MAX)
        .with_capacity(usize::MAX);
    let p = producer(&ctx, cfg.clone());
    let consumer_cfg = ConsumerConfig::default()
        .with_prefetch(u32::MAX)
        .with_dedup(usize::MAX, MAX_DURATION)
        .with_heartbeat(HEARTBEAT_LIMIT);
    let c = consumer_with(&ctx, &p, consumer_cfg);
    // Delayed by the longest delay and at the latest time accepted: held
    // back, not delivered at once.
    let latest = Instant::now() + MAX_DURATION;
    p.try_send_with("in a year", SendOptions::delay(MAX_DURATION))
        .unwrap();
    p.try_send_with("at the latest", SendOptions::at(latest))
        .unwrap();
    p.send("now").unwrap();
    let d = next(&c);
    assert_eq!(text(&d), "now");
    c.ack(&d).unwrap();
    expect_nothing(&c, Duration::from_millis(200), |_| false);
    assert!(p.wait_for(ARRIVE, |s| s.acked == 1 && s.delayed == 2));
    // And the longest default delay.
    let p = producer(&ctx, cfg.with_default_delay(MAX_DURATION));
    let c = consumer(&ctx, &p, 1);
    p.send("in a year").unwrap();
    assert_eq!(p.stats().delayed, 1);
    expect_nothing(&c, Duration::from_millis(200), |_| false);
}

/// Timeouts given to calls (not settings) take any value: one too large to
/// add to now waits without limit (a consumer's `recv_timeout(Duration::MAX)`
/// used to return `WouldBlock` at once).
#[test]
fn call_timeouts_of_any_size_wait_without_limit() {
    let ctx = Context::new().unwrap();
    let p = producer(&ctx, ProducerConfig::default().with_confirmations(true));
    let c = consumer(&ctx, &p, 1);
    std::thread::scope(|s| {
        let got = s.spawn(|| c.recv_timeout(Duration::MAX));
        // Not a synchronisation: time for a wrong early return to show.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!got.is_finished(), "returned early: {:?}", got.join());
        p.send_timeout("job", Duration::MAX).unwrap();
        let d = got.join().unwrap().unwrap();
        assert_eq!(text(&d), "job");
        c.ack(&d).unwrap();
    });
    assert_eq!(p.recv_confirmation(Duration::MAX).unwrap(), 0);
    assert!(p.wait_for(Duration::MAX, |s| s.acked == 1));
}
