//! A deterministic model test of a socket's state (DEALER: round-robin out,
//! fair-queued in): random sequences of application operations (send,
//! receive, HWM changes) and engine operations (connect, accept, peer input,
//! taking output, writing it, connections lost) run against [`State`] and
//! against a plain reference model built from `Vec`s and `VecDeque`s; after
//! every step both must agree on what was received, what is queued where,
//! and the counters. No engine, no sockets, no threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::proto::wire::Metadata;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

#[derive(Debug, Clone)]
enum Op {
    /// `connect`: a persistent pipe, attached when its connection completes.
    Connect,
    /// An accepted peer completes its handshake.
    Accept,
    /// The pipe's connection completes (connect side).
    Up(usize),
    /// The peer sends `n` messages.
    Input(usize, u8),
    /// The application sends one message.
    Send,
    /// The application receives up to `n` items.
    Recv(u8),
    /// The engine takes the pipe's whole queue.
    Take(usize),
    /// The engine writes what it took.
    Write(usize),
    /// The connection is lost.
    Lost(usize),
    /// The send HWM changes.
    Hwm(u8),
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let i = usize::arbitrary(g) % 4;
        match u8::arbitrary(g) % 20 {
            0 => Op::Connect,
            1 => Op::Accept,
            2 | 3 => Op::Up(i),
            4..=6 => Op::Input(i, u8::arbitrary(g) % 4),
            7..=10 => Op::Send,
            11..=13 => Op::Recv(u8::arbitrary(g) % 5),
            14 | 15 => Op::Take(i),
            16 => Op::Write(i),
            17 | 18 => Op::Lost(i),
            _ => Op::Hwm(1 + u8::arbitrary(g) % 4),
        }
    }
}

/// One pipe in the model.
#[derive(Debug, Default)]
struct MPipe {
    key: Option<PipeKey>,
    conn: Option<ConnKey>,
    persistent: bool,
    /// Gone for good (accepted peer lost): kept until its input is read.
    gone: bool,
    out: VecDeque<u32>,
    staged: VecDeque<u32>,
    inq: VecDeque<u32>,
    /// In the round-robin ring.
    in_lb: bool,
}

struct Model {
    pipes: Vec<MPipe>,
    /// Round-robin ring (indices into `pipes`) and cursor, as libzmq's `lb`.
    lb: Vec<usize>,
    cursor: usize,
    /// Fair-queue ring: pipes with input, in activation order.
    fq: VecDeque<usize>,
    hwm: usize,
    next_msg: u32,
    next_conn: usize,
    dropped_on_disconnect: u64,
    sent: u64,
}

fn peer() -> PeerInfo {
    PeerInfo {
        socket_type: Some(Bytes::from_static(b"DEALER")),
        identity: None,
        minor: 1,
        metadata: Metadata::new(),
        user_id: None,
    }
}

fn body(n: u32) -> Message {
    Message::from(Bytes::from(n.to_be_bytes().to_vec()))
}

fn number(m: &Message) -> u32 {
    let f = &m.frames()[0];
    u32::from_be_bytes([f[0], f[1], f[2], f[3]])
}

impl Model {
    fn new() -> Model {
        Model {
            pipes: Vec::new(),
            lb: Vec::new(),
            cursor: 0,
            fq: VecDeque::new(),
            hwm: 2,
            next_msg: 0,
            next_conn: 0,
            dropped_on_disconnect: 0,
            sent: 0,
        }
    }

    fn conn(&mut self) -> ConnKey {
        self.next_conn += 1;
        ConnKey::new(self.next_conn, 1)
    }

    fn lb_remove(&mut self, i: usize) {
        if let Some(pos) = self.lb.iter().position(|&k| k == i) {
            self.lb.remove(pos);
            if pos < self.cursor {
                self.cursor -= 1;
            }
            if self.cursor >= self.lb.len() {
                self.cursor = 0;
            }
        }
        self.pipes[i].in_lb = false;
    }

