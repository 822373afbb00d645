//! Synthesis benchmark: builds generated apps of about 100, 1,000, 10,000 and 20,000
//! CloudFormation resources (split into stacks under the 500-resource limit) and
//! synthesizes each to both backends, reporting time and peak memory per size.
//!
//! Run: `cargo bench -p examples --bench synth` (add `-- --quick` for one run
//! per size). Each size runs in a fresh child process, so the peak resident set
//! size it reports (`VmHWM`) belongs to that size alone.

use std::process::Command;
use std::time::{Duration, Instant};

use constructs::Backend;
use examples::scale::{build, RESOURCES_PER_SERVICE};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Measures one size in this process and prints one tab-separated result line.
fn child(target_resources: usize, runs: usize) {
    let services = target_resources.div_ceil(RESOURCES_PER_SERVICE);
    let mut best_build = Duration::MAX;
    let mut best_synth = Duration::MAX;
    let (mut resources, mut stacks, mut bytes) = (0, 0, 0);
    for _ in 0..runs {
        let t0 = Instant::now();
        let app = build(services);
        let t1 = Instant::now();
        let files = constructs::synth(&app, &Backend::ALL).expect("generated app is valid");
        let t2 = Instant::now();
        best_build = best_build.min(t1 - t0);
        best_synth = best_synth.min(t2 - t1);
        resources = files
            .iter()
            .filter(|f| f.backend == Backend::CloudFormation)
            .map(|f| f.resource_count)
            .sum();
        stacks = app.stacks().len();
        bytes = files.iter().map(|f| f.text.len()).sum();
        drop(files);
        drop(app);
    }
    println!(
        "{resources}\t{stacks}\t{}\t{}\t{bytes}\t{}",
        best_build.as_micros(),
        best_synth.as_micros(),
        peak_rss_kib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let size = args[i + 1].parse().expect("size");
        let runs = args[i + 2].parse().expect("runs");
        child(size, runs);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let exe = std::env::current_exe().expect("own path");
    println!(
        "| CloudFormation resources | stacks | build app | synthesize both backends | total | output | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (size, runs) in [(100, 20), (1_000, 5), (10_000, 3), (20_000, 2)] {
        let runs = if quick { 1 } else { runs };
        let out = Command::new(&exe)
            .args(["--child", &size.to_string(), &runs.to_string()])
            .output()
            .expect("child runs");
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<u64> = line.trim().split('\t').map(|x| x.parse().unwrap()).collect();
        let ms = |us: u64| us as f64 / 1000.0;
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MiB | {:.1} MiB |",
            f[0],
            f[1],
            ms(f[2]),
            ms(f[3]),
            ms(f[2] + f[3]),
            mib(f[4]),
            f[5] as f64 / 1024.0
        );
    }
}
