//! Options on a live socket, subscriptions, and observation: readiness,
//! the readiness callback, the monitor and the counters.

use super::Socket;
use crate::error::Result;
use crate::monitor::{Monitor, MonitorQueue};
use crate::options::{Options, TcpKeepalive};
use crate::state::shared::Shared;
use crate::state::Readiness;
use crate::stats::SocketStats;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// One setter per option: name, field, type, and the docs' libzmq name.
macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident($field:ident: $ty:ty) => $value:expr; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self, $field: $ty) -> Result<()> {
                self.update(|o| o.$field = $value)
            }
        )*
    };
}

impl Socket {
    /// The options in force now.
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    /// let ctx = Context::new()?;
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.set_send_hwm(10)?;
    /// assert_eq!(push.options().send_hwm, 10);
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn options(&self) -> Options {
        self.shared.lock().opts.clone()
    }

    /// Change options: `f` edits a copy, which is checked (ranges, and
    /// options that do not apply to this socket type) before it replaces
    /// the current ones. On error nothing changes.
    fn update(&self, f: impl FnOnce(&mut Options)) -> Result<()> {
        let mut st = self.shared.lock();
        let mut next = st.opts.clone();
        f(&mut next);
        next.validate_for(self.ty)?;
        st.opts = next;
        // A larger HWM may unblock senders; a mode change may unblock
        // anyone.
        let wake = self.shared.all_wake(&st);
        drop(st);
        self.shared.send_cv.notify_all();
        self.shared.recv_cv.notify_all();
        self.shared.fire(wake);
        Ok(())
    }

    setters! {
        /// Set [`Options::send_hwm`] (`ZMQ_SNDHWM`). Applies at once to every
        /// pipe, existing ones included.
        set_send_hwm(send_hwm: usize) => send_hwm;
        /// Set [`Options::recv_hwm`] (`ZMQ_RCVHWM`). Applies at once to every
        /// pipe, existing ones included.
        set_recv_hwm(recv_hwm: usize) => recv_hwm;
        /// Set [`Options::linger`] (`ZMQ_LINGER`), used by the next `close`.
        set_linger(linger: Duration) => linger;
        /// Set [`Options::max_message_size`] (`ZMQ_MAXMSGSIZE`): sends at
        /// once, received messages on later connections.
        set_max_message_size(max_message_size: usize) => max_message_size;
        /// Set [`Options::routing_id`] (`ZMQ_ROUTING_ID`), announced on
        /// later connections.
        set_routing_id(routing_id: Option<Bytes>) => routing_id;
        /// Set [`Options::router_mandatory`] (`ZMQ_ROUTER_MANDATORY`).
        set_router_mandatory(router_mandatory: bool) => router_mandatory;
        /// Set [`Options::router_handover`] (`ZMQ_ROUTER_HANDOVER`).
        set_router_handover(router_handover: bool) => router_handover;
        /// Set [`Options::probe_router`] (`ZMQ_PROBE_ROUTER`), for later
        /// connections.
        set_probe_router(probe_router: bool) => probe_router;
        /// Set [`Options::connect_routing_id`] (`ZMQ_CONNECT_ROUTING_ID`),
        /// consumed by the next `connect`.
        set_connect_routing_id(connect_routing_id: Option<Bytes>) => connect_routing_id;
        /// Set [`Options::immediate`] (`ZMQ_IMMEDIATE`), for later `connect`s.
        set_immediate(immediate: bool) => immediate;
        /// Set [`Options::conflate`] (`ZMQ_CONFLATE`), for later pipes.
        set_conflate(conflate: bool) => conflate;
        /// Set [`Options::req_relaxed`] (`ZMQ_REQ_RELAXED`).
        set_req_relaxed(req_relaxed: bool) => req_relaxed;
        /// Set [`Options::req_correlate`] (`ZMQ_REQ_CORRELATE`), from the
        /// next request on.
        set_req_correlate(req_correlate: bool) => req_correlate;
        /// Set [`Options::xpub_verbose`] (`ZMQ_XPUB_VERBOSE`).
        set_xpub_verbose(xpub_verbose: bool) => xpub_verbose;
        /// Set [`Options::xpub_verboser`] (`ZMQ_XPUB_VERBOSER`).
        set_xpub_verboser(xpub_verboser: bool) => xpub_verboser;
        /// Set [`Options::xpub_nodrop`] (`ZMQ_XPUB_NODROP`).
        set_xpub_nodrop(xpub_nodrop: bool) => xpub_nodrop;
        /// Set [`Options::xpub_welcome_msg`] (`ZMQ_XPUB_WELCOME_MSG`), for
        /// later subscribers.
        set_xpub_welcome_msg(xpub_welcome_msg: Option<Bytes>) => xpub_welcome_msg;
        /// Set [`Options::tcp_keepalive`] (`ZMQ_TCP_KEEPALIVE` and its
        /// `_IDLE`, `_INTVL`, `_CNT`), for later connections.
        set_tcp_keepalive(tcp_keepalive: Option<TcpKeepalive>) => tcp_keepalive;
        /// Set [`Options::send_buffer`] (`ZMQ_SNDBUF`), for later connections.
        set_send_buffer(send_buffer: Option<usize>) => send_buffer;
        /// Set [`Options::recv_buffer`] (`ZMQ_RCVBUF`), for later
        /// connections and listeners.
        set_recv_buffer(recv_buffer: Option<usize>) => recv_buffer;
        /// Set [`Options::handshake_timeout`] (`ZMQ_HANDSHAKE_IVL`), for
        /// later connections.
        set_handshake_timeout(handshake_timeout: Duration) => handshake_timeout;
        /// Set [`Options::max_pending_handshakes`], at the next accept.
        set_max_pending_handshakes(max_pending_handshakes: usize) => max_pending_handshakes;
        /// Set [`Options::heartbeat_ttl`] (`ZMQ_HEARTBEAT_TTL`), for later
        /// connections.
        set_heartbeat_ttl(heartbeat_ttl: Option<Duration>) => heartbeat_ttl;
        /// Set [`Options::security`] (`ZMQ_PLAIN_*`, `ZMQ_CURVE_*`), for
        /// later connections.
        set_security(security: crate::security::Security) => security;
        /// Set [`Options::authenticator`], for later handshakes.
        set_authenticator(authenticator: Option<crate::security::Authenticator>) => authenticator;
    }

