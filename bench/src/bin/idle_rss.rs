//! `idle_rss ferromq|libzmq`: resident memory of one idle, connected
//! PUSH→PULL pair in this process (both ends here, over loopback), after one
//! message has crossed. Prints `rss before: N kB`, `rss idle pair: N kB` and
//! the difference, for comparing ferromq's idle cost with libzmq's.
use std::time::Duration;

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ferromq".into());
    let before = rss_kb();
    let after = match which.as_str() {
        "ferromq" => {
            use ferromq::{Context, SocketType};
            let ctx = Context::new()?;
            let pull = ctx.socket(SocketType::Pull)?;
            let ep = pull.bind("tcp://127.0.0.1:0")?;
            let push = ctx.socket(SocketType::Push)?;
            push.connect(&ep.to_string())?;
            push.send("x")?;
            pull.recv_timeout(Duration::from_secs(10))?;
            let rss = rss_kb();
            drop((push, pull, ctx));
            rss
        }
        "libzmq" => {
            let ctx = zmq::Context::new();
            let pull = ctx.socket(zmq::PULL)?;
            pull.bind("tcp://127.0.0.1:*")?;
            let ep = pull.get_last_endpoint()?.map_err(|_| "endpoint")?;
            let push = ctx.socket(zmq::PUSH)?;
            push.connect(&ep)?;
            push.send("x", 0)?;
            pull.set_rcvtimeo(10_000)?;
            pull.recv_bytes(0)?;
            rss_kb()
        }
        other => return Err(format!("unknown implementation {other:?}").into()),
    };
    println!("implementation: {which}");
    println!("rss before: {before} kB");
    println!("rss idle pair: {after} kB");
    println!("idle pair cost: {} kB", after.saturating_sub(before));
    Ok(())
}
