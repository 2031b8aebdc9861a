//! Message-queue guarantees at the endpoints, with no broker: at-least-once
//! delivery with acknowledgements and redelivery, duplicate suppression,
//! dead letters, delayed delivery, credit-based dispatch, backpressure and
//! a poison pill — built only on ferromq's public socket API (this crate
//! depends on `ferromq` like any other user, so nothing else is reachable).
//!
//! A [`Producer`] binds a ROUTER and keeps each message until a consumer
//! acknowledges it. [`Consumer`]s connect DEALERs, each with a fresh random
//! routing id, and say how many unacknowledged messages they may hold
//! (their credit). The framing, `FMQR/1`, is specified in
//! `docs/RELIABLE.md` so that a peer in another language can take part.
//!
//! | need | how |
//! |---|---|
//! | at-least-once | a message stays with the producer until acked; redelivered after [`CoreConfig::ack_timeout`] or when its consumer is lost (disconnect, or three missed heartbeats) |
//! | redelivery visible | every [`Delivery`] carries `id` and `delivery_count` |
//! | duplicates | each consumer drops ids it processed within its window (size and age: [`ConsumerConfig::with_dedup`]) |
//! | dead letters | after [`CoreConfig::max_deliveries`] failed deliveries: [`DeadLetter`] with reason, count and the original message, to a local queue or an endpoint ([`DeadLetterTarget`]) |
//! | delays | [`SendOptions`] or [`CoreConfig::default_delay`]; one timer heap, no thread or poll per message |
//! | fair dispatch | round robin over consumers with credit; a consumer never holds more than its credit |
//! | busy | [`CoreConfig::capacity`] bounds pending + delayed + in flight: [`Producer::try_send`] returns [`SubmitError::Busy`] with the message; [`Producer::send_timeout`] waits; [`Backoff`] retries |
//! | pill | [`Producer::finish`]: once everything is settled every consumer gets `EOF`; its `recv` then returns [`Error::EndOfStream`](ferromq::Error::EndOfStream) |
//!
//! Ordering: one producer to one consumer, with nothing failing, is FIFO.
//! A redelivered message goes to the head of the queue, so it arrives after
//! messages that were sent later but delivered before it failed.
//!
//! ```
//! use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
//! use ferromq::Context;
//! use std::time::Duration;
//! let ctx = Context::new()?;
//! let producer = Producer::bind(
//!     &ctx,
//!     "tcp://127.0.0.1:0",
//!     ProducerConfig::default().with_confirmations(true),
//! )?;
//! let consumer = Consumer::connect(
//!     &ctx,
//!     &producer.endpoint().to_string(),
//!     ConsumerConfig::default().with_prefetch(10),
//! )?;
//! let id = producer.send("job 1")?;
//! let d = consumer.recv_timeout(Duration::from_secs(10))?;
//! assert_eq!((d.id, d.delivery_count), (id, 1));
//! assert_eq!(d.body.frames()[0], "job 1");
//! consumer.ack(&d)?;
//! assert_eq!(producer.recv_confirmation(Duration::from_secs(10))?, id);
//! producer.finish();
//! assert!(matches!(
//!     consumer.recv_timeout(Duration::from_secs(10)),
//!     Err(ferromq::Error::EndOfStream)
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Every type reachable through the public API can also be named from outside.
#![warn(unnameable_types)]

mod clock;
mod config;
mod consumer;
mod core;
mod dedup;
mod driver;
mod producer;
mod retry;
mod wire;

// The hand-written-peer tests include tests/common/reliable.rs, which names
// this crate as the integration tests do.
#[cfg(test)]
extern crate self as ferromq_reliable;
#[cfg(test)]
mod hand_peer_tests;

pub use self::core::{CoreConfig, CoreStats};
pub use config::{ConsumerConfig, DeadLetterTarget, ProducerConfig, SendOptions, SubmitError};
pub use consumer::{Consumer, ConsumerStats, Delivery};
pub use producer::Producer;
pub use retry::Backoff;
pub use wire::{DeadLetter, Malformed};
