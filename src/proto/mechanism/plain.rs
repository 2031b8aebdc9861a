//! PLAIN (RFC 24): the client sends its user name and password in the
//! clear, so use it only where the network is trusted.
//!
//! ```text
//! client                         server
//!   HELLO user password   ──▶    authenticator decides
//!                         ◀──    WELCOME        (or ERROR "400")
//!   INITIATE metadata     ──▶
//!                         ◀──    READY metadata
//! ```
//!
//! As in libzmq, a PLAIN server with no authenticator refuses everyone.

use super::{split_command, Codec, Established, Handshake, HsContext, Step};
use crate::proto::wire::{Command, Metadata};
use crate::proto::ProtoError;
use crate::security::auth::Credentials;
use bytes::Bytes;

/// Client: HELLO sent, waiting for WELCOME.
#[derive(Debug)]
struct ClientAwaitWelcome;

/// Client: INITIATE sent, waiting for READY.
#[derive(Debug)]
struct ClientAwaitReady;

/// Server: waiting for HELLO.
#[derive(Debug)]
struct ServerAwaitHello;

/// Server: WELCOME sent, waiting for INITIATE.
#[derive(Debug)]
struct ServerAwaitInitiate {
    user_id: Option<Bytes>,
}

/// The longest user name or password (a one-byte length).
pub(crate) const FIELD_MAX: usize = 255;

pub(super) fn start_client(
    user: Bytes,
    password: Bytes,
    cx: &mut HsContext<'_>,
) -> Box<dyn Handshake> {
    // The options refuse longer values; cut here too rather than send a
    // wrong length.
    let user = user.slice(..user.len().min(FIELD_MAX));
    let password = password.slice(..password.len().min(FIELD_MAX));
    let ulen = [u8::try_from(user.len()).unwrap_or(u8::MAX)];
    let plen = [u8::try_from(password.len()).unwrap_or(u8::MAX)];
    cx.send_raw(b"HELLO", &[&ulen, &user, &plen, &password]);
    Box::new(ClientAwaitWelcome)
}

pub(super) fn start_server() -> Box<dyn Handshake> {
    Box::new(ServerAwaitHello)
}

impl Handshake for ClientAwaitWelcome {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        match split_command(&body) {
            // libzmq requires WELCOME to be exactly its name.
            Some((b"WELCOME", data)) if data.is_empty() => {
                cx.send_raw(b"INITIATE", &[&metadata_bytes(cx.metadata)]);
                Ok(Step::Next(Box::new(ClientAwaitReady)))
            }
            _ => Err(ProtoError::UnexpectedDuringHandshake("command")),
        }
    }
}

impl Handshake for ClientAwaitReady {
    fn on_command(self: Box<Self>, body: Bytes, _: &mut HsContext<'_>) -> Result<Step, ProtoError> {
        match split_command(&body) {
            Some((b"READY", data)) => Ok(Step::Done(Established {
                metadata: Metadata::decode(&data)?,
                user_id: None,
                codec: Codec::Clear,
            })),
            _ => Err(ProtoError::UnexpectedDuringHandshake("command")),
        }
    }
}

impl Handshake for ServerAwaitHello {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        let Some((b"HELLO", data)) = split_command(&body) else {
            return Err(ProtoError::UnexpectedDuringHandshake("command"));
        };
        let (username, password) =
            parse_hello(&data).ok_or(ProtoError::BadHandshake("malformed PLAIN HELLO"))?;
        let user_id = cx.authenticate("PLAIN", Credentials::Plain { username, password }, false)?;
        cx.send_raw(b"WELCOME", &[]);
        Ok(Step::Next(Box::new(ServerAwaitInitiate { user_id })))
    }
}

impl Handshake for ServerAwaitInitiate {
    fn on_command(
        self: Box<Self>,
        body: Bytes,
        cx: &mut HsContext<'_>,
    ) -> Result<Step, ProtoError> {
        let Some((b"INITIATE", data)) = split_command(&body) else {
            return Err(ProtoError::UnexpectedDuringHandshake("command"));
        };
        let metadata = Metadata::decode(&data)?;
        cx.send(&Command::Ready(cx.metadata.clone()));
        Ok(Step::Done(Established {
            metadata,
            user_id: self.user_id,
            codec: Codec::Clear,
        }))
    }
}

/// HELLO's data: `ulen user plen password`, exactly (libzmq refuses extra
/// bytes).
fn parse_hello(data: &Bytes) -> Option<(Bytes, Bytes)> {
    let ulen = usize::from(*data.first()?);
    let user_end = 1 + ulen;
    let plen = usize::from(*data.get(user_end)?);
    let pass_start = user_end + 1;
    if data.len() != pass_start + plen {
        return None;
    }
    Some((data.slice(1..user_end), data.slice(pass_start..)))
}

fn metadata_bytes(md: &Metadata) -> Vec<u8> {
    let mut b = bytes::BytesMut::new();
    md.encode(&mut b);
    b.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_must_be_exact() {
        let ok = Bytes::from_static(b"\x01u\x02pw");
        assert_eq!(
            parse_hello(&ok),
            Some((Bytes::from_static(b"u"), Bytes::from_static(b"pw")))
        );
        for bad in [
            &b""[..],
            b"\x01",
            b"\x01u",
            b"\x01u\x02p",
            b"\x01u\x02pwX",
            b"\x05u\x00",
        ] {
            assert_eq!(parse_hello(&Bytes::copy_from_slice(bad)), None, "{bad:?}");
        }
    }
}
