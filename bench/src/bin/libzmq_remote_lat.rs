//! `libzmq_remote_lat <connect-to> <message-size> <roundtrip-count>`:
//! libzmq's own `perf/remote_lat`, on real libzmq through the `zmq` crate, as
//! the baseline for ferromq's `remote_lat`. A REQ that sends a zeroed
//! message, awaits its echo into the same buffer and repeats; prints half the
//! mean round trip, as libzmq does (the clock starts right after connect, so
//! connection setup is included, as in the C tool). Interoperates with
//! ferromq's ROUTER based `local_lat` as well as with `libzmq_local_lat`.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: libzmq_remote_lat <connect-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = zmq::Context::new();
    let req = ctx.socket(zmq::REQ)?;
    req.connect(&args[1])?;
    let mut msg = zmq::Message::with_size(size);
    let start = Instant::now();
    for _ in 0..count {
        // zmq_msg_send leaves the sent message empty; so does this swap.
        req.send(std::mem::replace(&mut msg, zmq::Message::new()), 0)?;
        req.recv(&mut msg, 0)?;
        if msg.len() != size {
            eprintln!("message of incorrect size received");
            std::process::exit(1);
        }
    }
    let us = start.elapsed().as_secs_f64() * 1e6;
    let latency = us / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
    Ok(())
}
