//! Warm pool, profiles, cost report, structured logs with a log callback, stall watches,
//! Prometheus metrics.
use super::{count, Tracked};
use crate::common::{wait_until, Server, KEY};
use e2b::*;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn pool(s: &Server) {
    let client = s.client();
    let opts = PoolOptions { name: Some("rust".into()), min_idle: 1, max_size: 2, ..Default::default() };
    let pool = Pool::new(&client, &opts).unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || {
            pool.maintain().unwrap();
            pool.stats().unwrap().idle == 1
        }),
        "pool did not warm up"
    );
    let t = Instant::now();
    let a = pool.acquire(None).unwrap();
    assert!(t.elapsed() < Duration::from_millis(500), "a warm acquire is a health check, not a create");
    assert_eq!(a.commands().run("echo pooled", &CommandOptions::default()).unwrap().stdout, "pooled\n");
    let id = a.id().to_string();
    // The refill to min_idle may be in flight: wait for it rather than fail at once.
    let b = pool.acquire(Some(Duration::from_secs(10))).unwrap();
    assert_ne!(b.id(), id);
    let st = pool.stats().unwrap();
    assert_eq!((st.active, st.acquisitions), (2, 2));

    // Exhausted: both in use, max_size 2.
    let t = Instant::now();
    let e = pool.acquire(Some(Duration::from_millis(150))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PoolExhausted, "{e}");
    assert!(t.elapsed() >= Duration::from_millis(140));
    assert_eq!(pool.stats().unwrap().exhausted, 1);

    // A waiter gets the sandbox released from another thread; a clone of the sandbox keeps it
    // out of the pool until dropped too.
    let p2 = pool.clone();
    let waiter = std::thread::spawn(move || p2.acquire(Some(Duration::from_secs(10))).map(|s| s.id().to_string()));
    let clone = a.sandbox().clone();
    drop(a);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "released before the last clone was dropped");
    drop(clone);
    assert_eq!(waiter.join().unwrap().unwrap(), id, "reused");
    assert!(pool.stats().unwrap().reused >= 1);

    // Discard: killed, not reused.
    let bid = b.id().to_string();
    b.discard();
    assert!(wait_until(Duration::from_secs(10), || Sandbox::get_info_by_id(&client, &bid).is_err()));

    // Shutdown refuses while another clone lives, then kills every member.
    let p3 = pool.clone();
    assert_eq!(p3.shutdown().unwrap_err().kind(), ErrorKind::Misuse);
    pool.shutdown().unwrap();
    assert_eq!(Sandbox::get_info_by_id(&client, &id).unwrap_err().kind(), ErrorKind::SandboxNotFound);

    // Profiles.
    let p = Profile::get("medium").unwrap();
    assert_eq!((p.cpu_count, p.memory_mb, p.timeout), (2, 2048, Duration::from_secs(1800)));
    let e = Profile::get("gigantic").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("light"), "{e}");
    let sbx = Sandbox::create(&client, &SandboxOptions { profile: Some("light".into()), memory_mb: 768, ..Default::default() }).unwrap();
    let info = sbx.get_info().unwrap();
    assert_eq!((info.cpu_count, info.memory_mb), (1, 768));
    sbx.kill().unwrap();
    let e = Sandbox::create(&client, &SandboxOptions { profile: Some("nope".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

pub fn cost_logs_metrics(s: &Server) {
    let lines = Arc::new(Mutex::new(Vec::<(LogLevel, String)>::new()));
    let l2 = lines.clone();
    let drops = Arc::new(AtomicUsize::new(0));
    let t = Tracked(drops.clone());
    let client = Client::builder()
        .api_key(KEY)
        .api_url(&s.url)
        .sandbox_url(&s.url)
        .domain("example.test")
        .no_env()
        .log_level(LogLevel::Debug)
        .on_log(move |lvl, line| {
            let _ = &t;
            l2.lock().unwrap().push((lvl, line.to_string()));
        })
        .build()
        .unwrap();
    let sbx = Sandbox::create(&client, &SandboxOptions { cpu_count: 2, memory_mb: 1024, ..Default::default() }).unwrap();
    sbx.commands().run("echo hi", &CommandOptions::default()).unwrap();
    let has = |ev: &str| lines.lock().unwrap().iter().any(|(_, l)| l.contains(&format!("\"event\":\"{ev}\"")));
    assert!(wait_until(Duration::from_secs(5), || has("sandbox.create")), "{:?}", lines.lock().unwrap());
    assert!(lines.lock().unwrap().iter().any(|(_, l)| l.contains(sbx.id())));

    client.log_emit(LogLevel::Warn, "rust.custom", Some(sbx.id()), Some("hello log")).unwrap();
    let custom = lines.lock().unwrap().iter().find(|(_, l)| l.contains("rust.custom")).cloned().unwrap();
    assert_eq!(custom.0, LogLevel::Warn);
    assert!(custom.1.contains("hello log") && custom.1.starts_with('{'), "{}", custom.1);

    // measure: the closure's value passes through; an error is logged with its kind.
    let v = client.measure("rust.op", None, || Ok(21 * 2)).unwrap();
    assert_eq!(v, 42);
    let e = client.measure("rust.fail", Some(sbx.id()), || sbx.files().read("/nope").map(|_| ())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound);
    let fail = lines.lock().unwrap().iter().find(|(_, l)| l.contains("\"event\":\"rust.fail\"")).cloned().unwrap();
    assert!(fail.1.contains("file_not_found"), "{}", fail.1);

    // Metrics, rendered and scraped.
    let text = client.metrics_render().unwrap();
    assert!(text.contains("e2b_sandboxes_created_total 1"), "{text}");
    assert!(text.contains("e2b_user_operation_seconds") && text.contains("rust.op"), "{text}");
    let port = client.metrics_serve(0).unwrap();
    assert!(port > 0);
    assert_eq!(client.metrics_serve(port).unwrap_err().kind(), ErrorKind::InvalidArgument, "already serving");
    let scraped = std::process::Command::new("curl").args(["-s", &format!("http://127.0.0.1:{port}/metrics")]).output().unwrap();
    assert!(String::from_utf8_lossy(&scraped.stdout).contains("e2b_sandboxes_created_total"));
    client.metrics_serve_stop().unwrap();

    // Cost: the sandbox's real size, prices settable, a JSON report.
    std::thread::sleep(Duration::from_millis(300));
    let c = client.cost_totals().unwrap();
    assert_eq!(c.sandboxes, 1);
    assert!(c.running_seconds > 0.0 && c.cost_usd > 0.0);
    assert!((c.vcpu_seconds / c.running_seconds - 2.0).abs() < 0.01, "{c:?}");
    client.set_cost_prices(Some(1.0), Some(0.0)).unwrap();
    let c2 = client.cost_totals().unwrap();
    assert!((c2.cost_usd - c2.vcpu_seconds).abs() < 0.01 * c2.vcpu_seconds.max(1.0), "{c2:?}");
    assert_eq!(client.set_cost_prices(Some(-1.0), None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(client.set_cost_prices(None, Some(f64::NAN)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let report = client.cost_report_json().unwrap();
    assert!(report.contains(sbx.id()) && report.contains("\"totals\""), "{report}");

    sbx.kill().unwrap();
    drop(sbx);
    assert_eq!(count(&drops), 0);
    drop(client);
    assert_eq!(count(&drops), 1, "the log callback is freed with the client");
}

pub fn stall_watches(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let events = Arc::new(Mutex::new(Vec::<StallEvent>::new()));
    let drops = Arc::new(AtomicUsize::new(0));

    // A silent command, killed on stall.
    let h = sbx
        .commands()
        .start("echo started; sleep 60", &CommandOptions::default(), Handlers::new())
        .unwrap();
    let (e2, t) = (events.clone(), Tracked(drops.clone()));
    let w = h
        .watch_stall(&StallOptions { idle: Duration::from_millis(300), kill: true }, move |ev| {
            let _ = &t;
            e2.lock().unwrap().push(ev);
        })
        .unwrap();
    assert!(wait_until(Duration::from_secs(5), || !events.lock().unwrap().is_empty()));
    let ev = events.lock().unwrap()[0].clone();
    assert_eq!((ev.pid, ev.killed, ev.sandbox_id.as_str()), (Some(h.pid()), true, sbx.id()));
    assert!(ev.idle >= Duration::from_millis(300));
    assert_eq!(h.wait().unwrap_err().exit_code(), Some(-1), "killed");
    drop(w);
    assert_eq!(count(&drops), 1, "closure freed with the watch");
    drop(h);

    // A chatty command is not stalled (generous idle: CI machines are busy); then it goes quiet.
    events.lock().unwrap().clear();
    let h = sbx
        .commands()
        .start("for i in $(seq 10); do echo $i; sleep 0.1; done; sleep 30", &CommandOptions::default(), Handlers::new())
        .unwrap();
    let e3 = events.clone();
    let w = h
        .watch_stall(&StallOptions { idle: Duration::from_millis(800), kill: false }, move |ev| e3.lock().unwrap().push(ev))
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    assert!(events.lock().unwrap().is_empty(), "output every 100 ms: {:?}", events.lock().unwrap());
    assert!(wait_until(Duration::from_secs(5), || !events.lock().unwrap().is_empty()));
    assert!(!events.lock().unwrap()[0].killed);
    drop(w);
    h.kill().unwrap();
    drop(h);

    // A sandbox watch: fires on silence, re-armed by any command's output.
    events.lock().unwrap().clear();
    let e4 = events.clone();
    let w = sbx
        .watch_stall(&StallOptions { idle: Duration::from_millis(200), kill: false }, move |ev| e4.lock().unwrap().push(ev))
        .unwrap();
    assert!(wait_until(Duration::from_secs(3), || events.lock().unwrap().len() == 1));
    assert_eq!(events.lock().unwrap()[0].pid, None);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(events.lock().unwrap().len(), 1, "once per silence");
    sbx.commands().run("echo beat", &CommandOptions::default()).unwrap();
    assert!(wait_until(Duration::from_secs(3), || events.lock().unwrap().len() == 2));
    drop(w);
    let n = events.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(events.lock().unwrap().len(), n, "no call after the watch is dropped");

    let e = sbx.watch_stall(&StallOptions { idle: Duration::ZERO, kill: false }, |_| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    sbx.kill().unwrap();
}
