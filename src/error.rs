//! The public error type.
//!
//! Every fallible call in ferromq returns [`Error`]. Errors say whose fault they
//! are: the caller's (an invalid endpoint or option, a call on a closed socket),
//! the moment's (would block, timed out, peer unreachable), or the transport's
//! (an I/O error while binding). A peer's protocol fault never surfaces here: it
//! closes that peer's connection only.

use crate::message::Message;
use std::io;

/// Convenient alias for results with ferromq's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a ferromq call.
///
/// The enum is `#[non_exhaustive]`: match the variants you care about and keep
/// a wildcard arm.
///
/// ```
/// use ferromq::{Context, Error, SocketType};
/// let ctx = Context::new().unwrap();
/// let pull = ctx.socket(SocketType::Pull).unwrap();
/// match pull.try_recv() {
///     Err(Error::WouldBlock) => {} // nothing queued yet
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A non-blocking call could not complete now; try again later.
    #[error("operation would block")]
    WouldBlock,
    /// A call with a timeout did not complete within it.
    #[error("operation timed out")]
    TimedOut,
    /// The socket is closed (or `send_eof` was called, for sends).
    #[error("socket is closed")]
    Closed,
    /// The socket's context was shut down
    /// ([`Context::shutdown`](crate::Context::shutdown), or its last handle
    /// dropped): every call on the socket fails with this, and blocked calls
    /// return it at once (libzmq's `ETERM`). Closing the socket still flushes
    /// what it queued, within its linger time.
    #[error("context was shut down")]
    Terminated,
    /// The call is not allowed in the socket's current state (libzmq's
    /// `EFSM`): a REQ sending before it received the previous reply, a REP
    /// replying before it received a request, and so on.
    #[error("not allowed now: {0}")]
    InvalidState(&'static str),
    /// Every upstream peer has sent its end-of-stream pill and nothing is left
    /// to receive. See [`Socket::send_eof`](crate::Socket::send_eof).
    #[error("every upstream peer has finished (end of stream)")]
    EndOfStream,
    /// The endpoint string could not be parsed, or names an unsupported transport.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option value is out of its documented range.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong with the value.
        reason: &'static str,
    },
    /// A ROUTER with `router_mandatory` was asked to send to an unknown routing id.
    #[error("no peer with that routing id (host unreachable)")]
    HostUnreachable,
    /// The operation is not valid for this socket type (e.g. `send` on PULL).
    #[error("operation not supported by {socket_type} sockets")]
    Unsupported {
        /// The socket type's name.
        socket_type: &'static str,
    },
    /// The message is empty where at least one frame is needed, or exceeds
    /// `max_message_size`.
    #[error("invalid message: {0}")]
    InvalidMessage(&'static str),
    /// `unbind`/`disconnect` named an endpoint that is not bound/connected.
    #[error("endpoint {0:?} is not bound or connected on this socket")]
    EndpointNotFound(String),
    /// A CURVE key is not valid: its Z85 text is not 40 characters of the
    /// Z85 alphabet, or it decodes to no 32-byte key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The address is already in use (bind).
    #[error("address in use: {0}")]
    AddressInUse(String),
    /// An operating-system error while binding, connecting or starting the I/O thread.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// A send that did not complete: the error, and the message handed back so the
/// caller can retry or keep it.
///
/// ```
/// use ferromq::{Context, Error, SocketType};
/// let ctx = Context::new().unwrap();
/// let push = ctx.socket(SocketType::Push).unwrap();
/// // No peer yet: nothing can take the message.
/// let err = push.try_send("job").unwrap_err();
/// assert!(matches!(err.error, Error::WouldBlock));
/// assert_eq!(err.message.frames()[0], "job");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("send failed: {error}")]
pub struct SendError {
    /// Why the send failed.
    pub error: Error,
    /// The message that was not sent.
    pub message: Message,
}

impl SendError {
    pub(crate) fn new(error: Error, message: Message) -> Self {
        SendError { error, message }
    }

    /// Discard the message and keep only the error.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Error {
        e.error
    }
}
