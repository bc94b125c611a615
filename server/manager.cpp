#include "manager.hpp"

#include <dirent.h>

#include <algorithm>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/time.hpp"

namespace e2blocal {

using e2b::Json;

const char* state_name(SbState s) {
    switch (s) {
        case SbState::kPausing:
        case SbState::kPaused: return "paused";
        default: return "running";
    }
}

namespace {

bool write_file_atomic(const std::string& path, const std::string& data, std::string* err) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        *err = "open " + tmp + ": " + strerror(errno);
        return false;
    }
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = "write " + tmp + ": " + strerror(errno);
            ::close(fd);
            return false;
        }
        off += static_cast<size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        *err = "rename " + tmp + ": " + strerror(errno);
        return false;
    }
    return true;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool mkdirs(const std::string& path, mode_t mode) {
    std::string cur;
    for (size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!cur.empty() && ::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return false;
        }
        if (i < path.size()) cur += path[i];
    }
    return true;
}

}  // namespace

Manager::Manager(net::io_context& io, ManagerOptions opts) : io_(io), opts_(std::move(opts)) {}

Manager::~Manager() {
    pool_.join();
    shutdown_background(2000);  // no-op after shutdown(); else no slirp4netns is left unreaped
}

void Manager::log(Sandbox& sb, const std::string& level, const std::string& msg) {
    if (sb.logs.size() >= 1000) sb.logs.erase(sb.logs.begin());
    sb.logs.push_back({e2b::now_unix_ns(), level, msg});
}

void Manager::load() {
    std::string err = host_check();
    if (!err.empty()) throw std::runtime_error("this host cannot run sandboxes: " + err);
    if (!mkdirs(opts_.state_dir + "/sandboxes", 0700))
        throw std::runtime_error("cannot create " + opts_.state_dir + "/sandboxes: " + strerror(errno));
    template_dir_ = prepare_base_template(opts_.state_dir + "/templates/base", &err);
    if (template_dir_.empty()) throw std::runtime_error("cannot prepare the base template: " + err);
    // Without the guard, sandboxes with internet could reach the host's own services: Jail::start
    // then refuses allow_internet (500), sandboxes without internet still work.
    std::string guard = install_host_guard(&err);
    if (guard.empty())
        fprintf(stderr, "e2b-local: WARNING: host guard unavailable, sandboxes with internet access will be refused: %s\n",
                err.c_str());

    std::string sbdir = opts_.state_dir + "/sandboxes";
    std::vector<std::string> stale = reap_stale(sbdir);
    for (auto& id : stale)
        fprintf(stderr, "e2b-local: sandbox %s was still running from a previous run; its processes were stopped\n",
                id.c_str());

    DIR* d = ::opendir(sbdir.c_str());
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
        std::string id = e->d_name;
        if (id == "." || id == "..") continue;
        std::string dir = sbdir + "/" + id;
        Json j = e2b::json_parse(read_file(dir + "/record.json"));
        if (!j) {
            fprintf(stderr, "e2b-local: %s has no readable record.json; left alone\n", dir.c_str());
            continue;
        }
        auto sb = std::make_unique<Sandbox>();
        sb->id = id;
        sb->dir = dir;
        sb->template_id = e2b::json_str_or(j.get(), "templateID", "base");
        e2b::json_string_map(e2b::json_get(j.get(), "metadata"), &sb->metadata);
        e2b::json_string_map(e2b::json_get(j.get(), "envVars"), &sb->env_vars);
        sb->started_at_ns = e2b::json_int_or(j.get(), "startedAtNs", e2b::now_unix_ns());
        sb->auto_pause = e2b::json_bool_or(j.get(), "autoPause", false);
        sb->secure = e2b::json_bool_or(j.get(), "secure", false);
        sb->allow_internet = e2b::json_bool_or(j.get(), "allowInternet", true);
        sb->access_token = e2b::json_str_or(j.get(), "accessToken");
        sb->cpu_count = static_cast<int>(e2b::json_int_or(j.get(), "cpuCount", opts_.default_cpu));
        sb->memory_mb = static_cast<int>(e2b::json_int_or(j.get(), "memoryMB", opts_.default_memory_mb));
        sb->disk_mb = static_cast<int>(e2b::json_int_or(j.get(), "diskSizeMB", opts_.default_disk_mb));
        bool was_paused = e2b::json_str_or(j.get(), "state") == "paused";
        bool had_memory = e2b::json_bool_or(j.get(), "memoryKept", true);
        // Processes cannot outlive the server's jails: the sandbox comes back paused with its
        // files, and says so in its logs.
        sb->state = SbState::kPaused;
        sb->memory_kept = false;
        sb->end_at_ns = was_paused ? e2b::json_int_or(j.get(), "endAtNs", e2b::now_unix_ns()) : e2b::now_unix_ns();
        if (const cJSON* logs = e2b::json_get(j.get(), "logs"); logs && cJSON_IsArray(logs)) {
            for (const cJSON* l = logs->child; l; l = l->next)
                sb->logs.push_back({e2b::json_int_or(l, "ts", 0), e2b::json_str_or(l, "level", "info"),
                                    e2b::json_str_or(l, "message")});
        }
        if (!was_paused || had_memory) {  // the previous server did not stop it: it crashed
            std::string msg = "e2b-local restarted after an unclean stop: the sandbox's processes and memory were "
                              "lost; its files were kept. Connect resumes it with a fresh boot.";
            log(*sb, "warn", msg);
            fprintf(stderr, "e2b-local: sandbox %s: %s\n", id.c_str(), msg.c_str());
        }
        persist(*sb);
        sandboxes_[id] = std::move(sb);
    }
    ::closedir(d);
}

