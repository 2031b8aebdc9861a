//! The mio loop: listeners, connecters, timers and the mailbox.

use super::backoff::Backoff;
use super::conn::{Conn, Origin};
use super::{Cmd, Mailbox};
use crate::endpoint::Endpoint;
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
    paused: bool,
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
    Handshake { conn: usize, gen: u64 },
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
                    self.close_socket(socket);
                    let _ = reply.send(());
                }
                Cmd::Shutdown => return false,
            }
        }
        true
    }

    fn listen(&mut self, socket: u64, listener: std::net::TcpListener, endpoint: Endpoint) {
        let mut listener = TcpListener::from_std(listener);
        let entry = self.listeners.vacant_entry();
        let key = entry.key();
        if self
            .poll
            .registry()
            .register(&mut listener, token(KIND_LISTENER, key), Interest::READABLE)
            .is_ok()
        {
            entry.insert(Listener {
                socket,
                listener,
                endpoint,
                paused: false,
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
            let mut l = self.listeners.remove(*k);
            let _ = self.poll.registry().deregister(&mut l.listener);
        }
        !found.is_empty()
    }

    fn disconnect(&mut self, socket: u64, endpoint: &Endpoint) -> bool {
        let found: Vec<usize> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.socket == socket && &c.endpoint == endpoint)
            .map(|(k, _)| k)
            .collect();
        for k in &found {
            self.remove_connecter(*k);
        }
        !found.is_empty()
    }

    fn remove_connecter(&mut self, key: usize) {
        let c = self.connecters.remove(key);
        if let Some(conn) = c.conn {
            if let Some(cn) = self.conns.get_mut(conn) {
                // The connection no longer belongs to a connecter: it must
                // not reconnect, and its peer goes for good.
                cn.origin = Origin::Orphan;
            }
            self.close_conn(conn, None);
        }
        if let Some(entry) = self.sockets.get(&c.socket) {
            let shared = entry.shared.clone();
            let mut st = shared.lock();
            crate::engine::conn::retire_peer(&shared, &mut st, c.peer);
        }
    }

    fn close_socket(&mut self, socket: u64) {
        let ls: Vec<usize> = self
            .listeners
            .iter()
            .filter(|(_, l)| l.socket == socket)
            .map(|(k, _)| k)
            .collect();
        for k in ls {
            let mut l = self.listeners.remove(k);
            let _ = self.poll.registry().deregister(&mut l.listener);
        }
        let cs: Vec<usize> = self
            .connecters
            .iter()
            .filter(|(_, c)| c.socket == socket)
            .map(|(k, _)| k)
            .collect();
        for k in cs {
            self.remove_connecter(k);
        }
        let conns: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.socket == socket)
            .map(|(k, _)| k)
            .collect();
        for k in conns {
            self.close_conn(k, None);
        }
        self.sockets.remove(&socket);
    }

    fn accept(&mut self, key: usize) {
        loop {
            let Some(l) = self.listeners.get_mut(key) else {
                return;
            };
            if l.paused {
                return;
            }
            match l.listener.accept() {
                Ok((stream, _addr)) => {
                    let socket = l.socket;
                    self.add_conn(socket, stream, Origin::Accepted, false);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // Typically EMFILE/ENFILE: stop accepting for a moment;
                    // the connections we have keep working.
                    l.paused = true;
                    let at = Instant::now() + ACCEPT_BACKOFF;
                    self.timers.push(Reverse((at, Timer::Accept { listener: key })));
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
        entry.insert(Conn::new(stream, session, socket, origin, gen, connecting));
        if let Some(deadline) = self.conns.get(key).and_then(|c| c.session_deadline()) {
            self.timers
                .push(Reverse((deadline, Timer::Handshake { conn: key, gen })));
        }
        Some(key)
    }

    pub(super) fn start_connect(&mut self, key: usize) {
        let Some(c) = self.connecters.get(key) else {
            return;
        };
        let (socket, addr) = (c.socket, c.addr);
        match TcpStream::connect(addr) {
            Ok(stream) => {
                match self.add_conn(socket, stream, Origin::Connected { connecter: key }, true) {
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
        self.timers.push(Reverse((
            Instant::now() + delay,
            Timer::Reconnect { connecter: key, gen },
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
                Timer::Handshake { conn, gen } => {
                    let expired = self
                        .conns
                        .get_mut(conn)
                        .filter(|c| c.gen == gen)
                        .map(|c| c.check_timeout(now));
                    if let Some(Err(reason)) = expired {
                        self.close_conn(conn, Some(reason));
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

    pub(super) fn deregister(&mut self, stream: &mut TcpStream) {
        let _ = self.poll.registry().deregister(stream);
    }
}
