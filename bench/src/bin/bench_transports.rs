//! `bench_transports [--reps N] [--quick] [--taskset CPUS] [--out DIR]`:
//! ferromq's transports side by side, and against libzmq: `inproc://`
//! (`inproc_thr`/`inproc_lat` and their `libzmq_` twins, one process each)
//! and `ipc://` vs `tcp://` (`local_thr`/`remote_thr`, `local_lat`/`remote_lat`
//! and their `libzmq_` twins, two processes each).
//!
//! It works as `bench_compare` does (and copies a few small helpers from it):
//! sibling binaries, a fresh endpoint per run (an ipc socket path is removed
//! afterwards), the connecting side started only once the binding side
//! listens (polled against a deadline), children killed by their own pid on
//! timeout, failed runs retried, variants run back to back in rotating order,
//! medians over the repetitions. Writes `DIR/BENCHMARKS-transports.md` and
//! `DIR/bench_transports_runs.csv` (`DIR` defaults to the repository's
//! `docs/`); `--taskset CPUS` runs every child under `taskset -c CPUS`.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Message sizes over ipc and tcp, in bytes.
const SIZES: [usize; 4] = [8, 64, 1024, 65536];
/// A child running longer than this is killed.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How long one end of a pair may outlive the other.
const GRACE: Duration = Duration::from_secs(5);
/// How long the binding side may take to listen.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per measurement (each on a fresh endpoint) before giving up.
const ATTEMPTS: usize = 3;
/// The tools run (ferromq's; libzmq's have the prefix `libzmq_`).
const TOOLS: &str = "inproc_thr inproc_lat local_thr remote_thr local_lat remote_lat";
const USAGE: &str = "usage: bench_transports [--reps N] [--quick] [--taskset CPUS] [--out DIR]";

