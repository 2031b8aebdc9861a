//! `reliable_producer <endpoint> <count>`: binds `<endpoint>`, sends `<count>`
//! messages whose bodies are the ids `0..count` in decimal through the
//! reliable layer, prints `confirmed <id>` on its own line as each is
//! acknowledged, and exits 0 once all are — after sending every consumer the
//! poison pill.
//!
//! Messages are never dead-lettered here (`max_deliveries` is unlimited), so
//! every id is eventually confirmed as long as some consumer keeps running.
use ferromq::{Context, Message};
use ferromq_reliable::{Producer, ProducerConfig};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn run(endpoint: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new()?;
    let cfg = ProducerConfig::default()
        .with_confirmations(true)
        .with_max_deliveries(u32::MAX)
        .with_capacity(20_000)
        .with_ack_timeout(Duration::from_secs(30));
    let producer = Arc::new(Producer::bind(&ctx, endpoint, cfg)?);
    let sender = {
        let p = producer.clone();
        std::thread::spawn(move || -> Result<(), String> {
            for i in 0..count {
                // Blocks while the queue is at capacity (backpressure).
                p.send(Message::from(i.to_string()))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    };
    // A count too large to track is an error, not an allocation failure.
    let n = usize::try_from(count)?;
    let mut seen = Vec::new();
    seen.try_reserve_exact(n)?;
    seen.resize(n, false);
    let mut confirmed = 0u64;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    while confirmed < count {
        let ids = match producer.recv_confirmations(Duration::ZERO) {
            Ok(ids) => ids,
            Err(_) => {
                out.flush()?;
                match producer.recv_confirmations(Duration::from_secs(3600)) {
                    Ok(ids) => ids,
                    Err(_) => continue,
                }
            }
        };
        for id in ids {
            let slot = usize::try_from(id)
                .ok()
                .and_then(|i| seen.get_mut(i))
                .ok_or("confirmation for an id never sent")?;
            if !std::mem::replace(slot, true) {
                confirmed += 1;
                writeln!(out, "confirmed {id}")?;
            }
        }
    }
    out.flush()?;
    sender.join().map_err(|_| "sender panicked")??;
    producer.finish();
    // Dropping the producer closes its socket, lingering so the pills go out.
    drop(producer);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(endpoint), Some(Ok(count))) = (args.first(), args.get(1).map(|c| c.parse::<u64>()))
    else {
        eprintln!("usage: reliable_producer <endpoint> <count>");
        return ExitCode::from(2);
    };
    match run(endpoint, count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reliable_producer: {e}");
            ExitCode::FAILURE
        }
    }
}
