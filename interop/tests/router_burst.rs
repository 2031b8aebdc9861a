//! A ROUTER reply service under a pipelined burst (issue 16): a DEALER
//! sends 100,000 requests without waiting and reads the replies, either on
//! a second thread or by draining with `try_recv` between sends. The
//! ferromq ROUTER must answer every one, as libzmq's does — the same client
//! against a libzmq ROUTER echo is the control.
//!
//! Both need an optimized build: unoptimized, the client itself reads too
//! slowly and even libzmq's ROUTER drops (about 0.5% in one run), which
//! would make the control meaningless. `scripts/test.sh` runs them with
//! `cargo test --release`; a debug `cargo test` skips them (ignored).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use ferromq::{Context, Message, SocketType};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const REQUESTS: usize = 100_000;
/// A gap this long in the replies means the rest are not coming.
const QUIET: Duration = Duration::from_secs(5);

/// A ferromq ROUTER echoing every request on its own thread; returns the
/// endpoint, and a handle that yields its counters when it goes quiet.
fn ferromq_echo(ctx: &Context) -> (String, thread::JoinHandle<ferromq::SocketStats>) {
    let router = ctx.socket(SocketType::Router).unwrap();
    let ep = router.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let h = thread::spawn(move || {
        while let Ok(m) = router.recv_timeout(QUIET) {
            if m.frames()[1] == "stop" {
                break;
            }
            router.send(m).unwrap();
        }
        router.stats()
    });
    (ep, h)
}

/// The same echo on libzmq.
fn libzmq_echo() -> (String, thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = thread::spawn(move || {
        let zctx = zmq::Context::new();
        let router = zctx.socket(zmq::ROUTER).unwrap();
        router.set_rcvtimeo(QUIET.as_millis() as i32).unwrap();
        router.set_linger(0).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        tx.send(router.get_last_endpoint().unwrap().unwrap())
            .unwrap();
        while let Ok(m) = router.recv_multipart(0) {
            if m[1] == b"stop" {
                break;
            }
            router.send_multipart(m, 0).unwrap();
        }
    });
    (rx.recv().unwrap(), h)
}

/// Pipeline the requests; count the replies (each checked against its
/// request number, so none is duplicated or mixed up).
fn client(ctx: &Context, ep: &str, threads: bool) -> usize {
    let dealer = Arc::new(ctx.socket(SocketType::Dealer).unwrap());
    dealer.connect(ep).unwrap();
    let mut seen = vec![false; REQUESTS];
    let note = |m: Message, seen: &mut Vec<bool>| {
        let n: usize = std::str::from_utf8(&m.frames()[0])
            .unwrap()
            .parse()
            .unwrap();
        assert!(!seen[n], "reply {n} twice");
        seen[n] = true;
    };
    if threads {
        let d = dealer.clone();
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            while got.len() < REQUESTS {
                match d.recv_timeout(QUIET) {
                    Ok(m) => got.push(m),
                    Err(_) => break,
                }
            }
            got
        });
        for i in 0..REQUESTS {
            dealer.send(i.to_string()).unwrap();
        }
        for m in reader.join().unwrap() {
            note(m, &mut seen);
        }
    } else {
        for i in 0..REQUESTS {
            dealer.send(i.to_string()).unwrap();
            while let Ok(m) = dealer.try_recv() {
                note(m, &mut seen);
            }
        }
        while seen.iter().any(|s| !s) {
            match dealer.recv_timeout(QUIET) {
                Ok(m) => note(m, &mut seen),
                Err(_) => break,
            }
        }
    }
    dealer.send("stop").unwrap();
    seen.iter().filter(|&&s| s).count()
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "needs --release (scripts/test.sh runs it so)"
)]
fn ferromq_router_answers_every_request_of_a_burst() {
    for threads in [true, false] {
        let ctx = Context::new().unwrap();
        let (ep, server) = ferromq_echo(&ctx);
        let replies = client(&ctx, &ep, threads);
        let stats = server.join().unwrap();
        assert_eq!(
            (replies, stats.dropped_full),
            (REQUESTS, 0),
            "threads={threads}: replies lost ({stats:?})"
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "needs --release (scripts/test.sh runs it so)"
)]
fn control_libzmq_router_answers_every_request_of_a_burst() {
    for threads in [true, false] {
        let ctx = Context::new().unwrap();
        let (ep, server) = libzmq_echo();
        assert_eq!(client(&ctx, &ep, threads), REQUESTS, "threads={threads}");
        server.join().unwrap();
    }
}
