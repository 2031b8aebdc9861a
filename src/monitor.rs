//! Monitor events: a bounded stream of what happens to a socket's
//! connections, for the application to observe.

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many events a monitor holds before it starts counting misses.
pub const MONITOR_CAPACITY: usize = 1024;

/// Why a handshake failed or a connection ended.
///
/// ```
/// use ferromq::{Context, MonitorEvent, Reason, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let push = ctx.socket(SocketType::Push)?;
/// let ep = push.bind("tcp://127.0.0.1:0")?;
/// let wrong = ctx.socket(SocketType::Push)?; // PUSH cannot talk to PUSH
/// let mon = wrong.monitor();
/// wrong.connect(&ep.to_string())?;
/// let reason = loop {
///     if let MonitorEvent::HandshakeFailed { reason, .. } = mon.recv_timeout(Duration::from_secs(10))? {
///         break reason;
///     }
/// };
/// assert_eq!(reason, Reason::SocketType("PUSH".into()));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The peer sent bytes that break ZMTP (bad greeting, frame, command or
    /// metadata); the text says which.
    Protocol(String),
    /// The peer's greeting names another security mechanism.
    Mechanism(String),
    /// The peer closed the connection during its greeting, after its
    /// version but before its mechanism: libzmq's way of refusing a peer
    /// whose security mechanism differs from its own (a CURVE or PLAIN
    /// server, or client, when we speak NULL).
    MechanismRefused,
    /// The peer's socket type cannot talk to ours.
    SocketType(String),
    /// The greeting and handshake did not finish within `handshake_timeout`.
    HandshakeTimeout,
    /// Nothing arrived within the heartbeat timeout (or the peer's TTL).
    HeartbeatTimeout,
    /// The peer sent a ZMTP ERROR command with this reason.
    PeerError(String),
    /// The peer announced a routing id this ROUTER refuses (zero-led,
    /// over 255 bytes, or already in use).
    RoutingId(&'static str),
    /// The socket refused the peer after its handshake (a PAIR that already
    /// has its peer, a socket that is closing).
    Refused(&'static str),
    /// The peer sent a message larger than `max_message_size`.
    MessageTooLarge,
    /// The peer closed the connection.
    PeerClosed,
    /// A network error.
    Io(std::io::ErrorKind),
    /// Our side closed it (`close`, `disconnect`, or the socket closing).
    Closed,
    /// The security handshake failed: a malformed PLAIN or CURVE command, a
    /// CURVE box that does not open (a client with the wrong server key), a
    /// cookie or vouch from another connection, a replayed nonce.
    Security(String),
    /// Our authenticator refused the peer (the peer was sent ERROR with the
    /// status code; a peer that refuses *us* shows as `PeerError`).
    AuthFailed {
        /// The status code (`300`, `400`, `500`).
        status: u16,
        /// The authenticator's reason.
        text: String,
    },
}

/// One thing that happened to a socket.
///
/// ```
/// use ferromq::{Context, MonitorEvent, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// let ep = pull.bind("tcp://127.0.0.1:0")?;
/// let push = ctx.socket(SocketType::Push)?;
/// let mon = push.monitor();
/// push.connect(&ep.to_string())?;
/// // Connected (TCP), then HandshakeSucceeded (ZMTP): messages may flow.
/// loop {
///     match mon.recv_timeout(Duration::from_secs(10))? {
///         MonitorEvent::HandshakeSucceeded { endpoint } => {
///             assert_eq!(endpoint, ep);
///             break;
///         }
///         other => println!("{other}"),
///     }
/// }
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// `bind` succeeded: accepting on this endpoint.
    Listening {
        /// The bound endpoint (real port).
        endpoint: Endpoint,
    },
    /// A listener accepted a connection (its handshake follows).
    Accepted {
        /// The listener's endpoint.
        endpoint: Endpoint,
        /// The peer's address.
        peer: crate::endpoint::PeerAddr,
    },
    /// An outgoing connection was established (its handshake follows).
    Connected {
        /// The endpoint connected to.
        endpoint: Endpoint,
    },
    /// The endpoint's host name could not be resolved (it is tried again
    /// with the reconnect backoff; a `ConnectRetried` follows).
    ResolveFailed {
        /// The endpoint.
        endpoint: Endpoint,
        /// What the resolver said.
        error: String,
    },
    /// A connect attempt failed or a connection was lost; the next attempt
    /// starts after `delay`.
    ConnectRetried {
        /// The endpoint.
        endpoint: Endpoint,
        /// Backoff before the next attempt.
        delay: Duration,
    },
    /// Greeting and handshake completed; messages may flow.
    HandshakeSucceeded {
        /// The endpoint (listener's, or the one connected to).
        endpoint: Endpoint,
    },
    /// The connection was closed before its handshake completed.
    HandshakeFailed {
        /// The endpoint.
        endpoint: Endpoint,
        /// Why.
        reason: Reason,
    },
    /// A connection whose handshake had completed was closed.
    Disconnected {
        /// The endpoint.
        endpoint: Endpoint,
        /// Why.
        reason: Reason,
    },
    /// A listener was closed (`unbind` or socket close).
    Closed {
        /// The endpoint it listened on.
        endpoint: Endpoint,
    },
    /// Right after `HandshakeSucceeded`, when an authenticator admitted the
    /// peer: who it is (a PLAIN user name, a CURVE client's public key in
    /// Z85, or what your handler named it).
    Authenticated {
        /// The endpoint (for an accepted peer: the one it connected to).
        endpoint: Endpoint,
        /// The authenticated identity.
        user_id: String,
        /// The routing id a ROUTER gave the peer (its messages start with
        /// it), so replies and deliveries can be tied to the identity.
        routing_id: Option<bytes::Bytes>,
    },
}

