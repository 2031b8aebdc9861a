//! Settings of producers and consumers, per-message send options, and the
//! producer's send error.

use super::clock::{later, MAX_DURATION};
use super::core::CoreConfig;
use ferromq::Message;
use ferromq::Options;
use ferromq::{Endpoint, Error, Result, SocketType};
use std::time::{Duration, Instant};

const AT_LEAST_ONE: &str = "must be at least 1";
const NON_ZERO: &str = "must be non-zero";
const AT_MOST_365_DAYS: &str = "must be at most 365 days";

fn invalid(option: &'static str, reason: &'static str) -> Error {
    Error::InvalidOption { option, reason }
}

/// A count that must be at least 1.
fn count(option: &'static str, n: u64) -> Result<()> {
    if n == 0 {
        return Err(invalid(option, AT_LEAST_ONE));
    }
    Ok(())
}

/// A delay: zero (none) up to [`MAX_DURATION`].
fn delay(option: &'static str, d: Duration) -> Result<()> {
    if d > MAX_DURATION {
        return Err(invalid(option, AT_MOST_365_DAYS));
    }
    Ok(())
}

/// A timeout: non-zero, up to [`MAX_DURATION`].
fn timeout(option: &'static str, d: Duration) -> Result<()> {
    if d.is_zero() {
        return Err(invalid(option, NON_ZERO));
    }
    delay(option, d)
}

impl CoreConfig {
    /// Check every value against its documented range;
    /// [`Producer::bind`](super::Producer::bind) does, before it binds.
    ///
    /// | field | accepted | error otherwise ([`Error::InvalidOption`]) |
    /// |---|---|---|
    /// | `capacity`, `max_deliveries`, `max_credit` | 1 or more | `must be at least 1` |
    /// | `ack_timeout`, `consumer_timeout` | more than zero, at most 365 days | `must be non-zero` / `must be at most 365 days` |
    /// | `default_delay` | zero (none) to 365 days | `must be at most 365 days` |
    ///
    /// The error's `option` is the field's name.
    ///
    /// ```
    /// use ferromq::Error;
    /// use ferromq_reliable::CoreConfig;
    /// use std::time::Duration;
    /// assert!(CoreConfig::default().validate().is_ok());
    /// let cfg = CoreConfig {
    ///     ack_timeout: Duration::ZERO,
    ///     ..CoreConfig::default()
    /// };
    /// assert!(matches!(
    ///     cfg.validate(),
    ///     Err(Error::InvalidOption { option: "ack_timeout", reason: "must be non-zero" })
    /// ));
    /// ```
    pub fn validate(&self) -> Result<()> {
        count("capacity", u64::try_from(self.capacity).unwrap_or(u64::MAX))?;
        count("max_deliveries", u64::from(self.max_deliveries))?;
        timeout("ack_timeout", self.ack_timeout)?;
        delay("default_delay", self.default_delay)?;
        count("max_credit", u64::from(self.max_credit))?;
        timeout("consumer_timeout", self.consumer_timeout)
    }
}

/// Where messages that failed [`max_deliveries`](CoreConfig::max_deliveries)
/// times go ([`ProducerConfig::dead_letters`]).
///
/// To an endpoint — here a PULL socket in the same process; usually another
/// process, in any language (the [`DEAD` message](crate::protocol)):
///
/// ```
/// use ferromq::{Context, SocketType};
/// use ferromq_reliable::{
///     Consumer, ConsumerConfig, DeadLetter, DeadLetterTarget, Producer, ProducerConfig,
/// };
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let graveyard = ctx.socket(SocketType::Pull)?;
/// let dlq = graveyard.bind("tcp://127.0.0.1:0")?.to_string();
/// let cfg = ProducerConfig::default()
///     .with_max_deliveries(1)
///     .with_dead_letters(DeadLetterTarget::Endpoint(dlq));
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg)?;
/// let ep = producer.endpoint().to_string();
/// let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// producer.send("poison")?;
/// let d = consumer.recv_timeout(Duration::from_secs(10))?;
/// consumer.nack(&d, "cannot parse")?;
/// let dead = DeadLetter::decode(graveyard.recv_timeout(Duration::from_secs(10))?)?;
/// assert_eq!((dead.id, dead.reason.as_str()), (d.id, "nack: cannot parse"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeadLetterTarget {
    /// A local queue the application reads with
    /// [`Producer::recv_dead_letter`](super::Producer::recv_dead_letter).
    #[default]
    Local,
    /// A PUSH socket connected to this endpoint sends each one as a `DEAD`
    /// message (see the [protocol](crate::protocol)). A dead letter that
    /// socket cannot queue at once goes to the local queue instead, so none
    /// is lost.
    Endpoint(String),
}

