//! The public socket: blocking, non-blocking and timed send and receive,
//! the end-of-stream pill and close. Endpoints are in `endpoints.rs`,
//! options, subscriptions and observation in `config.rs`.

mod config;
mod endpoints;

use crate::endpoint::Endpoint;
use crate::engine::{self, Cmd};
use crate::error::{Error, Result, SendError};
use crate::message::{Incoming, Message};
use crate::pattern::Sent;
use crate::proto::socket_type::SocketType;
use crate::state::shared::Shared;
use crate::state::State;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most items one `recv` takes from the pipes at once.
const RECV_BATCH: usize = 128;

/// How long a receiver with an inproc peer spins before blocking.
const SPIN: Duration = Duration::from_micros(50);

/// Spin (politely) until `done` or [`SPIN`] has passed. Not at all when
/// this thread may run on one CPU only: the peer could not run meanwhile.
fn spin_until(done: impl Fn() -> bool) {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cpus = *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if cpus < 2 {
        return;
    }
    let start = Instant::now();
    let mut i = 0u32;
    while !done() {
        i = i.wrapping_add(1);
        if i % 64 == 0 {
            if start.elapsed() >= SPIN {
                return;
            }
            if i >= 1024 {
                // Give the CPU to the peer if it shares ours.
                std::thread::yield_now();
            }
        }
        std::hint::spin_loop();
    }
}

/// How long to wait for the engine to acknowledge a command.
const ENGINE_REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`Socket::close`] could not do.
///
/// ```
/// use ferromq::{Context, SocketType};
/// let ctx = Context::new()?;
/// let push = ctx.socket(SocketType::Push)?;
/// // Nothing was queued, so nothing was lost.
/// assert_eq!(push.close().unsent, 0);
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CloseReport {
    /// Messages still queued (or partly written) when linger ran out; they
    /// were discarded. Zero means everything queued was written to the network.
    pub unsent: usize,
    /// Messages received from peers that the application never read; they
    /// were discarded with the socket (also counted in
    /// [`SocketStats::unread_on_close`](crate::SocketStats::unread_on_close)).
    pub unread: usize,
}

#[derive(Clone, Copy)]
enum Wait {
    No,
    Forever,
    Until(Instant),
}

impl Wait {
    /// Wait at most `t`; a `t` too large to add to now waits for ever.
    fn timeout(t: Duration) -> Wait {
        match Instant::now().checked_add(t) {
            Some(at) => Wait::Until(at),
            None => Wait::Forever,
        }
    }
}

/// A ferromq socket, of any [`SocketType`].
///
/// Made by [`Context::socket`](crate::Context::socket). `Send` and `Sync`:
/// it may be moved to, or shared between, threads (every method takes
/// `&self`, so an `Arc<Socket>` can be closed by one thread while another
/// is blocked in it). Every call is blocking (`send`, `recv`), non-blocking
/// (`try_send`, `try_recv`) or bounded (`send_timeout`, `recv_timeout` — the
/// latter is a long-poll).
///
/// ```
/// use ferromq::{Context, Message, Options, SocketType};
/// let ctx = Context::new()?;
/// let router = ctx.socket(SocketType::Router)?;
/// let ep = router.bind("tcp://127.0.0.1:0")?;
/// let dealer = ctx.socket_with(
///     SocketType::Dealer,
///     Options::default().with_routing_id("worker-1"),
/// )?;
/// dealer.connect(&ep.to_string())?;
/// dealer.send(Message::multipart(["ping"]))?;
/// let m = router.recv()?; // [routing id, body]
/// assert_eq!(m.frames()[0], "worker-1");
/// router.send(Message::multipart(["worker-1", "pong"]))?;
/// assert_eq!(dealer.recv()?.frames()[0], "pong");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Socket {
    shared: Arc<Shared>,
    engine: engine::Handle,
    ty: SocketType,
    bound: Mutex<Vec<(String, Endpoint)>>,
    connected: Mutex<Vec<(String, Endpoint)>>,
}

impl Socket {
    pub(crate) fn new(shared: Arc<Shared>, engine: engine::Handle, ty: SocketType) -> Socket {
        Socket {
            shared,
            engine,
            ty,
            bound: Mutex::new(Vec::new()),
            connected: Mutex::new(Vec::new()),
        }
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.ty
    }

