"""Python SDK (sync) conformance against e2b-local."""
import hashlib
import os
import secrets
import time

import pytest
from e2b import (
    AuthenticationException,
    CommandExitException,
    FileNotFoundException,
    FilesystemEventType,
    NotFoundException,
    Sandbox,
    SandboxNotFoundException,
    SandboxQuery,
    SandboxState,
)


def list_all(**kw):
    pager = Sandbox.list(**kw)
    items = []
    pages = 0
    while pager.has_next:
        items += pager.next_items()
        pages += 1
        assert pages < 50, "paginator does not terminate"
    return items


def wait_for(fn, timeout=5.0, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def test_create_info_envs(make_sandbox):
    tag = secrets.token_hex(4)
    sbx = make_sandbox(metadata={"suite": "py", "tag": tag}, envs={"PYX": "py-env"}, timeout=120)
    assert sbx.sandbox_id.isalnum() and sbx.sandbox_id == sbx.sandbox_id.lower()
    info = sbx.get_info()
    assert info.sandbox_id == sbx.sandbox_id
    assert info.state == SandboxState.RUNNING
    assert info.metadata == {"suite": "py", "tag": tag}
    assert info.cpu_count > 0 and info.memory_mb > 0
    life = (info.end_at - info.started_at).total_seconds()
    assert abs(life - 120) < 5, life
    assert sbx.is_running()
    assert sbx.commands.run("echo $PYX").stdout == "py-env\n"


def test_commands_run(shared_sandbox):
    r = shared_sandbox.commands.run("echo out; echo err >&2")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "out\n", "err\n")
    r = shared_sandbox.commands.run("id -u; whoami; echo $HOME; pwd")
    assert r.stdout == "1000\nuser\n/home/user\n/home/user\n"
    assert shared_sandbox.commands.run("id -u", user="root").stdout == "0\n"
    r = shared_sandbox.commands.run("echo $A; pwd", envs={"A": "b"}, cwd="/tmp")
    assert r.stdout == "b\n/tmp\n"
    chunks = []
    t0 = time.time()
    stamps = []
    shared_sandbox.commands.run("echo a; sleep 1.2; echo b", on_stdout=lambda d: (chunks.append(d), stamps.append(time.time() - t0)))
    end = time.time() - t0
    assert "".join(chunks) == "a\nb\n"
    assert stamps[0] < end - 0.8, f"first chunk at {stamps[0]:.2f}s, end at {end:.2f}s: output not streamed"


def test_command_exit_exception(shared_sandbox):
    with pytest.raises(CommandExitException) as ei:
        shared_sandbox.commands.run("echo bad >&2; exit 5")
    assert ei.value.exit_code == 5
    assert ei.value.stderr == "bad\n"
    assert "exited with code 5" in str(ei.value)


def test_background_stdin_kill(shared_sandbox):
    h = shared_sandbox.commands.run("cat", background=True, stdin=True)
    shared_sandbox.commands.send_stdin(h.pid, "hello py\n")
    shared_sandbox.commands.close_stdin(h.pid)
    r = h.wait()
    assert r.stdout == "hello py\n"
    h2 = shared_sandbox.commands.run("sleep 60", background=True)
    assert any(p.pid == h2.pid for p in shared_sandbox.commands.list())
    assert shared_sandbox.commands.kill(h2.pid) is True
    with pytest.raises(CommandExitException):
        h2.wait()
    assert shared_sandbox.commands.kill(h2.pid) is False


def test_files(shared_sandbox):
    fs = shared_sandbox.files
    fs.write("/home/user/py/a.txt", "héllo")
    assert fs.read("/home/user/py/a.txt") == "héllo"
    data = os.urandom(3 * 1024 * 1024 + 5)
    fs.write("/home/user/py/b.bin", data)
    got = fs.read("/home/user/py/b.bin", format="bytes")
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
    assert shared_sandbox.commands.run("sha256sum /home/user/py/b.bin").stdout.split()[0] == hashlib.sha256(data).hexdigest()
    fs.write_files([{"path": "/home/user/py/m1.txt", "data": "1"}, {"path": "/home/user/py/sub/m2.txt", "data": "2"}])
    assert fs.read("/home/user/py/sub/m2.txt") == "2"
    names = sorted(e.name for e in fs.list("/home/user/py"))
    assert names == ["a.txt", "b.bin", "m1.txt", "sub"]
    assert fs.exists("/home/user/py/a.txt") and not fs.exists("/home/user/py/zz")
    info = fs.get_info("/home/user/py/a.txt")
    assert info.size == len("héllo".encode()) and info.owner == "user" and info.permissions == "-rw-r--r--"
    assert fs.make_dir("/home/user/py/newdir") is True
    assert fs.make_dir("/home/user/py/newdir") is False
    fs.rename("/home/user/py/a.txt", "/home/user/py/c.txt")
    assert not fs.exists("/home/user/py/a.txt")
    fs.remove("/home/user/py/c.txt")
    fs.remove("/home/user/py/c.txt")  # missing: no error
    with pytest.raises(FileNotFoundException):
        fs.read("/home/user/py/c.txt")
    shared_sandbox.commands.run("echo from-cmd > /home/user/py/cmd.txt")
    assert fs.read("/home/user/py/cmd.txt") == "from-cmd\n"


