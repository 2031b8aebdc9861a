//! `libzmq_inproc_lat <message-size> <roundtrip-count>`: libzmq's own
//! `perf/inproc_lat`, on real libzmq through the `zmq` crate, as the
//! baseline for ferromq's `inproc_lat` (same threads, same report lines).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: libzmq_inproc_lat <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[1].parse()?;
    let count: u64 = args[2].parse()?;
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP)?;
    rep.bind("inproc://lat_test")?;
    let req_ctx = ctx.clone();
    let worker = std::thread::spawn(move || -> Result<f64, zmq::Error> {
        let req = req_ctx.socket(zmq::REQ)?;
        req.connect("inproc://lat_test")?;
        let mut msg = zmq::Message::new();
        let start = Instant::now();
        for _ in 0..count {
            req.send(zmq::Message::with_size(size), 0)?;
            req.recv(&mut msg, 0)?;
            if msg.len() != size {
                eprintln!("message of incorrect size received");
                std::process::exit(1);
            }
        }
        Ok(start.elapsed().as_secs_f64() * 1e6)
    });
    let mut msg = zmq::Message::new();
    for _ in 0..count {
        rep.recv(&mut msg, 0)?;
        rep.send(std::mem::replace(&mut msg, zmq::Message::new()), 0)?;
    }
    let us = worker.join().map_err(|_| "requester thread panicked")??;
    let latency = us / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
    Ok(())
}
