//! Sessions (pause/resume by id), artifacts by glob, workspace push/pull round trip.
use crate::common::Server;
use e2b::*;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A private local temp dir, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("e2b-rust-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(sbx: &Sandbox, cmd: &str) -> String {
    sbx.commands().run(cmd, &CommandOptions::default()).unwrap_or_else(|e| panic!("{cmd}: {e}")).stdout
}

pub fn sessions(s: &Server) {
    let client = s.client();
    let sess = Session::start(&client, &SessionOptions::default()).unwrap();
    let id = sess.id().to_string();
    assert_eq!(sess.sandbox().id(), id);
    assert_eq!(sess.state().unwrap(), SessionState::Active);
    sess.sandbox().files().write("/home/user/state.txt", "kept").unwrap();
    let bg = sess
        .sandbox()
        .commands()
        .start("sleep 600", &CommandOptions { timeout: Some(Duration::ZERO), ..Default::default() }, Handlers::new())
        .unwrap();
    let pid = bg.pid();
    drop(bg);
    sess.touch().unwrap(); // no idle period: a no-op
    assert!(sess.pause().unwrap());
    assert!(!sess.pause().unwrap(), "already paused");
    assert_eq!(Session::state_of(&client, &id).unwrap(), SessionState::Paused);
    // A clone of its sandbox keeps the session handle alive; dropping both releases it.
    let sbx_clone = sess.sandbox().clone();
    drop(sess);
    drop(sbx_clone);

    // Resume by id (as another process would), files and processes kept.
    let again = Session::resume(&client, &id, &SessionOptions::default()).unwrap();
    assert_eq!(again.id(), id);
    assert_eq!(again.state().unwrap(), SessionState::Active);
    assert_eq!(again.sandbox().files().read_to_string("/home/user/state.txt").unwrap(), "kept");
    assert!(again.sandbox().commands().list().unwrap().iter().any(|p| p.pid == pid));
    assert!(again.end().unwrap());
    assert!(!again.end().unwrap(), "already ended");
    assert_eq!(Session::state_of(&client, &id).unwrap(), SessionState::Ended);
    let e = Session::resume(&client, &id, &SessionOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SandboxNotFound, "{e}");
    assert_eq!(Session::state_of(&client, "never-existed").unwrap(), SessionState::Ended);

    // Idle period: only for sessions started with one.
    let idle = SessionOptions { idle_pause: Some(Duration::from_secs(60)), ..Default::default() };
    let plain = Session::start(&client, &SessionOptions::default()).unwrap();
    let e = Session::resume(&client, plain.id(), &idle).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    plain.end().unwrap();
    let with_idle = Session::start(&client, &idle).unwrap();
    with_idle.touch().unwrap();
    assert_eq!(with_idle.state().unwrap(), SessionState::Active);
    let resumed = Session::resume(&client, with_idle.id(), &idle).unwrap();
    assert!(resumed.end().unwrap());
}

