//! One TCP connection: moving bytes between the stream and its session, and
//! messages between the session and the socket's pipes.

use super::reactor::Engine;
use crate::endpoint::Endpoint;
use crate::monitor::{MonitorEvent, Reason};
use crate::pipe::{Item, Peer};
use crate::proto::session::{Event, PeerInfo, Session};
use crate::proto::wire::{MAX_READ, READ_CHUNK};
use crate::proto::ProtoError;
use crate::routing::{fq, lb, router, State};
use crate::shared::{Shared, Wake};
use mio::net::TcpStream;
use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Instant;

/// Stop pulling messages into a connection's write queue past this many bytes.
const TX_HIGH: usize = 256 * 1024;
/// At most this many slices per vectored write.
const MAX_SLICES: usize = 64;

/// How a connection came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Accepted by a listener (slab key and generation): its peer goes when
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
    /// The socket refused the peer (e.g. a bad or duplicate routing id).
    Rejected(&'static str),
}

/// A live TCP connection.
pub(super) struct Conn {
    stream: TcpStream,
    session: Session,
    pub(super) socket: u64,
    pub(super) origin: Origin,
    /// The socket's peer, once the handshake attached it.
    peer: Option<usize>,
    pub(super) gen: u64,
    connecting: bool,
    read_paused: bool,
    /// The endpoint this connection belongs to (for monitor events).
    endpoint: Endpoint,
    /// The deadline a timer is pending for.
    pub(super) armed: Option<Instant>,
    /// Items taken from the peer's out-pipe, not yet encoded.
    staged: VecDeque<Item>,
    /// The handshake completed and the socket accepted the peer.
    attached: bool,
    /// Bytes to ask for in the next read (adapts between 64 KiB and 512 KiB).
    read_chunk: usize,
    /// Items encoded into the session's write queue since it was last empty.
    tx_items: usize,
}

impl Conn {
    pub(super) fn new(
        stream: TcpStream,
        session: Session,
        socket: u64,
        origin: Origin,
        endpoint: Endpoint,
        gen: u64,
        connecting: bool,
    ) -> Conn {
        Conn {
            stream,
            session,
            socket,
            origin,
            peer: None,
            gen,
            connecting,
            read_paused: false,
            endpoint,
            armed: None,
            staged: VecDeque::new(),
            attached: false,
            read_chunk: READ_CHUNK,
            tx_items: 0,
        }
    }

    pub(super) fn session_deadline(&self) -> Option<Instant> {
        self.session.deadline()
    }

    /// Messages this connection took from its pipe and has not fully
    /// written: staged ones plus those encoded since the write queue was
    /// last empty.
    pub(super) fn held_msgs(&self) -> usize {
        let staged = self
            .staged
            .iter()
            .filter(|i| matches!(i, Item::Msg(_)))
            .count();
        let encoded = if self.session_tx_empty() {
            0
        } else {
            self.tx_items
        };
        staged + encoded
    }

    fn session_tx_empty(&self) -> bool {
        self.session.tx_len() == 0
    }

    /// Forget the peer (it was retired by someone else).
    pub(super) fn detach_peer(&mut self) {
        self.peer = None;
    }

    /// One non-blocking write of whatever is queued; errors are ignored.
    fn flush_once(&mut self) {
        let mut slots = [IoSlice::new(&[]); MAX_SLICES];
        let n = self.session.tx().slices(&mut slots);
        let _ = self.stream.write_vectored(slots.get(..n).unwrap_or(&[]));
    }

    pub(super) fn check_timeout(&mut self, now: Instant) -> Result<(), CloseReason> {
        if self.read_paused {
            // We stopped reading (the application is slow): the peer's
            // PONGs may be waiting unread in the kernel. That is no sign of
            // a dead peer, so do not let the heartbeat time it out.
            self.session.on_input(now);
        }
        self.session.on_timeout(now).map_err(CloseReason::Proto)
    }
}

