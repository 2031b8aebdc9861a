//! Typed socket options with documented defaults.
//!
//! Options are given when the socket is created
//! ([`Context::socket_with`](crate::Context::socket_with)) and can be changed
//! on a live socket with its `set_*` methods; either way they are checked,
//! and a value out of range, or an option that does not apply to the socket's
//! type, is an [`Error::InvalidOption`].

use crate::error::{Error, Result};
use crate::proto::socket_type::SocketType;
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
/// Default cap on the subscriptions one subscriber may hold on a PUB/XPUB.
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 100_000;
/// Default cap on the bytes of topic one subscriber may hold on a PUB/XPUB.
pub const DEFAULT_MAX_SUBSCRIPTION_BYTES: usize = 16 * 1024 * 1024;
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
/// | `immediate` | false | `ZMQ_IMMEDIATE` |
/// | `tcp_keepalive` | none (the OS default) | `ZMQ_TCP_KEEPALIVE`, `_IDLE`, `_INTVL`, `_CNT` |
/// | `send_buffer` / `recv_buffer` | none (the OS default) | `ZMQ_SNDBUF` / `ZMQ_RCVBUF` |
/// | `router_handover` | false | `ZMQ_ROUTER_HANDOVER` (ROUTER) |
/// | `probe_router` | false | `ZMQ_PROBE_ROUTER` (DEALER, ROUTER, REQ) |
/// | `connect_routing_id` | none | `ZMQ_CONNECT_ROUTING_ID` (ROUTER) |
/// | `conflate` | false | `ZMQ_CONFLATE` (PUSH, PULL, DEALER, PUB, SUB) |
/// | `req_relaxed` / `req_correlate` | false | `ZMQ_REQ_RELAXED` / `ZMQ_REQ_CORRELATE` (REQ) |
/// | `xpub_verbose` / `xpub_verboser` | false | `ZMQ_XPUB_VERBOSE` / `ZMQ_XPUB_VERBOSER` (XPUB) |
/// | `xpub_nodrop` | false | `ZMQ_XPUB_NODROP` (PUB, XPUB) |
/// | `xpub_welcome_msg` | none | `ZMQ_XPUB_WELCOME_MSG` (PUB, XPUB) |
/// | `max_subscriptions` | 100,000 per subscriber | none (PUB, XPUB) |
/// | `max_subscription_bytes` | 16 MiB per subscriber | none (PUB, XPUB) |
///
/// Type-specific options (the last group) set to anything but their default
/// on a socket of another type are refused with [`Error::InvalidOption`].
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
    /// Queue messages only for peers whose connection is complete
    /// (`ZMQ_IMMEDIATE`). By default `connect` creates the peer's pipe at
    /// once, so messages sent before the connection is up wait for it (and
    /// round-robin may park some there); with `immediate`, the pipe appears
    /// only when the handshake completes and goes when the connection is
    /// lost, together with what it still held (counted in
    /// `dropped_on_disconnect`). Applies to later `connect`s.
    pub immediate: bool,
    /// TCP keepalive probes on this socket's connections (`SO_KEEPALIVE`
    /// with `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`). `None` leaves the
    /// OS default (off). Applies to later connections.
    pub tcp_keepalive: Option<TcpKeepalive>,
    /// Kernel send buffer per connection in bytes (`SO_SNDBUF`); `None`
    /// keeps the OS default (which autotunes). Applies to later connections.
    pub send_buffer: Option<usize>,
    /// Kernel receive buffer per connection in bytes (`SO_RCVBUF`); `None`
    /// keeps the OS default. Applies to later connections and listeners.
    pub recv_buffer: Option<usize>,
    /// ROUTER only: a peer announcing a routing id that a connected peer
    /// already has takes it over, and the older connection is closed
    /// (`ZMQ_ROUTER_HANDOVER`). Without it the newcomer is refused.
    pub router_handover: bool,
    /// DEALER, ROUTER and REQ: when a connection completes, send the peer
    /// an empty one-frame message, so a ROUTER learns of us at once
    /// (`ZMQ_PROBE_ROUTER`).
    pub probe_router: bool,
    /// ROUTER only: the routing id the *next* `connect` gives its peer, in
    /// place of whatever the peer announces (`ZMQ_CONNECT_ROUTING_ID`);
    /// consumed by that `connect`. 1 to 255 bytes, first byte not zero.
    pub connect_routing_id: Option<Bytes>,
    /// Keep only the newest message in each pipe, in each direction
    /// (`ZMQ_CONFLATE`): for "latest value" feeds. Replaced messages are
    /// counted in `dropped_conflated`; the HWM does not apply. PUSH, PULL,
    /// DEALER, PUB and SUB only (as in libzmq). Applies to later pipes.
    pub conflate: bool,
    /// REQ only: allow a new request before the reply to the previous one
    /// arrived (`ZMQ_REQ_RELAXED`); the old reply is then ignored when it
    /// comes. The cure for a REQ whose REP died. Best with `req_correlate`.
    pub req_relaxed: bool,
    /// REQ only: put a request-id frame before each request's delimiter
    /// and accept only the reply carrying the current id
    /// (`ZMQ_REQ_CORRELATE`).
    pub req_correlate: bool,
    /// XPUB only: hand every subscribe to `recv`, not just a topic's first
    /// (`ZMQ_XPUB_VERBOSE`).
    pub xpub_verbose: bool,
    /// XPUB only: as `xpub_verbose`, and also every cancel, not just a
    /// topic's last (`ZMQ_XPUB_VERBOSER`).
    pub xpub_verboser: bool,
    /// PUB and XPUB: instead of dropping a message for a subscriber at its
    /// HWM, make `send` wait (or fail with `WouldBlock`) until every
    /// matching subscriber has room (`ZMQ_XPUB_NODROP`).
    pub xpub_nodrop: bool,
    /// PUB and XPUB: a message sent to each new subscriber when it
    /// connects (`ZMQ_XPUB_WELCOME_MSG`); like any message, it reaches only
    /// a subscriber whose subscriptions match it.
    pub xpub_welcome_msg: Option<Bytes>,
    /// PUB and XPUB: most subscriptions one subscriber may hold. A
    /// subscriber that asks for more loses its connection (monitor reason
    /// `Refused`), so no peer can make a publisher's memory grow without
    /// bound. libzmq has no such limit. At least 1.
    pub max_subscriptions: usize,
    /// PUB and XPUB: most bytes of topic one subscriber's subscriptions may
    /// add up to; over it, as for `max_subscriptions`. At least 1.
    pub max_subscription_bytes: usize,
    /// The security mechanism and this socket's role in it (`ZMQ_PLAIN_*`,
    /// `ZMQ_CURVE_*`): NULL by default. Applies to later connections
    /// (TCP and ipc; `inproc://` has no mechanism). PLAIN user names and
    /// passwords are at most 255 bytes.
    pub security: crate::security::Security,
    /// Who decides which peers a server (PLAIN, CURVE, or NULL) admits
    /// (libzmq's ZAP handler). `None`: PLAIN servers refuse everyone;
    /// NULL and CURVE servers admit everyone.
    pub authenticator: Option<crate::security::Authenticator>,
}