    /// Tell the engine about service requests made under the lock `st`,
    /// releasing it first, and do the inproc work they asked for (moving
    /// messages to an inproc peer happens on the caller's thread).
    fn release(&self, mut st: MutexGuard<'_, State>) {
        let ping = st.take_ping();
        let inproc = st.take_inproc();
        drop(st);
        if ping {
            self.engine.send(Cmd::Service(self.shared.id));
        }
        inproc.run();
    }

    /// Send a message, blocking while no peer can take it.
    ///
    /// Where it goes depends on the socket type (see [`SocketType`]): PUSH,
    /// DEALER and REQ pick peers round-robin among those whose pipe is below
    /// the send HWM and wait when there is none; ROUTER and REP route to
    /// one peer; PUB and XPUB copy to every matching subscriber and never
    /// wait (unless `xpub_nodrop`).
    ///
    /// A ROUTER (and a REP) whose peer's pipe is full waits here only while
    /// the I/O thread is behind with a peer that is reading; a peer that is
    /// not keeping up makes the message drop, counted in
    /// [`SocketStats::dropped_full`](crate::SocketStats::dropped_full) (with
    /// `router_mandatory`, it waits for room instead).
    pub fn send(&self, msg: impl Into<Message>) -> Result<(), SendError> {
        self.send_inner(msg.into(), Wait::Forever)
    }

