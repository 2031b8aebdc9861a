//! Model-based property test of the reliable layer's sans-IO core
//! (`ProducerCore`) together with consumers' duplicate windows
//! (`DedupWindow`): random sequences of send, deliver, process (with acks
//! that may be lost), take-and-hold, ack or nack held messages, time
//! passing, disconnects, crashes and reconnects, on a virtual clock.
//!
//! Checked after every step: nothing is lost (every id sent is held by the
//! core, acknowledged or dead-lettered — exactly one), nothing is reported
//! twice, a consumer never holds more than its credit, each delivery's count
//! is one more than the last, nothing is delivered before its time, and no
//! consumer instance processes an id twice within its window. At the end,
//! after a drain, every message is acknowledged or dead-lettered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
use crate::core::{ConsumerId, CoreConfig, Dispatch, Event, ProducerCore};
use crate::dedup::{DedupWindow, Seen};
use bytes::Bytes;
use ferromq::Message;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

const CONSUMERS: u8 = 3;
const WINDOW: usize = 3;
const TTL: Duration = Duration::from_millis(400);

#[derive(Clone, Debug)]
enum Op {
    Send {
        delay_ms: Option<u16>,
    },
    Ready {
        c: u8,
        credit: u32,
    },
    Deliver {
        n: u8,
    },
    /// Take the next message and process it at once; the ack may be lost.
    Process {
        c: u8,
        lose_ack: bool,
    },
    /// Take the next message and keep working on it.
    Take {
        c: u8,
    },
    /// Finish the oldest message being worked on: ack, or nack.
    Settle {
        c: u8,
        nack: bool,
    },
    Advance {
        ms: u16,
    },
    /// The connection drops; the consumer process lives on.
    Disconnect {
        c: u8,
    },
    /// The consumer process dies; a new instance may come later.
    Crash {
        c: u8,
    },
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let c = u8::arbitrary(g) % CONSUMERS;
        match u8::arbitrary(g) % 12 {
            0 | 1 => Op::Send {
                delay_ms: bool::arbitrary(g).then(|| u16::arbitrary(g) % 300),
            },
            2 => Op::Ready {
                c,
                credit: u32::from(u8::arbitrary(g) % 4),
            },
            3 | 4 => Op::Deliver {
                n: u8::arbitrary(g) % 4 + 1,
            },
            5 | 6 => Op::Process {
                c,
                lose_ack: u8::arbitrary(g) % 4 == 0,
            },
            7 => Op::Take { c },
            8 => Op::Settle {
                c,
                nack: bool::arbitrary(g),
            },
            9 => Op::Advance {
                ms: u16::arbitrary(g) % 250,
            },
            10 => Op::Disconnect { c },
            _ => Op::Crash { c },
        }
    }
}

/// One consumer process (an instance); a crash replaces it.
struct Instance {
    window: DedupWindow,
    inbox: VecDeque<(u64, u32)>,
    working: VecDeque<u64>,
    /// id -> (time, ack number) of its last ack, for the window check.
    done: HashMap<u64, (Instant, u64)>,
    acks: u64,
}

impl Instance {
    fn new() -> Instance {
        Instance {
            window: DedupWindow::new(WINDOW, TTL),
            inbox: VecDeque::new(),
            working: VecDeque::new(),
            done: HashMap::new(),
            acks: 0,
        }
    }
}

struct World {
    core: ProducerCore,
    now: Instant,
    ids: Vec<ConsumerId>,
    inst: Vec<Instance>,
    credit: HashMap<ConsumerId, u32>,
    sent: HashSet<u64>,
    due: HashMap<u64, Instant>,
    last_count: HashMap<u64, u32>,
    acked: HashSet<u64>,
    dead: HashSet<u64>,
}

impl World {
    fn new() -> World {
        let cfg = CoreConfig {
            capacity: 20,
            max_deliveries: 3,
            ack_timeout: Duration::from_millis(100),
            default_delay: Duration::ZERO,
            max_credit: 10,
            consumer_timeout: Duration::from_millis(300),
        };
        World {
            core: ProducerCore::new(cfg, 42),
            now: Instant::now(),
            ids: (0..CONSUMERS)
                .map(|i| Bytes::from(format!("c{i}")))
                .collect(),
            inst: (0..CONSUMERS).map(|_| Instance::new()).collect(),
            credit: HashMap::new(),
            sent: HashSet::new(),
            due: HashMap::new(),
            last_count: HashMap::new(),
            acked: HashSet::new(),
            dead: HashSet::new(),
        }
    }

    fn ack(&mut self, c: usize, id: u64) {
        let now = self.now;
        let i = &mut self.inst[c];
        i.window.complete((42, id), now);
        i.acks += 1;
        i.done.insert(id, (now, i.acks));
    }

