//! Waiting on many sockets at once (ZeroMQ's `zmq_poll` / `zmq_poller`).

use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::state::shared::Shared;
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

/// What a [`Poller`] waits for on a socket.
///
/// ```
/// use ferromq::Interest;
/// assert!(Interest::BOTH.readable && Interest::BOTH.writable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    /// Wake when a `recv` would not block.
    pub readable: bool,
    /// Wake when a `send` would not block.
    pub writable: bool,
}

impl Interest {
    /// Readable only.
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Writable only.
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };
    /// Either.
    pub const BOTH: Interest = Interest {
        readable: true,
        writable: true,
    };
}

/// A socket that is ready, from [`Poller::wait`].
///
/// ```
/// use ferromq::{Context, Interest, Poller, SocketType};
/// let ctx = Context::new()?;
/// let router = ctx.socket(SocketType::Router)?; // a ROUTER is always writable
/// let mut poller = Poller::new();
/// poller.add(&router, 42, Interest::BOTH)?;
/// let ev = poller.poll_now()[0];
/// assert_eq!((ev.token, ev.readable, ev.writable), (42, false, true));
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollEvent {
    /// The token the socket was added with.
    pub token: usize,
    /// A `recv` would not block (a message is waiting, the stream ended,
    /// or the socket is closed or terminated).
    pub readable: bool,
    /// A `send` would not block.
    pub writable: bool,
}

/// The poller's wake-up: a counter bumped by every socket event.
#[derive(Debug, Default)]
struct Signal {
    epoch: Mutex<u64>,
    cv: Condvar,
}

/// Waits until one of several sockets is readable or writable, with a
/// timeout and without busy-waiting: sockets wake it on the same edges that
/// wake their own blocked callers. Readiness is level-triggered: a socket
/// stays reported until a `recv` (or `send`) makes it not ready.
///
/// ```
/// use ferromq::{Context, Interest, Poller, SocketType};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let a = ctx.socket(SocketType::Pull)?;
/// let b = ctx.socket(SocketType::Pull)?;
/// let ep = b.bind("tcp://127.0.0.1:0")?;
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect(&ep.to_string())?;
/// push.send("to b")?;
///
/// let mut poller = Poller::new();
/// poller.add(&a, 1, Interest::READABLE)?;
/// poller.add(&b, 2, Interest::READABLE)?;
/// let ready = poller.wait(Some(Duration::from_secs(10)))?;
/// assert_eq!(ready.len(), 1);
/// assert_eq!(ready[0].token, 2);
/// assert_eq!(b.try_recv()?.frames()[0], "to b");
/// # Ok::<(), ferromq::Error>(())
/// ```
pub struct Poller {
    signal: Arc<Signal>,
    wake: Arc<dyn Fn() + Send + Sync>,
    items: Vec<(Arc<Shared>, usize, Interest)>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("sockets", &self.items.len())
            .finish()
    }
}

impl Default for Poller {
    fn default() -> Self {
        Poller::new()
    }
}

impl Poller {
    /// A poller watching nothing yet.
    pub fn new() -> Poller {
        let signal = Arc::new(Signal::default());
        let weak = Arc::downgrade(&signal);
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(s) = weak.upgrade() {
                *s.epoch.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                s.cv.notify_all();
            }
        });
        Poller {
            signal,
            wake,
            items: Vec::new(),
        }
    }

    fn weak_wake(&self) -> Weak<dyn Fn() + Send + Sync> {
        Arc::downgrade(&self.wake)
    }

    /// Watch `socket` for `interest`, reporting it as `token`. A socket may
    /// be added once per poller ([`Error::InvalidOption`] otherwise; use
    /// [`modify`](Self::modify)).
    pub fn add(&mut self, socket: &Socket, token: usize, interest: Interest) -> Result<()> {
        let shared = socket.shared();
        if self.items.iter().any(|(s, _, _)| Arc::ptr_eq(s, shared)) {
            return Err(Error::InvalidOption {
                option: "poller",
                reason: "socket already added (use modify)",
            });
        }
        shared.add_poller(self.weak_wake());
        self.items.push((shared.clone(), token, interest));
        Ok(())
    }

    /// Change what `socket` is watched for; returns false if the socket was
    /// not added.
    pub fn modify(&mut self, socket: &Socket, interest: Interest) -> bool {
        match self
            .items
            .iter_mut()
            .find(|(s, _, _)| Arc::ptr_eq(s, socket.shared()))
        {
            Some(item) => {
                item.2 = interest;
                true
            }
            None => false,
        }
    }

    /// Stop watching `socket`; returns false if it was not added.
    pub fn remove(&mut self, socket: &Socket) -> bool {
        let before = self.items.len();
        self.items
            .retain(|(s, _, _)| !Arc::ptr_eq(s, socket.shared()));
        socket.shared().remove_poller(&self.weak_wake());
        self.items.len() != before
    }

    /// The sockets ready now, without waiting.
    pub fn poll_now(&self) -> Vec<PollEvent> {
        self.items
            .iter()
            .filter_map(|(shared, token, interest)| {
                let r = shared.readiness();
                let readable = interest.readable && r.readable;
                let writable = interest.writable && r.writable;
                (readable || writable).then_some(PollEvent {
                    token: *token,
                    readable,
                    writable,
                })
            })
            .collect()
    }

    /// Wait until at least one socket is ready, or `timeout` passes
    /// (`None`: no limit; any duration is fine). Returns the ready sockets,
    /// or [`Error::TimedOut`].
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Vec<PollEvent>> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            let epoch = *self
                .signal
                .epoch
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let ready = self.poll_now();
            if !ready.is_empty() {
                return Ok(ready);
            }
            let mut e = self
                .signal
                .epoch
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while *e == epoch {
                e = match deadline {
                    // No limit (or one too large to add to now).
                    None => self
                        .signal
                        .cv
                        .wait(e)
                        .unwrap_or_else(PoisonError::into_inner),
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            return Err(Error::TimedOut);
                        }
                        self.signal
                            .cv
                            .wait_timeout(e, d - now)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    }
                };
            }
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let wake = self.weak_wake();
        for (shared, _, _) in &self.items {
            shared.remove_poller(&wake);
        }
    }
}
