//! Hidden entry points for the criterion micro-benchmarks in `benches/`
//! (Cargo feature `bench-internals`; not a public API). Each wraps one hot
//! internal part so it can be measured in isolation.

use crate::message::Message;
use crate::pipe::Peer;
use crate::proto::tx::TxQueue;
use crate::proto::wire::{encode_header, FrameDecoder};
use crate::routing::{fq, lb, router, State};
use bytes::{Bytes, BytesMut};

/// Encode `msgs` as ZMTP frames into a fresh write queue, as the engine does
/// (small bodies copied, large ones referenced); returns the bytes queued.
pub fn encode(msgs: &[Message]) -> usize {
    let mut tx = TxQueue::new();
    for m in msgs {
        tx.push_message(m);
    }
    tx.len()
}

/// Encoded bytes of `msgs`, for [`decode`].
pub fn encoded(msgs: &[Message]) -> Bytes {
    let mut b = BytesMut::new();
    for m in msgs {
        let last = m.len().saturating_sub(1);
        for (i, f) in m.iter().enumerate() {
            encode_header(&mut b, i < last, false, f.len());
            b.extend_from_slice(f);
        }
    }
    b.freeze()
}

/// Decode a stream of frames fed in `chunk`-byte reads; returns the frame count.
pub fn decode(stream: &[u8], chunk: usize) -> usize {
    let mut d = FrameDecoder::new(64 * 1024 * 1024);
    let mut frames = 0;
    for piece in stream.chunks(chunk.max(1)) {
        d.feed(piece);
        while let Ok(Some(_)) = d.decode() {
            frames += 1;
        }
    }
    frames
}

/// Push `n` messages through one peer's pipes the way a PUSH and a PULL do:
/// round-robin into the out-pipe, the engine's swap, then fair-queued receive
/// from the in-pipe. Returns the messages received.
pub fn pipe_round_trip(msg: &Message, n: usize) -> usize {
    let mut st = State::default();
    let key = st.peers.insert(Peer::new(true));
    lb::add(&mut st, key);
    let mut staged = std::collections::VecDeque::new();
    for _ in 0..n {
        if lb::send(&mut st, usize::MAX, msg.clone()).is_err() {
            return 0;
        }
    }
    std::mem::swap(&mut st.peers[key].out, &mut staged);
    let peer = &mut st.peers[key];
    peer.inq.extend(staged.drain(..));
    fq::activate(&mut st, key);
    let mut got = 0;
    while fq::recv(&mut st, usize::MAX).is_some() {
        got += 1;
    }
    got
}

/// A ROUTER's routing table with `peers` peers (ids `peer-0`, `peer-1`, …).
pub struct RouterTable {
    state: State,
    ids: Vec<Bytes>,
}

impl RouterTable {
    /// Build the table.
    pub fn new(peers: usize) -> RouterTable {
        let mut state = State::default();
        let mut ids = Vec::with_capacity(peers);
        for i in 0..peers {
            let key = state.peers.insert(Peer::new(false));
            let id = Bytes::from(format!("peer-{i}"));
            // Distinct ids by construction: assignment cannot fail.
            let _ = router::assign_id(&mut state, key, Some(id.clone()));
            ids.push(id);
        }
        RouterTable { state, ids }
    }

    /// Route one `[id, body]` message per peer, then empty the pipes;
    /// returns how many were routed.
    pub fn route_each(&mut self, body: &Bytes) -> usize {
        let mut routed = 0;
        for id in &self.ids {
            let m = Message::multipart([id.clone(), body.clone()]);
            if let Ok(Some(_)) = router::send(&mut self.state, usize::MAX, false, m) {
                routed += 1;
            }
        }
        for (_, p) in self.state.peers.iter_mut() {
            p.out.clear();
            p.out_msgs = 0;
        }
        routed
    }
}
