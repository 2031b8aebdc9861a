//! One connection: bytes between the stream and its sans-IO session, and
//! items between the session and the socket's pipe.
//!
//! A `Conn` does I/O and session pumping only. It reports what happened
//! ([`Progress`], or a [`CloseReason`]); attaching, detaching and requeueing
//! are the socket state's business, applied by the reactor. Nothing here
//! refers to the reactor, so a connection can be driven from elsewhere.

use crate::endpoint::Endpoint;
use crate::key::ConnKey;
use crate::monitor::Reason;
use crate::pipe::{Item, PipeKey};
use crate::proto::session::{Event, PeerInfo, Session};
use crate::proto::wire::{MAX_READ, READ_CHUNK};
use crate::proto::ProtoError;
use crate::state::shared::Shared;
use crate::transport::Stream;
use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Instant;

/// Stop pulling messages into a connection's write queue past this many bytes.
const TX_HIGH: usize = 256 * 1024;
/// At most this many slices per vectored write.
const MAX_SLICES: usize = 64;
/// Most messages decoded per lock of the socket state.
const IN_BATCH: usize = 256;
/// Bytes one `read` call takes before yielding to other connections and to
/// the mailbox (it is then called again from the reactor's ready list).
const READ_BUDGET: usize = 2 * 1024 * 1024;

/// How a connection came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Accepted by a listener (slab key and generation): its pipe goes when
    /// it goes.
    Accepted { listener: usize, gen: u64 },
    /// Made by a connecter, which reconnects when it goes.
    Connected { connecter: usize },
    /// Its connecter was removed (`disconnect`): no reconnect.
    Orphan,
}

/// Why a connection closed.
#[derive(Debug)]
pub(super) enum CloseReason {
    /// The peer broke the protocol.
    Proto(ProtoError),
    /// The peer closed, or the network failed.
    Io(io::ErrorKind),
    /// The socket refused the peer (a bad or duplicate routing id, a PAIR
    /// that has its peer, a closing socket).
    Refused(crate::pipe::Refusal),
}

impl CloseReason {
    /// The public form, for monitor events.
    pub(super) fn to_reason(&self) -> Reason {
        use crate::pipe::Refusal;
        match self {
            CloseReason::Proto(p) => match p {
                ProtoError::Wire(w) => Reason::Protocol(w.to_string()),
                ProtoError::MechanismMismatch(m) => {
                    Reason::Mechanism(String::from_utf8_lossy(m).into_owned())
                }
                ProtoError::IncompatibleSocketType(t) => {
                    Reason::SocketType(String::from_utf8_lossy(t).into_owned())
                }
                ProtoError::UnexpectedDuringHandshake(what) => {
                    Reason::Protocol(format!("unexpected {what} during handshake"))
                }
                ProtoError::PeerError(r) => {
                    Reason::PeerError(String::from_utf8_lossy(r).into_owned())
                }
                ProtoError::MechanismRefused => Reason::MechanismRefused,
                ProtoError::HandshakeTimeout => Reason::HandshakeTimeout,
                ProtoError::HeartbeatTimeout => Reason::HeartbeatTimeout,
                ProtoError::MessageTooLarge { .. } => Reason::MessageTooLarge,
                ProtoError::CommandInMultipart => {
                    Reason::Protocol("command frame inside a multipart message".into())
                }
                ProtoError::BadHandshake(what) => Reason::Security((*what).into()),
                ProtoError::CurveNonce => Reason::Security("CURVE nonce not increasing".into()),
                ProtoError::AuthFailed { status, text } => Reason::AuthFailed {
                    status: *status,
                    text: text.clone(),
                },
            },
            CloseReason::Io(io::ErrorKind::UnexpectedEof) => Reason::PeerClosed,
            CloseReason::Io(kind) => Reason::Io(*kind),
            CloseReason::Refused(
                r @ (Refusal::IdLeadingZero | Refusal::IdTooLong | Refusal::IdDuplicate),
            ) => Reason::RoutingId(r.reason()),
            CloseReason::Refused(r) => Reason::Refused(r.reason()),
        }
    }

    /// Did the peer break the protocol (counted in `protocol_errors`)?
    pub(super) fn is_protocol(&self) -> bool {
        matches!(self, CloseReason::Proto(_))
    }
}

