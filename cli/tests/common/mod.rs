//! Running the built `ferromq` binary as a child process, with every wait
//! bounded: a child still running at its deadline is killed and the test
//! fails; a child whose test panics is killed on drop.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any child may run, or any wait may last.
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// A running `ferromq`.
pub(crate) struct Proc {
    label: String,
    child: Child,
    stderr_lines: Receiver<String>,
    stderr_seen: Vec<String>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stdin: Option<JoinHandle<()>>,
}

/// How a `ferromq` ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Outcome {
    /// The exit code (a test failure if killed by a signal).
    pub(crate) fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {self:?}"))
    }

    /// Assert exit status 0, showing stderr otherwise.
    pub(crate) fn assert_ok(&self) -> &Outcome {
        assert_eq!(self.code(), 0, "expected success: {self:?}");
        self
    }
}

/// Start `ferromq ARGS` with no standard input.
pub(crate) fn ferromq<I, S>(args: I) -> Proc
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    start(args, None)
}

/// Start `ferromq ARGS` with `input` on standard input (then its end).
pub(crate) fn ferromq_input<I, S>(args: I, input: &[u8]) -> Proc
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    start(args, Some(input.to_vec()))
}

fn start<I, S>(args: I, input: Option<Vec<u8>>) -> Proc
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let label = format!("ferromq {args:?}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferromq"))
        .args(&args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let stdin = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            // The child may exit (or be killed) before reading it all.
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    let mut out = child.stdout.take().expect("stdout is piped");
    let stdout = Some(std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    }));
    let err = child.stderr.take().expect("stderr is piped");
    let (tx, stderr_lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).split(b'\n') {
            let Ok(line) = line else { break };
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                break;
            }
        }
    });
    Proc {
        label,
        child,
        stderr_lines,
        stderr_seen: Vec::new(),
        stdout,
        stdin,
    }
}

impl Proc {
    /// The endpoint from the `bound ENDPOINT` line on stderr.
    pub(crate) fn bound(&mut self) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let ep = line.strip_prefix("bound ").map(str::to_owned);
                    self.stderr_seen.push(line);
                    if let Some(ep) = ep {
                        return ep;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: no `bound` line in {DEADLINE:?}", self.label)
                }
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: exited without a `bound` line: {:?}",
                    self.label, self.stderr_seen
                ),
            }
        }
    }

    /// Wait for the exit (killing the child and failing at the deadline).
    pub(crate) fn finish(mut self) -> Outcome {
        let deadline = Instant::now() + DEADLINE;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "{}: still running after {DEADLINE:?}; stderr {:?}",
                        self.label,
                        self.stderr_seen
                            .iter()
                            .chain(self.stderr_lines.try_iter().collect::<Vec<_>>().iter())
                            .collect::<Vec<_>>()
                    );
                }
                Err(e) => panic!("{}: {e}", self.label),
            }
        };
        self.collect(status)
    }

    /// Kill the child (e.g. a publisher that would go on) and collect it.
    pub(crate) fn kill(mut self) -> Outcome {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait for a killed child");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Outcome {
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().expect("stdout reader"))
            .unwrap_or_default();
        if let Some(h) = self.stdin.take() {
            let _ = h.join();
        }
        // The pipe is closed now that the child is gone: the reader ends.
        let mut lines = std::mem::take(&mut self.stderr_seen);
        lines.extend(self.stderr_lines.iter());
        Outcome {
            status,
            stdout: String::from_utf8(stdout).expect("output is ASCII"),
            stderr: lines.join("\n"),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Only a child still running (a failed test) is killed here.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A TCP port that was free a moment ago (for a peer that starts later).
pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local address").port()
}
