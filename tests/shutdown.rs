//! Interrupting blocked calls: `Context::shutdown` (and dropping the last
//! `Context`) makes every blocked `recv`, `send` and `Poller::wait` return at
//! once with `Terminated` (libzmq's `ETERM`), later calls too; a socket shared
//! through an `Arc` can be closed by one thread while another is blocked in
//! it; linger still applies after a shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{Error, Interest, Options, Poller, SocketType};
use sockets::*;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

/// How quickly a blocked call must return once interrupted.
const PROMPT: Duration = Duration::from_secs(2);

/// Run `f` on a thread; returns a receiver for its result. The caller
/// checks it has *not* returned yet (so it is really blocked), interrupts
/// it, and then receives.
fn blocked<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    // It must still be waiting a moment later (an absence check).
    assert!(rx.recv_timeout(ABSENT).is_err(), "the call did not block");
    rx
}

#[test]
fn shutdown_wakes_recv_send_and_poller() {
    let ctx = ctx();
    let pull = Arc::new(ctx.socket(SocketType::Pull).unwrap());
    bind_local(&pull);
    let push = Arc::new(
        ctx.socket_with(
            SocketType::Push,
            Options::default().with_linger(Duration::ZERO),
        )
        .unwrap(),
    );
    push.connect(&unused_endpoint()).unwrap();
    // Fill the PUSH's pipe so that a send blocks.
    while push.try_send("fill").is_ok() {}
    let p = pull.clone();
    let recv = blocked(move || p.recv());
    let s = push.clone();
    let send = blocked(move || s.send("blocked"));
    let idle = ctx.socket(SocketType::Pull).unwrap();
    let mut poller = Poller::new();
    poller.add(&idle, 7, Interest::READABLE).unwrap();
    let poll = blocked(move || poller.wait(None).map(|evs| evs.len()));

    let t0 = Instant::now();
    ctx.shutdown();
    let r = recv.recv_timeout(PROMPT).expect("recv returned");
    assert!(matches!(r, Err(Error::Terminated)), "{r:?}");
    let e = send
        .recv_timeout(PROMPT)
        .expect("send returned")
        .unwrap_err();
    assert!(matches!(e.error, Error::Terminated), "{:?}", e.error);
    assert_eq!(e.message.frames()[0], "blocked", "handed back");
    let n = poll.recv_timeout(PROMPT).expect("poller returned").unwrap();
    assert_eq!(n, 1, "the terminated socket is reported ready");
    assert!(t0.elapsed() < PROMPT);

    // Later calls fail at once too, and no new sockets can be made.
    assert!(matches!(pull.try_recv(), Err(Error::Terminated)));
    assert!(matches!(idle.recv_timeout(ARRIVE), Err(Error::Terminated)));
    assert!(matches!(
        push.send_timeout("x", ARRIVE).map_err(|e| e.error),
        Err(Error::Terminated)
    ));
    assert!(matches!(
        pull.bind("tcp://127.0.0.1:0"),
        Err(Error::Terminated)
    ));
    assert!(matches!(
        ctx.socket(SocketType::Push),
        Err(Error::Terminated)
    ));
}

/// Dropping the last clone of the context is a shutdown.
#[test]
fn dropping_the_last_context_terminates_its_sockets() {
    let ctx = ctx();
    let clone = ctx.clone();
    let rep = Arc::new(ctx.socket(SocketType::Rep).unwrap());
    let r = rep.clone();
    let waiting = blocked(move || r.recv());
    drop(ctx);
    assert!(waiting.recv_timeout(ABSENT).is_err(), "a clone still lives");
    drop(clone);
    let r = waiting.recv_timeout(PROMPT).expect("recv returned");
    assert!(matches!(r, Err(Error::Terminated)), "{r:?}");
}

/// After a shutdown, closing a socket still flushes what it queued (within
/// linger): the peer, in another context, gets every message.
#[test]
fn linger_still_applies_after_shutdown() {
    let peer_ctx = ctx();
    let pull = peer_ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let ctx = ctx();
    let push = connected(
        &ctx,
        SocketType::Push,
        Options::default().with_linger(ARRIVE),
        &ep,
    );
    for i in 0..100 {
        push.send(format!("m{i}")).unwrap();
    }
    ctx.shutdown();
    let report = push.close();
    assert_eq!(report.unsent, 0);
    for i in 0..100 {
        assert_eq!(texts(&recv(&pull, "flushed message")), [format!("m{i}")]);
    }
}

