//! The consumer: connects a DEALER with a fresh random routing id, declares
//! its credit, filters duplicates, acknowledges.

use super::clock::later;
use super::config::ConsumerConfig;
use super::dedup::{DedupWindow, Seen};
use super::retry::random_u64;
use super::wire::{Downstream, Upstream};
use bytes::Bytes;
use ferromq::Context;
use ferromq::Message;
use ferromq::Socket;
use ferromq::SocketType;
use ferromq::{Error, Result};
use ferromq::{Monitor, MonitorEvent};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

/// One delivery of a message, from [`Consumer::recv`] and its variants.
/// Acknowledge it ([`Consumer::ack`]) once processed, or reject it
/// ([`Consumer::nack`]).
///
/// ```
/// # use ferromq::Context;
/// # use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
/// # use std::time::Duration;
/// # let ctx = Context::new()?;
/// # let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", ProducerConfig::default())?;
/// # let ep = producer.endpoint().to_string();
/// # let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// producer.send(ferromq::Message::multipart(["order", "17"]))?;
/// let d = consumer.recv_timeout(Duration::from_secs(10))?;
/// assert_eq!(d.id, 0);
/// assert_eq!(d.delivery_count, 1); // more: a redelivery
/// assert_eq!(d.body.frames(), ["order", "17"]);
/// assert_eq!(d.epoch(), producer.epoch());
/// consumer.ack(&d)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message id (unique per producer instance).
    pub id: u64,
    /// 1 on first delivery; more means this is a redelivery (after an ack
    /// timeout, a lost consumer, or a nack).
    pub delivery_count: u32,
    /// The message.
    pub body: Message,
    epoch: u64,
}

impl Delivery {
    /// The producer instance (epoch) that sent it.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// A consumer's counters, from [`Consumer::stats`].
///
/// ```
/// # use ferromq::Context;
/// # use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
/// # use std::time::Duration;
/// # let ctx = Context::new()?;
/// # let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", ProducerConfig::default())?;
/// # let ep = producer.endpoint().to_string();
/// # let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// producer.send("job")?;
/// let d = consumer.recv_timeout(Duration::from_secs(10))?;
/// consumer.ack(&d)?;
/// let s = consumer.stats();
/// assert_eq!((s.delivered, s.acked, s.nacked, s.duplicates_dropped), (1, 1, 0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Deliveries handed to the application.
    pub delivered: u64,
    /// Deliveries dropped as duplicates by the window.
    pub duplicates_dropped: u64,
    /// Messages acknowledged.
    pub acked: u64,
    /// Messages rejected.
    pub nacked: u64,
    /// Malformed messages received and ignored.
    pub protocol_errors: u64,
}

#[derive(Debug)]
struct CSt {
    dedup: DedupWindow,
    ended: bool,
    stats: ConsumerStats,
}

#[derive(Debug)]
struct CInner {
    dealer: Socket,
    cfg: ConsumerConfig,
    st: Mutex<CSt>,
    /// A handle of the context the socket was made from: dropping its last
    /// handle shuts it down (and the socket with it), so the consumer keeps
    /// one for as long as it lives. Declared after `dealer`: dropped after
    /// the socket is closed.
    _ctx: Context,
}

impl CInner {
    fn lock(&self) -> MutexGuard<'_, CSt> {
        self.st.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Announce credit (also the heartbeat). Dropped if the pipe is full:
    /// the next one follows within a heartbeat.
    fn send_ready(&self) {
        let heartbeat_ms = u32::try_from(self.cfg.heartbeat.as_millis()).unwrap_or(u32::MAX);
        let ready = Upstream::Ready {
            credit: self.cfg.prefetch,
            heartbeat_ms,
        };
        let _ = self.dealer.try_send(ready.encode());
    }

    fn send(&self, up: &Upstream) -> Result<()> {
        self.dealer
            .send_timeout(up.encode(), self.cfg.ack_send_timeout)
            .map_err(Error::from)
    }
}

