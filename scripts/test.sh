#!/usr/bin/env bash
# The whole ferromq test suite, over the whole workspace (ferromq and the
# members ferromq-reliable, ferromq-interop and ferromq-bench). Needs only a
# Rust toolchain (rustup's default profile: cargo, rustfmt, clippy) and the
# system C/C++ compiler, which the `zmq` crate (used by ferromq-interop and
# ferromq-bench) uses to build libzmq 4.3.4 from source. Run from anywhere:
# ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
current="setup"
started=$SECONDS
trap 'echo; echo "==== FAILED during: ${current} ====" >&2' ERR

section() {
    current="$1"
    printf '\n==== %s ====\n' "$1"
}

section "toolchain"
cargo --version
rustc --version
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            rustup component add "$component"
        else
            echo "cargo ${component/rustfmt/fmt} is missing and rustup is not available" >&2
            exit 1
        fi
    fi
done

section "pyzmq (a virtual environment under target/, for the CURVE interop tests)"
# pyzmq from PyPI bundles a libzmq built with CURVE; the `zmq` crate's
# vendored libzmq has none. Made once, reused by later runs.
venv="target/pyzmq-venv"
if ! "$venv/bin/python" -c 'import zmq; assert zmq.has("curve")' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'pyzmq>=26,<28'
fi
"$venv/bin/python" -c 'import zmq; print("pyzmq", zmq.__version__, "libzmq", zmq.zmq_version(), "curve", zmq.has("curve"))'
FERROMQ_PYTHON="$(pwd)/$venv/bin/python"
export FERROMQ_PYTHON

section "format (cargo fmt --all --check)"
cargo fmt --all --check

section "lint (cargo clippy --workspace --all-targets --all-features -- -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

section "unit + integration tests, libzmq interop (cargo test --workspace --all-targets)"
cargo test --workspace --all-targets

section "ROUTER burst against libzmq's, optimized (cargo test --release -p ferromq-interop --test router_burst)"
cargo test --release -p ferromq-interop --test router_burst

section "doc tests (cargo test --workspace --doc)"
cargo test --workspace --doc

section "benchmarks build (cargo bench -p ferromq-bench --no-run)"
cargo bench -p ferromq-bench --no-run

section "docs (cargo doc --workspace --no-deps, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

section "pipeline example, release build, smoke run"
cargo build --release --example pipeline
cargo run --release --example pipeline -- --tasks 20000 --workers 4

current="done"
printf '\n==== all checks passed in %ss ====\n' "$((SECONDS - started))"
