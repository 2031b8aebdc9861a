//! Security mechanisms as sans-IO handshake state machines: NULL (RFC 37),
//! PLAIN (RFC 24) and CURVE (RFC 26, as libzmq speaks it), one module each.
//!
//! After the greeting the session calls [`start`] and then feeds every
//! command of the handshake to the current state's
//! [`Handshake::on_command`], which consumes the state and returns the next
//! one, or [`Established`] with the peer's properties and the data-phase
//! [`Codec`] (rustls's `State` shape: an illegal move does not compile).
//! Commands to send go into [`HsContext::out`]; the session frames them.
//! The session keeps framing, heartbeats and the handshake deadline; the
//! mechanism owns its commands, the authentication decision and (CURVE)
//! what data frames look like on the wire.
//!
//! **Invariant:** no I/O and no clock here; randomness comes from
//! [`HsContext::random`], so a handshake can be replayed in a test.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
// Without CURVE, nothing needs randomness or a data-phase box.
#![cfg_attr(not(feature = "curve"), allow(dead_code))]

#[cfg(feature = "curve")]
pub(crate) mod curve;
mod null;
mod plain;
#[cfg(test)]
pub(crate) mod tests;

use super::wire::{Command, Metadata};
use super::ProtoError;
use crate::security::auth::{AuthDecision, AuthRequest, Credentials};
use crate::security::Authenticator;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;
use std::sync::Arc;

/// A function that fills a buffer with random bytes.
type FillFn = dyn Fn(&mut [u8]) + Send + Sync;

/// Fills buffers with random bytes: the OS's, or a test's fixed source.
#[derive(Clone)]
pub(crate) struct RandomFill(Arc<FillFn>);

impl fmt::Debug for RandomFill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RandomFill")
    }
}

impl RandomFill {
    /// A source from a function.
    #[cfg(test)]
    pub(crate) fn from_fn(f: impl Fn(&mut [u8]) + Send + Sync + 'static) -> RandomFill {
        RandomFill(Arc::new(f))
    }

    /// The operating system's cryptographic source.
    pub(crate) fn os() -> RandomFill {
        #[cfg(feature = "curve")]
        {
            RandomFill(Arc::new(|buf: &mut [u8]| {
                use crypto_box::aead::rand_core::RngCore;
                crypto_box::aead::OsRng.fill_bytes(buf);
            }))
        }
        #[cfg(not(feature = "curve"))]
        {
            // Only CURVE needs randomness; NULL and PLAIN never ask.
            RandomFill(Arc::new(|buf: &mut [u8]| {
                for chunk in buf.chunks_mut(8) {
                    let r = crate::random::random_u64().to_le_bytes();
                    chunk.copy_from_slice(r.get(..chunk.len()).unwrap_or_default());
                }
            }))
        }
    }

    /// Fill `buf`.
    pub(crate) fn fill(&self, buf: &mut [u8]) {
        (self.0)(buf);
    }
}

/// This side's security configuration: the public [`Security`] option.
pub(crate) use crate::security::Security as MechanismConfig;

/// What a handshake step may use besides the peer's command.
pub(crate) struct HsContext<'a> {
    /// Our properties (`Socket-Type`, `Identity`), for READY or INITIATE.
    pub(crate) metadata: &'a Metadata,
    /// Who decides (servers; `None`: the mechanism's default rule).
    pub(crate) auth: Option<&'a Authenticator>,
    /// The peer's address as the authenticator sees it.
    pub(crate) peer_address: &'a str,
    /// Randomness for keys, nonces and cookies.
    pub(crate) random: &'a RandomFill,
    /// Command bodies to send, in order (the session frames them).
    pub(crate) out: &'a mut Vec<Bytes>,
}

