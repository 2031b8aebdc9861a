//! The producer: binds a ROUTER, keeps every message until a consumer
//! acknowledges it.

use super::config::{DeadLetterTarget, ProducerConfig, SendOptions, SubmitError};
use super::core::{CoreStats, ProducerCore};
use super::driver::{watch, Inner};
use super::retry::{random_u64, Backoff};
use super::wire::DeadLetter;
use ferromq::Context;
use ferromq::Endpoint;
use ferromq::Message;
use ferromq::SocketType;
use ferromq::{Error, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The sending end of a reliable queue: binds a ROUTER and keeps every
/// message until a consumer acknowledges it or it is dead-lettered. See the
/// [crate docs](crate) and the [protocol](crate::protocol).
///
/// `Send + Sync`: share it (e.g. in an `Arc`) to submit from many threads.
/// Dropping it (or [`close`](Self::close)) stops its threads and closes the
/// ROUTER, waiting up to its linger time for queued frames to be written.
///
/// It keeps a handle of the [`Context`] it was bound with, so the context
/// stays up for as long as the producer lives even when the application
/// drops its own handles (dropping the last one would shut the context
/// down). [`Context::shutdown`] still stops it.
///
/// ```
/// use ferromq::Context;
/// use ferromq_reliable::{Producer, ProducerConfig, SendOptions, SubmitError};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let cfg = ProducerConfig::default().with_capacity(2);
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg)?;
/// // Consumers connect here (port 0 picked a free port).
/// let endpoint = producer.endpoint().to_string();
/// assert!(endpoint.starts_with("tcp://127.0.0.1:"));
/// // Messages wait for a consumer; ids count up from 0.
/// assert_eq!(producer.send("now")?, 0);
/// let later = SendOptions::delay(Duration::from_secs(60));
/// assert_eq!(producer.try_send_with("in a minute", later)?, 1);
/// let stats = producer.stats();
/// assert_eq!((stats.pending, stats.delayed), (1, 1));
/// // At capacity: busy, and the message is handed back.
/// match producer.try_send("one too many") {
///     Err(SubmitError::Busy(m)) => assert_eq!(m.frames()[0], "one too many"),
///     other => panic!("expected Busy, got {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Producer {
    inner: Arc<Inner>,
    endpoint: Endpoint,
    driver: Option<JoinHandle<()>>,
    watch_stop: Arc<AtomicBool>,
    /// A handle of the context the sockets were made from: dropping its
    /// last handle shuts it down (and every socket with it), so the
    /// producer keeps one for as long as it lives. Declared last: dropped
    /// after the sockets are closed.
    _ctx: Context,
}

/// Where the producer's own waker connects: the bound endpoint, with an
/// unspecified address replaced by loopback.
fn loopback(ep: &Endpoint) -> String {
    match ep {
        Endpoint::Tcp { host, port } => {
            let ip = match host.parse::<IpAddr>() {
                Ok(IpAddr::V4(v4)) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                Ok(IpAddr::V6(v6)) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                Ok(ip) => ip,
                Err(_) if host == "*" => IpAddr::V4(Ipv4Addr::LOCALHOST),
                Err(_) => return format!("tcp://{host}:{port}"),
            };
            format!("tcp://{}", SocketAddr::new(ip, *port))
        }
        #[allow(unreachable_patterns)] // Endpoint is non-exhaustive
        other => other.to_string(),
    }
}

impl Producer {
    /// Bind a producer on `endpoint` (port 0 picks a free port; see
    /// [`endpoint`](Self::endpoint)).
    ///
    /// `cfg` is checked first ([`ProducerConfig::validate`]): a value out
    /// of range is an [`Error::InvalidOption`] naming it, and nothing is
    /// bound.
    pub fn bind(ctx: &Context, endpoint: &str, cfg: ProducerConfig) -> Result<Producer> {
        cfg.validate()?;
        let router = ctx.socket_with(SocketType::Router, cfg.router_options())?;
        let mon = router.monitor();
        let bound = router.bind(endpoint)?;
        let waker = Arc::new(ctx.socket(SocketType::Dealer)?);
        waker.connect(&loopback(&bound))?;
        let dlq = match &cfg.dead_letters {
            DeadLetterTarget::Endpoint(e) => {
                let push = ctx.socket(SocketType::Push)?;
                push.connect(e)?;
                Some(push)
            }
            _ => None,
        };
        let epoch = random_u64() | 1;
        let core = ProducerCore::new(cfg.core.clone(), epoch);
        let probe = Arc::new(AtomicBool::new(false));
        let inner = Arc::new(Inner::new(
            router,
            waker.clone(),
            dlq,
            core,
            cfg.confirmations,
            probe.clone(),
        ));
        let watch_stop = Arc::new(AtomicBool::new(false));
        let stop = watch_stop.clone();
        std::thread::Builder::new()
            .name("fmqr-watch".into())
            .spawn(move || watch(mon, waker, probe, stop))?;
        let runner = inner.clone();
        let driver = std::thread::Builder::new()
            .name("fmqr-producer".into())
            .spawn(move || runner.drive())?;
        Ok(Producer {
            inner,
            endpoint: bound,
            driver: Some(driver),
            watch_stop,
            _ctx: ctx.clone(),
        })
    }

    /// The endpoint bound, with the real port.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// This producer instance's epoch (random; on the wire in every delivery).
    pub fn epoch(&self) -> u64 {
        self.inner.lock().core.epoch()
    }

