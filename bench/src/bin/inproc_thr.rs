//! `inproc_thr <message-size> <message-count>`: libzmq's `perf/inproc_thr`,
//! for ferromq. A PUSH on a second thread sends the messages over
//! `inproc://` to a PULL, which times from the first message on and prints
//! libzmq's report lines.
use ferromq::{Context, SocketType};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: inproc_thr <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse()?;
    let count: u64 = args[2].parse()?;
    let ctx = Context::new()?;
    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind("inproc://thr_test")?;
    let push_ctx = ctx.clone();
    let worker = std::thread::spawn(move || -> Result<(), ferromq::Error> {
        let push = push_ctx.socket(SocketType::Push)?;
        push.connect("inproc://thr_test")?;
        let body = vec![0u8; size];
        for _ in 0..count {
            // A fresh message each time (its own buffer, as libzmq's tool
            // allocates one per message).
            push.send(&body[..])?;
        }
        Ok(())
    });
    let first = pull.recv()?;
    check(&first, size);
    let start = Instant::now();
    for _ in 1..count {
        let m = pull.recv()?;
        check(&m, size);
    }
    let us = (start.elapsed().as_secs_f64() * 1e6).max(1.0);
    worker.join().map_err(|_| "sender thread panicked")??;
    let throughput = count as f64 * 1e6 / us;
    let megabits = throughput * size as f64 * 8.0 / 1e6;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as u64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

fn check(m: &ferromq::Message, size: usize) {
    if m.len() != 1 || m.size() != size {
        eprintln!("message of incorrect size received");
        std::process::exit(1);
    }
}