/// TCP keepalive settings (see [`Options::tcp_keepalive`]). A `None` field
/// keeps the OS default for that setting.
///
/// ```
/// use ferromq::{Options, TcpKeepalive};
/// use std::time::Duration;
/// let ka = TcpKeepalive::default()
///     .with_idle(Duration::from_secs(60))
///     .with_retries(3);
/// let opts = Options::default().with_tcp_keepalive(ka);
/// assert!(opts.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TcpKeepalive {
    /// Idle time before the first probe (`TCP_KEEPIDLE`; whole seconds,
    /// 1 s to 32767 s).
    pub idle: Option<Duration>,
    /// Time between probes (`TCP_KEEPINTVL`; whole seconds, 1 s to 32767 s).
    pub interval: Option<Duration>,
    /// Unanswered probes before the connection is dropped (`TCP_KEEPCNT`;
    /// 1 to 127).
    pub retries: Option<u32>,
}

impl TcpKeepalive {
    /// Set [`idle`](Self::idle).
    pub fn with_idle(mut self, idle: Duration) -> TcpKeepalive {
        self.idle = Some(idle);
        self
    }
    /// Set [`interval`](Self::interval).
    pub fn with_interval(mut self, interval: Duration) -> TcpKeepalive {
        self.interval = Some(interval);
        self
    }
    /// Set [`retries`](Self::retries).
    pub fn with_retries(mut self, retries: u32) -> TcpKeepalive {
        self.retries = Some(retries);
        self
    }
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
            immediate: false,
            tcp_keepalive: None,
            send_buffer: None,
            recv_buffer: None,
            router_handover: false,
            probe_router: false,
            connect_routing_id: None,
            conflate: false,
            req_relaxed: false,
            req_correlate: false,
            xpub_verbose: false,
            xpub_verboser: false,
            xpub_nodrop: false,
            xpub_welcome_msg: None,
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            max_subscription_bytes: DEFAULT_MAX_SUBSCRIPTION_BYTES,
            security: crate::security::Security::Null,
            authenticator: None,
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

