#!/usr/bin/env bash
# Side-by-side benchmarks, both ends on this machine, in two parts that take
# the same arguments:
#  1. bench_compare: ferromq vs libzmq vs raw TCP over tcp://127.0.0.1;
#     writes docs/BENCHMARKS.md, docs/bench.svg and docs/bench_runs.csv.
#  2. bench_transports: ferromq's inproc://, ipc:// and tcp:// against each
#     other and against libzmq; writes docs/BENCHMARKS-transports.md and
#     docs/bench_transports_runs.csv.
# Usage: scripts/bench.sh [--reps N] [--quick] [--taskset CPUS] [--out DIR]
# (--out DIR writes the files to DIR instead of docs/.)
# The tools are the binaries of the workspace member ferromq-bench (bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p ferromq-bench
bin="${CARGO_TARGET_DIR:-target}/release"
"$bin/bench_compare" "$@"
"$bin/bench_transports" "$@"
