//! CURVE's data phase: every frame, data or command, travels boxed in a
//! MESSAGE command, `07 "MESSAGE" nonce(8) Box[flags(1) payload]`, inside an
//! outer frame whose flags are 0 (as libzmq sends it; either is accepted).
//! The inner flags carry MORE (0x01) and COMMAND (0x02).

use super::{short_nonce, TAG};
use crate::proto::wire::{encode_header, Frame};
use crate::proto::ProtoError;
use bytes::{BufMut, Bytes, BytesMut};
use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::AeadInPlace;
use crypto_box::SalsaBox;

/// `07 "MESSAGE"`.
const MESSAGE: &[u8; 8] = b"\x07MESSAGE";
/// Name, nonce, tag and the inner flags byte.
const OVERHEAD: usize = 8 + 8 + TAG + 1;
const MORE: u8 = 0x01;
const COMMAND: u8 = 0x02;

/// One connection's data-phase boxes and nonce counters.
pub(crate) struct Codec {
    /// Our transient secret with the peer's transient public key.
    session: SalsaBox,
    /// Nonce prefix of what we send, and of what we receive.
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    /// The next nonce we send.
    send_next: u64,
    /// The last nonce received (anything not above it is refused).
    recv_last: u64,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("send_next", &self.send_next)
            .field("recv_last", &self.recv_last)
            .finish_non_exhaustive()
    }
}

impl Codec {
    /// The codec after a handshake: `client` says which prefixes we use;
    /// `send_next` is our next nonce, `recv_last` the peer's last one.
    pub(crate) fn new(session: SalsaBox, client: bool, send_next: u64, recv_last: u64) -> Codec {
        let (send_prefix, recv_prefix) = if client {
            (b"CurveZMQMESSAGEC", b"CurveZMQMESSAGES")
        } else {
            (b"CurveZMQMESSAGES", b"CurveZMQMESSAGEC")
        };
        Codec {
            session,
            send_prefix,
            recv_prefix,
            send_next,
            recv_last,
        }
    }

    /// Append one frame, boxed, with its outer header, to `out`; returns
    /// the number of bytes appended.
    pub(crate) fn seal(
        &mut self,
        more: bool,
        command: bool,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<usize, ProtoError> {
        let n = self.send_next;
        self.send_next = n.checked_add(1).ok_or(ProtoError::CurveNonce)?;
        let body_len = OVERHEAD + payload.len();
        let start = out.len();
        out.reserve(9 + body_len);
        encode_header(out, false, false, body_len);
        out.put_slice(MESSAGE);
        out.put_u64(n);
        let tag_at = out.len();
        out.put_bytes(0, TAG);
        let plain_at = out.len();
        out.put_u8((u8::from(more) * MORE) | (u8::from(command) * COMMAND));
        out.put_slice(payload);
        let nonce = short_nonce(self.send_prefix, n);
        let tag = {
            let plain = out.get_mut(plain_at..).ok_or(ProtoError::CurveNonce)?;
            self.session
                .encrypt_in_place_detached(GenericArray::from_slice(&nonce), b"", plain)
                .map_err(|_| ProtoError::BadHandshake("CURVE encryption failed"))?
        };
        if let Some(slot) = out.get_mut(tag_at..plain_at) {
            slot.copy_from_slice(&tag);
        }
        Ok(out.len() - start)
    }

    /// Open a received frame's MESSAGE: the frame inside it.
    pub(crate) fn open(&mut self, outer: &Bytes) -> Result<Frame, ProtoError> {
        if outer.len() < OVERHEAD || outer.get(..8) != Some(&MESSAGE[..]) {
            return Err(ProtoError::BadHandshake(
                "CURVE data frame is not a MESSAGE",
            ));
        }
        let n = outer
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or(ProtoError::CurveNonce)?;
        if n <= self.recv_last {
            return Err(ProtoError::CurveNonce);
        }
        let tag = outer.get(16..16 + TAG).ok_or(ProtoError::CurveNonce)?;
        let mut plain = BytesMut::from(outer.get(16 + TAG..).unwrap_or_default());
        self.session
            .decrypt_in_place_detached(
                GenericArray::from_slice(&short_nonce(self.recv_prefix, n)),
                b"",
                &mut plain,
                GenericArray::from_slice(tag),
            )
            .map_err(|_| ProtoError::BadHandshake("CURVE MESSAGE box does not open"))?;
        // Only a box that opened moves the counter.
        self.recv_last = n;
        let flags = plain.first().copied().unwrap_or(0);
        let body = plain.freeze().slice(1..);
        Ok(Frame {
            more: flags & MORE != 0,
            command: flags & COMMAND != 0,
            body,
        })
    }
}
