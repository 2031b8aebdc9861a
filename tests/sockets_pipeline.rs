//! PUSH/PULL over real TCP loopback: round-robin out, fair-queued in,
//! high-water-mark back-pressure, and bind/connect in either order
//! (`/work/shared/zmtp.md` §10, libzmq's `lb.cpp` and `fq.cpp`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use bytes::Bytes;
use ferromq::{Error, Message, Options, Socket, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// One PUSH bound, three PULLs connected: once all three are attached (and
/// every pipe has room), messages go to them in strict rotation, so 300
/// messages split exactly 100/100/100, each PULL seeing every third one.
#[test]
fn push_round_robins_strictly_over_connected_pulls() {
    let ctx = ctx();
    let push = ctx.socket(SocketType::Push).unwrap();
    let ep = bind_local(&push);
    let pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let p = ctx.socket(SocketType::Pull).unwrap();
            p.connect(&ep).unwrap();
            p
        })
        .collect();

    // Probe rounds: send one probe at a time and wait for it to land, until
    // every PULL has received one (so all three are attached to the PUSH).
    // Each probe is awaited, so none is still in flight afterwards.
    let deadline = Instant::now() + ARRIVE;
    let mut probed = [false; 3];
    while !probed.iter().all(|&p| p) {
        assert!(
            Instant::now() < deadline,
            "not all PULLs attached in time: {probed:?}"
        );
        match push.send_timeout("probe", Duration::from_millis(100)) {
            Ok(()) => {}
            // No PULL attached yet: nothing can take the probe.
            Err(e) if matches!(e.error, Error::TimedOut) => continue,
            Err(e) => panic!("probe send failed: {e:?}"),
        }
        wait_until(ARRIVE, "the probe lands at some PULL", || {
            pulls.iter().any(|p| p.readiness().readable)
        });
        for (i, p) in pulls.iter().enumerate() {
            while let Ok(m) = p.try_recv() {
                assert_eq!(body(&m), "probe");
                probed[i] = true;
            }
        }
    }

    for i in 0..300 {
        push.send_timeout(format!("{i}"), ARRIVE).unwrap();
    }
    let mut got: Vec<Vec<usize>> = vec![Vec::new(); 3];
    let mut total = 0;
    while total < 300 {
        wait_until(ARRIVE, "the next message lands", || {
            pulls.iter().any(|p| p.readiness().readable)
        });
        for (i, p) in pulls.iter().enumerate() {
            while let Ok(m) = p.try_recv() {
                got[i].push(body(&m).parse().unwrap());
                total += 1;
            }
        }
    }
    let counts: Vec<usize> = got.iter().map(Vec::len).collect();
    assert_eq!(counts, vec![100, 100, 100], "round-robin must split evenly");
    // Strict rotation: each PULL got one residue class mod 3, in order.
    let mut firsts: Vec<usize> = Vec::new();
    for seq in &got {
        let first = seq[0];
        let expected: Vec<usize> = (0..100).map(|k| first + 3 * k).collect();
        assert_eq!(seq, &expected, "each PULL must see every third message");
        firsts.push(first);
    }
    firsts.sort_unstable();
    assert_eq!(firsts, vec![0, 1, 2]);
}

/// A PULL (recv_hwm 10) with a busy PUSH that has 10,000 messages queued and a
/// quiet PUSH that sends one: the quiet message is handed out first or
/// second, not after the busy backlog.
///
/// The bound: we start reading only once the quiet message is queued at the
/// PULL (the quiet PUSH closes after sending; the PULL's monitor reports the
/// disconnection only after reading everything sent before the close). At
/// that moment the busy peer has recv_hwm (10) messages queued and is first
/// in the fair-queue ring, the quiet peer second; fair-queuing takes one
/// message per peer per turn, so at most one busy message precedes the quiet
/// one. Draining the busy peer first would put it behind at least 10 (and,
/// as the pipe refills, up to 10,000).
#[test]
fn pull_fair_queues_quiet_peer_ahead_of_busy_backlog() {
    const RECV_HWM: usize = 10;
    const BUSY: usize = 10_000;
    let ctx = ctx();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(RECV_HWM))
        .unwrap();
    let mon = pull.monitor();
    let ep = bind_local(&pull);

    // The busy peer queues 10,000 messages without blocking (its HWM allows
    // it); the PULL takes 10 of them and stops reading.
    let busy = ctx
        .socket_with(
            SocketType::Push,
            Options::default()
                .with_send_hwm(BUSY)
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    busy.connect(&ep).unwrap();
    for i in 0..BUSY {
        busy.try_send(format!("busy-{i}")).unwrap();
    }
    assert_eq!(busy.stats().messages_sent, BUSY as u64);
    wait_until(ARRIVE, "the busy backlog reaches the PULL", || {
        pull.readiness().readable
    });

    // The quiet peer sends one message and closes; once the PULL has seen it
    // go, its message is queued at the PULL.
    let quiet = ctx.socket(SocketType::Push).unwrap();
    quiet.connect(&ep).unwrap();
    quiet.send("quiet").unwrap();
    assert_eq!(quiet.close().unsent, 0, "the quiet message is flushed");
    wait_disconnected(&mon, 1);

    let mut busy_seen = 0usize;
    let position = loop {
        let m = recv(&pull, "busy or quiet message");
        let b = body(&m);
        if b == "quiet" {
            break busy_seen;
        }
        assert_eq!(b, format!("busy-{busy_seen}"), "busy peer's FIFO order");
        busy_seen += 1;
        assert!(busy_seen <= BUSY, "quiet message never arrived");
    };
    assert!(
        position <= 1,
        "quiet message came after {position} busy messages (bound 1)"
    );
    // The rest of the busy backlog still arrives, in order.
    for i in busy_seen..BUSY {
        assert_eq!(body(&recv(&pull, "busy backlog")), format!("busy-{i}"));
    }
}

