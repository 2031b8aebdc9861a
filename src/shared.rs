//! The state one socket shares between the application's thread and the
//! engine thread: its options, its [`State`] under one mutex, and two condition
//! variables for blocked senders and receivers.

use crate::monitor::{MonitorEvent, MonitorQueue};
use crate::options::Options;
use crate::proto::socket_type::SocketType;
use crate::routing::State;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A socket's shared half.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Unique within the process; the engine's key for this socket.
    pub(crate) id: u64,
    /// The socket type.
    pub(crate) ty: SocketType,
    /// Options, fixed at creation.
    pub(crate) opts: Options,
    state: Mutex<State>,
    /// Signalled when input arrives or the stream ends.
    pub(crate) recv_cv: Condvar,
    /// Signalled when a pipe gets room, a peer attaches or output drains.
    pub(crate) send_cv: Condvar,
    /// Where monitor events go, once the application asked for them.
    monitor: Mutex<Option<Arc<MonitorQueue>>>,
    /// Called (on the engine thread) when the socket may have become
    /// readable or writable.
    notify: NotifySlot,
}

/// Holder of the readiness callback (a closure has no `Debug`).
#[derive(Default)]
struct NotifySlot(Mutex<Option<Notify>>);

impl std::fmt::Debug for NotifySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NotifySlot")
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

/// A readiness callback.
pub(crate) type Notify = Arc<dyn Fn() + Send + Sync>;

impl Shared {
    /// A socket's shared state with no peers.
    pub(crate) fn new(id: u64, ty: SocketType, opts: Options) -> Shared {
        let state = State {
            next_generated_id: crate::engine::backoff::random_u32(),
            ..State::default()
        };
        Shared {
            id,
            ty,
            opts,
            state: Mutex::new(state),
            recv_cv: Condvar::new(),
            send_cv: Condvar::new(),
            monitor: Mutex::new(None),
            notify: NotifySlot::default(),
        }
    }

    /// Lock the state. A panic while holding the lock cannot leave the state
    /// half-updated in a way that matters more than stopping would, so a
    /// poisoned lock is taken over rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Install (or replace) the monitor queue.
    pub(crate) fn set_monitor(&self, q: Arc<MonitorQueue>) {
        *self.monitor.lock().unwrap_or_else(PoisonError::into_inner) = Some(q);
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

    /// Install (or remove) the readiness callback.
    pub(crate) fn set_notify(&self, f: Option<Notify>) {
        *self.notify.0.lock().unwrap_or_else(PoisonError::into_inner) = f;
    }

    fn call_notify(&self) {
        let f = self
            .notify
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(f) = f {
            f();
        }
    }

    /// Who must be woken on the receive side, read under the lock; fire it
    /// with [`fire`](Self::fire) after dropping the lock, so the woken thread
    /// does not immediately block on a lock we still hold.
    pub(crate) fn receivers_wake(&self, st: &State) -> Wake {
        Wake {
            receivers: st.recv_waiters > 0,
            senders: false,
            notify: st.has_notify,
        }
    }

    /// Like [`receivers_wake`](Self::receivers_wake), for the send side.
    pub(crate) fn senders_wake(&self, st: &State) -> Wake {
        Wake {
            receivers: false,
            senders: st.send_waiters > 0,
            notify: st.has_notify,
        }
    }

    /// Both sides: for changes that may unblock senders and receivers alike
    /// (a peer came or went).
    pub(crate) fn all_wake(&self, st: &State) -> Wake {
        Wake {
            receivers: st.recv_waiters > 0,
            senders: st.send_waiters > 0,
            notify: st.has_notify,
        }
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
            self.call_notify();
        }
    }
}
