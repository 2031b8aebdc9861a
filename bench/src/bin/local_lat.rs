//! `local_lat <bind-to> <message-size> <roundtrip-count>`: libzmq's latency
//! echo side, for ferromq. A ROUTER (until REP exists) that echoes each
//! message, envelope included, so libzmq's REQ-based `remote_lat` works too.
use ferromq::{Context, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: local_lat <bind-to> <message-size> <roundtrip-count>");
        std::process::exit(1);
    }
    let size: usize = args[2].parse()?;
    let count: u64 = args[3].parse()?;
    let ctx = Context::new()?;
    let router = ctx.socket(SocketType::Router)?;
    router.bind(&args[1])?;
    for _ in 0..count {
        let m = router.recv()?;
        if m.last().map(|b| b.len()) != Some(size) {
            eprintln!("message of incorrect size received");
            std::process::exit(1);
        }
        router.send(m)?;
    }
    // Let the last reply go out before exiting.
    router.close();
    Ok(())
}
