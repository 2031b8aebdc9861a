//! Tests for the wire layer: spec vectors, decoder limits, greeting checks and
//! quickcheck properties.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::arithmetic_side_effects,
    clippy::unreachable
)]

mod decoder;
mod greeting;
mod props;
mod vectors;

use bytes::BytesMut;

use super::{Command, Frame, FrameDecoder};

/// Parse whitespace-separated hex byte tokens.
pub(super) fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

/// Concatenate byte pieces.
pub(super) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Encode a command frame to a Vec.
pub(super) fn encode_cmd(command: &Command) -> Vec<u8> {
    let mut dst = BytesMut::new();
    command.encode(&mut dst);
    dst.to_vec()
}

/// Decode every complete frame from `bytes`; asserts nothing is left over.
pub(super) fn decode_all(bytes: &[u8]) -> Vec<Frame> {
    let mut decoder = FrameDecoder::new(u64::MAX);
    decoder.feed(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode().unwrap() {
        frames.push(frame);
    }
    assert_eq!(decoder.buffered(), 0, "leftover bytes");
    frames
}

/// Simulate one socket read into `read_buf()`: append as many bytes of `data`
/// as the reserved spare capacity allows; returns how many were taken.
pub(super) fn socket_read(decoder: &mut FrameDecoder, data: &[u8]) -> usize {
    let buf = decoder.read_buf();
    let n = data.len().min(buf.capacity() - buf.len());
    buf.extend_from_slice(&data[..n]);
    n
}