/// The receiving end of a reliable queue: connects a DEALER to a
/// [`Producer`](crate::Producer), receives [`Delivery`]s up to its credit
/// ([`ConsumerConfig::prefetch`]) and acknowledges them. See the
/// [crate docs](crate) and the [protocol](crate::protocol).
///
/// `Send + Sync`. A background thread repeats `READY` every heartbeat
/// interval and right after each (re)connection, until the pill arrives.
///
/// It keeps a handle of the [`Context`] it was connected with, so the
/// context stays up for as long as the consumer lives even when the
/// application drops its own handles (dropping the last one would shut the
/// context down). [`Context::shutdown`] still stops it: receiving then
/// fails with [`Error::Terminated`].
///
/// A worker: acknowledge what it processed, reject what it cannot, stop at
/// the producer's pill. (The producer usually lives in another process;
/// only the endpoint is shared.)
///
/// ```
/// use ferromq::{Context, Error};
/// use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
/// use std::time::Duration;
/// let ctx = Context::new()?;
/// let cfg = ProducerConfig::default().with_max_deliveries(2);
/// let producer = Producer::bind(&ctx, "tcp://127.0.0.1:0", cfg)?;
/// for job in ["1", "x", "3"] {
///     producer.send(job)?;
/// }
/// producer.finish(); // the pill, once every message is settled
///
/// let ep = producer.endpoint().to_string();
/// let consumer = Consumer::connect(&ctx, &ep, ConsumerConfig::default())?;
/// let mut sum = 0;
/// loop {
///     let d = match consumer.recv_timeout(Duration::from_secs(10)) {
///         Ok(d) => d,
///         Err(Error::EndOfStream) => break,
///         Err(e) => return Err(e.into()),
///     };
///     let text = d.body.first().and_then(|f| std::str::from_utf8(f).ok());
///     match text.and_then(|t| t.parse::<u32>().ok()) {
///         Some(n) => {
///             sum += n;
///             consumer.ack(&d)?;
///         }
///         None => consumer.nack(&d, "not a number")?,
///     }
/// }
/// assert_eq!(sum, 4);
/// // "x" was rejected twice (max_deliveries) and set aside.
/// let dead = producer.recv_dead_letter(Duration::from_secs(10))?;
/// assert_eq!((dead.reason.as_str(), dead.delivery_count), ("nack: not a number", 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Consumer {
    inner: Arc<CInner>,
    routing_id: Bytes,
}

/// How long a receive may wait.
#[derive(Debug, Clone, Copy)]
enum Wait {
    /// Not at all.
    Now,
    /// Until this instant.
    Until(Instant),
    /// Without limit.
    Forever,
}

impl Consumer {
    /// Connect to a producer at `endpoint` (reconnecting as needed).
    ///
    /// `cfg` is checked first ([`ConsumerConfig::validate`]): a value out
    /// of range is an [`Error::InvalidOption`] naming it, and nothing is
    /// connected.
    pub fn connect(ctx: &Context, endpoint: &str, cfg: ConsumerConfig) -> Result<Consumer> {
        cfg.validate()?;
        let routing_id = Bytes::from(format!("fmqr-{:016x}", random_u64()));
        let opts = cfg.dealer_options(routing_id.clone());
        let dealer = ctx.socket_with(SocketType::Dealer, opts)?;
        let mon = dealer.monitor();
        dealer.connect(endpoint)?;
        let st = CSt {
            dedup: DedupWindow::new(cfg.dedup_capacity, cfg.dedup_ttl),
            ended: false,
            stats: ConsumerStats::default(),
        };
        let inner = Arc::new(CInner {
            dealer,
            cfg,
            st: Mutex::new(st),
            _ctx: ctx.clone(),
        });
        inner.send_ready();
        let weak = Arc::downgrade(&inner);
        let hb = inner.cfg.heartbeat;
        std::thread::Builder::new()
            .name("fmqr-consumer".into())
            .spawn(move || heartbeat(weak, mon, hb))?;
        Ok(Consumer { inner, routing_id })
    }

    /// This consumer's routing id (random, fresh per instance).
    pub fn routing_id(&self) -> &[u8] {
        &self.routing_id
    }

    /// The next delivery, blocking. After the producer's pill, once what
    /// came before it is received: [`Error::EndOfStream`].
    pub fn recv(&self) -> Result<Delivery> {
        self.next(Wait::Forever)
    }