/// `close(&self)` through an `Arc`: a thread blocked in `recv` or `send`
/// returns `Closed`; calling close twice is harmless.
#[test]
fn close_through_a_shared_reference_wakes_blocked_callers() {
    let ctx = ctx();
    let dealer = Arc::new(
        ctx.socket_with(
            SocketType::Dealer,
            Options::default().with_linger(Duration::ZERO),
        )
        .unwrap(),
    );
    let d = dealer.clone();
    let recv = blocked(move || d.recv());
    let d = dealer.clone();
    let send = blocked(move || d.send("no peer"));
    dealer.close();
    assert!(matches!(
        recv.recv_timeout(PROMPT).unwrap(),
        Err(Error::Closed)
    ));
    let e = send.recv_timeout(PROMPT).unwrap().unwrap_err();
    assert!(matches!(e.error, Error::Closed), "{:?}", e.error);
    assert_eq!(dealer.close().unsent, 0, "second close does nothing");
    assert!(matches!(dealer.try_recv(), Err(Error::Closed)));
}

/// A monitor hands out the socket's last events, then says `Closed` at
/// once instead of waiting (so an observer thread ends with its socket).
#[test]
fn monitor_ends_when_its_socket_closes() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let mon = pull.monitor();
    let ep = bind_local(&pull);
    let waiter = thread::spawn(move || {
        let mut seen = Vec::new();
        loop {
            match mon.recv_timeout(Duration::MAX) {
                Ok(ev) => seen.push(ev.to_string()),
                Err(e) => return (seen, e),
            }
        }
    });
    pull.close();
    let (seen, end) = waiter.join().unwrap();
    assert!(matches!(end, Error::Closed), "{end:?}");
    assert_eq!(seen, [format!("listening {ep}"), format!("closed {ep}")]);
    assert!(matches!(pull.monitor().try_recv(), Err(Error::Closed)));
}

/// A thread blocked in `recv` returns `Closed` as soon as `close` begins,
/// not when its linger wait ends.
#[test]
fn close_wakes_a_blocked_receiver_before_lingering() {
    let ctx = ctx();
    let dealer = Arc::new(
        ctx.socket_with(
            SocketType::Dealer,
            Options::default().with_linger(Duration::from_secs(4)),
        )
        .unwrap(),
    );
    // Output that can never be written keeps close lingering (4 s, twice
    // PROMPT).
    dealer.connect(&unused_endpoint()).unwrap();
    dealer.send("stuck").unwrap();
    let d = dealer.clone();
    let recv = blocked(move || d.recv());
    let d = dealer.clone();
    let closer = thread::spawn(move || d.close());
    let r = recv
        .recv_timeout(PROMPT)
        .expect("recv returned before linger ended");
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert_eq!(closer.join().unwrap().unsent, 1);
}

/// A socket closed (dropped) from a readiness callback, which runs on the
/// I/O thread, does not stall that thread for its linger time: other
/// sockets keep working at once.
#[test]
fn closing_a_socket_from_a_callback_does_not_stall_the_io_thread() {
    let ctx = ctx();
    let doomed = ctx
        .socket_with(
            SocketType::Push,
            Options::default().with_linger(Duration::from_secs(60)),
        )
        .unwrap();
    doomed.connect(&unused_endpoint()).unwrap();
    doomed.send("never written").unwrap();
    let slot = Arc::new(std::sync::Mutex::new(Some(doomed)));
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&pull);
    let s = slot.clone();
    pull.set_notify(move || {
        // Runs on the I/O thread: drop the other socket from here.
        s.lock().unwrap().take();
    });
    let push = connected(&ctx, SocketType::Push, Options::default(), &ep);
    push.send("first").unwrap();
    assert_eq!(texts(&recv(&pull, "first")), ["first"]);
    assert!(slot.lock().unwrap().is_none(), "the callback ran");
    pull.clear_notify();
    let t0 = Instant::now();
    push.send("second").unwrap();
    assert_eq!(texts(&recv(&pull, "second")), ["second"]);
    assert!(t0.elapsed() < PROMPT, "the I/O thread stalled");
}

/// What a socket received and the application never read is counted at
/// close (CloseReport::unread, SocketStats::unread_on_close), and
/// messages_received counts what `recv` handed out.
#[test]
fn unread_messages_are_counted_at_close() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let mon = pull.monitor();
    let ep = bind_local(&pull);
    let push = connected(&ctx, SocketType::Push, Options::default(), &ep);
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    assert_eq!(push.close().unsent, 0);
    // Disconnected is reported after everything sent before the close
    // was read into the socket.
    wait_disconnected(&mon, 1);
    assert_eq!(texts(&recv(&pull, "first")), ["0"]);
    let report = pull.close();
    assert_eq!(report.unread, 9);
    let s = pull.stats();
    assert_eq!((s.messages_received, s.unread_on_close), (1, 9));
}
