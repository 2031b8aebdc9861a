//! `libzmq_remote_thr <connect-to> <message-size> <message-count>`: libzmq's
//! own `perf/remote_thr`, on real libzmq through the `zmq` crate, as the
//! baseline for ferromq's `remote_thr`. Connects a PUSH and sends the
//! messages, each built afresh for its send as libzmq's tool does with
//! `zmq_msg_init_size`; the context's drop waits (infinite linger) until
//! everything has been written.
//!
//! One difference from the C tool: `zmq::Message::with_size` zero-fills the
//! buffer (the crate's only safe sized constructor; `unsafe` is forbidden in
//! this package), which libzmq's `zmq_msg_init_size` does not. That costs a
//! memset per message, noticeable only at large sizes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: libzmq_remote_thr <connect-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = zmq::Context::new();
    let push = ctx.socket(zmq::PUSH)?;
    push.connect(&args[1])?;
    for _ in 0..count {
        push.send(zmq::Message::with_size(size), 0)?;
    }
    // zmq_close + zmq_ctx_term: linger defaults to infinite, so the context's
    // termination blocks until every queued message has been sent.
    drop(push);
    drop(ctx);
    Ok(())
}
