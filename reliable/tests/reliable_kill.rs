//! The reliable examples as processes: a producer sends 100,000 messages
//! while its consumer is SIGKILLed and restarted six times; then the whole
//! history is checked. Kills are triggered by progress (a number of
//! `delivered` lines from the current consumer), never by sleeping.
//!
//! The processes are this package's binaries `reliable_producer` and
//! `reliable_consumer`, which cargo builds (in the test's own profile)
//! before it runs integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Sender};
use std::time::{Duration, Instant};

const COUNT: u64 = 100_000;
/// Kill the consumer after this many `delivered` lines from it.
const KILL_EVERY: usize = 12_000;
const KILLS: usize = 6;
/// The whole run must finish within this.
const RUN_LIMIT: Duration = Duration::from_secs(90);

enum Ev {
    Confirmed(u64),
    ProducerEnded,
    Delivered { inst: usize, id: u64, count: u32 },
    ConsumerEnded(usize),
    Garbage(String),
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// Forward each stdout line of `child` as an event; `end` when it closes.
fn pump_lines(child: &mut Child, tx: Sender<Ev>, inst: Option<usize>) {
    let out = child.stdout.take().expect("stdout is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let parts: Vec<&str> = line.split(' ').collect();
            let ev = match (inst, parts.as_slice()) {
                (None, ["confirmed", id]) => id.parse().map(Ev::Confirmed).ok(),
                (Some(inst), ["delivered", id, count]) => match (id.parse(), count.parse()) {
                    (Ok(id), Ok(count)) => Some(Ev::Delivered { inst, id, count }),
                    _ => None,
                },
                _ => None,
            };
            let _ = tx.send(ev.unwrap_or(Ev::Garbage(line)));
        }
        let _ = tx.send(match inst {
            None => Ev::ProducerEnded,
            Some(i) => Ev::ConsumerEnded(i),
        });
    });
}

fn spawn(bin: &Path, args: &[&str]) -> Child {
    Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts")
}

#[test]
fn consumer_killed_and_restarted_loses_nothing() {
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let deadline = started + RUN_LIMIT;
    let (tx, rx) = channel();

    let mut producer = spawn(
        Path::new(env!("CARGO_BIN_EXE_reliable_producer")),
        &[&endpoint, &COUNT.to_string()],
    );
    pump_lines(&mut producer, tx.clone(), None);
    let consumer_bin = Path::new(env!("CARGO_BIN_EXE_reliable_consumer"));
    let start_consumer = |inst: usize| {
        let mut c = spawn(consumer_bin, &[&endpoint]);
        pump_lines(&mut c, tx.clone(), Some(inst));
        c
    };

    let mut inst = 0;
    let mut consumer = start_consumer(inst);
    let mut since_start = 0usize;
    let (mut kills, mut killing) = (0, false);
    let (mut producer_done, mut consumer_done) = (false, false);
    let mut confirmed: Vec<u64> = Vec::new();
    let mut delivered: Vec<(u64, u32)> = Vec::new();
    while !(producer_done && consumer_done) {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rx.recv_timeout(left).unwrap_or_else(|_| {
            let _ = consumer.kill();
            let _ = producer.kill();
            panic!(
                "run did not finish within {RUN_LIMIT:?}: {} confirmed, {} delivered, {kills} kills",
                confirmed.len(),
                delivered.len()
            )
        });
        match ev {
            Ev::Confirmed(id) => confirmed.push(id),
            Ev::ProducerEnded => producer_done = true,
            Ev::Delivered { inst: i, id, count } => {
                delivered.push((id, count));
                if i == inst && !killing {
                    since_start += 1;
                    if since_start >= KILL_EVERY && kills < KILLS {
                        consumer.kill().expect("SIGKILL the consumer");
                        consumer.wait().expect("reap the consumer");
                        kills += 1;
                        killing = true;
                    }
                }
            }
            Ev::ConsumerEnded(i) if i == inst && killing => {
                // Everything the killed consumer printed has been read.
                inst += 1;
                since_start = 0;
                killing = false;
                consumer = start_consumer(inst);
            }
            Ev::ConsumerEnded(i) if i == inst => consumer_done = true,
            Ev::ConsumerEnded(_) => {}
            Ev::Garbage(line) => panic!("unexpected output line {line:?}"),
        }
    }
    let elapsed = started.elapsed();
    assert!(producer.wait().expect("producer exits").success());
    assert!(consumer.wait().expect("consumer exits").success());
    assert!(kills >= 5, "only {kills} kills");

    // The whole history.
    let delivered_ids: HashSet<u64> = delivered.iter().map(|d| d.0).collect();
    let confirmed_ids: HashSet<u64> = confirmed.iter().copied().collect();
    assert_eq!(
        confirmed.len(),
        confirmed_ids.len(),
        "an id confirmed twice"
    );
    assert_eq!(confirmed_ids.len() as u64, COUNT, "not every id confirmed");
    for id in &confirmed_ids {
        assert!(*id < COUNT, "confirmed {id} was never sent");
        assert!(delivered_ids.contains(id), "confirmed {id} never delivered");
    }
    for (id, _) in &delivered {
        assert!(*id < COUNT, "delivered {id} outside 0..{COUNT}");
    }
    let mut per_id: HashMap<u64, Vec<u32>> = HashMap::new();
    for (id, count) in &delivered {
        per_id.entry(*id).or_default().push(*count);
    }
    for (id, counts) in &per_id {
        let first_deliveries = counts.iter().filter(|c| **c == 1).count();
        assert!(
            first_deliveries <= 1,
            "id {id} repeated with count 1: {counts:?}"
        );
        let distinct: HashSet<&u32> = counts.iter().collect();
        assert_eq!(
            distinct.len(),
            counts.len(),
            "id {id}: a delivery printed twice"
        );
    }
    let duplicates = delivered.len() - delivered_ids.len();
    let redelivered = per_id.values().filter(|c| c.len() > 1).count();
    println!(
        "reliable kill test: {COUNT} messages, {kills} kills, {} deliveries, \
         {duplicates} duplicate deliveries ({redelivered} ids delivered more than once), {:.2?}",
        delivered.len(),
        elapsed
    );
}
