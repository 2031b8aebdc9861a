#!/usr/bin/env bash
# Side-by-side benchmark: ferromq vs libzmq vs raw TCP over loopback.
# Writes docs/BENCHMARKS.md, docs/bench.svg and docs/bench_runs.csv.
# Usage: scripts/bench.sh [--reps N] [--quick] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --examples && target/release/examples/bench_compare "$@"
