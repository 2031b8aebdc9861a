#!/usr/bin/env bash
# Side-by-side benchmark: ferromq vs libzmq vs raw TCP over loopback.
# Writes docs/BENCHMARKS.md, docs/bench.svg and docs/bench_runs.csv.
# Usage: scripts/bench.sh [--reps N] [--quick] [--taskset CPUS] [--out DIR]
# The tools are the binaries of the workspace member ferromq-bench (bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p ferromq-bench && "${CARGO_TARGET_DIR:-target}/release/bench_compare" "$@"
