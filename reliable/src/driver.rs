//! The producer's I/O around [`ProducerCore`]: one ROUTER socket, the
//! receive-and-timer thread, and the monitor thread that spots lost
//! consumers early.
//!
//! Threads: application threads submit and dispatch under the state lock;
//! the *driver* thread blocks in `recv_timeout` until the core's next
//! deadline (or in `recv` when there is none) and handles acks, nacks,
//! `READY`s and timers; the *watch* thread blocks on the ROUTER's monitor
//! and, when a connection drops, asks the driver to probe which consumer
//! left. A caller that creates an earlier deadline than the one the driver
//! sleeps towards wakes it with a `WAKE` message from a DEALER connected
//! to the producer's own endpoint — so nothing polls.

use super::core::{Dispatch, Event, ProducerCore};
use super::wire::{DeadLetter, Downstream, Malformed, Upstream};
use ferromq::Error;
use ferromq::Message;
use ferromq::Socket;
use ferromq::{Monitor, MonitorEvent};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most messages handled per lock of the state.
const BATCH: usize = 256;
/// After a disconnect, probe once more this much later: the ROUTER may
/// still have listed the peer when the monitor event arrived.
const REPROBE: Duration = Duration::from_millis(50);
/// Longest the driver sleeps when nothing is due.
const DRIVER_IDLE: Duration = Duration::from_secs(60);
/// The watch thread re-checks its stop flag this often when idle.
const WATCH_IDLE: Duration = Duration::from_secs(60);

/// Mutable state, under [`Inner::st`].
#[derive(Debug)]
pub(super) struct St {
    pub(super) core: ProducerCore,
    /// When the driver will wake by itself (`None`: only for a message).
    armed: Option<Instant>,
    /// Take no more messages: the producer is being dropped, or its
    /// driver stopped because the socket failed.
    pub(super) stop: bool,
    /// The driver stopped because the context was shut down.
    pub(super) terminated: bool,
    pub(super) confirmed: VecDeque<u64>,
    pub(super) dead: VecDeque<DeadLetter>,
    /// Threads waiting on `changed`.
    pub(super) waiters: usize,
}

/// Everything the producer's threads share.
#[derive(Debug)]
pub(super) struct Inner {
    pub(super) router: Socket,
    pub(super) waker: Arc<Socket>,
    pub(super) dlq: Option<Socket>,
    pub(super) st: Mutex<St>,
    /// Signalled (when someone waits) after anything changes.
    pub(super) changed: Condvar,
    pub(super) confirmations: bool,
    /// Set by the watch thread: a connection dropped; probe consumers.
    pub(super) probe: Arc<AtomicBool>,
}

