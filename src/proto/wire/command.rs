//! ZMTP command frames (zmtp.md §3, §5, §9): `name_len(1) | name | data`.
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

use super::error::WireError;
use super::frame::encode_header;
use super::metadata::Metadata;

/// Name of ferromq's end-of-stream ("poison pill") command. libzmq ignores
/// unknown commands after the handshake.
pub(crate) const EOF_COMMAND: &[u8] = b"XEOF";
/// Most context bytes a PING carries (a PONG echoes at most this many).
pub(crate) const PING_CONTEXT_MAX: usize = 16;
/// Longest ERROR reason the 1-byte length field allows.
pub(crate) const ERROR_REASON_MAX: usize = 255;
/// Longest command name the 1-byte length field allows.
pub(crate) const COMMAND_NAME_MAX: usize = 255;

/// A decoded command frame body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// NULL-mechanism READY with the peer's metadata.
    Ready(Metadata),
    /// ERROR with a reason of at most 255 bytes (longer is cut when encoding).
    Error {
        /// Human-readable reason (libzmq uses "300", "400", "500").
        reason: Bytes,
    },
    /// Heartbeat request.
    Ping {
        /// Time-to-live in tenths of a second (0 = none).
        ttl_deciseconds: u16,
        /// Opaque context, at most 16 bytes (longer is cut when encoding).
        context: Bytes,
    },
    /// Heartbeat reply, echoing the PING's context (see `Command::pong_for`).
    Pong {
        /// Echoed context, encoded as given.
        context: Bytes,
    },
    /// ZMTP 3.1 subscription to a topic prefix.
    Subscribe(Bytes),
    /// ZMTP 3.1 cancellation of one subscription to a topic prefix.
    Cancel(Bytes),
    /// ferromq's end-of-stream pill (name `EOF_COMMAND`, no data).
    Eof,
    /// Any other command, kept raw (mechanism commands such as HELLO, or
    /// unknown ones that must be ignored after the handshake).
    Unknown {
        /// Command name (at most 255 bytes; longer is cut when encoding).
        name: Bytes,
        /// Everything after the name.
        data: Bytes,
    },
}

/// The first `max` bytes of `data`.
fn truncated(data: &[u8], max: usize) -> &[u8] {
    data.get(..max).unwrap_or(data)
}

impl Command {
    /// Decode a COMMAND frame body: name_len(1) | name | data. Names are
    /// compared case-sensitively, like libzmq. Empty body, name_len 0, or
    /// name_len past the body → MalformedCommand. ERROR must be exactly
    /// `reason_len(1) reason`; PING needs its 2 ttl bytes. An `XEOF` carrying
    /// data is still `Eof` (the data is ignored, for forward compatibility).
    pub(crate) fn decode(body: &Bytes) -> Result<Command, WireError> {
        let (name, data) = Command::split(body)?;
        let command = match name.as_ref() {
            b"READY" => Command::Ready(Metadata::decode(&data)?),
            b"ERROR" => Command::Error {
                reason: decode_error_reason(&data)?,
            },
            b"PING" => {
                let ttl = data
                    .get(..2)
                    .and_then(|raw| <[u8; 2]>::try_from(raw).ok())
                    .ok_or(WireError::MalformedCommand("PING without ttl"))?;
                Command::Ping {
                    ttl_deciseconds: u16::from_be_bytes(ttl),
                    context: data.slice(2..),
                }
            }
            b"PONG" => Command::Pong { context: data },
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            n if n == EOF_COMMAND => Command::Eof,
            _ => Command::Unknown { name, data },
        };
        Ok(command)
    }

    /// A command body's name and data, checked as every command is (a
    /// name of 1 to 255 bytes within the body); the data is not looked at.
    pub(crate) fn split(body: &Bytes) -> Result<(Bytes, Bytes), WireError> {
        let Some(&name_len) = body.first() else {
            return Err(WireError::MalformedCommand("empty command body"));
        };
        if name_len == 0 {
            return Err(WireError::MalformedCommand("empty command name"));
        }
        let name_end = usize::from(name_len).saturating_add(1);
        if name_end > body.len() {
            return Err(WireError::MalformedCommand("name length exceeds body"));
        }
        Ok((body.slice(1..name_end), body.slice(name_end..)))
    }

