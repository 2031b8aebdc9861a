//! `local_thr <bind-to> <message-size> <message-count>`: libzmq's throughput
//! receiver, for ferromq. Binds a PULL, receives the messages, prints libzmq's
//! report lines.
use ferromq::{Context, SocketType};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: local_thr <bind-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = Context::new()?;
    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind(&args[1])?;
    let first = pull.recv()?;
    check(&first, size);
    let start = Instant::now();
    for _ in 1..count {
        let m = pull.recv()?;
        check(&m, size);
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

fn check(m: &ferromq::Message, size: usize) {
    if m.len() != 1 || m.size() != size {
        eprintln!("message of incorrect size received");
        std::process::exit(1);
    }
}
