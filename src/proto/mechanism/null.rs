//! NULL (RFC 37): both sides send READY at once, whatever their role, and
//! the handshake is done when the peer's READY arrives. With an
//! authenticator, a socket first asks it about the peer (NULL credentials:
//! the address alone) and sends READY only if it admits the peer, ERROR
//! otherwise (libzmq's NULL server with a ZAP handler does the same).

use super::{split_command, Codec, Established, Handshake, HsContext, Step};
use crate::proto::wire::{Command, Metadata};
use crate::proto::ProtoError;
use crate::security::auth::Credentials;
use bytes::Bytes;

/// Waiting for the peer's READY.
#[derive(Debug)]
struct AwaitReady {
    user_id: Option<Bytes>,
}

pub(super) fn start(cx: &mut HsContext<'_>) -> Result<Box<dyn Handshake>, ProtoError> {
    // Only an authenticator that was given makes NULL ask (libzmq asks ZAP
    // only when a domain is set).
    let user_id = if cx.auth.is_some() {
        cx.authenticate("NULL", Credentials::Null, true)?
    } else {
        None
    };
    cx.send(&Command::Ready(cx.metadata.clone()));
    Ok(Box::new(AwaitReady { user_id }))
}

impl Handshake for AwaitReady {
    fn on_command(self: Box<Self>, body: Bytes, _: &mut HsContext<'_>) -> Result<Step, ProtoError> {
        let Some((b"READY", data)) = split_command(&body) else {
            return Err(ProtoError::UnexpectedDuringHandshake("command"));
        };
        Ok(Step::Done(Established {
            metadata: Metadata::decode(&data)?,
            user_id: self.user_id,
            codec: Codec::Clear,
        }))
    }
}