    /// Set [`Options::reconnect_interval`] and
    /// [`Options::reconnect_interval_max`] (`ZMQ_RECONNECT_IVL`,
    /// `ZMQ_RECONNECT_IVL_MAX`), for later `connect`s.
    pub fn set_reconnect(&self, interval: Duration, max: Duration) -> Result<()> {
        self.update(|o| {
            o.reconnect_interval = interval;
            o.reconnect_interval_max = max;
        })
    }

    /// Set (or, with `None`, turn off) heartbeats: [`Options::heartbeat_interval`]
    /// and [`Options::heartbeat_timeout`] (`ZMQ_HEARTBEAT_IVL`,
    /// `ZMQ_HEARTBEAT_TIMEOUT`), for later connections.
    pub fn set_heartbeat(
        &self,
        interval: Option<Duration>,
        timeout: Option<Duration>,
    ) -> Result<()> {
        self.update(|o| {
            o.heartbeat_interval = interval;
            o.heartbeat_timeout = timeout;
        })
    }

    /// SUB: receive messages whose first frame starts with `prefix`
    /// (`ZMQ_SUBSCRIBE`). `""` matches everything. Subscriptions are
    /// counted: subscribing twice needs two [`unsubscribe`](Self::unsubscribe)s.
    /// Publishers learn it at once, and again after every reconnection.
    /// Other socket types get [`Error::InvalidOption`](crate::Error::InvalidOption)
    /// (an XSUB sends `0x01`+topic messages instead).
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    /// let ctx = Context::new()?;
    /// let sub = ctx.socket(SocketType::Sub)?;
    /// sub.subscribe("weather.")?;
    /// sub.unsubscribe("weather.")?;
    /// assert!(ctx.socket(SocketType::Pub)?.subscribe("x").is_err());
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.change_subscription(prefix.as_ref(), true)
    }

    /// SUB: drop one reference to a subscription (`ZMQ_UNSUBSCRIBE`); the
    /// publishers are told when the last one goes. Unknown prefixes are
    /// ignored.
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.change_subscription(prefix.as_ref(), false)
    }

    fn change_subscription(&self, prefix: &[u8], on: bool) -> Result<()> {
        let mut st = self.shared.lock();
        st.subscribe(Bytes::copy_from_slice(prefix), on)?;
        self.release(st);
        Ok(())
    }

    /// Register a callback that the I/O thread calls whenever this socket may
    /// have become readable or writable (input arrived, a pipe got room, a
    /// peer attached, the stream ended). Use it to drive a socket from your
    /// own event loop: wake that loop from the callback, then check
    /// [`readiness`](Self::readiness) or call the `try_` forms until they
    /// would block. The callback runs on the I/O thread (or on the thread
    /// of a call that changed readiness), never with the socket's lock held;
    /// keep it short and never block in it, since it delays all of the
    /// context's I/O. Calls may be spurious; none is lost after an edge.
    /// Replaces any previous callback. (A [`Poller`](crate::Poller) does all
    /// of this for you.)
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let ctx = Context::new()?;
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let ep = pull.bind("tcp://127.0.0.1:0")?;
    /// let (flag, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    /// let f = flag.clone();
    /// pull.set_notify(move || f.store(true, Ordering::SeqCst)); // e.g. mio::Waker::wake
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.connect(&ep.to_string())?;
    /// push.send("hi")?;
    /// while !seen.load(Ordering::SeqCst) {
    ///     if flag.swap(false, Ordering::SeqCst) && pull.readiness().readable {
    ///         assert_eq!(pull.try_recv()?.frames()[0], "hi");
    ///         seen.store(true, Ordering::SeqCst);
    ///     }
    ///     std::thread::yield_now();
    /// }
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn set_notify(&self, f: impl Fn() + Send + Sync + 'static) {
        self.shared.set_notify(Some(Arc::new(f)));
    }

    /// Remove the readiness callback.
    pub fn clear_notify(&self) {
        self.shared.set_notify(None);
    }

    /// Start observing this socket's connection events (see [`Monitor`]).
    /// Calling it again replaces the previous monitor, which then receives
    /// nothing more. Once the socket is closed, the monitor hands out what
    /// is left and then returns [`Error::Closed`](crate::Error::Closed).
    pub fn monitor(&self) -> Monitor {
        let q = Arc::new(MonitorQueue::new());
        self.shared.set_monitor(q.clone());
        if self.shared.lock().is_closed() {
            q.close();
        }
        Monitor { inner: q }
    }

    /// A snapshot of the socket's counters.
    pub fn stats(&self) -> SocketStats {
        let mut s = self.shared.lock().stats();
        s.messages_received = self.shared.received();
        s
    }

    /// Whether `try_recv`/`try_send` would succeed now (or fail at once
    /// because the socket is closed).
    pub fn readiness(&self) -> Readiness {
        self.shared.readiness()
    }

    /// The shared half, for the poller.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}
