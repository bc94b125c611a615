//! The code interpreter on template code-interpreter-v1.
use super::{count, Tracked};
use crate::common::{wait_until, Server};
use e2b::*;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn interp(s: &Server) -> Sandbox {
    let opts = SandboxOptions { template: Some("code-interpreter-v1".into()), ..Default::default() };
    Sandbox::create(&s.client(), &opts).expect("create code-interpreter-v1")
}

fn py() -> RunCodeOptions {
    RunCodeOptions::default()
}

pub fn code_interpreter(s: &Server) {
    let sbx = interp(s);

    // State across cells, logs, results, the execution counter.
    let x = sbx.run_code("x = 41\nprint('hello')\nimport sys; print('warn', file=sys.stderr)", &py()).unwrap();
    assert!(x.error.is_none());
    assert_eq!(x.text(), None, "an assignment has no value");
    assert_eq!(x.logs.stdout, ["hello\n"]);
    assert_eq!(x.logs.stderr, ["warn\n"]);
    let n1 = x.execution_count.expect("execution count");
    let x = sbx.run_code("x + 1", &py()).unwrap();
    assert_eq!(x.text(), Some("42"));
    assert_eq!(x.execution_count, Some(n1 + 1));
    assert_eq!(x.results.len(), 1);
    assert!(x.results[0].is_main_result);
    assert_eq!(x.results[0].text.as_deref(), Some("42"));
    let x = sbx.run_code("class H:\n    def _repr_html_(self): return '<b>hi</b>'\nH()", &py()).unwrap();
    assert_eq!(x.results[0].html.as_deref(), Some("<b>hi</b>"));
    assert_eq!(x.results[0].formats[0], "html");
    let envs = HashMap::from([("CELL_VAR".to_string(), "from-rust".to_string())]);
    let x = sbx.run_code("import os; os.environ['CELL_VAR']", &RunCodeOptions { envs, ..py() }).unwrap();
    assert_eq!(x.text(), Some("from-rust"));

    // An exception is the execution's error, not a failed call; the context lives on.
    let errs = Arc::new(Mutex::new(Vec::new()));
    let e2 = errs.clone();
    let x = sbx
        .run_code_with(
            "def f():\n    return 1 / 0\nprint('before')\nf()",
            &py(),
            CodeHandlers::new().on_error(move |e| e2.lock().unwrap().push(e.name)),
        )
        .unwrap();
    let err = x.error.as_ref().expect("cell error");
    assert_eq!((err.name.as_str(), err.value.as_str()), ("ZeroDivisionError", "division by zero"));
    assert!(err.traceback.contains("ZeroDivisionError"));
    assert_eq!(x.logs.stdout, ["before\n"]);
    assert_eq!(*errs.lock().unwrap(), ["ZeroDivisionError"]);
    assert_eq!(sbx.run_code("f.__name__", &py()).unwrap().text(), Some("f"));

    // Streamed stdout arrives before the cell ends, on the service thread; closures are freed
    // by the end of the call.
    let drops = Arc::new(AtomicUsize::new(0));
    let lines = Arc::new(Mutex::new(Vec::<(OutputMessage, Instant, std::thread::ThreadId)>::new()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let (l2, r2) = (lines.clone(), results.clone());
    let (ta, tb, tc) = (Tracked(drops.clone()), Tracked(drops.clone()), Tracked(drops.clone()));
    let ended = Arc::new(Mutex::new(None));
    let en2 = ended.clone();
    let t0 = Instant::now();
    let x = sbx
        .run_code_with(
            "import time\nprint('first', flush=True)\ntime.sleep(1.2)\nprint('second')\n'done'",
            &py(),
            CodeHandlers::new()
                .on_stdout(move |m| {
                    let _ = &ta;
                    l2.lock().unwrap().push((m, Instant::now(), std::thread::current().id()));
                })
                .on_result(move |r| {
                    let _ = &tb;
                    r2.lock().unwrap().push(r.text);
                })
                .on_end(move |x, err| {
                    let _ = &tc;
                    *en2.lock().unwrap() = Some((x.text().map(String::from), err.is_none()));
                }),
        )
        .unwrap();
    let done = Instant::now();
    assert_eq!(x.text(), Some("done"));
    {
        let l = lines.lock().unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].0.line, "first\n");
        assert!(!l[0].0.error && l[0].0.timestamp_us > 0);
        assert!(done - l[0].1 >= Duration::from_millis(900), "first line arrived {:?} after start", l[0].1 - t0);
        assert!(l.iter().all(|e| e.2 != std::thread::current().id()));
    }
    assert_eq!(*results.lock().unwrap(), [Some("done".to_string())]);
    assert_eq!(*ended.lock().unwrap(), Some((Some("done".to_string()), true)));
    assert_eq!(count(&drops), 3, "code closures freed when the run ended");

    // Stop from a callback: the run ends with User, the partial execution in the error.
    let e = sbx
        .run_code_with(
            "import time\nprint('one', flush=True)\ntime.sleep(30)",
            &py(),
            CodeHandlers::new().on_stdout(|_| ControlFlow::Break(())),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::User, "{e}");
    assert_eq!(e.execution().unwrap().logs.stdout, ["one\n"]);

    // Execution timeout: Timeout with what arrived; the context keeps its state.
    let e = sbx
        .run_code("kept = 7\nprint('t', flush=True)\nimport time; time.sleep(30)", &RunCodeOptions { timeout: Some(Duration::from_secs(2)), ..py() })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.execution().unwrap().logs.stdout, ["t\n"]);
    assert_eq!(sbx.run_code("kept", &py()).unwrap().text(), Some("7"));

    // Contexts: isolated state, cwd, list, restart, remove.
    let a = sbx.create_code_context(&ContextOptions::default()).unwrap();
    let b = sbx.create_code_context(&ContextOptions { language: Some("python".into()), cwd: Some("/tmp".into()) }).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!((a.language.as_str(), b.cwd.as_str()), ("python", "/tmp"));
    let in_ctx = |c: &Context| RunCodeOptions { context: Some(c.clone()), ..py() };
    sbx.run_code("v = 'A'", &in_ctx(&a)).unwrap();
    sbx.run_code("v = 'B'", &in_ctx(&b)).unwrap();
    assert_eq!(sbx.run_code("v", &in_ctx(&a)).unwrap().text(), Some("A"));
    assert_eq!(sbx.run_code("import os; os.getcwd()", &in_ctx(&b)).unwrap().text(), Some("/tmp"));
    let ids: Vec<_> = sbx.list_code_contexts().unwrap().into_iter().map(|c| c.id).collect();
    assert!(ids.contains(&a.id) && ids.contains(&b.id), "{ids:?}");
    sbx.restart_code_context(&a).unwrap();
    let x = sbx.run_code("v", &in_ctx(&a)).unwrap();
    assert_eq!(x.error.as_ref().map(|e| e.name.as_str()), Some("NameError"), "state lost on restart");
    sbx.remove_code_context(&b).unwrap();
    assert_eq!(sbx.remove_code_context(&b).unwrap_err().kind(), ErrorKind::NotFound);
    let e = sbx.run_code("1", &in_ctx(&b)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.execution().is_none());
    let e = sbx.run_code("1", &RunCodeOptions { language: Some("python".into()), ..in_ctx(&a) }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "language with context");

    // Cancel from another thread while wait blocks; the context keeps its state.
    sbx.run_code("kept2 = 'still here'", &in_ctx(&a)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let t = Tracked(drops.clone());
    let before = count(&drops);
    let run = Arc::new(
        sbx.start_code(
            "import time\nprint('started', flush=True)\ntime.sleep(60)",
            &in_ctx(&a),
            CodeHandlers::new().on_stdout(move |m| {
                let _ = &t;
                s2.lock().unwrap().push(m.line)
            }),
        )
        .unwrap(),
    );
    let r2 = run.clone();
    let s3 = seen.clone();
    let canceller = std::thread::spawn(move || {
        assert!(wait_until(Duration::from_secs(10), || !s3.lock().unwrap().is_empty()));
        r2.cancel().unwrap();
    });
    let t1 = Instant::now();
    let e = run.wait().unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Canceled, "{e}");
    assert!(t1.elapsed() < Duration::from_secs(15));
    assert_eq!(e.execution().unwrap().logs.stdout, ["started\n"]);
    assert_eq!(run.wait().unwrap_err().kind(), ErrorKind::Canceled, "wait again: same outcome");
    run.cancel().unwrap();
    assert_eq!(count(&drops), before + 1, "freed by on_end");
    drop(run);
    assert_eq!(count(&drops), before + 1);
    assert_eq!(sbx.run_code("kept2", &in_ctx(&a)).unwrap().text(), Some("still here"));

    // A run handle dropped mid-cell: cancelled, closures freed with it.
    let t = Tracked(drops.clone());
    let run = sbx
        .start_code("import time\ntime.sleep(60)", &py(), CodeHandlers::new().on_stdout(move |_| { let _ = &t; }))
        .unwrap();
    drop(run);
    assert_eq!(count(&drops), before + 2);

    // Panics in a callback are re-raised by the call.
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sbx.run_code_with("print('x')", &py(), CodeHandlers::new().on_stdout(|_| -> () { panic!("code panic") }))
    }))
    .expect_err("panic re-raised");
    assert_eq!(p.downcast_ref::<&str>(), Some(&"code panic"));
    assert_eq!(sbx.run_code("'fine'", &py()).unwrap().text(), Some("fine"));

    // JavaScript and bash cells.
    assert_eq!(sbx.run_code("1 + 2", &RunCodeOptions { language: Some("js".into()), ..py() }).unwrap().text(), Some("3"));
    let x = sbx.run_code("echo from-bash", &RunCodeOptions { language: Some("bash".into()), ..py() }).unwrap();
    assert_eq!(x.logs.stdout.concat(), "from-bash\n");
    sbx.kill().unwrap();
}

