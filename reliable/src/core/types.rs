//! The core's public types: settings, decisions and reports.

use crate::wire::DeadLetter;
use bytes::Bytes;
use ferromq::Message;
use std::time::Duration;

/// A consumer, named by its routing id.
pub(crate) type ConsumerId = Bytes;

/// The core's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    /// Most messages held (pending + delayed + in flight) before the
    /// producer refuses more ([`SubmitError::Busy`](crate::SubmitError::Busy)).
    pub capacity: usize,
    /// Deliveries after which a failed message is dead-lettered instead of
    /// redelivered (at least 1).
    pub max_deliveries: u32,
    /// A delivery not acknowledged within this time fails ("visibility
    /// timeout") and the message is redelivered.
    pub ack_timeout: Duration,
    /// Delay applied to messages submitted without a due time.
    pub default_delay: Duration,
    /// Ceiling on the credit a consumer may claim.
    pub max_credit: u32,
    /// A consumer not heard from for this long is gone, unless its `READY`
    /// promised heartbeats, in which case three heartbeat intervals.
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

/// Counters (cumulative) and gauges (current).
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
