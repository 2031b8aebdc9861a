//! Pattern behaviour driven through the socket state with hand-made peers:
//! the cases a TCP test cannot stage easily (a ZMTP 3.0 peer's legacy
//! subscription frames, what a PUB does with a subscriber's data, a
//! ROUTER handover's effect on the old pipe, subscriptions queued for a
//! pipe before its connection exists).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::key::ConnKey;
use crate::message::{Incoming, Message};
use crate::options::Options;
use crate::pattern::Sent;
use crate::pipe::{Item, PipeKey};
use crate::proto::session::PeerInfo;
use crate::proto::socket_type::SocketType;
use crate::proto::wire::Metadata;
use crate::state::State;
use bytes::Bytes;
use std::collections::VecDeque;

fn peer(ty: &'static [u8], id: Option<&'static str>) -> PeerInfo {
    PeerInfo {
        socket_type: Some(Bytes::from_static(ty)),
        identity: id.map(|s| Bytes::from_static(s.as_bytes())),
        minor: 1,
        metadata: Metadata::new(),
        user_id: None,
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
        st.send(Message::from("weather: sun"), false),
        Sent::Done | Sent::Dropped
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
        st.send(Message::from("weather: rain"), false),
        Sent::Done | Sent::Dropped
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
    assert!(
        visits.iter().any(|v| v.key == old && v.close.is_some()),
        "{visits:?}"
    );
    assert!(matches!(
        st.send(Message::multipart(["X", "hi"]), false),
        Sent::Done | Sent::Dropped
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
    assert!(matches!(
        st.send(Message::from("ra"), false),
        Sent::Done | Sent::Dropped
    ));
    assert_eq!(
        out_of(&mut st, a),
        [Item::Msg(Message::multipart(["", "ra"]))]
    );
    out.clear();
    st.recv(&mut out, 10).unwrap();
    st.detach_conn(b, VecDeque::new(), 0, false, true);
    assert!(matches!(
        st.send(Message::from("rb"), false),
        Sent::Done | Sent::Dropped
    ));
    assert_eq!(st.stats().dropped_unroutable, 1);
}

/// A REP whose reply cannot wait for a full pipe drops it (counted) and is
/// ready for the next request (it must not stay stuck in "replying").
#[test]
fn rep_dropped_reply_resets_the_state_machine() {
    let mut st = State::new(SocketType::Rep, Options::default().with_send_hwm(1), 1);
    let a = accept(&mut st, 1, b"REQ", None);
    deliver(
        &mut st,
        a,
        vec![
            Item::Msg(Message::multipart(["", "q1"])),
            Item::Msg(Message::multipart(["", "q2"])),
            Item::Msg(Message::multipart(["", "q3"])),
        ],
    );
    let mut out = VecDeque::new();
    st.recv(&mut out, 1).unwrap();
    assert!(matches!(
        st.send(Message::from("r1"), false),
        Sent::Done | Sent::Dropped
    ));
    out.clear();
    st.recv(&mut out, 1).unwrap();
    // The pipe (HWM 1) is full and the engine has not taken it: a reply
    // that cannot wait is dropped, not left pending.
    assert!(matches!(
        st.send(Message::from("r2"), false),
        Sent::Done | Sent::Dropped
    ));
    assert_eq!(st.stats().dropped_full, 1);
    out.clear();
    st.recv(&mut out, 1).expect("ready for the next request");
    assert_eq!(out.len(), 1);
}

/// A PUB message that every matching subscriber's pipe was too full to
/// take is dropped whole: counted in dropped_full, not as sent.
#[test]
fn pub_message_dropped_by_every_subscriber_is_not_sent() {
    let mut st = State::new(SocketType::Pub, Options::default().with_send_hwm(1), 1);
    let a = accept(&mut st, 1, b"SUB", None);
    deliver(&mut st, a, vec![Item::Subscribe(Bytes::new())]);
    assert!(matches!(
        st.send(Message::from("1"), false),
        Sent::Done | Sent::Dropped
    ));
    assert!(matches!(
        st.send(Message::from("2"), false),
        Sent::Done | Sent::Dropped
    ));
    let s = st.stats();
    assert_eq!((s.messages_sent, s.dropped_full), (1, 1));
}

/// A departing subscriber's cancels come after everything it sent before
/// it went (a proxy must never see a cancel before its subscribe).
#[test]
fn xpub_departure_cancels_follow_pending_subscribes() {
    let mut st = State::new(SocketType::XPub, Options::default(), 1);
    let a = accept(&mut st, 1, b"SUB", None);
    deliver(&mut st, a, vec![Item::Subscribe(Bytes::from_static(b"t"))]);
    st.detach_conn(a, VecDeque::new(), 0, false, true);
    assert_eq!(
        recv_all(&mut st),
        [
            vec![Bytes::from_static(b"\x01t")],
            vec![Bytes::from_static(b"\x00t")]
        ]
    );
}

/// A subscriber over `max_subscriptions` is asked to go (its connection is
/// closed by the engine); what it had is released.
#[test]
fn subscriber_over_its_limit_is_kicked() {
    let mut st = State::new(
        SocketType::Pub,
        Options::default().with_subscription_limits(2, 1000),
        1,
    );
    let a = accept(&mut st, 1, b"SUB", None);
    st.take_service();
    let subs = ["a", "b", "c"].map(|t| Item::Subscribe(Bytes::from_static(t.as_bytes())));
    deliver(&mut st, a, subs.to_vec());
    let visits = st.take_service();
    assert!(
        visits
            .iter()
            .any(|v| v.key == a && v.close == Some(crate::pipe::Refusal::TooManySubscriptions)),
        "{visits:?}"
    );
    // By bytes too.
    let mut st = State::new(
        SocketType::Pub,
        Options::default().with_subscription_limits(100, 5),
        1,
    );
    let b = accept(&mut st, 1, b"SUB", None);
    st.take_service();
    deliver(
        &mut st,
        b,
        vec![Item::Subscribe(Bytes::from_static(b"123456"))],
    );
    assert!(st
        .take_service()
        .iter()
        .any(|v| v.key == b && v.close.is_some()));
}

/// An XSUB whose publisher connection is down does not pile up
/// subscription changes in its pipe: the next connection gets the current
/// set, once.
#[test]
fn xsub_changes_while_disconnected_do_not_pile_up() {
    let mut st = State::new(SocketType::XSub, Options::default(), 1);
    let (Some(key), _) = st.connect_pipe().unwrap() else {
        panic!("a connect pipe")
    };
    for _ in 0..1000 {
        let _ = st.send(Message::from(Bytes::from_static(b"\x01x")), false);
        let _ = st.send(Message::from(Bytes::from_static(b"\x00x")), false);
    }
    let _ = st.send(Message::from(Bytes::from_static(b"\x01y")), false);
    st.attach_conn(Some(key), None, ConnKey::new(1, 1), &peer(b"PUB", None))
        .unwrap();
    assert_eq!(
        out_of(&mut st, key),
        [Item::Subscribe(Bytes::from_static(b"y"))]
    );
}
