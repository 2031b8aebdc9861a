//! The outgoing byte queue of one connection: small frames are coalesced into
//! one buffer, large bodies are kept as their own `Bytes` (no copy) and written
//! with vectored I/O.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use super::wire::encode_header;
use crate::message::Message;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Bodies at least this long are queued by reference instead of copied.
pub(crate) const ZERO_COPY_THRESHOLD: usize = 8 * 1024;

/// Bytes waiting to be written to one connection.
#[derive(Debug, Default)]
pub(crate) struct TxQueue {
    chunks: VecDeque<Bytes>,
    staging: BytesMut,
    len: usize,
    /// Bytes written (advanced past) since the queue was made.
    written: u64,
}

impl TxQueue {
    /// An empty queue.
    pub(crate) fn new() -> TxQueue {
        TxQueue::default()
    }

    /// Buffer for small writes (headers, small bodies). Call
    /// [`note_staged`](Self::note_staged) with the number of bytes appended.
    pub(crate) fn staging(&mut self) -> &mut BytesMut {
        &mut self.staging
    }

    /// Account for `n` bytes appended to the staging buffer.
    pub(crate) fn note_staged(&mut self, n: usize) {
        self.len += n;
    }

    /// Queue a body by reference (after sealing what is staged, to keep order).
    pub(crate) fn push_bytes(&mut self, b: Bytes) {
        if b.is_empty() {
            return;
        }
        self.seal();
        self.len += b.len();
        self.chunks.push_back(b);
    }

    fn seal(&mut self) {
        if !self.staging.is_empty() {
            self.chunks.push_back(self.staging.split().freeze());
        }
    }

    /// Queue a whole message as ZMTP data frames (MORE on all but the last):
    /// headers and small bodies are copied into the staging buffer, bodies
    /// of [`ZERO_COPY_THRESHOLD`] bytes or more are queued by reference.
    pub(crate) fn push_message(&mut self, msg: &Message) {
        let last = msg.len().saturating_sub(1);
        for (i, frame) in msg.iter().enumerate() {
            let before = self.staging.len();
            encode_header(&mut self.staging, i < last, false, frame.len());
            let copy = frame.len() < ZERO_COPY_THRESHOLD;
            if copy {
                self.staging.extend_from_slice(frame);
            }
            self.len += self.staging.len().saturating_sub(before);
            if !copy {
                self.push_bytes(frame.clone());
            }
        }
    }

    /// Total bytes queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fill `out` with slices to write, in order; returns how many were filled.
    pub(crate) fn slices<'a>(&'a mut self, out: &mut [IoSlice<'a>]) -> usize {
        self.seal();
        let mut n = 0;
        for (slot, chunk) in out.iter_mut().zip(self.chunks.iter()) {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }

    /// Bytes written since the queue was made: with [`len`](Self::len),
    /// the offset where the next queued byte will end up.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// The offset, counted from the first byte ever queued, just past
    /// everything queued so far.
    pub(crate) fn end_offset(&self) -> u64 {
        self.written.saturating_add(self.len as u64)
    }

    /// Drop `n` written bytes from the front.
    pub(crate) fn advance(&mut self, mut n: usize) {
        self.written = self.written.saturating_add(n.min(self.len) as u64);
        self.len = self.len.saturating_sub(n);
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            if n >= front.len() {
                n -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
        if self.chunks.is_empty() && self.staging.is_empty() {
            self.len = 0;
            // Reuse the staging allocation once everything is out.
            self.staging.clear();
        }
    }

    /// Everything queued, concatenated (tests and sans-IO peers).
    #[allow(dead_code)] // tests and sans-IO harnesses
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.seal();
        let mut v = Vec::with_capacity(self.len);
        for c in self.chunks.drain(..) {
            v.extend_from_slice(&c);
        }
        self.len = 0;
        v
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_staged_and_referenced_bytes() {
        let mut q = TxQueue::new();
        q.staging().extend_from_slice(b"ab");
        q.note_staged(2);
        q.push_bytes(Bytes::from_static(b"cdef"));
        q.staging().extend_from_slice(b"g");
        q.note_staged(1);
        assert_eq!(q.len(), 7);
        let mut slots = [IoSlice::new(&[]); 8];
        let n = q.slices(&mut slots);
        let joined: Vec<u8> = slots[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(joined, b"abcdefg");
        q.advance(3);
        assert_eq!(q.len(), 4);
        assert_eq!(q.take_all(), b"defg");
        assert!(q.is_empty());
    }
}
