//! Regressions for findings of a code review of the socket and engine:
//! a receiver left sleeping while another thread's batch held messages, and
//! messages held by a connect-side connection not reported on close.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use ferromq::{Context, Error, Message, Options, SocketType};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One thread blocks in `recv` while another takes a batch and then stops:
/// the blocked thread must get the rest of that batch, not sleep until new
/// input arrives. The other thread spins on `try_recv`, so it takes the
/// engine's hand-over before the blocked thread has woken up.
#[test]
fn second_receiver_gets_the_rest_of_another_threads_batch() {
    const N: usize = 50;
    let ctx = Context::new().unwrap();
    let pull = Arc::new(ctx.socket(SocketType::Pull).unwrap());
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep.to_string()).unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let b = {
        let pull = pull.clone();
        std::thread::spawn(move || {
            // The probe proves the connection is up; then block in recv.
            pull.recv_timeout(Duration::from_secs(10)).unwrap();
            ready_tx.send(()).unwrap();
            let mut got = 0;
            while got < N - 1 {
                match pull.recv_timeout(Duration::from_secs(3)) {
                    Ok(_) => got += 1,
                    Err(Error::TimedOut) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            got
        })
    };
    push.send("probe").unwrap();
    ready_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    for i in 0..N {
        push.send(format!("m{i}")).unwrap();
    }
    // Exactly one message on this thread, then it stops receiving.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "nothing arrived");
        match pull.try_recv() {
            Ok(_) => break,
            Err(Error::WouldBlock) => std::hint::spin_loop(),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(b.join().unwrap(), N - 1, "the other receiver got the rest");
}

/// A PUSH whose connected peer stops reading, closed with linger 0: every
/// message sent is either reported unsent or received by the peer (some are
/// counted both ways: a message partly written when the connection closed is
/// unsent and never arrives, one fully written just before is counted as
/// possibly unsent). Messages the engine had taken from the pipe used to be
/// in neither.
#[test]
fn close_reports_messages_held_by_a_connect_side_connection() {
    const K: usize = 300;
    let ctx = Context::new().unwrap();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(1))
        .unwrap();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default()
                .with_send_hwm(K)
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    push.connect(&ep.to_string()).unwrap();
    let payload = Bytes::from(vec![7u8; 64 * 1024]);
    // Prove the connection is up, so every later message goes to it.
    push.send(Message::from(payload.clone())).unwrap();
    pull.recv_timeout(Duration::from_secs(10)).unwrap();
    // 300 x 64 KiB is far more than the kernel buffers hold.
    for _ in 0..K {
        push.send_timeout(Message::from(payload.clone()), Duration::from_secs(10))
            .unwrap();
    }
    let report = push.close();
    assert!(report.unsent <= K, "{} unsent of {K}", report.unsent);
    assert_eq!(ctx.unsent_on_close(), report.unsent as u64);
    let mut received = 0;
    loop {
        match pull.recv_timeout(Duration::from_secs(2)) {
            Ok(_) => received += 1,
            Err(Error::TimedOut) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        received + report.unsent >= K,
        "{received} received + {} reported unsent < {K} sent: messages vanished",
        report.unsent
    );
}

/// Connecting twice to one endpoint makes two peers; one `disconnect` undoes
/// one `connect`: the other connection keeps delivering.
#[test]
fn disconnect_undoes_one_of_two_connects_to_the_same_endpoint() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    push.connect(&ep).unwrap();
    push.disconnect(&ep).unwrap();
    push.send_timeout("still connected", Duration::from_secs(10))
        .unwrap();
    let m = pull.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(m.frames()[0], "still connected");
    push.disconnect(&ep).unwrap();
    assert!(matches!(
        push.disconnect(&ep),
        Err(Error::EndpointNotFound(_))
    ));
}
