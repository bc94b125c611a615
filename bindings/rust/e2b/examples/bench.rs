//! Bench against a running e2b-local (E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY):
//! `run("true")` round trip p50/p95 over BENCH_N (default 50) and a 64 MiB upload, printed as
//! one JSON line. bench.sh in bindings/rust builds and runs it.
use e2b::{Client, CommandOptions, Sandbox, SandboxOptions};
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() -> e2b::Result<()> {
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(50).max(1);
    let client = Client::new()?;
    let t = Instant::now();
    let sbx = Sandbox::create(&client, &SandboxOptions::default())?;
    let create_ms = t.elapsed().as_secs_f64() * 1e3;
    let opts = CommandOptions::default();
    sbx.commands().run("true", &opts)?; // warm-up
    let mut rt = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        sbx.commands().run("true", &opts)?;
        rt.push(t.elapsed().as_secs_f64() * 1e3);
    }
    rt.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let data: Vec<u8> = (0..64usize << 20).map(|i| (i * 31 + (i >> 12)) as u8).collect();
    let t = Instant::now();
    sbx.files().write("/home/user/bench-64m.bin", &data)?;
    let upload_ms = t.elapsed().as_secs_f64() * 1e3;
    let size = sbx.files().get_info("/home/user/bench-64m.bin")?.size;
    assert_eq!(size as usize, data.len(), "upload size");
    sbx.kill()?;
    println!(
        "{{\"binding\":\"rust\",\"n\":{n},\"run_true_p50_ms\":{:.2},\"run_true_p95_ms\":{:.2},\"upload_64mib_ms\":{:.1},\"create_ms\":{:.1}}}",
        percentile(&rt, 0.50),
        percentile(&rt, 0.95),
        upload_ms,
        create_ms
    );
    Ok(())
}