/// An implementation (`ferromq`, `libzmq`) over a transport (`inproc`,
/// `ipc`, `tcp`).
type Var = (&'static str, &'static str);
const INPROC: [Var; 2] = [("ferromq", "inproc"), ("libzmq", "inproc")];
const NET: [Var; 4] = [
    ("ferromq", "ipc"),
    ("ferromq", "tcp"),
    ("libzmq", "ipc"),
    ("libzmq", "tcp"),
];
/// (test, transport, size, implementation); the test is `thr` (PUSH→PULL
/// throughput) or `lat` (request/echo latency).
type Key = (&'static str, &'static str, usize, &'static str);
/// A report: msg/s (thr) or µs (lat), and Mb/s (thr).
type Report = (f64, Option<f64>);

/// Every (test, size), with the variants that run back to back for it.
fn plan() -> Vec<(&'static str, usize, &'static [Var])> {
    let inproc = [("thr", 8), ("thr", 64), ("thr", 1024), ("lat", 64)];
    let inproc = inproc.map(|(t, n)| (t, n, &INPROC[..]));
    let net = ["thr", "lat"]
        .into_iter()
        .flat_map(|t| SIZES.map(|n| (t, n, &NET[..])));
    inproc.into_iter().chain(net).collect()
}

/// One run, for the CSV.
struct Run {
    rep: usize,
    key: Key,
    count: u64,
    attempts: usize,
    wall_s: f64,
    result: Result<Report, String>,
}

struct Config {
    reps: usize,
    quick: bool,
    taskset: Option<String>,
    out: PathBuf,
    args: Vec<String>,
}

fn main() {
    let cfg = parse_args().unwrap_or_else(|e| {
        eprintln!("{e}\n{USAGE}");
        std::process::exit(2);
    });
    if let Err(e) = run(&cfg) {
        eprintln!("bench_transports: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Config, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut reps, mut quick, mut taskset) = (None, false, None);
    let mut out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--reps" => {
                let n = value()?;
                match n.parse() {
                    Ok(0) | Err(_) => return Err(format!("bad --reps {n:?}")),
                    Ok(n) => reps = Some(n),
                }
            }
            "--quick" => quick = true,
            "--taskset" => taskset = Some(value()?.clone()),
            "--out" => out = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
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

/// Messages per throughput run, round trips per latency run (as
/// bench_compare); a tenth of that with `--quick`.
fn count(test: &str, size: usize, quick: bool) -> u64 {
    let full = match (test, size) {
        ("lat", _) => 20_000,
        (_, 0..=64) => 2_000_000,
        (_, 65..=1024) => 500_000,
        _ => 20_000,
    };
    full / if quick { 10 } else { 1 }
}

fn run(cfg: &Config) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe.parent().ok_or("executable has no directory")?;
    for pre in ["", "libzmq_"] {
        for tool in TOOLS.split(' ') {
            let p = dir.join(format!("{pre}{tool}"));
            if !p.is_file() {
                let hint = "run `cargo build --release -p ferromq-bench` first";
                return Err(format!("{} missing: {hint}", p.display()));
            }
        }
    }
    std::fs::create_dir_all(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    let (load_before, date, t0) = (load_avg(), utc_now(), Instant::now());
    let plan = plan();
    let total = cfg.reps * plan.iter().map(|p| p.2.len()).sum::<usize>();
    let mut runs = Vec::new();
    for rep in 1..=cfg.reps {
        for &(test, size, vars) in &plan {
            for k in 0..vars.len() {
                let (imp, tr) = vars[(k + rep - 1) % vars.len()];
                let key = (test, tr, size, imp);
                let count = count(test, size, cfg.quick);
                let start = Instant::now();
                let (attempts, result) = measure(dir, key, count, cfg.taskset.as_deref());
                let wall_s = start.elapsed().as_secs_f64();
                let r = Run {
                    rep,
                    key,
                    count,
                    attempts,
                    wall_s,
                    result,
                };
                let i = runs.len() + 1;
                let what = format!("rep {rep} {test} {tr:<6} {size:>5} B {imp:<7}");
                eprintln!("[{i}/{total}] {what} {}", describe(&r));
                runs.push(r);
            }
        }
    }
    let header = format!(
        "- Date: {date} (took {:.0} s)\n- Machine: {}\n- Load average (1/5/15 min) before: {load_before}, after: {}\n",
        t0.elapsed().as_secs_f64(),
        machine(),
        load_avg()
    );
    let st = Stats::new(&runs);
    let out = cfg.out.canonicalize().unwrap_or_else(|_| cfg.out.clone());
    let (csv, md) = (
        out.join("bench_transports_runs.csv"),
        out.join("BENCHMARKS-transports.md"),
    );
    write(&csv, &render_csv(&runs))?;
    write(&md, &render_md(cfg, &st, &runs, &header))?;
    println!("{}\n{}", summary(&st), targets(&st));
    println!("wrote {}, {}", md.display(), csv.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn describe(r: &Run) -> String {
    match &r.result {
        Ok((v, Some(mbit))) => {
            let (v, mb) = (thousands(*v), mbs(mbit / 8.0));
            format!("{v} msg/s {mb} MB/s ({:.2} s)", r.wall_s)
        }
        Ok((v, None)) => format!("{v:.3} us ({:.2} s)", r.wall_s),
        Err(e) => format!("FAILED: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Running the children

/// A child; killed (by its pid) and reaped if dropped while running. Its
/// stdout and stderr are pipes read once it has exited: the tools print a few
/// lines, far below a pipe's capacity.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    fn spawn(dir: &Path, tool: &str, args: &[&str], cpus: Option<&str>) -> Result<Proc, String> {
        let exe = dir.join(tool);
        let prog = if cpus.is_some() {
            Path::new("taskset")
        } else {
            &exe
        };
        let mut cmd = Command::new(prog);
        if let Some(cpus) = cpus {
            cmd.arg("-c").arg(cpus).arg(&exe);
        }
        let child = (cmd.args(args).stdin(Stdio::null()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        let name = tool.into();
        Ok(Proc { name, child })
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills it if still running, reaps it; its stdout, or an error with its
    /// status and stderr if it failed.
    fn finish(&mut self) -> Result<String, String> {
        if !self.exited() {
            let _ = self.child.kill();
        }
        let status = self.child.wait();
        let status = status.map_err(|e| format!("{}: wait: {e}", self.name))?;
        let (mut out, mut err) = (String::new(), String::new());
        let _ = self
            .child
            .stdout
            .take()
            .map(|mut o| o.read_to_string(&mut out));
        let _ = self
            .child
            .stderr
            .take()
            .map(|mut e| e.read_to_string(&mut err));
        match status.success() {
            true => Ok(out),
            false => Err(format!("{}: {status} {}", self.name, err.trim())),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until all have exited, or one has failed (the others would not
/// finish on their own: they are killed), or the deadline has passed, or one
/// is still running `GRACE` after another succeeded (both ends of a pair
/// finish together: libzmq's PULL over ipc sometimes loses the last messages
/// of a sender that has exited, and would wait forever); the stdout of each,
/// or the errors.
fn wait_all(ps: &mut [&mut Proc], deadline: Instant) -> Result<Vec<String>, String> {
    let mut first_done: Option<(Instant, String)> = None;
    loop {
        let st: Vec<_> = ps.iter_mut().map(|p| p.child.try_wait()).collect();
        let st: Vec<_> = st.into_iter().map(|s| s.ok().flatten()).collect();
        if st.iter().flatten().any(|s| !s.success()) || st.iter().all(Option::is_some) {
            break;
        }
        let running: Vec<&str> = (ps.iter().zip(&st))
            .filter_map(|(p, s)| s.is_none().then_some(p.name.as_str()))
            .collect();
        let running = running.join(" and ");
        if let Some((at, done)) = &first_done {
            if at.elapsed() >= GRACE {
                let g = GRACE.as_secs();
                return Err(format!(
                    "{running} still running {g} s after {done} exited, killed"
                ));
            }
        } else if let Some(i) = st.iter().position(Option::is_some) {
            first_done = Some((Instant::now(), ps[i].name.clone()));
        }
        if Instant::now() >= deadline {
            let t = TIMEOUT.as_secs();
            return Err(format!(
                "timed out after {t} s ({running} still running), killed"
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let results: Vec<_> = ps.iter_mut().map(|p| p.finish()).collect();
    let errors: Vec<String> = results.iter().filter_map(|r| r.clone().err()).collect();
    match errors.is_empty() {
        true => Ok(results.into_iter().flatten().collect()),
        false => Err(errors.join(" / ")),
    }
}

/// A fresh endpoint for one ipc or tcp run; an ipc socket file is removed
/// when this is dropped (after the children, which are declared later).
enum Ep {
    Tcp(u16),
    Ipc(PathBuf),
}

impl Ep {
    fn fresh(tr: &str) -> Result<Ep, String> {
        if tr == "tcp" {
            // A port that was free a moment ago: bind port 0, read it, let it go.
            let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
            return Ok(Ep::Tcp(l.local_addr().map_err(|e| e.to_string())?.port()));
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("ferromq-bt-{}-{n}.ipc", std::process::id());
        let mut path = std::env::temp_dir().join(&name);
        if path.as_os_str().len() > 100 || path.to_str().is_none() {
            path = Path::new("/tmp").join(&name); // sun_path holds 107 bytes
        }
        let _ = std::fs::remove_file(&path);
        Ok(Ep::Ipc(path))
    }

    fn url(&self) -> String {
        match self {
            Ep::Tcp(port) => format!("tcp://127.0.0.1:{port}"),
            Ep::Ipc(path) => format!("ipc://{}", path.display()),
        }
    }

    /// Whether the binding side listens; `None` if that cannot be told.
    fn listening(&self) -> Option<bool> {
        match self {
            Ep::Tcp(port) => tcp_listening(*port),
            Ep::Ipc(path) => {
                let meta = std::fs::symlink_metadata(path);
                let sock = meta.is_ok_and(|m| m.file_type().is_socket());
                // The file appears at bind(), just before listen(): ask /proc too.
                Some(sock && unix_listening(path).unwrap_or(true))
            }
        }
    }

    /// Polls until `local` listens here (or exits, or the deadline passes).
    fn wait_listening(&self, local: &mut Proc) -> Result<(), String> {
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            if local.exited() {
                let e = local.finish().err().unwrap_or_default();
                return Err(format!("{} exited before listening: {e}", local.name));
            }
            match self.listening() {
                Some(true) => return Ok(()),
                Some(false) if Instant::now() < deadline => {}
                Some(false) => return Err(format!("{} not listening after 10 s", local.name)),
                None => {
                    // No /proc/net/tcp: give it a moment instead.
                    std::thread::sleep(Duration::from_millis(300));
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Ep {
    fn drop(&mut self) {
        if let Ep::Ipc(path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether something listens on 127.0.0.1:`port` (or the wildcard address),
/// according to /proc/net/tcp; `None` if that cannot be read.
fn tcp_listening(port: u16) -> Option<bool> {
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

/// Whether a listening (`__SO_ACCEPTCON`) Unix socket is bound to `path`,
/// according to /proc/net/unix; `None` if that cannot be read.
fn unix_listening(path: &Path) -> Option<bool> {
    let text = std::fs::read_to_string("/proc/net/unix").ok()?;
    let want = path.to_str()?;
    Some(text.lines().skip(1).any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.len() > 7 && f[3] == "00010000" && f[7] == want
    }))
}

/// Runs one measurement, retrying on a fresh endpoint; returns the number of
/// attempts and the result.
fn measure(dir: &Path, key: Key, n: u64, cpus: Option<&str>) -> (usize, Result<Report, String>) {
    let (mut attempt, (test, tr, size, imp)) = (1, key);
    loop {
        match measure_once(dir, key, n, cpus) {
            Err(e) if attempt < ATTEMPTS => {
                eprintln!("  attempt {attempt} of {imp} {tr} {test} {size} B failed: {e}");
                attempt += 1;
            }
            result => return (attempt, result),
        }
    }
}

fn measure_once(dir: &Path, key: Key, count: u64, cpus: Option<&str>) -> Result<Report, String> {
    let (test, tr, size, imp) = key;
    let deadline = Instant::now() + TIMEOUT;
    let pre = if imp == "libzmq" { "libzmq_" } else { "" };
    let (size_s, count_s) = (size.to_string(), count.to_string());
    let report = if tr == "inproc" {
        let tool = format!("{pre}inproc_{test}");
        let mut p = Proc::spawn(dir, &tool, &[&size_s, &count_s], cpus)?;
        wait_all(&mut [&mut p], deadline)?.remove(0)
    } else {
        let ep = Ep::fresh(tr)?;
        let url = ep.url();
        let args = [url.as_str(), &size_s, &count_s];
        let mut local = Proc::spawn(dir, &format!("{pre}local_{test}"), &args, cpus)?;
        // Connect only once it listens: a refused connect is retried only
        // after 100 ms (ferromq and libzmq alike), inflating remote_lat's clock.
        ep.wait_listening(&mut local)?;
        let mut remote = Proc::spawn(dir, &format!("{pre}remote_{test}"), &args, cpus)?;
        let mut outs = wait_all(&mut [&mut local, &mut remote], deadline)?;
        // local_thr and remote_lat report.
        outs.swap_remove(if test == "thr" { 0 } else { 1 })
    };
    parse_report(test, &report).ok_or_else(|| format!("unparsable report: {report:?}"))
}

/// Reads libzmq's perf report lines.
fn parse_report(test: &str, text: &str) -> Option<Report> {
    let num = |pre: &str, suf: &str| -> Option<f64> {
        let l = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(pre) && l.ends_with(suf))?;
        l[pre.len()..l.len() - suf.len()].trim().parse().ok()
    };
    let thr = "mean throughput:";
    match test {
        "thr" => Some((num(thr, "[msg/s]")?, Some(num(thr, "[Mb/s]")?))),
        _ => Some((num("average latency:", "[us]")?, None)),
    }
}

// ---------------------------------------------------------------------------
// Statistics and formatting

/// Per key, the values (msg/s or µs) over the repetitions, sorted.
struct Stats(BTreeMap<Key, Vec<f64>>);

impl Stats {
    fn new(runs: &[Run]) -> Stats {
        let mut val: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
        for r in runs {
            if let Ok((v, _)) = r.result {
                val.entry(r.key).or_default().push(v);
            }
        }
        val.values_mut().for_each(|v| v.sort_by(f64::total_cmp));
        Stats(val)
    }

    fn get(&self, key: Key) -> &[f64] {
        self.0.get(&key).map_or(&[], |v| &v[..])
    }

    fn med(&self, test: &'static str, (imp, tr): Var, size: usize) -> Option<f64> {
        let v = self.get((test, tr, size, imp));
        let n = v.len();
        (n > 0).then(|| (v[(n - 1) / 2] + v[n / 2]) / 2.0)
    }

    /// "min – max" over the repetitions.
    fn range(&self, key: Key, f: fn(f64) -> String) -> String {
        match (self.get(key).first(), self.get(key).last()) {
            (Some(&a), Some(&b)) => format!("{} – {}", f(a), f(b)),
            _ => "–".into(),
        }
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn size_label(size: usize) -> String {
    match size {
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} B"),
    }
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".to_string())
}

/// 1234567.8 -> "1,234,568" (for the non-negative values here).
fn thousands(v: f64) -> String {
    let digits = format!("{v:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mbs(v: f64) -> String {
    format!("{v:.*}", usize::from(v < 100.0))
}

fn us(v: f64) -> String {
    format!("{v:.2}")
}

fn x(v: f64) -> String {
    format!("{v:.2}×")
}

/// msg/s or µs, for a test.
fn unit(test: &str) -> (&'static str, fn(f64) -> String) {
    match test {
        "thr" => ("msg/s", thousands),
        _ => ("µs", us),
    }
}

/// CPU model, CPU count, kernel, toolchain, libzmq.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = (cpuinfo.lines().find(|l| l.starts_with("model name")))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, v)| v.trim());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = command_output("uname", &["-r"]);
    let rustc = command_output("rustc", &["-V"]);
    format!("{cpu}, {nproc} CPUs (nproc), Linux {kernel}\n- Toolchain: {rustc}\n- libzmq: 4.3.4 via the `zmq` crate 0.10 (`zmq-sys`, built from source)")
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    match Command::new(cmd).args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => "unknown".into(),
    }
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn utc_now() -> String {
    command_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
}

// ---------------------------------------------------------------------------
// Reports

fn render_csv(runs: &[Run]) -> String {
    let mut s = String::from("rep,test,transport,size_bytes,impl,count,attempts,wall_s,msg_per_s,mbit_per_s,mbyte_per_s,latency_us,error\n");
    for r in runs {
        let (test, tr, size, imp) = r.key;
        let f = |v: Option<f64>, p: usize| v.map_or(String::new(), |v| format!("{v:.p$}"));
        let (msgs, mbit, lat, err) = match &r.result {
            Ok((v, Some(mbit))) => (Some(*v), Some(*mbit), None, String::new()),
            Ok((v, None)) => (None, None, Some(*v), String::new()),
            Err(e) => (None, None, None, e.replace(['"', '\n', '\r'], " ")),
        };
        let (msgs, mbyte) = (f(msgs, 0), f(mbit.map(|v| v / 8.0), 3));
        let (mbit, lat) = (f(mbit, 3), f(lat, 3));
        let (n, a, w) = (r.count, r.attempts, r.wall_s);
        let row = format!("{},{test},{tr},{size},{imp},{n},{a},{w:.3}", r.rep);
        let _ = writeln!(s, "{row},{msgs},{mbit},{mbyte},{lat},\"{err}\"");
    }
    s
}

/// A Markdown table; the first `left` columns are text (left-aligned), the
/// others numbers.
fn table<H: AsRef<str>>(s: &mut String, head: &[H], left: usize, rows: Vec<Vec<String>>) {
    let head: Vec<&str> = head.iter().map(AsRef::as_ref).collect();
    let _ = writeln!(s, "| {} |", head.join(" | "));
    let n = head.len().saturating_sub(left);
    let _ = writeln!(s, "|{}{}", "---|".repeat(left), "---:|".repeat(n));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
}

/// Medians of `test` for `vars` at `sizes`, then ratios a / b.
fn medians(
    s: &mut String,
    st: &Stats,
    test: &'static str,
    sizes: &[usize],
    vars: &[Var],
    ratios: &[(Var, Var, &str)],
) {
    let (unit, f) = unit(test);
    let mut head = vec!["size".to_string()];
    head.extend(vars.iter().map(|(imp, tr)| format!("{imp} {tr} {unit}")));
    head.extend(ratios.iter().map(|r| r.2.to_string()));
    let mut rows = Vec::new();
    for &n in sizes {
        let med = |v| st.med(test, v, n);
        let mut row = vec![size_label(n)];
        row.extend(vars.iter().map(|&v| fmt_opt(med(v), f)));
        let r = |&(a, b, _): &(Var, Var, &str)| fmt_opt(ratio(med(a), med(b)), x);
        row.extend(ratios.iter().map(r));
        rows.push(row);
    }
    table(s, &head, 0, rows);
}

/// The medians tables, as Markdown (also printed to stdout).
fn summary(st: &Stats) -> String {
    let mut s = String::new();
    let inproc = [(INPROC[0], INPROC[1], "ferromq / libzmq")];
    let net = [
        (NET[0], NET[1], "ferromq ipc / ferromq tcp"),
        (NET[0], NET[2], "ipc: ferromq / libzmq"),
        (NET[1], NET[3], "tcp: ferromq / libzmq"),
    ];
    s.push_str("inproc:// throughput (PUSH on a second thread → PULL, one process), medians:\n\n");
    medians(&mut s, st, "thr", &[8, 64, 1024], &INPROC, &inproc);
    s.push_str("\ninproc:// latency (half the mean round trip; REQ on a second thread ↔ REP, one process), medians, lower is better:\n\n");
    medians(&mut s, st, "lat", &[64], &INPROC, &inproc);
    s.push_str("\nipc:// vs tcp://127.0.0.1 throughput (PUSH → PULL, two processes), medians:\n\n");
    medians(&mut s, st, "thr", &SIZES, &NET, &net);
    s.push_str("\nipc:// vs tcp://127.0.0.1 latency (half the mean round trip; ferromq DEALER ↔ ROUTER echo, libzmq REQ ↔ REP; two processes), medians, lower is better:\n\n");
    medians(&mut s, st, "lat", &SIZES, &NET, &net);
    s
}

/// The targets: ≥ or ≤ a bound (see `targets`).
const TARGETS: [&str; 5] = [
    "inproc 64 B throughput ≥ 2× libzmq inproc_thr",
    "inproc 64 B throughput ≥ 3 M msg/s",
    "inproc 64 B round trip ≤ 0.5× libzmq inproc_lat",
    "ipc 64 B latency ≤ 0.75× ferromq tcp 64 B latency",
    "ipc msg/s ≥ tcp msg/s (ferromq) at every size",
];

/// The targets, each with its measured medians and whether it is met.
fn targets(st: &Stats) -> String {
    let (f, l, fi, ft) = (INPROC[0], INPROC[1], NET[0], NET[1]);
    let thr = st.med("thr", f, 64);
    let vs_libzmq = ratio(thr, st.med("thr", l, 64));
    let rtt = ratio(st.med("lat", f, 64), st.med("lat", l, 64));
    let ipc_lat = ratio(st.med("lat", fi, 64), st.med("lat", ft, 64));
    // ipc ≥ tcp at every size: the lowest ratio, if every size has one.
    let per_size: Option<Vec<(f64, usize)>> = (SIZES.iter())
        .map(|&n| Some((ratio(st.med("thr", fi, n), st.med("thr", ft, n))?, n)))
        .collect();
    let worst = per_size.and_then(|v| v.into_iter().min_by(|a, b| a.0.total_cmp(&b.0)));
    let lowest = worst.map_or(String::new(), |w| format!(" (lowest: {})", size_label(w.1)));
    let values = [vs_libzmq, thr, rtt, ipc_lat, worst.map(|w| w.0)];
    let bounds = [2.0, 3e6, 0.5, 0.75, 1.0];
    let rows = (0..TARGETS.len()).map(|i| {
        let (what, v, bound) = (TARGETS[i], values[i], bounds[i]);
        // Three decimals, so that a near miss does not show as the bound.
        let shown = match v {
            Some(v) if i == 1 => format!("{} msg/s", thousands(v)),
            v => fmt_opt(v, |v| format!("{v:.3}×")) + if i == 4 { &lowest } else { "" },
        };
        let met = |v| {
            if what.contains('≥') {
                v >= bound
            } else {
                v <= bound
            }
        };
        let met = v.map_or("n/a", |v| if met(v) { "yes" } else { "**no**" });
        vec![what.to_string(), shown, met.to_string()]
    });
    let rows = rows.collect();
    let (mut s, head) = (String::new(), ["target", "measured (medians)", "met?"]);
    table(&mut s, &head, 1, rows);
    s
}

fn render_md(cfg: &Config, st: &Stats, runs: &[Run], header: &str) -> String {
    let mut s = String::new();
    let args: String = cfg.args.iter().map(|a| format!(" {a}")).collect();
    s.push_str("# Benchmarks: transports (inproc://, ipc://, tcp://)\n\n");
    s.push_str(
        "<!-- Generated by bench/src/bin/bench_transports.rs; rerun instead of editing. -->\n\n",
    );
    let _ = writeln!(s, "Made by `target/release/bench_transports{args}`, which `scripts/bench.sh{args}` runs after `bench_compare` (that one writes [BENCHMARKS.md](BENCHMARKS.md): ferromq vs libzmq vs raw TCP).\n");
    s.push_str(header);
    let quick = [" (`--quick`: reduced counts)", ""][usize::from(!cfg.quick)];
    let failed = runs.iter().filter(|r| r.result.is_err()).count();
    let (reps, n) = (cfg.reps, runs.len());
    let retried = runs.iter().filter(|r| r.attempts > 1).count();
    let _ = writeln!(s, "- Repetitions: {reps}{quick}; failed runs: {failed} of {n}; runs that needed more than one attempt: {retried} (the CSV's `attempts`)");
    let affinity = (cfg.taskset.as_ref()).map(|c| format!("every child under `taskset -c {c}`"));
    let none = "none (the scheduler places the processes)";
    let _ = writeln!(s, "- CPU affinity: {}", affinity.as_deref().unwrap_or(none));
    s.push_str("\nNumbers are medians over the repetitions. Within a repetition, every (test, size) runs its variants back to back in rotating order (inproc: ferromq and libzmq; ipc and tcp: ferromq ipc, ferromq tcp, libzmq ipc, libzmq tcp), so they share the machine's noise. Throughput ratios above 1× and latency ratios below 1× favour the first-named.\n\n## Medians\n\n");
    s.push_str(&summary(st));
    s.push_str("\n## Targets\n\n");
    s.push_str(&targets(st));
    s.push_str("\n## Spread (min – max over the repetitions)\n\n");
    let mut rows = Vec::new();
    for (test, size, vars) in plan() {
        let (unit, f) = unit(test);
        for &(_, tr) in vars.iter().filter(|v| v.0 == "ferromq") {
            let range = |imp| st.range((test, tr, size, imp), f);
            let (a, b) = (range("ferromq"), range("libzmq"));
            let label = format!("{test} ({unit})");
            rows.push(vec![label, tr.into(), size_label(size), a, b]);
        }
    }
    let head = ["test", "transport", "size", "ferromq", "libzmq"];
    table(&mut s, &head, 2, rows);
    s.push_str("\nEvery run, with MB/s for throughput, is in [bench_transports_runs.csv](bench_transports_runs.csv).\n");
    let mut failed = runs.iter().filter(|r| r.result.is_err()).peekable();
    if failed.peek().is_some() {
        s.push_str("\n## Failed runs\n\n");
    }
    for r in failed {
        let ((test, tr, _, imp), size) = (r.key, size_label(r.key.2));
        let e = r.result.as_ref().err().map_or("", |e| e.as_str());
        let e: String = e.replace('\n', " ").chars().take(300).collect();
        let _ = writeln!(s, "- rep {} {test} {tr} {size} {imp}: {e}", r.rep);
    }
    let q = cfg.quick;
    let c = |size| thousands(count("thr", size, q) as f64);
    let _ = write!(
        s,
        "\n## Method\n\n- Throughput: {} messages of 8 B and 64 B, {} of 1 KiB, {} of 64 KiB (64 KiB over ipc and tcp only); the receiver starts its clock at the first message and reports count ÷ elapsed, as libzmq's perf tools do. Latency: {} round trips; the reported latency is half the mean round trip.\n",
        c(8),
        c(1024),
        c(65536),
        thousands(count("lat", 64, q) as f64)
    );
    s.push_str("- inproc: `inproc_thr` and `inproc_lat` (`bench/src/bin/inproc_*.rs`, ferromq) and `libzmq_inproc_thr`/`libzmq_inproc_lat` (libzmq's `perf/inproc_thr.cpp` and `inproc_lat.cpp` on the `zmq` crate): one process, one context; throughput is a PUSH on a second thread sending to a PULL, latency a REQ on a second thread and a REP echoing (the same sockets in both).\n");
    s.push_str("- ipc and tcp: `local_thr`/`remote_thr` and `local_lat`/`remote_lat` (ferromq; latency is a ROUTER echo and a DEALER sending the REQ envelope) and their `libzmq_*` twins (PULL/PUSH, REP/REQ), as in [BENCHMARKS.md](BENCHMARKS.md): two processes, over `ipc://<temporary directory>/ferromq-bt-<pid>-<n>.ipc` (a fresh path per run, removed afterwards) or `tcp://127.0.0.1:<fresh free port>`.\n");
    s.push_str("- The driver starts the binding side and polls (every millisecond, for up to 10 s) until it listens: for tcp, until the port shows as listening in `/proc/net/tcp`; for ipc, until the socket file exists and `/proc/net/unix` lists it as listening. Only then does it start the connecting side, so no first connect is refused and backed off. A child running over 60 s, or still running 5 s after the other end of its pair has exited, is killed (by its pid); a failed run is retried on a fresh endpoint (up to 3 attempts). libzmq's `local_thr` over ipc sometimes never receives the last messages once `remote_thr` has exited (roughly one run in five here; not seen over tcp, nor with ferromq's `local_thr`), so libzmq's ipc throughput runs are the ones most often retried.\n");
    s.push_str("- On a small VM, ping-pong latency is bimodal: when the two ends (or their I/O threads) sit on different vCPUs, every hop is a cross-CPU wake-up; on one vCPU it is a plain context switch. Which happens is the scheduler's choice per run, so check the spread table; `--taskset 0` pins everything to one CPU.\n");
    s.push_str("- The machine is shared and noisy (other builds may run at the same time); compare ratios within this file rather than absolute numbers across machines.\n");
    s
}