def test_watch_dir_sync_polling(shared_sandbox):
    """Sync watch_dir uses CreateWatcher / GetWatcherEvents / RemoveWatcher."""
    shared_sandbox.files.make_dir("/home/user/pyw/sub")
    handle = shared_sandbox.files.watch_dir("/home/user/pyw", recursive=True)
    try:
        shared_sandbox.commands.run("echo 1 > /home/user/pyw/f.txt; echo 2 > /home/user/pyw/sub/g.txt; rm /home/user/pyw/f.txt")
        events = []

        def have():
            events.extend(handle.get_new_events())
            seen = {(e.name, e.type) for e in events}
            return {("f.txt", FilesystemEventType.CREATE), ("f.txt", FilesystemEventType.REMOVE),
                    ("sub/g.txt", FilesystemEventType.CREATE)} <= seen

        wait_for(have, timeout=5, interval=0.2, what="watcher events")
        assert handle.get_new_events() == [] or True  # drained buffer: a second poll must not fail
    finally:
        handle.stop()
    with pytest.raises(Exception):
        handle.get_new_events()
    with pytest.raises(NotFoundException):
        shared_sandbox.files.watch_dir("/home/user/pyw-missing")


def test_list_filters_and_pagination(make_sandbox):
    tag = "pylist-" + secrets.token_hex(4)
    a = make_sandbox(metadata={"suite": tag, "k y": "v&1"})
    b = make_sandbox(metadata={"suite": tag})
    c = make_sandbox(metadata={"suite": tag})
    ids = lambda xs: sorted(x.sandbox_id for x in xs)  # noqa: E731
    assert ids(list_all(query=SandboxQuery(metadata={"suite": tag}))) == ids([a, b, c])
    assert ids(list_all(query=SandboxQuery(metadata={"k y": "v&1"}))) == [a.sandbox_id]
    pager = Sandbox.list(query=SandboxQuery(metadata={"suite": tag}), limit=2)
    p1 = pager.next_items()
    assert len(p1) == 2 and pager.has_next
    p2 = pager.next_items()
    assert len(p2) == 1 and not pager.has_next
    assert ids(p1 + p2) == ids([a, b, c])
    assert c.pause() is True
    running = list_all(query=SandboxQuery(metadata={"suite": tag}, state=[SandboxState.RUNNING]))
    paused = list_all(query=SandboxQuery(metadata={"suite": tag}, state=[SandboxState.PAUSED]))
    assert ids(running) == ids([a, b])
    assert ids(paused) == [c.sandbox_id]


def test_pause_connect_kill(make_sandbox):
    sbx = make_sandbox(metadata={"suite": "py-pause"})
    sbx.commands.run("bash -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep 0.1; done'", background=True, timeout=0)
    counter = lambda s: int(s.commands.run("cat /tmp/c").stdout.strip() or 0)  # noqa: E731
    wait_for(lambda: counter(sbx) >= 5, what="counter")
    v1 = counter(sbx)
    assert sbx.pause() is True
    assert sbx.pause() is False
    assert sbx.get_info().state == SandboxState.PAUSED
    assert sbx.is_running() is False
    with pytest.raises(Exception):
        sbx.commands.run("true", request_timeout=10)
    time.sleep(1.5)
    s2 = Sandbox.connect(sbx.sandbox_id)
    v2 = counter(s2)
    assert v1 <= v2 <= v1 + 6, f"counter before pause {v1}, after connect {v2}"
    time.sleep(0.5)
    assert counter(s2) > v2
    assert s2.get_info().state == SandboxState.RUNNING
    assert s2.kill() is True
    assert s2.kill() is False
    with pytest.raises(SandboxNotFoundException):
        Sandbox.get_info(sbx.sandbox_id)


def test_kill_while_paused(make_sandbox):
    sbx = make_sandbox()
    assert sbx.pause() is True
    assert Sandbox.kill(sbx.sandbox_id) is True
    with pytest.raises(SandboxNotFoundException):
        Sandbox.connect(sbx.sandbox_id)


def test_wrong_key_authentication_exception(server):
    bad = "e2b_" + secrets.token_hex(20)
    with pytest.raises(AuthenticationException):
        Sandbox.create(api_key=bad)
    with pytest.raises(AuthenticationException):
        Sandbox.list(api_key=bad).next_items()


def test_unknown_sandbox_not_found(server):
    sid = "i" + secrets.token_hex(10)
    with pytest.raises(SandboxNotFoundException):
        Sandbox.connect(sid)
    with pytest.raises(NotFoundException):
        Sandbox.get_info(sid)
    assert Sandbox.kill(sid) is False
