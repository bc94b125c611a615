// Host guard: netfilter rules that keep slirp4netns (run with kHostGuardGid) from connecting to
// the host's own addresses. See jail.hpp.
#include "sandbox/jail.hpp"
#include "sandbox/sb_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <mutex>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace e2blocal {

namespace {

constexpr const char* kChain = "E2B_LOCAL_GUARD";
constexpr const char* kComment = "e2b-local-host-guard";  // no spaces: used in restore input

std::mutex g_mu;
bool g_enabled = false;  // install_host_guard succeeded, remove_host_guard not called since
std::string g_why = "install_host_guard() was not called";  // when !g_enabled
// iptables is the nf_tables backend: every ruleset change bumps the nftables generation, so a
// full check (6 iptables -C spawns, ~7 ms) is needed only when it moved since the last one.
bool g_nft = false;
uint32_t g_verified_gen = 0;  // generation at which all rules were seen present; 0 = none

struct Family {
    const char* tool;     // iptables / ip6tables
    const char* restore;  // iptables-restore / ip6tables-restore
    const char* reject;   // REJECT --reject-with value
    int af;
};
const Family kV4{"iptables", "iptables-restore", "icmp-port-unreachable", AF_INET};
const Family kV6{"ip6tables", "ip6tables-restore", "icmp6-port-unreachable", AF_INET6};

std::string find_tool(const char* name) {
    for (const char* d : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/", "/usr/local/sbin/"}) {
        std::string c = std::string(d) + name;
        if (access(c.c_str(), X_OK) == 0) return c;
    }
    return "";
}

// posix_spawn (safe from a multithreaded server); stdin = `input`, stdout+stderr captured.
int run_tool(const std::vector<std::string>& args, const std::string& input, std::string* out) {
    out->clear();
    int in[2], op[2];
    if (pipe2(in, O_CLOEXEC) != 0) { *out = sb::errno_msg("pipe"); return -1; }
    if (pipe2(op, O_CLOEXEC) != 0) { *out = sb::errno_msg("pipe"); close(in[0]); close(in[1]); return -1; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, op[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> av;
    for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", nullptr};
    pid_t pid;
    int rc = posix_spawn(&pid, av[0], &fa, &at, av.data(), const_cast<char* const*>(envp));
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]);
    close(op[1]);
    if (rc != 0) {
        close(in[1]);
        close(op[0]);
        *out = sb::errno_msg("spawn " + args[0], rc);
        return -1;
    }
    // Inputs are a few hundred bytes: they fit in the pipe, so writing first cannot deadlock.
    size_t off = 0;
    while (off < input.size()) {
        ssize_t w = write(in[1], input.data() + off, input.size() - off);
        if (w <= 0) break;
        off += size_t(w);
    }
    close(in[1]);
    char buf[1024];
    ssize_t n;
    while ((n = read(op[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && out->size() < 8192) out->append(buf, size_t(n));
    close(op[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<std::string> jump_match() {
    return {"-m", "owner", "--gid-owner", std::to_string(kHostGuardGid), "-m", "comment",
            "--comment", kComment, "-j", kChain};
}
std::vector<std::string> jump_rule() {
    std::vector<std::string> v = jump_match();
    v.insert(v.begin(), "OUTPUT");
    return v;
}
// TCP gets a reset: slirp4netns notices a failed connect only that way (after an ICMP error the
// socket shows just POLLERR, which libslirp ignores, and the sandbox's connect would hang until
// its own timeout); with the RST it answers the sandbox with a RST (ECONNREFUSED) at once.
std::vector<std::string> reject_tcp_rule() {
    return {kChain, "-p", "tcp", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "REJECT", "--reject-with", "tcp-reset"};
}
std::vector<std::string> reject_rule(const Family& f) {
    return {kChain, "-m", "addrtype", "--dst-type", "LOCAL", "-j", "REJECT", "--reject-with", f.reject};
}
std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& a : v) s += (s.empty() ? "" : " ") + a;
    return s;
}

int tool_op(const Family& f, const char* op, const std::vector<std::string>& rule, std::string* out) {
    std::string t = find_tool(f.tool);
    if (t.empty()) { *out = std::string(f.tool) + " not found"; return -1; }
    std::vector<std::string> a = {t, "-w", "5", op};
    a.insert(a.end(), rule.begin(), rule.end());
    return run_tool(a, "", out);
}

// The nftables ruleset generation (NFT_MSG_GETGEN over nfnetlink), 0 when unavailable.
uint32_t nft_genid() {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) return 0;
    struct {
        nlmsghdr nh;
        nfgenmsg g;
    } req{};
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
    req.nh.nlmsg_flags = NLM_F_REQUEST;
    req.nh.nlmsg_seq = 1;
    req.g.nfgen_family = AF_UNSPEC;
    req.g.version = NFNETLINK_V0;
    sockaddr_nl k{};
    k.nl_family = AF_NETLINK;
    uint32_t gen = 0;
    alignas(nlmsghdr) char buf[512];
    if (sendto(fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&k), sizeof k) == ssize_t(sizeof req)) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        auto* nh = reinterpret_cast<nlmsghdr*>(buf);
        if (n > 0 && NLMSG_OK(nh, size_t(n)) && nh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) {
            size_t off = NLMSG_LENGTH(sizeof(nfgenmsg));
            while (off + sizeof(nlattr) <= nh->nlmsg_len) {
                auto* a = reinterpret_cast<nlattr*>(buf + off);
                if (a->nla_len < sizeof(nlattr) || off + a->nla_len > nh->nlmsg_len) break;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a->nla_len >= NLA_HDRLEN + 4) {
                    memcpy(&gen, buf + off + NLA_HDRLEN, 4);
                    gen = ntohl(gen);
                    break;
                }
                off += NLA_ALIGN(a->nla_len);
            }
        }
    }
    close(fd);
    return gen;
}

bool iptables_is_nft() {
    std::string t = find_tool("iptables"), out;
    return !t.empty() && run_tool({t, "-V"}, "", &out) == 0 && out.find("nf_tables") != std::string::npos;
}

bool has_ipv6() { return access("/proc/net/if_inet6", F_OK) == 0; }

// Nameservers slirp4netns's DNS forwarder relays to (validated addresses only).
std::vector<std::string> nameservers(int af) {
    std::vector<std::string> r;
    std::string rc;
    if (!sb::read_file("/etc/resolv.conf", &rc)) return r;
    std::istringstream is(rc);
    std::string line;
    while (std::getline(is, line)) {
        std::istringstream ls(line);
        std::string k, a;
        if (!(ls >> k >> a) || k != "nameserver") continue;
        size_t pct = a.find('%');  // fe80::1%eth0
        if (pct != std::string::npos) a.resize(pct);
        unsigned char buf[16];
        if (inet_pton(af, a.c_str(), buf) == 1) r.push_back(a);
    }
    return r;
}

bool rules_present(const Family& f, std::string* why) {
    std::string out;
    if (tool_op(f, "-C", jump_rule(), &out) != 0) { *why = std::string(f.tool) + ": OUTPUT jump missing (" + out + ")"; return false; }
    for (const auto& r : {reject_tcp_rule(), reject_rule(f)})
        if (tool_op(f, "-C", r, &out) != 0) { *why = std::string(f.tool) + ": " + kChain + " REJECT missing (" + out + ")"; return false; }
    return true;
}

std::string install_family(const Family& f) {
    std::string restore = find_tool(f.restore);
    if (restore.empty() || find_tool(f.tool).empty())
        return std::string(f.tool) + "/" + f.restore + " not found (apt-get install iptables)";
    std::string out;
    // One transaction: declaring the chain with --noflush empties it, so re-installing never
    // leaves a window without the REJECT; the jump is moved to the top of OUTPUT.
    std::string in = "*filter\n:" + std::string(kChain) + " - [0:0]\n";
    const char* host = f.af == AF_INET ? "/32" : "/128";
    for (const auto& ns : nameservers(f.af))
        for (const char* proto : {"udp", "tcp"})
            in += "-A " + std::string(kChain) + " -d " + ns + host + " -p " + proto + " --dport 53 -j RETURN\n";
    in += "-A " + join(reject_tcp_rule()) + "\n-A " + join(reject_rule(f)) + "\n";
    if (tool_op(f, "-C", jump_rule(), &out) == 0) in += "-D " + join(jump_rule()) + "\n";
    in += "-I OUTPUT 1 " + join(jump_match()) + "\nCOMMIT\n";
    int rc = run_tool({restore, "-w", "5", "--noflush"}, in, &out);
    if (rc != 0) return std::string(f.restore) + " failed (exit " + std::to_string(rc) + "): " + out;
    std::string why;
    if (!rules_present(f, &why)) return "rules not found after install: " + why;
    return "";
}

void remove_family(const Family& f) {
    std::string out;
    for (int i = 0; i < 16 && tool_op(f, "-D", jump_rule(), &out) == 0; i++) {}
    tool_op(f, "-F", {kChain}, &out);
    tool_op(f, "-X", {kChain}, &out);
}

std::vector<const Family*> families() {
    std::vector<const Family*> v{&kV4};
    if (has_ipv6()) v.push_back(&kV6);
    return v;
}

bool other_guarded_processes() {
    DIR* d = opendir("/proc");
    if (!d) return false;
    bool found = false;
    std::string want = std::to_string(kHostGuardGid);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        std::string st;
        if (!sb::read_file(std::string("/proc/") + e->d_name + "/status", &st)) continue;
        size_t p = st.find("\nGid:");
        if (p == std::string::npos) continue;
        std::istringstream ls(st.substr(p + 5, st.find('\n', p + 1) - p - 5));
        std::string g;
        while (ls >> g) if (g == want) found = true;
        if (found) break;
    }
    closedir(d);
    return found;
}

}  // namespace

