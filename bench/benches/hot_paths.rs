//! criterion micro-benchmarks of ferromq's hot parts: frame encode and
//! decode, the per-peer pipe, and the ROUTER table. Run with
//! `cargo bench -p ferromq-bench --bench hot_paths` (this package turns on
//! ferromq's hidden `bench-internals` feature).
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferromq::bench_api;
use ferromq::Message;
use std::hint::black_box;

fn messages(size: usize, n: usize) -> Vec<Message> {
    (0..n)
        .map(|_| Message::from(Bytes::from(vec![7u8; size])))
        .collect()
}

fn frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    for size in [8usize, 64, 1024, 65536] {
        let n = if size >= 65536 { 64 } else { 1024 };
        let msgs = messages(size, n);
        let stream = bench_api::encoded(&msgs);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("encode", size), &msgs, |b, m| {
            b.iter(|| bench_api::encode(black_box(m)))
        });
        g.bench_with_input(
            BenchmarkId::new("decode_64k_reads", size),
            &stream,
            |b, s| b.iter(|| bench_api::decode(black_box(s), 64 * 1024)),
        );
    }
    g.finish();
}

fn pipe(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipe");
    let msg = Message::from(Bytes::from_static(b"12345678"));
    g.throughput(Throughput::Elements(1000));
    g.bench_function("push_swap_pull_1000", |b| {
        b.iter(|| bench_api::pipe_round_trip(black_box(&msg), 1000))
    });
    g.finish();
}

fn router_table(c: &mut Criterion) {
    let mut g = c.benchmark_group("router");
    let body = Bytes::from_static(b"body");
    for peers in [10usize, 1000] {
        let mut table = bench_api::RouterTable::new(peers);
        g.throughput(Throughput::Elements(peers as u64));
        g.bench_function(BenchmarkId::new("route_each", peers), |b| {
            b.iter(|| table.route_each(black_box(&body)))
        });
    }
    g.finish();
}

criterion_group!(benches, frames, pipe, router_table);
criterion_main!(benches);
