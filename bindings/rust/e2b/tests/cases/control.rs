//! Sandboxes by id, processes by pid, metrics and logs.
use crate::common::{wait_until, Server};
use e2b::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub fn by_id_and_by_pid(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let id = sbx.id().to_string();

    // Processes by pid, without a handle.
    let c = sbx.commands();
    let opts = CommandOptions { stdin: true, timeout: Some(Duration::ZERO), ..Default::default() };
    let h = c.start("cat > /tmp/from-stdin.txt", &opts, Handlers::new()).unwrap();
    let pid = h.pid();
    drop(h); // the process keeps running
    c.send_stdin(pid, "by pid\n").unwrap();
    c.close_stdin(pid).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || !c.list().unwrap().iter().any(|p| p.pid == pid)),
        "cat did not end after close_stdin"
    );
    assert_eq!(sbx.files().read_to_string("/tmp/from-stdin.txt").unwrap(), "by pid\n");
    assert_eq!(c.send_stdin(pid, "x").unwrap_err().kind(), ErrorKind::NotFound);
    let sleeper = c.start("sleep 600", &CommandOptions { timeout: Some(Duration::ZERO), ..Default::default() }, Handlers::new()).unwrap();
    let spid = sleeper.pid();
    assert!(c.kill(spid).unwrap());
    assert_eq!(sleeper.wait().unwrap_err().exit_code(), Some(-1), "the attached stream sees the kill");
    assert!(!c.kill(spid).unwrap(), "already gone");

    // PTY by pid.
    let screen = Arc::new(Mutex::new(String::new()));
    let s2 = screen.clone();
    let pty = sbx
        .pty()
        .create(&PtyOptions::default(), move |d| s2.lock().unwrap().push_str(&String::from_utf8_lossy(d)))
        .unwrap();
    let ppid = pty.pid();
    sbx.pty().resize(ppid, 101, 33).unwrap();
    sbx.pty().send_input(ppid, "stty size; echo by-$((6*7))\n").unwrap();
    assert!(wait_until(Duration::from_secs(10), || screen.lock().unwrap().contains("by-42")), "{}", screen.lock().unwrap());
    assert!(screen.lock().unwrap().contains("33 101"));
    assert!(sbx.pty().kill(ppid).unwrap());
    assert!(pty.wait().is_err());
    assert_eq!(sbx.pty().resize(ppid, 80, 24).unwrap_err().kind(), ErrorKind::NotFound);

    // Sandboxes by id: no handle, no resume of a paused one.
    Sandbox::set_timeout_by_id(&client, &id, Duration::from_secs(900)).unwrap();
    let end = sbx.get_info().unwrap().end_at;
    assert!(end > SystemTime::now() + Duration::from_secs(800));
    assert!(Sandbox::pause_by_id(&client, &id).unwrap());
    assert!(!Sandbox::pause_by_id(&client, &id).unwrap(), "already paused");
    assert_eq!(Sandbox::get_info_by_id(&client, &id).unwrap().state, "paused");
    assert!(Sandbox::kill_by_id(&client, &id).unwrap());
    assert!(!Sandbox::kill_by_id(&client, &id).unwrap(), "already gone");
    assert_eq!(Sandbox::set_timeout_by_id(&client, &id, Duration::from_secs(60)).unwrap_err().kind(), ErrorKind::SandboxNotFound);
    assert_eq!(Sandbox::pause_by_id(&client, "").unwrap_err().kind(), ErrorKind::InvalidArgument);
    let bad = s.client_with_key("e2b_ffffffffffffffffffffffffffffffffffffffff");
    assert_eq!(Sandbox::kill_by_id(&bad, &id).unwrap_err().kind(), ErrorKind::Authentication);
}

pub fn metrics_and_logs(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let m = sbx.get_metrics(None, None).unwrap();
    assert!(!m.is_empty());
    let m0 = &m[0];
    assert!(m0.cpu_count >= 1);
    assert!(m0.mem_total > 0 && m0.mem_used > 0 && m0.mem_used <= m0.mem_total);
    assert!(m0.cpu_used_pct >= 0.0);
    assert!(m0.timestamp > SystemTime::now() - Duration::from_secs(60));
    let now = SystemTime::now();
    let e = sbx.get_metrics(Some(now), Some(now - Duration::from_secs(100))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    assert!(sbx.pause().unwrap());
    let sbx = Sandbox::connect(&client, sbx.id(), None).unwrap();
    let logs = sbx.get_logs(&LogsOptions::default()).unwrap();
    assert!(logs.len() >= 3, "{logs:?}"); // created, paused, resumed
    assert!(logs[0].message.contains("created"), "{logs:?}");
    assert_eq!(logs[0].level, "info");
    assert!(logs.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let newest = sbx.get_logs(&LogsOptions { backward: true, limit: 1, ..Default::default() }).unwrap();
    assert_eq!(newest.len(), 1);
    assert!(newest[0].message.contains("resumed"), "{newest:?}");
    let paused = Sandbox::get_logs_by_id(&client, sbx.id(), &LogsOptions { search: Some("paused".into()), ..Default::default() }).unwrap();
    assert_eq!(paused.len(), 1);
    let later = sbx.get_logs(&LogsOptions { cursor: Some(logs[1].timestamp), ..Default::default() }).unwrap();
    assert_eq!(later.len(), logs.len() - 1);
    let e = sbx.get_logs(&LogsOptions { min_level: Some("loud".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = sbx.get_logs(&LogsOptions { limit: 1001, ..Default::default() }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    sbx.kill().unwrap();
    let e = Sandbox::get_metrics_by_id(&client, "nosuchsandbox0000", None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SandboxNotFound, "{e}");
}

pub fn cancel_and_end_status(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();

    // A blocking call cancelled from another thread returns Canceled promptly.
    let tok = CancelToken::new().unwrap();
    assert!(!tok.is_cancelled());
    let t2 = tok.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        t2.cancel();
    });
    let t0 = std::time::Instant::now();
    let (run, later) = tok.scope(|| {
        let run = sbx.commands().run("sleep 20", &CommandOptions::default());
        // Requests started later in the scope fail at once.
        (run, sbx.files().exists("/tmp"))
    });
    canceller.join().unwrap();
    let took = t0.elapsed();
    assert_eq!(run.unwrap_err().kind(), ErrorKind::Canceled);
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(3), "{took:?}");
    assert_eq!(later.unwrap_err().kind(), ErrorKind::Canceled);
    assert!(tok.is_cancelled());
    // Outside the scope the thread is not bound any more; nested scopes restore the outer one.
    assert!(sbx.files().exists("/tmp").unwrap());
    let fresh = CancelToken::new().unwrap();
    fresh.scope(|| {
        tok.scope(|| assert_eq!(sbx.files().exists("/tmp").unwrap_err().kind(), ErrorKind::Canceled));
        assert!(sbx.files().exists("/tmp").unwrap(), "outer (untriggered) token restored");
    });
    // A panic inside a scope unbinds too.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tok.scope(|| panic!("in scope"))));
    assert!(sbx.files().exists("/tmp").unwrap());

    // End status, also readable while running (None) and after the end.
    let h = sbx.commands().start("sleep 0.3; exit 3", &CommandOptions::default(), Handlers::new()).unwrap();
    assert_eq!(h.end_status().unwrap(), None);
    assert_eq!(h.wait().unwrap_err().exit_code(), Some(3));
    assert_eq!(h.end_status().unwrap().as_deref(), Some("exit status 3"));
    sbx.kill().unwrap();
}
