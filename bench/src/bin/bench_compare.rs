//! `bench_compare [--reps N] [--quick] [--taskset CPUS] [--out DIR]`: runs
//! ferromq, libzmq and raw TCP side by side and writes the comparison.
//!
//! The tools are the sibling binaries of package `ferromq-bench` in this
//! executable's own directory (`target/release`): ferromq's `local_thr`/`remote_thr`/
//! `local_lat`/`remote_lat`, their `libzmq_*` twins on real libzmq, and
//! `raw_tcp`. Each measurement starts the binding side, waits until its port
//! is listening (watching `/proc/net/tcp`, so no probe connection disturbs
//! the tools, and no connect attempt is refused and backed off), then starts
//! the connecting side, over `tcp://127.0.0.1` on a fresh free port. Each
//! child is killed (by its own pid) if it outlives the timeout; a failed run is
//! retried on a new port.
//!
//! Per repetition, every (test, size) runs all three implementations back to
//! back, in an order rotated from one repetition to the next, so they share
//! the machine's noise. Medians over the repetitions go to
//! `DIR/BENCHMARKS.md` and `DIR/bench.svg`, every run to `DIR/bench_runs.csv`
//! (`DIR` defaults to the repository's `docs/`). `--taskset CPUS` runs every
//! child under `taskset -c CPUS` (e.g. `0` to put both ends on one CPU).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Message sizes measured, in bytes.
const SIZES: [usize; 4] = [8, 64, 1024, 65536];
/// A child running longer than this is killed.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per measurement (each on a fresh port) before giving up.
const ATTEMPTS: usize = 3;
/// Raw TCP throughput runs move at least this many bytes (its small-message
/// runs would otherwise last a few milliseconds); msg/s is still per `size`.
const RAW_MIN_BYTES: u64 = 512 << 20;
/// Same, for `--quick`.
const RAW_MIN_BYTES_QUICK: u64 = 64 << 20;

/// The implementations compared.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Imp {
    Ferromq,
    Libzmq,
    Raw,
}

const IMPS: [Imp; 3] = [Imp::Ferromq, Imp::Libzmq, Imp::Raw];

impl Imp {
    fn name(self) -> &'static str {
        match self {
            Imp::Ferromq => "ferromq",
            Imp::Libzmq => "libzmq",
            Imp::Raw => "raw TCP",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Imp::Ferromq => "ferromq",
            Imp::Libzmq => "libzmq",
            Imp::Raw => "raw_tcp",
        }
    }

    /// The command for one of the four tools (`local_thr` etc.), run under
    /// `taskset -c CPUS` if `cpus` is given.
    fn command(self, dir: &Path, tool: &str, cpus: Option<&str>) -> Command {
        let (exe, mode) = match self {
            Imp::Ferromq => (dir.join(tool), None),
            Imp::Libzmq => (dir.join(format!("libzmq_{tool}")), None),
            Imp::Raw => (dir.join("raw_tcp"), Some(tool)),
        };
        let mut c = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpus).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.args(mode);
        c
    }
}

/// Throughput (PUSH→PULL) or latency (request/echo).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Test {
    Thr,
    Lat,
}

impl Test {
    fn key(self) -> &'static str {
        match self {
            Test::Thr => "thr",
            Test::Lat => "lat",
        }
    }
}

/// What one successful run reported.
#[derive(Clone, Copy, Debug, Default)]
struct Measured {
    msg_per_s: Option<f64>,
    mbit_per_s: Option<f64>,
    latency_us: Option<f64>,
}

/// One run, for the CSV.
struct Run {
    rep: usize,
    test: Test,
    size: usize,
    imp: Imp,
    count: u64,
    attempts: usize,
    wall_s: f64,
    result: Result<Measured, String>,
}

struct Config {
    reps: usize,
    quick: bool,
    /// `--taskset CPUS`: pin every child to these CPUs.
    taskset: Option<String>,
    out: PathBuf,
    args: Vec<String>,
}