impl CloseReason {
    /// The public form, for monitor events.
    fn to_reason(&self) -> Reason {
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
                ProtoError::HandshakeTimeout => Reason::HandshakeTimeout,
                ProtoError::HeartbeatTimeout => Reason::HeartbeatTimeout,
                ProtoError::MessageTooLarge { .. } => Reason::MessageTooLarge,
                ProtoError::CommandInMultipart => {
                    Reason::Protocol("command frame inside a multipart message".into())
                }
            },
            CloseReason::Io(io::ErrorKind::UnexpectedEof) => Reason::PeerClosed,
            CloseReason::Io(kind) => Reason::Io(*kind),
            CloseReason::Rejected(why) => Reason::RoutingId(why),
        }
    }
}

/// Mark a peer gone for good: drop (and count) its unsent messages, take it
/// out of routing, and remove it once its input is drained. Returns whom to
/// wake once the caller has released the lock.
pub(super) fn retire_peer(shared: &Shared, st: &mut State, key: usize) -> Wake {
    if let Some(p) = st.peers.get_mut(key) {
        p.gone = true;
        p.conn = None;
        p.tx_busy = false;
        let dropped = p.clear_out();
        st.stats.dropped_on_disconnect += dropped as u64;
    }
    router::release_id(st, key);
    lb::remove(st, key);
    st.remove_if_done(key);
    shared.all_wake(st)
}