void Manager::persist(const Sandbox& sb) {
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "sandboxID", sb.id);
    e2b::json_set_str(j.get(), "templateID", sb.template_id);
    e2b::json_set(j.get(), "metadata", e2b::json_from_map(sb.metadata));
    e2b::json_set(j.get(), "envVars", e2b::json_from_map(sb.env_vars));
    e2b::json_set_int(j.get(), "startedAtNs", sb.started_at_ns);
    e2b::json_set_int(j.get(), "endAtNs", sb.end_at_ns);
    e2b::json_set_bool(j.get(), "autoPause", sb.auto_pause);
    e2b::json_set_bool(j.get(), "secure", sb.secure);
    e2b::json_set_bool(j.get(), "allowInternet", sb.allow_internet);
    e2b::json_set_str(j.get(), "accessToken", sb.access_token);
    e2b::json_set_int(j.get(), "cpuCount", sb.cpu_count);
    e2b::json_set_int(j.get(), "memoryMB", sb.memory_mb);
    e2b::json_set_int(j.get(), "diskSizeMB", sb.disk_mb);
    e2b::json_set_str(j.get(), "state", state_name(sb.state));
    e2b::json_set_bool(j.get(), "memoryKept", sb.memory_kept);
    Json logs = e2b::json_array();
    size_t from = sb.logs.size() > 100 ? sb.logs.size() - 100 : 0;  // the recent history is enough
    for (size_t i = from; i < sb.logs.size(); ++i) {
        Json l = e2b::json_object();
        e2b::json_set_int(l.get(), "ts", sb.logs[i].ts_ns);
        e2b::json_set_str(l.get(), "level", sb.logs[i].level);
        e2b::json_set_str(l.get(), "message", sb.logs[i].message);
        cJSON_AddItemToArray(logs.get(), l.release());
    }
    e2b::json_set(j.get(), "logs", std::move(logs));
    std::string err;
    if (!write_file_atomic(sb.dir + "/record.json", e2b::json_print(j.get()), &err))
        fprintf(stderr, "e2b-local: cannot persist sandbox %s: %s\n", sb.id.c_str(), err.c_str());
}

void Manager::write_config(const Sandbox& sb) {
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "sandboxId", sb.id);
    e2b::json_set_str(j.get(), "templateId", sb.template_id);
    e2b::json_set_str(j.get(), "accessToken", sb.access_token);
    e2b::json_set_str(j.get(), "defaultUser", "user");
    e2b::json_set_str(j.get(), "defaultWorkdir", "/home/user");
    e2b::json_set_str(j.get(), "envdVersion", opts_.envd_version);
    e2b::json_set_int(j.get(), "cpuCount", sb.cpu_count);
    e2b::json_set_int(j.get(), "memoryMB", sb.memory_mb);
    auto env = sb.env_vars;
    env["E2B_SANDBOX"] = "true";
    env["E2B_SANDBOX_ID"] = sb.id;
    env["E2B_TEMPLATE_ID"] = sb.template_id;
    e2b::json_set(j.get(), "envVars", e2b::json_from_map(env));
    std::string err;
    if (!mkdirs(sb.dir + "/ctl", 0700) || !write_file_atomic(sb.dir + "/ctl/config.json", e2b::json_print(j.get()), &err))
        throw ApiError{500, "cannot write the agent config of " + sb.id + ": " + (err.empty() ? strerror(errno) : err)};
}

