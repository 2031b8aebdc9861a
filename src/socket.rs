//! The public socket.

use crate::context::ContextInner;
use crate::endpoint::Endpoint;
use crate::engine::Cmd;
use crate::error::{Error, Result, SendError};
use crate::message::Message;
use crate::monitor::{Monitor, MonitorQueue};
use crate::options::Options;
use crate::pipe::{Item, Peer};
use crate::proto::socket_type::SocketType;
use crate::routing::{fq, lb, router, State};
use crate::shared::Shared;
use crate::stats::SocketStats;
use bytes::Bytes;
use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most items one `recv` takes from the pipes at once (see `Socket::local`).
const RECV_BATCH: usize = 128;

/// How long to wait for the engine to acknowledge a command.
const ENGINE_REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`Socket::recv_incoming`] returns: a message, or the news that one
/// upstream peer has finished.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// A message (on a ROUTER, with the sender's routing id as first frame).
    Message(Message),
    /// An upstream peer sent its end-of-stream pill: everything it sent before
    /// has been received.
    Finished {
        /// The peer's routing id (ROUTER only).
        routing_id: Option<Bytes>,
    },
}

/// Whether a socket could receive or send without blocking right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Readiness {
    /// A message (or pill) is queued for `recv`, or the stream has ended.
    pub readable: bool,
    /// A `send` would not block (some peer's pipe has room). ROUTER sockets
    /// never block, so they are always writable.
    pub writable: bool,
}

/// What [`Socket::close`] could not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CloseReport {
    /// Messages still queued (or partly written) when linger ran out; they
    /// were discarded. Zero means everything queued was written to the network.
    pub unsent: usize,
}

#[derive(Clone, Copy)]
enum Wait {
    No,
    Forever,
    Until(Instant),
}

impl Wait {
    fn timeout(t: Duration) -> Wait {
        match Instant::now().checked_add(t) {
            Some(at) => Wait::Until(at),
            None => Wait::Forever,
        }
    }
}

/// A ferromq socket: PUSH, PULL, DEALER or ROUTER.
///
/// Made by [`Context::socket`](crate::Context::socket). `Send` and `Sync`:
/// it may be moved to, or shared between, threads. Every call is blocking
/// (`send`, `recv`), non-blocking (`try_send`, `try_recv`) or bounded
/// (`send_timeout`, `recv_timeout` — the latter is a long-poll).
///
/// ```
/// use ferromq::{Context, Message, SocketType};
/// let ctx = Context::new()?;
/// let router = ctx.socket(SocketType::Router)?;
/// let ep = router.bind("tcp://127.0.0.1:0")?;
/// let dealer = ctx.socket_with(
///     SocketType::Dealer,
///     ferromq::Options::default().with_routing_id("worker-1"),
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
    ctx: Arc<ContextInner>,
    bound: Mutex<Vec<(String, Endpoint)>>,
    connected: Mutex<Vec<(String, Endpoint)>>,
    /// Items already taken from the pipes (in fair order) by an earlier
    /// `recv`, handed out before the pipes are looked at again.
    local: Mutex<VecDeque<Incoming>>,
}

