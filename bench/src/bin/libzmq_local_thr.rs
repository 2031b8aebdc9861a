//! `libzmq_local_thr <bind-to> <message-size> <message-count>`: libzmq's own
//! `perf/local_thr`, on real libzmq through the `zmq` crate, as the baseline
//! for ferromq's `local_thr`. Binds a PULL, receives every message into one
//! reused `zmq::Message`, timing from the first message on, and prints
//! libzmq's report lines.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: libzmq_local_thr <bind-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.bind(&args[1])?;
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0)?;
    check(&msg, size);
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0)?;
        check(&msg, size);
    }
    let us = (start.elapsed().as_secs_f64() * 1e6).max(1.0);
    let throughput = count as f64 * 1e6 / us;
    let megabits = throughput * size as f64 * 8.0 / 1e6;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as u64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

fn check(msg: &zmq::Message, size: usize) {
    if msg.len() != size {
        eprintln!("message of incorrect size received");
        std::process::exit(1);
    }
}