/// ZMTP heartbeats on the layer's sockets, so that a half-open connection
/// (a peer host gone without closing) is closed within seconds; the
/// producer then notices the lost consumer, and a consumer reconnects.
fn heartbeats() -> Options {
    Options::default().with_heartbeat(Duration::from_secs(1), Duration::from_secs(3))
}

/// A [`Producer`](super::Producer)'s settings: start from the default and
/// change what you need. Checked by [`validate`](Self::validate) when the
/// producer binds.
///
/// ```
/// use ferromq_reliable::{DeadLetterTarget, ProducerConfig};
/// use std::time::Duration;
/// let cfg = ProducerConfig::default()
///     .with_capacity(50_000) // then try_send says Busy
///     .with_ack_timeout(Duration::from_secs(60)) // then redeliver
///     .with_max_deliveries(3) // then dead-letter
///     .with_dead_letters(DeadLetterTarget::Local)
///     .with_confirmations(true); // report acks to recv_confirmation
/// assert_eq!(cfg.core.capacity, 50_000);
/// assert!(cfg.validate().is_ok());
/// ```
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
    /// Check every value; [`Producer::bind`](super::Producer::bind) does,
    /// before it binds: [`CoreConfig::validate`], the socket options as
    /// the ROUTER will get them ([`Options::validate_for`]), and a
    /// dead-letter endpoint's syntax ([`Error::InvalidEndpoint`]).
    ///
    /// ```
    /// use ferromq::Error;
    /// use ferromq_reliable::ProducerConfig;
    /// assert!(ProducerConfig::default().validate().is_ok());
    /// assert!(matches!(
    ///     ProducerConfig::default().with_capacity(0).validate(),
    ///     Err(Error::InvalidOption { option: "capacity", .. })
    /// ));
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.core.validate()?;
        self.router_options().validate_for(SocketType::Router)?;
        if let DeadLetterTarget::Endpoint(e) = &self.dead_letters {
            e.parse::<Endpoint>()?;
        }
        Ok(())
    }

    /// The ROUTER's options: [`socket`](Self::socket) with
    /// `router_mandatory` on and room for the largest credit.
    pub(crate) fn router_options(&self) -> Options {
        let credit = usize::try_from(self.core.max_credit).unwrap_or(usize::MAX);
        let hwm = self.socket.send_hwm.max(credit.saturating_add(64));
        self.socket
            .clone()
            .with_router_mandatory(true)
            .with_send_hwm(hwm)
    }

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

