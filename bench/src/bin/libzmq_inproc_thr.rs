//! `libzmq_inproc_thr <message-size> <message-count>`: libzmq's own
//! `perf/inproc_thr`, on real libzmq through the `zmq` crate, as the
//! baseline for ferromq's `inproc_thr` (same threads, same report lines).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: libzmq_inproc_thr <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse()?;
    let count: u64 = args[2].parse()?;
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.bind("inproc://thr_test")?;
    let push_ctx = ctx.clone();
    let worker = std::thread::spawn(move || -> Result<(), zmq::Error> {
        let push = push_ctx.socket(zmq::PUSH)?;
        push.connect("inproc://thr_test")?;
        for _ in 0..count {
            push.send(zmq::Message::with_size(size), 0)?;
        }
        Ok(())
    });
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0)?;
    check(&msg, size);
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0)?;
        check(&msg, size);
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

fn check(msg: &zmq::Message, size: usize) {
    if msg.len() != size {
        eprintln!("message of incorrect size received");
        std::process::exit(1);
    }
}
