//! The engine: the one place that touches mio, sockets, threads and the clock.
//!
//! A [`Context`](crate::Context) owns one engine thread running a mio loop.
//! Sockets talk to it through the [`Mailbox`]: a queue of [`Cmd`]s plus a
//! `mio::Waker`, rung only when the queue goes from empty to non-empty.
//! Everything about a connection's bytes is delegated to the sans-IO
//! [`Session`](crate::proto::session::Session).

pub(crate) mod backoff;
mod conn;
mod reactor;

use crate::endpoint::Endpoint;
use crate::shared::Shared;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// A request from a socket (or the context) to the engine.
#[derive(Debug)]
pub(crate) enum Cmd {
    /// A new socket.
    AddSocket(Arc<Shared>),
    /// Start accepting on a listener the socket has already bound.
    Listen {
        socket: u64,
        listener: std::net::TcpListener,
        endpoint: Endpoint,
    },
    /// Start connecting (and keep reconnecting) to `addr` for peer `peer`.
    Connect {
        socket: u64,
        endpoint: Endpoint,
        addr: SocketAddr,
        peer: usize,
    },
    /// Stop listening on `endpoint`; replies whether it was found.
    Unbind {
        socket: u64,
        endpoint: Endpoint,
        reply: SyncSender<bool>,
    },
    /// Stop connecting to `endpoint` and drop its peer; replies whether found.
    Disconnect {
        socket: u64,
        endpoint: Endpoint,
        reply: SyncSender<bool>,
    },
    /// Look at the peers listed in the socket's service list.
    Service(u64),
    /// Close everything the socket has; replies with the number of messages
    /// its connections still held (discarded).
    Close {
        socket: u64,
        reply: SyncSender<usize>,
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

/// Start an engine thread; returns its mailbox and handle.
pub(crate) fn spawn() -> std::io::Result<(Arc<Mailbox>, JoinHandle<()>)> {
    let poll = mio::Poll::new()?;
    let waker = mio::Waker::new(poll.registry(), reactor::WAKER)?;
    let mailbox = Arc::new(Mailbox {
        queue: Mutex::new(VecDeque::new()),
        waker,
    });
    let mb = mailbox.clone();
    let handle = std::thread::Builder::new()
        .name("ferromq-io".into())
        .spawn(move || reactor::Engine::new(poll, mb).run())?;
    Ok((mailbox, handle))
}
