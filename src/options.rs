//! Typed socket options with documented defaults.
//!
//! Options are fixed when the socket is created
//! ([`Context::socket_with`](crate::Context::socket_with)); they are checked
//! then, and a value out of range is an [`Error::InvalidOption`].

use crate::error::{Error, Result};
use bytes::Bytes;
use std::time::Duration;

/// Default high-water mark, in messages per peer pipe (libzmq's default).
pub const DEFAULT_HWM: usize = 1000;
/// Default linger on close.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(2);
/// Default first reconnect delay (libzmq's `ZMQ_RECONNECT_IVL`).
pub const DEFAULT_RECONNECT_INTERVAL: Duration = Duration::from_millis(100);
/// Default ceiling of the exponential reconnect backoff.
pub const DEFAULT_RECONNECT_INTERVAL_MAX: Duration = Duration::from_secs(5);
/// Default maximum message size (sum of all frames): 64 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;
/// Longest duration any option accepts (365 days).
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
/// Default cap on connections per listener still in their handshake.
pub const DEFAULT_MAX_PENDING_HANDSHAKES: usize = 128;
/// Default handshake deadline (libzmq's `ZMQ_HANDSHAKE_IVL`).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Socket options. Start from [`Options::default`] and change what you need.
///
/// | option | default | libzmq equivalent |
/// |---|---|---|
/// | `send_hwm` | 1000 messages per peer | `ZMQ_SNDHWM` (1000) |
/// | `recv_hwm` | 1000 messages per peer | `ZMQ_RCVHWM` (1000) |
/// | `linger` | 2 s | `ZMQ_LINGER` (-1: forever) |
/// | `reconnect_interval` | 100 ms | `ZMQ_RECONNECT_IVL` (100 ms) |
/// | `reconnect_interval_max` | 5 s (exponential backoff with jitter) | `ZMQ_RECONNECT_IVL_MAX` (0: no backoff) |
/// | `max_message_size` | 64 MiB | `ZMQ_MAXMSGSIZE` (-1: unlimited) |
/// | `routing_id` | none (ROUTER peers generate one) | `ZMQ_ROUTING_ID` |
/// | `router_mandatory` | false | `ZMQ_ROUTER_MANDATORY` |
/// | `handshake_timeout` | 30 s | `ZMQ_HANDSHAKE_IVL` (30 s) |
/// | `max_pending_handshakes` | 128 per listener | none |
/// | `heartbeat_interval` | none (off) | `ZMQ_HEARTBEAT_IVL` (0: off) |
/// | `heartbeat_timeout` | none (= interval) | `ZMQ_HEARTBEAT_TIMEOUT` (= interval) |
/// | `heartbeat_ttl` | none | `ZMQ_HEARTBEAT_TTL` (0) |
///
/// ```
/// use ferromq::{Context, Options, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new().unwrap();
/// let opts = Options::default()
///     .with_send_hwm(10)
///     .with_linger(Duration::from_millis(500));
/// let push = ctx.socket_with(SocketType::Push, opts).unwrap();
/// assert_eq!(push.options().send_hwm, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Outgoing messages queued per peer before `send` blocks (PUSH, DEALER)
    /// or drops (ROUTER). At least 1.
    pub send_hwm: usize,
    /// Incoming messages queued per peer before ferromq stops reading from that
    /// peer (TCP flow control then pushes back on the sender). At least 1.
    /// `recv` moves up to `min(recv_hwm, 128)` messages at a time out of the
    /// pipes into the socket, so a socket holds at most that many more.
    pub recv_hwm: usize,
    /// How long [`Socket::close`](crate::Socket::close) (and drop) waits for
    /// queued messages to be written before giving up and reporting them.
    pub linger: Duration,
    /// First delay before reconnecting after a connection is lost or refused.
    /// Must be non-zero.
    pub reconnect_interval: Duration,
    /// Ceiling of the delay, which doubles after each failed attempt, with up
    /// to 25% random jitter added. Must be at least `reconnect_interval`.
    pub reconnect_interval_max: Duration,
    /// Largest message accepted from a peer, in bytes summed over its frames.
    /// A peer that announces a bigger frame or message loses its connection.
    /// Sending a bigger message is an [`Error::InvalidMessage`]. At least 1.
    /// Until its handshake completes, a peer's frames (READY and its
    /// metadata) are limited to 64 KiB, whatever this is.
    pub max_message_size: usize,
    /// Routing id announced to peers (used by a ROUTER peer to address this
    /// socket). 1 to 255 bytes, first byte not zero (zero-led ids are
    /// reserved for generated ones).
    pub routing_id: Option<Bytes>,
    /// ROUTER only: when a message names an unknown peer, fail with
    /// [`Error::HostUnreachable`]; when the peer's pipe is full, fail at once
    /// with [`Error::WouldBlock`], even from the blocking `send` (a ROUTER
    /// never blocks; libzmq's blocking send would wait instead). When false, such messages are dropped and counted
    /// in [`SocketStats`](crate::SocketStats).
    pub router_mandatory: bool,
    /// A connection that has not completed the greeting and handshake within
    /// this time is closed. Must be non-zero.
    pub handshake_timeout: Duration,
    /// Most accepted connections per listener that may be in their greeting
    /// or handshake at once; beyond it, new connections wait in the kernel's
    /// backlog, so slow or silent clients cannot exhaust the socket. At least 1.
    pub max_pending_handshakes: usize,
    /// Send a ZMTP PING to each ZMTP 3.1 peer this often once its handshake
    /// is done. `None`: no heartbeats.
    pub heartbeat_interval: Option<Duration>,
    /// After a PING, close the connection if nothing at all arrives within
    /// this time (a connecting socket then reconnects). `None`: the interval.
    pub heartbeat_timeout: Option<Duration>,
    /// Sent in each PING: asks the peer to close the connection if it hears
    /// nothing from us for this long. At most 6553.5 s (tenths of a second
    /// on the wire).
    pub heartbeat_ttl: Option<Duration>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            send_hwm: DEFAULT_HWM,
            recv_hwm: DEFAULT_HWM,
            linger: DEFAULT_LINGER,
            reconnect_interval: DEFAULT_RECONNECT_INTERVAL,
            reconnect_interval_max: DEFAULT_RECONNECT_INTERVAL_MAX,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            routing_id: None,
            router_mandatory: false,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_pending_handshakes: DEFAULT_MAX_PENDING_HANDSHAKES,
            heartbeat_interval: None,
            heartbeat_timeout: None,
            heartbeat_ttl: None,
        }
    }
}

