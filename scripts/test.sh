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

section "format (cargo fmt --all --check)"
cargo fmt --all --check

section "lint (cargo clippy --workspace --all-targets --all-features -- -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

section "unit + integration tests, libzmq interop (cargo test --workspace --all-targets)"
cargo test --workspace --all-targets

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
