//! The sans-IO protocol core: ZMTP 3.1 wire formats, the NULL mechanism and
//! the per-connection state machine.
//!
//! **Invariant:** nothing in this module touches sockets, threads, mio or the
//! clock. Bytes and the current time go in; bytes, events and the next
//! deadline come out.

pub(crate) mod mechanism;
pub(crate) mod session;
pub(crate) mod socket_type;
pub(crate) mod tx;
#[allow(dead_code, unused_imports)] // parts serve later mechanisms and socket types
pub(crate) mod wire;

use bytes::Bytes;
pub(crate) use wire::WireError;

/// Why a connection was closed by the protocol layer. Each one closes that
/// connection only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProtoError {
    /// Malformed bytes: bad greeting, frame or command.
    #[error("wire: {0}")]
    Wire(#[from] WireError),
    /// The peer's greeting names another security mechanism.
    #[error("mechanism mismatch: peer uses {0:?}")]
    MechanismMismatch(Bytes),
    /// The peer's Socket-Type cannot talk to ours.
    #[error("incompatible socket type {0:?}")]
    IncompatibleSocketType(Bytes),
    /// A data frame, or a command other than READY/ERROR, arrived before the handshake ended.
    #[error("unexpected {0} during handshake")]
    UnexpectedDuringHandshake(&'static str),
    /// The peer sent ERROR with this reason.
    #[error("peer sent ERROR {0:?}")]
    PeerError(Bytes),
    /// The peer closed the connection in the middle of its greeting, after
    /// its signature and version but before its mechanism: that is how
    /// libzmq refuses a peer whose security mechanism (NULL, PLAIN, CURVE)
    /// differs from its own.
    #[error("peer closed during the greeting: it refuses our security mechanism")]
    MechanismRefused,
    /// The greeting and handshake did not finish in time.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// Nothing arrived within the heartbeat timeout after a PING, or within
    /// the TTL the peer asked for.
    #[error("heartbeat timed out")]
    HeartbeatTimeout,
    /// A message summed over its frames exceeds `max_message_size`.
    #[error("message of at least {size} bytes exceeds the limit of {limit}")]
    MessageTooLarge {
        /// Bytes seen so far.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A command frame had the MORE flag, or a command arrived inside a multipart message.
    #[error("command frame inside a multipart message")]
    CommandInMultipart,
    /// A security handshake command was malformed, or did not verify (a
    /// CURVE box that does not open, a cookie or vouch for another
    /// connection).
    #[error("security handshake failed: {0}")]
    BadHandshake(&'static str),
    /// A CURVE nonce did not increase (a replay), or ran out.
    #[error("CURVE nonce not increasing")]
    #[cfg_attr(not(feature = "curve"), allow(dead_code))]
    CurveNonce,
    /// The authenticator refused the peer (it was sent ERROR with the status).
    #[error("authentication failed ({status}): {text}")]
    AuthFailed {
        /// The ZAP status code (`300`, `400`, `500`).
        status: u16,
        /// Why, for the logs.
        text: String,
    },
}
