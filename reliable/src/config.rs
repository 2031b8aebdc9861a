//! Settings of producers and consumers, per-message send options, and the
//! producer's send error.

use super::core::CoreConfig;
use ferromq::Message;
use ferromq::Options;
use std::time::{Duration, Instant};

/// Where messages that failed `max_deliveries` times go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeadLetterTarget {
    /// A local queue the application reads with
    /// [`Producer::recv_dead_letter`](super::Producer::recv_dead_letter).
    #[default]
    Local,
    /// A PUSH socket connected to this endpoint sends each one as a `DEAD`
    /// message (see `docs/RELIABLE.md`). A dead letter that socket cannot
    /// queue at once goes to the local queue instead, so none is lost.
    Endpoint(String),
}

/// ZMTP heartbeats on the layer's sockets, so that a half-open connection
/// (a peer host gone without closing) is closed within seconds; the
/// producer then notices the lost consumer, and a consumer reconnects.
fn heartbeats() -> Options {
    Options::default().with_heartbeat(Duration::from_secs(1), Duration::from_secs(3))
}

/// A [`Producer`](super::Producer)'s settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProducerConfig {
    /// Queue bound, retries, timeouts, default delay and credit ceiling.
    pub core: CoreConfig,
    /// Where dead letters go.
    pub dead_letters: DeadLetterTarget,
    /// Report each acknowledged id through
    /// [`Producer::recv_confirmation`](super::Producer::recv_confirmation).
    /// Off by default: when on, unread confirmations accumulate.
    pub confirmations: bool,
    /// Options of the ROUTER socket (default: ZMTP heartbeats every 1 s,
    /// 3 s timeout). `router_mandatory` is always set, and the send HWM is
    /// raised to at least `max_credit` + 64.
    pub socket: Options,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            core: CoreConfig::default(),
            dead_letters: DeadLetterTarget::Local,
            confirmations: false,
            socket: heartbeats(),
        }
    }
}

impl ProducerConfig {
    /// Set [`CoreConfig::capacity`].
    pub fn with_capacity(mut self, n: usize) -> Self {
        self.core.capacity = n;
        self
    }
    /// Set [`CoreConfig::max_deliveries`].
    pub fn with_max_deliveries(mut self, n: u32) -> Self {
        self.core.max_deliveries = n;
        self
    }
    /// Set [`CoreConfig::ack_timeout`].
    pub fn with_ack_timeout(mut self, t: Duration) -> Self {
        self.core.ack_timeout = t;
        self
    }
    /// Set [`CoreConfig::default_delay`].
    pub fn with_default_delay(mut self, d: Duration) -> Self {
        self.core.default_delay = d;
        self
    }
    /// Set [`CoreConfig::consumer_timeout`].
    pub fn with_consumer_timeout(mut self, t: Duration) -> Self {
        self.core.consumer_timeout = t;
        self
    }
    /// Set [`CoreConfig::max_credit`].
    pub fn with_max_credit(mut self, n: u32) -> Self {
        self.core.max_credit = n;
        self
    }
    /// Set [`dead_letters`](Self::dead_letters).
    pub fn with_dead_letters(mut self, t: DeadLetterTarget) -> Self {
        self.dead_letters = t;
        self
    }
    /// Set [`confirmations`](Self::confirmations).
    pub fn with_confirmations(mut self, on: bool) -> Self {
        self.confirmations = on;
        self
    }
    /// Set [`socket`](Self::socket).
    pub fn with_socket(mut self, o: Options) -> Self {
        self.socket = o;
        self
    }
}

/// A [`Consumer`](super::Consumer)'s settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerConfig {
    /// Credit: the most unacknowledged messages this consumer may hold.
    pub prefetch: u32,
    /// How often `READY` is repeated as a heartbeat; the producer declares
    /// the consumer gone after three intervals of silence.
    pub heartbeat: Duration,
    /// Processed ids remembered for duplicate suppression (0: none).
    pub dedup_capacity: usize,
    /// How long a processed id is remembered.
    pub dedup_ttl: Duration,
    /// How long an ack or nack may wait for room in the socket's pipe before
    /// it is given up (the producer then redelivers, and the window drops
    /// the redelivery).
    pub ack_send_timeout: Duration,
    /// Options of the DEALER socket (default: ZMTP heartbeats every 1 s,
    /// 3 s timeout); its routing id is always set to a fresh random one.
    pub socket: Options,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            prefetch: 100,
            heartbeat: Duration::from_secs(1),
            dedup_capacity: 100_000,
            dedup_ttl: Duration::from_secs(600),
            ack_send_timeout: Duration::from_secs(5),
            socket: heartbeats(),
        }
    }
}

impl ConsumerConfig {
    /// Set [`prefetch`](Self::prefetch).
    pub fn with_prefetch(mut self, n: u32) -> Self {
        self.prefetch = n;
        self
    }
    /// Set [`heartbeat`](Self::heartbeat).
    pub fn with_heartbeat(mut self, t: Duration) -> Self {
        self.heartbeat = t;
        self
    }
    /// Set [`dedup_capacity`](Self::dedup_capacity) and
    /// [`dedup_ttl`](Self::dedup_ttl).
    pub fn with_dedup(mut self, capacity: usize, ttl: Duration) -> Self {
        self.dedup_capacity = capacity;
        self.dedup_ttl = ttl;
        self
    }
    /// Set [`socket`](Self::socket).
    pub fn with_socket(mut self, o: Options) -> Self {
        self.socket = o;
        self
    }
}

/// When a message may be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendOptions {
    /// Not before now plus this. Overrides the queue's default delay.
    pub delay: Option<Duration>,
    /// Not before this time. Wins over `delay`.
    pub at: Option<Instant>,
}

impl SendOptions {
    /// Deliver no sooner than `d` from now.
    pub fn delay(d: Duration) -> Self {
        SendOptions {
            delay: Some(d),
            at: None,
        }
    }
    /// Deliver no sooner than `t`.
    pub fn at(t: Instant) -> Self {
        SendOptions {
            delay: None,
            at: Some(t),
        }
    }
    /// The due time for a message sent at `now` (`None`: queue default).
    pub(crate) fn due(&self, now: Instant) -> Option<Instant> {
        self.at
            .or_else(|| self.delay.and_then(|d| now.checked_add(d)))
    }
}

/// Why a message was not taken; the message is handed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The queue is at capacity: retry later (see [`Backoff`](super::Backoff)).
    #[error("queue is full (busy); retry later")]
    Busy(Message),
    /// No room came free within the timeout.
    #[error("queue stayed full for the whole timeout")]
    TimedOut(Message),
    /// The producer is finishing ([`Producer::finish`](super::Producer::finish))
    /// or stopped (its context was shut down).
    #[error("producer is finishing or closed")]
    Closed(Message),
}

impl SubmitError {
    /// The message that was not taken.
    pub fn message(&self) -> &Message {
        match self {
            SubmitError::Busy(m) | SubmitError::TimedOut(m) | SubmitError::Closed(m) => m,
        }
    }
    /// Take the message back.
    pub fn into_message(self) -> Message {
        match self {
            SubmitError::Busy(m) | SubmitError::TimedOut(m) | SubmitError::Closed(m) => m,
        }
    }
}
