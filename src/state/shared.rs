//! The half of a socket shared between application threads and the engine
//! thread: its [`State`] under one mutex, two condition variables for
//! blocked senders and receivers, the monitor queue, readiness observers,
//! and the items `recv` already took from the pipes.

use super::State;
use crate::message::Incoming;
use crate::monitor::{MonitorEvent, MonitorQueue};
use crate::options::Options;
use crate::proto::socket_type::SocketType;
use std::collections::VecDeque;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

/// A socket's shared half.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Unique within the process; the engine's key for this socket.
    pub(crate) id: u64,
    state: Mutex<State>,
    /// Signalled when input arrives, the stream ends or the socket closes.
    pub(crate) recv_cv: Condvar,
    /// Signalled when a pipe gets room, a peer attaches or output drains.
    pub(crate) send_cv: Condvar,
    /// Where monitor events go, once the application asked for them.
    monitor: Mutex<Option<Arc<MonitorQueue>>>,
    /// Who to tell when the socket may have become readable or writable.
    observers: Mutex<Observers>,
    /// What an inproc peer (or a spinning receiver) reads without a lock.
    pub(crate) attention: Arc<Attention>,
    /// Messages handed to the application by `recv`.
    received: AtomicU64,
    /// Items already taken from the pipes (in fair order) by an earlier
    /// `recv`, handed out before the pipes are looked at again.
    local: Mutex<VecDeque<Incoming>>,
}

/// The part of a socket's state read and written without its lock: by a
/// receiver about to sleep (or spinning), and by inproc peers deciding
/// whether it needs a wake-up. Shared with those peers' wires (an `Arc` of
/// its own, so a wire never keeps the socket alive).
#[derive(Debug, Default)]
pub(crate) struct Attention {
    /// Receivers blocked (or about to block) on the receive condition.
    sleepers: AtomicUsize,
    /// Someone observes readiness (set under the observers lock, so it is
    /// never stale for long).
    observed: AtomicBool,
    /// Bumped when input arrives or an inproc peer offers some: a
    /// spinning receiver watches it.
    events: AtomicU64,
}

impl Attention {
    /// Input arrived, or an inproc peer queued some for us to pull.
    pub(crate) fn poke(&self) {
        self.events.fetch_add(1, Ordering::SeqCst);
    }

