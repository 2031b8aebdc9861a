//! A producer pushing as fast as it can to a consumer that reads slowly:
//! the process's resident memory stays within the high-water marks plus a
//! small constant, however much is sent.
//!
//! Setup (one process, loopback TCP): a PUSH with `send_hwm = H` connected
//! to a PULL with `recv_hwm = H`, `H = 50`, messages of `S = 64 KiB`, each a
//! fresh allocation. The producer thread sends `N = 2000` messages (125 MiB)
//! with blocking `send`; the consumer takes one message per millisecond
//! (its own pacing), so the producer is blocked by back-pressure almost all
//! the time.
//!
//! **The bound.** Messages that can be in this process's memory at once:
//!
//! * producer side: `H` in the PUSH's pipe, plus up to `H` more that the
//!   I/O thread has taken from the pipe to encode, plus its 256 KiB write
//!   queue: `2·H·S + 256 KiB`;
//! * consumer side: `H` in the PULL's pipe (reading pauses at the HWM),
//!   plus up to `min(H, 128)` that `recv` has moved into the socket, plus
//!   the decoder's buffer (one message and a 64 KiB read chunk):
//!   `2·H·S + S + 64 KiB`;
//! * the kernel's socket buffers are not resident memory of the process.
//!
//! So the peak resident size (`VmHWM`, reset just before the run) may grow
//! over the baseline by at most `4·H·S + C`, with `C = 16 MiB` for the
//! allocator's slack, thread stacks and buffers: 12.5 MiB + 16 MiB =
//! 28.5 MiB here, against 125 MiB sent. An unbounded queue anywhere would
//! exceed it several times over.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ferromq::{Context, Options, SocketType};
use std::time::{Duration, Instant};

const H: usize = 50;
const S: usize = 64 * 1024;
const N: usize = 2000;
const C: u64 = 16 << 20;

/// A `kB` line of /proc/self/status, in bytes.
fn status_bytes(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

#[test]
fn slow_consumer_memory_stays_within_the_high_water_marks() {
    let ctx = Context::new().unwrap();
    let pull = ctx
        .socket_with(SocketType::Pull, Options::default().with_recv_hwm(H))
        .unwrap();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap().to_string();
    let push = ctx
        .socket_with(SocketType::Push, Options::default().with_send_hwm(H))
        .unwrap();
    push.connect(&ep).unwrap();
    // Warm up: connection, threads and buffers exist before the baseline.
    push.send(vec![0u8; S]).unwrap();
    assert_eq!(
        pull.recv_timeout(Duration::from_secs(10)).unwrap().size(),
        S
    );

    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let baseline = status_bytes("VmRSS");
    let started = Instant::now();
    let producer = std::thread::spawn(move || {
        for i in 0..N {
            // A fresh allocation per message: nothing is shared.
            let mut body = vec![(i % 251) as u8; S];
            body[..8].copy_from_slice(&(i as u64).to_be_bytes());
            push.send(body).unwrap();
        }
        push
    });
    let mut max_rss = baseline;
    for i in 0..N {
        let m = pull.recv_timeout(Duration::from_secs(30)).unwrap();
        let body = &m.frames()[0];
        assert_eq!(body.len(), S);
        assert_eq!(body[..8], (i as u64).to_be_bytes(), "order");
        assert!(body[8..].iter().all(|&b| b == (i % 251) as u8), "content");
        if i % 50 == 0 {
            max_rss = max_rss.max(status_bytes("VmRSS"));
        }
        // The consumer's own pacing: it is slow on purpose.
        std::thread::sleep(Duration::from_millis(1));
    }
    let _push = producer.join().unwrap();
    let peak = if peak_reset {
        status_bytes("VmHWM")
    } else {
        max_rss
    };
    let bound = (4 * H * S) as u64 + C;
    let grew = peak.saturating_sub(baseline);
    eprintln!(
        "sent {} MiB in {:?}; baseline {} KiB, peak {} KiB (sampled max {} KiB), \
         growth {} KiB, bound {} KiB",
        (N * S) >> 20,
        started.elapsed(),
        baseline >> 10,
        peak >> 10,
        max_rss >> 10,
        grew >> 10,
        bound >> 10
    );
    assert!(
        grew <= bound,
        "resident memory grew by {grew} bytes, bound {bound}"
    );
    assert!(max_rss.saturating_sub(baseline) <= bound);
}
