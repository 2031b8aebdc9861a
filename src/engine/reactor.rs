//! The mio loop: listeners, connecters, connections, timers and the mailbox.
//! It applies what connections report (handshake done, closed) to the
//! socket state, and owns reconnection and listener limits.

use super::backoff::Backoff;
use super::conn::{CloseReason, Conn, Held, Origin, Progress};
use super::resolver::Resolver;
use super::{Cmd, Mailbox};
use crate::endpoint::{Endpoint, PeerAddr};
use crate::key::{ConnKey, Generations};
use crate::monitor::{MonitorEvent, Reason};
use crate::pipe::PipeKey;
use crate::proto::mechanism::RandomFill;
use crate::proto::session::{PeerInfo, Session, SessionConfig};
use crate::state::shared::Shared;
use crate::transport::{self, Listener as AnyListener, Stream, Target};
use bytes::Bytes;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Token of the mailbox's waker.
pub(super) const WAKER: Token = Token(0);
const KIND_LISTENER: usize = 1;
const KIND_CONN: usize = 2;
/// How long accept waits after an error such as running out of descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

fn token(kind: usize, key: usize) -> Token {
    Token((key << 2) | kind)
}

struct Listener {
    socket: u64,
    listener: AnyListener,
    endpoint: Endpoint,
    /// Accepting is paused after an accept error (e.g. out of descriptors).
    paused: bool,
    /// Accepted connections still in their greeting or handshake.
    handshaking: usize,
    /// Accepting stopped because `handshaking` reached the cap.
    capped: bool,
    /// Distinguishes this listener from a later one with the same slab key.
    gen: u64,
}

struct Connecter {
    socket: u64,
    endpoint: Endpoint,
    /// The pipe `connect` made, which outlives connections (none with
    /// `immediate`).
    pipe: Option<PipeKey>,
    /// The routing id `connect` chose for the peer.
    preset: Option<Bytes>,
    conn: Option<ConnKey>,
    backoff: Backoff,
    gen: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Reconnect { connecter: usize, gen: u64 },
    Session { conn: ConnKey },
    Accept { listener: usize },
}

/// The engine's state; lives on the engine thread.
pub(crate) struct Engine {
    poll: Poll,
    mailbox: Arc<Mailbox>,
    sockets: HashMap<u64, Arc<Shared>>,
    conns: Slab<Conn>,
    conn_gens: Generations,
    listeners: Slab<Listener>,
    connecters: Slab<Connecter>,
    timers: BinaryHeap<Reverse<(Instant, Timer)>>,
    next_gen: u64,
    /// Connections whose read budget ran out with more to read.
    ready: Vec<ConnKey>,
    resolver: Option<Resolver>,
}

impl Engine {
    pub(super) fn new(poll: Poll, mailbox: Arc<Mailbox>) -> Engine {
        Engine {
            poll,
            mailbox,
            sockets: HashMap::new(),
            conns: Slab::new(),
            conn_gens: Generations::default(),
            listeners: Slab::new(),
            connecters: Slab::new(),
            timers: BinaryHeap::new(),
            next_gen: 1,
            ready: Vec::new(),
            resolver: None,
        }
    }

    fn gen(&mut self) -> u64 {
        self.next_gen += 1;
        self.next_gen
    }