    /// Set [`immediate`](Self::immediate).
    pub fn with_immediate(mut self, on: bool) -> Options {
        self.immediate = on;
        self
    }
    /// Set [`tcp_keepalive`](Self::tcp_keepalive).
    pub fn with_tcp_keepalive(mut self, keepalive: TcpKeepalive) -> Options {
        self.tcp_keepalive = Some(keepalive);
        self
    }
    /// Set [`send_buffer`](Self::send_buffer) and
    /// [`recv_buffer`](Self::recv_buffer) (`None` keeps the OS default).
    pub fn with_buffers(mut self, send: Option<usize>, recv: Option<usize>) -> Options {
        self.send_buffer = send;
        self.recv_buffer = recv;
        self
    }
    /// Set [`router_handover`](Self::router_handover).
    pub fn with_router_handover(mut self, on: bool) -> Options {
        self.router_handover = on;
        self
    }
    /// Set [`probe_router`](Self::probe_router).
    pub fn with_probe_router(mut self, on: bool) -> Options {
        self.probe_router = on;
        self
    }
    /// Set [`connect_routing_id`](Self::connect_routing_id).
    pub fn with_connect_routing_id(mut self, id: impl Into<Bytes>) -> Options {
        self.connect_routing_id = Some(id.into());
        self
    }
    /// Set [`conflate`](Self::conflate).
    pub fn with_conflate(mut self, on: bool) -> Options {
        self.conflate = on;
        self
    }
    /// Set [`req_relaxed`](Self::req_relaxed) and
    /// [`req_correlate`](Self::req_correlate).
    pub fn with_req(mut self, relaxed: bool, correlate: bool) -> Options {
        self.req_relaxed = relaxed;
        self.req_correlate = correlate;
        self
    }
    /// Set [`xpub_verbose`](Self::xpub_verbose).
    pub fn with_xpub_verbose(mut self, on: bool) -> Options {
        self.xpub_verbose = on;
        self
    }
    /// Set [`xpub_verboser`](Self::xpub_verboser).
    pub fn with_xpub_verboser(mut self, on: bool) -> Options {
        self.xpub_verboser = on;
        self
    }
    /// Set [`xpub_nodrop`](Self::xpub_nodrop).
    pub fn with_xpub_nodrop(mut self, on: bool) -> Options {
        self.xpub_nodrop = on;
        self
    }
    /// Set [`xpub_welcome_msg`](Self::xpub_welcome_msg).
    pub fn with_xpub_welcome_msg(mut self, msg: impl Into<Bytes>) -> Options {
        self.xpub_welcome_msg = Some(msg.into());
        self
    }

    /// Set [`max_subscriptions`](Self::max_subscriptions) and
    /// [`max_subscription_bytes`](Self::max_subscription_bytes).
    pub fn with_subscription_limits(mut self, count: usize, bytes: usize) -> Options {
        self.max_subscriptions = count;
        self.max_subscription_bytes = bytes;
        self
    }

    /// PLAIN client: log in with `username` and `password` (sent in the
    /// clear; for trusted networks only).
    pub fn with_plain_client(
        mut self,
        username: impl Into<Bytes>,
        password: impl Into<Bytes>,
    ) -> Options {
        self.security = crate::security::Security::PlainClient {
            username: username.into(),
            password: password.into(),
        };
        self
    }

    /// PLAIN server: check clients' credentials with the
    /// [`authenticator`](Self::authenticator).
    pub fn with_plain_server(mut self) -> Options {
        self.security = crate::security::Security::PlainServer;
        self
    }

