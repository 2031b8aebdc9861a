//! Counters a socket keeps so that nothing it drops is dropped silently.

/// A snapshot of a socket's counters, from
/// [`Socket::stats`](crate::Socket::stats).
///
/// ```
/// use ferromq::{Context, SocketType};
/// let ctx = Context::new().unwrap();
/// let router = ctx.socket(SocketType::Router).unwrap();
/// router.send(ferromq::Message::multipart(["nobody", "hi"])).unwrap();
/// assert_eq!(router.stats().dropped_unroutable, 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketStats {
    /// Messages handed to the socket by `send` and queued (ROUTER drops are
    /// not counted here, but in `dropped_*`).
    pub messages_sent: u64,
    /// Messages returned by `recv`.
    pub messages_received: u64,
    /// ROUTER: messages whose routing id matched no peer, dropped.
    pub dropped_unroutable: u64,
    /// ROUTER: messages dropped because the peer's pipe was at its HWM.
    pub dropped_full: u64,
    /// Messages lost because a connection went: those still queued for a
    /// peer that disconnected for good (an accepted connection that closed,
    /// or a `disconnect`ed endpoint), and those already taken from the pipe
    /// and not fully written when any connection dropped (a connect-side
    /// pipe keeps the rest for the next connection).
    pub dropped_on_disconnect: u64,
    /// Connections closed because the peer broke the protocol.
    pub protocol_errors: u64,
}