void Manager::start_jail(Sandbox& sb, Yield y) {
    write_config(sb);
    JailSpec spec;
    spec.id = sb.id;
    spec.dir = sb.dir;
    spec.template_dir = template_dir_;
    spec.agent_binary = opts_.agent_binary;
    spec.agent_args = {"--socket", kAgentSocketInside, "--ci-socket", kCodeInterpreterSocketInside, "--config",
                       "/run/e2b/config.json"};
    spec.cpu_count = sb.cpu_count;
    spec.memory_mb = sb.memory_mb;
    spec.allow_internet = sb.allow_internet;
    struct Started {
        std::unique_ptr<Jail> jail;
        std::string err;
    };
    Started r = run_blocking<Started>(pool_, y, [spec]() {
        Started s;
        s.jail = Jail::start(spec, &s.err);
        return s;
    });
    if (!r.jail) throw ApiError{500, "failed to start sandbox " + sb.id + ": " + r.err};
    sb.jail = std::move(r.jail);
}

Sandbox& Manager::create(const CreateParams& p, Yield y) {
    if (stopping_) throw ApiError{503, "e2b-local is shutting down"};
    // Every sandbox serves the code interpreter, so E2B's code-interpreter templates (the default of
    // the @e2b/code-interpreter SDKs) are the base template under another name.
    static const char* const kTemplates[] = {"base", "code-interpreter-v1", "code-interpreter"};
    if (std::none_of(std::begin(kTemplates), std::end(kTemplates), [&](const char* t) { return p.template_id == t; }))
        throw ApiError{404, "template '" + p.template_id + "' not found (e2b-local provides 'base' and 'code-interpreter-v1')"};
    if (p.timeout_s <= 0) throw ApiError{400, "Timeout must be positive"};
    if (p.timeout_s > opts_.max_timeout_s)
        throw ApiError{400, "Timeout cannot be greater than " + std::to_string(opts_.max_timeout_s / 3600) + " hours"};

    auto owned = std::make_unique<Sandbox>();
    Sandbox& sb = *owned;
    do sb.id = "i" + e2b::random_alnum(20);
    while (sandboxes_.count(sb.id));
    sb.template_id = p.template_id;
    sb.metadata = p.metadata;
    sb.env_vars = p.env_vars;
    sb.auto_pause = p.auto_pause;
    sb.secure = p.secure;
    sb.allow_internet = p.allow_internet;
    sb.access_token = p.secure ? "e2b_envd_" + e2b::random_hex(20) : "";
    sb.cpu_count = p.cpu_count > 0 ? p.cpu_count : opts_.default_cpu;
    sb.memory_mb = p.memory_mb > 0 ? p.memory_mb : opts_.default_memory_mb;
    sb.disk_mb = opts_.default_disk_mb;
    sb.dir = opts_.state_dir + "/sandboxes/" + sb.id;
    sb.state = SbState::kStarting;
    if (::mkdir(sb.dir.c_str(), 0700) != 0) throw ApiError{500, "cannot create " + sb.dir + ": " + strerror(errno)};
    sandboxes_[sb.id] = std::move(owned);
    try {
        start_jail(sb, y);
    } catch (...) {
        remove_files(sb.dir);
        sandboxes_.erase(sb.id);
        throw;
    }
    sb.started_at_ns = e2b::now_unix_ns();
    sb.end_at_ns = sb.started_at_ns + p.timeout_s * 1000000000LL;
    sb.state = SbState::kRunning;
    log(sb, "info", "sandbox created from template " + sb.template_id);
    persist(sb);
    arm_expiry(sb);
    return sb;
}

Sandbox* Manager::find(const std::string& id) {
    auto it = sandboxes_.find(id);
    return it == sandboxes_.end() ? nullptr : it->second.get();
}

std::vector<Sandbox*> Manager::all() {
    std::vector<Sandbox*> v;
    for (auto& [id, sb] : sandboxes_) v.push_back(sb.get());
    return v;
}