/// What a call to [`Conn::read`] achieved.
#[derive(Debug)]
pub(super) enum Progress {
    /// Everything available was read (or input is paused at the HWM).
    Idle,
    /// The read budget ran out with more to read: call again soon.
    More,
    /// The handshake completed: attach the connection to a pipe
    /// ([`Conn::attached`]), then call `read` again.
    Handshaken(PeerInfo),
}

/// What the connection still held when it closed.
#[derive(Debug)]
pub(super) struct Held {
    /// Items taken from the pipe and not encoded (they can be requeued).
    pub(super) staged: VecDeque<Item>,
    /// Messages encoded and not fully written (lost).
    pub(super) encoded: usize,
}

/// A live TCP connection.
pub(super) struct Conn {
    stream: Stream,
    session: Session,
    pub(super) shared: Arc<Shared>,
    pub(super) origin: Origin,
    /// The socket's pipe, once the handshake attached it.
    pipe: Option<PipeKey>,
    pub(super) key: ConnKey,
    /// The TCP connect has not completed yet.
    pub(super) connecting: bool,
    read_paused: bool,
    /// The endpoint this connection belongs to (for monitor events).
    pub(super) endpoint: Endpoint,
    /// The deadline a timer is pending for.
    pub(super) armed: Option<Instant>,
    /// Items taken from the pipe, not yet encoded.
    staged: VecDeque<Item>,
    /// Bytes to ask for in the next read (adapts between 64 KiB and 512 KiB).
    read_chunk: usize,
    /// Where each message encoded and not yet fully written ends in the
    /// write queue's byte stream (`TxQueue::end_offset` after encoding it):
    /// a lost connection loses exactly these.
    ends: VecDeque<u64>,
    /// Reused buffer for decoded input.
    batch: Vec<Item>,
    /// The last write would have blocked (mirrors the pipe's flag, so the
    /// socket lock is taken only when it changes).
    write_blocked: bool,
}

impl Conn {
    pub(super) fn new(
        stream: Stream,
        session: Session,
        shared: Arc<Shared>,
        origin: Origin,
        endpoint: Endpoint,
        key: ConnKey,
        connecting: bool,
    ) -> Conn {
        Conn {
            stream,
            session,
            shared,
            origin,
            pipe: None,
            key,
            connecting,
            read_paused: false,
            endpoint,
            armed: None,
            staged: VecDeque::new(),
            read_chunk: READ_CHUNK,
            ends: VecDeque::new(),
            batch: Vec::new(),
            write_blocked: false,
        }
    }

