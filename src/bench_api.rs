//! Hidden entry points for the criterion micro-benchmarks in `benches/`
//! (Cargo feature `bench-internals`; not a public API). Each wraps one hot
//! internal part so it can be measured in isolation.

use crate::key::ConnKey;
use crate::message::Message;
use crate::options::Options;
use crate::pattern::Sent;
use crate::pipe::{Item, PipeKey};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::proto::tx::TxQueue;
use crate::proto::wire::{encode_header, FrameDecoder, Metadata};
use crate::state::State;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;

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

/// A peer as the handshake reports it, for driving a socket's state
/// without a connection.
fn peer(socket_type: &'static [u8], identity: Option<Bytes>) -> PeerInfo {
    PeerInfo {
        socket_type: Some(Bytes::from_static(socket_type)),
        identity,
        minor: 1,
        metadata: Metadata::new(),
        user_id: None,
    }
}

/// Push `n` messages through the socket state the way a PUSH and a PULL
/// connected over one link do: the PUSH pattern's send into its pipe, the
/// engine's swap out of it, delivery into the PULL's pipe and its
/// fair-queued receive. Returns the messages received.
pub fn pipe_round_trip(msg: &Message, n: usize) -> usize {
    let opts = Options::default()
        .with_send_hwm(usize::MAX)
        .with_recv_hwm(usize::MAX);
    let mut push = State::new(SocketType::Push, opts.clone(), 1);
    let mut pull = State::new(SocketType::Pull, opts, 1);
    let Ok((Some(out), _)) = push.connect_pipe() else {
        return 0;
    };
    let link = ConnKey::new(0, 1);
    if push
        .attach_conn(Some(out), None, link, &peer(b"PULL", None))
        .is_err()
    {
        return 0;
    }
    let Ok(inp) = pull.attach_conn(None, None, link, &peer(b"PUSH", None)) else {
        return 0;
    };
    for _ in 0..n {
        if !matches!(push.send(msg.clone(), false), Sent::Done | Sent::Dropped) {
            return 0;
        }
    }
    let mut staged = VecDeque::new();
    push.take_out(out, &mut staged);
    let mut batch: Vec<Item> = staged.into_iter().collect();
    pull.deliver(inp, &mut batch);
    let mut got = VecDeque::new();
    let mut total = 0;
    while pull.recv(&mut got, 128).is_ok() && !got.is_empty() {
        total += got.len();
        got.clear();
    }
    total
}

/// A ROUTER's state with `peers` connected peers (ids `peer-0`, `peer-1`, …).
pub struct RouterTable {
    state: State,
    pipes: Vec<PipeKey>,
    ids: Vec<Bytes>,
}

impl RouterTable {
    /// Build the table.
    pub fn new(peers: usize) -> RouterTable {
        let mut state = State::new(SocketType::Router, Options::default(), 1);
        let mut ids = Vec::with_capacity(peers);
        let mut pipes = Vec::with_capacity(peers);
        for i in 0..peers {
            let id = Bytes::from(format!("peer-{i}"));
            // Distinct ids by construction: attaching cannot fail.
            if let Ok(k) = state.attach_conn(
                None,
                None,
                ConnKey::new(i, 1),
                &peer(b"DEALER", Some(id.clone())),
            ) {
                pipes.push(k);
            }
            ids.push(id);
        }
        RouterTable { state, pipes, ids }
    }

    /// Route one `[id, body]` message per peer, then empty the pipes;
    /// returns how many were routed.
    pub fn route_each(&mut self, body: &Bytes) -> usize {
        let mut routed = 0;
        for id in &self.ids {
            let m = Message::multipart([id.clone(), body.clone()]);
            if matches!(self.state.send(m, false), Sent::Done | Sent::Dropped) {
                routed += 1;
            }
        }
        let mut scratch = VecDeque::new();
        for &k in &self.pipes {
            self.state.take_out(k, &mut scratch);
            self.state.output_done(k);
            scratch.clear();
        }
        routed
    }
}
