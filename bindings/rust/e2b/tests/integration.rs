//! The binding against a real e2b-local started by the test (see common/mod.rs).
mod cases;
mod common;

use common::{wait_until, Server};
use e2b::*;
use std::collections::HashMap;
use std::io::Cursor;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() {
    common::run_cases(&[
        ("shared_scenario", shared_scenario),
        ("callbacks_on_service_thread_without_leaks", callbacks_on_service_thread_without_leaks),
        ("commands_errors_list_and_pty", commands_errors_list_and_pty),
        ("files_operations", files_operations),
        ("sandbox_info_list_pagination", sandbox_info_list_pagination),
        ("panic_in_callback_is_reraised", panic_in_callback_is_reraised),
        ("queued_delivery", queued_delivery),
        ("ports_http_and_websocket", cases::ports::ports_http_and_websocket),
        ("code_interpreter", cases::code::code_interpreter),
        ("code_queued_delivery", cases::code::code_queued_delivery),
        ("sessions", cases::production::sessions),
        ("artifacts_and_workspace", cases::production::artifacts_and_workspace),
        ("by_id_and_by_pid", cases::control::by_id_and_by_pid),
        ("metrics_and_logs", cases::control::metrics_and_logs),
        ("cancel_and_end_status", cases::control::cancel_and_end_status),
        ("pool", cases::production_b::pool),
        ("cost_logs_metrics", cases::production_b::cost_logs_metrics),
        ("stall_watches", cases::production_b::stall_watches),
    ]);
}

fn opts() -> CommandOptions {
    CommandOptions::default()
}