    /// The next delivery, waiting at most `timeout` ([`Error::TimedOut`]).
    /// Any duration is fine: one too large to add to now (such as
    /// `Duration::MAX`) waits without limit, like [`recv`](Self::recv).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Delivery> {
        self.next(
            Instant::now()
                .checked_add(timeout)
                .map_or(Wait::Forever, Wait::Until),
        )
    }

    /// The next delivery if one is queued ([`Error::WouldBlock`] otherwise).
    pub fn try_recv(&self) -> Result<Delivery> {
        self.next(Wait::Now)
    }

    fn next(&self, wait: Wait) -> Result<Delivery> {
        loop {
            if self.inner.lock().ended {
                return Err(Error::EndOfStream);
            }
            let m = match wait {
                Wait::Now => self.inner.dealer.try_recv()?,
                Wait::Until(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    self.inner.dealer.recv_timeout(left)?
                }
                Wait::Forever => self.inner.dealer.recv()?,
            };
            let mut st = self.inner.lock();
            match Downstream::decode(m) {
                Ok(Downstream::Msg {
                    epoch,
                    id,
                    delivery_count,
                    body,
                }) => match st.dedup.check((epoch, id), Instant::now()) {
                    Seen::New => {
                        st.dedup.hold((epoch, id));
                        st.stats.delivered += 1;
                        return Ok(Delivery {
                            id,
                            delivery_count,
                            body,
                            epoch,
                        });
                    }
                    Seen::Held => st.stats.duplicates_dropped += 1,
                    Seen::Done => {
                        st.stats.duplicates_dropped += 1;
                        drop(st);
                        // Best effort: if this ack is lost too, the producer
                        // redelivers and we end up here again.
                        let ids = vec![id];
                        let _ = self.inner.send(&Upstream::Ack { epoch, ids });
                    }
                },
                Ok(Downstream::Eof { .. }) => {
                    st.ended = true;
                    return Err(Error::EndOfStream);
                }
                Ok(Downstream::Heartbeat) => {}
                Err(_) => st.stats.protocol_errors += 1,
            }
        }
    }

    /// Acknowledge a delivery: processing is done. This returns credit to
    /// the producer and enters the id in the duplicate window. An error means
    /// the ack could not be queued in time; the message will come back and
    /// the window will drop it (and ack again).
    pub fn ack(&self, d: &Delivery) -> Result<()> {
        self.ack_many([d])
    }

    /// Acknowledge several deliveries in one message per producer epoch.
    pub fn ack_many<'a>(&self, ds: impl IntoIterator<Item = &'a Delivery>) -> Result<()> {
        let now = Instant::now();
        let mut by_epoch: Vec<(u64, Vec<u64>)> = Vec::new();
        {
            let mut st = self.inner.lock();
            for d in ds {
                st.dedup.complete((d.epoch, d.id), now);
                st.stats.acked += 1;
                match by_epoch.iter_mut().find(|(e, _)| *e == d.epoch) {
                    Some((_, ids)) => ids.push(d.id),
                    None => by_epoch.push((d.epoch, vec![d.id])),
                }
            }
        }
        for (epoch, ids) in by_epoch {
            self.inner.send(&Upstream::Ack { epoch, ids })?;
        }
        Ok(())
    }

    /// Reject a delivery: the producer redelivers it (to any consumer), or
    /// dead-letters it once it has been delivered `max_deliveries` times,
    /// recording `reason`.
    pub fn nack(&self, d: &Delivery, reason: &str) -> Result<()> {
        {
            let mut st = self.inner.lock();
            st.dedup.release((d.epoch, d.id));
            st.stats.nacked += 1;
        }
        self.inner.send(&Upstream::Nack {
            epoch: d.epoch,
            id: d.id,
            reason: reason.to_owned(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> ConsumerStats {
        self.inner.lock().stats
    }

    /// Close the socket now, waiting up to its linger time for queued acks
    /// to be written. (Dropping the consumer closes it too, but its
    /// heartbeat thread may be the one to finish that, a moment later.)
    pub fn close(self) {
        self.inner.dealer.close();
    }
}

/// The heartbeat thread: `READY` on every (re)connection and every
/// `interval`; stops once the consumer is dropped or has had the pill.
fn heartbeat(weak: Weak<CInner>, mon: Monitor, interval: Duration) {
    let mut next = later(Instant::now(), interval);
    loop {
        let ev = mon.recv_timeout(next.saturating_duration_since(Instant::now()));
        let Some(inner) = weak.upgrade() else { return };
        if inner.lock().ended {
            return;
        }
        if let Ok(MonitorEvent::HandshakeSucceeded { .. }) = ev {
            inner.send_ready();
        }
        let now = Instant::now();
        if now >= next {
            inner.send_ready();
            next = later(now, interval);
        }
    }
}
