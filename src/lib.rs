//! # ferromq
//!
//! A brokerless message-queue library speaking ZMTP 3.1, so it talks to
//! libzmq, pyzmq and every other ZeroMQ peer. Sockets queue, route and
//! deliver messages between threads and processes over TCP, Unix domain
//! sockets (`ipc://`) and in memory (`inproc://`); there is no central
//! server.
//!
//! ```
//! use ferromq::{Context, Message, SocketType};
//! let ctx = Context::new()?;
//!
//! // Request/reply.
//! let rep = ctx.socket(SocketType::Rep)?;
//! let ep = rep.bind("tcp://127.0.0.1:0")?; // port 0: the real port is in `ep`
//! let req = ctx.socket(SocketType::Req)?;
//! req.connect(&ep.to_string())?;          // returns at once; (re)connects in the background
//! req.send("ping")?;
//! assert_eq!(rep.recv()?.frames()[0], "ping");
//! rep.send("pong")?;
//! assert_eq!(req.recv()?.frames()[0], "pong");
//!
//! // Publish/subscribe, filtered by prefix.
//! let publisher = ctx.socket(SocketType::Pub)?;
//! let ep = publisher.bind("tcp://127.0.0.1:0")?;
//! let sub = ctx.socket(SocketType::Sub)?;
//! sub.subscribe("weather.")?;
//! sub.connect(&ep.to_string())?;
//! // (A subscription takes a moment to reach the publisher, which drops
//! // what nobody has subscribed to yet.)
//! let forecast = loop {
//!     publisher.send(Message::multipart(["weather.paris", "sunny"]))?;
//!     if let Ok(m) = sub.recv_timeout(std::time::Duration::from_millis(50)) {
//!         break m;
//!     }
//! };
//! assert_eq!(forecast.frames()[1], "sunny");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Socket types
//!
//! | type | talks to | send | receive |
//! |---|---|---|---|
//! | [`Push`](SocketType::Push) | PULL | round-robin over peers with room | — |
//! | [`Pull`](SocketType::Pull) | PUSH | — | fair-queued |
//! | [`Req`](SocketType::Req) | REP, ROUTER | round-robin; then must receive the reply | the reply, from the peer asked |
//! | [`Rep`](SocketType::Rep) | REQ, DEALER | the reply, to the requester | fair-queued requests |
//! | [`Dealer`](SocketType::Dealer) | DEALER, ROUTER, REP | round-robin | fair-queued |
//! | [`Router`](SocketType::Router) | DEALER, ROUTER, REQ | to the peer named by the first frame | fair-queued, sender's routing id first |
//! | [`Pub`](SocketType::Pub) | SUB, XSUB | to every matching subscriber; never blocks | — |
//! | [`Sub`](SocketType::Sub) | PUB, XPUB | — | messages matching its subscriptions |
//! | [`XPub`](SocketType::XPub) | SUB, XSUB | as PUB | subscriptions, as `0x01`/`0x00` + topic |
//! | [`XSub`](SocketType::XSub) | PUB, XPUB | subscriptions (`0x01` + topic) and upstream messages | fair-queued |
//! | [`Pair`](SocketType::Pair) | PAIR | to its one peer | from its one peer |
//!
//! Every queue is bounded by a high-water mark, and nothing is dropped
//! silently: [`SocketStats`] counts every message a socket type's rules
//! drop. Calls come blocking (`send`, `recv`), non-blocking (`try_send`,
//! `try_recv`) and timed (`send_timeout`, `recv_timeout`); a [`Poller`]
//! waits on many sockets, [`Socket::monitor`] reports connection events,
//! and [`Context::shutdown`] interrupts every blocked call.
//!
//! ## Transports
//!
//! | endpoint | what | |
//! |---|---|---|
//! | `tcp://host:port` | TCP; a bind's port `0` (or `*`) picks a free one | [`Endpoint::Tcp`] |
//! | `ipc:///path`, `ipc://@name`, `ipc://*` | Unix domain sockets (a path, Linux's abstract namespace, a fresh path) | [`Endpoint::Ipc`] |
//! | `inproc://name` | between sockets of one [`Context`], in memory, no I/O thread | [`Endpoint::Inproc`] |
//!
//! ```
//! use ferromq::{Context, SocketType};
//! let ctx = Context::new()?;
//! // Threads of one process: connect may come before bind.
//! let push = ctx.socket(SocketType::Push)?;
//! push.connect("inproc://jobs")?;
//! push.send("job 1")?;
//! let pull = ctx.socket(SocketType::Pull)?;
//! pull.bind("inproc://jobs")?;
//! assert_eq!(pull.recv()?.frames()[0], "job 1");
//! // Processes of one host: a Unix socket at a fresh path.
//! let ep = pull.bind("ipc://*")?;
//! let push2 = ctx.socket(SocketType::Push)?;
//! push2.connect(&ep.to_string())?;
//! push2.send("job 2")?;
//! assert_eq!(pull.recv()?.frames()[0], "job 2");
//! # Ok::<(), ferromq::Error>(())
//! ```
//!
//! ## Options
//!
//! Given at creation ([`Context::socket_with`]) or changed live with the
//! socket's `set_*` methods; checked either way (a value out of range, or
//! an option that does not apply to the socket type, is
//! [`Error::InvalidOption`]). The full table, with each option's libzmq
//! name, is on [`Options`]. The everyday ones:
//!
//! | option | default | |
//! |---|---|---|
//! | `send_hwm` / `recv_hwm` | 1000 messages per peer | `ZMQ_SNDHWM` / `ZMQ_RCVHWM` |
//! | `linger` | 2 s | how long `close` waits to flush (`ZMQ_LINGER`) |
//! | `reconnect_interval` / `_max` | 100 ms / 5 s, exponential with jitter | `ZMQ_RECONNECT_IVL` / `_MAX` |
//! | `max_message_size` | 64 MiB | `ZMQ_MAXMSGSIZE` |
//! | `routing_id` | none | `ZMQ_ROUTING_ID` |
//! | `heartbeat_interval` / `_timeout` / `_ttl` | off | `ZMQ_HEARTBEAT_IVL` / `_TIMEOUT` / `_TTL` |
//! | `immediate` | false | `ZMQ_IMMEDIATE` |
//!
//! ## Not there yet
//!
//! - Security: only the NULL mechanism. A PLAIN or CURVE peer is refused
//!   ([`Reason::Mechanism`], or [`Reason::MechanismRefused`] when the peer
//!   is the one refusing).
//! - Peers speaking ZMTP 1.0 or 2.0 (libzmq 2.x, JeroMQ 0.3) are refused.
//! - No async API yet; [`Socket::set_notify`] and [`Poller`] serve event
//!   loops.
//!
//! ## More
//!
//! - [`guide::architecture`]: how the crate is built, and where a newcomer
//!   adds a socket type, a transport or a mechanism.
//! - At-least-once queues on top of these sockets (acknowledgements,
//!   redelivery, dead letters, delays, credit) are the separate crate
//!   `ferromq-reliable`, which uses only this crate's public API.
//! - The `ferromq` command line (crate `ferromq-cli`) speaks every socket
//!   type from a shell.

