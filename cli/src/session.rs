//! One socket and what surrounds it: its context, the monitor thread that
//! prints events and notices peers, timeouts, and closing with linger.

use crate::args::{Args, Kind};
use ferromq::{Context, Endpoint, Error, Message, MonitorEvent, Options, Socket};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Linger for types that send: long enough to write out what was queued.
const DEFAULT_LINGER: Duration = Duration::from_secs(5);

/// How often the monitor thread looks at its stop flag.
const MONITOR_POLL: Duration = Duration::from_millis(50);

/// Why the command failed, and so its exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Something did not happen in time: exit status 1.
    Timeout(String),
    /// A ferromq or I/O error: exit status 2.
    Error(String),
    /// Standard output was closed (`| head -1`): stop quietly, status 0.
    OutputClosed,
}

impl Failure {
    /// The exit status.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Timeout(_) => 1,
            Failure::Error(_) => 2,
            Failure::OutputClosed => 0,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout(s) | Failure::Error(s) => f.write_str(s),
            Failure::OutputClosed => f.write_str("standard output closed"),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Error(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Error(e.to_string())
    }
}

/// Handshakes completed so far, for waiting on a first peer.
#[derive(Default)]
struct Peers {
    count: Mutex<u64>,
    cv: Condvar,
}

/// Sends with the command's timeout. Cheap to clone, for a sending thread.
#[derive(Clone)]
pub(crate) struct Sender {
    socket: Arc<Socket>,
    timeout: Option<Duration>,
}

impl Sender {
    /// Send, waiting for room at most the timeout.
    pub(crate) fn send(&self, msg: Message) -> Result<(), Failure> {
        let sent = match self.timeout {
            Some(t) => self.socket.send_timeout(msg, t),
            None => self.socket.send(msg),
        };
        match sent.map_err(|e| e.error) {
            Err(Error::TimedOut) => Err(Failure::Timeout(format!(
                "timed out: no peer could take a message within {:?}",
                self.timeout.unwrap_or_default()
            ))),
            other => Ok(other?),
        }
    }
}

/// The command's socket, bound and connected.
pub(crate) struct Session {
    socket: Arc<Socket>,
    sender: Sender,
    kind: Kind,
    timeout: Option<Duration>,
    peers: Arc<Peers>,
    stop: Arc<AtomicBool>,
    monitor: Option<JoinHandle<()>>,
    // Last: the context outlives the socket.
    _ctx: Context,
}

impl Session {
    /// Make the socket, start watching it, subscribe (sub), bind and
    /// connect.
    pub(crate) fn open(args: &Args) -> Result<Session, Failure> {
        let ctx = Context::new()?;
        let linger = args.linger.unwrap_or(if args.kind.only_receives() {
            Duration::ZERO
        } else {
            DEFAULT_LINGER
        });
        let opts = Options::default().with_linger(linger);
        let socket = Arc::new(ctx.socket_with(args.kind.socket_type(), opts)?);
        // Before bind and connect, so that no event is missed.
        let events = socket.monitor();
        let peers = Arc::new(Peers::default());
        let stop = Arc::new(AtomicBool::new(false));
        let monitor = {
            let (peers, stop, print) = (peers.clone(), stop.clone(), args.monitor);
            std::thread::Builder::new()
                .name("monitor".into())
                .spawn(move || watch(&events, &peers, &stop, print))?
        };
        let sender = Sender {
            socket: socket.clone(),
            timeout: args.timeout,
        };
        let session = Session {
            socket,
            sender,
            kind: args.kind,
            timeout: args.timeout,
            peers,
            stop,
            monitor: Some(monitor),
            _ctx: ctx,
        };
        if args.kind == Kind::Sub {
            let prefixes = args.prefixes();
            if prefixes.is_empty() {
                session.socket.subscribe("")?;
            }
            for p in prefixes {
                session.socket.subscribe(p)?;
            }
        }
        for ep in &args.bind {
            let bound = session.socket.bind(ep)?;
            if asks_for_a_port(ep) {
                eprintln!("bound {bound}");
            }
        }
        for ep in &args.connect {
            session.socket.connect(ep)?;
        }
        Ok(session)
    }

    /// A sender for another thread.
    pub(crate) fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Send, waiting for room at most the timeout.
    pub(crate) fn send(&self, msg: Message) -> Result<(), Failure> {
        self.sender.send(msg)
    }

