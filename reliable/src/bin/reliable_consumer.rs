//! `reliable_consumer <endpoint>`: connects to a reliable producer and, for
//! each message it processes, prints `delivered <id> <delivery_count>` and
//! flushes stdout *before* acknowledging it; runs until the poison pill.
//!
//! Messages are taken in batches of what has already arrived (up to 256):
//! the batch's lines are written and flushed, then the batch is acked in one
//! message. A consumer killed between the flush and the ack leaves those
//! messages unacknowledged: the producer redelivers them (count > 1).
use ferromq::{Context, Error};
use ferromq_reliable::{Consumer, ConsumerConfig};
use std::io::Write;
use std::process::ExitCode;

fn run(endpoint: &str) -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new()?;
    let consumer = Consumer::connect(&ctx, endpoint, ConsumerConfig::default().with_prefetch(512))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut batch = Vec::with_capacity(256);
    let mut ended = false;
    while !ended {
        match consumer.recv() {
            Ok(d) => batch.push(d),
            Err(Error::EndOfStream) => break,
            Err(e) => return Err(e.into()),
        }
        while batch.len() < 256 {
            match consumer.try_recv() {
                Ok(d) => batch.push(d),
                Err(Error::EndOfStream) => {
                    ended = true;
                    break;
                }
                Err(_) => break,
            }
        }
        for d in &batch {
            writeln!(out, "delivered {} {}", d.id, d.delivery_count)?;
        }
        out.flush()?;
        consumer.ack_many(&batch)?;
        batch.clear();
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let Some(endpoint) = std::env::args().nth(1) else {
        eprintln!("usage: reliable_consumer <endpoint>");
        return ExitCode::from(2);
    };
    match run(&endpoint) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reliable_consumer: {e}");
            ExitCode::FAILURE
        }
    }
}