/// Two PUSHes with 200 messages each waiting at a PULL: the PULL alternates
/// between them strictly, one message each, rather than draining one first.
///
/// We read only once both backlogs are queued at the PULL (each PUSH closes
/// after sending, and the PULL's monitor reports both disconnections, which
/// it does after reading everything sent before them; its recv_hwm, 1000,
/// has room for all). With both peers in the fair-queue ring, turns alternate.
#[test]
fn pull_alternates_between_backlogged_pushes() {
    const EACH: usize = 200;
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let mon = pull.monitor();
    let ep = bind_local(&pull);
    for n in 0..2 {
        let p = ctx.socket(SocketType::Push).unwrap();
        p.connect(&ep).unwrap();
        for i in 0..EACH {
            p.send_timeout(format!("{n}-{i}"), ARRIVE).unwrap();
        }
        assert_eq!(p.close().unsent, 0, "push {n} flushes its messages");
    }
    wait_disconnected(&mon, 2);

    let mut next = [0usize; 2];
    let mut prev = usize::MAX;
    for k in 0..2 * EACH {
        let b = body(&recv(&pull, "backlogged message"));
        let (src, idx) = b.split_once('-').unwrap();
        let src: usize = src.parse().unwrap();
        assert_eq!(idx.parse::<usize>().unwrap(), next[src], "FIFO per peer");
        next[src] += 1;
        assert_ne!(src, prev, "message {k}: same peer twice in a row, not fair");
        prev = src;
    }
}

/// PUSH (send_hwm N) to a PULL (recv_hwm M) that never reads: sends are
/// accepted until the pipes and kernel buffers are full, then `try_send` says
/// WouldBlock and `send_timeout` TimedOut, each handing the message back.
/// Once the PULL reads, sending works again.
#[test]
fn push_blocks_at_hwm_and_resumes_when_pull_reads() {
    const N: usize = 4;
    const M: usize = 4;
    // ferromq's own buffers between the pipes: the PUSH connection's write
    // queue (stops pulling at 256 KiB, so up to 5 big messages) and the
    // PULL connection's read buffer (a few more).
    const USERSPACE_SLACK: usize = 8;
    let bound = N + M + kernel_buffer_messages(BIG) + USERSPACE_SLACK;
    let payload = Bytes::from(vec![7u8; BIG]);

    let ctx = ctx();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(M))
        .unwrap();
    let ep = bind_local(&pull);
    let push = ctx
        .socket_with(
            SocketType::Push,
            Options::default()
                .with_send_hwm(N)
                .with_linger(Duration::ZERO),
        )
        .unwrap();
    push.connect(&ep).unwrap();

    // Fill until a send cannot complete within a generous pause: by then the
    // I/O thread has moved everything it could into the kernel.
    let deadline = Instant::now() + ARRIVE;
    let mut accepted = 0usize;
    loop {
        assert!(
            Instant::now() < deadline,
            "never blocked ({accepted} accepted)"
        );
        match push.send_timeout(Message::from(payload.clone()), Duration::from_millis(300)) {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert!(matches!(e.error, Error::TimedOut), "{:?}", e.error);
                break;
            }
        }
        assert!(
            accepted <= bound,
            "HWM not enforced: {accepted} messages accepted (bound {bound})"
        );
    }
    assert!(
        accepted >= N + M,
        "both pipes must fill before blocking: only {accepted} accepted"
    );
    eprintln!("push accepted {accepted} x 64 KiB before blocking (bound {bound})");

    // Now blocked: try_send would block, send_timeout times out; both hand
    // the message back intact.
    let e = push
        .try_send(Message::multipart(["back", "again"]))
        .unwrap_err();
    assert!(matches!(e.error, Error::WouldBlock), "{:?}", e.error);
    assert_eq!(e.message, Message::multipart(["back", "again"]));
    let t0 = Instant::now();
    let e = push
        .send_timeout(Message::from("timed"), Duration::from_millis(100))
        .unwrap_err();
    assert!(matches!(e.error, Error::TimedOut), "{:?}", e.error);
    assert!(t0.elapsed() >= Duration::from_millis(100));
    assert_eq!(e.message, Message::from("timed"));
    assert!(!push.readiness().writable);
    assert_eq!(push.stats().messages_sent, accepted as u64);

    // The PULL reads: room appears and a send succeeds again. (How many reads
    // it takes depends on when the kernel reopens the TCP window; each
    // attempt waits briefly, the last one — everything read — for long.)
    let mut read = 0usize;
    loop {
        let m = recv(&pull, "queued big message");
        assert_eq!(m.size(), BIG);
        read += 1;
        let wait = if read == accepted {
            ARRIVE
        } else {
            Duration::from_millis(20)
        };
        match push.send_timeout(Message::from("after"), wait) {
            Ok(()) => break,
            Err(e) => assert!(
                read < accepted,
                "read all {accepted} and send still fails: {:?}",
                e.error
            ),
        }
    }
    // Everything accepted arrives, then the message sent after unblocking.
    for _ in read..accepted {
        assert_eq!(recv(&pull, "rest of the backlog").size(), BIG);
    }
    assert_eq!(body(&recv(&pull, "message sent after unblocking")), "after");
}