/// Collects streamed bytes for assertions.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);
impl Sink {
    fn push(&self, d: &[u8]) {
        self.0.lock().unwrap().extend_from_slice(d)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn pattern(n: usize) -> Vec<u8> {
    // Non-repeating-ish binary content, every byte value present.
    (0..n).map(|i| ((i * 7919) ^ (i >> 8)) as u8).collect()
}

fn shared_scenario(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).expect("create");
    assert!(!sbx.id().is_empty());
    assert!(sbx.is_running().unwrap());

    // Streamed command: output arrives in the callback before wait returns.
    let out = Sink::default();
    let o2 = out.clone();
    let err = Sink::default();
    let e2 = err.clone();
    sbx.commands()
        .run_with(
            "echo one; echo two >&2; echo three",
            &opts(),
            Handlers::new().on_stdout(move |d| o2.push(d)).on_stderr(move |d| e2.push(d)),
        )
        .expect("streamed run");
    assert_eq!(out.text(), "one\nthree\n");
    assert_eq!(err.text(), "two\n");

    // stdin
    let got = Sink::default();
    let g2 = got.clone();
    let cat = sbx
        .commands()
        .start("cat", &CommandOptions { stdin: true, ..opts() }, Handlers::new().on_stdout(move |d| g2.push(d)))
        .expect("start cat");
    cat.send_stdin("hello stdin\n").unwrap();
    cat.close_stdin().unwrap();
    cat.wait().expect("cat exits 0");
    assert_eq!(got.text(), "hello stdin\n");

    // Files round trip: text, 8 MiB binary (whole and streamed both ways).
    let f = sbx.files();
    f.write("/home/user/note.txt", "hi there").unwrap();
    assert_eq!(f.read_to_string("/home/user/note.txt").unwrap(), "hi there");
    let big = pattern(8 << 20);
    f.write("/home/user/big.bin", &big).unwrap();
    assert!(f.read("/home/user/big.bin").unwrap() == big, "8 MiB read back differs");
    f.write_from_reader("/home/user/big2.bin", &mut Cursor::new(&big), Some(big.len() as u64)).unwrap();
    let mut back = Vec::new();
    assert_eq!(f.read_to_writer("/home/user/big2.bin", &mut back).unwrap(), big.len() as u64);
    assert!(back == big, "8 MiB streamed round trip differs");
    let sum = sbx.commands().run("sha256sum /home/user/big.bin /home/user/big2.bin | cut -d' ' -f1 | uniq | wc -l", &opts()).unwrap();
    assert_eq!(sum.stdout.trim(), "1");

    // A watch event.
    f.make_dir("/home/user/watched").unwrap();
    let events = Arc::new(Mutex::new(Vec::<FilesystemEvent>::new()));
    let ev2 = events.clone();
    let w = f.watch_dir("/home/user/watched", false, move |e| ev2.lock().unwrap().push(e)).unwrap();
    f.write("/home/user/watched/new.txt", "x").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || events.lock().unwrap().iter().any(|e| e.name == "new.txt")),
        "no watch event for new.txt"
    );
    w.stop();
    drop(w);

    // Pause with a live process; connect resumes; the process still runs and is reconnectable.
    let bg = sbx
        .commands()
        .start(
            "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done",
            &CommandOptions { timeout: Some(Duration::ZERO), tag: Some("ticker".into()), ..opts() },
            Handlers::new(),
        )
        .unwrap();
    let pid = bg.pid();
    drop(bg); // disconnect locally; the process keeps running
    assert!(sbx.pause().unwrap());
    assert!(!sbx.pause().unwrap(), "second pause: already paused");
    assert_eq!(Sandbox::get_info_by_id(&client, sbx.id()).unwrap().state, "paused");
    let sbx2 = Sandbox::connect(&client, sbx.id(), None).expect("connect resumes");
    assert_eq!(sbx2.get_info().unwrap().state, "running");
    let procs = sbx2.commands().list().unwrap();
    assert!(procs.iter().any(|p| p.pid == pid && p.tag.as_deref() == Some("ticker")), "{procs:?}");
    let ticks = Sink::default();
    let t2 = ticks.clone();
    let again = sbx2.commands().connect(pid, Handlers::new().on_stdout(move |d| t2.push(d))).unwrap();
    assert!(wait_until(Duration::from_secs(10), || ticks.text().contains("tick")), "no output after resume");
    assert!(again.kill().unwrap());
    let e = again.wait().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommandExit);
    assert_eq!(e.exit_code(), Some(-1));
    drop(again);
    assert!(!sbx2.commands().kill(pid).unwrap(), "already gone");

    // Kill.
    assert!(sbx2.kill().unwrap());
    assert!(!sbx.kill().unwrap(), "second kill reports it was gone");
    assert_eq!(sbx.get_info().unwrap_err().kind(), ErrorKind::SandboxNotFound);

    // Three error cases, each typed.
    let e = Sandbox::connect(&client, "inotthere000000000000", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SandboxNotFound, "{e}");
    assert_eq!(e.code(), sys::E2B_ESANDBOX_NOT_FOUND);
    let bad = s.client_with_key("e2b_ffffffffffffffffffffffffffffffffffffffff");
    let e = Sandbox::create(&bad, &SandboxOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication, "{e}");
    assert_eq!(e.http_status(), 401);
    let live = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let e = live.files().read("/home/user/missing.txt").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound, "{e}");
    assert!(e.message().contains("missing.txt"), "{e}");
    live.kill().unwrap();
}

