//! `libzmq_local_lat <bind-to> <message-size> <roundtrip-count>`: libzmq's
//! own `perf/local_lat`, on real libzmq through the `zmq` crate, as the
//! baseline for ferromq's `local_lat`. A REP that echoes each request back,
//! using one message buffer throughout. Interoperates with ferromq's DEALER
//! based `remote_lat` as well as with `libzmq_remote_lat`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: libzmq_local_lat <bind-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = zmq::Context::new();
    let rep = ctx.socket(zmq::REP)?;
    rep.bind(&args[1])?;
    let mut msg = zmq::Message::new();
    for _ in 0..count {
        rep.recv(&mut msg, 0)?;
        if msg.len() != size {
            eprintln!("message of incorrect size received");
            std::process::exit(1);
        }
        // zmq_msg_send leaves the sent message empty; so does this swap.
        rep.send(std::mem::replace(&mut msg, zmq::Message::new()), 0)?;
    }
    // Infinite linger: dropping the context waits for the last reply.
    drop(rep);
    drop(ctx);
    Ok(())
}
