//! Errors produced while parsing ZMTP bytes received from a peer.
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

/// A protocol violation detected in peer bytes. Every variant is fatal for the
/// connection: the engine should close it (optionally after sending ERROR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireError {
    /// Greeting byte 0 is not `0xFF`, or byte 9 has bit 0 clear: a ZMTP 1.0 peer.
    #[error("bad greeting signature (ZMTP 1.0 peer or not ZMTP at all)")]
    BadSignature,
    /// Greeting major version below 3 (ZMTP 1.0/2.0); we never downgrade.
    #[error("unsupported ZMTP major version {major} (need 3 or later)")]
    UnsupportedVersion {
        /// The major version the peer announced.
        major: u8,
    },
    /// A frame header declared a body larger than the configured limit.
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// The body size declared by the peer.
        size: u64,
        /// The limit in force when the header was seen.
        limit: u64,
    },
    /// A command frame (or the greeting) is structurally invalid.
    #[error("malformed command: {0}")]
    MalformedCommand(&'static str),
    /// A metadata property list is structurally invalid.
    #[error("malformed metadata: {0}")]
    MalformedMetadata(&'static str),
}
