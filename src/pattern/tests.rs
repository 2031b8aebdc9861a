//! Pattern behaviour driven through the socket state with hand-made peers:
//! the cases a TCP test cannot stage easily (a ZMTP 3.0 peer's legacy
//! subscription frames, what a PUB does with a subscriber's data, a
//! ROUTER handover's effect on the old pipe, subscriptions queued for a
//! pipe before its connection exists).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::key::ConnKey;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pipe::{Item, PipeKey};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::proto::wire::Metadata;
use crate::state::{SendStep, State};
use bytes::Bytes;
use std::collections::VecDeque;

fn peer(ty: &'static [u8], id: Option<&'static str>) -> PeerInfo {
    PeerInfo {
        socket_type: Some(Bytes::from_static(ty)),
        identity: id.map(|s| Bytes::from_static(s.as_bytes())),
        minor: 1,
        metadata: Metadata::new(),
    }
}

fn accept(st: &mut State, n: usize, ty: &'static [u8], id: Option<&'static str>) -> PipeKey {
    st.attach_conn(None, None, ConnKey::new(n, 1), &peer(ty, id))
        .unwrap()
}

fn deliver(st: &mut State, key: PipeKey, items: Vec<Item>) {
    let mut items = items;
    st.deliver(key, &mut items);
}

fn msg(s: &'static [u8]) -> Item {
    Item::Msg(Message::from(Bytes::from_static(s)))
}

fn out_of(st: &mut State, key: PipeKey) -> Vec<Item> {
    let mut staged = VecDeque::new();
    st.take_out(key, &mut staged);
    st.output_done(key);
    staged.into_iter().collect()
}

fn recv_all(st: &mut State) -> Vec<Vec<Bytes>> {
    let mut out = VecDeque::new();
    st.recv(&mut out, 100).unwrap();
    out.into_iter()
        .map(|i| match i {
            Incoming::Message(m) => m.into_frames(),
            Incoming::Finished { .. } => vec![Bytes::from_static(b"<eof>")],
        })
        .collect()
}

/// A ZMTP 3.0 subscriber subscribes with a `0x01`-led message and cancels
/// with `0x00`; both work exactly like the 3.1 commands, and an XPUB sees
/// them the same way.
#[test]
fn legacy_subscription_frames_are_subscriptions() {
    let mut st = State::new(SocketType::XPub, Options::default(), 1);
    let a = accept(&mut st, 1, b"SUB", None);
    let b = accept(&mut st, 2, b"SUB", None);
    deliver(&mut st, a, vec![msg(b"\x01weather")]);
    deliver(
        &mut st,
        b,
        vec![Item::Subscribe(Bytes::from_static(b"weather"))],
    );
    assert_eq!(
        recv_all(&mut st),
        [vec![Bytes::from_static(b"\x01weather")]]
    );
    assert!(matches!(
        st.send(Message::from("weather: sun")),
        SendStep::Done
    ));
    assert_eq!(out_of(&mut st, a), [msg(b"weather: sun")]);
    assert_eq!(out_of(&mut st, b), [msg(b"weather: sun")]);
    deliver(&mut st, a, vec![msg(b"\x00weather")]);
    assert!(
        recv_all(&mut st).is_empty(),
        "b still subscribed: no cancel"
    );
    deliver(
        &mut st,
        b,
        vec![Item::Cancel(Bytes::from_static(b"weather"))],
    );
    assert_eq!(
        recv_all(&mut st),
        [vec![Bytes::from_static(b"\x00weather")]]
    );
    assert!(matches!(
        st.send(Message::from("weather: rain")),
        SendStep::Done
    ));
    assert_eq!(st.stats().unmatched, 1);
}

/// What subscribers send that is not a subscription: an XPUB hands it to
/// `recv` whole; a PUB discards it.
#[test]
fn user_messages_from_subscribers() {
    for (ty, kept) in [(SocketType::XPub, true), (SocketType::Pub, false)] {
        let mut st = State::new(ty, Options::default(), 1);
        let a = accept(&mut st, 1, b"XSUB", None);
        let upstream = Item::Msg(Message::multipart(["\x02user", "data"]));
        deliver(&mut st, a, vec![upstream, Item::Eof]);
        if kept {
            assert_eq!(
                recv_all(&mut st),
                [
                    vec![Bytes::from_static(b"\x02user"), Bytes::from_static(b"data")],
                    vec![Bytes::from_static(b"<eof>")]
                ]
            );
        } else {
            let mut out = VecDeque::new();
            assert!(st.recv(&mut out, 10).is_err(), "PUB cannot receive");
        }
    }
}

