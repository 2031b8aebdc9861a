//! `Poller`: waiting on many sockets for readable/writable with a timeout,
//! level-triggered, without spinning.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

#[path = "common/sockets.rs"]
mod sockets;

use ferromq::{Error, Interest, Options, Poller, SocketType};
use sockets::*;
use std::time::{Duration, Instant};

/// CPU time (user + system, in clock ticks) this thread has used, from
/// /proc; `None` where /proc is not there.
fn thread_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) (utime, stime), counted after the
    // ")" that ends the command name: indices 11 and 12.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Only the socket that has input is reported, with its token; it stays
/// reported until read (level-triggered).
#[test]
fn reports_the_readable_socket_until_it_is_read() {
    let ctx = ctx();
    let quiet = ctx.socket(SocketType::Pull).unwrap();
    bind_local(&quiet);
    let busy = ctx.socket(SocketType::Pull).unwrap();
    let ep = bind_local(&busy);
    let push = connected(&ctx, SocketType::Push, Options::default(), &ep);
    let mut poller = Poller::new();
    poller.add(&quiet, 1, Interest::READABLE).unwrap();
    poller.add(&busy, 2, Interest::READABLE).unwrap();
    assert!(
        poller.add(&busy, 3, Interest::READABLE).is_err(),
        "added twice"
    );
    assert!(poller.poll_now().is_empty());
    push.send("one").unwrap();
    push.send("two").unwrap();
    let ready = poller.wait(Some(ARRIVE)).unwrap();
    assert_eq!(ready.iter().map(|e| e.token).collect::<Vec<_>>(), [2]);
    assert!(ready[0].readable && !ready[0].writable);
    busy.try_recv().unwrap();
    assert_eq!(
        poller.wait(Some(ARRIVE)).unwrap()[0].token,
        2,
        "one is left"
    );
    busy.try_recv().unwrap();
    assert!(poller.poll_now().is_empty());
    assert!(poller.remove(&busy));
    assert!(!poller.remove(&busy));
}

/// Writable: a PUSH with no peer is not; once a peer attaches it is.
#[test]
fn reports_writable_when_a_peer_arrives() {
    let ctx = ctx();
    let push = ctx.socket(SocketType::Push).unwrap();
    let ep = bind_local(&push);
    let mut poller = Poller::new();
    poller.add(&push, 9, Interest::BOTH).unwrap();
    assert!(matches!(
        poller.wait(Some(Duration::from_millis(50))),
        Err(Error::TimedOut)
    ));
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.connect(&ep).unwrap();
    let ready = poller.wait(Some(ARRIVE)).unwrap();
    assert_eq!(ready.len(), 1);
    assert!(ready[0].writable && !ready[0].readable);
    assert!(poller.modify(&push, Interest::READABLE));
    assert!(poller.poll_now().is_empty(), "a PUSH is never readable");
}

/// Waiting sleeps: a 300 ms timed-out wait uses (almost) no CPU.
#[test]
fn waiting_does_not_spin() {
    let ctx = ctx();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    bind_local(&pull);
    let mut poller = Poller::new();
    poller.add(&pull, 0, Interest::READABLE).unwrap();
    let Some(before) = thread_cpu_ticks() else {
        eprintln!("no /proc/thread-self/stat: CPU check skipped");
        return;
    };
    let t0 = Instant::now();
    assert!(matches!(
        poller.wait(Some(Duration::from_millis(300))),
        Err(Error::TimedOut)
    ));
    assert!(t0.elapsed() >= Duration::from_millis(300));
    let used = thread_cpu_ticks().unwrap() - before;
    // Clock ticks are 10 ms: a spinning wait would use about 30.
    assert!(used <= 5, "the wait used {used} ticks of CPU in 300 ms");
}