    /// CURVE client with this key pair, talking to the server whose public
    /// key is `server`.
    #[cfg(feature = "curve")]
    pub fn with_curve_client(
        mut self,
        keys: crate::security::CurveKeyPair,
        server: crate::security::CurvePublicKey,
    ) -> Options {
        self.security = crate::security::Security::CurveClient { keys, server };
        self
    }

    /// CURVE server with this secret key.
    #[cfg(feature = "curve")]
    pub fn with_curve_server(mut self, secret: crate::security::CurveSecretKey) -> Options {
        self.security = crate::security::Security::CurveServer { secret };
        self
    }

    /// Set the [`authenticator`](Self::authenticator).
    pub fn with_authenticator(mut self, auth: crate::security::Authenticator) -> Options {
        self.authenticator = Some(auth);
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
        if let crate::security::Security::PlainClient { username, password } = &self.security {
            if username.len() > 255 || password.len() > 255 {
                return bad(
                    "security",
                    "a PLAIN user name and password are at most 255 bytes each",
                );
            }
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
        if self.max_subscriptions == 0 {
            return bad("max_subscriptions", "must be at least 1");
        }
        if self.max_subscription_bytes == 0 {
            return bad("max_subscription_bytes", "must be at least 1");
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
        for (name, id) in [
            ("routing_id", &self.routing_id),
            ("connect_routing_id", &self.connect_routing_id),
        ] {
            if let Some(id) = id {
                if id.is_empty() || id.len() > 255 {
                    return bad(name, "must be 1 to 255 bytes");
                }
                if id.first() == Some(&0) {
                    return bad(
                        name,
                        "must not start with a zero byte (reserved for generated ids)",
                    );
                }
            }
        }
        // The kernel caps buffers far lower; this only keeps the value
        // within what setsockopt's int can carry.
        for (name, b) in [
            ("send_buffer", self.send_buffer),
            ("recv_buffer", self.recv_buffer),
        ] {
            if b.is_some_and(|b| b == 0 || b > i32::MAX as usize) {
                return bad(name, "must be 1 byte to 2 GiB (None keeps the OS default)");
            }
        }
        if let Some(ka) = self.tcp_keepalive {
            for (name, d) in [
                ("tcp_keepalive.idle", ka.idle),
                ("tcp_keepalive.interval", ka.interval),
            ] {
                if d.is_some_and(|d| d.as_secs() == 0 || d.as_secs() > 32767) {
                    return bad(name, "must be 1 s to 32767 s");
                }
            }
            if ka.retries.is_some_and(|n| n == 0 || n > 127) {
                return bad("tcp_keepalive.retries", "must be 1 to 127");
            }
        }
        Ok(())
    }

    /// Check the options against a socket type: [`validate`](Self::validate),
    /// and type-specific options left at their defaults on other types.
    ///
    /// ```
    /// use ferromq::{Error, Options, SocketType};
    /// let o = Options::default().with_router_mandatory(true);
    /// assert!(o.validate_for(SocketType::Router).is_ok());
    /// let err = o.validate_for(SocketType::Push).unwrap_err();
    /// assert!(matches!(err, Error::InvalidOption { option: "router_mandatory", .. }));
    /// ```
    pub fn validate_for(&self, ty: SocketType) -> Result<()> {
        use SocketType::*;
        self.validate()?;
        let d = Options::default();
        let rules: [(&'static str, bool, &[SocketType], &'static str); 13] = [
            (
                "router_mandatory",
                self.router_mandatory != d.router_mandatory,
                &[Router],
                "applies only to ROUTER sockets",
            ),
            (
                "router_handover",
                self.router_handover != d.router_handover,
                &[Router],
                "applies only to ROUTER sockets",
            ),
            (
                "connect_routing_id",
                self.connect_routing_id.is_some(),
                &[Router],
                "applies only to ROUTER sockets",
            ),
            (
                "probe_router",
                self.probe_router != d.probe_router,
                &[Router, Dealer, Req],
                "applies only to ROUTER, DEALER and REQ sockets",
            ),
            (
                "req_relaxed",
                self.req_relaxed != d.req_relaxed,
                &[Req],
                "applies only to REQ sockets",
            ),
            (
                "req_correlate",
                self.req_correlate != d.req_correlate,
                &[Req],
                "applies only to REQ sockets",
            ),
            (
                "xpub_verbose",
                self.xpub_verbose != d.xpub_verbose,
                &[XPub],
                "applies only to XPUB sockets",
            ),
            (
                "xpub_verboser",
                self.xpub_verboser != d.xpub_verboser,
                &[XPub],
                "applies only to XPUB sockets",
            ),
            (
                "xpub_nodrop",
                self.xpub_nodrop != d.xpub_nodrop,
                &[Pub, XPub],
                "applies only to PUB and XPUB sockets",
            ),
            (
                "xpub_welcome_msg",
                self.xpub_welcome_msg.is_some(),
                &[Pub, XPub],
                "applies only to PUB and XPUB sockets",
            ),
            (
                "max_subscriptions",
                self.max_subscriptions != d.max_subscriptions,
                &[Pub, XPub],
                "applies only to PUB and XPUB sockets",
            ),
            (
                "max_subscription_bytes",
                self.max_subscription_bytes != d.max_subscription_bytes,
                &[Pub, XPub],
                "applies only to PUB and XPUB sockets",
            ),
            (
                "conflate",
                self.conflate != d.conflate,
                &[Push, Pull, Dealer, Pub, Sub],
                "applies only to PUSH, PULL, DEALER, PUB and SUB sockets (as in libzmq)",
            ),
        ];
        for (option, set, types, reason) in rules {
            if set && !types.contains(&ty) {
                return Err(Error::InvalidOption { option, reason });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_specific_options_are_refused_on_other_types() {
        use crate::proto::socket_type::ALL_TYPES;
        let cases: [(Options, &str, &[SocketType]); 6] = [
            (
                Options::default().with_router_mandatory(true),
                "router_mandatory",
                &[SocketType::Router],
            ),
            (
                Options::default().with_req(true, false),
                "req_relaxed",
                &[SocketType::Req],
            ),
            (
                Options::default().with_xpub_verbose(true),
                "xpub_verbose",
                &[SocketType::XPub],
            ),
            (
                Options::default().with_xpub_nodrop(true),
                "xpub_nodrop",
                &[SocketType::Pub, SocketType::XPub],
            ),
            (
                Options::default().with_conflate(true),
                "conflate",
                &[
                    SocketType::Push,
                    SocketType::Pull,
                    SocketType::Dealer,
                    SocketType::Pub,
                    SocketType::Sub,
                ],
            ),
            (
                Options::default().with_probe_router(true),
                "probe_router",
                &[SocketType::Router, SocketType::Dealer, SocketType::Req],
            ),
        ];
        for (opts, name, ok) in cases {
            for ty in ALL_TYPES {
                match opts.validate_for(ty) {
                    Ok(()) => assert!(ok.contains(&ty), "{name} accepted on {ty}"),
                    Err(Error::InvalidOption { option, .. }) => {
                        assert_eq!(option, name);
                        assert!(!ok.contains(&ty), "{name} refused on {ty}");
                    }
                    Err(e) => panic!("{name} on {ty}: {e}"),
                }
            }
        }
        for ty in ALL_TYPES {
            assert!(
                Options::default().validate_for(ty).is_ok(),
                "defaults on {ty}"
            );
        }
    }

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
            (
                Options::default().with_connect_routing_id(vec![0u8, 1]),
                "connect_routing_id",
            ),
            (
                Options::default().with_buffers(Some(0), None),
                "send_buffer",
            ),
            (
                Options::default().with_buffers(None, Some(usize::MAX)),
                "recv_buffer",
            ),
            (
                Options::default()
                    .with_tcp_keepalive(TcpKeepalive::default().with_idle(Duration::MAX)),
                "tcp_keepalive.idle",
            ),
            (
                Options::default().with_tcp_keepalive(TcpKeepalive::default().with_retries(0)),
                "tcp_keepalive.retries",
            ),
        ];
        for (opts, name) in cases {
            match opts.validate() {
                Err(Error::InvalidOption { option, .. }) => assert_eq!(option, name),
                other => panic!("{name}: expected InvalidOption, got {other:?}"),
            }
        }
    }
}
