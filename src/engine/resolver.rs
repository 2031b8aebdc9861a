//! Host-name resolution off the engine thread: `connect` never waits on DNS,
//! and a name that does not resolve yet is retried with the reconnect
//! backoff (libzmq resolves at each connection attempt too).

use super::{Cmd, Mailbox};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// One lookup: which connecter asked, and for what.
struct Request {
    connecter: usize,
    gen: u64,
    host: String,
    port: u16,
}

/// A resolver thread, started on first use; it stops when the engine drops
/// this handle (its request channel closes).
pub(super) struct Resolver {
    tx: Sender<Request>,
}

impl Resolver {
    /// Start the thread; answers come back through `mailbox` as
    /// [`Cmd::Resolved`].
    pub(super) fn start(mailbox: Arc<Mailbox>) -> std::io::Result<Resolver> {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("ferromq-resolve".into())
            .spawn(move || {
                for r in rx {
                    let result = resolve(&r.host, r.port);
                    mailbox.send(Cmd::Resolved {
                        connecter: r.connecter,
                        gen: r.gen,
                        result,
                    });
                }
            })?;
        Ok(Resolver { tx })
    }

    /// Ask for `host:port`; false if the thread is gone.
    pub(super) fn request(&self, connecter: usize, gen: u64, host: &str, port: u16) -> bool {
        self.tx
            .send(Request {
                connecter,
                gen,
                host: host.to_owned(),
                port,
            })
            .is_ok()
    }
}

/// An address of `host:port`: the first IPv4 one (as libzmq without
/// `ZMQ_IPV6`), else the first, or why there is none.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    #[cfg(test)]
    if host == tests::LATER {
        return tests::later(port);
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let all: Vec<SocketAddr> = addrs.collect();
            all.iter()
                .find(|a| a.is_ipv4())
                .or_else(|| all.first())
                .copied()
                .ok_or_else(|| format!("{host} has no addresses"))
        }
        Err(e) => Err(format!("{host} does not resolve: {e}")),
    }
}

#[cfg(test)]
mod tests {
    //! A name that starts resolving while a socket keeps trying: the one
    //! lookup replaced is this test's own name, everything else is the real
    //! engine path (monitor events, backoff, connect, delivery).
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::{Context, MonitorEvent, Options, SocketType};
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    pub(super) const LATER: &str = "resolves-later.test";
    static KNOWN: AtomicBool = AtomicBool::new(false);

    pub(super) fn later(port: u16) -> Result<SocketAddr, String> {
        if KNOWN.load(Ordering::SeqCst) {
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        } else {
            Err(format!("{LATER} does not resolve (yet)"))
        }
    }

    #[test]
    fn a_name_that_resolves_later_connects() {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        let port = pull.bind("tcp://127.0.0.1:0").unwrap().port().unwrap();
        let push = ctx
            .socket_with(
                SocketType::Push,
                Options::default()
                    .with_reconnect(Duration::from_millis(10), Duration::from_millis(40)),
            )
            .unwrap();
        let mon = push.monitor();
        push.connect(&format!("tcp://{LATER}:{port}")).unwrap();
        push.send("queued before the name resolved").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut failed = 0;
        while failed < 3 {
            let left = deadline.saturating_duration_since(Instant::now());
            if let MonitorEvent::ResolveFailed { .. } = mon.recv_timeout(left).unwrap() {
                failed += 1;
            }
        }
        KNOWN.store(true, Ordering::SeqCst);
        let m = pull.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(m.frames()[0], "queued before the name resolved");
    }
}
