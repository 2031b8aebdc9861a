//! `inproc_lat <message-size> <roundtrip-count>`: libzmq's `perf/inproc_lat`,
//! for ferromq. A REQ on a second thread and a REP bounce a message over
//! `inproc://`; prints libzmq's report lines (average one-way latency).
use ferromq::{Context, SocketType};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: inproc_lat <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse()?;
    let count: u64 = args[2].parse()?;
    let ctx = Context::new()?;
    let rep = ctx.socket(SocketType::Rep)?;
    rep.bind("inproc://lat_test")?;
    let req_ctx = ctx.clone();
    let worker = std::thread::spawn(move || -> Result<f64, ferromq::Error> {
        let req = req_ctx.socket(SocketType::Req)?;
        req.connect("inproc://lat_test")?;
        let start = Instant::now();
        for _ in 0..count {
            req.send(vec![0u8; size])?;
            let m = req.recv()?;
            if m.size() != size {
                eprintln!("message of incorrect size received");
                std::process::exit(1);
            }
        }
        Ok(start.elapsed().as_secs_f64() * 1e6)
    });
    for _ in 0..count {
        let m = rep.recv()?;
        rep.send(m)?;
    }
    let us = worker.join().map_err(|_| "requester thread panicked")??;
    let latency = us / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
    Ok(())
}
