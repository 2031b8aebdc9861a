//! Incremental, sans-IO frame decoder that owns its input buffer.
//!
//! Memory use is driven by bytes actually received, never by a size a peer
//! declares: an oversized header is rejected as soon as it is complete, and
//! `read_buf` asks for at most [`READ_CHUNK`] of spare room at a time.
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

use bytes::{Buf, Bytes, BytesMut};

use super::error::WireError;
use super::frame::{Frame, FLAG_COMMAND, FLAG_LONG, FLAG_MORE, LONG_HEADER_LEN, SHORT_HEADER_LEN};

/// Largest spare capacity `read_buf` reserves for one socket read.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// Largest spare capacity `read_buf_sized` reserves for one socket read.
pub(crate) const MAX_READ: usize = 512 * 1024;
/// Smallest spare capacity `read_buf` reserves for one socket read.
pub(crate) const MIN_READ: usize = 64 * 1024;
/// Largest frame size ZMTP allows (2^63 - 1), whatever the configured limit.
pub(crate) const SPEC_MAX_FRAME: u64 = 0x7FFF_FFFF_FFFF_FFFF;

/// A parsed frame header.
#[derive(Debug, Clone, Copy)]
struct Header {
    /// MORE flag.
    more: bool,
    /// COMMAND flag.
    command: bool,
    /// 2 or 9.
    header_len: usize,
    /// Declared body length, already checked against the limit.
    body_len: usize,
}

/// Incremental ZMTP frame decoder. Feed it bytes (`read_buf` / `feed`), then
/// call `decode` until it returns `Ok(None)`. A `WireError` is fatal: the
/// offending header stays buffered and further `decode` calls repeat it.
#[derive(Debug)]
pub(crate) struct FrameDecoder {
    /// Received bytes not yet returned as frames.
    buf: BytesMut,
    /// Per-frame body size limit.
    max_frame: u64,
}

impl FrameDecoder {
    /// A decoder rejecting frames whose body exceeds `max_frame_size` bytes
    /// (pass `u64::MAX` for "no limit"; ZMTP's own 2^63-1 still applies).
    pub(crate) fn new(max_frame_size: u64) -> FrameDecoder {
        FrameDecoder {
            buf: BytesMut::new(),
            max_frame: max_frame_size,
        }
    }

    /// Buffer for the next socket read. Reserves spare capacity of
    /// min(bytes still needed for the current frame, READ_CHUNK=64 KiB) but at
    /// least 8 KiB — never sized by a peer's declared length beyond that.
    /// Caller appends bytes (e.g. via BufMut/`resize`+read+`truncate`).
    pub(crate) fn read_buf(&mut self) -> &mut BytesMut {
        let needed = match self.parse_header() {
            Ok(Some(header)) => header
                .header_len
                .saturating_add(header.body_len)
                .saturating_sub(self.buf.len()),
            Ok(None) => LONG_HEADER_LEN.saturating_sub(self.buf.len()),
            Err(_) => 0,
        };
        self.reserve(needed.clamp(MIN_READ, READ_CHUNK));
        &mut self.buf
    }

    /// Like [`read_buf`](Self::read_buf), but with at least `chunk` bytes of
    /// spare room (capped at [`MAX_READ`]). The engine raises `chunk` while
    /// reads keep filling the buffer, so a busy stream of large frames is read
    /// in big pieces and a frame split across reads is rarely copied; it is
    /// sized by bytes that actually arrived, never by a declared length.
    pub(crate) fn read_buf_sized(&mut self, chunk: usize) -> &mut BytesMut {
        self.read_buf();
        self.reserve(chunk.min(MAX_READ));
        &mut self.buf
    }