    /// Send without blocking: [`Error::WouldBlock`] (with the message handed
    /// back) when no peer can take it now.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<(), SendError> {
        self.send_inner(msg.into(), Wait::No)
    }

    /// Send, waiting at most `timeout`: [`Error::TimedOut`] (with the message
    /// handed back) when no peer could take it in time.
    pub fn send_timeout(
        &self,
        msg: impl Into<Message>,
        timeout: Duration,
    ) -> Result<(), SendError> {
        self.send_inner(msg.into(), Wait::timeout(timeout))
    }

    fn send_inner(&self, mut msg: Message, wait: Wait) -> Result<(), SendError> {
        if msg.is_empty() {
            return Err(SendError::new(
                Error::InvalidMessage("a message needs at least one frame"),
                msg,
            ));
        }
        let mut st = self.shared.lock();
        loop {
            let can_wait = match wait {
                Wait::No => false,
                Wait::Forever => true,
                Wait::Until(at) => Instant::now() < at,
            };
            let m = match st.send(msg, can_wait) {
                Sent::Done | Sent::Dropped => {
                    self.release(st);
                    return Ok(());
                }
                Sent::Fail(e, m) => return Err(SendError::new(e, m)),
                Sent::Wait(m) | Sent::WaitOrDrop(m) => m,
            };
            msg = m;
            let inproc = st.take_inproc();
            if !inproc.is_empty() {
                // A full inproc lane asked its receiver to take what it has
                // room for: that may make room at once.
                drop(st);
                inproc.run();
                st = self.shared.lock();
                continue;
            }
            st = match self.wait_on(st, wait, true) {
                Ok(st) => st,
                // Out of time: a ROUTER-style send decides now (the
                // pattern drops and counts, and resets its own state).
                Err(_) if can_wait => self.shared.lock(),
                Err(e) => return Err(SendError::new(e, msg)),
            };
        }
    }

    /// Block on one of the condition variables, honouring `wait`.
    fn wait_on<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        wait: Wait,
        sending: bool,
    ) -> Result<MutexGuard<'a, State>> {
        let cv = if sending {
            &self.shared.send_cv
        } else {
            &self.shared.recv_cv
        };
        let bump = |st: &mut State, up: bool| {
            let n = if sending {
                &mut st.send_waiters
            } else {
                &mut st.recv_waiters
            };
            *n = if up { *n + 1 } else { n.saturating_sub(1) };
        };
        match wait {
            Wait::No => Err(Error::WouldBlock),
            Wait::Forever => {
                bump(&mut st, true);
                let mut st = cv.wait(st).unwrap_or_else(PoisonError::into_inner);
                bump(&mut st, false);
                Ok(st)
            }
            Wait::Until(at) => {
                let now = Instant::now();
                if now >= at {
                    return Err(Error::TimedOut);
                }
                bump(&mut st, true);
                let (mut st, _) = cv
                    .wait_timeout(st, at - now)
                    .unwrap_or_else(PoisonError::into_inner);
                bump(&mut st, false);
                Ok(st)
            }
        }
    }

    /// Receive a message, blocking until one arrives. End-of-stream pills are
    /// consumed silently; once every upstream has sent one and nothing is
    /// left, this returns [`Error::EndOfStream`] at once.
    ///
    /// "Every upstream" means every peer this socket has *now*: each endpoint
    /// it `connect`ed to (from the moment of the call, connected or not) and
    /// each accepted connection whose handshake has completed. A producer
    /// that has not connected yet cannot be waited for: if a bound consumer
    /// must hear from several producers, have each announce itself (send a
    /// first message) before relying on `EndOfStream`, or connect the
    /// consumer to the producers instead.
    pub fn recv(&self) -> Result<Message> {
        self.recv_msg(Wait::Forever)
    }

    /// Receive without blocking: [`Error::WouldBlock`] when nothing is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_msg(Wait::No)
    }

    /// Receive, waiting at most `timeout` (a long-poll):
    /// [`Error::TimedOut`] when nothing arrived in time.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Message> {
        self.recv_msg(Wait::timeout(timeout))
    }

    fn recv_msg(&self, wait: Wait) -> Result<Message> {
        loop {
            match self.recv_inner(wait)? {
                Incoming::Message(m) => return Ok(m),
                Incoming::Finished { .. } => continue,
            }
        }
    }

    /// The next item, counted as received if it is a message.
    fn recv_inner(&self, wait: Wait) -> Result<Incoming> {
        let item = self.recv_item(wait)?;
        if matches!(item, Incoming::Message(_)) {
            self.shared.note_received();
        }
        Ok(item)
    }

    /// Receive the next message *or* pill, blocking. Use this to learn which
    /// upstream peers have finished; [`recv`](Self::recv) skips pills.
    ///
    /// With `None` it blocks without limit; with `Some(t)` it waits at most `t`.
    pub fn recv_incoming(&self, timeout: Option<Duration>) -> Result<Incoming> {
        self.recv_inner(timeout.map_or(Wait::Forever, Wait::timeout))
    }

    fn recv_item(&self, wait: Wait) -> Result<Incoming> {
        let shared = &*self.shared;
        let mut spun = false;
        loop {
            if let Some(x) = shared.local().pop_front() {
                return Ok(x);
            }
            let mut st = shared.lock();
            if !st.receives() {
                return Err(crate::pattern::unsupported(self.ty));
            }
            loop {
                // Take a batch in fair order, so that the next calls need
                // not touch the lock the engine contends for. Parked where
                // other receivers look, before the state lock is released.
                let mut local = shared.local();
                if !local.is_empty() {
                    // Another receiver parked a batch meanwhile.
                    break;
                }
                let limit = RECV_BATCH.min(st.opts.recv_hwm);
                st.recv(&mut local, limit)?;
                if let Some(first) = local.pop_front() {
                    let others = !local.is_empty() && st.recv_waiters > 0;
                    drop(local);
                    self.release(st);
                    if others {
                        shared.recv_cv.notify_all();
                    }
                    return Ok(first);
                }
                drop(local);
                let ping = st.take_ping();
                let inproc = st.take_inproc();
                if ping || !inproc.is_empty() {
                    // Input was consumed (e.g. stale replies) and a paused
                    // peer may send again.
                    drop(st);
                    if ping {
                        self.engine.send(Cmd::Service(shared.id));
                    }
                    inproc.run();
                    st = shared.lock();
                    continue;
                }
                if st.end_of_stream() {
                    return Err(Error::EndOfStream);
                }
                if matches!(wait, Wait::No) || !st.has_inproc() {
                    st = self.wait_on(st, wait, false)?;
                    continue;
                }
                if !spun {
                    // An inproc peer moves messages on its own thread, often
                    // within microseconds: watch for them briefly before
                    // paying for a sleep and a wake-up.
                    spun = true;
                    let seen = shared.attention.events();
                    drop(st);
                    spin_until(|| shared.attention.events() != seen);
                    st = shared.lock();
                    continue;
                }
                // Tell inproc peers we sleep, then look once more at what
                // they queued (see `Attention::offer`).
                shared.attention.sleep();
                if st.inproc_waiting() {
                    shared.attention.wake();
                    continue;
                }
                let woken = self.wait_on(st, wait, false);
                shared.attention.wake();
                st = woken?;
            }
        }
    }

    /// Send the end-of-stream pill to every peer, behind everything already
    /// queued for it; peers that connect later get it too. After this, `send`
    /// fails with [`Error::Closed`].
    ///
    /// On the wire the pill is a ZMTP command frame named `XEOF`; libzmq
    /// ignores unknown commands, so a libzmq peer simply never sees it.
    pub fn send_eof(&self) -> Result<()> {
        let mut st = self.shared.lock();
        st.send_eof()?;
        let wake = self.shared.senders_wake(&st);
        self.release(st);
        // Blocked senders must now fail with Closed.
        self.shared.send_cv.notify_all();
        self.shared.fire(wake);
        Ok(())
    }

    /// Close the socket: stop accepting sends, wait up to the linger time for
    /// queued messages to be written, then close every connection. Returns
    /// what could not be sent (also counted in
    /// [`Context::unsent_on_close`](crate::Context::unsent_on_close), which
    /// is where a dropped socket's losses show). Dropping a socket does the
    /// same as `close`.
    ///
    /// Takes `&self`: a socket shared between threads (in an `Arc`) can be
    /// closed by one while others are blocked in it; their calls return
    /// [`Error::Closed`]. Calling it again does nothing.
    ///
    /// ```
    /// use ferromq::{Context, Error, SocketType};
    /// use std::sync::Arc;
    /// let ctx = Context::new()?;
    /// let pull = Arc::new(ctx.socket(SocketType::Pull)?);
    /// let p = pull.clone();
    /// let blocked = std::thread::spawn(move || p.recv());
    /// pull.close();
    /// assert!(matches!(blocked.join().unwrap(), Err(Error::Closed)));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn close(&self) -> CloseReport {
        let shared = &*self.shared;
        // From a readiness callback on the I/O thread: that thread cannot
        // flush for us, nor answer while we wait for it.
        let on_engine = self.engine.on_engine_thread();
        let mut st = shared.lock();
        if st.is_closing() {
            // Already closed, or another thread is closing it: wait for
            // that to finish (it is bounded by the linger time).
            while !st.is_closed() && !on_engine {
                st = match self.wait_on(st, Wait::Forever, true) {
                    Ok(st) => st,
                    Err(_) => return CloseReport::default(),
                };
            }
            return CloseReport::default();
        }
        let linger = if on_engine {
            Duration::ZERO
        } else {
            st.opts.linger
        };
        let deadline = Instant::now().checked_add(linger);
        // Make sure the engine looks at every connected pipe with output.
        st.begin_close();
        let wake = shared.all_wake(&st);
        self.release(st);
        // Blocked callers must now fail with Closed.
        shared.send_cv.notify_all();
        shared.recv_cv.notify_all();
        shared.fire(wake);
        st = shared.lock();
        while !st.all_flushed() {
            let wait = deadline.map_or(Wait::Forever, Wait::Until);
            st = match self.wait_on(st, wait, true) {
                Ok(st) => st,
                Err(_) => {
                    // Linger ran out.
                    st = shared.lock();
                    break;
                }
            };
        }
        let local_unread = shared
            .local()
            .drain(..)
            .filter(|i| matches!(i, Incoming::Message(_)))
            .count();
        let (queued, unread) = st.finish_close(local_unread);
        let wires = st.inproc_wires();
        drop(st);
        // Inproc peers lose their pipe to us (and we forget our names).
        self.engine.inproc().forget(shared.id);
        for (wire, side) in wires {
            wire.cut(side, crate::pipe::Refusal::Closing);
        }
        shared.recv_cv.notify_all();
        shared.send_cv.notify_all();
        let (tx, rx) = sync_channel(1);
        self.engine.send(Cmd::Close {
            socket: shared.id,
            reply: tx,
        });
        let held = if on_engine {
            // Counted when the engine gets to the command (not reported).
            0
        } else {
            rx.recv_timeout(ENGINE_REPLY_TIMEOUT).unwrap_or(0)
        };
        // Every event of this socket has been emitted by now.
        shared.close_monitor();
        let unsent = queued + held + shared.lock().lost_after_close();
        self.engine.note_unsent(unsent);
        CloseReport { unsent, unread }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.close();
    }
}
