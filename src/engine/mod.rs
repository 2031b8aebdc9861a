//! The engine: the one place that touches mio, sockets, threads and the clock.
//!
//! A [`Handle`] (held by the `Context` and by every `Socket`) owns one
//! engine thread running a mio loop. Sockets talk to it through the
//! [`Mailbox`]: a queue of [`Cmd`]s plus a `mio::Waker`, rung only when the
//! queue goes from empty to non-empty. Everything about a connection's bytes
//! is delegated to the sans-IO [`Session`](crate::proto::session::Session).

pub(crate) mod backoff;
mod conn;
mod reactor;
mod resolver;

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::pipe::PipeKey;
use crate::state::shared::Shared;
use bytes::Bytes;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;

/// A request from a socket (or the context) to the engine.
#[derive(Debug)]
pub(crate) enum Cmd {
    /// A new socket.
    AddSocket(Arc<Shared>),
    /// Start accepting on a listener the socket has already bound.
    Listen {
        socket: u64,
        listener: crate::transport::Listener,
        endpoint: Endpoint,
    },
    /// Start connecting (and keep reconnecting) to `endpoint`. `pipe` is the
    /// pipe `connect` made (none with `immediate`), `preset` the routing id
    /// chosen for the peer.
    Connect {
        socket: u64,
        endpoint: Endpoint,
        pipe: Option<PipeKey>,
        preset: Option<Bytes>,
    },
    /// Stop listening on `endpoint`; replies whether it was found.
    Unbind {
        socket: u64,
        endpoint: Endpoint,
        reply: SyncSender<bool>,
    },
    /// Stop connecting to `endpoint` and drop its pipe; replies whether found.
    Disconnect {
        socket: u64,
        endpoint: Endpoint,
        reply: SyncSender<bool>,
    },
    /// Look at the pipes listed in the socket's service list.
    Service(u64),
    /// Close everything the socket has; replies with the number of messages
    /// its connections still held (discarded).
    Close {
        socket: u64,
        reply: SyncSender<usize>,
    },
    /// A host name was resolved (or not) for connecter `connecter`.
    Resolved {
        connecter: usize,
        gen: u64,
        result: std::result::Result<SocketAddr, String>,
    },
    /// Stop the engine thread.
    Shutdown,
}

/// The engine's inbox.
#[derive(Debug)]
pub(crate) struct Mailbox {
    queue: Mutex<VecDeque<Cmd>>,
    waker: mio::Waker,
}

impl Mailbox {
    /// Post a command; wakes the engine only if the queue was empty.
    pub(crate) fn send(&self, cmd: Cmd) {
        let was_empty = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            let was_empty = q.is_empty();
            q.push_back(cmd);
            was_empty
        };
        if was_empty {
            // A failed wake means the poll instance is gone, i.e. the engine
            // has stopped; the command can no longer matter.
            let _ = self.waker.wake();
        }
    }

    fn take_all(&self) -> VecDeque<Cmd> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A shared handle on one engine thread. The thread stops when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Handle {
    inner: Arc<HandleInner>,
}

#[derive(Debug)]
struct HandleInner {
    mailbox: Arc<Mailbox>,
    thread: Mutex<Option<JoinHandle<()>>>,
    terminated: AtomicBool,
    /// Every socket made on this engine (to wake them on shutdown).
    sockets: Mutex<Vec<Weak<Shared>>>,
    next_id: AtomicU64,
    unsent_on_close: AtomicU64,
    /// The context's inproc names.
    inproc: crate::transport::inproc::Registry,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.mailbox.send(Cmd::Shutdown);
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            // Never join from the engine thread itself.
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Handle {
    /// Start an engine thread.
    pub(crate) fn spawn() -> Result<Handle> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), reactor::WAKER)?;
        let mailbox = Arc::new(Mailbox {
            queue: Mutex::new(VecDeque::new()),
            waker,
        });
        let mb = mailbox.clone();
        let thread = std::thread::Builder::new()
            .name("ferromq-io".into())
            .spawn(move || reactor::Engine::new(poll, mb).run())?;
        Ok(Handle {
            inner: Arc::new(HandleInner {
                mailbox,
                thread: Mutex::new(Some(thread)),
                terminated: AtomicBool::new(false),
                sockets: Mutex::new(Vec::new()),
                next_id: AtomicU64::new(1),
                unsent_on_close: AtomicU64::new(0),
                inproc: crate::transport::inproc::Registry::default(),
            }),
        })
    }

    /// Post a command to the engine.
    pub(crate) fn send(&self, cmd: Cmd) {
        self.inner.mailbox.send(cmd);
    }

    /// A fresh socket id.
    pub(crate) fn next_socket_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Hand a new socket to the engine; fails once the engine was shut down.
    pub(crate) fn register(&self, shared: &Arc<Shared>) -> Result<()> {
        let mut sockets = self
            .inner
            .sockets
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Checked under the registry lock, so `terminate` sees every socket
        // registered before it.
        if self.is_terminated() {
            return Err(Error::Terminated);
        }
        sockets.retain(|w| w.strong_count() > 0);
        sockets.push(Arc::downgrade(shared));
        drop(sockets);
        self.send(Cmd::AddSocket(shared.clone()));
        Ok(())
    }

    /// Shut down: every socket's blocked and future calls fail with
    /// `Terminated`. Sockets still close (with linger) when dropped.
    pub(crate) fn terminate(&self) {
        let sockets = {
            let s = self
                .inner
                .sockets
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.inner.terminated.store(true, Ordering::SeqCst);
            s.clone()
        };
        for shared in sockets.iter().filter_map(Weak::upgrade) {
            let mut st = shared.lock();
            st.terminate();
            let wake = shared.all_wake(&st);
            drop(st);
            // Waiters re-check under the lock; wake them all regardless of
            // the waiter counts, which may be racing.
            shared.recv_cv.notify_all();
            shared.send_cv.notify_all();
            shared.fire(wake);
        }
    }

    /// The context's inproc names.
    pub(crate) fn inproc(&self) -> &crate::transport::inproc::Registry {
        &self.inner.inproc
    }

    /// Is the caller the engine thread itself (a readiness callback)?
    pub(crate) fn on_engine_thread(&self) -> bool {
        self.inner
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|h| h.thread().id() == std::thread::current().id())
    }

    /// Has [`terminate`](Self::terminate) been called?
    pub(crate) fn is_terminated(&self) -> bool {
        self.inner.terminated.load(Ordering::SeqCst)
    }

    /// Count messages a closing socket had to discard.
    pub(crate) fn note_unsent(&self, n: usize) {
        self.inner
            .unsent_on_close
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Messages discarded by closing sockets.
    pub(crate) fn unsent_on_close(&self) -> u64 {
        self.inner.unsent_on_close.load(Ordering::Relaxed)
    }
}