fn lock_list(m: &Mutex<Vec<(String, Endpoint)>>) -> MutexGuard<'_, Vec<(String, Endpoint)>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Socket {
    pub(crate) fn new(shared: Arc<Shared>, ctx: Arc<ContextInner>) -> Socket {
        Socket {
            shared,
            ctx,
            bound: Mutex::new(Vec::new()),
            connected: Mutex::new(Vec::new()),
            local: Mutex::new(VecDeque::new()),
        }
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.shared.ty
    }

    /// The options it was made with.
    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    fn check_open(&self) -> Result<()> {
        if self.shared.lock().closing {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Listen on `endpoint` (`tcp://host:port`; port 0 or `*` picks a free
    /// port). Returns the endpoint actually bound, with the real port.
    pub fn bind(&self, endpoint: &str) -> Result<Endpoint> {
        self.check_open()?;
        let ep: Endpoint = endpoint.parse()?;
        let addr = ep.bind_addr()?;
        let listener = bind_listener(addr).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                Error::AddressInUse(endpoint.to_owned())
            } else {
                Error::Io(e)
            }
        })?;
        let local = listener.local_addr()?;
        let actual = match &ep {
            Endpoint::Tcp { host, .. } if host == "*" => Endpoint::Tcp {
                host: "*".into(),
                port: local.port(),
            },
            _ => Endpoint::tcp(local),
        };
        lock_list(&self.bound).push((endpoint.to_owned(), actual.clone()));
        self.ctx.mailbox.send(Cmd::Listen {
            socket: self.shared.id,
            listener,
            endpoint: actual.clone(),
        });
        Ok(actual)
    }

    /// Connect to `endpoint`. Returns at once: the connection is made (and
    /// remade after losses, with exponential backoff) in the background, and
    /// messages sent meanwhile wait in this peer's pipe.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.check_open()?;
        let ep: Endpoint = endpoint.parse()?;
        let addr = ep.resolve()?;
        let peer = {
            let mut st = self.shared.lock();
            let key = st.peers.insert(Peer::new(true));
            if self.shared.ty.can_send() && !self.shared.ty.uses_routing_ids() {
                lb::add(&mut st, key);
            }
            let wake = self.shared.senders_wake(&st);
            drop(st);
            self.shared.fire(wake);
            key
        };
        lock_list(&self.connected).push((endpoint.to_owned(), ep.clone()));
        self.ctx.mailbox.send(Cmd::Connect {
            socket: self.shared.id,
            endpoint: ep,
            addr,
            peer,
        });
        Ok(())
    }

    fn take_endpoint(list: &Mutex<Vec<(String, Endpoint)>>, endpoint: &str) -> Result<Endpoint> {
        let mut l = lock_list(list);
        let pos = l
            .iter()
            .position(|(s, e)| s == endpoint || e.to_string() == endpoint)
            .ok_or_else(|| Error::EndpointNotFound(endpoint.to_owned()))?;
        Ok(l.remove(pos).1)
    }

    fn engine_call(&self, make: impl FnOnce(std::sync::mpsc::SyncSender<bool>) -> Cmd) -> bool {
        let (tx, rx) = sync_channel(1);
        self.ctx.mailbox.send(make(tx));
        rx.recv_timeout(ENGINE_REPLY_TIMEOUT).unwrap_or(false)
    }

    /// Stop listening on an endpoint given to (or returned by) [`bind`](Self::bind).
    /// Connections already accepted stay up.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        let ep = Self::take_endpoint(&self.bound, endpoint)?;
        let socket = self.shared.id;
        self.engine_call(|reply| Cmd::Unbind {
            socket,
            endpoint: ep,
            reply,
        });
        Ok(())
    }

    /// Stop connecting to an endpoint given to [`connect`](Self::connect). Its
    /// connection closes; messages still queued for it are dropped and
    /// counted in [`SocketStats::dropped_on_disconnect`].
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        let ep = Self::take_endpoint(&self.connected, endpoint)?;
        let socket = self.shared.id;
        self.engine_call(|reply| Cmd::Disconnect {
            socket,
            endpoint: ep,
            reply,
        });
        Ok(())
    }

    /// Send a message, blocking while no peer can take it.
    ///
    /// PUSH and DEALER pick peers round-robin among those whose pipe is below
    /// the send HWM; with none, `send` waits. ROUTER routes by the first frame
    /// and never waits (see [`Options::router_mandatory`]).
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

    fn validate(&self, msg: &Message) -> Result<()> {
        let ty = self.shared.ty;
        if !ty.can_send() {
            return Err(Error::Unsupported {
                socket_type: ty.name(),
            });
        }
        if msg.is_empty() {
            return Err(Error::InvalidMessage("a message needs at least one frame"));
        }
        if ty.uses_routing_ids() && msg.len() < 2 {
            return Err(Error::InvalidMessage(
                "ROUTER messages need a routing-id frame and at least one more frame",
            ));
        }
        let body = if ty.uses_routing_ids() {
            msg.size() - msg.frames()[0].len()
        } else {
            msg.size()
        };
        if body > self.shared.opts.max_message_size {
            return Err(Error::InvalidMessage("message exceeds max_message_size"));
        }
        Ok(())
    }

    fn send_inner(&self, mut msg: Message, wait: Wait) -> Result<(), SendError> {
        if let Err(e) = self.validate(&msg) {
            return Err(SendError::new(e, msg));
        }
        let shared = &*self.shared;
        let mut st = shared.lock();
        loop {
            if st.closing || st.eof_sent {
                return Err(SendError::new(Error::Closed, msg));
            }
            let routed = if shared.ty.uses_routing_ids() {
                router::send(
                    &mut st,
                    shared.opts.send_hwm,
                    shared.opts.router_mandatory,
                    msg,
                )
            } else {
                lb::send(&mut st, shared.opts.send_hwm, msg)
                    .map(Some)
                    .map_err(|m| (Error::WouldBlock, m))
            };
            match routed {
                Ok(target) => {
                    let mut wake = false;
                    if let Some(key) = target {
                        st.stats.messages_sent += 1;
                        // Only the empty -> non-empty edge needs the engine.
                        let edge = st
                            .peers
                            .get(key)
                            .is_some_and(|p| p.conn.is_some() && p.out.len() == 1);
                        if edge {
                            wake = st.request_service(key);
                        }
                    }
                    drop(st);
                    if wake {
                        self.ctx.mailbox.send(Cmd::Service(shared.id));
                    }
                    return Ok(());
                }
                Err((e, m)) => {
                    msg = m;
                    // A ROUTER never blocks: with router_mandatory a full
                    // pipe is an immediate WouldBlock, as the issue asks.
                    if !matches!(e, Error::WouldBlock) || shared.ty.uses_routing_ids() {
                        return Err(SendError::new(e, msg));
                    }
                    st = match self.wait_on(st, wait, true) {
                        Ok(st) => st,
                        Err(e) => return Err(SendError::new(e, msg)),
                    };
                }
            }
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
        let bump = |st: &mut State, d: isize| {
            if sending {
                st.send_waiters = st.send_waiters.wrapping_add_signed(d);
            } else {
                st.recv_waiters = st.recv_waiters.wrapping_add_signed(d);
            }
        };
        match wait {
            Wait::No => Err(Error::WouldBlock),
            Wait::Forever => {
                bump(&mut st, 1);
                let mut st = cv.wait(st).unwrap_or_else(PoisonError::into_inner);
                bump(&mut st, -1);
                Ok(st)
            }
            Wait::Until(at) => {
                let now = Instant::now();
                if now >= at {
                    return Err(Error::TimedOut);
                }
                bump(&mut st, 1);
                let (mut st, _) = cv
                    .wait_timeout(st, at - now)
                    .unwrap_or_else(PoisonError::into_inner);
                bump(&mut st, -1);
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

    /// Receive the next message *or* pill, blocking. Use this to learn which
    /// upstream peers have finished; [`recv`](Self::recv) skips pills.
    ///
    /// With `None` it blocks without limit; with `Some(t)` it waits at most `t`.
    pub fn recv_incoming(&self, timeout: Option<Duration>) -> Result<Incoming> {
        self.recv_inner(timeout.map_or(Wait::Forever, Wait::timeout))
    }

    fn recv_inner(&self, wait: Wait) -> Result<Incoming> {
        let shared = &*self.shared;
        if !shared.ty.can_recv() {
            return Err(Error::Unsupported {
                socket_type: shared.ty.name(),
            });
        }
        loop {
            if let Some(x) = self.local().pop_front() {
                return Ok(x);
            }
            let mut st = shared.lock();
            loop {
                if st.closed {
                    return Err(Error::Closed);
                }
                // Take a batch in fair order, so that the next calls need
                // not touch the lock the engine contends for.
                let limit = RECV_BATCH.min(shared.opts.recv_hwm);
                let mut batch = Vec::with_capacity(limit);
                let mut wake = false;
                let router = shared.ty.uses_routing_ids();
                let convert = |item: Item, routing_id: Option<Bytes>| match item {
                    Item::Msg(mut m) => {
                        if router {
                            m.push_front(routing_id.unwrap_or_default());
                        }
                        Incoming::Message(m)
                    }
                    Item::Eof => Incoming::Finished {
                        routing_id: routing_id.filter(|_| router),
                    },
                };
                let mut run = Vec::new();
                while batch.len() < limit {
                    // One peer with input: take its run at once.
                    let max = limit - batch.len();
                    if let Some((key, id, resume)) =
                        fq::recv_run(&mut st, shared.opts.recv_hwm, max, &mut run)
                    {
                        wake |= resume && st.request_service(key);
                        for item in run.drain(..) {
                            batch.push(convert(item, id.clone()));
                        }
                        continue;
                    }
                    let Some(taken) = fq::recv(&mut st, shared.opts.recv_hwm) else {
                        break;
                    };
                    wake |= taken.resume && st.request_service(taken.key);
                    batch.push(convert(taken.item, taken.routing_id));
                }
                st.stats.messages_received += batch
                    .iter()
                    .filter(|i| matches!(i, Incoming::Message(_)))
                    .count() as u64;
                if !batch.is_empty() {
                    let mut items = batch.into_iter();
                    let first = items.next();
                    // Park the rest where other receivers look, before the
                    // state lock is released, and wake any that wait.
                    let mut local = self.local();
                    local.extend(items);
                    let others = !local.is_empty() && st.recv_waiters > 0;
                    drop(local);
                    drop(st);
                    if others {
                        shared.recv_cv.notify_all();
                    }
                    if wake {
                        self.ctx.mailbox.send(Cmd::Service(shared.id));
                    }
                    if let Some(first) = first {
                        return Ok(first);
                    }
                    break;
                }
                if !self.local().is_empty() {
                    // Another receiver parked a batch meanwhile.
                    break;
                }
                if st.end_of_stream() {
                    return Err(Error::EndOfStream);
                }
                st = self.wait_on(st, wait, false)?;
            }
        }
    }

    fn local(&self) -> MutexGuard<'_, VecDeque<Incoming>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Send the end-of-stream pill to every peer, behind everything already
    /// queued for it; peers that connect later get it too. After this, `send`
    /// fails with [`Error::Closed`].
    ///
    /// On the wire the pill is a ZMTP command frame named `XEOF`; libzmq
    /// ignores unknown commands, so a libzmq peer simply never sees it.
    pub fn send_eof(&self) -> Result<()> {
        if !self.shared.ty.can_send() {
            return Err(Error::Unsupported {
                socket_type: self.shared.ty.name(),
            });
        }
        let mut st = self.shared.lock();
        if st.closing {
            return Err(Error::Closed);
        }
        if st.eof_sent {
            return Ok(());
        }
        st.eof_sent = true;
        let keys: Vec<usize> = st
            .peers
            .iter()
            .filter(|(_, p)| !p.gone)
            .map(|(k, _)| k)
            .collect();
        let mut wake = false;
        for k in keys {
            let connected = match st.peers.get_mut(k) {
                Some(p) => {
                    p.out.push_back(Item::Eof);
                    p.conn.is_some()
                }
                None => false,
            };
            if connected {
                wake |= st.request_service(k);
            }
        }
        let senders = st.send_waiters > 0;
        drop(st);
        if senders {
            // Blocked senders must now fail with Closed.
            self.shared.send_cv.notify_all();
        }
        if wake {
            self.ctx.mailbox.send(Cmd::Service(self.shared.id));
        }
        Ok(())
    }

    /// Register a callback that the I/O thread calls whenever this socket may
    /// have become readable or writable (input arrived, a pipe got room, a
    /// peer attached, the stream ended). Use it to drive a socket from your
    /// own event loop: wake that loop from the callback, then check
    /// [`readiness`](Self::readiness) or call the `try_` forms until they
    /// would block. The callback runs on the I/O thread (and on the caller's
    /// thread inside `connect`), never with the socket's lock held; keep it
    /// short and never block in it, since it delays all of the context's
    /// I/O. Calls may be spurious; none is lost after an edge.
    /// Replaces any previous callback.
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let ctx = Context::new()?;
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let ep = pull.bind("tcp://127.0.0.1:0")?;
    /// let (flag, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    /// let f = flag.clone();
    /// pull.set_notify(move || f.store(true, Ordering::SeqCst)); // e.g. mio::Waker::wake
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.connect(&ep.to_string())?;
    /// push.send("hi")?;
    /// while !seen.load(Ordering::SeqCst) {
    ///     if flag.swap(false, Ordering::SeqCst) && pull.readiness().readable {
    ///         assert_eq!(pull.try_recv()?.frames()[0], "hi");
    ///         seen.store(true, Ordering::SeqCst);
    ///     }
    ///     std::thread::yield_now();
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_notify(&self, f: impl Fn() + Send + Sync + 'static) {
        self.shared.set_notify(Some(Arc::new(f)));
        self.shared.lock().has_notify = true;
    }

    /// Remove the readiness callback.
    pub fn clear_notify(&self) {
        self.shared.lock().has_notify = false;
        self.shared.set_notify(None);
    }

    /// Start observing this socket's connection events (see [`Monitor`]).
    /// Calling it again replaces the previous monitor, which then receives
    /// nothing more.
    pub fn monitor(&self) -> Monitor {
        let q = Arc::new(MonitorQueue::new());
        self.shared.set_monitor(q.clone());
        Monitor { inner: q }
    }

    /// A snapshot of the socket's counters.
    pub fn stats(&self) -> SocketStats {
        self.shared.lock().stats
    }

    /// Whether `try_recv`/`try_send` would succeed now.
    pub fn readiness(&self) -> Readiness {
        let st = self.shared.lock();
        let ty = self.shared.ty;
        let readable = ty.can_recv()
            && (!st.in_ring.is_empty() || st.end_of_stream() || !self.local().is_empty());
        let writable = ty.can_send()
            && !st.closing
            && !st.eof_sent
            && (ty.uses_routing_ids()
                || st.out_ring.iter().any(|k| {
                    st.peers
                        .get(*k)
                        .is_some_and(|p| !p.gone && !p.out_full(self.shared.opts.send_hwm))
                }));
        Readiness { readable, writable }
    }

    /// Close the socket: stop accepting sends, wait up to the linger time for
    /// queued messages to be written, then close every connection. Returns
    /// what could not be sent (also counted in
    /// [`Context::unsent_on_close`](crate::Context::unsent_on_close), which
    /// is where a dropped socket's losses show). Dropping a socket does the
    /// same as `close`.
    pub fn close(self) -> CloseReport {
        self.close_inner()
    }

    fn close_inner(&self) -> CloseReport {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if st.closed {
            return CloseReport::default();
        }
        st.closing = true;
        let deadline = Instant::now().checked_add(shared.opts.linger);
        // Make sure the engine looks at every connected peer with output.
        let keys: Vec<usize> = st
            .peers
            .iter()
            .filter(|(_, p)| p.conn.is_some() && !p.out.is_empty())
            .map(|(k, _)| k)
            .collect();
        let mut wake = false;
        for k in keys {
            wake |= st.request_service(k);
        }
        if wake {
            drop(st);
            self.ctx.mailbox.send(Cmd::Service(shared.id));
            st = shared.lock();
        }
        while !st.all_flushed() {
            let wait = match deadline {
                Some(d) => Wait::Until(d),
                None => Wait::Forever,
            };
            st = match self.wait_on(st, wait, true) {
                Ok(st) => st,
                Err(_) => shared.lock(),
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        let queued = st.unsent();
        st.closed = true;
        shared.recv_cv.notify_all();
        shared.send_cv.notify_all();
        drop(st);
        let (tx, rx) = sync_channel(1);
        self.ctx.mailbox.send(Cmd::Close {
            socket: shared.id,
            reply: tx,
        });
        let held = rx.recv_timeout(ENGINE_REPLY_TIMEOUT).unwrap_or(0);
        let unsent = queued + held;
        self.ctx.note_unsent(unsent);
        CloseReport { unsent }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.close_inner();
    }
}

fn bind_listener(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket as RawSocket, Type};
    let raw = RawSocket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    raw.set_reuse_address(true)?;
    if addr.is_ipv6() {
        raw.set_only_v6(true)?;
    }
    raw.bind(&addr.into())?;
    raw.listen(1024)?;
    raw.set_nonblocking(true)?;
    Ok(raw.into())
}
