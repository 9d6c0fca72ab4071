//! Throughput of the `run --mask` masker. `cargo bench --bench mask`.
//!
//! 100 MB of log-like text (the base64 alphabet, spaces and newlines) with a value about every
//! 64 KiB, 100 values of 16 to 63 characters, fed in 64 KiB chunks as a pipe delivers them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tresor::interchange::mask::Masker;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn inputs() -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
    let mut seed = 0x1234_5678_9abc_def1_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let values: Vec<(String, Vec<u8>)> = (0..100)
        .map(|i| {
            let len = (16 + next() % 48) as usize;
            (format!("SECRET_{i}"), (0..len).map(|_| B64[(next() % 64) as usize]).collect())
        })
        .collect();
    let mut text = Vec::with_capacity(100 << 20);
    while text.len() < 100 << 20 {
        for _ in 0..1000 {
            let r = next();
            text.push(match r % 10 {
                0 => b' ',
                1 => b'\n',
                _ => B64[((r >> 8) % 64) as usize],
            });
        }
        if next() % 64 == 0 {
            text.extend_from_slice(&values[(next() % 100) as usize].1);
        }
    }
    (values, text)
}

fn mask(c: &mut Criterion) {
    let (values, text) = inputs();
    let (prototype, _) = Masker::new(values.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
    let mut group = c.benchmark_group("mask");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("100 MB, 100 values", |b| {
        b.iter(|| {
            let mut masker = prototype.clone();
            let mut out = Vec::with_capacity(text.len());
            for chunk in text.chunks(64 * 1024) {
                masker.feed(chunk, &mut out);
            }
            masker.finish(&mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, mask);
criterion_main!(benches);