impl Options {
    /// Set [`send_hwm`](Self::send_hwm).
    pub fn with_send_hwm(mut self, hwm: usize) -> Options {
        self.send_hwm = hwm;
        self
    }
    /// Set [`recv_hwm`](Self::recv_hwm).
    pub fn with_recv_hwm(mut self, hwm: usize) -> Options {
        self.recv_hwm = hwm;
        self
    }
    /// Set [`linger`](Self::linger).
    pub fn with_linger(mut self, linger: Duration) -> Options {
        self.linger = linger;
        self
    }
    /// Set [`reconnect_interval`](Self::reconnect_interval) and
    /// [`reconnect_interval_max`](Self::reconnect_interval_max).
    pub fn with_reconnect(mut self, interval: Duration, max: Duration) -> Options {
        self.reconnect_interval = interval;
        self.reconnect_interval_max = max;
        self
    }
    /// Set [`max_message_size`](Self::max_message_size).
    pub fn with_max_message_size(mut self, bytes: usize) -> Options {
        self.max_message_size = bytes;
        self
    }
    /// Set [`routing_id`](Self::routing_id).
    pub fn with_routing_id(mut self, id: impl Into<Bytes>) -> Options {
        self.routing_id = Some(id.into());
        self
    }
    /// Set [`router_mandatory`](Self::router_mandatory).
    pub fn with_router_mandatory(mut self, on: bool) -> Options {
        self.router_mandatory = on;
        self
    }
    /// Set [`max_pending_handshakes`](Self::max_pending_handshakes).
    pub fn with_max_pending_handshakes(mut self, n: usize) -> Options {
        self.max_pending_handshakes = n;
        self
    }
    /// Set [`handshake_timeout`](Self::handshake_timeout).
    pub fn with_handshake_timeout(mut self, t: Duration) -> Options {
        self.handshake_timeout = t;
        self
    }

    /// Turn heartbeats on: a PING every `interval`, and close when nothing
    /// arrives within `timeout` of one.
    pub fn with_heartbeat(mut self, interval: Duration, timeout: Duration) -> Options {
        self.heartbeat_interval = Some(interval);
        self.heartbeat_timeout = Some(timeout);
        self
    }
    /// Set [`heartbeat_ttl`](Self::heartbeat_ttl).
    pub fn with_heartbeat_ttl(mut self, ttl: Duration) -> Options {
        self.heartbeat_ttl = Some(ttl);
        self
    }

    /// The session's heartbeat settings, if heartbeats are on.
    pub(crate) fn heartbeat(&self) -> Option<crate::proto::session::Heartbeat> {
        let interval = self.heartbeat_interval?;
        let ttl = self.heartbeat_ttl.unwrap_or_default();
        Some(crate::proto::session::Heartbeat {
            interval,
            timeout: self.heartbeat_timeout.unwrap_or(interval),
            ttl_deciseconds: u16::try_from(ttl.as_millis() / 100).unwrap_or(u16::MAX),
        })
    }