fn main() {
    let cfg = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("usage: bench_compare [--reps N] [--quick] [--taskset CPUS] [--out DIR]");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&cfg) {
        eprintln!("bench_compare: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Config, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut reps = None;
    let mut quick = false;
    let mut taskset = None;
    let mut out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reps" => {
                let n = it.next().ok_or("--reps needs a number")?;
                let n: usize = n.parse().map_err(|_| format!("bad --reps {n:?}"))?;
                if n == 0 {
                    return Err("--reps must be at least 1".into());
                }
                reps = Some(n);
            }
            "--quick" => quick = true,
            "--taskset" => taskset = Some(it.next().ok_or("--taskset needs a CPU list")?.clone()),
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "-h" | "--help" => {
                println!("usage: bench_compare [--reps N] [--quick] [--taskset CPUS] [--out DIR]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let reps = reps.unwrap_or(if quick { 1 } else { 5 });
    Ok(Config {
        reps,
        quick,
        taskset,
        out,
        args,
    })
}

/// Messages per throughput run.
fn thr_count(size: usize, quick: bool) -> u64 {
    let full = match size {
        0..=64 => 2_000_000,
        65..=1024 => 500_000,
        _ => 20_000,
    };
    if quick {
        full / 10
    } else {
        full
    }
}

/// Round trips per latency run.
fn lat_count(quick: bool) -> u64 {
    if quick {
        2_000
    } else {
        20_000
    }
}

fn run(cfg: &Config) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("executable has no directory")?
        .to_path_buf();
    for tool in [
        "local_thr",
        "remote_thr",
        "local_lat",
        "remote_lat",
        "libzmq_local_thr",
        "libzmq_remote_thr",
        "libzmq_local_lat",
        "libzmq_remote_lat",
        "raw_tcp",
    ] {
        if !dir.join(tool).is_file() {
            return Err(format!(
                "{} missing: run `cargo build --release -p ferromq-bench` first",
                dir.join(tool).display()
            ));
        }
    }
    std::fs::create_dir_all(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    let machine = Machine::probe();
    let load_before = load_avg();
    let cpu_before = CpuSample::take();
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut runs = Vec::new();
    let total = cfg.reps * 2 * SIZES.len() * IMPS.len();
    for rep in 0..cfg.reps {
        for test in [Test::Thr, Test::Lat] {
            for size in SIZES {
                for k in 0..IMPS.len() {
                    let imp = IMPS[(k + rep) % IMPS.len()];
                    let count = match (test, imp) {
                        (Test::Thr, Imp::Raw) => {
                            let min = if cfg.quick {
                                RAW_MIN_BYTES_QUICK
                            } else {
                                RAW_MIN_BYTES
                            };
                            thr_count(size, cfg.quick).max(min / size as u64)
                        }
                        (Test::Thr, _) => thr_count(size, cfg.quick),
                        (Test::Lat, _) => lat_count(cfg.quick),
                    };
                    let start = Instant::now();
                    let (attempts, result) =
                        measure(&dir, imp, test, size, count, cfg.taskset.as_deref());
                    let r = Run {
                        rep: rep + 1,
                        test,
                        size,
                        imp,
                        count,
                        attempts,
                        wall_s: start.elapsed().as_secs_f64(),
                        result,
                    };
                    eprintln!(
                        "[{}/{total}] rep {} {} {:>5} B {:<8} {}",
                        runs.len() + 1,
                        r.rep,
                        test.key(),
                        size,
                        imp.name(),
                        describe(&r)
                    );
                    runs.push(r);
                }
            }
        }
    }
    let elapsed = t0.elapsed();
    let load_after = load_avg();
    let (others_pct, steal_pct) = match (cpu_before, CpuSample::take()) {
        (Some(a), Some(b)) => b.since(&a),
        _ => (None, None),
    };
    let noise = Noise {
        load_before,
        load_after,
        others_pct,
        steal_pct,
    };
    let stats = Stats::from_runs(&runs);

    let csv = render_csv(&runs);
    write(&cfg.out.join("bench_runs.csv"), &csv)?;
    let svg = render_svg(&stats, &machine, started);
    write(&cfg.out.join("bench.svg"), &svg)?;
    let md = render_md(cfg, &stats, &runs, &machine, started, elapsed, &noise);
    write(&cfg.out.join("BENCHMARKS.md"), &md)?;
    println!("{}", summary_table(&stats));
    println!(
        "wrote {}, {}, {}",
        cfg.out.join("BENCHMARKS.md").display(),
        cfg.out.join("bench.svg").display(),
        cfg.out.join("bench_runs.csv").display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn describe(r: &Run) -> String {
    match &r.result {
        Ok(m) => {
            let mut s = String::new();
            if let Some(v) = m.msg_per_s {
                let _ = write!(s, "{v:.0} msg/s ");
            }
            if let Some(v) = m.mbit_per_s {
                let _ = write!(s, "{:.1} MB/s ", v / 8.0);
            }
            if let Some(v) = m.latency_us {
                let _ = write!(s, "{v:.3} us ");
            }
            let _ = write!(s, "({:.2} s)", r.wall_s);
            s
        }
        Err(e) => format!("FAILED: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Running the children

/// A child process with its stdout and stderr drained by threads.
struct Proc {
    child: Child,
    out: Option<JoinHandle<String>>,
    err: Option<JoinHandle<String>>,
    status: Option<ExitStatus>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Result<Proc, String> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        let out = child.stdout.take().map(drain);
        let err = child.stderr.take().map(drain);
        Ok(Proc {
            child,
            out,
            err,
            status: None,
        })
    }

    /// Whether it has exited (reaping it if so).
    fn done(&mut self) -> bool {
        if self.status.is_none() {
            if let Ok(Some(s)) = self.child.try_wait() {
                self.status = Some(s);
            }
        }
        self.status.is_some()
    }

    /// Kills this child (by its pid) if still running, and reaps it.
    fn kill(&mut self) {
        if !self.done() {
            let _ = self.child.kill();
            if let Ok(s) = self.child.wait() {
                self.status = Some(s);
            }
        }
    }

    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Stdout and stderr, once it has exited.
    fn output(&mut self) -> (String, String) {
        let out = self
            .out
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let err = self
            .err
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        (out, err)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn drain<R: Read + Send + 'static>(mut r: R) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

/// A port that was free a moment ago: bind port 0, read it, let it go.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    drop(l);
    Ok(port)
}

/// Whether something listens on 127.0.0.1:`port` (or the wildcard address),
/// according to /proc/net/tcp; `None` if that cannot be read.
fn listening(port: u16) -> Option<bool> {
    let text = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let want = format!(":{port:04X}");
    Some(text.lines().skip(1).any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.len() > 3
            && f[3] == "0A"
            && f[1].ends_with(&want)
            && (f[1].starts_with("0100007F") || f[1].starts_with("00000000"))
    }))
}

/// Runs one measurement, retrying on a fresh port; returns the number of
/// attempts and the result.
fn measure(
    dir: &Path,
    imp: Imp,
    test: Test,
    size: usize,
    count: u64,
    cpus: Option<&str>,
) -> (usize, Result<Measured, String>) {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match measure_once(dir, imp, test, size, count, cpus) {
            Ok(m) => return (attempt, Ok(m)),
            Err(e) => {
                eprintln!(
                    "  attempt {attempt} of {} {} {size} B failed: {e}",
                    imp.name(),
                    test.key()
                );
                last = e;
            }
        }
    }
    (ATTEMPTS, Err(last))
}

fn measure_once(
    dir: &Path,
    imp: Imp,
    test: Test,
    size: usize,
    count: u64,
    cpus: Option<&str>,
) -> Result<Measured, String> {
    let port = free_port()?;
    let addr = format!("tcp://127.0.0.1:{port}");
    let (local_tool, remote_tool) = match test {
        Test::Thr => ("local_thr", "remote_thr"),
        Test::Lat => ("local_lat", "remote_lat"),
    };
    let tool_cmd = |tool: &str| {
        let mut c = imp.command(dir, tool, cpus);
        c.arg(&addr).arg(size.to_string()).arg(count.to_string());
        c
    };
    let deadline = Instant::now() + TIMEOUT;
    let mut local = Proc::spawn(tool_cmd(local_tool))?;
    // Start the connecting side only once the binding side listens, so that
    // no connect is refused and then backed off (ferromq and libzmq wait
    // 100 ms before reconnecting, which would inflate remote_lat's clock).
    let listen_deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if local.done() {
            let (_, err) = local.output();
            return Err(format!(
                "{local_tool} exited early ({:?}): {}",
                local.status,
                err.trim()
            ));
        }
        match listening(port) {
            Some(true) => break,
            Some(false) if Instant::now() < listen_deadline => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Some(false) => return Err(format!("{local_tool} not listening after 10 s")),
            None => {
                // No /proc/net/tcp: give it a moment instead.
                std::thread::sleep(Duration::from_millis(300));
                break;
            }
        }
    }
    let mut remote = Proc::spawn(tool_cmd(remote_tool))?;
    // Wait for both; if one fails, the other will not finish on its own.
    loop {
        let l = local.done();
        let r = remote.done();
        if l && r {
            break;
        }
        if (l && !local.succeeded()) || (r && !remote.succeeded()) {
            local.kill();
            remote.kill();
            break;
        }
        if Instant::now() >= deadline {
            local.kill();
            remote.kill();
            return Err(format!("timed out after {} s, killed", TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (lout, lerr) = local.output();
    let (rout, rerr) = remote.output();
    if !local.succeeded() || !remote.succeeded() {
        return Err(format!(
            "{local_tool}: {:?} {} / {remote_tool}: {:?} {}",
            local.status,
            lerr.trim(),
            remote.status,
            rerr.trim()
        ));
    }
    let report = match test {
        Test::Thr => &lout,
        Test::Lat => &rout,
    };
    let m = parse_report(report);
    let ok = match test {
        Test::Thr => m.msg_per_s.is_some() && m.mbit_per_s.is_some(),
        Test::Lat => m.latency_us.is_some(),
    };
    if !ok {
        return Err(format!("unparsable report: {report:?}"));
    }
    Ok(m)
}

/// Reads libzmq's perf report lines.
fn parse_report(text: &str) -> Measured {
    let mut m = Measured::default();
    for line in text.lines() {
        let line = line.trim();
        let num = |prefix: &str, suffix: &str| -> Option<f64> {
            line.strip_prefix(prefix)?
                .strip_suffix(suffix)?
                .trim()
                .parse()
                .ok()
        };
        if let Some(v) = num("mean throughput:", "[msg/s]") {
            m.msg_per_s = Some(v);
        } else if let Some(v) = num("mean throughput:", "[Mb/s]") {
            m.mbit_per_s = Some(v);
        } else if let Some(v) = num("average latency:", "[us]") {
            m.latency_us = Some(v);
        }
    }
    m
}

// ---------------------------------------------------------------------------
// Statistics

/// Values of one metric over the repetitions, for one (test, size, imp).
#[derive(Default, Clone)]
struct Series(Vec<f64>);

impl Series {
    fn median(&self) -> Option<f64> {
        let mut v = self.0.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }
    fn min(&self) -> Option<f64> {
        self.0.iter().copied().min_by(f64::total_cmp)
    }
    fn max(&self) -> Option<f64> {
        self.0.iter().copied().max_by(f64::total_cmp)
    }
}

/// Per (size, imp): msg/s, MB/s (10^6 bytes), latency in µs.
#[derive(Default)]
struct Stats {
    msgs: BTreeMap<(usize, Imp), Series>,
    mbytes: BTreeMap<(usize, Imp), Series>,
    lat: BTreeMap<(usize, Imp), Series>,
    failed: usize,
}

impl Stats {
    fn from_runs(runs: &[Run]) -> Stats {
        let mut s = Stats::default();
        for r in runs {
            let key = (r.size, r.imp);
            match &r.result {
                Ok(m) => {
                    if let Some(v) = m.msg_per_s {
                        s.msgs.entry(key).or_default().0.push(v);
                    }
                    if let Some(v) = m.mbit_per_s {
                        s.mbytes.entry(key).or_default().0.push(v / 8.0);
                    }
                    if let Some(v) = m.latency_us {
                        s.lat.entry(key).or_default().0.push(v);
                    }
                }
                Err(_) => s.failed += 1,
            }
        }
        s
    }

    fn get(map: &BTreeMap<(usize, Imp), Series>, size: usize, imp: Imp) -> Series {
        map.get(&(size, imp)).cloned().unwrap_or_default()
    }
    fn msgs(&self, size: usize, imp: Imp) -> Option<f64> {
        Self::get(&self.msgs, size, imp).median()
    }
    fn mbytes(&self, size: usize, imp: Imp) -> Option<f64> {
        Self::get(&self.mbytes, size, imp).median()
    }
    fn lat(&self, size: usize, imp: Imp) -> Option<f64> {
        Self::get(&self.lat, size, imp).median()
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn size_label(size: usize) -> String {
    if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".to_string())
}

/// 1234567 -> "1,234,567".
fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn mbs(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn x(v: f64) -> String {
    format!("{v:.2}×")
}

// ---------------------------------------------------------------------------
// Machine description

struct Machine {
    cpu: String,
    nproc: usize,
    kernel: String,
    rustc: String,
}

impl Machine {
    fn probe() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .or_else(|_| command_output("uname", &["-r"]))
            .unwrap_or_else(|_| "unknown".into());
        let rustc = command_output("rustc", &["-V"]).unwrap_or_else(|_| "unknown".into());
        Machine {
            cpu,
            nproc,
            kernel,
            rustc,
        }
    }
}

fn command_output(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{cmd} failed"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// How busy the machine was besides this benchmark.
struct Noise {
    load_before: String,
    load_after: String,
    others_pct: Option<f64>,
    steal_pct: Option<f64>,
}

/// CPU time counters, in clock ticks: the machine's (/proc/stat) and this
/// process's own plus its reaped children's (/proc/self/stat).
struct CpuSample {
    busy: u64,
    total: u64,
    steal: u64,
    own: u64,
}

impl CpuSample {
    fn take() -> Option<CpuSample> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let f: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        if f.len() < 8 {
            return None;
        }
        // user nice system idle iowait irq softirq steal
        let busy = f[0] + f[1] + f[2] + f[5] + f[6];
        let total = f.iter().sum();
        let me = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after "(comm)": state is field 3, utime..cstime are 14..17.
        let rest: Vec<u64> = me
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .skip(11)
            .take(4)
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        Some(CpuSample {
            busy,
            total,
            steal: f[7],
            own: rest.iter().sum(),
        })
    }

    /// Percent of all CPU time used by others, and stolen, since `earlier`.
    fn since(&self, earlier: &CpuSample) -> (Option<f64>, Option<f64>) {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            return (None, None);
        }
        let busy = self.busy.saturating_sub(earlier.busy);
        let own = self.own.saturating_sub(earlier.own);
        let others = busy.saturating_sub(own) as f64 * 100.0 / total as f64;
        let steal = self.steal.saturating_sub(earlier.steal) as f64 * 100.0 / total as f64;
        (Some(others), Some(steal))
    }
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// UTC `YYYY-MM-DD HH:MM:SS UTC`, without a date crate.
fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

// ---------------------------------------------------------------------------
// Reports

fn render_csv(runs: &[Run]) -> String {
    let mut s = String::from(
        "rep,test,size_bytes,impl,count,attempts,wall_s,msg_per_s,mbit_per_s,mbyte_per_s,latency_us,error\n",
    );
    for r in runs {
        let (m, err) = match &r.result {
            Ok(m) => (*m, String::new()),
            Err(e) => (Measured::default(), e.replace(['"', '\n', '\r'], " ")),
        };
        let f = |v: Option<f64>, p: usize| v.map_or(String::new(), |v| format!("{v:.p$}"));
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{:.3},{},{},{},{},\"{}\"",
            r.rep,
            r.test.key(),
            r.size,
            r.imp.key(),
            r.count,
            r.attempts,
            r.wall_s,
            f(m.msg_per_s, 0),
            f(m.mbit_per_s, 3),
            f(m.mbit_per_s.map(|v| v / 8.0), 3),
            f(m.latency_us, 3),
            err
        );
    }
    s
}

/// The medians table, as Markdown (also printed to stdout).
fn summary_table(st: &Stats) -> String {
    let mut s = String::new();
    s.push_str("Throughput (PUSH→PULL; raw TCP: one stream of fixed-size messages), medians:\n\n");
    s.push_str("| size | ferromq msg/s | ferromq MB/s | libzmq msg/s | libzmq MB/s | raw TCP MB/s | ferromq / libzmq | ferromq / raw TCP |\n");
    s.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for size in SIZES {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            size_label(size),
            fmt_opt(st.msgs(size, Imp::Ferromq), thousands),
            fmt_opt(st.mbytes(size, Imp::Ferromq), mbs),
            fmt_opt(st.msgs(size, Imp::Libzmq), thousands),
            fmt_opt(st.mbytes(size, Imp::Libzmq), mbs),
            fmt_opt(st.mbytes(size, Imp::Raw), mbs),
            fmt_opt(
                ratio(st.msgs(size, Imp::Ferromq), st.msgs(size, Imp::Libzmq)),
                x
            ),
            fmt_opt(
                ratio(st.mbytes(size, Imp::Ferromq), st.mbytes(size, Imp::Raw)),
                x
            ),
        );
    }
    s.push_str("\nLatency (half the mean round trip; ferromq ROUTER echo ↔ DEALER, libzmq REP ↔ REQ, raw TCP ping-pong with TCP_NODELAY), medians, lower is better:\n\n");
    s.push_str(
        "| size | ferromq µs | libzmq µs | raw TCP µs | ferromq / libzmq | ferromq / raw TCP |\n",
    );
    s.push_str("|---:|---:|---:|---:|---:|---:|\n");
    for size in SIZES {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            size_label(size),
            fmt_opt(st.lat(size, Imp::Ferromq), |v| format!("{v:.2}")),
            fmt_opt(st.lat(size, Imp::Libzmq), |v| format!("{v:.2}")),
            fmt_opt(st.lat(size, Imp::Raw), |v| format!("{v:.2}")),
            fmt_opt(
                ratio(st.lat(size, Imp::Ferromq), st.lat(size, Imp::Libzmq)),
                x
            ),
            fmt_opt(ratio(st.lat(size, Imp::Ferromq), st.lat(size, Imp::Raw)), x),
        );
    }
    s
}

/// A target from the issue: description, measured ratio, bound, whether the
/// ratio must be at least (true) or at most (false) the bound.
struct Target {
    what: &'static str,
    measured: Option<f64>,
    bound: f64,
    at_least: bool,
}

fn targets(st: &Stats) -> Vec<Target> {
    let f = Imp::Ferromq;
    vec![
        Target {
            what: "PUSH→PULL 8 B msg/s ≥ 1.5× libzmq",
            measured: ratio(st.msgs(8, f), st.msgs(8, Imp::Libzmq)),
            bound: 1.5,
            at_least: true,
        },
        Target {
            what: "PUSH→PULL 64 B msg/s ≥ 1.5× libzmq",
            measured: ratio(st.msgs(64, f), st.msgs(64, Imp::Libzmq)),
            bound: 1.5,
            at_least: true,
        },
        Target {
            what: "PUSH→PULL 1 KiB msg/s ≥ 2× libzmq",
            measured: ratio(st.msgs(1024, f), st.msgs(1024, Imp::Libzmq)),
            bound: 2.0,
            at_least: true,
        },
        Target {
            what: "PUSH→PULL 64 KiB bandwidth ≥ 90% of raw TCP",
            measured: ratio(st.mbytes(65536, f), st.mbytes(65536, Imp::Raw)),
            bound: 0.9,
            at_least: true,
        },
        Target {
            what: "64 B latency ≤ 0.4× libzmq",
            measured: ratio(st.lat(64, f), st.lat(64, Imp::Libzmq)),
            bound: 0.4,
            at_least: false,
        },
        Target {
            what: "64 B latency ≤ 1.5× raw TCP",
            measured: ratio(st.lat(64, f), st.lat(64, Imp::Raw)),
            bound: 1.5,
            at_least: false,
        },
    ]
}

fn render_md(
    cfg: &Config,
    st: &Stats,
    runs: &[Run],
    m: &Machine,
    started: SystemTime,
    elapsed: Duration,
    noise: &Noise,
) -> String {
    let mut s = String::new();
    let args = if cfg.args.is_empty() {
        String::new()
    } else {
        format!(" {}", cfg.args.join(" "))
    };
    s.push_str("# Benchmarks: ferromq vs libzmq vs raw TCP\n\n");
    s.push_str(
        "<!-- Generated by bench/src/bin/bench_compare.rs; rerun instead of editing. -->\n\n",
    );
    let _ = writeln!(
        s,
        "Made by `scripts/bench.sh{args}` (that is, `cargo build --release -p ferromq-bench && target/release/bench_compare{args}`)."
    );
    let _ = writeln!(
        s,
        "\n- Date: {} (took {:.0} s)\n- Machine: {}, {} CPUs (nproc), Linux {}\n- Toolchain: {}\n- libzmq: 4.3.4 via the `zmq` crate 0.10 (`zmq-sys`, built from source)\n- Load average (1/5/15 min) before: {}, after: {}\n- CPU used by other processes during the run: {} of the total capacity of the {} CPUs (steal: {})\n- Repetitions: {}{}; {} of {} runs failed",
        utc(started),
        elapsed.as_secs_f64(),
        m.cpu,
        m.nproc,
        m.kernel,
        m.rustc,
        noise.load_before,
        noise.load_after,
        fmt_opt(noise.others_pct, |v| format!("{v:.0}%")),
        m.nproc,
        fmt_opt(noise.steal_pct, |v| format!("{v:.1}%")),
        cfg.reps,
        if cfg.quick { " (`--quick`: reduced counts)" } else { "" },
        st.failed,
        runs.len()
    );
    s.push_str("\nAll over `tcp://127.0.0.1`, one fresh port per run, both ends on this machine. ");
    s.push_str("Numbers are medians over the repetitions; the three implementations run back to back for every (test, size) within a repetition, in rotating order, so they share the machine's noise. ");
    s.push_str("MB/s is 10^6 bytes of payload per second (the tools' Mb/s ÷ 8).\n\n");
    s.push_str("`inproc://` and `ipc://` (against `tcp://` and libzmq): [BENCHMARKS-transports.md](BENCHMARKS-transports.md), made next by `bench_transports` in the same `scripts/bench.sh` run.\n\n");
    s.push_str("![throughput and latency vs message size](bench.svg)\n\n");
    s.push_str("## Medians\n\n");
    s.push_str(&summary_table(st));
    s.push_str("\n## Targets\n\n| target | measured | met? |\n|---|---:|:---:|\n");
    for t in targets(st) {
        let met = match t.measured {
            Some(v) if t.at_least => {
                if v >= t.bound {
                    "yes"
                } else {
                    "**no**"
                }
            }
            Some(v) => {
                if v <= t.bound {
                    "yes"
                } else {
                    "**no**"
                }
            }
            None => "n/a",
        };
        let measured = match t.measured {
            Some(v) if t.what.contains('%') => format!("{:.0}%", v * 100.0),
            Some(v) => x(v),
            None => "–".into(),
        };
        let _ = writeln!(s, "| {} | {} | {} |", t.what, measured, met);
    }
    s.push_str("\n## Spread (min – max over the repetitions)\n\n");
    s.push_str("| size | ferromq msg/s | libzmq msg/s | raw TCP MB/s | ferromq µs | libzmq µs | raw TCP µs |\n");
    s.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    for size in SIZES {
        let range = |map: &BTreeMap<(usize, Imp), Series>, imp: Imp, f: &dyn Fn(f64) -> String| {
            let series = Stats::get(map, size, imp);
            match (series.min(), series.max()) {
                (Some(a), Some(b)) => format!("{} – {}", f(a), f(b)),
                _ => "–".into(),
            }
        };
        let us = |v: f64| format!("{v:.2}");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            size_label(size),
            range(&st.msgs, Imp::Ferromq, &thousands),
            range(&st.msgs, Imp::Libzmq, &thousands),
            range(&st.mbytes, Imp::Raw, &mbs),
            range(&st.lat, Imp::Ferromq, &us),
            range(&st.lat, Imp::Libzmq, &us),
            range(&st.lat, Imp::Raw, &us),
        );
    }
    s.push_str("\nEvery run is in [bench_runs.csv](bench_runs.csv).\n\n");
    s.push_str("## Method\n\n");
    let q = cfg.quick;
    let _ = writeln!(
        s,
        "- Throughput: `local_thr` (PULL, binds) and `remote_thr` (PUSH, connects), {} messages of 8 B and 64 B, {} of 1 KiB, {} of 64 KiB. The receiver starts its clock at the first message and reports count ÷ elapsed, as libzmq's `perf/local_thr` does.",
        thousands(thr_count(8, q) as f64),
        thousands(thr_count(1024, q) as f64),
        thousands(thr_count(65536, q) as f64),
    );
    let _ = writeln!(
        s,
        "- Latency: `local_lat` (echo, binds) and `remote_lat` (connects), {} round trips per size; the reported latency is half the mean round trip, clock started right after connect, as in libzmq's `perf/remote_lat`.",
        thousands(lat_count(q) as f64)
    );
    s.push_str("- ferromq: `bench/src/bin/{local,remote}_{thr,lat}.rs` (latency: ROUTER echo and DEALER sending an empty delimiter plus body, the REQ/REP envelope).\n");
    s.push_str("- libzmq: `bench/src/bin/libzmq_*.rs`, libzmq's own perf tools transcribed onto the `zmq` crate: one reused `zmq::Message` for receives, a fresh message per send in `remote_thr` (`zmq::Message::with_size`, which zero-fills where the C tool's `zmq_msg_init_size` does not), REQ/REP with one buffer for latency; default socket options, one I/O thread.\n");
    let _ = writeln!(
        s,
        "- Raw TCP: `bench/src/bin/raw_tcp.rs`, blocking `std::net` sockets, no framing. Throughput: the sender writes count × size bytes in writes of up to 1 MiB, the receiver reads them in 1 MiB reads; raw runs move at least {} MiB so that small sizes do not finish in milliseconds (msg/s is still bytes ÷ size). Latency: `size`-byte ping-pong with `TCP_NODELAY`.",
        if q {
            RAW_MIN_BYTES_QUICK >> 20
        } else {
            RAW_MIN_BYTES >> 20
        }
    );
    s.push_str("- The driver starts the binding side, waits until its port shows as listening in `/proc/net/tcp`, then starts the connecting side, so no first connect is refused and backed off. A child running over 60 s is killed; a failed run is retried on a new port (up to 3 attempts).\n");
    let _ = writeln!(
        s,
        "- CPU affinity: {}. On a small VM, ping-pong latency is bimodal: when the two ends (or their I/O threads) sit on different vCPUs, every hop is a cross-CPU wake-up, which costs tens of µs here; on one vCPU it is a plain context switch. Which happens is the scheduler's choice per run, so a median over few runs can land in either mode; the spread table shows it. `--taskset 0` pins everything to one CPU for a steadier (single-core) comparison.",
        match &cfg.taskset {
            Some(c) => format!("every child under `taskset -c {c}`"),
            None => "none (the scheduler places the processes)".to_string(),
        }
    );
    s.push_str("- The machine is shared and noisy (other builds may run at the same time); compare ratios within this file rather than absolute numbers across machines.\n");
    s
}

// ---------------------------------------------------------------------------
// SVG

const W: f64 = 1000.0;
const H: f64 = 440.0;
const PANEL_W: f64 = 500.0;
const ML: f64 = 78.0;
const MR: f64 = 22.0;
const MT: f64 = 70.0;
const MB: f64 = 62.0;

fn colour(imp: Imp) -> (&'static str, &'static str) {
    match imp {
        Imp::Ferromq => ("#d9480f", ""),
        Imp::Libzmq => ("#1c7ed6", ""),
        Imp::Raw => ("#2b8a3e", " stroke-dasharray=\"6 4\""),
    }
}

/// x position of a message size (log scale) within a panel at `x0`.
fn xpos(x0: f64, size: usize) -> f64 {
    let lo = (SIZES[0] as f64).log2() - 0.7;
    let hi = (SIZES[SIZES.len() - 1] as f64).log2() + 0.7;
    x0 + ML + ((size as f64).log2() - lo) / (hi - lo) * (PANEL_W - ML - MR)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" upper bound and step for a linear axis from 0.
fn nice(max: f64) -> (f64, f64) {
    let max = if max > 0.0 { max } else { 1.0 };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn fmt_tick(v: f64) -> String {
    if v >= 1.0 || v == 0.0 {
        thousands(v)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// One panel: axes, grid, the three series (median line, min–max whiskers).
fn panel(
    s: &mut String,
    x0: f64,
    title: &str,
    ylabel: &str,
    map: &BTreeMap<(usize, Imp), Series>,
    log: bool,
) {
    let (plot_top, plot_bot) = (MT, H - MB);
    let vals: Vec<f64> = map.values().flat_map(|v| v.0.iter().copied()).collect();
    let vmax = vals.iter().copied().fold(f64::MIN, f64::max);
    let vmin = vals.iter().copied().fold(f64::MAX, f64::min);
    let (lo, hi, ticks): (f64, f64, Vec<f64>) = if vals.is_empty() {
        (0.0, 1.0, vec![0.0, 1.0])
    } else if log {
        let lo = vmin.max(1e-3).log10().floor();
        let hi = vmax.max(1e-3).log10().ceil().max(lo + 1.0);
        let ticks = (lo as i32..=hi as i32).map(|e| 10f64.powi(e)).collect();
        (lo, hi, ticks)
    } else {
        let (top, step) = nice(vmax);
        let n = (top / step).round() as usize;
        (0.0, top, (0..=n).map(|i| i as f64 * step).collect())
    };
    let ypos = |v: f64| {
        let t = if log { v.max(1e-9).log10() } else { v };
        plot_bot - (t - lo) / (hi - lo) * (plot_bot - plot_top)
    };
    let (xl, xr) = (x0 + ML, x0 + PANEL_W - MR);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="26" font-size="16" font-weight="bold" text-anchor="middle">{}</text>"#,
        (xl + xr) / 2.0,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<rect x="{xl:.1}" y="{plot_top:.1}" width="{:.1}" height="{:.1}" fill="#fafafa" stroke="#999"/>"##,
        xr - xl,
        plot_bot - plot_top
    );
    // Minor gridlines for log axes (2..9 × each decade).
    if log {
        for e in lo as i32..hi as i32 {
            for k in 2..10 {
                let y = ypos(k as f64 * 10f64.powi(e));
                let _ = writeln!(
                    s,
                    r##"<line x1="{xl:.1}" x2="{xr:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/>"##
                );
            }
        }
    }
    for t in &ticks {
        let y = ypos(*t);
        let _ = writeln!(
            s,
            r##"<line x1="{xl:.1}" x2="{xr:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ccc"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            xl - 6.0,
            y + 4.0,
            fmt_tick(*t)
        );
    }
    for size in SIZES {
        let x = xpos(x0, size);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{plot_top:.1}" y2="{plot_bot:.1}" stroke="#e4e4e4"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            plot_bot + 18.0,
            size_label(size)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">message size (log scale)</text>"#,
        (xl + xr) / 2.0,
        plot_bot + 40.0
    );
    let ymid = (plot_top + plot_bot) / 2.0;
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{ymid:.1}" font-size="13" text-anchor="middle" transform="rotate(-90 {:.1} {ymid:.1})">{}</text>"#,
        x0 + 20.0,
        x0 + 20.0,
        esc(ylabel)
    );
    for imp in IMPS {
        let (c, dash) = colour(imp);
        let pts: Vec<(f64, f64)> = SIZES
            .iter()
            .filter_map(|&size| {
                let m = Stats::get(map, size, imp).median()?;
                Some((xpos(x0, size), ypos(m)))
            })
            .collect();
        if pts.len() > 1 {
            let path: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2.2"{dash}/>"#,
                path.join(" ")
            );
        }
        for &size in &SIZES {
            let series = Stats::get(map, size, imp);
            let (Some(mn), Some(mx)) = (series.min(), series.max()) else {
                continue;
            };
            // Side by side, so the three bars do not hide each other.
            let x = xpos(x0, size) + (imp as usize as f64 - 1.0) * 5.0;
            let _ = writeln!(
                s,
                r#"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="1.5"/>"#,
                ypos(mn),
                ypos(mx)
            );
        }
        for (x, y) in pts {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.6" fill="{c}" stroke="white" stroke-width="1"/>"#
            );
        }
    }
    // Legend: one row between the title and the plot.
    let ly = plot_top - 16.0;
    for (i, imp) in IMPS.iter().enumerate() {
        let (c, dash) = colour(*imp);
        let lx = (xl + xr) / 2.0 - 165.0 + i as f64 * 115.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{c}" stroke-width="2.2"{dash}/>"#,
            lx + 26.0
        );
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{ly:.1}" r="3.6" fill="{c}"/>"#,
            lx + 13.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            lx + 32.0,
            ly + 4.0,
            esc(imp.name())
        );
    }
}

fn render_svg(st: &Stats, m: &Machine, started: SystemTime) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
    );
    s.push_str("<!-- Generated by bench/src/bin/bench_compare.rs -->\n");
    s.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    s.push('\n');
    panel(
        &mut s,
        0.0,
        "Throughput, PUSH→PULL (higher is better)",
        "MB/s (log scale)",
        &st.mbytes,
        true,
    );
    panel(
        &mut s,
        PANEL_W,
        "Latency, half round trip (lower is better)",
        "latency (µs)",
        &st.lat,
        false,
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#555" text-anchor="middle">medians (dots, lines) and min–max (bars) over the repetitions · tcp://127.0.0.1 · {} · {} CPUs, {} · Linux {}</text>"##,
        W / 2.0,
        H - 6.0,
        esc(&utc(started)),
        m.nproc,
        esc(&m.cpu),
        esc(&m.kernel)
    );
    s.push_str("</svg>\n");
    s
}
