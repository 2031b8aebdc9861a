//! The mio loop: listeners, connecters, timers and the mailbox.

use super::backoff::Backoff;
use super::conn::{Conn, Origin};
use super::{Cmd, Mailbox};
use crate::endpoint::Endpoint;
use crate::monitor::MonitorEvent;
use crate::proto::session::{Session, SessionConfig};
use crate::shared::Shared;
use mio::net::{TcpListener, TcpStream};
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

/// A socket as the engine sees it.
pub(super) struct SockEntry {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Listener {
    socket: u64,
    listener: TcpListener,
    endpoint: Endpoint,
    /// Accepting is paused after an accept error (e.g. out of descriptors).
    paused: bool,
    /// Accepted connections still in their greeting or handshake.
    pub(super) handshaking: usize,
    /// Accepting stopped because `handshaking` reached the cap.
    pub(super) capped: bool,
    /// Distinguishes this listener from a later one with the same slab key.
    pub(super) gen: u64,
}

pub(super) struct Connecter {
    socket: u64,
    endpoint: Endpoint,
    addr: SocketAddr,
    /// The persistent peer whose pipe outlives connections.
    pub(super) peer: usize,
    conn: Option<usize>,
    pub(super) backoff: Backoff,
    gen: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Reconnect { connecter: usize, gen: u64 },
    Session { conn: usize, gen: u64 },
    Accept { listener: usize },
}

/// The engine's state; lives on the engine thread.
pub(crate) struct Engine {
    poll: Poll,
    mailbox: Arc<Mailbox>,
    pub(super) sockets: HashMap<u64, SockEntry>,
    pub(super) conns: Slab<Conn>,
    listeners: Slab<Listener>,
    pub(super) connecters: Slab<Connecter>,
    timers: BinaryHeap<Reverse<(Instant, Timer)>>,
    next_gen: u64,
    /// Reused buffer for decoded input.
    pub(super) in_batch: Vec<crate::pipe::Item>,
}

impl Engine {
    pub(super) fn new(poll: Poll, mailbox: Arc<Mailbox>) -> Engine {
        Engine {
            poll,
            mailbox,
            sockets: HashMap::new(),
            conns: Slab::new(),
            listeners: Slab::new(),
            connecters: Slab::new(),
            timers: BinaryHeap::new(),
            next_gen: 1,
            in_batch: Vec::new(),
        }
    }

