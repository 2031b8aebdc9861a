//! The core's public types: settings, decisions and reports.

use crate::wire::DeadLetter;
use bytes::Bytes;
use ferromq::Message;
use std::time::Duration;

/// A consumer, named by its routing id.
pub(crate) type ConsumerId = Bytes;

/// The queue's settings: the [`core`](crate::ProducerConfig::core) of a
/// [`ProducerConfig`](crate::ProducerConfig). Checked by
/// [`validate`](Self::validate) when the producer binds.
///
/// ```
/// use ferromq_reliable::{CoreConfig, ProducerConfig};
/// use std::time::Duration;
/// let mut cfg = ProducerConfig::default();
/// cfg.core = CoreConfig {
///     capacity: 1_000,
///     ack_timeout: Duration::from_secs(5),
///     ..CoreConfig::default()
/// };
/// assert!(cfg.validate().is_ok());
/// // The same through the builder methods:
/// let same = ProducerConfig::default()
///     .with_capacity(1_000)
///     .with_ack_timeout(Duration::from_secs(5));
/// assert_eq!(cfg, same);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    /// Most messages held (pending + delayed + in flight) before the
    /// producer refuses more ([`SubmitError::Busy`](crate::SubmitError::Busy)).
    /// At least 1; default 10,000.
    pub capacity: usize,
    /// Deliveries after which a failed message is dead-lettered instead of
    /// redelivered. At least 1 (`u32::MAX`: practically never); default 5.
    pub max_deliveries: u32,
    /// A delivery not acknowledged within this time fails ("visibility
    /// timeout") and the message is redelivered. More than zero, at most
    /// 365 days; default 30 s.
    pub ack_timeout: Duration,
    /// Delay applied to messages submitted without a due time. Zero (none,
    /// the default) to 365 days.
    pub default_delay: Duration,
    /// Ceiling on the credit a consumer may claim. At least 1; default
    /// 10,000.
    pub max_credit: u32,
    /// A consumer not heard from for this long is gone, unless its `READY`
    /// promised heartbeats, in which case three heartbeat intervals. More
    /// than zero, at most 365 days; default 10 s.
    pub consumer_timeout: Duration,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            capacity: 10_000,
            max_deliveries: 5,
            ack_timeout: Duration::from_secs(30),
            default_delay: Duration::ZERO,
            max_credit: 10_000,
            consumer_timeout: Duration::from_secs(10),
        }
    }
}

/// What the driver must send next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dispatch {
    /// Deliver message `id` to `consumer`.
    Msg {
        /// Who gets it.
        consumer: ConsumerId,
        /// The message id.
        id: u64,
        /// This delivery's number (1 = first).
        delivery_count: u32,
        /// The message.
        body: Message,
    },
    /// Send the poison pill to `consumer`.
    Eof {
        /// Who gets it.
        consumer: ConsumerId,
    },
}

/// Something that happened to a message, reported once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// The message was acknowledged.
    Acked(u64),
    /// The message failed `max_deliveries` times and left the queue.
    DeadLettered(DeadLetter),
}

/// A producer's counters (cumulative) and gauges (current), from
/// [`Producer::stats`](crate::Producer::stats) and
/// [`Producer::wait_for`](crate::Producer::wait_for).
///
/// ```
/// use ferromq::Context;
/// use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", ProducerConfig::default())?;
/// producer.send("job")?;
/// assert_eq!(producer.stats().pending, 1);
/// let ep = producer.endpoint().to_string();
/// let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// let d = consumer.recv_timeout(Duration::from_secs(10))?;
/// consumer.ack(&d)?;
/// // Wait for a condition on the counters rather than sleeping.
/// assert!(producer.wait_for(Duration::from_secs(10), |s| s.acked == 1 && s.in_flight == 0));
/// assert_eq!(producer.stats().consumers, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CoreStats {
    /// Messages waiting for a consumer with credit.
    pub pending: usize,
    /// Messages waiting for their delivery time.
    pub delayed: usize,
    /// Messages delivered and not yet acknowledged.
    pub in_flight: usize,
    /// Consumers known (ready and not timed out or lost).
    pub consumers: usize,
    /// Messages acknowledged.
    pub acked: u64,
    /// Messages dead-lettered.
    pub dead_lettered: u64,
    /// Deliveries after the first.
    pub redelivered: u64,
    /// Deliveries that failed by ack timeout.
    pub timeouts: u64,
    /// Deliveries rejected by a consumer.
    pub nacks: u64,
    /// Consumers that were declared gone.
    pub consumers_lost: u64,
    /// Malformed messages the driver received and ignored.
    pub protocol_errors: u64,
}