    /// The mio source, for (de)registration.
    pub(super) fn stream_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }

    /// The pipe this connection carries, once attached.
    pub(super) fn pipe(&self) -> Option<PipeKey> {
        self.pipe
    }

    /// The handshake completed and the socket gave us `pipe`.
    pub(super) fn attached(&mut self, pipe: PipeKey) {
        self.pipe = Some(pipe);
    }

    pub(super) fn session_deadline(&self) -> Option<Instant> {
        self.session.deadline()
    }

    /// Messages encoded and not fully written.
    fn unwritten(&mut self) -> usize {
        let written = self.session.tx().written();
        while self.ends.front().is_some_and(|&end| end <= written) {
            self.ends.pop_front();
        }
        self.ends.len()
    }

    /// What the connection holds that was never fully written, taken out.
    pub(super) fn take_held(&mut self) -> Held {
        let encoded = self.unwritten();
        self.ends.clear();
        Held {
            staged: std::mem::take(&mut self.staged),
            encoded,
        }
    }

    /// Messages held (staged plus encoded and not fully written).
    pub(super) fn held_msgs(&mut self) -> usize {
        self.staged.iter().filter(|i| i.is_msg()).count() + self.unwritten()
    }

    /// One non-blocking write of whatever is queued; errors are ignored
    /// (used to let a refused peer see our greeting before we close).
    pub(super) fn flush_once(&mut self) {
        let mut slots = [IoSlice::new(&[]); MAX_SLICES];
        let n = self.session.tx().slices(&mut slots);
        let _ = self.stream.write_vectored(slots.get(..n).unwrap_or(&[]));
    }

    /// The timer fired.
    pub(super) fn check_timeout(&mut self, now: Instant) -> Result<(), CloseReason> {
        if self.read_paused {
            // We stopped reading (the application is slow): the peer's
            // PONGs may be waiting unread in the kernel. That is no sign of
            // a dead peer, so do not let the heartbeat time it out.
            self.session.on_input(now);
        }
        self.session.on_timeout(now).map_err(CloseReason::Proto)
    }

    /// A readiness event while the TCP connect is in progress: true once
    /// connected (emit `Connected`), false while still connecting.
    pub(super) fn finish_connect(&mut self) -> Result<bool, CloseReason> {
        match self.stream.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => return Err(CloseReason::Io(e.kind())),
        }
        match self.stream.connected() {
            Ok(true) => {
                self.connecting = false;
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => Err(CloseReason::Io(e.kind())),
        }
    }

    /// Resume reading after the application drained the pipe; true when
    /// reading had been paused (so input may be waiting in the kernel).
    pub(super) fn resume(&mut self) -> bool {
        std::mem::take(&mut self.read_paused)
    }

    /// Read and decode until the socket would block, the pipe is full, the
    /// handshake completes or the read budget is spent. Output for the pipe
    /// is written in between, so a busy reader never starves its writer.
    pub(super) fn read(&mut self) -> Result<Progress, CloseReason> {
        let mut budget = READ_BUDGET;
        loop {
            match self.decode()? {
                Decoded::Handshaken(info) => return Ok(Progress::Handshaken(info)),
                Decoded::Paused => return Ok(Progress::Idle),
                Decoded::NeedBytes => {}
            }
            if budget == 0 {
                return Ok(Progress::More);
            }
            let chunk = self.read_chunk;
            let buf = self.session.read_buf_sized(chunk);
            let len = buf.len();
            // Zero-fill only what this read may use (safe code cannot read
            // into uninitialised capacity).
            let room = (buf.capacity() - len).min(chunk.max(READ_CHUNK));
            buf.resize(len + room, 0);
            let res = self.stream.read(&mut buf[len..]);
            let n = *res.as_ref().unwrap_or(&0);
            buf.truncate(len + n);
            // Grow the read size while reads fill it (a busy stream), shrink
            // it when they do not: bounded by bytes that actually arrived.
            if n == room {
                self.read_chunk = (chunk * 2).min(MAX_READ);
            } else if n < chunk / 4 {
                self.read_chunk = (chunk / 2).max(READ_CHUNK);
            }
            match res {
                Ok(0) => {
                    return Err(self.session.closed_by_peer().map_or(
                        CloseReason::Io(io::ErrorKind::UnexpectedEof),
                        CloseReason::Proto,
                    ))
                }
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    self.session.on_input(Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Decode anything that arrived with the last read.
                    return match self.decode()? {
                        Decoded::Handshaken(info) => Ok(Progress::Handshaken(info)),
                        Decoded::Paused | Decoded::NeedBytes => Ok(Progress::Idle),
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CloseReason::Io(e.kind())),
            }
        }
    }

    /// Turn buffered bytes into events and hand messages to the pipe.
    fn decode(&mut self) -> Result<Decoded, CloseReason> {
        if self.read_paused {
            return Ok(Decoded::Paused);
        }
        if !self.session.is_active() {
            match self.session.poll().map_err(CloseReason::Proto)? {
                Some(Event::Ready(info)) => return Ok(Decoded::Handshaken(info)),
                Some(_) | None => return Ok(Decoded::NeedBytes),
            }
        }
        let Some(pipe) = self.pipe else {
            return Ok(Decoded::NeedBytes);
        };
        let result = self.decode_active(pipe);
        // A PING may have queued a PONG; the pipe may have output.
        self.write()?;
        result
    }

    /// Decode messages outside the socket lock, then hand them over under
    /// one lock per batch; pause at the receive HWM.
    fn decode_active(&mut self, pipe: PipeKey) -> Result<Decoded, CloseReason> {
        let shared = self.shared.clone();
        loop {
            let room = {
                let mut st = shared.lock();
                let room = st.input_room(pipe);
                if room == 0 {
                    self.read_paused = true;
                    return Ok(Decoded::Paused);
                }
                room.min(IN_BATCH)
            };
            self.batch.clear();
            let mut error = None;
            while self.batch.len() < room {
                match self.session.poll() {
                    Ok(Some(Event::Message(m))) => self.batch.push(Item::Msg(m)),
                    Ok(Some(Event::Eof)) => self.batch.push(Item::Eof),
                    Ok(Some(Event::Subscribe(t))) => self.batch.push(Item::Subscribe(t)),
                    Ok(Some(Event::Cancel(t))) => self.batch.push(Item::Cancel(t)),
                    Ok(Some(Event::Ready(_))) | Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let full_batch = self.batch.len() == room;
            if !self.batch.is_empty() {
                let mut st = shared.lock();
                st.deliver(pipe, &mut self.batch);
                let wake = shared.receivers_wake(&st);
                let output = st.has_output(pipe);
                drop(st);
                shared.attention.poke();
                shared.fire(wake);
                if output && self.session.tx_len() < TX_HIGH {
                    // Replies to what we just delivered may be queued
                    // already: keep them flowing while we read.
                    self.write()?;
                }
            }
            if let Some(e) = error {
                return Err(CloseReason::Proto(e));
            }
            if !full_batch {
                return Ok(Decoded::NeedBytes);
            }
        }
    }

    /// Pull queued items into the session and write until done or the
    /// socket would block.
    pub(super) fn write(&mut self) -> Result<(), CloseReason> {
        if self.connecting {
            return Ok(());
        }
        let shared = self.shared.clone();
        loop {
            if let Some(pipe) = self.pipe {
                if self.session.is_active() && self.session.tx_len() < TX_HIGH {
                    self.pull_output(&shared, pipe);
                }
            }
            if self.session.tx_len() == 0 {
                self.ends.clear();
                let Some(pipe) = self.pipe else {
                    return Ok(());
                };
                let mut st = shared.lock();
                if st.has_output(pipe)
                    && self.staged.is_empty()
                    && st.take_out(pipe, &mut self.staged)
                {
                    // More arrived meanwhile.
                    drop(st);
                    continue;
                }
                let wake = st.output_done(pipe).then(|| shared.senders_wake(&st));
                drop(st);
                self.write_blocked = false;
                if let Some(w) = wake {
                    shared.fire(w);
                }
                return Ok(());
            }
            let mut slots = [IoSlice::new(&[]); MAX_SLICES];
            let n = self.session.tx().slices(&mut slots);
            match self.stream.write_vectored(&slots[..n]) {
                Ok(0) => return Err(CloseReason::Io(io::ErrorKind::WriteZero)),
                Ok(written) => {
                    self.session.tx().advance(written);
                    // Forget the messages now fully written.
                    self.unwritten();
                    if self.write_blocked {
                        self.note_write_blocked(&shared, false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self.write_blocked {
                        self.note_write_blocked(&shared, true);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CloseReason::Io(e.kind())),
            }
        }
    }

    fn note_write_blocked(&mut self, shared: &Shared, blocked: bool) {
        self.write_blocked = blocked;
        let Some(pipe) = self.pipe else {
            return;
        };
        let mut st = shared.lock();
        let wake = st
            .set_write_blocked(pipe, blocked)
            .then(|| shared.senders_wake(&st));
        drop(st);
        if let Some(w) = wake {
            // A ROUTER send waiting for the engine must now drop instead.
            shared.fire(w);
        }
    }

    /// Encode staged items into the session until its write queue is full.
    fn encode_staged(&mut self) {
        while self.session.tx_len() < TX_HIGH {
            match self.staged.pop_front() {
                Some(Item::Msg(m)) => {
                    self.session.send_message(&m);
                    let end = self.session.tx().end_offset();
                    self.ends.push_back(end);
                }
                Some(Item::Eof) => self.session.send_eof(),
                Some(Item::Subscribe(t)) => self.session.send_subscription(true, &t),
                Some(Item::Cancel(t)) => self.session.send_subscription(false, &t),
                None => break,
            }
        }
    }

    /// Move the pipe's whole queue into the staging queue (one O(1) swap
    /// under the lock, so the pipe has room again at once and blocked
    /// senders are woken) and encode from it outside the lock.
    fn pull_output(&mut self, shared: &Shared, pipe: PipeKey) {
        self.encode_staged();
        if !self.staged.is_empty() || self.session.tx_len() >= TX_HIGH {
            return;
        }
        let mut st = shared.lock();
        if !st.take_out(pipe, &mut self.staged) {
            return;
        }
        let wake = shared.senders_wake(&st);
        drop(st);
        shared.fire(wake);
        self.encode_staged();
    }
}

/// Where decoding stopped.
enum Decoded {
    /// The handshake completed.
    Handshaken(PeerInfo),
    /// The pipe is at its HWM.
    Paused,
    /// The session needs more bytes.
    NeedBytes,
}
