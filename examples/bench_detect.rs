//! Measures detector start-up and single-thread scan throughput.
//!
//! Usage: `cargo run --release --example bench_detect -- DIR [MAX_MB] [ROUNDS]`
//!
//! Start-up is the first `Detector::new` plus one small scan in this
//! process, which is what a pre-commit hook pays. Throughput scans every
//! file under DIR (up to MAX_MB, default 200) from memory on one thread,
//! ROUNDS times over (default 1) so that a small corpus runs long enough
//! to time.

use std::time::Instant;

use bstr::BStr;
use tightlip::detect::{BlobScan, Detector, DetectorOptions};

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let parsed = tightlip::rules::builtin().len();
    println!(
        "parsed {parsed} rules in {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let detector = Detector::new(DetectorOptions::default())?;
    let built = started.elapsed();
    let small = b"import os\npassword = os.environ['DB_PASSWORD']\nkey = 'value'\n";
    let first = detector.scan(BStr::new("app.py"), small);
    let first_scan = started.elapsed();
    println!(
        "start-up: Detector::new {:.2} ms, plus first small scan {:.2} ms ({} matches)",
        built.as_secs_f64() * 1e3,
        first_scan.as_secs_f64() * 1e3,
        match first {
            BlobScan::Scanned(matches) => matches.len(),
            BlobScan::Skipped(_) => 0,
        }
    );

    for round in 0..2 {
        let started = Instant::now();
        let again = Detector::new(DetectorOptions::default())?;
        let built = started.elapsed();
        again.scan(BStr::new("app.py"), small);
        println!(
            "round {round}: new {:.2} ms, scan {:.2} ms",
            built.as_secs_f64() * 1e3,
            (started.elapsed() - built).as_secs_f64() * 1e3
        );
    }
    let mut compile_times: Vec<(f64, &str)> = tightlip::rules::builtin()
        .iter()
        .filter_map(|rule| {
            let pattern = rule.pattern.as_deref()?;
            let started = Instant::now();
            regex::bytes::RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .ok()?;
            Some((started.elapsed().as_secs_f64() * 1e3, rule.id.as_str()))
        })
        .collect();
    compile_times.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, id) in compile_times.iter().take(5) {
        println!("regex compile {id}: {ms:.2} ms");
    }

    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        return Ok(());
    };
    let max_bytes: usize = args.next().map_or(200, |mb| mb.parse().unwrap_or(200)) << 20;
    let rounds: usize = args.next().map_or(1, |n| n.parse().unwrap_or(1)).max(1);
    let mut files = Vec::new();
    let mut total = 0usize;
    for entry in ignore::WalkBuilder::new(&dir)
        .standard_filters(false)
        .build()
    {
        let entry = entry?;
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let data = std::fs::read(entry.path())?;
        total += data.len();
        files.push((entry.path().to_string_lossy().into_owned(), data));
        if total >= max_bytes {
            break;
        }
    }
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    let (mut matches, mut skipped) = (0usize, 0usize);
    for (path, data) in files.iter().cycle().take(files.len() * rounds) {
        match detector.scan(BStr::new(path), data) {
            BlobScan::Scanned(found) => {
                matches += found.len();
                if std::env::var_os("BENCH_SHOW_LINES").is_some() {
                    for m in &found {
                        let line = data
                            .split(|&b| b == b'\n')
                            .nth(m.line as usize - 1)
                            .unwrap_or_default();
                        let line = String::from_utf8_lossy(&line[..line.len().min(150)]);
                        println!("{path}:{} {} | {}", m.line, m.rule_id, line.trim());
                    }
                }
            }
            BlobScan::Skipped(_) => skipped += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = total * rounds;
    let cpu = thread_cpu_seconds()
        .zip(cpu_started)
        .map(|(end, start)| end - start);
    println!(
        "scanned {} files, {:.1} MB in {:.2} s: {:.0} MB/s wall, {} MB/s CPU, {matches} matches, {skipped} skipped",
        files.len(),
        total as f64 / 1e6,
        elapsed,
        total as f64 / 1e6 / elapsed,
        cpu.map_or("?".to_string(), |cpu| format!(
            "{:.0}",
            total as f64 / 1e6 / cpu
        )),
    );
    Ok(())
}

/// Returns this thread's user plus system CPU time from /proc (Linux
/// only, in clock ticks of 10 ms), so the rate holds on a busy machine.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
