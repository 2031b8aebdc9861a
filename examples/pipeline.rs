//! Parallel pipeline: ventilator → workers → sink, over TCP on loopback.
//!
//! ```text
//!                 ┌─ PULL worker 0 PUSH ─┐
//!  ventilator     ├─ PULL worker 1 PUSH ─┤      sink
//!  PUSH (bind) ───┼─ PULL worker 2 PUSH ─┼──▶ PULL (bind)
//!                 └─ PULL worker 3 PUSH ─┘
//! ```
//!
//! The ventilator round-robins `--tasks` tasks (`[task id, payload]`) over the
//! workers, then sends the end-of-stream pill with `send_eof`. Each worker
//! checksums payloads until its `recv` reports `EndOfStream`, then sends its
//! own pill to the sink. The sink receives results until every worker has
//! finished, and checks that every task came back exactly once with the
//! right checksum. No timeouts, no counting to know when to stop.
//!
//! ```text
//! cargo run --release --example pipeline -- --tasks 200000 --workers 4 --size 64
//! ```

use bytes::Bytes;
use ferromq::{Context, Error, Message, Socket, SocketType};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// First frame of a worker's "I am connected" message to the sink.
const HELLO: &[u8] = b"hello";
/// First frame of a result message.
const RESULT: &[u8] = b"result";

struct Args {
    tasks: u64,
    workers: usize,
    size: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        tasks: 200_000,
        workers: 4,
        size: 64,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--tasks" => args.tasks = value.parse().map_err(bad)?,
            "--workers" => args.workers = value.parse().map_err(bad)?,
            "--size" => args.size = value.parse().map_err(bad)?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if args.workers == 0 {
        return Err("--workers must be at least 1".into());
    }
    Ok(args)
}