/// With queued delivery the cell's callbacks run in `Client::dispatch` on the caller's thread,
/// also after `run_code_with` returned; the closures are freed by the last one (on_end).
pub fn code_queued_delivery(s: &Server) {
    let client = Client::builder()
        .api_key(crate::common::KEY)
        .api_url(&s.url)
        .sandbox_url(&s.url)
        .domain("example.test")
        .no_env()
        .delivery(Delivery::Queued)
        .build()
        .unwrap();
    let opts = SandboxOptions { template: Some("code-interpreter-v1".into()), ..Default::default() };
    let sbx = Sandbox::create(&client, &opts).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l2 = lines.clone();
    let t = Tracked(drops.clone());
    let x = sbx
        .run_code_with(
            "print('q1')\nprint('q2')\n5",
            &py(),
            CodeHandlers::new().on_stdout(move |m| {
                let _ = &t;
                l2.lock().unwrap().push((m.line, std::thread::current().id()));
            }),
        )
        .unwrap();
    assert_eq!(x.text(), Some("5"));
    assert!(lines.lock().unwrap().is_empty(), "nothing runs before dispatch");
    assert_eq!(count(&drops), 0, "closures kept for the queued callbacks");
    assert!(wait_until(Duration::from_secs(10), || {
        client.dispatch(0).unwrap();
        count(&drops) == 1
    }));
    let main = std::thread::current().id();
    let l = lines.lock().unwrap();
    assert_eq!(*l, [("q1\n".to_string(), main), ("q2\n".to_string(), main)]);
    drop(l);

    // start_code under queued delivery: cancel, then on_end runs in dispatch and frees.
    let t = Tracked(drops.clone());
    let run = sbx
        .start_code("import time\ntime.sleep(60)", &py(), CodeHandlers::new().on_end(move |_, e| {
            let _ = &t;
            assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Canceled));
        }))
        .unwrap();
    run.cancel().unwrap();
    assert_eq!(run.wait().unwrap_err().kind(), ErrorKind::Canceled);
    assert!(wait_until(Duration::from_secs(10), || {
        client.dispatch(0).unwrap();
        count(&drops) == 2
    }));
    drop(run);
    sbx.kill().unwrap();
}