    /// Check every value against its documented range.
    ///
    /// ```
    /// use ferromq::{Error, Options};
    /// let bad = Options::default().with_send_hwm(0);
    /// assert!(matches!(bad.validate(), Err(Error::InvalidOption { option: "send_hwm", .. })));
    /// ```
    pub fn validate(&self) -> Result<()> {
        fn bad(option: &'static str, reason: &'static str) -> Result<()> {
            Err(Error::InvalidOption { option, reason })
        }
        if self.send_hwm == 0 {
            return bad("send_hwm", "must be at least 1 (pipes are always bounded)");
        }
        if self.recv_hwm == 0 {
            return bad("recv_hwm", "must be at least 1 (pipes are always bounded)");
        }
        if self.reconnect_interval.is_zero() {
            return bad("reconnect_interval", "must be non-zero");
        }
        if self.reconnect_interval_max < self.reconnect_interval {
            return bad(
                "reconnect_interval_max",
                "must be at least reconnect_interval",
            );
        }
        if self.max_message_size == 0 {
            return bad("max_message_size", "must be at least 1 byte");
        }
        if self.handshake_timeout.is_zero() {
            return bad("handshake_timeout", "must be non-zero");
        }
        // Deadlines are computed as `now + duration` on the I/O thread:
        // keep every duration far from overflowing an Instant.
        let durations = [
            ("linger", Some(self.linger)),
            ("reconnect_interval_max", Some(self.reconnect_interval_max)),
            ("handshake_timeout", Some(self.handshake_timeout)),
            ("heartbeat_interval", self.heartbeat_interval),
            ("heartbeat_timeout", self.heartbeat_timeout),
        ];
        for (name, d) in durations {
            if d.is_some_and(|d| d > MAX_DURATION) {
                return bad(name, "must be at most 365 days");
            }
        }
        if self.max_pending_handshakes == 0 {
            return bad("max_pending_handshakes", "must be at least 1");
        }
        if self.heartbeat_interval.is_some_and(|d| d.is_zero()) {
            return bad(
                "heartbeat_interval",
                "must be non-zero (use None to turn off)",
            );
        }
        if self.heartbeat_timeout.is_some_and(|d| d.is_zero()) {
            return bad("heartbeat_timeout", "must be non-zero");
        }
        if self
            .heartbeat_ttl
            .is_some_and(|d| d.as_millis() / 100 > u128::from(u16::MAX))
        {
            return bad("heartbeat_ttl", "must be at most 6553.5 s");
        }
        if let Some(id) = &self.routing_id {
            if id.is_empty() || id.len() > 255 {
                return bad("routing_id", "must be 1 to 255 bytes");
            }
            if id.first() == Some(&0) {
                return bad(
                    "routing_id",
                    "must not start with a zero byte (reserved for generated ids)",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounded() {
        let o = Options::default();
        assert!(o.validate().is_ok());
        assert_eq!(o.send_hwm, 1000);
        assert!(o.linger < Duration::from_secs(60));
        assert!(o.max_message_size < usize::MAX);
    }

    #[test]
    fn out_of_range_values_are_typed_errors() {
        let cases = [
            (Options::default().with_recv_hwm(0), "recv_hwm"),
            (
                Options::default().with_reconnect(Duration::ZERO, Duration::ZERO),
                "reconnect_interval",
            ),
            (
                Options::default().with_reconnect(Duration::from_secs(2), Duration::from_secs(1)),
                "reconnect_interval_max",
            ),
            (
                Options::default().with_max_message_size(0),
                "max_message_size",
            ),
            (Options::default().with_routing_id(""), "routing_id"),
            (
                Options::default().with_routing_id(vec![0u8, 1]),
                "routing_id",
            ),
            (
                Options::default().with_routing_id(vec![1u8; 256]),
                "routing_id",
            ),
            (
                Options::default().with_handshake_timeout(Duration::ZERO),
                "handshake_timeout",
            ),
            (
                Options::default().with_heartbeat(Duration::ZERO, Duration::from_secs(1)),
                "heartbeat_interval",
            ),
            (
                Options::default().with_heartbeat_ttl(Duration::from_secs(7000)),
                "heartbeat_ttl",
            ),
            (
                Options::default().with_handshake_timeout(Duration::MAX),
                "handshake_timeout",
            ),
            (
                Options::default().with_reconnect(Duration::from_secs(1), Duration::MAX),
                "reconnect_interval_max",
            ),
            (Options::default().with_linger(Duration::MAX), "linger"),
        ];
        for (opts, name) in cases {
            match opts.validate() {
                Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
                other => panic!("{name}: expected InvalidOption, got {other:?}"),
            }
        }
    }
}