    /// The PONG answering a PING with `context` (cut to 16 bytes, like libzmq).
    pub(crate) fn pong_for(context: &Bytes) -> Command {
        Command::Pong {
            context: context.slice(..context.len().min(PING_CONTEXT_MAX)),
        }
    }

    /// Command name as sent on the wire (cut to 255 bytes for `Unknown`).
    pub(crate) fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Eof => EOF_COMMAND,
            Command::Unknown { name, .. } => truncated(name, COMMAND_NAME_MAX),
        }
    }

    /// Length of the data part (after the name) `encode_body` writes.
    fn data_len(&self) -> usize {
        match self {
            Command::Ready(metadata) => metadata.encoded_len(),
            Command::Error { reason } => reason.len().min(ERROR_REASON_MAX).saturating_add(1),
            Command::Ping { context, .. } => context.len().min(PING_CONTEXT_MAX).saturating_add(2),
            Command::Pong { context } => context.len(),
            Command::Subscribe(topic) | Command::Cancel(topic) => topic.len(),
            Command::Eof => 0,
            Command::Unknown { data, .. } => data.len(),
        }
    }

    /// Length of the body (`name_len | name | data`) `encode_body` writes.
    pub(crate) fn body_len(&self) -> usize {
        self.name()
            .len()
            .saturating_add(1)
            .saturating_add(self.data_len())
    }

    /// Append only the body (`name_len | name | data`), e.g. to put it inside
    /// a CURVE MESSAGE box with the inner COMMAND flag.
    pub(crate) fn encode_body(&self, dst: &mut BytesMut) {
        let name = self.name();
        dst.reserve(self.body_len());
        dst.put_u8(u8::try_from(name.len()).unwrap_or(u8::MAX));
        dst.put_slice(name);
        match self {
            Command::Ready(metadata) => metadata.encode(dst),
            Command::Error { reason } => {
                let reason = truncated(reason, ERROR_REASON_MAX);
                dst.put_u8(u8::try_from(reason.len()).unwrap_or(u8::MAX));
                dst.put_slice(reason);
            }
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                dst.put_u16(*ttl_deciseconds);
                dst.put_slice(truncated(context, PING_CONTEXT_MAX));
            }
            Command::Pong { context } => dst.put_slice(context),
            Command::Subscribe(topic) | Command::Cancel(topic) => dst.put_slice(topic),
            Command::Eof => {}
            Command::Unknown { data, .. } => dst.put_slice(data),
        }
    }

    /// Append the whole frame (header with COMMAND flag + body) to dst.
    pub(crate) fn encode(&self, dst: &mut BytesMut) {
        encode_header(dst, false, true, self.body_len());
        self.encode_body(dst);
    }

    /// Interpret a ZMTP 3.0-style subscription message body
    /// (`01 topic` = subscribe, `00 topic` = cancel); `None` otherwise.
    pub(crate) fn from_legacy_subscription(body: &Bytes) -> Option<Command> {
        match body.first() {
            Some(1) => Some(Command::Subscribe(body.slice(1..))),
            Some(0) => Some(Command::Cancel(body.slice(1..))),
            _ => None,
        }
    }
}

/// Append a ZMTP 3.0-style subscription as a one-frame message
/// (`00 len 01|00 topic`), for peers whose greeting minor is 0.
pub(crate) fn encode_legacy_subscription(dst: &mut BytesMut, subscribe: bool, topic: &[u8]) {
    encode_header(dst, false, false, topic.len().saturating_add(1));
    dst.put_u8(u8::from(subscribe));
    dst.put_slice(topic);
}

/// Parse ERROR data: `reason_len(1) reason`, with nothing after it.
fn decode_error_reason(data: &Bytes) -> Result<Bytes, WireError> {
    let Some(&len) = data.first() else {
        return Err(WireError::MalformedCommand("ERROR without reason length"));
    };
    if data.len() != usize::from(len).saturating_add(1) {
        return Err(WireError::MalformedCommand("ERROR reason length mismatch"));
    }
    Ok(data.slice(1..))
}