    /// Append bytes (tests, sans-IO users).
    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.reserve(data.len());
        self.buf.extend_from_slice(data);
    }

    /// Take exactly n raw bytes from the front if buffered (used for the
    /// 64-byte greeting before framing starts).
    pub(crate) fn take_raw(&mut self, n: usize) -> Option<Bytes> {
        if self.buf.len() < n {
            return None;
        }
        Some(self.buf.split_to(n).freeze())
    }

    /// Peek the buffered unframed bytes (for greeting prefix checks).
    pub(crate) fn peek(&self) -> &[u8] {
        &self.buf
    }

    /// Next complete frame, `Ok(None)` if more bytes are needed. Rejects a
    /// declared size > max_frame_size as soon as the header is seen (before
    /// any body bytes). Bodies are split off the buffer with zero copy.
    pub(crate) fn decode(&mut self) -> Result<Option<Frame>, WireError> {
        let Some(header) = self.parse_header()? else {
            return Ok(None);
        };
        let Some(total) = header.header_len.checked_add(header.body_len) else {
            return Err(self.too_large(u64::MAX));
        };
        if self.buf.len() < total {
            return Ok(None);
        }
        self.buf.advance(header.header_len);
        let body = self.buf.split_to(header.body_len).freeze();
        Ok(Some(Frame {
            more: header.more,
            command: header.command,
            body,
        }))
    }

    /// Number of bytes received and not yet returned.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Current capacity of the input buffer (for memory accounting/tests).
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Change the per-frame limit (applies to headers not yet decoded).
    pub(crate) fn set_max_frame_size(&mut self, max: u64) {
        self.max_frame = max;
    }

    /// The configured per-frame limit.
    pub(crate) fn max_frame_size(&self) -> u64 {
        self.max_frame
    }

    /// The limit actually enforced: the configured one, capped by ZMTP's
    /// 2^63-1 and by what fits in memory addresses.
    fn effective_limit(&self) -> u64 {
        let addressable = u64::try_from(usize::MAX)
            .unwrap_or(u64::MAX)
            .saturating_sub(9);
        self.max_frame.min(SPEC_MAX_FRAME).min(addressable)
    }

    /// The error for a declared body size of `size` bytes.
    fn too_large(&self, size: u64) -> WireError {
        WireError::FrameTooLarge {
            size,
            limit: self.effective_limit(),
        }
    }

    /// Parse the header at the front of the buffer without consuming it.
    fn parse_header(&self) -> Result<Option<Header>, WireError> {
        let Some(&flags) = self.buf.first() else {
            return Ok(None);
        };
        let (header_len, size) = if flags & FLAG_LONG != 0 {
            let Some(raw) = self.buf.get(1..LONG_HEADER_LEN) else {
                return Ok(None);
            };
            let Ok(raw) = <[u8; 8]>::try_from(raw) else {
                return Ok(None);
            };
            (LONG_HEADER_LEN, u64::from_be_bytes(raw))
        } else {
            let Some(&size) = self.buf.get(1) else {
                return Ok(None);
            };
            (SHORT_HEADER_LEN, u64::from(size))
        };
        if size > self.effective_limit() {
            return Err(self.too_large(size));
        }
        let body_len = usize::try_from(size).map_err(|_| self.too_large(size))?;
        Ok(Some(Header {
            more: flags & FLAG_MORE != 0,
            command: flags & FLAG_COMMAND != 0,
            header_len,
            body_len,
        }))
    }

    /// Make sure at least `want` bytes of spare capacity exist. Reuses the
    /// current allocation when possible; otherwise allocates
    /// `len + max(want, len)` so growth is amortised and proportional to the
    /// bytes actually buffered (BytesMut's own policy may double a large,
    /// mostly consumed allocation).
    fn reserve(&mut self, want: usize) {
        let spare = self.buf.capacity().saturating_sub(self.buf.len());
        if spare >= want || self.buf.try_reclaim(want) {
            return;
        }
        let len = self.buf.len();
        let mut fresh = BytesMut::with_capacity(len.saturating_add(want.max(len)));
        fresh.extend_from_slice(&self.buf);
        self.buf = fresh;
    }
}