impl Engine {
    pub(super) fn conn_event(&mut self, key: usize, readable: bool, writable: bool) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        if conn.connecting {
            if !(readable || writable) {
                return;
            }
            match conn.stream.take_error() {
                Ok(None) => {}
                Ok(Some(e)) | Err(e) => {
                    self.close_conn(key, Some(CloseReason::Io(e.kind())));
                    return;
                }
            }
            match conn.stream.peer_addr() {
                Ok(peer) if conn.stream.local_addr().ok() == Some(peer) => {
                    // TCP simultaneous open onto our own ephemeral port: a
                    // connection to itself, never a peer.
                    let _ = self.close_conn(key, Some(CloseReason::Io(io::ErrorKind::AddrInUse)));
                    return;
                }
                Ok(_) => {
                    conn.connecting = false;
                    if let Some(e) = self.sockets.get(&conn.socket) {
                        e.shared.emit(MonitorEvent::Connected {
                            endpoint: conn.endpoint.clone(),
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => {
                    self.close_conn(key, Some(CloseReason::Io(e.kind())));
                    return;
                }
            }
        }
        let mut result = Ok(());
        if readable {
            result = self.conn_input(key);
        }
        if result.is_ok() {
            result = self.conn_output(key);
        }
        match result {
            Err(reason) => {
                let _ = self.close_conn(key, Some(reason));
            }
            Ok(()) => self.arm_timer(key),
        }
    }

    /// Read until the socket would block or the peer's pipe is full.
    fn conn_input(&mut self, key: usize) -> Result<(), CloseReason> {
        loop {
            if !self.drain_session(key)? {
                return Ok(());
            }
            let Some(conn) = self.conns.get_mut(key) else {
                return Ok(());
            };
            let chunk = conn.read_chunk;
            let buf = conn.session.read_buf_sized(chunk);
            let len = buf.len();
            // Zero-fill only what this read may use (safe code cannot read
            // into uninitialised capacity).
            let room = (buf.capacity() - len).min(chunk.max(READ_CHUNK));
            buf.resize(len + room, 0);
            let res = conn.stream.read(&mut buf[len..]);
            let n = match &res {
                Ok(n) => *n,
                Err(_) => 0,
            };
            buf.truncate(len + n);
            // Grow the read size while reads fill it (a busy stream), shrink
            // it when they do not: bounded by bytes that actually arrived.
            if n == room {
                conn.read_chunk = (chunk * 2).min(MAX_READ);
            } else if n < chunk / 4 {
                conn.read_chunk = (chunk / 2).max(READ_CHUNK);
            }
            match res {
                Ok(0) => return Err(CloseReason::Io(io::ErrorKind::UnexpectedEof)),
                Ok(_) => conn.session.on_input(Instant::now()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Decode anything that arrived with the last read.
                    self.drain_session(key)?;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CloseReason::Io(e.kind())),
            }
        }
    }

    /// Turn buffered bytes into events. Returns false when input is paused
    /// (the peer's pipe is at its HWM).
    fn drain_session(&mut self, key: usize) -> Result<bool, CloseReason> {
        let Some(conn) = self.conns.get_mut(key) else {
            return Ok(false);
        };
        if conn.read_paused {
            return Ok(false);
        }
        let Some(shared) = self.sockets.get(&conn.socket).map(|e| e.shared.clone()) else {
            return Ok(false);
        };
        if !conn.session.is_active() {
            match conn.session.poll().map_err(CloseReason::Proto)? {
                Some(Event::Ready(info)) => {
                    self.attach(key, &shared, info)?;
                    self.conn_output(key)?;
                }
                Some(_) | None => return Ok(true),
            }
        }
        let Some(conn) = self.conns.get_mut(key) else {
            return Ok(false);
        };
        let Some(peer_key) = conn.peer else {
            return Ok(true);
        };
        let hwm = shared.opts.recv_hwm;
        let mut batch = std::mem::take(&mut self.in_batch);
        let result = drain_active(conn, &shared, peer_key, hwm, &mut batch);
        self.in_batch = batch;
        // A PING may have queued a PONG.
        if result.is_ok() {
            if let Some(conn) = self.conns.get_mut(key) {
                if !conn.session.tx().is_empty() {
                    self.conn_output(key)?;
                }
            }
        }
        result
    }

    /// The handshake finished: bind the connection to a peer of the socket.
    fn attach(
        &mut self,
        key: usize,
        shared: &Arc<Shared>,
        info: PeerInfo,
    ) -> Result<(), CloseReason> {
        let Some(conn) = self.conns.get_mut(key) else {
            return Ok(());
        };
        let origin = conn.origin;
        let mut st = shared.lock();
        if st.closed {
            return Err(CloseReason::Rejected("socket is closing"));
        }
        let persistent = match origin {
            Origin::Connected { connecter } => self.connecters.get(connecter).map(|c| c.peer),
            _ => None,
        };
        let peer_key = match persistent {
            Some(k) if st.peers.contains(k) => k,
            _ => st.peers.insert(Peer::new(false)),
        };
        if shared.ty.uses_routing_ids() {
            if let Err(bad) = router::assign_id(&mut st, peer_key, info.identity.clone()) {
                if persistent.is_none() {
                    st.peers.remove(peer_key);
                }
                st.stats.protocol_errors += 1;
                return Err(CloseReason::Rejected(bad.reason()));
            }
        }
        let eof_sent = st.eof_sent;
        if let Some(p) = st.peers.get_mut(peer_key) {
            p.conn = Some(key);
            // A new connection starts a new stream: a pill from the previous
            // one that is still unread no longer ends anything.
            p.inq.retain(|i| matches!(i, Item::Msg(_)));
            p.finished = false;
            p.gone = false;
            if eof_sent && !p.out.iter().any(|i| matches!(i, Item::Eof)) {
                p.out.push_back(Item::Eof);
            }
        }
        if shared.ty.can_send() && !shared.ty.uses_routing_ids() {
            lb::add(&mut st, peer_key);
        }
        let wake = shared.senders_wake(&st);
        drop(st);
        shared.fire(wake);
        shared.emit(MonitorEvent::HandshakeSucceeded {
            endpoint: conn.endpoint.clone(),
        });
        conn.peer = Some(peer_key);
        conn.attached = true;
        self.handshake_done(origin);
        if let Origin::Connected { connecter } = origin {
            if let Some(c) = self.connecters.get_mut(connecter) {
                c.backoff.reset();
            }
        }
        Ok(())
    }

    /// Pull queued messages into the session and write until done or the
    /// socket would block.
    pub(super) fn conn_output(&mut self, key: usize) -> Result<(), CloseReason> {
        let Some(conn) = self.conns.get_mut(key) else {
            return Ok(());
        };
        if conn.connecting {
            return Ok(());
        }
        let shared = self.sockets.get(&conn.socket).map(|e| e.shared.clone());
        loop {
            if let (Some(shared), Some(peer_key)) = (&shared, conn.peer) {
                if conn.session.is_active() && conn.session.tx().len() < TX_HIGH {
                    pull_output(shared, peer_key, conn);
                }
            }
            if conn.session.tx().is_empty() {
                conn.tx_items = 0;
                if let (Some(shared), Some(peer_key)) = (&shared, conn.peer) {
                    let mut st = shared.lock();
                    let closed = st.closed;
                    let mut wake = None;
                    if let Some(p) = st.peers.get_mut(peer_key) {
                        if p.tx_busy && p.out.is_empty() {
                            p.tx_busy = false;
                            wake = Some(shared.senders_wake(&st));
                        } else if !p.out.is_empty() && !closed {
                            // More to pull (pull_output takes nothing once
                            // the socket is closed: no endless loop then).
                            continue;
                        }
                    }
                    drop(st);
                    if let Some(w) = wake {
                        shared.fire(w);
                    }
                }
                return Ok(());
            }
            let mut slots = [IoSlice::new(&[]); MAX_SLICES];
            let tx = conn.session.tx();
            let n = tx.slices(&mut slots);
            let res = conn.stream.write_vectored(&slots[..n]);
            match res {
                Ok(0) => return Err(CloseReason::Io(io::ErrorKind::WriteZero)),
                Ok(written) => {
                    conn.session.tx().advance(written);
                    if conn.session.tx().is_empty() {
                        conn.tx_items = 0;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CloseReason::Io(e.kind())),
            }
        }
    }

    /// The socket asked us to look at some peers.
    pub(super) fn service(&mut self, socket: u64) {
        let Some(shared) = self.sockets.get(&socket).map(|e| e.shared.clone()) else {
            return;
        };
        let work: Vec<(usize, bool)> = {
            let mut st = shared.lock();
            st.service_scheduled = false;
            let keys = std::mem::take(&mut st.service);
            keys.into_iter()
                .filter_map(|k| {
                    let p = st.peers.get_mut(k)?;
                    p.service_requested = false;
                    Some((p.conn?, !p.read_paused))
                })
                .collect()
        };
        for (conn_key, may_read) in work {
            let mut result = Ok(());
            if let Some(conn) = self.conns.get_mut(conn_key) {
                if may_read && conn.read_paused {
                    conn.read_paused = false;
                    result = self.conn_input(conn_key);
                }
            }
            if result.is_ok() {
                result = self.conn_output(conn_key);
            }
            if let Err(reason) = result {
                self.close_conn(conn_key, Some(reason));
            }
        }
    }

    /// Close a connection; detach its peer; reconnect if it was ours.
    /// Returns how many messages the connection held that were never fully
    /// written and are not kept for a reconnect.
    pub(super) fn close_conn(&mut self, key: usize, reason: Option<CloseReason>) -> usize {
        if !self.conns.contains(key) {
            return 0;
        }
        let mut conn = self.conns.remove(key);
        let mut lost = if conn.session_tx_empty() {
            0
        } else {
            conn.tx_items
        };
        if !conn.attached
            && !conn.connecting
            && matches!(
                reason,
                Some(CloseReason::Proto(_) | CloseReason::Rejected(_))
            )
        {
            // Best effort, like libzmq: let the peer have our greeting and
            // READY before the close, so it can tell why (e.g. an
            // incompatible socket type) instead of seeing a bare close.
            conn.flush_once();
        }
        self.deregister(&mut conn.stream);
        let shared = self.sockets.get(&conn.socket).map(|e| e.shared.clone());
        if let Some(shared) = &shared {
            if !conn.connecting {
                let why = reason
                    .as_ref()
                    .map_or(Reason::Closed, CloseReason::to_reason);
                let endpoint = conn.endpoint.clone();
                shared.emit(if conn.attached {
                    MonitorEvent::Disconnected {
                        endpoint,
                        reason: why,
                    }
                } else {
                    MonitorEvent::HandshakeFailed {
                        endpoint,
                        reason: why,
                    }
                });
            }
            let mut st = shared.lock();
            let mut wake = Wake::default();
            if let Some(CloseReason::Proto(_)) = reason {
                st.stats.protocol_errors += 1;
            }
            if let Some(peer_key) = conn.peer {
                match conn.origin {
                    Origin::Connected { .. } => {
                        // Bytes already encoded die with the connection:
                        // count them. The pipe stays for the next
                        // connection, and the staged (never encoded) items
                        // go back to its front.
                        if reason.is_some() {
                            st.stats.dropped_on_disconnect += lost as u64;
                        }
                        if let Some(p) = st.peers.get_mut(peer_key) {
                            p.conn = None;
                            p.tx_busy = false;
                            p.read_paused = false;
                            while let Some(item) = conn.staged.pop_back() {
                                if matches!(item, Item::Msg(_)) {
                                    p.out_msgs += 1;
                                }
                                p.out.push_front(item);
                            }
                        }
                        if shared.ty.uses_routing_ids() {
                            router::release_id(&mut st, peer_key);
                        }
                        wake = shared.all_wake(&st);
                    }
                    Origin::Accepted { .. } | Origin::Orphan => {
                        let staged = conn
                            .staged
                            .iter()
                            .filter(|i| matches!(i, Item::Msg(_)))
                            .count();
                        lost += staged;
                        if reason.is_some() {
                            st.stats.dropped_on_disconnect += lost as u64;
                        }
                        wake = retire_peer(shared, &mut st, peer_key);
                    }
                }
            }
            drop(st);
            shared.fire(wake);
        }
        if let Origin::Connected { connecter } = conn.origin {
            if self.connecters.contains(connecter) {
                self.schedule_reconnect(connecter);
            }
        }
        if !conn.attached {
            // It leaves its handshake (failed, timed out or closed): free
            // its slot under the listener's max_pending_handshakes.
            self.handshake_done(conn.origin);
        }
        lost
    }
}

/// Most messages decoded per lock of the socket state.
const IN_BATCH: usize = 256;

/// Decode messages outside the socket lock, then hand them over under one
/// lock per batch; pause at the receive HWM. Returns false when paused.
fn drain_active(
    conn: &mut Conn,
    shared: &Shared,
    peer_key: usize,
    hwm: usize,
    batch: &mut Vec<Item>,
) -> Result<bool, CloseReason> {
    loop {
        let room = {
            let mut st = shared.lock();
            let Some(peer) = st.peers.get_mut(peer_key) else {
                return Ok(false);
            };
            let room = hwm.saturating_sub(peer.inq.len());
            if room == 0 {
                peer.read_paused = true;
                conn.read_paused = true;
                return Ok(false);
            }
            room.min(IN_BATCH)
        };
        batch.clear();
        let mut error = None;
        while batch.len() < room {
            match conn.session.poll() {
                Ok(Some(Event::Message(m))) => batch.push(Item::Msg(m)),
                Ok(Some(Event::Eof)) => batch.push(Item::Eof),
                Ok(Some(Event::Ready(_))) | Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let full_batch = batch.len() == room;
        if !batch.is_empty() {
            let mut st = shared.lock();
            if let Some(peer) = st.peers.get_mut(peer_key) {
                peer.inq.extend(batch.drain(..));
            }
            fq::activate(&mut st, peer_key);
            let wake = shared.receivers_wake(&st);
            drop(st);
            shared.fire(wake);
        }
        if let Some(e) = error {
            return Err(CloseReason::Proto(e));
        }
        if !full_batch {
            // The session needs more bytes.
            return Ok(true);
        }
    }
}

/// Encode staged items into the session until its write queue is full.
fn encode_staged(conn: &mut Conn) {
    while conn.session.tx().len() < TX_HIGH {
        match conn.staged.pop_front() {
            Some(Item::Msg(m)) => conn.session.send_message(&m),
            Some(Item::Eof) => conn.session.send_eof(),
            None => break,
        }
        conn.tx_items += 1;
    }
}

/// Move the peer's whole out-pipe into the connection's staging queue (one
/// O(1) swap under the lock) and encode from it outside the lock. The pipe
/// has room again at once, so blocked senders are woken.
fn pull_output(shared: &Shared, peer_key: usize, conn: &mut Conn) {
    encode_staged(conn);
    if !conn.staged.is_empty() || conn.session.tx().len() >= TX_HIGH {
        return;
    }
    {
        let mut st = shared.lock();
        let closed = st.closed;
        let Some(p) = st.peers.get_mut(peer_key) else {
            return;
        };
        if p.out.is_empty() || closed {
            // After close, the pipe is the socket's final count of unsent
            // messages: leave it alone.
            return;
        }
        std::mem::swap(&mut p.out, &mut conn.staged);
        p.out_msgs = 0;
        p.tx_busy = true;
        let wake = shared.senders_wake(&st);
        drop(st);
        shared.fire(wake);
    }
    encode_staged(conn);
}