    fn conn_mut(&mut self, key: ConnKey) -> Option<&mut Conn> {
        self.conns.get_mut(key.index()).filter(|c| c.key == key)
    }

    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = if self.ready.is_empty() {
                self.timers
                    .peek()
                    .map(|Reverse((t, _))| t.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The poll instance is broken: nothing more can be done.
                break;
            }
            for ev in events.iter() {
                let t = ev.token();
                if t == WAKER {
                    continue;
                }
                let key = t.0 >> 2;
                match t.0 & 3 {
                    KIND_LISTENER => self.accept(key),
                    KIND_CONN => {
                        if let Some(c) = self.conns.get(key) {
                            let ck = c.key;
                            self.conn_event(ck, ev.is_readable(), ev.is_writable());
                        }
                    }
                    _ => {}
                }
            }
            for key in std::mem::take(&mut self.ready) {
                self.conn_event(key, true, false);
            }
            if !self.commands() {
                break;
            }
            self.fire_timers();
        }
        // Shutdown: drop everything (closing every descriptor).
        let keys: Vec<ConnKey> = self.conns.iter().map(|(_, c)| c.key).collect();
        for k in keys {
            self.drop_conn(k);
        }
    }

    /// Process the mailbox; false on shutdown.
    fn commands(&mut self) -> bool {
        for cmd in self.mailbox.take_all() {
            match cmd {
                Cmd::AddSocket(shared) => {
                    self.sockets.insert(shared.id, shared);
                }
                Cmd::Listen {
                    socket,
                    listener,
                    endpoint,
                } => self.listen(socket, listener, endpoint),
                Cmd::Connect {
                    socket,
                    endpoint,
                    pipe,
                    preset,
                } => {
                    let Some(shared) = self.sockets.get(&socket) else {
                        continue;
                    };
                    let backoff = {
                        let st = shared.lock();
                        Backoff::new(st.opts.reconnect_interval, st.opts.reconnect_interval_max)
                    };
                    let c = self.connecters.insert(Connecter {
                        socket,
                        endpoint,
                        pipe,
                        preset,
                        conn: None,
                        backoff,
                        gen: 0,
                    });
                    self.start_connect(c);
                }
                Cmd::Unbind {
                    socket,
                    endpoint,
                    reply,
                } => {
                    let found = self.unbind(socket, &endpoint);
                    let _ = reply.send(found);
                }
                Cmd::Disconnect {
                    socket,
                    endpoint,
                    reply,
                } => {
                    let found = self.disconnect(socket, &endpoint);
                    let _ = reply.send(found);
                }
                Cmd::Service(socket) => self.service(socket),
                Cmd::Close { socket, reply } => {
                    let lost = self.close_socket(socket);
                    let _ = reply.send(lost);
                }
                Cmd::Resolved {
                    connecter,
                    gen,
                    result,
                } => self.resolved(connecter, gen, result),
                Cmd::Shutdown => return false,
            }
        }
        true
    }

    // ----- listeners -------------------------------------------------------

    fn listen(&mut self, socket: u64, mut listener: AnyListener, endpoint: Endpoint) {
        let Some(shared) = self.sockets.get(&socket).cloned() else {
            // The socket closed before its listener reached us.
            return;
        };
        let entry = self.listeners.vacant_entry();
        let key = entry.key();
        if self
            .poll
            .registry()
            .register(&mut listener, token(KIND_LISTENER, key), Interest::READABLE)
            .is_ok()
        {
            shared.emit(MonitorEvent::Listening {
                endpoint: endpoint.clone(),
            });
            self.next_gen += 1;
            entry.insert(Listener {
                socket,
                listener,
                endpoint,
                paused: false,
                handshaking: 0,
                capped: false,
                gen: self.next_gen,
            });
            // Connections may already be waiting in the backlog.
            self.accept(key);
        }
    }

    fn unbind(&mut self, socket: u64, endpoint: &Endpoint) -> bool {
        let found: Vec<usize> = self
            .listeners
            .iter()
            .filter(|(_, l)| l.socket == socket && &l.endpoint == endpoint)
            .map(|(k, _)| k)
            .collect();
        for k in &found {
            self.remove_listener(*k);
        }
        !found.is_empty()
    }

    fn remove_listener(&mut self, key: usize) {
        let mut l = self.listeners.remove(key);
        let _ = self.poll.registry().deregister(&mut l.listener);
        if let Some(s) = self.sockets.get(&l.socket) {
            s.emit(MonitorEvent::Closed {
                endpoint: l.endpoint,
            });
        }
    }

    fn accept(&mut self, key: usize) {
        loop {
            let Some(l) = self.listeners.get_mut(key) else {
                return;
            };
            if l.paused || l.capped {
                return;
            }
            let Some(shared) = self.sockets.get(&l.socket).cloned() else {
                return;
            };
            let cap = shared.lock().opts.max_pending_handshakes;
            if l.handshaking >= cap {
                // Leave further connections in the kernel's backlog until
                // some of these finish their handshake (or time out).
                l.capped = true;
                return;
            }
            match l.listener.accept() {
                Ok((stream, addr)) => {
                    l.handshaking += 1;
                    let origin = Origin::Accepted {
                        listener: key,
                        gen: l.gen,
                    };
                    let endpoint = l.endpoint.clone();
                    // The authenticator sees a TCP peer's IP address.
                    let address = match &addr {
                        PeerAddr::Tcp(a) => a.ip().to_string(),
                        _ => String::new(),
                    };
                    shared.emit(MonitorEvent::Accepted {
                        endpoint: endpoint.clone(),
                        peer: addr,
                    });
                    if self
                        .add_conn(&shared, stream, origin, endpoint, address)
                        .is_none()
                    {
                        self.handshake_done(origin);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // Typically EMFILE/ENFILE: stop accepting for a moment;
                    // the connections we have keep working.
                    l.paused = true;
                    let at = Instant::now() + ACCEPT_BACKOFF;
                    self.timers
                        .push(Reverse((at, Timer::Accept { listener: key })));
                    return;
                }
            }
        }
    }

    /// An accepted connection left its handshake (done, failed or closed):
    /// count it off its listener and resume accepting if it was capped.
    fn handshake_done(&mut self, origin: Origin) {
        let Origin::Accepted { listener, gen } = origin else {
            return;
        };
        let resume = match self.listeners.get_mut(listener) {
            Some(l) if l.gen == gen => {
                l.handshaking = l.handshaking.saturating_sub(1);
                std::mem::take(&mut l.capped)
            }
            _ => false,
        };
        if resume {
            self.accept(listener);
        }
    }

    // ----- connecters ------------------------------------------------------

    fn start_connect(&mut self, key: usize) {
        let gen = self.gen();
        let Some(c) = self.connecters.get_mut(key) else {
            return;
        };
        c.gen = gen;
        let (host, port) = match c.endpoint.clone() {
            Endpoint::Tcp { host, port } => (host, port),
            Endpoint::Ipc { path } => {
                match transport::ipc::address(&path) {
                    Ok(addr) => self.connect_to(key, Target::Ipc(addr)),
                    Err(e) => self.resolve_failed(key, e.to_string()),
                }
                return;
            }
            // inproc never has a connecter.
            Endpoint::Inproc { .. } => return,
        };
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) => self.connect_to(key, Target::Tcp(SocketAddr::new(ip, port))),
            Err(_) => {
                if self.resolver.is_none() {
                    self.resolver = Resolver::start(self.mailbox.clone()).ok();
                }
                let asked = self
                    .resolver
                    .as_ref()
                    .is_some_and(|r| r.request(key, gen, &host, port));
                if !asked {
                    self.resolve_failed(key, "no resolver thread".into());
                }
            }
        }
    }

    fn resolved(&mut self, key: usize, gen: u64, result: Result<SocketAddr, String>) {
        let live = self
            .connecters
            .get(key)
            .is_some_and(|c| c.gen == gen && c.conn.is_none());
        if !live {
            return;
        }
        match result {
            Ok(addr) => self.connect_to(key, Target::Tcp(addr)),
            Err(e) => self.resolve_failed(key, e),
        }
    }

    fn resolve_failed(&mut self, key: usize, error: String) {
        if let Some(c) = self.connecters.get(key) {
            if let Some(s) = self.sockets.get(&c.socket) {
                s.emit(MonitorEvent::ResolveFailed {
                    endpoint: c.endpoint.clone(),
                    error,
                });
            }
        }
        self.schedule_reconnect(key);
    }

    fn connect_to(&mut self, key: usize, target: Target) {
        let Some(c) = self.connecters.get(key) else {
            return;
        };
        let Some(shared) = self.sockets.get(&c.socket).cloned() else {
            return;
        };
        let endpoint = c.endpoint.clone();
        let opts = shared.lock().opts.clone();
        let origin = Origin::Connected { connecter: key };
        let conn = transport::connect(&target, &opts)
            .ok()
            .and_then(|stream| self.add_conn(&shared, stream, origin, endpoint, None));
        match conn {
            Some(conn) => {
                if let Some(c) = self.connecters.get_mut(key) {
                    c.conn = Some(conn);
                }
            }
            None => self.schedule_reconnect(key),
        }
    }

    fn schedule_reconnect(&mut self, key: usize) {
        let gen = self.gen();
        let Some(c) = self.connecters.get_mut(key) else {
            return;
        };
        c.conn = None;
        c.gen = gen;
        let delay = c.backoff.next_delay();
        if let Some(s) = self.sockets.get(&c.socket) {
            s.emit(MonitorEvent::ConnectRetried {
                endpoint: c.endpoint.clone(),
                delay,
            });
        }
        self.timers.push(Reverse((
            Instant::now() + delay,
            Timer::Reconnect {
                connecter: key,
                gen,
            },
        )));
    }

    /// Remove one connecter for `endpoint` (a socket may connect to the same
    /// endpoint more than once; each `disconnect` undoes one `connect`).
    fn disconnect(&mut self, socket: u64, endpoint: &Endpoint) -> bool {
        let found = self
            .connecters
            .iter()
            .find(|(_, c)| c.socket == socket && &c.endpoint == endpoint)
            .map(|(k, _)| k);
        let Some(key) = found else {
            return false;
        };
        let c = self.connecters.remove(key);
        // Its connection (no longer reconnected) takes the pipe with it;
        // what either still held is lost and counted.
        let lost = match c.conn {
            Some(conn) => {
                if let Some(cn) = self.conn_mut(conn) {
                    cn.origin = Origin::Orphan;
                }
                self.close_conn(conn, None)
            }
            None => 0,
        };
        if let Some(shared) = self.sockets.get(&c.socket).cloned() {
            let mut st = shared.lock();
            st.count_dropped_on_disconnect(lost);
            if let Some(pipe) = c.pipe {
                // Still there if the connection never attached it.
                st.retire_pipe(pipe);
            }
            let wake = shared.all_wake(&st);
            drop(st);
            shared.fire(wake);
        }
        true
    }

    /// Close everything of a socket; returns the messages its connections
    /// still held (staged or partly written), now discarded.
    fn close_socket(&mut self, socket: u64) -> usize {
        let ls: Vec<usize> = self
            .listeners
            .iter()
            .filter(|(_, l)| l.socket == socket)
            .map(|(k, _)| k)
            .collect();
        for k in ls {
            self.remove_listener(k);
        }
        self.connecters.retain(|_, c| c.socket != socket);
        let conns: Vec<ConnKey> = self
            .conns
            .iter()
            .filter(|(_, c)| c.shared.id == socket)
            .map(|(_, c)| c.key)
            .collect();
        let mut lost = 0;
        for k in conns {
            lost += self.drop_conn(k);
        }
        self.sockets.remove(&socket);
        lost
    }

    // ----- connections -----------------------------------------------------

    /// Register a new stream with a fresh session. `accepted`: the peer's
    /// address for the authenticator, for an accepted connection (`None`:
    /// we are connecting).
    fn add_conn(
        &mut self,
        shared: &Arc<Shared>,
        mut stream: Stream,
        origin: Origin,
        endpoint: Endpoint,
        accepted: impl Into<Option<String>>,
    ) -> Option<ConnKey> {
        let accepted = accepted.into();
        let connecting = accepted.is_none();
        let (cfg, opts) = {
            let st = shared.lock();
            let cfg = SessionConfig {
                socket_type: st.socket_type(),
                routing_id: st.opts.routing_id.clone(),
                max_message_size: st.opts.max_message_size as u64,
                handshake_timeout: st.opts.handshake_timeout,
                heartbeat: st.opts.heartbeat(),
                mechanism: st.opts.security.clone(),
                authenticator: st.opts.authenticator.clone(),
                peer_address: accepted.unwrap_or_default(),
                random: RandomFill::os(),
            };
            (cfg, (!connecting).then(|| st.opts.clone()))
        };
        // System calls outside the socket lock.
        if let Some(opts) = opts {
            stream.tune_accepted(&opts);
        }
        let session = Session::new(cfg, Instant::now());
        let entry = self.conns.vacant_entry();
        let key = ConnKey::new(entry.key(), self.conn_gens.next());
        self.poll
            .registry()
            .register(
                &mut stream,
                token(KIND_CONN, key.index()),
                Interest::READABLE | Interest::WRITABLE,
            )
            .ok()?;
        entry.insert(Conn::new(
            stream,
            session,
            shared.clone(),
            origin,
            endpoint,
            key,
            connecting,
        ));
        self.arm_timer(key);
        Some(key)
    }

    fn conn_event(&mut self, key: ConnKey, readable: bool, writable: bool) {
        let Some(conn) = self.conn_mut(key) else {
            return;
        };
        if conn.connecting {
            if !(readable || writable) {
                return;
            }
            match conn.finish_connect() {
                Ok(true) => conn.shared.emit(MonitorEvent::Connected {
                    endpoint: conn.endpoint.clone(),
                }),
                Ok(false) => return,
                Err(reason) => {
                    self.close_conn(key, Some(reason));
                    return;
                }
            }
        }
        let result = self.pump(key, readable);
        match result {
            Err(reason) => {
                self.close_conn(key, Some(reason));
            }
            Ok(()) => self.arm_timer(key),
        }
    }

    /// Read (attaching the connection when its handshake completes), then
    /// write.
    fn pump(&mut self, key: ConnKey, readable: bool) -> Result<(), CloseReason> {
        if readable {
            loop {
                let Some(conn) = self.conn_mut(key) else {
                    return Ok(());
                };
                match conn.read()? {
                    Progress::Idle => break,
                    Progress::More => {
                        self.ready.push(key);
                        break;
                    }
                    Progress::Handshaken(info) => self.attach(key, &info)?,
                }
            }
        }
        match self.conn_mut(key) {
            Some(conn) => conn.write(),
            None => Ok(()),
        }
    }

    /// The handshake finished: give the connection a pipe of its socket.
    fn attach(&mut self, key: ConnKey, info: &PeerInfo) -> Result<(), CloseReason> {
        let Some(conn) = self.conn_mut(key) else {
            return Ok(());
        };
        let origin = conn.origin;
        let shared = conn.shared.clone();
        let (persistent, preset) = match origin {
            Origin::Connected { connecter } => self
                .connecters
                .get(connecter)
                .map_or((None, None), |c| (c.pipe, c.preset.clone())),
            _ => (None, None),
        };
        let mut st = shared.lock();
        let attached = st.attach_conn(persistent, preset, key, info);
        // Attaching may ask for other pipes to be serviced (a ROUTER
        // handover closes the old peer's connection).
        let ping = st.take_ping();
        let wake = shared.all_wake(&st);
        drop(st);
        shared.fire(wake);
        // A refusal is the socket's decision, not a protocol error; the
        // monitor reports it.
        let pipe = attached.map_err(CloseReason::Refused)?;
        if let Some(conn) = self.conn_mut(key) {
            conn.attached(pipe);
            shared.emit(MonitorEvent::HandshakeSucceeded {
                endpoint: conn.endpoint.clone(),
            });
            if let Some(user) = &info.user_id {
                let routing_id = shared.lock().routing_id_of(pipe);
                shared.emit(MonitorEvent::Authenticated {
                    endpoint: conn.endpoint.clone(),
                    user_id: String::from_utf8_lossy(user).into_owned(),
                    routing_id,
                });
            }
        }
        self.handshake_done(origin);
        if let Origin::Connected { connecter } = origin {
            if let Some(c) = self.connecters.get_mut(connecter) {
                c.backoff.reset();
            }
        }
        if ping {
            self.service(shared.id);
        }
        Ok(())
    }

    /// The socket asked us to look at some pipes.
    fn service(&mut self, socket: u64) {
        let Some(shared) = self.sockets.get(&socket).cloned() else {
            return;
        };
        let visits = shared.lock().take_service();
        for v in visits {
            if let Some(why) = v.close {
                self.close_conn(v.conn, Some(CloseReason::Refused(why)));
                continue;
            }
            let Some(conn) = self.conn_mut(v.conn) else {
                continue;
            };
            if conn.pipe() != Some(v.key) {
                continue;
            }
            // Read only if reading had been paused: otherwise readable
            // events drive reads, and a read costs a buffer fill.
            let resume = v.may_read && conn.resume();
            if let Err(reason) = self.pump(v.conn, resume) {
                self.close_conn(v.conn, Some(reason));
            } else {
                self.arm_timer(v.conn);
            }
        }
    }

    /// Close a connection and tell its socket; reconnect if it was ours.
    /// Returns how many messages it held that were never fully written and
    /// are not kept for a reconnect.
    fn close_conn(&mut self, key: ConnKey, reason: Option<CloseReason>) -> usize {
        let Some(conn) = self.conn_mut(key) else {
            return 0;
        };
        let attached = conn.pipe().is_some();
        if !attached
            && !conn.connecting
            && reason
                .as_ref()
                .is_some_and(|r| matches!(r, CloseReason::Proto(_) | CloseReason::Refused(_)))
        {
            // Best effort, like libzmq: let the peer have our greeting and
            // READY before the close, so it can tell why (e.g. an
            // incompatible socket type) instead of seeing a bare close.
            conn.flush_once();
        }
        let mut conn = self.conns.remove(key.index());
        let _ = self.poll.registry().deregister(conn.stream_mut());
        let shared = conn.shared.clone();
        let connecter = match conn.origin {
            Origin::Connected { connecter } if self.connecters.contains(connecter) => {
                Some(connecter)
            }
            _ => None,
        };
        let Held { staged, encoded } = conn.take_held();
        let mut lost = 0;
        let mut st = shared.lock();
        if reason.as_ref().is_some_and(CloseReason::is_protocol) {
            st.count_protocol_error();
        }
        if let Some(pipe) = conn.pipe() {
            // A `connect` pipe stays for the next connection, unless we are
            // the ones closing (reason None: the socket or its endpoint is
            // going, and what is held is reported by the caller).
            let keep = connecter.is_some();
            lost = st.detach_conn(pipe, staged, encoded, keep, reason.is_some());
        }
        let wake = shared.all_wake(&st);
        drop(st);
        shared.fire(wake);
        // Reported once the socket's state reflects it.
        if !conn.connecting {
            let why = reason
                .as_ref()
                .map_or(Reason::Closed, CloseReason::to_reason);
            let endpoint = conn.endpoint.clone();
            shared.emit(if attached {
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
        if let Some(c) = connecter {
            self.schedule_reconnect(c);
        }
        if !attached {
            // It leaves its handshake (failed, timed out or closed): free
            // its slot under the listener's max_pending_handshakes.
            self.handshake_done(conn.origin);
        }
        lost
    }

    /// Drop a connection without telling its socket (the socket is closing
    /// or the engine stopping); returns the messages it held.
    fn drop_conn(&mut self, key: ConnKey) -> usize {
        if self.conn_mut(key).is_none() {
            return 0;
        }
        let mut conn = self.conns.remove(key.index());
        let _ = self.poll.registry().deregister(conn.stream_mut());
        conn.held_msgs()
    }

    // ----- timers ----------------------------------------------------------

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match timer {
                Timer::Reconnect { connecter, gen } => {
                    let live = self
                        .connecters
                        .get(connecter)
                        .is_some_and(|c| c.gen == gen && c.conn.is_none());
                    if live {
                        self.start_connect(connecter);
                    }
                }
                Timer::Session { conn } => {
                    let checked = self.conn_mut(conn).map(|c| {
                        c.armed = None;
                        c.check_timeout(now)
                    });
                    match checked {
                        Some(Err(reason)) => {
                            self.close_conn(conn, Some(reason));
                        }
                        Some(Ok(())) => {
                            // A PING may be queued; the deadline has moved.
                            let written = self.conn_mut(conn).map(|c| c.write());
                            match written {
                                Some(Err(reason)) => {
                                    self.close_conn(conn, Some(reason));
                                }
                                _ => self.arm_timer(conn),
                            }
                        }
                        None => {}
                    }
                }
                Timer::Accept { listener } => {
                    if let Some(l) = self.listeners.get_mut(listener) {
                        l.paused = false;
                        self.accept(listener);
                    }
                }
            }
        }
    }

    /// Make sure a timer fires at the connection's session deadline.
    fn arm_timer(&mut self, key: ConnKey) {
        let Some(conn) = self.conn_mut(key) else {
            return;
        };
        let Some(deadline) = conn.session_deadline() else {
            return;
        };
        if conn
            .armed
            .is_some_and(|a| a <= deadline && a > Instant::now())
        {
            // An earlier (or equal) timer is pending; it will re-arm.
            return;
        }
        conn.armed = Some(deadline);
        self.timers
            .push(Reverse((deadline, Timer::Session { conn: key })));
    }
}
