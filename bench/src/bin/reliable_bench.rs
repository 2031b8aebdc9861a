//! `reliable_bench [--count N] [--size BYTES] [--reps R] [--prefetch P]`:
//! acknowledged throughput of the reliable layer against plain PUSH/PULL,
//! same machine, loopback TCP, each side with its own `Context` (I/O
//! thread). Prints msg/s for each and the ratio (medians over the reps).
//!
//! * plain: PUSH sends `N` messages, PULL receives them; timed from the
//!   first send to the last receive.
//! * reliable, batched acks: `Producer::send` × N; the consumer takes what
//!   has arrived (up to 256) and acks it in one message; timed until the
//!   producer has every ack.
//! * reliable, one ack per message: the same, acking each delivery alone.
use ferromq::{Context, Error, Message, SocketType};
use ferromq_reliable::{Consumer, ConsumerConfig, Producer, ProducerConfig};
use std::time::{Duration, Instant};

struct Args {
    count: u64,
    size: usize,
    reps: usize,
    prefetch: u32,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        count: 200_000,
        size: 64,
        reps: 3,
        prefetch: 512,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let v = pair.get(1).ok_or("missing value")?;
        let bad = |_| format!("bad value {v}");
        match pair[0].as_str() {
            "--count" => a.count = v.parse().map_err(bad)?,
            "--size" => a.size = v.parse().map_err(bad)?,
            "--reps" => a.reps = v.parse().map_err(bad)?,
            "--prefetch" => a.prefetch = v.parse().map_err(bad)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn plain(a: &Args) -> Res<f64> {
    let (c1, c2) = (Context::new()?, Context::new()?);
    let pull = c2.socket(SocketType::Pull)?;
    let ep = pull.bind("tcp://127.0.0.1:0")?.to_string();
    let push = c1.socket(SocketType::Push)?;
    push.connect(&ep)?;
    let body = vec![7u8; a.size];
    let start = Instant::now();
    std::thread::scope(|s| -> Res<()> {
        let sender = s.spawn(|| -> Result<(), Error> {
            for _ in 0..a.count {
                push.send(Message::from(body.clone()))?;
            }
            Ok(())
        });
        for _ in 0..a.count {
            pull.recv()?;
        }
        sender.join().map_err(|_| "sender panicked")??;
        Ok(())
    })?;
    Ok(a.count as f64 / start.elapsed().as_secs_f64())
}

fn reliable(a: &Args, batched: bool) -> Res<f64> {
    let (c1, c2) = (Context::new()?, Context::new()?);
    let cfg = ProducerConfig::default().with_capacity(20_000);
    let p = Producer::bind(&c1, "tcp://127.0.0.1:0", cfg)?;
    let ccfg = ConsumerConfig::default().with_prefetch(a.prefetch);
    let c = Consumer::connect(&c2, &p.endpoint().to_string(), ccfg)?;
    if !p.wait_for(Duration::from_secs(10), |s| s.consumers == 1) {
        return Err("consumer never connected".into());
    }
    let body = vec![7u8; a.size];
    let start = Instant::now();
    std::thread::scope(|s| -> Res<()> {
        let consumer = s.spawn(|| -> Result<(), Error> {
            let mut batch = Vec::with_capacity(20_000);
            let mut got = 0;
            while got < a.count {
                batch.push(c.recv()?);
                while batch.len() < 256 {
                    match c.try_recv() {
                        Ok(d) => batch.push(d),
                        Err(_) => break,
                    }
                }
                got += batch.len() as u64;
                if batched {
                    c.ack_many(&batch)?;
                } else {
                    for d in &batch {
                        c.ack(d)?;
                    }
                }
                batch.clear();
            }
            Ok(())
        });
        for _ in 0..a.count {
            p.send(Message::from(body.clone()))
                .map_err(|e| e.to_string())?;
        }
        if !p.wait_for(Duration::from_secs(600), |s| s.acked == a.count) {
            return Err("not every message was acknowledged".into());
        }
        consumer.join().map_err(|_| "consumer panicked")??;
        Ok(())
    })?;
    Ok(a.count as f64 / start.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Res<()> {
    let a = parse()?;
    if a.reps == 0 || a.count == 0 {
        return Err("--reps and --count must be positive".into());
    }
    let (mut p, mut rb, mut r1) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..a.reps {
        p.push(plain(&a)?);
        rb.push(reliable(&a, true)?);
        r1.push(reliable(&a, false)?);
    }
    let (p, rb, r1) = (median(p), median(rb), median(r1));
    println!(
        "{} messages of {} B, prefetch {}, median of {} runs",
        a.count, a.size, a.prefetch, a.reps
    );
    println!("plain PUSH/PULL:                {p:>12.0} msg/s");
    println!(
        "reliable, batched acks:         {rb:>12.0} msg/s  (ratio {:.2})",
        rb / p
    );
    println!(
        "reliable, one ack per message:  {r1:>12.0} msg/s  (ratio {:.2})",
        r1 / p
    );
    Ok(())
}