    /// Consumer `c` takes its next message; Some(id) when it must process it.
    fn take(&mut self, c: usize) -> Result<Option<u64>, String> {
        let now = self.now;
        let i = &mut self.inst[c];
        let Some((id, _count)) = i.inbox.pop_front() else {
            return Ok(None);
        };
        match i.window.check((42, id), now) {
            Seen::New => {
                if i.working.contains(&id) {
                    return Err(format!("c{c} handed {id} while working on it"));
                }
                if let Some((at, n)) = i.done.get(&id) {
                    if now.duration_since(*at) < TTL && i.acks - n < WINDOW as u64 {
                        return Err(format!("c{c} processed {id} twice within the window"));
                    }
                }
                i.window.hold((42, id));
                Ok(Some(id))
            }
            Seen::Held => Ok(None),
            Seen::Done => {
                self.core.on_ack(&self.ids[c], id, now);
                Ok(None)
            }
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        let now = self.now;
        match *op {
            Op::Send { delay_ms } => {
                let due = delay_ms.map(|ms| now + Duration::from_millis(ms.into()));
                if let Ok(id) = self.core.submit(Message::from("m"), due, now) {
                    self.sent.insert(id);
                    self.due.insert(id, due.unwrap_or(now));
                }
            }
            Op::Ready { c, credit } => {
                let id = self.ids[usize::from(c)].clone();
                self.credit.insert(id.clone(), credit);
                self.core.on_ready(&id, credit, Duration::ZERO, now);
            }
            Op::Deliver { n } => {
                for _ in 0..n {
                    let Some(d) = self.core.next_dispatch(now) else {
                        break;
                    };
                    let Dispatch::Msg {
                        consumer,
                        id,
                        delivery_count,
                        ..
                    } = d
                    else {
                        return Err("pill without finish".into());
                    };
                    let expect = self.last_count.get(&id).map_or(1, |n| n + 1);
                    if delivery_count != expect {
                        return Err(format!("{id}: count {delivery_count}, expected {expect}"));
                    }
                    self.last_count.insert(id, delivery_count);
                    if now < self.due[&id] {
                        return Err(format!("{id} delivered before its time"));
                    }
                    let held = self.core.held(&consumer).unwrap_or(0);
                    if held > self.credit[&consumer] {
                        return Err(format!("consumer holds {held} over its credit"));
                    }
                    let c = self.ids.iter().position(|x| *x == consumer).ok_or("who?")?;
                    self.inst[c].inbox.push_back((id, delivery_count));
                }
            }
            Op::Process { c, lose_ack } => {
                let c = usize::from(c);
                if let Some(id) = self.take(c)? {
                    self.ack(c, id);
                    if !lose_ack {
                        self.core.on_ack(&self.ids[c], id, now);
                    }
                }
            }
            Op::Take { c } => {
                let c = usize::from(c);
                if let Some(id) = self.take(c)? {
                    self.inst[c].working.push_back(id);
                }
            }
            Op::Settle { c, nack } => {
                let c = usize::from(c);
                if let Some(id) = self.inst[c].working.pop_front() {
                    if nack {
                        self.inst[c].window.release((42, id));
                        self.core.on_nack(&self.ids[c], id, "no", now);
                    } else {
                        self.ack(c, id);
                        self.core.on_ack(&self.ids[c], id, now);
                    }
                }
            }
            Op::Advance { ms } => {
                self.now += Duration::from_millis(ms.into());
                self.core.on_tick(self.now);
            }
            Op::Disconnect { c } => {
                let c = usize::from(c);
                self.inst[c].inbox.clear();
                self.core.on_consumer_gone(&self.ids[c]);
            }
            Op::Crash { c } => {
                let c = usize::from(c);
                self.inst[c] = Instance::new();
                self.core.on_consumer_gone(&self.ids[c]);
            }
        }
        self.settle_events()?;
        self.check_conservation()
    }

    fn settle_events(&mut self) -> Result<(), String> {
        while let Some(ev) = self.core.take_event() {
            let (id, fresh) = match ev {
                Event::Acked(id) => (id, self.acked.insert(id)),
                Event::DeadLettered(d) => (d.id, self.dead.insert(d.id)),
            };
            if !fresh || (self.acked.contains(&id) && self.dead.contains(&id)) {
                return Err(format!("{id} reported twice"));
            }
            if !self.sent.contains(&id) {
                return Err(format!("{id} reported but never sent"));
            }
        }
        Ok(())
    }

    fn check_conservation(&mut self) -> Result<(), String> {
        let held = self.core.len();
        let s = self.core.stats();
        if s.pending + s.delayed + s.in_flight != held {
            return Err(format!("stats {s:?} do not add up to {held}"));
        }
        if held + self.acked.len() + self.dead.len() != self.sent.len() {
            return Err(format!(
                "lost: {} sent, {held} held, {} acked, {} dead",
                self.sent.len(),
                self.acked.len(),
                self.dead.len()
            ));
        }
        Ok(())
    }

    /// A healthy consumer drains everything; then all must be settled.
    fn drain(&mut self) -> Result<(), String> {
        let c = 0;
        self.inst[c] = Instance::new();
        for round in 0..50 {
            if self.core.is_empty() {
                return Ok(());
            }
            self.step(&Op::Ready { c: 0, credit: 10 })?;
            self.step(&Op::Deliver { n: 20 })?;
            while !self.inst[c].inbox.is_empty() {
                self.step(&Op::Process {
                    c: 0,
                    lose_ack: false,
                })?;
            }
            let ms = if round % 2 == 0 { 0 } else { 350 };
            self.step(&Op::Advance { ms })?;
        }
        Err(format!("not drained: {:?}", self.core.stats()))
    }
}

fn prop(ops: Vec<Op>) -> TestResult {
    let mut w = World::new();
    for (n, op) in ops.iter().enumerate() {
        if let Err(e) = w.step(op) {
            return TestResult::error(format!("step {n} {op:?}: {e}"));
        }
    }
    if let Err(e) = w.drain() {
        return TestResult::error(format!("drain: {e}"));
    }
    let settled: HashSet<u64> = w.acked.union(&w.dead).copied().collect();
    if settled != w.sent {
        return TestResult::error("some message was neither acked nor dead-lettered");
    }
    TestResult::passed()
}

#[test]
fn core_and_windows_never_lose_or_double_process() {
    QuickCheck::new()
        .rng(Gen::new(300))
        .tests(2000)
        .quickcheck(prop as fn(Vec<Op>) -> TestResult);
}