pub fn artifacts_and_workspace(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    let f = sbx.files();
    let png = |n: u8| vec![0x89, b'P', b'N', b'G', n];
    f.write_many(&[
        ("/home/user/out/a.png", png(1)),
        ("/home/user/out/plots/b.png", png(2)),
        ("/home/user/out/plots/deep/c.png", png(3)),
        ("/home/user/out/notes.txt", b"notes".to_vec()),
    ])
    .unwrap();

    // Download by glob, with progress.
    let dl = TempDir::new("artifacts");
    let mut progress = Vec::new();
    let mut got = sbx
        .artifacts()
        .download_with_progress("/home/user/out", &["**/*.png"], &dl.0, &ArtifactsOptions::default(), |p| {
            progress.push(p.clone())
        })
        .unwrap();
    got.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    let rels: Vec<_> = got.iter().map(|a| a.rel_path.as_str()).collect();
    assert_eq!(rels, ["a.png", "plots/b.png", "plots/deep/c.png"]);
    assert_eq!(got[0].mime_type, "image/png");
    assert_eq!(got[0].remote_path, "/home/user/out/a.png");
    assert_eq!(got[1].size, 5);
    assert_eq!(got[2].local_path, dl.0.join("plots/deep/c.png"));
    assert_eq!(std::fs::read(dl.0.join("plots/deep/c.png")).unwrap(), png(3));
    assert!(!dl.0.join("notes.txt").exists());
    assert!(!progress.is_empty());
    assert_eq!(progress.last().unwrap().files_done, 3);

    let e = sbx.artifacts().download("/home/user/out", &["*.csv"], &dl.0, &ArtifactsOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound, "{e}");
    let none = sbx
        .artifacts()
        .download("/home/user/out", &["*.csv"], &dl.0, &ArtifactsOptions { allow_empty: true, ..Default::default() })
        .unwrap();
    assert!(none.is_empty());
    let e = sbx.artifacts().download("/home/user/nope", &["*"], &dl.0, &ArtifactsOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound, "{e}");
    // Stopping from the progress callback fails with User.
    let e = sbx
        .artifacts()
        .download_with_progress("/home/user/out", &["**/*.png"], &dl.0, &ArtifactsOptions::default(), |_| {
            ControlFlow::Break(())
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::User, "{e}");
    // Delete after download.
    sbx.artifacts()
        .download("/home/user/out", &["notes.txt"], &dl.0, &ArtifactsOptions { delete_after: true, ..Default::default() })
        .unwrap();
    assert!(!f.exists("/home/user/out/notes.txt").unwrap());
    assert_eq!(std::fs::read(dl.0.join("notes.txt")).unwrap(), b"notes");

    // Upload.
    let up = sbx.artifacts().upload(&[dl.0.join("a.png"), dl.0.join("notes.txt")], "/home/user/in", &ArtifactsOptions::default()).unwrap();
    assert_eq!(up.len(), 2);
    assert_eq!(f.read("/home/user/in/a.png").unwrap(), png(1));
    let e = sbx.artifacts().upload(&[dl.0.join("missing")], "/home/user/in", &ArtifactsOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    // Workspace: push a tree (dirs, modes, a symlink), check it in the sandbox, pull it back.
    let src = TempDir::new("ws-src");
    let w = |p: &str, d: &[u8]| {
        let p = src.0.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, d).unwrap();
    };
    w("README.md", b"# ws\n");
    w("src/main.rs", b"fn main() {}\n");
    w("src/deep/data.bin", &(0..50_000u32).map(|i| (i % 256) as u8).collect::<Vec<_>>());
    std::fs::create_dir_all(src.0.join("empty")).unwrap();
    std::os::unix::fs::symlink("src/main.rs", src.0.join("link.rs")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(src.0.join("README.md"), std::fs::Permissions::from_mode(0o640)).unwrap();

    let mut pushed_progress = 0;
    let n = sbx
        .workspace()
        .push_with_progress(&src.0, "/home/user/ws", &WorkspaceOptions::default(), |_| pushed_progress += 1)
        .unwrap();
    assert!(n >= 7, "entries pushed: {n}");
    assert!(pushed_progress > 0);
    assert_eq!(run(&sbx, "cat /home/user/ws/src/main.rs"), "fn main() {}\n");
    assert_eq!(run(&sbx, "readlink /home/user/ws/link.rs"), "src/main.rs\n");
    assert_eq!(run(&sbx, "stat -c %a /home/user/ws/README.md"), "640\n");
    assert_eq!(run(&sbx, "test -d /home/user/ws/empty && echo dir"), "dir\n");
    run(&sbx, "echo added > /home/user/ws/added.txt");

    let dst = TempDir::new("ws-dst");
    let back = dst.0.join("tree");
    let m = sbx.workspace().pull("/home/user/ws", &back, &WorkspaceOptions::default()).unwrap();
    assert!(m >= n);
    assert_eq!(std::fs::read(back.join("src/deep/data.bin")).unwrap(), std::fs::read(src.0.join("src/deep/data.bin")).unwrap());
    assert_eq!(std::fs::read_link(back.join("link.rs")).unwrap(), Path::new("src/main.rs"));
    assert_eq!(std::fs::read_to_string(back.join("added.txt")).unwrap(), "added\n");
    assert!(back.join("empty").is_dir());
    // local_dir exists: refused unless replace; replace swaps it atomically.
    let e = sbx.workspace().pull("/home/user/ws", &back, &WorkspaceOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    std::fs::write(back.join("stale.txt"), "old").unwrap();
    sbx.workspace().pull("/home/user/ws", &back, &WorkspaceOptions { replace: true, ..Default::default() }).unwrap();
    assert!(!back.join("stale.txt").exists());
    assert!(back.join("README.md").exists());
    let e = sbx.workspace().pull("/home/user/missing", dst.0.join("x"), &WorkspaceOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FileNotFound, "{e}");
    assert!(!dst.0.join("x").exists(), "nothing left behind on failure");
    // An unsafe tree (a symlink leaving it) is refused before anything is extracted.
    let bad = TempDir::new("ws-bad");
    std::os::unix::fs::symlink("/etc/passwd", bad.0.join("escape")).unwrap();
    let e = sbx.workspace().push(&bad.0, "/home/user/ws-bad", &WorkspaceOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(!f.exists("/home/user/ws-bad/escape").unwrap());
    sbx.kill().unwrap();
}
