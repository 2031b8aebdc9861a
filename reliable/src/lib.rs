//! At-least-once message queues with no broker, built on [`ferromq`]'s
//! ZeroMQ-compatible sockets: acknowledgements and redelivery, duplicate
//! suppression, dead letters, delayed delivery, credit-based dispatch,
//! backpressure and a poison pill. The crate uses only ferromq's public
//! socket API, like any other user.
//!
//! A [`Producer`] binds a ROUTER and keeps each message until a consumer
//! acknowledges it. [`Consumer`]s connect DEALERs, each with a fresh random
//! routing id, and say how many unacknowledged messages they may hold
//! (their credit). The wire protocol, FMQR/1, is specified in [`protocol`]
//! (the repository's `docs/RELIABLE.md`) so that a peer in another language
//! can take part; it also states exactly what is and is not guaranteed.
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
//! # A producer and a consumer in one process
//!
//! Usually they run in different processes (the producer's endpoint is all
//! a consumer needs); here both share one [`Context`](ferromq::Context).
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
//!
//! The package's binaries `reliable_producer <endpoint> <count>` and
//! `reliable_consumer <endpoint>` are the same pair as two processes.
//!
//! # Settings, errors and lifetimes
//!
//! Every setting is checked when the producer binds or the consumer
//! connects ([`ProducerConfig::validate`], [`ConsumerConfig::validate`]):
//! a value out of range is an [`Error::InvalidOption`](ferromq::Error::InvalidOption)
//! naming the field, before any socket is made. Per-message
//! [`SendOptions`] are checked at each send
//! ([`SubmitError::InvalidOption`]). Timeouts passed to calls take any
//! value; one too large to add to now waits without limit.
//!
//! A producer or consumer keeps a handle of the
//! [`Context`](ferromq::Context) it was made with, so it goes on working
//! after the application drops its own handles;
//! [`Context::shutdown`](ferromq::Context::shutdown) stops it (blocked
//! calls return [`SubmitError::Closed`] or
//! [`Error::Terminated`](ferromq::Error::Terminated)).

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

/// The FMQR/1 specification (`docs/RELIABLE.md` in the repository):
/// framing, producer and consumer behaviour, guarantees and design notes.
#[doc = ""]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/RELIABLE.md"))]
pub mod protocol {}
