"""Starts one e2b-local for the whole pytest session (fresh temp state dir, random e2b_ key,
port 0), points the e2b SDK at it through the environment, and at the end stops it with
SIGTERM and checks that it exits in time and leaves no sandbox processes/cgroups/mounts."""
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = os.environ.get("E2B_LOCAL_BIN") or str(REPO / "build" / "e2b-local")
READY_RE = re.compile(r"e2b-local: ready on (http://127\.0\.0\.1:(\d+))")


class Server:
    def __init__(self):
        base = "/var/tmp" if os.path.isdir("/var/tmp") else tempfile.gettempdir()
        self.run_dir = tempfile.mkdtemp(prefix="e2b-conf-py-", dir=base)
        self.state_dir = os.path.join(self.run_dir, "state")
        os.mkdir(self.state_dir)
        self.log_file = os.path.join(self.run_dir, "server.log")
        self.api_key = "e2b_" + secrets.token_hex(20)
        self.ids = set()
        self.url = None
        self.port = None
        self.proc = None

    def start(self, ready_timeout=30.0):
        if not os.path.exists(BIN):
            raise RuntimeError(f"e2b-local binary not found at {BIN} (build it or set E2B_LOCAL_BIN)")
        log = open(self.log_file, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--state-dir", self.state_dir, "--api-key", self.api_key],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True,  # a stray kill(0, sig) in the server must not hit pytest
        )
        found = threading.Event()

        def pump():
            for raw in iter(self.proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                m = READY_RE.search(raw.decode(errors="replace"))
                if m and not found.is_set():
                    self.url, self.port = m.group(1), int(m.group(2))
                    found.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.time() + ready_timeout
        while time.time() < deadline and not found.is_set():
            if self.proc.poll() is not None:
                raise RuntimeError(f"e2b-local exited before ready ({self.proc.returncode}); log {self.log_file}:\n{tail(self.log_file)}")
            found.wait(0.1)
        if not found.is_set():
            self.proc.kill()
            raise RuntimeError(f"e2b-local did not print the ready line within {ready_timeout}s; log {self.log_file}")
        for _ in range(50):
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if 200 <= r.status < 300:
                        break
            except Exception:
                time.sleep(0.1)

    def stop(self, exit_timeout=10.0):
        problems = []
        if self.proc.poll() is not None:
            problems.append(f"e2b-local exited before SIGTERM: {self.proc.returncode}")
        else:
            self.proc.terminate()
            try:
                rc = self.proc.wait(exit_timeout)
                if rc not in (0, -15):
                    problems.append(f"e2b-local exited uncleanly after SIGTERM: {rc}")
            except subprocess.TimeoutExpired:
                problems.append(f"e2b-local did not exit within {exit_timeout}s of SIGTERM (SIGKILLed)")
                self.proc.kill()
                self.proc.wait()
        for _ in range(20):
            procs, cgroups, mounts = self.leftover_procs(), self.leftover_cgroups(), self.leftover_mounts()
            if not (procs or cgroups or mounts):
                break
            time.sleep(0.1)
        problems += [f"leftover process {p}" for p in procs]
        problems += [f"leftover cgroup {c}" for c in cgroups]
        problems += [f"leftover mount {m}" for m in mounts]
        if problems:
            problems.append(f"server log {self.log_file}:\n{tail(self.log_file)}")
        elif not os.environ.get("E2B_CONF_KEEP"):
            subprocess.run(["rm", "-rf", "--one-file-system", self.run_dir], check=False)
        return problems

    def leftover_procs(self):
        out = []
        for ent in os.listdir("/proc"):
            if not ent.isdigit() or int(ent) == os.getpid():
                continue
            try:
                cmd = Path(f"/proc/{ent}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            try:
                env = Path(f"/proc/{ent}/environ").read_bytes().decode(errors="replace")
            except OSError:
                env = ""
            try:
                cg = Path(f"/proc/{ent}/cgroup").read_text()
            except OSError:
                cg = ""
            if int(ent) == self.proc.pid or self.state_dir in cmd \
                    or any(f"E2B_SANDBOX_ID={i}" in env or i in cg for i in self.ids):
                out.append(f"pid {ent}: {cmd[:200]}")
        return out

    def leftover_cgroups(self):
        out = []
        if not self.ids:
            return out
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
            if root.count("/") > 8:
                dirs[:] = []
                continue
            for d in dirs:
                if any(i in d for i in self.ids):
                    out.append(os.path.join(root, d))
        return out

    def leftover_mounts(self):
        out = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split(" ")[4]
                if mp == self.run_dir or mp.startswith(self.run_dir + "/"):
                    out.append(mp)
        return out


def tail(path, n=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


_server = None


@pytest.fixture(scope="session")
def server():
    global _server
    srv = Server()
    srv.start()
    _server = srv
    for k in ("E2B_DEBUG", "E2B_DOMAIN", "E2B_ACCESS_TOKEN"):
        os.environ.pop(k, None)
    os.environ.update(E2B_API_URL=srv.url, E2B_SANDBOX_URL=srv.url, E2B_API_KEY=srv.api_key)
    yield srv
    from e2b import Sandbox
    for i in list(srv.ids):
        try:
            Sandbox.kill(i)
        except Exception:
            pass
    problems = srv.stop()
    _server = None
    if problems:
        pytest.fail("unclean e2b-local shutdown:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def make_sandbox(server):
    """Factory: create a sandbox (tracked for teardown checks and killed after the test)."""
    from e2b import Sandbox
    made = []

    def _make(**kw):
        kw.setdefault("timeout", 240)
        sbx = Sandbox.create(**kw)
        server.ids.add(sbx.sandbox_id)
        made.append(sbx)
        return sbx

    yield _make
    for s in made:
        try:
            s.kill()
        except Exception:
            pass


@pytest.fixture(scope="module")
def shared_sandbox(server):
    from e2b import Sandbox
    sbx = Sandbox.create(timeout=240, metadata={"suite": "py-shared"})
    server.ids.add(sbx.sandbox_id)
    yield sbx
    try:
        sbx.kill()
    except Exception:
        pass
