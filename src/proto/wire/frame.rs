//! ZMTP 3.x frame layout and encoding (zmtp.md §3):
//! `flags(1) | size (1 byte, or 8 bytes u64 BE if LONG) | body`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use bytes::{BufMut, Bytes, BytesMut};

/// Flag bit: more frames of this message follow (must be 0 on commands).
pub(crate) const FLAG_MORE: u8 = 0x01;
/// Flag bit: the size field is 8 bytes (u64 BE) instead of 1.
pub(crate) const FLAG_LONG: u8 = 0x02;
/// Flag bit: this frame is a command, not message data.
pub(crate) const FLAG_COMMAND: u8 = 0x04;
/// Header length of a frame with a 1-byte size.
pub(crate) const SHORT_HEADER_LEN: usize = 2;
/// Header length of a frame with an 8-byte size.
pub(crate) const LONG_HEADER_LEN: usize = 9;
/// Largest body size that still uses a 1-byte size field.
pub(crate) const MAX_SHORT_BODY: usize = 255;

/// One decoded ZMTP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// MORE flag: further frames of the same message follow.
    pub(crate) more: bool,
    /// COMMAND flag: the body is a command (`name_len | name | data`).
    pub(crate) command: bool,
    /// The frame body.
    pub(crate) body: Bytes,
}

impl Frame {
    /// A message (non-command) frame.
    pub(crate) fn message(more: bool, body: impl Into<Bytes>) -> Frame {
        Frame {
            more,
            command: false,
            body: body.into(),
        }
    }

    /// Append this frame (header + body) to `dst`.
    pub(crate) fn encode(&self, dst: &mut BytesMut) {
        encode_frame(dst, self.more, self.command, &self.body);
    }

    /// Number of bytes `encode` appends.
    pub(crate) fn encoded_len(&self) -> usize {
        header_len(self.body.len()).saturating_add(self.body.len())
    }
}

/// Flags byte for a frame (LONG bit not included).
fn flags(more: bool, command: bool) -> u8 {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    flags
}

/// Write a frame header (flags + 1-byte or 8-byte size; LONG only when
/// len > 255) into dst.
pub(crate) fn encode_header(dst: &mut BytesMut, more: bool, command: bool, len: usize) {
    let flags = flags(more, command);
    match u8::try_from(len) {
        Ok(short) => {
            dst.reserve(SHORT_HEADER_LEN);
            dst.put_u8(flags);
            dst.put_u8(short);
        }
        Err(_) => {
            dst.reserve(LONG_HEADER_LEN);
            dst.put_u8(flags | FLAG_LONG);
            dst.put_u64(u64::try_from(len).unwrap_or(u64::MAX));
        }
    }
}

/// Header + body copied into dst.
pub(crate) fn encode_frame(dst: &mut BytesMut, more: bool, command: bool, body: &[u8]) {
    dst.reserve(header_len(body.len()).saturating_add(body.len()));
    encode_header(dst, more, command, body.len());
    dst.put_slice(body);
}

/// Header length for a body of `len` bytes: 2, or 9 when len > 255.
pub(crate) fn header_len(len: usize) -> usize {
    if len > MAX_SHORT_BODY {
        LONG_HEADER_LEN
    } else {
        SHORT_HEADER_LEN
    }
}