std::string install_host_guard(std::string* err) {
    std::lock_guard<std::mutex> lk(g_mu);
    std::string desc = "filter/OUTPUT: gid " + std::to_string(kHostGuardGid) + " -> " + kChain +
                       " (REJECT addrtype LOCAL) for";
    for (const Family* f : families()) {
        std::string e = install_family(*f);
        if (!e.empty()) {
            g_enabled = false;
            g_why = "install failed: " + e;
            if (err) *err = e;
            return "";
        }
        desc += std::string(" ") + (f->af == AF_INET ? "IPv4" : "IPv6");
    }
    g_enabled = true;
    g_nft = iptables_is_nft();
    g_verified_gen = 0;
    return desc;
}

std::string host_guard_ready(bool check_rules) {
    std::lock_guard<std::mutex> lk(g_mu);
    if (!g_enabled) return "the host guard is not installed (" + g_why + ")";
    if (!check_rules) return "";
    uint32_t gen = g_nft ? nft_genid() : 0;
    if (gen != 0 && gen == g_verified_gen) return "";  // no ruleset change since they were seen
    bool all_present = true;
    for (const Family* f : families()) {
        std::string why;
        if (rules_present(*f, &why)) continue;
        all_present = false;
        std::string e = install_family(*f);  // flushed by someone: put it back
        if (!e.empty()) return "host guard rules missing (" + why + ") and re-install failed: " + e;
    }
    // Cached only if nothing changed during the check (the re-install path checks again next time).
    g_verified_gen = all_present && gen != 0 && nft_genid() == gen ? gen : 0;
    return "";
}

bool remove_host_guard() {
    sb::wait_reaps(5000);  // our own stopped slirp4netns (reaped asynchronously) must not count
    std::lock_guard<std::mutex> lk(g_mu);
    g_enabled = false;
    g_verified_gen = 0;
    g_why = "remove_host_guard() was called";
    if (other_guarded_processes()) return false;  // another e2b-local's slirp4netns still relies on it
    for (const Family* f : families()) remove_family(*f);
    return true;
}

}  // namespace e2blocal