#[derive(Debug)]
pub(crate) struct MonitorQueue {
    q: Mutex<VecDeque<MonitorEvent>>,
    cv: Condvar,
    missed: AtomicU64,
    /// The socket is closed: no more events will come.
    closed: AtomicBool,
}

impl MonitorQueue {
    pub(crate) fn new() -> MonitorQueue {
        MonitorQueue {
            q: Mutex::new(VecDeque::new()),
            cv: Condvar::new(),
            missed: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// No more events will come (the socket closed): receivers return
    /// `Closed` once the queue is empty.
    pub(crate) fn close(&self) {
        let _q = self.q.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::SeqCst);
        self.cv.notify_all();
    }

    /// Queue an event; when full, count it as missed instead (a slow
    /// observer never makes memory grow).
    pub(crate) fn push(&self, ev: MonitorEvent) {
        let mut q = self.q.lock().unwrap_or_else(PoisonError::into_inner);
        if q.len() >= MONITOR_CAPACITY {
            self.missed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        q.push_back(ev);
        drop(q);
        self.cv.notify_one();
    }
}

/// The receiving end of a socket's monitor events, from
/// [`Socket::monitor`](crate::Socket::monitor).
///
/// Holds at most [`MONITOR_CAPACITY`] events; events that arrive while it is
/// full are counted in [`missed`](Self::missed) and discarded.
///
/// ```
/// use ferromq::{Context, MonitorEvent, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new().unwrap();
/// let pull = ctx.socket(SocketType::Pull).unwrap();
/// let mon = pull.monitor();
/// let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
/// let ev = mon.recv_timeout(Duration::from_secs(5)).unwrap();
/// assert_eq!(ev, MonitorEvent::Listening { endpoint: ep });
/// ```
#[derive(Debug, Clone)]
pub struct Monitor {
    pub(crate) inner: Arc<MonitorQueue>,
}

impl Monitor {
    /// The next event, waiting at most `timeout` ([`Error::TimedOut`]).
    /// Any duration is fine, `Duration::MAX` included (it waits for ever).
    /// Once the socket is closed and every event has been taken,
    /// [`Error::Closed`] (at once, without waiting).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<MonitorEvent> {
        // A timeout too large to add to now is as good as forever.
        let deadline = Instant::now().checked_add(timeout);
        let mut q = self.inner.q.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(ev) = q.pop_front() {
                return Ok(ev);
            }
            if self.inner.closed.load(Ordering::SeqCst) {
                return Err(Error::Closed);
            }
            q = match deadline {
                None => self
                    .inner
                    .cv
                    .wait(q)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(Error::TimedOut);
                    }
                    self.inner
                        .cv
                        .wait_timeout(q, d - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// The next event if one is queued ([`Error::WouldBlock`] otherwise, or
    /// [`Error::Closed`] when the socket is closed and nothing is left).
    pub fn try_recv(&self) -> Result<MonitorEvent> {
        let mut q = self.inner.q.lock().unwrap_or_else(PoisonError::into_inner);
        match q.pop_front() {
            Some(ev) => Ok(ev),
            None if self.inner.closed.load(Ordering::SeqCst) => Err(Error::Closed),
            None => Err(Error::WouldBlock),
        }
    }

    /// Events discarded because the monitor was full.
    pub fn missed(&self) -> u64 {
        self.inner.missed.load(Ordering::Relaxed)
    }
}

impl std::fmt::Display for Reason {
    /// A short human-readable form, e.g. `peer closed the connection`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Protocol(what) => write!(f, "protocol error: {what}"),
            Reason::Mechanism(m) => write!(f, "peer uses the {m} security mechanism"),
            Reason::MechanismRefused => f.write_str("peer refused our security mechanism"),
            Reason::SocketType(t) => write!(f, "incompatible peer socket type {t}"),
            Reason::HandshakeTimeout => f.write_str("handshake timed out"),
            Reason::HeartbeatTimeout => f.write_str("heartbeat timed out"),
            Reason::PeerError(r) => write!(f, "peer sent ERROR: {r}"),
            Reason::RoutingId(r) => write!(f, "routing id refused: {r}"),
            Reason::Refused(r) => write!(f, "peer refused: {r}"),
            Reason::MessageTooLarge => f.write_str("peer sent a message over max_message_size"),
            Reason::PeerClosed => f.write_str("peer closed the connection"),
            Reason::Io(kind) => write!(f, "network error: {kind}"),
            Reason::Closed => f.write_str("closed by us"),
            Reason::Security(what) => write!(f, "security handshake failed: {what}"),
            Reason::AuthFailed { status, text } => {
                write!(f, "authenticator refused the peer ({status}): {text}")
            }
        }
    }
}

impl std::fmt::Display for MonitorEvent {
    /// One line, e.g. `connected tcp://127.0.0.1:5555` or `disconnected
    /// tcp://127.0.0.1:5555: peer closed the connection`.
    ///
    /// ```
    /// use ferromq::{Endpoint, MonitorEvent};
    /// let ev = MonitorEvent::Connected { endpoint: "tcp://127.0.0.1:5555".parse::<Endpoint>()? };
    /// assert_eq!(ev.to_string(), "connected tcp://127.0.0.1:5555");
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MonitorEvent::Listening { endpoint } => write!(f, "listening {endpoint}"),
            MonitorEvent::Accepted { endpoint, peer } => {
                write!(f, "accepted {peer} on {endpoint}")
            }
            MonitorEvent::Connected { endpoint } => write!(f, "connected {endpoint}"),
            MonitorEvent::ResolveFailed { endpoint, error } => {
                write!(f, "resolve failed {endpoint}: {error}")
            }
            MonitorEvent::ConnectRetried { endpoint, delay } => {
                write!(f, "connect retry {endpoint} in {delay:?}")
            }
            MonitorEvent::HandshakeSucceeded { endpoint } => {
                write!(f, "handshake succeeded {endpoint}")
            }
            MonitorEvent::HandshakeFailed { endpoint, reason } => {
                write!(f, "handshake failed {endpoint}: {reason}")
            }
            MonitorEvent::Disconnected { endpoint, reason } => {
                write!(f, "disconnected {endpoint}: {reason}")
            }
            MonitorEvent::Closed { endpoint } => write!(f, "closed {endpoint}"),
            MonitorEvent::Authenticated {
                endpoint, user_id, ..
            } => write!(f, "authenticated {user_id} on {endpoint}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_words() {
        let endpoint = Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port: 5555,
        };
        let ev = MonitorEvent::Disconnected {
            endpoint: endpoint.clone(),
            reason: Reason::PeerClosed,
        };
        assert_eq!(
            ev.to_string(),
            "disconnected tcp://127.0.0.1:5555: peer closed the connection"
        );
        let ev = MonitorEvent::HandshakeFailed {
            endpoint,
            reason: Reason::MechanismRefused,
        };
        assert_eq!(
            ev.to_string(),
            "handshake failed tcp://127.0.0.1:5555: peer refused our security mechanism"
        );
    }
}