void Manager::cut_streams(Sandbox& sb) {
    auto cutters = std::move(sb.cutters);
    sb.cutters.clear();
    for (auto& [t, fn] : cutters) fn();
}

uint64_t Manager::add_cutter(Sandbox& sb, std::function<void()> fn) {
    uint64_t t = next_cutter_++;
    sb.cutters[t] = std::move(fn);
    return t;
}

void Manager::remove_cutter(const std::string& id, uint64_t token) {
    if (Sandbox* sb = find(id)) sb->cutters.erase(token);
}

void Manager::arm_expiry(Sandbox& sb) {
    if (!sb.expiry) sb.expiry = std::make_unique<net::steady_timer>(io_);
    int64_t left_ns = sb.end_at_ns - e2b::now_unix_ns();
    sb.expiry->expires_after(std::chrono::nanoseconds(left_ns > 0 ? left_ns : 0));
    std::string id = sb.id;
    sb.expiry->async_wait([this, id](beast::error_code ec) {
        if (!ec) on_expiry(id);
    });
}

void Manager::on_expiry(const std::string& id) {
    Sandbox* sb = find(id);
    if (!sb || sb->state != SbState::kRunning || e2b::now_unix_ns() < sb->end_at_ns) return;
    bool pause_it = sb->auto_pause;
    net::spawn(io_, [this, id, pause_it](Yield y) {
        try {
            if (pause_it) {
                pause(id, true, y);
                if (Sandbox* s = find(id)) log(*s, "info", "sandbox paused at the end of its lifetime (autoPause)");
            } else {
                kill(id, y);
            }
        } catch (const ApiError& e) {
            fprintf(stderr, "e2b-local: expiry of %s: %s\n", id.c_str(), e.message.c_str());
        }
    });
}

void Manager::kill(const std::string& id, Yield y) {
    Sandbox* sb = find(id);
    if (!sb || sb->state == SbState::kKilling)
        throw ApiError{404, "Sandbox \"" + id + "\" doesn't exist or you don't have access to it"};
    if (sb->state == SbState::kStarting || sb->state == SbState::kResuming || sb->state == SbState::kPausing)
        throw ApiError{409, "Sandbox \"" + id + "\" is changing state; try again"};
    sb->state = SbState::kKilling;
    if (sb->expiry) sb->expiry->cancel();
    cut_streams(*sb);
    stop_jail(*sb, y);
    std::string dir = sb->dir;
    sandboxes_.erase(id);
    remove_files(dir);
}

void Manager::set_timeout(const std::string& id, int64_t timeout_s) {
    Sandbox* sb = find(id);
    if (!sb || sb->state == SbState::kKilling)
        throw ApiError{404, "Sandbox \"" + id + "\" doesn't exist or you don't have access to it"};
    if (sb->state == SbState::kPaused) throw ApiError{404, "Sandbox \"" + id + "\" is paused"};
    if (sb->state != SbState::kRunning) throw ApiError{409, "Sandbox \"" + id + "\" is changing state"};
    if (timeout_s <= 0) throw ApiError{400, "Timeout must be positive"};
    if (timeout_s > opts_.max_timeout_s)
        throw ApiError{400, "Timeout cannot be greater than " + std::to_string(opts_.max_timeout_s / 3600) + " hours"};
    sb->end_at_ns = e2b::now_unix_ns() + timeout_s * 1000000000LL;
    persist(*sb);
    arm_expiry(*sb);
}

void Manager::pause(const std::string& id, bool keep_memory, Yield y) {
    Sandbox* sb = find(id);
    if (!sb || sb->state == SbState::kKilling)
        throw ApiError{404, "Sandbox \"" + id + "\" doesn't exist or you don't have access to it"};
    if (sb->state == SbState::kPaused || sb->state == SbState::kPausing)
        throw ApiError{409, "Sandbox \"" + id + "\" is already paused"};
    if (sb->state != SbState::kRunning) throw ApiError{409, "Sandbox \"" + id + "\" is changing state"};
    if (sb->expiry) sb->expiry->cancel();
    cut_streams(*sb);  // E2B breaks the streams that clients hold at pause time
    std::string err;
    if (keep_memory) {
        if (!sb->jail || !sb->jail->freeze(&err)) {
            arm_expiry(*sb);
            throw ApiError{500, "failed to pause sandbox " + id + ": " + err};
        }
    } else {
        sb->state = SbState::kPausing;
        stop_jail(*sb, y);
        sb = find(id);
        if (!sb) return;
        sb->memory_kept = false;
    }
    sb->state = SbState::kPaused;
    sb->end_at_ns = e2b::now_unix_ns();
    log(*sb, "info", keep_memory ? "sandbox paused (memory kept)" : "sandbox paused (filesystem only)");
    persist(*sb);
}