    /// Receive, waiting at most the timeout; `None` when the stream ended
    /// (every peer sent its end-of-stream pill).
    pub(crate) fn recv(&self) -> Result<Option<Message>, Failure> {
        let got = match self.timeout {
            Some(t) => self.socket.recv_timeout(t),
            None => self.socket.recv(),
        };
        match got {
            Ok(m) => Ok(Some(m)),
            Err(Error::EndOfStream) => Ok(None),
            Err(Error::TimedOut) => Err(self.timed_out("no message arrived")),
            Err(e) => Err(e.into()),
        }
    }

    /// Receive, waiting at most `t` (a slice of a longer wait): `Ok(None)`
    /// when nothing came; end of stream is an `Err(None)`.
    pub(crate) fn recv_for(&self, t: Duration) -> Result<Option<Message>, Option<Failure>> {
        match self.socket.recv_timeout(t) {
            Ok(m) => Ok(Some(m)),
            Err(Error::TimedOut) => Ok(None),
            Err(Error::EndOfStream) => Err(None),
            Err(e) => Err(Some(e.into())),
        }
    }

    /// The command's timeout.
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The timeout failure, saying what did not happen.
    pub(crate) fn timed_out(&self, what: &str) -> Failure {
        Failure::Timeout(format!(
            "timed out: {what} within {:?}",
            self.timeout.unwrap_or_default()
        ))
    }

    /// Subscribe an XSUB: a `0x01` + prefix message.
    pub(crate) fn send_subscription(&self, prefix: &[u8]) -> Result<(), Failure> {
        self.send(Message::from([&[1u8][..], prefix].concat()))
    }

    /// End the stream after the last message (push and pub, --eof).
    pub(crate) fn send_eof(&self) -> Result<(), Failure> {
        Ok(self.socket.send_eof()?)
    }

    /// Wait (at most the timeout) until a first peer has completed its
    /// handshake, so that a first message is not sent into the void.
    pub(crate) fn wait_for_peer(&self) -> Result<(), Failure> {
        let deadline = self.timeout.and_then(|t| Instant::now().checked_add(t));
        let mut n = lock(&self.peers.count);
        while *n == 0 {
            n = match deadline {
                None => self
                    .peers
                    .cv
                    .wait(n)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(self.timed_out("no peer connected"));
                    }
                    let (n, _) = self
                        .peers
                        .cv
                        .wait_timeout(n, d - now)
                        .unwrap_or_else(PoisonError::into_inner);
                    n
                }
            };
        }
        Ok(())
    }

    /// Close the socket: after a success, with linger (reporting what could
    /// not be delivered); after a failure, at once.
    pub(crate) fn finish(mut self, outcome: Result<(), Failure>) -> Result<(), Failure> {
        if outcome.is_err() {
            let _ = self.socket.set_linger(Duration::ZERO);
        }
        let report = self.socket.close();
        let stats = self.socket.stats();
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.monitor.take() {
            let _ = h.join();
        }
        match outcome {
            Err(Failure::OutputClosed) => return Ok(()),
            other => other?,
        }
        if matches!(self.kind, Kind::Pub | Kind::Xpub) && stats.unmatched > 0 {
            eprintln!(
                "ferromq: {} of {} messages matched no subscription and were dropped",
                stats.unmatched,
                stats.messages_sent + stats.unmatched
            );
        }
        if report.unsent > 0 {
            return Err(Failure::Timeout(format!(
                "{} message(s) not delivered: --linger ran out",
                report.unsent
            )));
        }
        Ok(())
    }
}

/// Was a port left to the system (`:0` or `:*`)?
fn asks_for_a_port(ep: &str) -> bool {
    matches!(ep.parse::<Endpoint>(), Ok(Endpoint::Tcp { port: 0, .. }))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The monitor thread: count handshakes, print events if asked, and drain
/// what is left once told to stop.
fn watch(events: &ferromq::Monitor, peers: &Peers, stop: &AtomicBool, print: bool) {
    let handle = |ev: MonitorEvent| {
        if matches!(ev, MonitorEvent::HandshakeSucceeded { .. }) {
            *lock(&peers.count) += 1;
            peers.cv.notify_all();
        }
        if print {
            eprintln!("monitor: {ev}");
        }
    };
    while !stop.load(Ordering::SeqCst) {
        if let Ok(ev) = events.recv_timeout(MONITOR_POLL) {
            handle(ev);
        }
    }
    while let Ok(ev) = events.try_recv() {
        handle(ev);
    }
}
