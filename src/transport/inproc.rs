//! `inproc://`: sockets of one `Context` joined by in-memory pipes, with no
//! encoding, no handshake, no system call on the data path and no I/O
//! thread in between.
//!
//! A connection is a [`Wire`] between a pipe of the connecting socket (side
//! 0) and one of the binding socket (side 1), with one [`Lane`] per
//! direction. A sender queues into its lane under its own socket's lock
//! (the lane is bounded by the sender's send HWM); the receiver, when it
//! runs dry, moves what waits into its pipe under *its* own lock (bounded
//! by its receive HWM), so the limit is the sum of the two HWMs, as in
//! libzmq, and no lock is shared by the two sockets on the data path. The
//! first item into an empty lane is delivered by the sender itself only
//! when a receiver sleeps (or someone observes the socket): the wake-up
//! happens on the empty→non-empty edge, and only then.
//!
//! Names live in the context's [`Registry`]: binding a name twice is
//! `AddressInUse`; a `connect` before the `bind` keeps its pipe (messages
//! wait in it) and is joined when the bind comes. An inproc connection is
//! never re-made: when either side closes, the other side's pipe goes.

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::monitor::{MonitorEvent, Reason};
use crate::pipe::{InprocTasks, InprocWire, Lane, Link, PipeKey, Refusal};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::proto::wire::Metadata;
use crate::state::shared::{Attention, Shared};
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One end of a wire: a socket and its pipe.
#[derive(Debug)]
struct End {
    shared: Weak<Shared>,
    pipe: PipeKey,
    /// The socket's lock-free flags: is a receiver asleep?
    attention: Arc<Attention>,
}

/// An inproc connection between two sockets' pipes.
#[derive(Debug)]
pub(crate) struct Wire {
    /// Side 0: the connecting socket; side 1: the binding one. Set once
    /// each side has attached its pipe.
    ends: [OnceLock<End>; 2],
    /// By sending side: what it queued for the other.
    lanes: [Lane; 2],
    /// The endpoint, for monitor events.
    endpoint: Endpoint,
}

impl Wire {
    fn end(&self, side: usize) -> Option<(&End, Arc<Shared>)> {
        let end = self.ends.get(side)?.get()?;
        Some((end, end.shared.upgrade()?))
    }
}

impl InprocWire for Wire {
    fn lane(&self, from: usize) -> &Lane {
        &self.lanes[from & 1]
    }

    fn offer(&self, from: usize) -> bool {
        self.ends
            .get(1 - (from & 1))
            .and_then(OnceLock::get)
            .is_some_and(|e| e.attention.offer())
    }

    fn deliver(&self, from: usize) {
        let Some((dst, b)) = self.end(1 - (from & 1)) else {
            return;
        };
        let mut st = b.lock();
        st.take_from_lane(dst.pipe, false);
        let wake = b.receivers_wake(&st);
        let tasks = st.take_inproc();
        drop(st);
        b.attention.poke();
        b.fire(wake);
        tasks.run();
    }

    fn wake_sender(&self, side: usize) {
        let Some((_, a)) = self.end(side & 1) else {
            return;
        };
        // Under the lock: a sender between its last look at the lane and
        // its wait is not missed.
        let st = a.lock();
        let wake = a.senders_wake(&st);
        drop(st);
        a.fire(wake);
    }

    fn cut(&self, side: usize, why: Refusal) {
        let side = side & 1;
        for s in [side, 1 - side] {
            let Some((end, shared)) = self.end(s) else {
                continue;
            };
            let mut st = shared.lock();
            // What the peer queued before the cut is ours to read (as a
            // TCP peer's last messages are); a closed socket counted it.
            st.take_from_lane(end.pipe, true);
            st.detach_conn(end.pipe, VecDeque::new(), 0, false, true);
            let wake = shared.all_wake(&st);
            let tasks = st.take_inproc();
            drop(st);
            shared.attention.poke();
            shared.fire(wake);
            tasks.run();
            let reason = match (s == side, why) {
                (true, Refusal::Closing) => continue,
                (true, why) => refused(why),
                (false, _) => Reason::PeerClosed,
            };
            shared.emit(MonitorEvent::Disconnected {
                endpoint: self.endpoint.clone(),
                reason,
            });
        }
    }
}