    fn submit(
        &self,
        mut msg: Message,
        opts: SendOptions,
        deadline: Option<Option<Instant>>,
    ) -> Result<u64, SubmitError> {
        if let Err((option, reason)) = opts.check(Instant::now()) {
            return Err(SubmitError::InvalidOption {
                option,
                reason,
                message: msg,
            });
        }
        let mut st = self.inner.lock();
        loop {
            if st.stop || st.core.is_finishing() {
                return Err(SubmitError::Closed(msg));
            }
            let now = Instant::now();
            match st.core.submit(msg, opts.due(now), now) {
                Ok(id) => {
                    self.inner.pump(&mut st, now, false);
                    return Ok(id);
                }
                Err(m) => msg = m,
            }
            match deadline {
                None => return Err(SubmitError::Busy(msg)),
                Some(Some(d)) if now >= d => return Err(SubmitError::TimedOut(msg)),
                Some(d) => st = self.inner.wait(st, d),
            }
        }
    }

    /// Queue a message without waiting: [`SubmitError::Busy`] (message handed
    /// back) when the queue is at capacity. Returns the message's id.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<u64, SubmitError> {
        self.submit(msg.into(), SendOptions::default(), None)
    }

    /// [`try_send`](Self::try_send) with a delay or delivery time. A delay
    /// or time out of range ([`SendOptions::validate`]) is refused with
    /// [`SubmitError::InvalidOption`], the message handed back; so in every
    /// `*_with` send and in [`send_retry`](Self::send_retry).
    pub fn try_send_with(
        &self,
        msg: impl Into<Message>,
        opts: SendOptions,
    ) -> Result<u64, SubmitError> {
        self.submit(msg.into(), opts, None)
    }

    /// Queue a message, waiting as long as it takes for room.
    pub fn send(&self, msg: impl Into<Message>) -> Result<u64, SubmitError> {
        self.submit(msg.into(), SendOptions::default(), Some(None))
    }

    /// Queue a message, waiting at most `timeout` for room
    /// ([`SubmitError::TimedOut`] hands it back).
    pub fn send_timeout(
        &self,
        msg: impl Into<Message>,
        timeout: Duration,
    ) -> Result<u64, SubmitError> {
        self.send_timeout_with(msg, SendOptions::default(), timeout)
    }

    /// [`send_timeout`](Self::send_timeout) with a delay or delivery time.
    pub fn send_timeout_with(
        &self,
        msg: impl Into<Message>,
        opts: SendOptions,
        timeout: Duration,
    ) -> Result<u64, SubmitError> {
        let deadline = Instant::now().checked_add(timeout);
        self.submit(msg.into(), opts, Some(deadline))
    }

    /// [`try_send_with`](Self::try_send_with), retried with `backoff`
    /// (sleeping between attempts) while the queue is busy.
    pub fn send_retry(
        &self,
        msg: impl Into<Message>,
        opts: SendOptions,
        backoff: &Backoff,
    ) -> Result<u64, SubmitError> {
        let mut msg = msg.into();
        for delay in backoff.delays() {
            match self.try_send_with(msg, opts) {
                Err(SubmitError::Busy(m)) => msg = m,
                done => return done,
            }
            std::thread::sleep(delay);
        }
        self.try_send_with(msg, opts)
    }

    /// The next acknowledged id, waiting at most `timeout`. Needs
    /// [`ProducerConfig::confirmations`]; each id is reported once.
    ///
    /// Errors: [`Error::TimedOut`]; [`Error::Terminated`] once the context
    /// was shut down and every report that came before was taken (the
    /// same holds for the other `recv_*` methods and
    /// [`wait_for`](Self::wait_for), which then returns false).
    pub fn recv_confirmation(&self, timeout: Duration) -> Result<u64> {
        self.take(timeout, |st| st.confirmed.pop_front())
    }

    /// Every acknowledged id reported so far (at least one), waiting at most
    /// `timeout` for the first.
    pub fn recv_confirmations(&self, timeout: Duration) -> Result<Vec<u64>> {
        self.take(timeout, |st| {
            (!st.confirmed.is_empty()).then(|| st.confirmed.drain(..).collect())
        })
    }

    /// The next dead letter from the local queue, waiting at most `timeout`.
    pub fn recv_dead_letter(&self, timeout: Duration) -> Result<DeadLetter> {
        self.take(timeout, |st| st.dead.pop_front())
    }

    fn take<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&mut super::driver::St) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.inner.lock();
        loop {
            if let Some(v) = f(&mut st) {
                return Ok(v);
            }
            if st.stop {
                // The driver stopped: nothing more will come.
                return Err(if st.terminated {
                    Error::Terminated
                } else {
                    Error::Closed
                });
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::TimedOut);
            }
            st = self.inner.wait(st, deadline);
        }
    }

    /// Wait until `pred` holds for the queue's counters, at most `timeout`;
    /// returns whether it held.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&CoreStats) -> bool) -> bool {
        self.take(timeout, |st| pred(&st.core.stats()).then_some(()))
            .is_ok()
    }

    /// The queue's counters.
    pub fn stats(&self) -> CoreStats {
        self.inner.lock().core.stats()
    }

    /// Unacknowledged messages consumer `routing_id` holds, if it is known.
    pub fn held_by(&self, routing_id: &[u8]) -> Option<u32> {
        let id = bytes::Bytes::copy_from_slice(routing_id);
        self.inner.lock().core.held(&id)
    }

    /// Poison pill: take no more messages; once every message held is
    /// acknowledged or dead-lettered, send every consumer (and any that
    /// connects later, while this producer lives) `EOF`.
    pub fn finish(&self) {
        let mut st = self.inner.lock();
        st.core.finish();
        self.inner.pump(&mut st, Instant::now(), false);
    }

    /// Stop the threads and close the socket (see the type's docs).
    pub fn close(self) {}
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.inner.lock().stop = true;
        self.watch_stop.store(true, Ordering::Release);
        self.inner.wake();
        if let Some(d) = self.driver.take() {
            let _ = d.join();
        }
    }
}
