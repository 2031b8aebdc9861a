//! `raw_tcp local_thr|remote_thr|local_lat|remote_lat <addr> <size> <count>`:
//! a raw TCP baseline for the perf tools, on blocking `std::net` sockets,
//! printing the same report lines as libzmq's tools.
//!
//! `<addr>` is `host:port` or `tcp://host:port` (`*` as host means all
//! interfaces). There is no framing beyond messages of a fixed `size`:
//!
//! * `local_thr` binds, accepts one connection and reads `count * size`
//!   bytes; like libzmq's tool it starts the clock once the first message
//!   (`size` bytes) is in, and reports `count / elapsed` messages per second.
//! * `remote_thr` connects and writes `count * size` bytes in large writes
//!   (up to 1 MiB each), then half-closes and waits for the receiver to close.
//! * `local_lat` binds, accepts one connection and echoes `count` messages of
//!   `size` bytes.
//! * `remote_lat` connects, sends a message, reads its echo, `count` times,
//!   and prints half the mean round trip. Both ends set `TCP_NODELAY`.
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Largest single write (and read buffer) for the throughput test.
const CHUNK: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: raw_tcp local_thr|remote_thr|local_lat|remote_lat <addr> <size> <count>");
        std::process::exit(1);
    }
    let addr = host_port(&args[2]);
    let size: usize = args[3].parse()?;
    let count: u64 = args[4].parse()?;
    match args[1].as_str() {
        "local_thr" => local_thr(&addr, size, count),
        "remote_thr" => remote_thr(&addr, size, count),
        "local_lat" => local_lat(&addr, size, count),
        "remote_lat" => remote_lat(&addr, size, count),
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(1);
        }
    }
}

/// `tcp://host:port` or `host:port` to `host:port`, with `*` as `0.0.0.0`.
fn host_port(addr: &str) -> String {
    let addr = addr.strip_prefix("tcp://").unwrap_or(addr);
    match addr.strip_prefix("*:") {
        Some(port) => format!("0.0.0.0:{port}"),
        None => addr.to_string(),
    }
}

fn accept_one(addr: &str) -> std::io::Result<TcpStream> {
    let listener = TcpListener::bind(addr)?;
    let (stream, _) = listener.accept()?;
    Ok(stream)
}

/// Connects, retrying for up to 10 s while the listener is not there yet
/// (libzmq and ferromq reconnect on their own; this mimics that).
fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() < deadline => {
                if e.kind() != std::io::ErrorKind::ConnectionRefused {
                    return Err(e);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}

fn local_thr(addr: &str, size: usize, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut stream = accept_one(addr)?;
    let total = size as u64 * count;
    let mut buf = vec![0u8; CHUNK.max(size)];
    // The first message starts the clock, as in libzmq's local_thr.
    stream.read_exact(&mut buf[..size.min(total as usize)])?;
    let start = Instant::now();
    let mut left = total - size.min(total as usize) as u64;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = stream.read(&mut buf[..want])?;
        if n == 0 {
            eprintln!("connection closed with {left} bytes still expected");
            std::process::exit(1);
        }
        left -= n as u64;
    }
    let us = (start.elapsed().as_secs_f64() * 1e6).max(1.0);
    drop(stream);
    let throughput = count as f64 * 1e6 / us;
    let megabits = throughput * size as f64 * 8.0 / 1e6;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as u64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

fn remote_thr(addr: &str, size: usize, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut stream = connect(addr)?;
    let mut left = size as u64 * count;
    let buf = vec![0u8; (left.min(CHUNK as u64)) as usize];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        stream.write_all(&buf[..n])?;
        left -= n as u64;
    }
    // Half-close, then wait for the receiver to finish and close its end, so
    // exiting cannot cut anything short.
    stream.shutdown(Shutdown::Write)?;
    let mut sink = [0u8; 64];
    while stream.read(&mut sink)? > 0 {}
    Ok(())
}

fn local_lat(addr: &str, size: usize, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut stream = accept_one(addr)?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; size];
    for _ in 0..count {
        stream.read_exact(&mut buf)?;
        stream.write_all(&buf)?;
    }
    Ok(())
}

fn remote_lat(addr: &str, size: usize, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut stream = connect(addr)?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; size];
    let start = Instant::now();
    for _ in 0..count {
        stream.write_all(&buf)?;
        stream.read_exact(&mut buf)?;
    }
    let us = start.elapsed().as_secs_f64() * 1e6;
    let latency = us / (count as f64 * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {count}");
    println!("average latency: {latency:.3} [us]");
    Ok(())
}