    /// Apply `op` to both; returns false when the op does not apply.
    fn step(&mut self, st: &mut State, op: &Op) -> bool {
        match *op {
            Op::Connect => {
                let (key, _) = st.connect_pipe().unwrap();
                let i = self.pipes.len();
                self.pipes.push(MPipe {
                    key,
                    persistent: true,
                    in_lb: true,
                    ..MPipe::default()
                });
                self.lb.push(i);
            }
            Op::Accept => {
                let conn = self.conn();
                let key = st.attach_conn(None, None, conn, &peer()).unwrap();
                let i = self.pipes.len();
                self.pipes.push(MPipe {
                    key: Some(key),
                    conn: Some(conn),
                    in_lb: true,
                    ..MPipe::default()
                });
                self.lb.push(i);
            }
            Op::Up(i) => {
                let Some(p) = self.pipes.get(i) else {
                    return false;
                };
                if !p.persistent || p.conn.is_some() {
                    return false;
                }
                let pipe = p.key;
                let conn = self.conn();
                let key = st.attach_conn(pipe, None, conn, &peer()).unwrap();
                assert_eq!(Some(key), self.pipes[i].key, "the connect pipe is reused");
                self.pipes[i].conn = Some(conn);
            }
            Op::Input(i, n) => {
                let Some(p) = self.pipes.get(i) else {
                    return false;
                };
                let Some(key) = p.key.filter(|_| p.conn.is_some()) else {
                    return false;
                };
                // The engine decodes only what fits under the receive HWM.
                let room = st.input_room(key).min(usize::from(n));
                let mut batch = Vec::new();
                for _ in 0..room {
                    let m = self.next_msg;
                    self.next_msg += 1;
                    batch.push(Item::Msg(body(m)));
                    self.pipes[i].inq.push_back(m);
                }
                if room > 0 && !self.fq.contains(&i) {
                    self.fq.push_back(i);
                }
                st.deliver(key, &mut batch);
                assert!(batch.is_empty(), "a DEALER keeps everything");
            }
            Op::Send => {
                let m = self.next_msg;
                self.next_msg += 1;
                let n = self.lb.len();
                let target = (0..n)
                    .map(|k| (self.cursor + k) % n)
                    .find(|&idx| self.pipes[self.lb[idx]].out.len() < self.hwm);
                match (st.send(body(m), false), target) {
                    (Sent::Done, Some(idx)) => {
                        let i = self.lb[idx];
                        self.pipes[i].out.push_back(m);
                        self.cursor = (idx + 1) % n;
                        self.sent += 1;
                    }
                    (Sent::Wait(back), None) => assert_eq!(number(&back), m),
                    (step, t) => panic!("send: state {step:?}, model {t:?}"),
                }
            }
            Op::Recv(n) => {
                let mut out = VecDeque::new();
                st.recv(&mut out, usize::from(n)).unwrap();
                let available: usize = self.pipes.iter().map(|p| p.inq.len()).sum();
                assert_eq!(
                    out.len(),
                    usize::from(n).min(available),
                    "recv takes what is there"
                );
                for x in out {
                    let Incoming::Message(m) = x else {
                        panic!("no pills in this model")
                    };
                    let i = self.fq.pop_front().expect("model has input");
                    let want = self.pipes[i].inq.pop_front().unwrap();
                    assert_eq!(number(&m), want, "fair-queued order");
                    if !self.pipes[i].inq.is_empty() {
                        self.fq.push_back(i);
                    }
                }
            }
            Op::Take(i) => {
                let Some(p) = self.pipes.get_mut(i) else {
                    return false;
                };
                let Some(key) = p.key.filter(|_| p.conn.is_some()) else {
                    return false;
                };
                let mut staged = VecDeque::new();
                let took = st.take_out(key, &mut staged);
                assert_eq!(took, !p.out.is_empty());
                let got: Vec<u32> = staged
                    .iter()
                    .map(|it| match it {
                        Item::Msg(m) => number(m),
                        other => panic!("unexpected {other:?}"),
                    })
                    .collect();
                let want: Vec<u32> = p.out.drain(..).collect();
                assert_eq!(got, want, "the engine takes the whole queue, in order");
                p.staged.extend(want);
            }
            Op::Write(i) => {
                let Some(p) = self.pipes.get_mut(i) else {
                    return false;
                };
                let Some(key) = p.key.filter(|_| p.conn.is_some()) else {
                    return false;
                };
                p.staged.clear();
                st.output_done(key);
            }
            Op::Lost(i) => {
                let Some(p) = self.pipes.get_mut(i) else {
                    return false;
                };
                let Some(key) = p.key.filter(|_| p.conn.is_some()) else {
                    return false;
                };
                let staged: VecDeque<Item> = p.staged.iter().map(|&m| Item::Msg(body(m))).collect();
                let lost = st.detach_conn(key, staged, 0, p.persistent, true);
                p.conn = None;
                if p.persistent {
                    // Staged messages go back in front for the next one.
                    let mut back: VecDeque<u32> = p.staged.drain(..).collect();
                    back.extend(p.out.drain(..));
                    p.out = back;
                    assert_eq!(lost, 0);
                } else {
                    let n = p.staged.len() + p.out.len();
                    p.staged.clear();
                    p.out.clear();
                    p.gone = true;
                    assert_eq!(lost, n, "what an accepted peer held is lost");
                    self.dropped_on_disconnect += n as u64;
                    self.lb_remove(i);
                }
            }
            Op::Hwm(n) => {
                self.hwm = usize::from(n);
                st.opts.send_hwm = usize::from(n);
            }
        }
        true
    }