/// Output and watch callbacks arrive on libe2b's own thread; every closure (and what it
/// captured) is dropped exactly once, when libe2b guarantees no further calls.
fn callbacks_on_service_thread_without_leaks(s: &Server) {
    struct Tracked(Arc<AtomicUsize>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let main = std::thread::current().id();
    let drops = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(Vec::new()));
    const N: usize = 20;
    for i in 0..N {
        let (a, b, c) = (Tracked(drops.clone()), Tracked(drops.clone()), Tracked(drops.clone()));
        let (t1, t2) = (threads.clone(), threads.clone());
        let exited = Arc::new(AtomicUsize::new(0));
        let ex2 = exited.clone();
        let h = sbx
            .commands()
            .start(
                &format!("echo out{i}; echo err{i} >&2"),
                &opts(),
                Handlers::new()
                    .on_stdout(move |_| {
                        let _ = &a;
                        t1.lock().unwrap().push(std::thread::current().id());
                    })
                    .on_stderr(move |_| {
                        let _ = &b;
                        t2.lock().unwrap().push(std::thread::current().id());
                    })
                    .on_exit(move |code, err| {
                        let _ = &c;
                        // Complete (0, None), or cancelled by the drop of an odd handle.
                        let ok = (code == 0 && err.is_none())
                            || (i % 2 == 1 && err.as_ref().map(|e| e.kind()) == Some(ErrorKind::Canceled));
                        ex2.fetch_add(if ok { 1 } else { 1000 }, Ordering::SeqCst);
                    }),
            )
            .unwrap();
        if i % 2 == 0 {
            h.wait().unwrap();
            // With service-thread delivery wait() returns after on_exit ran.
            assert_eq!(exited.load(Ordering::SeqCst), 1);
        }
        drop(h); // odd ones: dropped while possibly still streaming
        assert!(exited.load(Ordering::SeqCst) <= 1, "on_exit ran with an unexpected result");
    }
    // Every closure is freed by the time its handle is dropped (odd ones: disconnect + free).
    assert_eq!(drops.load(Ordering::SeqCst), 3 * N, "exec closures leaked or double-freed");
    let ts = threads.lock().unwrap();
    assert!(!ts.is_empty());
    assert!(ts.iter().all(|t| *t != main), "a callback ran on the caller's thread");

    // Watch: closures freed in on_end, which stop() waits for in service-thread mode.
    let before = drops.load(Ordering::SeqCst);
    for _ in 0..5 {
        let (a, b) = (Tracked(drops.clone()), Tracked(drops.clone()));
        let ended = Arc::new(AtomicUsize::new(0));
        let e2 = ended.clone();
        let w = sbx
            .files()
            .watch_dir_with_end("/home/user", true, move |_| { let _ = &a; }, move |err| {
                let _ = &b;
                assert!(err.is_none());
                e2.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        w.stop();
        assert_eq!(ended.load(Ordering::SeqCst), 1);
        drop(w);
    }
    assert_eq!(drops.load(Ordering::SeqCst) - before, 10, "watch closures leaked");
    // A failed watch frees its closures at once.
    let a = Tracked(drops.clone());
    let e = sbx.files().watch_dir("/home/user/nope", false, move |_| { let _ = &a; }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound);
    assert_eq!(drops.load(Ordering::SeqCst) - before, 11);
    sbx.kill().unwrap();
}

fn commands_errors_list_and_pty(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let c = sbx.commands();

    let out = c
        .run(
            "echo $FOO; pwd; whoami",
            &CommandOptions {
                envs: HashMap::from([("FOO".to_string(), "bar".to_string())]),
                cwd: Some("/tmp".into()),
                user: Some("root".into()),
                ..opts()
            },
        )
        .unwrap();
    assert_eq!(out.stdout, "bar\n/tmp\nroot\n");
    assert_eq!(out.exit_code, 0);

    let e = c.run("echo partial; exit 3", &opts()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommandExit);
    assert_eq!(e.exit_code(), Some(3));
    assert_eq!(e.command_output().unwrap().stdout, "partial\n");

    let e = c.run("true", &CommandOptions { cwd: Some("/no/such/dir".into()), ..opts() }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = c.run("bad\0cmd", &opts()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = c.connect(999_999, Handlers::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // Stop receiving from the callback with ControlFlow::Break; the stream ends with User.
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let h = c
        .start(
            "for i in $(seq 1 50); do echo $i; sleep 0.02; done",
            &opts(),
            Handlers::new().on_stdout(move |_| {
                n2.fetch_add(1, Ordering::SeqCst);
                ControlFlow::Break(())
            }),
        )
        .unwrap();
    assert_eq!(h.wait().unwrap_err().kind(), ErrorKind::User);
    assert_eq!(n.load(Ordering::SeqCst), 1);
    h.kill().unwrap();

    // Disconnect from another thread while one waits.
    let h = Arc::new(c.start("sleep 30", &opts(), Handlers::new()).unwrap());
    let h2 = h.clone();
    let t = std::thread::spawn(move || h2.wait());
    std::thread::sleep(Duration::from_millis(200));
    h.disconnect().unwrap();
    assert_eq!(t.join().unwrap().unwrap_err().kind(), ErrorKind::Canceled);
    assert!(c.list().unwrap().iter().any(|p| p.pid == h.pid()), "disconnect must not kill");
    assert!(c.kill(h.pid()).unwrap());

    // PTY
    let screen = Sink::default();
    let s2 = screen.clone();
    let pty = sbx.pty().create(&PtyOptions { cols: 100, rows: 30, ..Default::default() }, move |d| s2.push(d)).unwrap();
    pty.resize(120, 40).unwrap();
    pty.send_input("stty size; echo pty-$((40+2))\n").unwrap();
    assert!(wait_until(Duration::from_secs(10), || screen.text().contains("pty-42")), "{}", screen.text());
    assert!(screen.text().contains("40 120"), "{}", screen.text());
    pty.send_input("exit\n").unwrap();
    pty.wait().unwrap();
    sbx.kill().unwrap();
}

fn files_operations(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let f = sbx.files();
    assert!(f.make_dir("/home/user/d/e").unwrap());
    assert!(!f.make_dir("/home/user/d/e").unwrap());
    f.write_many(&[("/home/user/d/a.txt", b"A".as_slice()), ("/home/user/d/e/b.txt", b"BB".as_slice())]).unwrap();
    let mut names: Vec<_> = f.list("/home/user/d", 2).unwrap().into_iter().map(|e| e.path).collect();
    names.sort();
    assert_eq!(names, ["/home/user/d/a.txt", "/home/user/d/e", "/home/user/d/e/b.txt"]);
    let one = f.list("/home/user/d", 1).unwrap();
    assert_eq!(one.len(), 2);
    let info = f.get_info("/home/user/d/e/b.txt").unwrap();
    assert_eq!((info.name.as_str(), info.size, info.file_type), ("b.txt", 2, FileType::File));
    assert_eq!(info.owner, "user");
    assert!(f.exists("/home/user/d/a.txt").unwrap());
    f.rename("/home/user/d/a.txt", "/home/user/d2/z.txt").unwrap();
    assert!(!f.exists("/home/user/d/a.txt").unwrap());
    assert_eq!(f.read("/home/user/d2/z.txt").unwrap(), b"A");
    f.remove("/home/user/d").unwrap();
    f.remove("/home/user/d").unwrap(); // missing is success
    assert!(!f.exists("/home/user/d").unwrap());
    assert_eq!(f.rename("/home/user/nope", "/home/user/x").unwrap_err().kind(), ErrorKind::FileNotFound);
    assert_eq!(f.read("/home/user").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(f.list("/home/user/d2/z.txt", 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let e = f.write_many(&[("/home/user/same", b"1".as_slice()), ("/home/user/same", b"2".as_slice())]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    // As root.
    f.clone().user("root").write("/root/r.txt", "r").unwrap();
    assert_eq!(f.clone().user("root").get_info("/root/r.txt").unwrap().owner, "root");

    // Empty file, chunked upload, writer error.
    f.write("/home/user/empty", b"").unwrap();
    assert_eq!(f.read("/home/user/empty").unwrap(), b"");
    f.write_from_reader("/home/user/chunked", &mut Cursor::new(vec![5u8; 100_000]), None).unwrap();
    assert_eq!(f.get_info("/home/user/chunked").unwrap().size, 100_000);
    struct Failing;
    impl std::io::Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk says no"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = f.read_to_writer("/home/user/chunked", &mut Failing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(std::error::Error::source(&e).unwrap().to_string().contains("disk says no"));

    // Signed URLs: usable without headers.
    let up = f.upload_url("/home/user/u.txt", Some(Duration::from_secs(60))).unwrap();
    let down = f.download_url("/home/user/chunked", None).unwrap();
    assert!(up.contains("signature="), "{up}");
    assert!(down.starts_with(&s.url), "{down}");
    let status = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!("E2b-Sandbox-Id: {}", sbx.id()))
        .args(["-H", "E2b-Sandbox-Port: 49983"])
        .arg(&down)
        .output();
    if let Ok(o) = status {
        assert_eq!(String::from_utf8_lossy(&o.stdout), "200", "GET {down}");
    }

    sbx.kill().unwrap();
}

fn sandbox_info_list_pagination(s: &Server) {
    let client = s.client();
    let tag = format!("t{}", std::process::id());
    let mk = |i: u32| {
        Sandbox::create(
            &client,
            &SandboxOptions {
                metadata: HashMap::from([("suite".to_string(), tag.clone()), ("i".to_string(), i.to_string())]),
                envs: HashMap::from([("SBX_ENV".to_string(), "yes".to_string())]),
                timeout: Some(Duration::from_secs(120)),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (a, b) = (mk(1), mk(2));
    let info = a.get_info().unwrap();
    assert_eq!(info.sandbox_id, a.id());
    assert_eq!(info.state, "running");
    assert_eq!(info.metadata.get("suite"), Some(&tag));
    assert!(info.end_at > info.started_at);
    assert_eq!(a.commands().run("echo $SBX_ENV", &opts()).unwrap().stdout, "yes\n");
    a.set_timeout(Duration::from_secs(600)).unwrap();
    assert!(a.get_info().unwrap().end_at > info.end_at);
    assert_eq!(a.get_host(8080).unwrap(), format!("8080-{}.example.test", a.id()));

    let filter = ListOptions { metadata: HashMap::from([("suite".to_string(), tag.clone())]), limit: 1, ..Default::default() };
    let mut pages = Sandbox::list(&client, filter.clone());
    let mut ids = Vec::new();
    let mut npages = 0;
    while pages.has_next() {
        let items = pages.next_items().unwrap();
        assert!(items.len() <= 1);
        ids.extend(items.into_iter().map(|i| i.sandbox_id));
        npages += 1;
        assert!(npages < 10);
    }
    ids.sort();
    let mut want = vec![a.id().to_string(), b.id().to_string()];
    want.sort();
    assert_eq!(ids, want);
    b.pause().unwrap();
    let paused: Vec<_> = Sandbox::list(&client, ListOptions { states: vec![SandboxState::Paused], ..filter.clone() })
        .flat_map(|p| p.unwrap())
        .map(|i| i.sandbox_id)
        .collect();
    assert_eq!(paused, [b.id().to_string()]);
    a.kill().unwrap();
    b.kill().unwrap();
    assert_eq!(Sandbox::list(&client, filter).flat_map(|p| p.unwrap()).count(), 0);
}

fn panic_in_callback_is_reraised(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let h = sbx
        .commands()
        .start("echo boom", &opts(), Handlers::new().on_stdout(|_| -> () { panic!("callback panic") }))
        .unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.wait()));
    let p = r.expect_err("wait must re-raise the callback's panic");
    assert_eq!(p.downcast_ref::<&str>(), Some(&"callback panic"));
    drop(h);
    // The library and client are still usable.
    assert_eq!(sbx.commands().run("echo ok", &opts()).unwrap().stdout, "ok\n");
    sbx.kill().unwrap();
}

fn queued_delivery(s: &Server) {
    let client = Client::builder()
        .api_key(common::KEY)
        .api_url(&s.url)
        .sandbox_url(&s.url)
        .domain("example.test")
        .no_env()
        .delivery(Delivery::Queued)
        .build()
        .unwrap();
    assert!(client.wake_fd().is_some());
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let main = std::thread::current().id();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let h = sbx
        .commands()
        .start("echo queued", &opts(), Handlers::new().on_stdout(move |d| s2.lock().unwrap().push((std::thread::current().id(), d.to_vec()))))
        .unwrap();
    assert!(wait_until(Duration::from_secs(10), || {
        client.dispatch(0).unwrap();
        !seen.lock().unwrap().is_empty()
    }));
    let v = seen.lock().unwrap();
    assert_eq!(v[0], (main, b"queued\n".to_vec()), "queued callbacks run on the dispatching thread");
    drop(v);
    drop(h);
    sbx.kill().unwrap();
}
