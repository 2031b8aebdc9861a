//! `remote_thr <connect-to> <message-size> <message-count>`: libzmq's
//! throughput sender, for ferromq. Connects a PUSH and sends the messages.
use bytes::BytesMut;
use ferromq::{Context, Message, Options, SocketType};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: remote_thr <connect-to> <message-size> <message-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = Context::new()?;
    let opts = Options::default().with_linger(Duration::from_secs(60));
    let push = ctx.socket_with(SocketType::Push, opts)?;
    push.connect(&args[1])?;
    // Each message gets its own payload bytes, written per message (as
    // libzmq's remote_thr builds each message with zmq_msg_init_size). Small
    // payloads are carved from a shared 64 KiB arena, the usual way to make
    // many small `Bytes` without one allocation each.
    let payload = vec![0u8; size];
    let mut arena = BytesMut::new();
    for _ in 0..count {
        if arena.capacity() < size {
            arena = BytesMut::with_capacity(size.max(64 * 1024));
        }
        arena.extend_from_slice(&payload);
        push.send(Message::from(arena.split().freeze()))?;
    }
    let report = push.close();
    if report.unsent > 0 {
        eprintln!("{} messages could not be sent", report.unsent);
        std::process::exit(1);
    }
    Ok(())
}