impl Inner {
    pub(super) fn new(
        router: Socket,
        waker: Arc<Socket>,
        dlq: Option<Socket>,
        core: ProducerCore,
        confirmations: bool,
        probe: Arc<AtomicBool>,
    ) -> Inner {
        let st = St {
            core,
            armed: None,
            stop: false,
            terminated: false,
            confirmed: VecDeque::new(),
            dead: VecDeque::new(),
            waiters: 0,
        };
        Inner {
            router,
            waker,
            dlq,
            st: Mutex::new(st),
            changed: Condvar::new(),
            confirmations,
            probe,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wait on `changed` until `deadline` (`None`: without limit).
    pub(super) fn wait<'a>(
        &'a self,
        mut st: MutexGuard<'a, St>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, St> {
        st.waiters += 1;
        let mut st = match deadline {
            None => self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                self.changed
                    .wait_timeout(st, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
        st.waiters -= 1;
        st
    }

    /// Send what the core decided, report what it settled, wake waiters,
    /// and (unless called by the driver itself) wake the driver when its
    /// next deadline moved earlier.
    pub(super) fn pump(&self, st: &mut St, now: Instant, from_driver: bool) {
        let epoch = st.core.epoch();
        while let Some(d) = st.core.next_dispatch(now) {
            match d {
                Dispatch::Msg {
                    consumer,
                    id,
                    delivery_count,
                    body,
                } => {
                    let m = Downstream::Msg {
                        epoch,
                        id,
                        delivery_count,
                        body,
                    }
                    .encode(Some(&consumer));
                    if let Err(e) = self.router.try_send(m) {
                        let gone = matches!(e.error, Error::HostUnreachable);
                        st.core.send_failed(&consumer, id, gone);
                    }
                }
                Dispatch::Eof { consumer } => {
                    // A lost pill is repeated if the consumer comes back.
                    let _ = self
                        .router
                        .try_send(Downstream::Eof { epoch }.encode(Some(&consumer)));
                }
            }
        }
        while let Some(ev) = st.core.take_event() {
            match ev {
                Event::Acked(id) if self.confirmations => st.confirmed.push_back(id),
                Event::Acked(_) => {}
                Event::DeadLettered(d) => {
                    let sent = self
                        .dlq
                        .as_ref()
                        .is_some_and(|s| s.try_send(d.encode()).is_ok());
                    if !sent {
                        st.dead.push_back(d);
                    }
                }
            }
        }
        if st.waiters > 0 {
            self.changed.notify_all();
        }
        if !from_driver {
            let next = st.core.next_deadline();
            let earlier = match (next, st.armed) {
                (Some(n), Some(a)) => n < a,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if earlier {
                st.armed = next;
                self.wake();
            }
        }
    }

    /// Make the driver recompute its deadline now. A full waker pipe means
    /// wake-ups are already queued.
    pub(super) fn wake(&self) {
        let _ = self.waker.try_send(Upstream::Wake.encode());
    }

    /// Handle one message from a consumer (`[routing id, FMQR frames…]`).
    fn handle(&self, st: &mut St, msg: &Message, now: Instant) {
        let Some((rid, frames)) = msg.frames().split_first() else {
            return;
        };
        let epoch = st.core.epoch();
        match Upstream::decode(frames) {
            Ok(Upstream::Ready {
                credit,
                heartbeat_ms,
            }) => {
                let hb = Duration::from_millis(u64::from(heartbeat_ms));
                st.core.on_ready(rid, credit, hb, now);
            }
            Ok(Upstream::Ack { epoch: e, ids }) if e == epoch => {
                for id in ids {
                    st.core.on_ack(rid, id, now);
                }
            }
            Ok(Upstream::Nack {
                epoch: e,
                id,
                reason,
            }) if e == epoch => {
                st.core.on_nack(rid, id, &reason, now);
            }
            Ok(Upstream::Wake) => {}
            // Another epoch's ack, or a verb from a newer protocol revision.
            Ok(_) | Err(Malformed::UnknownVerb) => st.core.on_seen(rid, now),
            Err(_) => st.core.on_malformed(),
        }
    }

    /// Find consumers whose connection is gone: with `router_mandatory`, a
    /// send to a routing id the ROUTER no longer has fails at once.
    fn probe_consumers(&self, st: &mut St) {
        for c in st.core.consumers() {
            let hb = Downstream::Heartbeat.encode(Some(&c));
            if let Err(e) = self.router.try_send(hb) {
                if matches!(e.error, Error::HostUnreachable) {
                    st.core.on_consumer_gone(&c);
                }
            }
        }
    }

    /// The driver thread: receive, apply timers, dispatch; until stopped or
    /// the socket fails.
    pub(super) fn drive(&self) {
        let mut batch: Vec<Message> = Vec::with_capacity(BATCH);
        loop {
            let timeout = {
                let mut st = self.lock();
                let now = Instant::now();
                for m in batch.drain(..) {
                    self.handle(&mut st, &m, now);
                }
                if st.stop {
                    break;
                }
                if self.probe.swap(false, Ordering::AcqRel) {
                    self.probe_consumers(&mut st);
                }
                st.core.on_tick(now);
                self.pump(&mut st, now, true);
                let next = st.core.next_deadline();
                st.armed = next;
                next.map(|t| t.saturating_duration_since(now))
            };
            // With no deadline the driver waits for a message (a `WAKE` at
            // the latest); the idle bound only limits the damage should a
            // wake-up ever be lost.
            let first = self.router.recv_timeout(timeout.unwrap_or(DRIVER_IDLE));
            match first {
                Ok(m) => batch.push(m),
                Err(Error::TimedOut | Error::WouldBlock) => continue,
                Err(e) => {
                    // The socket failed: its context was shut down. Nothing
                    // will be delivered or acknowledged any more.
                    let mut st = self.lock();
                    st.stop = true;
                    st.terminated = matches!(e, Error::Terminated);
                    break;
                }
            }
            while batch.len() < BATCH {
                match self.router.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
        }
        // Release every thread waiting for room or for a report: with
        // `stop` set they return at once.
        self.changed.notify_all();
    }
}

/// The watch thread: on each dropped connection, ask the driver to probe
/// consumers — now and once more [`REPROBE`] later. Ends when the ROUTER's
/// listener closes or `stop` is set.
pub(super) fn watch(
    mon: Monitor,
    waker: Arc<Socket>,
    probe: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let ask = || {
        probe.store(true, Ordering::Release);
        let _ = waker.try_send(Upstream::Wake.encode());
    };
    let mut reprobe: Option<Instant> = None;
    loop {
        let wait = reprobe.map_or(WATCH_IDLE, |t| t.saturating_duration_since(Instant::now()));
        let ev = mon.recv_timeout(wait);
        if stop.load(Ordering::Acquire) {
            return;
        }
        match ev {
            Ok(MonitorEvent::Disconnected { .. }) => {
                ask();
                reprobe = Instant::now().checked_add(REPROBE);
            }
            Ok(MonitorEvent::Closed { .. }) => return,
            Ok(_) | Err(_) => {}
        }
        if reprobe.is_some_and(|t| Instant::now() >= t) {
            reprobe = None;
            ask();
        }
    }
}