/// The monitor reason for a refusal.
fn refused(why: Refusal) -> Reason {
    match why {
        Refusal::IdLeadingZero | Refusal::IdTooLong | Refusal::IdDuplicate => {
            Reason::RoutingId(why.reason())
        }
        other => Reason::Refused(other.reason()),
    }
}

/// A socket that bound a name.
#[derive(Debug)]
struct Binder {
    shared: Weak<Shared>,
    socket: u64,
}

/// A socket that connected to a name: waiting for its bind, or joined.
#[derive(Debug)]
struct Connector {
    shared: Weak<Shared>,
    socket: u64,
    /// The pipe its `connect` made (none with `immediate`).
    pipe: Option<PipeKey>,
    /// The routing id its `connect` chose for the peer.
    preset: Option<Bytes>,
    /// Its wire once joined.
    wire: Option<Weak<Wire>>,
}

#[derive(Debug, Default)]
struct Name {
    bound: Option<Binder>,
    connectors: Vec<Connector>,
}

/// The inproc names of one context.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<String, Name>>,
}

/// What a socket tells its inproc peer about itself (there is no READY).
fn peer_info(shared: &Shared) -> (SocketType, PeerInfo) {
    let st = shared.lock();
    let ty = st.socket_type();
    let info = PeerInfo {
        socket_type: Some(Bytes::from_static(ty.name().as_bytes())),
        identity: st.opts.routing_id.clone(),
        minor: 1,
        metadata: Metadata::new(),
        user_id: None,
    };
    (ty, info)
}

impl Registry {
    /// `bind("inproc://name")`: claim the name and join every socket
    /// already waiting on it.
    pub(crate) fn bind(&self, shared: &Arc<Shared>, name: &str) -> Result<()> {
        let waiting = {
            let mut names = lock(&self.names);
            let entry = names.entry(name.to_owned()).or_default();
            if entry
                .bound
                .as_ref()
                .is_some_and(|b| b.shared.strong_count() > 0)
            {
                return Err(Error::AddressInUse(format!("inproc://{name}")));
            }
            entry.bound = Some(Binder {
                shared: Arc::downgrade(shared),
                socket: shared.id,
            });
            entry.connectors.retain(|c| c.shared.strong_count() > 0);
            entry
                .connectors
                .iter()
                .filter(|c| c.wire.is_none())
                .map(|c| (c.shared.clone(), c.socket, c.pipe, c.preset.clone()))
                .collect::<Vec<_>>()
        };
        shared.emit(MonitorEvent::Listening {
            endpoint: endpoint(name),
        });
        for (conn, socket, pipe, preset) in waiting {
            if let Some(conn) = conn.upgrade() {
                let wire = join(shared, &conn, pipe, preset, name);
                self.note_wire(name, socket, wire);
            }
        }
        Ok(())
    }

    /// `connect("inproc://name")`: join at once if the name is bound,
    /// else wait for the bind (messages wait in `pipe`).
    pub(crate) fn connect(
        &self,
        shared: &Arc<Shared>,
        name: &str,
        pipe: Option<PipeKey>,
        preset: Option<Bytes>,
    ) {
        let binder = {
            let mut names = lock(&self.names);
            let entry = names.entry(name.to_owned()).or_default();
            entry.connectors.retain(|c| c.shared.strong_count() > 0);
            entry.connectors.push(Connector {
                shared: Arc::downgrade(shared),
                socket: shared.id,
                pipe,
                preset: preset.clone(),
                wire: None,
            });
            entry.bound.as_ref().and_then(|b| b.shared.upgrade())
        };
        if let Some(binder) = binder {
            let wire = join(&binder, shared, pipe, preset, name);
            self.note_wire(name, shared.id, wire);
        }
    }

    fn note_wire(&self, name: &str, socket: u64, wire: Option<Arc<Wire>>) {
        let mut names = lock(&self.names);
        let Some(entry) = names.get_mut(name) else {
            return;
        };
        match wire {
            Some(w) => {
                if let Some(c) = entry
                    .connectors
                    .iter_mut()
                    .find(|c| c.socket == socket && c.wire.is_none())
                {
                    c.wire = Some(Arc::downgrade(&w));
                }
            }
            // Refused (incompatible types, a PAIR that has its peer): not
            // retried, as a refused TCP peer would be.
            None => {
                if let Some(pos) = entry
                    .connectors
                    .iter()
                    .position(|c| c.socket == socket && c.wire.is_none())
                {
                    entry.connectors.remove(pos);
                }
            }
        }
    }