    fn check(&self, st: &State) {
        let stats = st.stats();
        assert_eq!(stats.messages_sent, self.sent);
        assert_eq!(stats.dropped_on_disconnect, self.dropped_on_disconnect);
        let queued: usize = self.pipes.iter().map(|p| p.out.len()).sum();
        assert_eq!(st.pipes.unsent(), queued, "messages queued in pipes");
        let unread: usize = self.pipes.iter().map(|p| p.inq.len()).sum();
        assert_eq!(st.pipes.unread(), unread, "messages received, not read");
        assert_eq!(
            st.pattern.readable(&st.pipes),
            !self.fq.is_empty(),
            "readable"
        );
        let writable = self.lb.iter().any(|&i| self.pipes[i].out.len() < self.hwm);
        assert_eq!(
            st.pattern.writable(&st.pipes, &st.opts),
            writable,
            "writable"
        );
    }
}

fn run(ops: Vec<Op>) -> TestResult {
    let mut st = State::new(
        SocketType::Dealer,
        Options::default().with_send_hwm(2).with_recv_hwm(3),
        7,
    );
    let mut model = Model::new();
    for op in &ops {
        model.step(&mut st, op);
        model.check(&st);
    }
    TestResult::passed()
}

#[test]
fn dealer_state_agrees_with_the_model() {
    QuickCheck::new()
        .tests(1000)
        .quickcheck(run as fn(Vec<Op>) -> TestResult);
}

/// A fixed sequence exercising every operation, so the model is seen to
/// bite even when the random cases are unlucky.
#[test]
fn model_fixed_sequence() {
    use Op::*;
    let ops = vec![
        Connect,
        Accept,
        Send,
        Send,
        Send,
        Up(0),
        Take(0),
        Send,
        Lost(0),
        Up(0),
        Take(0),
        Write(0),
        Input(1, 3),
        Input(0, 2),
        Recv(2),
        Recv(4),
        Lost(1),
        Send,
        Hwm(1),
        Send,
        Send,
        Recv(1),
    ];
    assert!(!run(ops).is_failure());
}
