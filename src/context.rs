//! The context: owner of the I/O thread.

use crate::engine::{self, Cmd, Mailbox};
use crate::error::Result;
use crate::options::Options;
use crate::proto::socket_type::SocketType;
use crate::shared::Shared;
use crate::socket::Socket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Owns the I/O thread that runs every socket's connections.
///
/// Cheap to clone (`Arc` inside), `Send + Sync`. The I/O thread stops when the
/// last clone *and* every socket made from it are gone.
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Context {
    inner: Arc<ContextInner>,
}

#[derive(Debug)]
pub(crate) struct ContextInner {
    pub(crate) mailbox: Arc<Mailbox>,
    thread: Mutex<Option<JoinHandle<()>>>,
    next_id: AtomicU64,
    unsent_on_close: AtomicU64,
}

impl ContextInner {
    /// Count messages a closing socket had to discard.
    pub(crate) fn note_unsent(&self, n: usize) {
        self.unsent_on_close.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        self.mailbox.send(Cmd::Shutdown);
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            // Never join from the engine thread itself.
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Context {
    /// Start a context and its I/O thread.
    pub fn new() -> Result<Context> {
        let (mailbox, thread) = engine::spawn()?;
        Ok(Context {
            inner: Arc::new(ContextInner {
                mailbox,
                thread: Mutex::new(Some(thread)),
                next_id: AtomicU64::new(1),
                unsent_on_close: AtomicU64::new(0),
            }),
        })
    }

    /// Messages that sockets of this context discarded when they were closed
    /// or dropped because linger ran out before they could be written. An
    /// explicit [`Socket::close`] also reports its own share in its
    /// [`CloseReport`](crate::CloseReport).
    pub fn unsent_on_close(&self) -> u64 {
        self.inner.unsent_on_close.load(Ordering::Relaxed)
    }

    /// A socket of type `ty` with default [`Options`].
    pub fn socket(&self, ty: SocketType) -> Result<Socket> {
        self.socket_with(ty, Options::default())
    }

    /// A socket of type `ty` with the given options, checked first.
    ///
    /// ```
    /// use ferromq::{Context, Error, Options, SocketType};
    /// let ctx = Context::new().unwrap();
    /// let err = ctx.socket_with(SocketType::Push, Options::default().with_send_hwm(0));
    /// assert!(matches!(err, Err(Error::InvalidOption { .. })));
    /// ```
    pub fn socket_with(&self, ty: SocketType, opts: Options) -> Result<Socket> {
        opts.validate()?;
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared::new(id, ty, opts));
        self.inner.mailbox.send(Cmd::AddSocket(shared.clone()));
        Ok(Socket::new(shared, self.inner.clone()))
    }
}