    fn gen(&mut self) -> u64 {
        self.next_gen += 1;
        self.next_gen
    }

    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self
                .timers
                .peek()
                .map(|Reverse((t, _))| t.saturating_duration_since(Instant::now()));
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
                    KIND_CONN => self.conn_event(key, ev.is_readable(), ev.is_writable()),
                    _ => {}
                }
            }
            if !self.commands() {
                break;
            }
            self.fire_timers();
        }
        // Shutdown: drop everything (closing every descriptor).
        let conns: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
        for k in conns {
            self.close_conn(k, None);
        }
    }

    /// Process the mailbox; false on shutdown.
    fn commands(&mut self) -> bool {
        for cmd in self.mailbox.take_all() {
            match cmd {
                Cmd::AddSocket(shared) => {
                    self.sockets.insert(shared.id, SockEntry { shared });
                }
                Cmd::Listen {
                    socket,
                    listener,
                    endpoint,
                } => self.listen(socket, listener, endpoint),
                Cmd::Connect {
                    socket,
                    endpoint,
                    addr,
                    peer,
                } => {
                    let Some(entry) = self.sockets.get(&socket) else {
                        continue;
                    };
                    let o = &entry.shared.opts;
                    let backoff = Backoff::new(o.reconnect_interval, o.reconnect_interval_max);
                    let c = self.connecters.insert(Connecter {
                        socket,
                        endpoint,
                        addr,
                        peer,
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
                Cmd::Shutdown => return false,
            }
        }
        true
    }

    fn listen(&mut self, socket: u64, listener: std::net::TcpListener, endpoint: Endpoint) {
        if !self.sockets.contains_key(&socket) {
            // The socket closed before its listener reached us.
            return;
        }
        let mut listener = TcpListener::from_std(listener);
        let entry = self.listeners.vacant_entry();
        let key = entry.key();
        if self
            .poll
            .registry()
            .register(&mut listener, token(KIND_LISTENER, key), Interest::READABLE)
            .is_ok()
        {
            if let Some(e) = self.sockets.get(&socket) {
                e.shared.emit(MonitorEvent::Listening {
                    endpoint: endpoint.clone(),
                });
            }
            let gen = self.next_gen + 1;
            self.next_gen = gen;
            entry.insert(Listener {
                socket,
                listener,
                endpoint,
                paused: false,
                handshaking: 0,
                capped: false,
                gen,
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
        if let Some(e) = self.sockets.get(&l.socket) {
            e.shared.emit(MonitorEvent::Closed {
                endpoint: l.endpoint,
            });
        }
    }

    /// Remove one connecter for `endpoint` (a socket may connect to the same
    /// endpoint more than once; each `disconnect` undoes one `connect`).
    fn disconnect(&mut self, socket: u64, endpoint: &Endpoint) -> bool {
        let found: Vec<usize> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.socket == socket && &c.endpoint == endpoint)
            .map(|(k, _)| k)
            .take(1)
            .collect();
        let mut held = 0;
        for k in &found {
            held += self.remove_connecter(*k);
        }
        if held > 0 {
            if let Some(entry) = self.sockets.get(&socket) {
                entry.shared.lock().stats.dropped_on_disconnect += held as u64;
            }
        }
        !found.is_empty()
    }

    /// Remove a connecter, its peer and its connection; returns the messages
    /// that connection still held (taken from the pipe, not fully written).
    fn remove_connecter(&mut self, key: usize) -> usize {
        let c = self.connecters.remove(key);
        // Retire the peer first, under one lock, so that its slab key cannot
        // be reused by a concurrent `connect` before we are done with it.
        if let Some(entry) = self.sockets.get(&c.socket) {
            let shared = entry.shared.clone();
            let mut st = shared.lock();
            let wake = crate::engine::conn::retire_peer(&shared, &mut st, c.peer);
            drop(st);
            shared.fire(wake);
        }
        let mut held = 0;
        if let Some(conn) = c.conn {
            if let Some(cn) = self.conns.get_mut(conn) {
                held = cn.held_msgs();
                // No reconnect, and the peer is already retired.
                cn.origin = Origin::Orphan;
                cn.detach_peer();
            }
            let _ = self.close_conn(conn, None);
        }
        held
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
        let cs: Vec<usize> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.socket == socket)
            .map(|(k, _)| k)
            .collect();
        let mut held = 0;
        for k in cs {
            held += self.remove_connecter(k);
        }
        let conns: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.socket == socket)
            .map(|(k, _)| k)
            .collect();
        let mut lost = held;
        for k in conns {
            lost += self.close_conn(k, None);
        }
        self.sockets.remove(&socket);
        lost
    }

    fn accept(&mut self, key: usize) {
        loop {
            let Some(l) = self.listeners.get_mut(key) else {
                return;
            };
            if l.paused || l.capped {
                return;
            }
            let cap = self
                .sockets
                .get(&l.socket)
                .map_or(usize::MAX, |e| e.shared.opts.max_pending_handshakes);
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
                    let socket = l.socket;
                    let endpoint = l.endpoint.clone();
                    if let Some(e) = self.sockets.get(&socket) {
                        e.shared.emit(MonitorEvent::Accepted {
                            endpoint: endpoint.clone(),
                            peer: addr,
                        });
                    }
                    if self
                        .add_conn(socket, stream, origin, endpoint, false)
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

    /// Register a new TCP stream with a fresh session.
    fn add_conn(
        &mut self,
        socket: u64,
        mut stream: TcpStream,
        origin: Origin,
        endpoint: Endpoint,
        connecting: bool,
    ) -> Option<usize> {
        let shared = self.sockets.get(&socket)?.shared.clone();
        let _ = stream.set_nodelay(true);
        let now = Instant::now();
        let cfg = SessionConfig {
            socket_type: shared.ty,
            routing_id: shared.opts.routing_id.clone(),
            max_message_size: shared.opts.max_message_size as u64,
            handshake_timeout: shared.opts.handshake_timeout,
            heartbeat: shared.opts.heartbeat(),
        };
        let session = Session::new(cfg, now);
        let gen = self.gen();
        let entry = self.conns.vacant_entry();
        let key = entry.key();
        self.poll
            .registry()
            .register(
                &mut stream,
                token(KIND_CONN, key),
                Interest::READABLE | Interest::WRITABLE,
            )
            .ok()?;
        entry.insert(Conn::new(
            stream, session, socket, origin, endpoint, gen, connecting,
        ));
        self.arm_timer(key);
        Some(key)
    }

    pub(super) fn start_connect(&mut self, key: usize) {
        let Some(c) = self.connecters.get(key) else {
            return;
        };
        let (socket, addr, endpoint) = (c.socket, c.addr, c.endpoint.clone());
        match TcpStream::connect(addr) {
            Ok(stream) => {
                let origin = Origin::Connected { connecter: key };
                match self.add_conn(socket, stream, origin, endpoint, true) {
                    Some(conn) => {
                        if let Some(c) = self.connecters.get_mut(key) {
                            c.conn = Some(conn);
                        }
                    }
                    None => self.schedule_reconnect(key),
                }
            }
            Err(_) => self.schedule_reconnect(key),
        }
    }

    pub(super) fn schedule_reconnect(&mut self, key: usize) {
        let gen = self.gen();
        let Some(c) = self.connecters.get_mut(key) else {
            return;
        };
        c.conn = None;
        c.gen = gen;
        let delay = c.backoff.next_delay();
        if let Some(e) = self.sockets.get(&c.socket) {
            e.shared.emit(MonitorEvent::ConnectRetried {
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
                Timer::Session { conn, gen } => {
                    let checked = self
                        .conns
                        .get_mut(conn)
                        .filter(|c| c.gen == gen)
                        .map(|c| c.check_timeout(now));
                    match checked {
                        Some(Err(reason)) => {
                            let _ = self.close_conn(conn, Some(reason));
                        }
                        Some(Ok(())) => {
                            // A PING may be queued; the deadline has moved.
                            if let Err(reason) = self.conn_output(conn) {
                                self.close_conn(conn, Some(reason));
                            } else {
                                self.arm_timer(conn);
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

    /// An accepted connection left its handshake (done, failed or closed):
    /// count it off its listener and resume accepting if it was capped.
    pub(super) fn handshake_done(&mut self, origin: Origin) {
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

    /// Make sure a timer fires at the connection's session deadline.
    pub(super) fn arm_timer(&mut self, key: usize) {
        let Some(conn) = self.conns.get_mut(key) else {
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
        let gen = conn.gen;
        self.timers
            .push(Reverse((deadline, Timer::Session { conn: key, gen })));
    }

    pub(super) fn deregister(&mut self, stream: &mut TcpStream) {
        let _ = self.poll.registry().deregister(stream);
    }
}
