//! # ferromq
//!
//! A brokerless message-queue library speaking ZMTP 3.1, so it talks to
//! libzmq, pyzmq and every other ZeroMQ peer. Sockets queue, route and deliver
//! messages between processes over TCP; there is no central server.
//!
//! ```text
//!  application threads                      one I/O thread per Context
//!  ┌──────────────┐   per-peer pipes   ┌──────────────────────────────┐
//!  │ Socket       │◀── (bounded, HWM) ─▶│ engine (mio loop)            │
//!  │  routing:    │   under the socket's│  listeners, connecters,      │
//!  │  lb/fq/router│   lock              │  backoff, timers             │
//!  └──────────────┘                     │  ┌ Conn ─ Session (sans-IO) ┐│
//!                                       │  │ greeting, NULL handshake,││
//!                                       │  │ frames (proto::wire)     ││
//!                                       └──┴──────────────────────────┴┘
//! ```
//!
//! ```
//! use ferromq::{Context, SocketType};
//! let ctx = Context::new()?;
//! let pull = ctx.socket(SocketType::Pull)?;
//! let ep = pull.bind("tcp://127.0.0.1:0")?;
//! let push = ctx.socket(SocketType::Push)?;
//! push.connect(&ep.to_string())?;
//! push.send(ferromq::Message::multipart(["task", "42"]))?;
//! let m = pull.recv()?;
//! assert_eq!(m.frames()[1], "42");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/ARCHITECTURE.md` for how the crate is built.
//!
//! At-least-once queues on top of these sockets (acknowledgements,
//! redelivery, duplicate suppression, dead letters, delays, credit,
//! backpressure; `docs/RELIABLE.md`) are in the separate crate
//! `ferromq-reliable`, which uses only this crate's public API.

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
mod socket;
mod state;
mod stats;

pub use bytes::Bytes;
pub use context::Context;
pub use endpoint::Endpoint;
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
        DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_RECONNECT_INTERVAL, DEFAULT_RECONNECT_INTERVAL_MAX,
        MAX_DURATION,
    };
}