/// A bound PUSH with no peer at all cannot send: `try_send` is WouldBlock at
/// once, `send_timeout` waits its full timeout; the message comes back.
#[test]
fn bound_push_without_peers_would_block_immediately() {
    let ctx = ctx();
    let push = ctx.socket(SocketType::Push).unwrap();
    bind_local(&push);
    assert!(!push.readiness().writable);
    let t0 = Instant::now();
    let e = push.try_send("job").unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_millis(100),
        "try_send must not wait"
    );
    assert!(matches!(e.error, Error::WouldBlock), "{:?}", e.error);
    assert_eq!(e.message, Message::from("job"));
    let t0 = Instant::now();
    let e = push
        .send_timeout("job", Duration::from_millis(100))
        .unwrap_err();
    assert!(matches!(e.error, Error::TimedOut), "{:?}", e.error);
    assert!(t0.elapsed() >= Duration::from_millis(100));
    assert_eq!(push.stats().messages_sent, 0);
}

/// Bind first, then connect: messages flow.
#[test]
fn bind_before_connect_delivers() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..5 {
        push.send(format!("m{i}")).unwrap();
    }
    for i in 0..5 {
        assert_eq!(body(&recv(&pull, "bind-first message")), format!("m{i}"));
    }
}

/// Connect first to an endpoint nobody listens on, send (the messages wait in
/// the connected peer's pipe), then bind: everything arrives, in order.
#[test]
fn connect_before_bind_queues_until_peer_binds() {
    let ctx = ctx();
    let ep = unused_endpoint();
    let push = ctx.socket_with(SocketType::Push, fast_reconnect()).unwrap();
    push.connect(&ep).unwrap();
    // The pipe for a connected endpoint exists at connect time (libzmq too),
    // so these do not block although no TCP connection exists yet.
    for i in 0..5 {
        push.try_send(format!("early-{i}")).unwrap();
    }
    let pull = ctx.socket(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&ep).unwrap().to_string(), ep);
    for i in 0..5 {
        assert_eq!(
            body(&recv(&pull, "queued early message")),
            format!("early-{i}")
        );
    }
    push.send("late").unwrap();
    assert_eq!(body(&recv(&pull, "message after connecting")), "late");
}

/// The reverse roles: the PULL connects first, the PUSH binds later.
#[test]
fn pull_connecting_before_push_binds_receives() {
    let ctx = ctx();
    let ep = unused_endpoint();
    let pull = ctx.socket_with(SocketType::Pull, fast_reconnect()).unwrap();
    pull.connect(&ep).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.bind(&ep).unwrap();
    // Blocks (bounded) until the PULL's reconnect attaches it.
    push.send_timeout("hello", ARRIVE).unwrap();
    assert_eq!(body(&recv(&pull, "message from late binder")), "hello");
}
