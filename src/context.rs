//! The context: the handle applications make sockets from.

use crate::engine;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::proto::socket_type::SocketType;
use crate::socket::Socket;
use crate::state::shared::Shared;
use std::sync::Arc;

/// Makes sockets, and owns the I/O thread that runs their connections.
///
/// Cheap to clone (`Arc` inside), `Send + Sync`. [`shutdown`](Self::shutdown)
/// — or dropping the last clone — shuts every socket made from it down, as
/// libzmq's `zmq_ctx_term` does: blocked calls return
/// [`Error::Terminated`] at once, and so does every later call. Sockets
/// still close as usual (flushing for up to their linger time) when they
/// are closed or dropped; the I/O thread stops when the last of them is
/// gone. So keep the `Context` alive as long as you use its sockets.
///
/// ```
/// use ferromq::{Context, SocketType};
/// let ctx = Context::new()?;
/// let pull = ctx.socket(SocketType::Pull)?;
/// let endpoint = pull.bind("tcp://127.0.0.1:0")?; // the real port
/// let push = ctx.socket(SocketType::Push)?;
/// push.connect(&endpoint.to_string())?;
/// push.send("hello")?;
/// assert_eq!(pull.recv()?.frames()[0], "hello");
/// # Ok::<(), ferromq::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Context {
    owner: Arc<Owner>,
}

/// Shared by the clones of one `Context`; its drop shuts the context down.
#[derive(Debug)]
struct Owner {
    engine: engine::Handle,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.engine.terminate();
    }
}

impl Context {
    /// Start a context and its I/O thread.
    pub fn new() -> Result<Context> {
        Ok(Context {
            owner: Arc::new(Owner {
                engine: engine::Handle::spawn()?,
            }),
        })
    }

    /// Messages that sockets of this context discarded when they were closed
    /// or dropped because linger ran out before they could be written. An
    /// explicit [`Socket::close`] also reports its own share in its
    /// [`CloseReport`](crate::CloseReport).
    pub fn unsent_on_close(&self) -> u64 {
        self.owner.engine.unsent_on_close()
    }

    /// A socket of type `ty` with default [`Options`].
    pub fn socket(&self, ty: SocketType) -> Result<Socket> {
        self.socket_with(ty, Options::default())
    }

    /// A socket of type `ty` with the given options, checked first
    /// ([`Options::validate_for`]).
    ///
    /// ```
    /// use ferromq::{Context, Error, Options, SocketType};
    /// let ctx = Context::new().unwrap();
    /// let err = ctx.socket_with(SocketType::Push, Options::default().with_send_hwm(0));
    /// assert!(matches!(err, Err(Error::InvalidOption { .. })));
    /// ```
    pub fn socket_with(&self, ty: SocketType, opts: Options) -> Result<Socket> {
        opts.validate_for(ty)?;
        let engine = &self.owner.engine;
        if engine.is_terminated() {
            return Err(Error::Terminated);
        }
        let id = engine.next_socket_id();
        let seed = crate::random::random_u32();
        let shared = Arc::new(Shared::new(id, ty, opts, seed));
        engine.register(&shared)?;
        Ok(Socket::new(shared, engine.clone(), ty))
    }

    /// Shut every socket of this context down: each blocked `send`, `recv`
    /// or [`Poller::wait`](crate::Poller::wait) returns at once (with
    /// [`Error::Terminated`], or for the poller with the socket reported
    /// ready), later calls fail with it, and new sockets cannot be made.
    /// Closing or dropping the sockets still flushes what they queued,
    /// within their linger time. Dropping the last clone of the context
    /// does the same.
    ///
    /// ```
    /// use ferromq::{Context, Error, SocketType};
    /// let ctx = Context::new()?;
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let waiter = std::thread::spawn(move || pull.recv());
    /// ctx.shutdown();
    /// assert!(matches!(waiter.join().unwrap(), Err(Error::Terminated)));
    /// assert!(matches!(ctx.socket(SocketType::Push), Err(Error::Terminated)));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.owner.engine.terminate();
    }
}
