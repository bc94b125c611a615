//! Starts a private e2b-local for a test binary: free port, temp state dir, fixed key; SIGTERM
//! and cleanup on drop. Server from $E2B_LOCAL_BIN (default <repo>/build/e2b-local), library
//! from $LIBE2B_PATH (default <repo>/build/libe2b.so.0).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const KEY: &str = "e2b_0123456789abcdef0123456789abcdef01234567";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

pub struct Server {
    child: Child,
    pub url: String,
    dir: PathBuf,
}

impl Server {
    pub fn start() -> Server {
        if std::env::var_os("LIBE2B_PATH").is_none() {
            // Before any thread of this process could read the environment.
            std::env::set_var("LIBE2B_PATH", repo().join("build/libe2b.so.0"));
        }
        let bin = std::env::var_os("E2B_LOCAL_BIN").map(PathBuf::from).unwrap_or_else(|| repo().join("build/e2b-local"));
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        // Not under /tmp-style shared paths the sandboxes see; /var/tmp as the C harness.
        let dir = PathBuf::from(format!("/var/tmp/e2b-rust-test-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state dir");
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(&dir)
            .args(["--api-key", KEY])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin:?}: {e} (set E2B_LOCAL_BIN)"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut url = None;
        while let Some(Ok(line)) = lines.next() {
            if let Some(rest) = line.split("ready on ").nth(1) {
                url = Some(rest.trim().to_string());
                break;
            }
            eprintln!("e2b-local: {line}");
            if Instant::now() > deadline {
                break;
            }
        }
        let url = url.expect("e2b-local did not print its ready line");
        // Keep draining its stdout so its logging never blocks.
        let verbose = std::env::var_os("E2B_TEST_VERBOSE").is_some();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                if verbose {
                    eprintln!("e2b-local: {l}");
                }
            }
        });
        Server { child, url, dir }
    }

    pub fn client(&self) -> e2b::Client {
        self.client_with_key(KEY)
    }

    pub fn client_with_key(&self, key: &str) -> e2b::Client {
        e2b::Client::builder()
            .api_key(key)
            .api_url(&self.url)
            .sandbox_url(&self.url)
            .domain("example.test")
            .no_env()
            .build()
            .expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let d = self.dir.display();
        // As the C harness: detach leftover mounts, reap empty cgroups, remove without crossing
        // mounts.
        let script = format!(
            "awk '$2 ~ \"^{d}/\" {{print $2}}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null; \
             for id in $(ls '{d}/sandboxes' 2>/dev/null); do for c in freezer memory pids cpu cpuacct; do \
             rmdir /sys/fs/cgroup/$c/e2b-local/$id 2>/dev/null; done; done; \
             rm -rf --one-file-system '{d}' 2>/dev/null; true"
        );
        let _ = Command::new("sh").arg("-c").arg(script).status();
    }
}

/// Polls `f` until true or `timeout`.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// A minimal sequential runner (harness = false): one server for all cases, SIGTERM at the end,
/// and the plain "N passed, N failed" closing line.
pub fn run_cases(cases: &[(&str, fn(&Server))]) {
    if unsafe_geteuid() != 0 {
        println!("e2b integration tests need root (e2b-local); skipped");
        println!("0 passed, 0 failed, {} skipped", cases.len());
        return;
    }
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let server = Server::start();
    let (mut passed, mut failed) = (0, 0);
    for (name, f) in cases {
        if !filter.is_empty() && !filter.iter().any(|p| name.contains(p.as_str())) {
            continue;
        }
        let t = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&server)));
        let ms = t.elapsed().as_millis();
        match r {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({ms} ms)");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED ({ms} ms)");
            }
        }
    }
    drop(server);
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn unsafe_geteuid() -> u32 {
    // No libc crate: read the effective uid from /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}
