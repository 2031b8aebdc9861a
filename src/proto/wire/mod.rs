//! ZMTP 3.1 wire layer (sans-IO): greeting, framing, incremental decoding,
//! commands and metadata, byte-compatible with libzmq 4.3 (see zmtp.md).
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

pub(crate) mod command;
pub(crate) mod decoder;
pub(crate) mod error;
pub(crate) mod frame;
pub(crate) mod greeting;
pub(crate) mod metadata;

#[cfg(test)]
mod tests;

pub(crate) use command::{
    encode_legacy_subscription, Command, COMMAND_NAME_MAX, EOF_COMMAND, ERROR_REASON_MAX,
    PING_CONTEXT_MAX,
};
pub(crate) use decoder::{FrameDecoder, MAX_READ, MIN_READ, READ_CHUNK, SPEC_MAX_FRAME};
pub(crate) use error::WireError;
pub(crate) use frame::{
    encode_frame, encode_header, header_len, Frame, FLAG_COMMAND, FLAG_LONG, FLAG_MORE,
    LONG_HEADER_LEN, MAX_SHORT_BODY, SHORT_HEADER_LEN,
};
pub(crate) use greeting::{Greeting, GREETING_LEN, MECHANISM_LEN, VERSION_MAJOR, VERSION_MINOR};
pub(crate) use metadata::{Metadata, IDENTITY, MAX_NAME_LEN, SOCKET_TYPE};
