//! Smoke test: the simplest pipeline works, with libzmq on the other side too.
use ferromq::{Context, Message, SocketType};
use std::time::Duration;

#[test]
fn push_pull_roundtrip() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep.to_string()).unwrap();
    for i in 0..10000 {
        push.send(Message::from(format!("m{i}"))).unwrap();
    }
    for i in 0..10000 {
        let m = pull.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(m.frames()[0], format!("m{i}").as_bytes());
    }
    push.send_eof().unwrap();
    assert!(matches!(
        pull.recv_timeout(Duration::from_secs(10)),
        Err(ferromq::Error::EndOfStream)
    ));
}

#[test]
fn libzmq_push_to_ferromq_pull_and_back() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let z = zmq::Context::new();
    let zpush = z.socket(zmq::PUSH).unwrap();
    zpush.connect(&ep.to_string()).unwrap();
    zpush.send_multipart(["a", "bc"], 0).unwrap();
    let m = pull.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(m, Message::multipart(["a", "bc"]));

    let zpull = z.socket(zmq::PULL).unwrap();
    zpull.bind("tcp://127.0.0.1:*").unwrap();
    let zep = zpull.get_last_endpoint().unwrap().unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&zep).unwrap();
    push.send(Message::multipart(["x", "yz"])).unwrap();
    push.send_eof().unwrap();
    push.send(Message::from("after")).unwrap_err();
    zpull.set_rcvtimeo(10_000).unwrap();
    let got = zpull.recv_multipart(0).unwrap();
    assert_eq!(got, vec![b"x".to_vec(), b"yz".to_vec()]);
}