/// A [`Consumer`](super::Consumer)'s settings: start from the default and
/// change what you need. Checked by [`validate`](Self::validate) when the
/// consumer connects.
///
/// ```
/// use ferromq_reliable::ConsumerConfig;
/// use std::time::Duration;
/// let cfg = ConsumerConfig::default()
///     .with_prefetch(16) // hold at most 16 unacknowledged messages
///     .with_heartbeat(Duration::from_millis(500)) // lost after 1.5 s of silence
///     .with_dedup(10_000, Duration::from_secs(300)); // duplicate window
/// assert_eq!((cfg.prefetch, cfg.dedup_capacity), (16, 10_000));
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerConfig {
    /// Credit: the most unacknowledged messages this consumer may hold.
    /// At least 1; default 100.
    pub prefetch: u32,
    /// How often `READY` is repeated as a heartbeat; the producer declares
    /// the consumer gone after three intervals of silence. 1 ms to
    /// `u32::MAX` ms (about 49.7 days), in whole milliseconds on the wire;
    /// default 1 s.
    pub heartbeat: Duration,
    /// Processed ids remembered for duplicate suppression. At least 1;
    /// default 100,000.
    pub dedup_capacity: usize,
    /// How long a processed id is remembered. More than zero, at most 365
    /// days; default 10 minutes.
    pub dedup_ttl: Duration,
    /// How long an ack or nack may wait for room in the socket's pipe before
    /// it is given up (the producer then redelivers, and the window drops
    /// the redelivery). Any value: zero does not wait, one too large to add
    /// to now waits without limit; default 5 s.
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
    /// Check every value; [`Consumer::connect`](super::Consumer::connect)
    /// does, before it connects.
    ///
    /// | field | accepted | error otherwise ([`Error::InvalidOption`]) |
    /// |---|---|---|
    /// | `prefetch`, `dedup_capacity` | 1 or more | `must be at least 1` |
    /// | `heartbeat` | 1 ms to `u32::MAX` ms (about 49.7 days: `READY` carries whole milliseconds as a u32) | `must be at least 1 ms` / `must be at most 4294967295 ms (READY carries a u32)` |
    /// | `dedup_ttl` | more than zero, at most 365 days | `must be non-zero` / `must be at most 365 days` |
    /// | `ack_send_timeout` | any (zero: do not wait; a value too large to add to now: no limit) | — |
    ///
    /// The error's `option` is the field's name. The socket options are
    /// checked as the DEALER will get them ([`Options::validate_for`]).
    ///
    /// ```
    /// use ferromq::Error;
    /// use ferromq_reliable::ConsumerConfig;
    /// use std::time::Duration;
    /// assert!(ConsumerConfig::default().validate().is_ok());
    /// assert!(matches!(
    ///     ConsumerConfig::default().with_heartbeat(Duration::ZERO).validate(),
    ///     Err(Error::InvalidOption { option: "heartbeat", reason: "must be at least 1 ms" })
    /// ));
    /// ```
    pub fn validate(&self) -> Result<()> {
        count("prefetch", u64::from(self.prefetch))?;
        if self.heartbeat < Duration::from_millis(1) {
            return Err(invalid("heartbeat", "must be at least 1 ms"));
        }
        if self.heartbeat.as_millis() > u128::from(u32::MAX) {
            return Err(invalid(
                "heartbeat",
                "must be at most 4294967295 ms (READY carries a u32)",
            ));
        }
        count(
            "dedup_capacity",
            u64::try_from(self.dedup_capacity).unwrap_or(u64::MAX),
        )?;
        timeout("dedup_ttl", self.dedup_ttl)?;
        self.dealer_options(bytes::Bytes::from_static(b"fmqr-0000000000000000"))
            .validate_for(SocketType::Dealer)
    }

    /// The DEALER's options: [`socket`](Self::socket) with `routing_id`.
    pub(crate) fn dealer_options(&self, routing_id: bytes::Bytes) -> Options {
        self.socket.clone().with_routing_id(routing_id)
    }

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

/// When a message may be delivered: per-message options of
/// [`Producer::try_send_with`](super::Producer::try_send_with) and the
/// other `*_with` sends. Both are checked at send
/// ([`validate`](Self::validate)). The default: the queue's
/// [`default_delay`](CoreConfig::default_delay).
///
/// ```
/// use ferromq::Context;
/// use ferromq_reliable::{Producer, ProducerConfig, SendOptions, SubmitError};
/// use std::time::{Duration, Instant};
/// let ctx = Context::new()?;
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", ProducerConfig::default())?;
/// producer.try_send_with("in 5 s", SendOptions::delay(Duration::from_secs(5)))?;
/// let tomorrow = Instant::now() + Duration::from_secs(24 * 3600);
/// producer.try_send_with("tomorrow", SendOptions::at(tomorrow))?;
/// assert_eq!(producer.stats().delayed, 2);
/// // Too far out: refused, not delivered at once.
/// let never = SendOptions::delay(Duration::MAX);
/// assert!(matches!(
///     producer.try_send_with("never", never),
///     Err(SubmitError::InvalidOption { option: "delay", .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendOptions {
    /// Not before now plus this (at most 365 days). Overrides the queue's
    /// default delay.
    pub delay: Option<Duration>,
    /// Not before this time (at most 365 days from now; a time in the past
    /// is due at once). Wins over `delay`.
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
    /// Check the options for a message sent now;
    /// [`Producer::try_send_with`](super::Producer::try_send_with) and the
    /// other sends do, and refuse the message with
    /// [`SubmitError::InvalidOption`] rather than deliver it at the wrong
    /// time. `delay` must be at most 365 days, and `at` at most 365 days
    /// from now ([`Error::InvalidOption`] naming `delay` or `at`). A time
    /// in the past is fine: the message is due at once.
    ///
    /// ```
    /// use ferromq::Error;
    /// use ferromq_reliable::SendOptions;
    /// use std::time::Duration;
    /// assert!(SendOptions::delay(Duration::from_secs(60)).validate().is_ok());
    /// assert!(matches!(
    ///     SendOptions::delay(Duration::MAX).validate(),
    ///     Err(Error::InvalidOption { option: "delay", .. })
    /// ));
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.check(Instant::now())
            .map_err(|(option, reason)| invalid(option, reason))
    }

    /// [`validate`](Self::validate) for a message sent at `now`.
    pub(crate) fn check(
        &self,
        now: Instant,
    ) -> std::result::Result<(), (&'static str, &'static str)> {
        if self.delay.is_some_and(|d| d > MAX_DURATION) {
            return Err(("delay", AT_MOST_365_DAYS));
        }
        if self
            .at
            .is_some_and(|t| t.saturating_duration_since(now) > MAX_DURATION)
        {
            return Err(("at", "must be at most 365 days from now"));
        }
        Ok(())
    }

    /// The due time for a message sent at `now` (`None`: queue default).
    pub(crate) fn due(&self, now: Instant) -> Option<Instant> {
        self.at.or_else(|| self.delay.map(|d| later(now, d)))
    }
}