impl HsContext<'_> {
    /// Queue a command.
    pub(crate) fn send(&mut self, cmd: &Command) {
        let mut b = BytesMut::with_capacity(cmd.body_len());
        cmd.encode_body(&mut b);
        self.out.push(b.freeze());
    }

    /// Queue a command built by hand (`name` then `data`).
    pub(crate) fn send_raw(&mut self, name: &[u8], data: &[&[u8]]) {
        let len = 1 + name.len() + data.iter().map(|d| d.len()).sum::<usize>();
        let mut b = BytesMut::with_capacity(len);
        b.put_u8(u8::try_from(name.len()).unwrap_or(u8::MAX));
        b.put_slice(name);
        for d in data {
            b.put_slice(d);
        }
        self.out.push(b.freeze());
    }

    /// Ask the authenticator (if any) about a peer. With no authenticator,
    /// `default` decides (NULL and CURVE admit, PLAIN refuses). A refusal
    /// queues ERROR with the status code, as libzmq does, and fails the
    /// handshake.
    pub(crate) fn authenticate(
        &mut self,
        mechanism: &'static str,
        credentials: Credentials,
        default: bool,
    ) -> Result<Option<Bytes>, ProtoError> {
        let decision = match self.auth {
            Some(a) => a.decide(&AuthRequest {
                mechanism,
                address: self.peer_address.to_owned(),
                credentials,
            }),
            None if default => AuthDecision::allow(),
            None => AuthDecision::deny(400, "no authenticator for PLAIN"),
        };
        match decision {
            AuthDecision::Allow { user_id } => Ok(user_id.map(Bytes::from)),
            AuthDecision::Deny { status, text } => {
                self.send(&Command::Error {
                    reason: Bytes::from(status.to_string()),
                });
                Err(ProtoError::AuthFailed { status, text })
            }
        }
    }

    /// `n` random bytes.
    pub(crate) fn random_bytes<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.random.fill(&mut b);
        b
    }
}

/// One state of a handshake.
pub(crate) trait Handshake: Send + fmt::Debug {
    /// The peer sent a command (its body: name length, name, data).
    fn on_command(self: Box<Self>, body: Bytes, cx: &mut HsContext<'_>)
        -> Result<Step, ProtoError>;
}

/// Where a handshake step leads.
pub(crate) enum Step {
    /// More commands are needed.
    Next(Box<dyn Handshake>),
    /// Done: messages may flow.
    Done(Established),
}

/// What a completed handshake yields.
#[derive(Debug)]
pub(crate) struct Established {
    /// The peer's properties (READY's, or INITIATE's).
    pub(crate) metadata: Metadata,
    /// Who the authenticator says the peer is (PLAIN user, CURVE key), if
    /// it was asked.
    pub(crate) user_id: Option<Bytes>,
    /// How data frames travel from now on.
    pub(crate) codec: Codec,
}

/// How data frames travel after the handshake.
#[derive(Debug)]
pub(crate) enum Codec {
    /// As they are (NULL, PLAIN).
    Clear,
    /// Each frame boxed in a MESSAGE command.
    #[cfg(feature = "curve")]
    Curve(Box<curve::Codec>),
}

/// Begin the handshake: the first state, with any command this side sends
/// first already in `cx.out`.
pub(crate) fn start(
    cfg: &MechanismConfig,
    cx: &mut HsContext<'_>,
) -> Result<Box<dyn Handshake>, ProtoError> {
    Ok(match cfg {
        MechanismConfig::Null => null::start(cx)?,
        MechanismConfig::PlainClient { username, password } => {
            plain::start_client(username.clone(), password.clone(), cx)
        }
        MechanismConfig::PlainServer => plain::start_server(),
        #[cfg(feature = "curve")]
        MechanismConfig::CurveClient { keys, server } => curve::start_client(keys, server, cx)?,
        #[cfg(feature = "curve")]
        MechanismConfig::CurveServer { secret } => curve::start_server(secret),
    })
}

/// Split a command body into its name and data (`None` if malformed).
pub(crate) fn split_command(body: &Bytes) -> Option<(&[u8], Bytes)> {
    let (&len, rest) = body.split_first()?;
    let len = usize::from(len);
    let name = rest.get(..len)?;
    Some((name, body.slice(1 + len..)))
}
