//! The 64-byte ZMTP 3.x greeting (zmtp.md §2).
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

use super::error::WireError;

/// Length of a full greeting.
pub(crate) const GREETING_LEN: usize = 64;
/// Length of the NUL-padded mechanism name field.
pub(crate) const MECHANISM_LEN: usize = 20;
/// Major version we send.
pub(crate) const VERSION_MAJOR: u8 = 3;
/// Minor version we send.
pub(crate) const VERSION_MINOR: u8 = 1;

/// Offset of the signature's first byte (must be `0xFF`).
const SIG_START: usize = 0;
/// Offset of the signature's last byte (bit 0 must be set).
const SIG_END: usize = 9;
/// Offset of the major version byte.
const MAJOR_OFFSET: usize = 10;
/// Offset of the minor version byte.
const MINOR_OFFSET: usize = 11;
/// Offset of the mechanism field.
const MECHANISM_OFFSET: usize = 12;
/// Offset of the as-server byte.
const AS_SERVER_OFFSET: usize = 32;

/// A decoded (or to-be-sent) ZMTP 3.x greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Greeting {
    /// Major protocol version (3 for ZMTP 3.x; we accept anything >= 3).
    pub(crate) major: u8,
    /// Minor protocol version (0 = ZMTP 3.0, >= 1 = ZMTP 3.1).
    pub(crate) minor: u8,
    /// Mechanism name, ASCII, NUL-padded to 20 bytes.
    pub(crate) mechanism: [u8; MECHANISM_LEN],
    /// The as-server flag (libzmq always sends 0 and ignores it).
    pub(crate) as_server: bool,
}

impl Greeting {
    /// Our greeting: version 3.1, `mechanism` NUL-padded to 20 bytes (names
    /// longer than 20 bytes are cut; callers pass `NULL`, `PLAIN` or `CURVE`).
    pub(crate) fn new(mechanism: &str, as_server: bool) -> Greeting {
        let mut field = [0u8; MECHANISM_LEN];
        for (dst, src) in field.iter_mut().zip(mechanism.bytes()) {
            *dst = src;
        }
        Greeting {
            major: VERSION_MAJOR,
            minor: VERSION_MINOR,
            mechanism: field,
            as_server,
        }
    }

    /// The 64 bytes to send: `FF`, 8 zero padding bytes, `7F`, major, minor,
    /// mechanism (20), as-server (1), 31 zero filler bytes.
    pub(crate) fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[SIG_START] = 0xFF;
        out[SIG_END] = 0x7F;
        out[MAJOR_OFFSET] = self.major;
        out[MINOR_OFFSET] = self.minor;
        let mech_field = out.iter_mut().skip(MECHANISM_OFFSET).take(MECHANISM_LEN);
        for (dst, src) in mech_field.zip(self.mechanism.iter()) {
            *dst = *src;
        }
        out[AS_SERVER_OFFSET] = u8::from(self.as_server);
        out
    }

    /// Validate a prefix of a peer greeting as soon as bytes arrive (lets us
    /// reject a ZMTP 1.0/2.0 peer after 1, 10 or 11 bytes instead of waiting
    /// for 64). Bytes beyond the version are not inspected; an empty or short
    /// prefix that is consistent so far is `Ok`.
    pub(crate) fn check_prefix(prefix: &[u8]) -> Result<(), WireError> {
        if prefix.get(SIG_START).is_some_and(|&b| b != 0xFF) {
            return Err(WireError::BadSignature);
        }
        if prefix.get(SIG_END).is_some_and(|&b| b & 0x01 == 0) {
            return Err(WireError::BadSignature);
        }
        match prefix.get(MAJOR_OFFSET) {
            Some(&major) if major < VERSION_MAJOR => Err(WireError::UnsupportedVersion { major }),
            _ => Ok(()),
        }
    }

    /// Decode a peer greeting from the first 64 bytes of `bytes` (extra bytes
    /// are ignored). Checks the signature and major >= 3; padding, the other
    /// bits of byte 9, the as-server byte's upper bits and the filler are
    /// ignored. Fewer than 64 bytes gives `MalformedCommand("short greeting")`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Greeting, WireError> {
        let Some(greeting) = bytes.get(..GREETING_LEN) else {
            return Err(WireError::MalformedCommand("short greeting"));
        };
        Greeting::check_prefix(greeting)?;
        let byte_at = |offset: usize| greeting.get(offset).copied().unwrap_or(0);
        let mut mechanism = [0u8; MECHANISM_LEN];
        let src = greeting.iter().skip(MECHANISM_OFFSET).take(MECHANISM_LEN);
        for (dst, src) in mechanism.iter_mut().zip(src) {
            *dst = *src;
        }
        Ok(Greeting {
            major: byte_at(MAJOR_OFFSET),
            minor: byte_at(MINOR_OFFSET),
            mechanism,
            as_server: byte_at(AS_SERVER_OFFSET) & 0x01 != 0,
        })
    }

    /// Mechanism bytes with trailing NULs trimmed (e.g. `b"NULL"`).
    pub(crate) fn mechanism_name(&self) -> &[u8] {
        let end = self
            .mechanism
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |last| last.saturating_add(1));
        self.mechanism.get(..end).unwrap_or(&[])
    }

    /// True when the peer speaks ZMTP 3.1 or later (minor >= 1, or major > 3):
    /// PING/PONG and SUBSCRIBE/CANCEL commands are available.
    pub(crate) fn is_zmtp31(&self) -> bool {
        self.major > VERSION_MAJOR || self.minor >= 1
    }
}