/// Why a [`Producer`](super::Producer) did not take a message; the message
/// is handed back ([`message`](Self::message),
/// [`into_message`](Self::into_message)).
///
/// ```
/// use ferromq::Context;
/// use ferromq_reliable::{Producer, ProducerConfig, SubmitError};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let cfg = ProducerConfig::default().with_capacity(1);
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg)?;
/// producer.send("first")?; // no consumer yet: it stays queued
/// let err = producer
///     .send_timeout("second", Duration::from_millis(10))
///     .unwrap_err();
/// assert!(matches!(err, SubmitError::TimedOut(_)));
/// let again = err.into_message(); // keep it, retry later
/// producer.finish();
/// assert!(matches!(producer.try_send(again), Err(SubmitError::Closed(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// A [`SendOptions`] value is out of range (see
    /// [`SendOptions::validate`]): the message was not queued.
    #[error("invalid send option {option}: {reason}")]
    InvalidOption {
        /// The option's name: `delay` or `at`.
        option: &'static str,
        /// What is wrong with the value.
        reason: &'static str,
        /// The message, handed back.
        message: Message,
    },
}

impl SubmitError {
    /// The message that was not taken.
    pub fn message(&self) -> &Message {
        match self {
            SubmitError::Busy(m) | SubmitError::TimedOut(m) | SubmitError::Closed(m) => m,
            SubmitError::InvalidOption { message, .. } => message,
        }
    }
    /// Take the message back.
    pub fn into_message(self) -> Message {
        match self {
            SubmitError::Busy(m) | SubmitError::TimedOut(m) | SubmitError::Closed(m) => m,
            SubmitError::InvalidOption { message, .. } => message,
        }
    }
}
