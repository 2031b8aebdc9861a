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
    /// Messages handed to the socket by `send` and queued (a PUB message
    /// counts once, however many subscribers get it; messages dropped whole
    /// are not counted here, but in `dropped_*` or `unmatched`).
    pub messages_sent: u64,
    /// Messages returned by `recv` (and its `try_`/timed forms and
    /// `recv_incoming`) to the application.
    pub messages_received: u64,
    /// ROUTER: messages whose routing id matched no peer, dropped.
    pub dropped_unroutable: u64,
    /// Messages not queued for a peer because its pipe was at its HWM: a
    /// ROUTER's or REP's reply to a peer that is not keeping up, or a PUB's,
    /// XPUB's or XSUB's message for one subscriber (or publisher) among
    /// several.
    pub dropped_full: u64,
    /// Messages replaced by a newer one under `conflate`.
    pub dropped_conflated: u64,
    /// Received messages a socket type's rules discard: a REQ's stale or
    /// malformed replies (and replies from a peer it did not ask), a REP's
    /// requests without an envelope delimiter, messages sent to a PUSH.
    pub dropped_invalid: u64,
    /// Pub/sub filtering, which is not a loss: messages a PUB or XPUB sent
    /// that matched no subscription, and messages a SUB received that
    /// matched none of its own.
    pub unmatched: u64,
    /// Messages lost because a connection went: those still queued for a
    /// peer that disconnected for good (an accepted connection that closed,
    /// or a `disconnect`ed endpoint), and those already taken from the pipe
    /// and not fully written when any connection dropped (a connect-side
    /// pipe keeps the rest for the next connection).
    pub dropped_on_disconnect: u64,
    /// Messages received from peers that the application never read
    /// before the socket closed (discarded with it).
    pub unread_on_close: u64,
    /// Connections closed because the peer broke the protocol.
    pub protocol_errors: u64,
}
