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

/// The first address of `host:port`, or why there is none.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    match (host, port).to_socket_addrs() {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("{host} has no addresses")),
        Err(e) => Err(format!("{host} does not resolve: {e}")),
    }
}