    /// The event count (see [`poke`](Self::poke)).
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::SeqCst)
    }

    /// An inproc peer queued the first message since we last pulled:
    /// true when it must deliver it itself, because a receiver sleeps (or
    /// someone observes readiness). A receiver that is awake pulls it.
    ///
    /// With [`sleep`](Self::sleep) this is Dekker's handshake: the peer
    /// publishes its lane's count, fences, then reads `sleepers`; a
    /// receiver raises `sleepers`, fences, then reads the lanes' counts; so
    /// at least one of them sees the other.
    pub(crate) fn offer(&self) -> bool {
        self.poke();
        fence(Ordering::SeqCst);
        self.sleepers.load(Ordering::SeqCst) > 0 || self.observed.load(Ordering::SeqCst)
    }

    /// A receiver is about to sleep; it must look at its inproc peers'
    /// lanes after this and before sleeping.
    pub(crate) fn sleep(&self) {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The receiver is awake again.
    pub(crate) fn wake(&self) {
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A readiness callback.
pub(crate) type Notify = Arc<dyn Fn() + Send + Sync>;

/// The readiness observers: the application's callback and pollers.
#[derive(Default)]
struct Observers {
    callback: Option<Notify>,
    pollers: Vec<Weak<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observers")
            .field("callback", &self.callback.is_some())
            .field("pollers", &self.pollers.len())
            .finish()
    }
}

impl Observers {
    fn any(&self) -> bool {
        self.callback.is_some() || !self.pollers.is_empty()
    }
}

/// Who to wake, decided under the socket lock and done after releasing it.
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub(crate) struct Wake {
    receivers: bool,
    senders: bool,
    notify: bool,
}

impl Wake {
    /// Both wakes.
    pub(crate) fn and(self, other: Wake) -> Wake {
        Wake {
            receivers: self.receivers || other.receivers,
            senders: self.senders || other.senders,
            notify: self.notify || other.notify,
        }
    }
}

impl Shared {
    /// A socket's shared state with no peers.
    pub(crate) fn new(id: u64, ty: SocketType, opts: Options, seed: u32) -> Shared {
        Shared {
            id,
            state: Mutex::new(State::new(ty, opts, seed)),
            recv_cv: Condvar::new(),
            send_cv: Condvar::new(),
            monitor: Mutex::new(None),
            observers: Mutex::new(Observers::default()),
            attention: Arc::default(),
            received: AtomicU64::new(0),
            local: Mutex::new(VecDeque::new()),
        }
    }

    /// Lock the state. A panic while holding the lock cannot leave the state
    /// half-updated in a way that matters more than stopping would, so a
    /// poisoned lock is taken over rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The items `recv` took from the pipes and has not handed out yet.
    pub(crate) fn local(&self) -> MutexGuard<'_, VecDeque<Incoming>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `recv` / `send` would not block now.
    pub(crate) fn readiness(&self) -> super::Readiness {
        let st = self.lock();
        let local = !self.local().is_empty();
        st.readiness(local)
    }

    /// Install (or replace) the monitor queue.
    pub(crate) fn set_monitor(&self, q: Arc<MonitorQueue>) {
        *self.monitor.lock().unwrap_or_else(PoisonError::into_inner) = Some(q);
    }

    /// No more events: the socket has closed.
    pub(crate) fn close_monitor(&self) {
        let q = self
            .monitor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(q) = q {
            q.close();
        }
    }

    /// Report an event to the monitor, if there is one.
    pub(crate) fn emit(&self, ev: MonitorEvent) {
        let q = self
            .monitor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(q) = q {
            q.push(ev);
        }
    }

    fn observers(&self) -> MutexGuard<'_, Observers> {
        self.observers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Install (or remove) the readiness callback.
    pub(crate) fn set_notify(&self, f: Option<Notify>) {
        let mut o = self.observers();
        o.callback = f;
        self.attention.observed.store(o.any(), Ordering::SeqCst);
    }

    /// Add a poller's wake-up; it is dropped once the poller is gone.
    pub(crate) fn add_poller(&self, wake: Weak<dyn Fn() + Send + Sync>) {
        let mut o = self.observers();
        o.pollers.retain(|w| w.strong_count() > 0);
        o.pollers.push(wake);
        self.attention.observed.store(true, Ordering::SeqCst);
    }

    /// Remove a poller's wake-up (and any of a dropped poller).
    pub(crate) fn remove_poller(&self, wake: &Weak<dyn Fn() + Send + Sync>) {
        let mut o = self.observers();
        o.pollers
            .retain(|w| w.strong_count() > 0 && !Weak::ptr_eq(w, wake));
        self.attention.observed.store(o.any(), Ordering::SeqCst);
    }

    /// Count a message handed to the application.
    pub(crate) fn note_received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages handed to the application so far.
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    fn call_observers(&self) {
        let (callback, pollers) = {
            let o = self.observers();
            (o.callback.clone(), o.pollers.clone())
        };
        if let Some(f) = callback {
            f();
        }
        for p in pollers {
            if let Some(f) = p.upgrade() {
                f();
            }
        }
    }

    /// Who must be woken on the receive side, read under the lock; fire it
    /// with [`fire`](Self::fire) after dropping the lock, so the woken thread
    /// does not immediately block on a lock we still hold.
    pub(crate) fn receivers_wake(&self, st: &State) -> Wake {
        Wake {
            receivers: st.recv_waiters > 0,
            senders: false,
            notify: self.attention.observed.load(Ordering::SeqCst),
        }
    }

    /// Like [`receivers_wake`](Self::receivers_wake), for the send side.
    pub(crate) fn senders_wake(&self, st: &State) -> Wake {
        Wake {
            receivers: false,
            senders: st.send_waiters > 0,
            notify: self.attention.observed.load(Ordering::SeqCst),
        }
    }

    /// Both sides: for changes that may unblock senders and receivers alike
    /// (a peer came or went, the socket closed).
    pub(crate) fn all_wake(&self, st: &State) -> Wake {
        Wake::and(self.receivers_wake(st), self.senders_wake(st))
    }

    /// Wake whoever `w` names (call without holding the lock).
    pub(crate) fn fire(&self, w: Wake) {
        if w.receivers {
            self.recv_cv.notify_all();
        }
        if w.senders {
            self.send_cv.notify_all();
        }
        if w.notify {
            self.call_observers();
        }
    }
}
