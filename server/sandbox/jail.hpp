// e2b-local isolation layer: one Jail = one running (or frozen) sandbox.
//
// A jail is: a per-sandbox cgroup in each v1 controller (freezer, memory, pids, cpu, cpuacct),
// an overlayfs root (template layer + read-only host view as lower, per-sandbox upper dir in the
// state dir), and bubblewrap namespaces (pid, mount, uts, ipc, net) with a seccomp deny-list.
// Its pid 1 is our agent (e2b-agent), reached over a unix socket in a bind-mounted control dir.
//
// Changes to the original interface (kept minimal): added kControlDirInside, kAgentBinaryInside
// and Jail::slirp_pid() (for metrics/tests), shutdown_background() (kill() reaps slirp4netns
// asynchronously). prepare_base_template() now mounts a small tmpfs at
// <dir>/layer and returns that path: overlayfs rejects a lowerdir that lies inside another lowerdir
// of the same filesystem ("overlapping lowerdir path", ELOOP), and our other lowerdir is host `/`.
//
// Threading: a Jail is not thread-safe; the server drives it from one thread. Calls block for
// at most a few milliseconds except start() (waits for the agent socket, bounded by a timeout).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace e2blocal {

struct JailSpec {
    std::string id;              // sandbox id, [a-z0-9]+
    std::string dir;             // per-sandbox state dir (created if missing): upper/, work/, ctl/, ...
    std::string template_dir;    // prepared template layer (see prepare_base_template)
    std::string agent_binary;    // host path of e2b-agent; bind-mounted read-only into the sandbox
    std::vector<std::string> agent_args;  // extra args after the binary
    int cpu_count = 2;           // cpu.cfs_quota_us = cpu_count * period
    int memory_mb = 512;         // memory.limit_in_bytes (+ memsw when available)
    int pids_max = 1024;
    bool allow_internet = false; // slirp4netns attached to the sandbox netns when true
    int start_timeout_ms = 5000; // how long start() waits for the agent socket to accept
};

struct JailMetrics {
    double cpu_used_pct = 0;     // since the previous metrics() call, 0..100*cpu_count
    uint64_t cpu_usage_ns = 0;   // cpuacct.usage
    uint64_t mem_used = 0;       // memory.usage_in_bytes minus cache
    uint64_t mem_cache = 0;
    uint64_t mem_total = 0;      // the limit
    uint64_t disk_used = 0;      // bytes in the upper dir
    uint64_t disk_total = 0;     // filesystem holding the state dir
};

// Where the agent listens, inside the sandbox and on the host.
constexpr const char* kAgentSocketInside = "/run/e2b/agent.sock";
// The agent's second socket: the code-interpreter API (E2B port 49999).
constexpr const char* kCodeInterpreterSocketInside = "/run/e2b/ci.sock";
// Inside path of the per-sandbox control dir (host: <spec.dir>/ctl, owned by 65534:65534 mode 0700
// so that only the agent, thanks to CAP_DAC_OVERRIDE, can create or replace files in it; commands
// run as `root` without caps cannot swap agent.sock for a symlink the host would follow).
constexpr const char* kControlDirInside = "/run/e2b";
// Where spec.agent_binary is bind-mounted read-only; it is exec'ed as pid 1 of the sandbox with
// uid 0, NoNewPrivs, seccomp, and only CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER KILL SETGID
// SETUID SETPCAP (effective = bounding). Its stdin is /dev/null, stdout/stderr go to
// <spec.dir>/ctl/agent.log (= /run/e2b/agent.log inside). No other fd is inherited.
constexpr const char* kAgentBinaryInside = "/run/e2b/agent";

class Jail {
public:
    // Creates cgroups, mounts the overlay, launches bwrap with the agent as pid 1, and waits until
    // the agent's socket accepts a connection. On failure returns nullptr, fills *err and leaves
    // nothing behind (cgroups removed, overlay unmounted; the sandbox dir's files are kept).
    // Reusing an existing dir (resume after restart) keeps the upper dir: files survive.
    static std::unique_ptr<Jail> start(const JailSpec& spec, std::string* err);

    ~Jail();  // kills the processes if still alive (same as kill()), never deletes files

