#!/usr/bin/env bash
# The whole ferromq test suite. Needs only a Rust toolchain (rustup's default
# profile: cargo, rustfmt, clippy) and the system C/C++ compiler, which the
# `zmq` dev-dependency uses to build libzmq 4.3.4 from source for the interop
# tests. Run from anywhere: ./scripts/test.sh
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

section "format (cargo fmt --check)"
cargo fmt --all -- --check

section "lint (cargo clippy --all-targets --all-features -- -D warnings)"
cargo clippy --all-targets --all-features -- -D warnings

section "unit + integration tests (cargo test --all-targets)"
cargo test --all-targets

section "benchmarks build (cargo bench --no-run --features bench-internals)"
cargo bench --no-run --features bench-internals

section "doc tests (cargo test --doc)"
cargo test --doc

section "docs (cargo doc --no-deps, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

section "pipeline example, release build, smoke run"
cargo build --release --example pipeline
cargo run --release --example pipeline -- --tasks 20000 --workers 4

current="done"
printf '\n==== all checks passed in %ss ====\n' "$((SECONDS - started))"
