//! `remote_lat <connect-to> <message-size> <roundtrip-count>`: libzmq's
//! latency measuring side, for ferromq. A DEALER sending `[empty, body]` (the
//! REQ envelope, until REQ exists) and awaiting each echo; prints half the
//! mean round trip, as libzmq does.
use bytes::Bytes;
use ferromq::{Context, Message, SocketType};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: remote_lat <connect-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = Context::new()?;
    let dealer = ctx.socket(SocketType::Dealer)?;
    dealer.connect(&args[1])?;
    let body = Bytes::from(vec![0u8; size]);
    let start = Instant::now();
    for _ in 0..count {
        dealer.send(Message::multipart([Bytes::new(), body.clone()]))?;
        let m = dealer.recv()?;
        if m.last().map(|b| b.len()) != Some(size) {
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