bool Manager::connect(const std::string& id, int64_t timeout_s, Yield y) {
    Sandbox* sb = find(id);
    if (!sb || sb->state == SbState::kKilling)
        throw ApiError{404, "Sandbox \"" + id + "\" doesn't exist or you don't have access to it"};
    if (timeout_s <= 0) throw ApiError{400, "Timeout must be positive"};
    if (timeout_s > opts_.max_timeout_s)
        throw ApiError{400, "Timeout cannot be greater than " + std::to_string(opts_.max_timeout_s / 3600) + " hours"};
    int64_t want_end = e2b::now_unix_ns() + timeout_s * 1000000000LL;
    if (sb->state == SbState::kRunning) {
        if (want_end > sb->end_at_ns) {  // connect only extends
            sb->end_at_ns = want_end;
            persist(*sb);
            arm_expiry(*sb);
        }
        return false;
    }
    if (sb->state != SbState::kPaused) throw ApiError{409, "Sandbox \"" + id + "\" is changing state"};
    std::string err;
    if (sb->jail && sb->memory_kept) {
        if (!sb->jail->thaw(&err)) throw ApiError{500, "failed to resume sandbox " + id + ": " + err};
        log(*sb, "info", "sandbox resumed (memory restored)");
    } else {
        sb->state = SbState::kResuming;
        try {
            start_jail(*sb, y);
        } catch (...) {
            if (Sandbox* s = find(id)) s->state = SbState::kPaused;
            throw;
        }
        sb = find(id);
        if (!sb) throw ApiError{404, "Sandbox \"" + id + "\" was killed while resuming"};
        sb->memory_kept = true;
        log(*sb, "info", "sandbox resumed with a fresh boot (files kept, processes were not)");
    }
    sb->state = SbState::kRunning;
    sb->end_at_ns = want_end;
    persist(*sb);
    arm_expiry(*sb);
    return true;
}

void Manager::stop_jail(Sandbox& sb, Yield y) {
    if (!sb.jail) return;
    std::shared_ptr<Jail> jail(std::move(sb.jail));  // the record may go away while we wait
    run_blocking<bool>(pool_, y, [jail]() {
        jail->kill();
        return true;
    });
}

JailMetrics Manager::metrics(Sandbox& sb) {
    if (!sb.jail) return {};
    return sb.jail->metrics();
}

void Manager::shutdown(Yield y) {
    stopping_ = true;
    // The listener is closed: without this, io.run() could run out of work (and return) while we
    // wait on the pool below, skipping the rest of the shutdown.
    auto keep_running = net::make_work_guard(io_);
    for (auto& [id, sb] : sandboxes_) {
        if (sb->expiry) sb->expiry->cancel();
        cut_streams(*sb);
        if (sb->jail) {
            stop_jail(*sb, y);
            bool was_paused = sb->state == SbState::kPaused;
            sb->state = SbState::kPaused;
            if (!was_paused) sb->end_at_ns = e2b::now_unix_ns();
            sb->memory_kept = false;
            log(*sb, "warn", "e2b-local stopped: the sandbox's processes and memory were lost; its files were kept. "
                             "Connect resumes it with a fresh boot.");
            persist(*sb);
        }
    }
    // Jail::kill reaps slirp4netns asynchronously: nothing may outlive us, and remove_host_guard()
    // keeps the rules while a process with the guard's gid still exists.
    bool reaped = shutdown_background(5000);  // usually done already; at most a few ms
    if (!reaped) fprintf(stderr, "e2b-local: some slirp4netns processes were not reaped within 5 s\n");
    release_base_template(template_dir_);
    remove_host_guard();  // after the jails (and their slirp4netns) are gone
}

void Manager::remove_files(const std::string& dir) {
    // The overlay is unmounted by Jail::kill; what is left are plain files (any owner).
    nftw(dir.c_str(),
         [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p) == 0 ? 0 : 0; },
         64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

}  // namespace e2blocal