    const std::string& id() const;
    const std::string& agent_socket() const;  // host path of the agent's unix socket
    int pid() const;                          // host pid of the sandbox's pid 1 (the agent)
    int slirp_pid() const;                    // host pid of slirp4netns, -1 without internet
    // A new socket (SOCK_STREAM, CLOEXEC, NONBLOCK) created inside the sandbox's network
    // namespace, not yet connected; -1 with *err on failure. Used to proxy sandbox ports.
    int socket_in_netns(int family, std::string* err) const;

    bool freeze(std::string* err);   // cgroup freezer FROZEN, polls until frozen
    bool thaw(std::string* err);     // THAWED
    bool frozen() const;
    bool alive() const;              // pid 1 still running

    // SIGKILL everything in the cgroup (thawing first if needed), wait until empty, remove the
    // cgroups, stop slirp4netns, unmount the overlay. Idempotent. Files stay in spec.dir.
    // slirp4netns is SIGKILLed here and reaped in the background (see shutdown_background).
    void kill();

    JailMetrics metrics();

private:
    Jail() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Builds (or refreshes) the base template layer under `dir`: a mask layer that, stacked over the
// host's `/` as overlay lowerdirs, exposes only /usr, /bin, /sbin, /lib*, /opt, and a curated /etc
// (no shadow, gshadow, ssh host keys, ...; passwd/group with `user` uid 1000 and `root`), and
// hides everything else (/root, /home, /tmp, /work, /var content, /srv, /mnt, /media, the state
// dir...). Provides /home/user (uid 1000), /tmp and /var/tmp (1777), /run, /run/e2b.
// Returns the path to pass as JailSpec::template_dir, or "" with *err.
std::string prepare_base_template(const std::string& dir, std::string* err);

// Unmounts a layer returned by prepare_base_template (server shutdown). Idempotent.
void release_base_template(const std::string& layer);

// Removes cgroups and overlay mounts left behind by a previous e2b-local process (crash) for the
// sandboxes under `sandboxes_dir`. Processes still in those cgroups are killed. Returns the ids
// whose sandboxes were found still running (and were therefore stopped).
std::vector<std::string> reap_stale(const std::string& sandboxes_dir);

// Waits up to timeout_ms for the slirp4netns processes that Jail::kill() stopped to be reaped
// (kill() does not block on their exit). Call before remove_host_guard() and before exiting.
// Returns false if some were still not reaped.
bool shutdown_background(int timeout_ms = 5000);

// Host guard. slirp4netns opens the sandbox's outbound connections from the host's network
// namespace, so a sandbox with internet could reach every service on the host's own addresses
// (--disable-host-loopback only covers 127/8 via 10.0.2.2). slirp4netns therefore runs with the
// dedicated group kHostGuardGid (uid 0 and its caps kept), and the host's filter OUTPUT chain
// jumps, for sockets of that group, to chain E2B_LOCAL_GUARD, which REJECTs every destination of
// addrtype LOCAL (IPv4, and IPv6 when the host has it), except port 53 of the resolv.conf
// nameservers (slirp's DNS forwarder at 10.0.2.3 relays to those, e.g. a resolver on 127.0.0.53).
// Uses the iptables/ip6tables CLIs (package iptables; nft or legacy backend).
constexpr unsigned kHostGuardGid = 2147400000u;  // no group of its own; only slirp4netns uses it

// Installs (idempotently, atomically per family via iptables-restore) the rules, moving the
// OUTPUT jump to position 1. Returns a one-line description, or "" with *err. Until this has
// succeeded in this process, Jail::start refuses allow_internet (the sandbox is not started).
std::string install_host_guard(std::string* err);

// Called by Jail::start for allow_internet: "" when the guard is enabled in this process and
// (check_rules) its rules are in place, re-installed if someone flushed them; else why internet
// access must be refused.
std::string host_guard_ready(bool check_rules = true);

// Stops allowing internet jails in this process and removes the rules, unless other processes
// with kHostGuardGid (slirp4netns of another e2b-local) are alive: then the rules stay and it
// returns false. Another e2b-local that still wants them re-installs them on its next start
// (Jail::start verifies the rules after slirp4netns is up, before the sandbox gets any command).
bool remove_host_guard();

// Startup checks: root, cgroup v1 controllers present, bwrap found, overlay available.
// Empty string when the host can run jails, else a human-readable reason.
std::string host_check();

}  // namespace e2blocal
