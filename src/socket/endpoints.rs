//! `bind`, `connect`, `unbind` and `disconnect`.

use super::{Socket, ENGINE_REPLY_TIMEOUT};
use crate::endpoint::Endpoint;
use crate::engine::Cmd;
use crate::error::{Error, Result};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};

type List = Mutex<Vec<(String, Endpoint)>>;

fn lock_list(m: &List) -> MutexGuard<'_, Vec<(String, Endpoint)>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Socket {
    fn check_usable(&self) -> Result<()> {
        match self.shared.lock().unusable() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Listen on `endpoint` and return the endpoint actually bound.
    ///
    /// `tcp://host:port`: the host is `*` (every IPv4 interface), an
    /// address (`127.0.0.1`, `[::1]`), an interface name (`lo`, `eth0`) or
    /// a host name; port `0` or `*` picks a free port. The returned endpoint
    /// is the address bound with the real port (`tcp://*:0` gives
    /// `tcp://0.0.0.0:43210`, as libzmq reports it), which peers can connect
    /// to and [`unbind`](Self::unbind) accepts.
    ///
    /// ```
    /// use ferromq::{Context, SocketType};
    /// let ctx = Context::new()?;
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let ep = pull.bind("tcp://127.0.0.1:0")?;
    /// assert!(!ep.to_string().ends_with(":0"));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn bind(&self, endpoint: &str) -> Result<Endpoint> {
        self.check_usable()?;
        let ep: Endpoint = endpoint.parse()?;
        if let Endpoint::Inproc { name } = &ep {
            self.engine.inproc().bind(&self.shared, name)?;
            lock_list(&self.bound).push((endpoint.to_owned(), ep.clone()));
            return Ok(ep);
        }
        let opts = self.shared.lock().opts.clone();
        let (listener, actual) = crate::transport::bind(&ep, &opts)?;
        lock_list(&self.bound).push((endpoint.to_owned(), actual.clone()));
        self.engine.send(Cmd::Listen {
            socket: self.shared.id,
            listener,
            endpoint: actual.clone(),
        });
        Ok(actual)
    }

    /// Connect to `endpoint` (`tcp://host:port`). Returns at once: the
    /// connection is made (and remade after losses, with exponential
    /// backoff) in the background, host names are resolved there too (a
    /// name that does not resolve yet is retried, and reported to the
    /// monitor as `ResolveFailed`), and messages sent meanwhile wait in this
    /// peer's pipe (unless `immediate`).
    ///
    /// DEALER, REQ, PUB and SUB sockets ignore a second `connect` to an
    /// endpoint string they are already connected to, as libzmq does; other
    /// types make a second connection.
    ///
    /// ```
    /// use ferromq::{Context, Error, SocketType};
    /// let ctx = Context::new()?;
    /// let push = ctx.socket(SocketType::Push)?;
    /// push.connect("tcp://localhost:5555")?; // nobody there yet: fine
    /// let err = push.connect("tcp://127.0.0.1:0").unwrap_err();
    /// assert!(matches!(err, Error::InvalidEndpoint { .. }));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        let ep: Endpoint = endpoint.parse()?;
        ep.check_connect()?;
        let mut connected = lock_list(&self.connected);
        if self.ty.single_connect() && connected.iter().any(|(s, _)| s == endpoint) {
            return Ok(());
        }
        let mut st = self.shared.lock();
        let (pipe, preset) = st.connect_pipe()?;
        let wake = self.shared.senders_wake(&st);
        drop(st);
        self.shared.fire(wake);
        connected.push((endpoint.to_owned(), ep.clone()));
        drop(connected);
        if let Endpoint::Inproc { name } = &ep {
            // No engine: joined now, or when the name is bound.
            self.engine
                .inproc()
                .connect(&self.shared, name, pipe, preset);
            return Ok(());
        }
        self.engine.send(Cmd::Connect {
            socket: self.shared.id,
            endpoint: ep,
            pipe,
            preset,
        });
        Ok(())
    }

    fn take_endpoint(list: &List, endpoint: &str) -> Result<Endpoint> {
        let mut l = lock_list(list);
        let pos = l
            .iter()
            .position(|(s, e)| s == endpoint || e.to_string() == endpoint)
            .ok_or_else(|| Error::EndpointNotFound(endpoint.to_owned()))?;
        Ok(l.remove(pos).1)
    }

    fn engine_call(&self, make: impl FnOnce(SyncSender<bool>) -> Cmd) -> bool {
        let (tx, rx) = sync_channel(1);
        self.engine.send(make(tx));
        rx.recv_timeout(ENGINE_REPLY_TIMEOUT).unwrap_or(false)
    }

    /// Stop listening on an endpoint given to (or returned by) [`bind`](Self::bind).
    /// Connections already accepted stay up.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        let ep = Self::take_endpoint(&self.bound, endpoint)?;
        if let Endpoint::Inproc { name } = &ep {
            self.engine.inproc().unbind(self.shared.id, name);
            return Ok(());
        }
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
    /// counted in [`SocketStats::dropped_on_disconnect`](crate::SocketStats::dropped_on_disconnect).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        let ep = Self::take_endpoint(&self.connected, endpoint)?;
        if let Endpoint::Inproc { name } = &ep {
            self.engine.inproc().disconnect(self.shared.id, name);
            return Ok(());
        }
        let socket = self.shared.id;
        self.engine_call(|reply| Cmd::Disconnect {
            socket,
            endpoint: ep,
            reply,
        });
        Ok(())
    }
}