/// The payload of task `id`: `size` pseudo-random bytes (xorshift seeded by
/// the id), so the sink can recompute it.
fn payload(id: u64, size: usize) -> Vec<u8> {
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// What a worker computes: FNV-1a 64 over the task id and the payload.
fn checksum(id: u64, payload: &[u8]) -> u64 {
    id.to_le_bytes()
        .iter()
        .chain(payload)
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

fn u64_frame(frame: Option<&Bytes>) -> Result<u64, BoxError> {
    let raw: [u8; 8] = frame
        .and_then(|f| f.as_ref().try_into().ok())
        .ok_or("malformed u64 frame")?;
    Ok(u64::from_le_bytes(raw))
}

/// A worker: pull tasks until end of stream, push `[result, worker, id,
/// checksum]` for each, then pass the pill on. Returns how many tasks it did.
fn worker(ctx: &Context, index: u64, tasks_ep: &str, sink_ep: &str) -> Result<u64, BoxError> {
    let pull = ctx.socket(SocketType::Pull)?;
    pull.connect(tasks_ep)?;
    let push = ctx.socket(SocketType::Push)?;
    push.connect(sink_ep)?;
    // Tell the sink we are connected, so it never sees "every upstream
    // finished" before all workers are attached.
    push.send(Message::multipart([
        Bytes::from_static(HELLO),
        Bytes::copy_from_slice(&index.to_le_bytes()),
    ]))?;

    let mut done = 0u64;
    loop {
        let task = match pull.recv() {
            Ok(m) => m,
            Err(Error::EndOfStream) => break,
            Err(e) => return Err(e.into()),
        };
        let id = u64_frame(task.first())?;
        let body = task.frames().get(1).ok_or("task without payload")?;
        let sum = checksum(id, body);
        push.send(Message::multipart([
            Bytes::from_static(RESULT),
            Bytes::copy_from_slice(&index.to_le_bytes()),
            Bytes::copy_from_slice(&id.to_le_bytes()),
            Bytes::copy_from_slice(&sum.to_le_bytes()),
        ]))?;
        done += 1;
    }
    push.send_eof()?;
    let report = push.close();
    if report.unsent > 0 {
        return Err(format!("worker {index}: {} results unsent at close", report.unsent).into());
    }
    Ok(done)
}

/// What the sink saw.
struct SinkReport {
    per_worker: Vec<u64>,
    elapsed: Duration,
    problems: Vec<String>,
}

/// The sink: wait for every worker's hello, signal `go`, then collect results
/// until end of stream and verify them.
fn sink(pull: &Socket, args: &Args, go: &mpsc::Sender<Instant>) -> Result<SinkReport, BoxError> {
    let mut hello = vec![false; args.workers];
    let mut waiting = args.workers;
    while waiting > 0 {
        let m = pull.recv()?;
        let w = usize::try_from(u64_frame(m.frames().get(1))?)?;
        if m.first().map(|f| f.as_ref()) != Some(HELLO) || w >= args.workers || hello[w] {
            return Err(format!("unexpected message before start: {m:?}").into());
        }
        hello[w] = true;
        waiting -= 1;
    }
    let start = Instant::now();
    go.send(start)?;

    let tasks = usize::try_from(args.tasks)?;
    let mut seen = vec![false; tasks];
    let mut per_worker = vec![0u64; args.workers];
    let mut problems = Vec::new();
    let mut note = |p: String| {
        if problems.len() < 10 {
            problems.push(p);
        }
    };
    loop {
        let m = match pull.recv() {
            Ok(m) => m,
            Err(Error::EndOfStream) => break,
            Err(e) => return Err(e.into()),
        };
        if m.first().map(|f| f.as_ref()) != Some(RESULT) || m.len() != 4 {
            note(format!("malformed result {m:?}"));
            continue;
        }
        let f = m.frames();
        let (w, id, sum) = (
            u64_frame(f.get(1))?,
            u64_frame(f.get(2))?,
            u64_frame(f.get(3))?,
        );
        let (Ok(wi), Ok(idx)) = (usize::try_from(w), usize::try_from(id)) else {
            note(format!("bad ids in {m:?}"));
            continue;
        };
        match (per_worker.get_mut(wi), seen.get_mut(idx)) {
            (Some(count), Some(slot)) => {
                *count += 1;
                if std::mem::replace(slot, true) {
                    note(format!("task {id} came back twice"));
                }
            }
            _ => note(format!("result for unknown worker {w} or task {id}")),
        }
        if sum != checksum(id, &payload(id, args.size)) {
            note(format!(
                "task {id}: wrong checksum {sum:#x} from worker {w}"
            ));
        }
    }
    let elapsed = start.elapsed();
    let missing = seen.iter().filter(|s| !**s).count();
    if missing > 0 {
        note(format!("{missing} tasks never came back"));
    }
    Ok(SinkReport {
        per_worker,
        elapsed,
        problems,
    })
}

fn run(args: &Args) -> Result<bool, BoxError> {
    let ctx = Context::new()?;
    let ventilator = ctx.socket(SocketType::Push)?;
    let tasks_ep = ventilator.bind("tcp://127.0.0.1:0")?.to_string();
    let sink_pull = ctx.socket(SocketType::Pull)?;
    let sink_ep = sink_pull.bind("tcp://127.0.0.1:0")?.to_string();
    println!(
        "pipeline: {} tasks x {} B, ventilator {tasks_ep} -> {} workers -> sink {sink_ep}",
        args.tasks, args.size, args.workers
    );

    let workers: Vec<_> = (0..args.workers)
        .map(|i| {
            let (ctx, tasks_ep, sink_ep) = (ctx.clone(), tasks_ep.clone(), sink_ep.clone());
            thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || worker(&ctx, i as u64, &tasks_ep, &sink_ep))
        })
        .collect::<Result<_, _>>()?;

    let (go_tx, go_rx) = mpsc::channel();
    let sink_pull = &sink_pull;
    let report = thread::scope(|scope| -> Result<SinkReport, BoxError> {
        // The sink owns `go_tx`: if it fails early, `go_rx.recv()` fails too.
        let sink_thread = scope.spawn(move || sink(sink_pull, args, &go_tx));
        // Start only once the sink has heard from every worker.
        let mut sent = Ok(());
        if go_rx.recv().is_ok() {
            for id in 0..args.tasks {
                let task = Message::multipart([
                    Bytes::copy_from_slice(&id.to_le_bytes()),
                    Bytes::from(payload(id, args.size)),
                ]);
                if let Err(e) = ventilator.send(task) {
                    sent = Err(e);
                    break;
                }
            }
            // Even after a failed send: let the workers, then the sink, finish.
            ventilator.send_eof()?;
        }
        let report = sink_thread.join().map_err(|_| "sink thread panicked")?;
        sent?;
        report
    })?;

    let mut ok = report.problems.is_empty();
    let mut worker_counts = Vec::new();
    for (i, handle) in workers.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(n)) => worker_counts.push(n),
            Ok(Err(e)) => {
                println!("worker {i} failed: {e}");
                ok = false;
            }
            Err(_) => {
                println!("worker {i} panicked");
                ok = false;
            }
        }
    }
    if worker_counts != report.per_worker && worker_counts.len() == args.workers {
        println!(
            "workers did {worker_counts:?} tasks but the sink credited {:?}",
            report.per_worker
        );
        ok = false;
    }
    let unsent = ventilator.close().unsent;
    if unsent > 0 {
        println!("ventilator: {unsent} tasks unsent at close");
        ok = false;
    }

    let per_worker: Vec<String> = report.per_worker.iter().map(u64::to_string).collect();
    println!("per-worker tasks: [{}]", per_worker.join(", "));
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let rate = args.tasks as f64 / secs;
    println!(
        "elapsed {:.3} s: {:.0} tasks/s, {:.0} msgs/s (task + result per task)",
        secs,
        rate,
        2.0 * rate
    );
    for p in &report.problems {
        println!("problem: {p}");
    }
    Ok(ok)
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("usage: pipeline [--tasks N (200000)] [--workers W (4)] [--size B (64)]");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("usage: pipeline [--tasks N (200000)] [--workers W (4)] [--size B (64)]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => {
            println!(
                "OK: {} tasks, each came back exactly once with the right checksum",
                args.tasks
            );
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("FAILED");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