    /// `unbind("inproc://name")`: free the name (joined sockets stay
    /// joined). False if this socket had not bound it.
    pub(crate) fn unbind(&self, socket: u64, name: &str) -> bool {
        let mut names = lock(&self.names);
        match names.get_mut(name) {
            Some(e) if e.bound.as_ref().is_some_and(|b| b.socket == socket) => {
                e.bound = None;
                true
            }
            _ => false,
        }
    }

    /// `disconnect("inproc://name")`: undo one `connect` of this socket to
    /// the name (its wire, if joined, is cut).
    pub(crate) fn disconnect(&self, socket: u64, name: &str) -> bool {
        let gone = {
            let mut names = lock(&self.names);
            let Some(e) = names.get_mut(name) else {
                return false;
            };
            let Some(pos) = e.connectors.iter().position(|c| c.socket == socket) else {
                return false;
            };
            e.connectors.remove(pos)
        };
        if let Some(w) = gone.wire.and_then(|w| w.upgrade()) {
            w.cut(0, Refusal::Closing);
        } else if let (Some(shared), Some(pipe)) = (gone.shared.upgrade(), gone.pipe) {
            let mut st = shared.lock();
            st.retire_pipe(pipe);
        }
        true
    }

    /// A socket is closing: forget its names and its connects.
    pub(crate) fn forget(&self, socket: u64) {
        let mut names = lock(&self.names);
        for e in names.values_mut() {
            if e.bound.as_ref().is_some_and(|b| b.socket == socket) {
                e.bound = None;
            }
            e.connectors.retain(|c| c.socket != socket);
        }
        names.retain(|_, e| e.bound.is_some() || !e.connectors.is_empty());
    }
}

fn endpoint(name: &str) -> Endpoint {
    Endpoint::Inproc {
        name: name.to_owned(),
    }
}

/// Join `binder` and `conn` with a new wire; `None` if either refuses.
fn join(
    binder: &Arc<Shared>,
    conn: &Arc<Shared>,
    pipe: Option<PipeKey>,
    preset: Option<Bytes>,
    name: &str,
) -> Option<Arc<Wire>> {
    let ep = endpoint(name);
    let (b_ty, b_info) = peer_info(binder);
    let (c_ty, c_info) = peer_info(conn);
    if !b_ty.is_compatible(c_ty) {
        for (s, other) in [(binder, c_ty), (conn, b_ty)] {
            s.emit(MonitorEvent::HandshakeFailed {
                endpoint: ep.clone(),
                reason: Reason::SocketType(other.name().to_owned()),
            });
        }
        return None;
    }
    let wire = Arc::new(Wire {
        ends: [OnceLock::new(), OnceLock::new()],
        lanes: [Lane::default(), Lane::default()],
        endpoint: ep.clone(),
    });
    // The binder's side first: a refusal there (a PAIR that has its peer)
    // leaves nothing to undo on the connecting side.
    let sides = [
        (binder, None, None, 1, &c_info),
        (conn, pipe, preset, 0, &b_info),
    ];
    let mut tasks = InprocTasks::default();
    for (shared, persistent, preset, side, info) in sides {
        let link = Link::Inproc {
            wire: wire.clone(),
            side,
        };
        let mut st = shared.lock();
        let attached = st.attach_link(persistent, preset, link, info);
        tasks.append(st.take_inproc());
        let wake = shared.all_wake(&st);
        drop(st);
        shared.fire(wake);
        match attached {
            Ok(key) => {
                let _ = wire.ends.get(side).map(|e| {
                    e.set(End {
                        shared: Arc::downgrade(shared),
                        pipe: key,
                        attention: shared.attention.clone(),
                    })
                });
            }
            Err(why) => {
                // Both sides see the handshake fail, as over TCP.
                for s in [binder, conn] {
                    s.emit(MonitorEvent::HandshakeFailed {
                        endpoint: ep.clone(),
                        reason: refused(why),
                    });
                }
                // Undo the binder's side if the connecter refused.
                wire.cut(side, Refusal::Closing);
                return None;
            }
        }
    }
    for s in [binder, conn] {
        s.emit(MonitorEvent::HandshakeSucceeded {
            endpoint: ep.clone(),
        });
    }
    // Whatever waited in either pipe went into the lanes when the pipes
    // were linked; a sleeping receiver is woken by these tasks.
    tasks.run();
    Some(wire)
}