/// The README's usage program, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Longer documents, rendered from the repository's `docs/`.
pub mod guide {
    #[doc = include_str!("../docs/ARCHITECTURE.md")]
    pub mod architecture {}
}

#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_api;
mod context;
mod endpoint;
mod engine;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod key;
mod message;
mod monitor;
mod options;
mod pattern;
mod pipe;
mod poller;
mod proto;
mod random;
pub mod security;
mod socket;
mod state;
mod stats;
mod transport;

pub use bytes::Bytes;
pub use context::Context;
pub use endpoint::{Endpoint, PeerAddr};
pub use error::{Error, Result, SendError};
pub use message::{Incoming, Message};
pub use monitor::{Monitor, MonitorEvent, Reason, MONITOR_CAPACITY};
pub use options::{Options, TcpKeepalive};
pub use poller::{Interest, PollEvent, Poller};
pub use proto::socket_type::SocketType;
pub use socket::{CloseReport, Socket};
pub use state::Readiness;
pub use stats::SocketStats;

/// Documented option defaults.
pub mod defaults {
    pub use crate::options::{
        DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HWM, DEFAULT_LINGER, DEFAULT_MAX_MESSAGE_SIZE,
        DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_MAX_SUBSCRIPTION_BYTES,
        DEFAULT_RECONNECT_INTERVAL, DEFAULT_RECONNECT_INTERVAL_MAX, MAX_DURATION,
    };
}