/// A SUB queues its subscriptions on a `connect` pipe before the connection
/// exists, and on each (re)connection sends the whole current set first,
/// without duplicates of what was still queued.
#[test]
fn subscriptions_wait_for_the_connection_and_are_resent() {
    let mut st = State::new(SocketType::Sub, Options::default(), 1);
    st.subscribe(Bytes::from_static(b"a"), true).unwrap();
    let (Some(key), _) = st.connect_pipe().unwrap() else {
        panic!("a connect pipe")
    };
    st.subscribe(Bytes::from_static(b"b"), true).unwrap();
    st.subscribe(Bytes::from_static(b"b"), false).unwrap();
    st.attach_conn(Some(key), None, ConnKey::new(1, 1), &peer(b"PUB", None))
        .unwrap();
    assert_eq!(
        out_of(&mut st, key),
        [Item::Subscribe(Bytes::from_static(b"a"))]
    );
    // Connection lost with a cancel staged; the next one gets the set.
    st.subscribe(Bytes::from_static(b"c"), true).unwrap();
    let mut staged = VecDeque::new();
    st.take_out(key, &mut staged);
    st.detach_conn(key, staged, 0, true, true);
    st.attach_conn(Some(key), None, ConnKey::new(2, 1), &peer(b"PUB", None))
        .unwrap();
    let mut again: Vec<Bytes> = out_of(&mut st, key)
        .into_iter()
        .map(|i| match i {
            Item::Subscribe(t) => t,
            other => panic!("only subscriptions: {other:?}"),
        })
        .collect();
    again.sort();
    assert_eq!(again, [Bytes::from_static(b"a"), Bytes::from_static(b"c")]);
}

/// A SUB drops what matches none of its subscriptions (counted as
/// unmatched); an XSUB keeps everything (libzmq: XSUB does not filter).
#[test]
fn sub_filters_on_receive_xsub_does_not() {
    for (ty, want) in [(SocketType::Sub, 1), (SocketType::XSub, 2)] {
        let mut st = State::new(ty, Options::default(), 1);
        if ty == SocketType::Sub {
            st.subscribe(Bytes::from_static(b"k"), true).unwrap();
        }
        let a = accept(&mut st, 1, b"PUB", None);
        deliver(&mut st, a, vec![msg(b"k1"), msg(b"x1")]);
        assert_eq!(recv_all(&mut st).len(), want, "{ty}");
        assert_eq!(st.stats().unmatched, (2 - want) as u64);
    }
}

/// ROUTER handover: the newcomer gets the id; the old pipe is asked to
/// close (it appears in the engine's visit list with `close`), and its
/// routing id no longer routes to it.
#[test]
fn router_handover_kicks_the_old_pipe() {
    let mut st = State::new(
        SocketType::Router,
        Options::default().with_router_handover(true),
        1,
    );
    let old = accept(&mut st, 1, b"DEALER", Some("X"));
    st.take_service();
    let new = accept(&mut st, 2, b"DEALER", Some("X"));
    let visits = st.take_service();
    assert!(visits.iter().any(|v| v.key == old && v.close), "{visits:?}");
    assert!(matches!(
        st.send(Message::multipart(["X", "hi"])),
        SendStep::Done
    ));
    assert_eq!(out_of(&mut st, new), [msg(b"hi")]);
    assert!(out_of(&mut st, old).is_empty());
}

/// PAIR: a second pipe is refused, and freed by the first's departure.
#[test]
fn pair_has_one_pipe() {
    let mut st = State::new(SocketType::Pair, Options::default(), 1);
    let first = accept(&mut st, 1, b"PAIR", None);
    assert!(st
        .attach_conn(None, None, ConnKey::new(2, 1), &peer(b"PAIR", None))
        .is_err());
    st.detach_conn(first, VecDeque::new(), 0, false, true);
    accept(&mut st, 3, b"PAIR", None);
}

/// REP answers the pipe the request came from, even after other requests
/// arrived; a reply to a requester that is gone is dropped and counted.
#[test]
fn rep_replies_to_the_requester_or_counts_the_drop() {
    let mut st = State::new(SocketType::Rep, Options::default(), 1);
    let a = accept(&mut st, 1, b"REQ", None);
    let b = accept(&mut st, 2, b"REQ", None);
    deliver(&mut st, a, vec![Item::Msg(Message::multipart(["", "qa"]))]);
    deliver(&mut st, b, vec![Item::Msg(Message::multipart(["", "qb"]))]);
    let mut out = VecDeque::new();
    st.recv(&mut out, 10).unwrap();
    assert_eq!(out.len(), 1, "REP hands out one request at a time");
    assert!(matches!(st.send(Message::from("ra")), SendStep::Done));
    assert_eq!(
        out_of(&mut st, a),
        [Item::Msg(Message::multipart(["", "ra"]))]
    );
    out.clear();
    st.recv(&mut out, 10).unwrap();
    st.detach_conn(b, VecDeque::new(), 0, false, true);
    assert!(matches!(st.send(Message::from("rb")), SendStep::Done));
    assert_eq!(st.stats().dropped_unroutable, 1);
}
