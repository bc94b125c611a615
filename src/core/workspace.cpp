// Workspace sync: a directory tree as one streamed tar (libarchive here, `tar` in the sandbox)
// instead of one request per file. Every entry is checked on our side in both directions: a
// relative path without "..", and a symlink or hard link that stays inside the tree.
//   push: the local tree (or tar file) is re-written entry by entry into the upload body, pulled
//         by the transport in chunks (constant memory), to a temp file in the sandbox; only a
//         complete upload is then extracted there with `tar -x`.
//   pull: `tar -c` into a temp file in the sandbox, downloaded as a stream into an extractor
//         thread writing a fresh staging directory next to the target; only a complete, clean
//         extraction is renamed into place (or atomically exchanged with it, with `replace`).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "core/commands.hpp"
#include "core/production_a.hpp"

namespace e2b::core {

namespace {

namespace fs = std::filesystem;

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kQueueLimit = 4 * 1024 * 1024;  // pull: bytes buffered ahead of the extractor

// "./a//b/" → "a/b"; "" for the root. Sets *why for absolute paths and ".." segments.
std::string safe_rel(const char* name, std::string* why) {
    std::string n = name ? name : "";
    if (!n.empty() && n[0] == '/') {
        *why = "absolute path";
        return {};
    }
    std::string out;
    size_t i = 0;
    while (i <= n.size()) {
        size_t j = n.find('/', i);
        if (j == std::string::npos) j = n.size();
        std::string seg = n.substr(i, j - i);
        i = j + 1;
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            *why = "\"..\" leaves the target directory";
            return {};
        }
        if (!out.empty()) out += '/';
        out += seg;
    }
    return out;
}

// A symlink at rel pointing to target stays inside the tree (resolved lexically).
bool symlink_inside(const std::string& rel, const std::string& target) {
    if (target.empty() || target[0] == '/') return false;
    std::vector<std::string> stack;
    size_t i = 0;
    size_t last = rel.rfind('/');
    std::string dir = last == std::string::npos ? "" : rel.substr(0, last);
    std::string path = dir.empty() ? target : dir + "/" + target;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        std::string seg = path.substr(i, j - i);
        i = j + 1;
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (stack.empty()) return false;
            stack.pop_back();
        } else {
            stack.push_back(seg);
        }
    }
    return true;
}

// Validates an entry and rewrites its names relative to the tree (prefix prepended). Returns
// false for entries to skip (the root itself, and types other than file/dir/symlink/hard link).
bool vet_entry(archive_entry* e, const std::string& strip, const std::string& prefix) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (!strip.empty()) {
        if (name == strip) return false;
        if (name.compare(0, strip.size() + 1, strip + "/") != 0)
            throw Error(E2B_ERROR, "unexpected path " + name + " outside " + strip);
        name = name.substr(strip.size() + 1);
    }
    std::string why;
    std::string rel = safe_rel(name.c_str(), &why);
    if (!why.empty()) throw Error(E2B_EINVAL, "unsafe tar entry \"" + name + "\": " + why);
    if (rel.empty()) return false;
    const char* hard = archive_entry_hardlink(e);
    if (hard) {
        std::string h = hard;
        if (!strip.empty() && h.compare(0, strip.size() + 1, strip + "/") == 0) h = h.substr(strip.size() + 1);
        std::string hrel = safe_rel(h.c_str(), &why);
        if (!why.empty() || hrel.empty())
            throw Error(E2B_EINVAL, "unsafe tar entry \"" + name + "\": hard link to \"" + h + "\" " +
                                        (why.empty() ? "is the target directory" : why));
        archive_entry_set_hardlink(e, (prefix + hrel).c_str());
    } else {
        auto type = archive_entry_filetype(e);
        if (type == AE_IFLNK) {
            const char* t = archive_entry_symlink(e);
            if (!symlink_inside(rel, t ? t : ""))
                throw Error(E2B_EINVAL, "unsafe tar entry \"" + name + "\": symlink to \"" + (t ? t : "") +
                                            "\" escapes the target directory");
        } else if (type != AE_IFREG && type != AE_IFDIR) {
            return false;
        }
    }
    archive_entry_set_pathname(e, (prefix + rel).c_str());
    return true;
}

std::string random_hex() {
    std::random_device rd;
    char b[17];
    snprintf(b, sizeof b, "%08x%08x", rd(), rd());
    return b;
}

struct ShellResult {
    int32_t code = 0;
    std::string out, err;
};

ShellResult run_shell(Sandbox& s, const std::string& script, const FilesOptions& fo) {
    ExecOptions eo;
    eo.user = fo.user;
    eo.timeout_ms = 0;  // a big tree may take long; the process's end ends the stream
    auto res = std::make_shared<ShellResult>();
    ExecHandlers h;
    h.direct = true;
    h.on_stdout = [res](const char* d, size_t n) { res->out.append(d, n); return true; };
    h.on_stderr = [res](const char* d, size_t n) {
        if (res->err.size() < 8192) res->err.append(d, n);
        return true;
    };
    auto e = Exec::start(s, "/bin/sh", {"-c", script}, eo, std::move(h));
    int32_t code = e->wait();
    ShellResult r = *res;
    r.code = code;
    return r;
}

void remove_remote_quietly(Sandbox& s, const std::string& path, const FilesOptions& fo) {
    try {
        files_remove(s, path, fo);
    } catch (const Error&) {
        // best effort: a temp file in /tmp is all that is left behind
    }
}

std::string archive_msg(archive* a) {
    const char* m = archive_error_string(a);
    return m ? m : "unknown libarchive error";
}

// ---- push: a pull-driven tar producer ----

class TarProducer {
public:
    TarProducer(const std::string& local, bool is_tar, const WorkspaceOptions& o) : o_(o), is_disk_(!is_tar) {
        try {
            init(local, is_tar);
        } catch (...) {
            release();  // the destructor does not run for a throwing constructor
            throw;
        }
    }
    ~TarProducer() { release(); }

    void init(const std::string& local, bool is_tar) {
        entry_ = archive_entry_new();
        if (is_tar) {
            rd_ = archive_read_new();
            archive_read_support_format_all(rd_);
            archive_read_support_filter_all(rd_);
            if (archive_read_open_filename(rd_, local.c_str(), kChunk) != ARCHIVE_OK)
                throw Error(E2B_EINVAL, "cannot read tar " + local + ": " + archive_msg(rd_));
        } else {
            struct stat st;
            if (::stat(local.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                throw Error(E2B_EINVAL, "local directory " + local + " does not exist or is not a directory");
            strip_ = local;
            while (strip_.size() > 1 && strip_.back() == '/') strip_.pop_back();
            // Totals for the progress callback: a stat walk is cheap next to the transfer.
            std::error_code ec;
            p_.bytes_total = 0;
            for (fs::recursive_directory_iterator it(strip_, ec), end; !ec && it != end; it.increment(ec)) {
                ++p_.files_total;
                if (it->is_regular_file(ec) && !it->is_symlink(ec)) p_.bytes_total += (int64_t)it->file_size(ec);
            }
            rd_ = archive_read_disk_new();
            archive_read_disk_set_symlink_physical(rd_);  // symlinks are sent as symlinks
            if (archive_read_disk_open(rd_, strip_.c_str()) != ARCHIVE_OK)
                throw Error(E2B_ERROR, "cannot read " + local + ": " + archive_msg(rd_));
        }
        wr_ = archive_write_new();
        archive_write_set_format_pax_restricted(wr_);
        archive_write_add_filter_none(wr_);
        archive_write_set_bytes_per_block(wr_, 0);  // unblocked: bytes reach the body as written
        if (archive_write_open2(wr_, this, nullptr, &TarProducer::on_write, nullptr, nullptr) != ARCHIVE_OK)
            throw Error(E2B_ERROR, "libarchive: " + archive_msg(wr_));
    }
    void release() {
        if (entry_) archive_entry_free(entry_);
        if (rd_) archive_read_free(rd_);
        if (wr_) archive_write_free(wr_);
        entry_ = nullptr;
        rd_ = wr_ = nullptr;
    }

    // The transport's body reader (service thread): never throws; failures end the body with -1
    // and are rethrown by the caller from `error`.
    int64_t read(char* buf, size_t cap) {
        try {
            while (pending_.size() - off_ < cap && !finished_) step();
        } catch (const Error& e) {
            error_ = e;
            return -1;
        } catch (const std::exception& e) {
            error_ = Error(E2B_ERROR, e.what());
            return -1;
        }
        size_t n = std::min(cap, pending_.size() - off_);
        std::memcpy(buf, pending_.data() + off_, n);
        off_ += n;
        if (off_ == pending_.size()) {
            pending_.clear();
            off_ = 0;
        }
        stats_.bytes += (int64_t)n;
        return (int64_t)n;
    }

    std::optional<Error> error_;
    WorkspaceStats stats_;

private:
    static la_ssize_t on_write(archive*, void* self, const void* buf, size_t n) {
        static_cast<TarProducer*>(self)->pending_.append(static_cast<const char*>(buf), n);
        return (la_ssize_t)n;
    }

    void progress() {
        if (o_.progress && !o_.progress(p_)) throw Error(E2B_EUSER, "the progress callback stopped the push");
    }

    void step() {
        if (in_data_) {
            char buf[kChunk];
            la_ssize_t n = archive_read_data(rd_, buf, sizeof buf);
            if (n < 0) throw Error(E2B_ERROR, "reading " + p_.path + ": " + archive_msg(rd_));
            if (n == 0) {
                in_data_ = false;
                return;
            }
            if (archive_write_data(wr_, buf, (size_t)n) != n)
                throw Error(E2B_ERROR, "libarchive: " + archive_msg(wr_));
            p_.bytes_done += n;
            progress();
            return;
        }
        int r = archive_read_next_header2(rd_, entry_);
        if (r == ARCHIVE_EOF) {
            if (archive_write_close(wr_) != ARCHIVE_OK) throw Error(E2B_ERROR, "libarchive: " + archive_msg(wr_));
            finished_ = true;
            return;
        }
        if (r < ARCHIVE_WARN) throw Error(is_disk_ ? E2B_ERROR : E2B_EINVAL, "reading the source: " + archive_msg(rd_));
        if (is_disk_ && archive_entry_filetype(entry_) == AE_IFDIR) archive_read_disk_descend(rd_);
        if (!vet_entry(entry_, strip_, "")) return;
        // Owners mean nothing in the sandbox (extracted as the user); names only confuse tar.
        archive_entry_set_uname(entry_, nullptr);
        archive_entry_set_gname(entry_, nullptr);
        if (archive_write_header(wr_, entry_) != ARCHIVE_OK)
            throw Error(E2B_ERROR, "libarchive: " + archive_msg(wr_));
        p_.path = archive_entry_pathname(entry_);
        ++p_.files_done;
        ++stats_.entries;
        in_data_ = archive_entry_filetype(entry_) == AE_IFREG && archive_entry_size(entry_) > 0 &&
                   !archive_entry_hardlink(entry_);
        progress();
    }

    const WorkspaceOptions& o_;
    bool is_disk_;
    std::string strip_;
    archive* rd_ = nullptr;
    archive* wr_ = nullptr;
    archive_entry* entry_ = nullptr;
    std::string pending_;
    size_t off_ = 0;
    bool in_data_ = false, finished_ = false;
    Progress p_;
};

// ---- pull: a push-fed extractor thread ----

class Extractor {
public:
    Extractor(const std::string& staging) : staging_(staging) {}

    // Service thread: queues a chunk, waiting while the extractor is behind. False: stop.
    bool feed(const char* d, size_t n) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return queued_ < kQueueLimit || failed_ || finished_; });
        if (failed_) return false;
        if (finished_) return true;  // bytes after the end-of-archive marker: nothing to do
        q_.emplace_back(d, n);
        queued_ += n;
        cv_.notify_all();
        return true;
    }
    void close_input() {
        std::lock_guard<std::mutex> lk(mu_);
        eof_ = true;
        cv_.notify_all();
    }
    void start() { th_ = std::thread([this] { run(); }); }
    void join() {
        if (th_.joinable()) th_.join();
    }
    std::optional<Error> error() {
        std::lock_guard<std::mutex> lk(mu_);
        return error_;
    }
    std::atomic<uint32_t> entries{0};

private:
    static la_ssize_t on_read(archive*, void* self, const void** buf) {
        auto* x = static_cast<Extractor*>(self);
        std::unique_lock<std::mutex> lk(x->mu_);
        x->cv_.wait(lk, [&] { return !x->q_.empty() || x->eof_; });
        if (x->q_.empty()) return 0;
        x->cur_ = std::move(x->q_.front());
        x->q_.pop_front();
        x->queued_ -= x->cur_.size();
        x->cv_.notify_all();
        *buf = x->cur_.data();
        return (la_ssize_t)x->cur_.size();
    }

    void fail(Error e) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::move(e);
        failed_ = true;
        q_.clear();
        queued_ = 0;
        cv_.notify_all();
    }

    void run() {
        archive* rd = archive_read_new();
        archive* wd = archive_write_disk_new();
        archive_read_support_format_all(rd);
        archive_read_support_filter_all(rd);
        archive_write_disk_set_options(
            wd, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                    ARCHIVE_EXTRACT_SECURE_NODOTDOT);  // names are checked and made absolute above
        try {
            if (archive_read_open(rd, this, nullptr, &Extractor::on_read, nullptr) != ARCHIVE_OK)
                throw Error(E2B_EPROTOCOL, "not a tar stream: " + archive_msg(rd));
            archive_entry* e;
            std::string prefix = staging_ + "/";
            for (;;) {
                int r = archive_read_next_header(rd, &e);
                if (r == ARCHIVE_EOF) break;
                if (r < ARCHIVE_WARN) throw Error(E2B_EPROTOCOL, "malformed tar stream: " + archive_msg(rd));
                std::string why;
                if (archive_entry_filetype(e) == AE_IFDIR && safe_rel(archive_entry_pathname(e), &why).empty() &&
                    why.empty())
                    ::chmod(staging_.c_str(), archive_entry_perm(e));  // the tree's root keeps its mode
                if (!vet_entry(e, "", prefix)) continue;
                if (archive_write_header(wd, e) < ARCHIVE_WARN)
                    throw Error(E2B_ERROR, "cannot extract " + std::string(archive_entry_pathname(e)) + ": " +
                                               archive_msg(wd));
                const void* blk;
                size_t len;
                la_int64_t off;
                while ((r = archive_read_data_block(rd, &blk, &len, &off)) == ARCHIVE_OK)
                    if (archive_write_data_block(wd, blk, len, off) < ARCHIVE_WARN)
                        throw Error(E2B_ERROR, "cannot write " + std::string(archive_entry_pathname(e)) + ": " +
                                                   archive_msg(wd));
                if (r != ARCHIVE_EOF) throw Error(E2B_EPROTOCOL, "malformed tar stream: " + archive_msg(rd));
                if (archive_write_finish_entry(wd) < ARCHIVE_WARN)
                    throw Error(E2B_ERROR, "cannot finish " + std::string(archive_entry_pathname(e)) + ": " +
                                               archive_msg(wd));
                ++entries;
            }
            if (archive_write_close(wd) != ARCHIVE_OK) throw Error(E2B_ERROR, "extracting: " + archive_msg(wd));
        } catch (const Error& err) {
            fail(err);
        } catch (const std::exception& err) {
            fail(Error(E2B_ERROR, err.what()));
        }
        archive_read_free(rd);
        archive_write_free(wd);
        // Unblock a feeder waiting for room (the stream may carry bytes after the archive's end).
        std::lock_guard<std::mutex> lk(mu_);
        finished_ = true;
        q_.clear();
        queued_ = 0;
        cv_.notify_all();
    }

    std::string staging_;
    std::thread th_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> q_;
    std::string cur_;
    size_t queued_ = 0;
    bool eof_ = false, failed_ = false, finished_ = false;
    std::optional<Error> error_;
};

}  // namespace

WorkspaceStats workspace_push(Sandbox& s, const std::string& local, const std::string& remote_dir,
                              const WorkspaceOptions& o) {
    if (local.empty() || remote_dir.empty()) throw Error(E2B_EINVAL, "paths must not be empty");
    TarProducer prod(local, o.source_is_tar, o);
    std::string tmp = "/tmp/.e2b-push-" + random_hex() + ".tar";
    try {
        files_write_stream(s, tmp, [&](char* b, size_t cap) { return prod.read(b, cap); }, -1, o.files);
    } catch (const Error&) {
        remove_remote_quietly(s, tmp, o.files);
        if (prod.error_) throw *prod.error_;
        throw;
    }
    std::string q = shell_quote(remote_dir), t = shell_quote(tmp);
    auto r = run_shell(s,
                       "mkdir -p -- " + q + " && tar -x -p --no-same-owner -f " + t + " -C " + q +
                           "; rc=$?; rm -f -- " + t + "; exit $rc",
                       o.files);
    if (r.code != 0)
        throw Error(E2B_ERROR, "tar -x in the sandbox failed (exit " + std::to_string(r.code) + "): " + r.err);
    return prod.stats_;
}

WorkspaceStats workspace_pull(Sandbox& s, const std::string& remote, const std::string& local_dir,
                              const WorkspaceOptions& o) {
    if (remote.empty() || local_dir.empty()) throw Error(E2B_EINVAL, "paths must not be empty");
    fs::path target = fs::path(local_dir).lexically_normal();
    if (target.filename().empty()) target = target.parent_path();
    std::error_code ec;
    bool exists = fs::exists(fs::symlink_status(target, ec));
    if (exists && !o.replace)
        throw Error(E2B_EINVAL, "local " + target.string() + " exists (pass replace to swap it for the pulled tree)");
    if (exists && !fs::is_directory(fs::symlink_status(target, ec)))
        throw Error(E2B_EINVAL, "local " + target.string() + " is not a directory");

    auto st = files_stat(s, remote, o.files);
    std::string tar_path = remote;
    bool temp_tar = false;
    Progress p;
    if (o.source_is_tar) {
        if (st.type != proto::FileType::kFile) throw Error(E2B_EINVAL, remote + " is not a file");
        p.bytes_total = st.size;
    } else {
        if (st.type != proto::FileType::kDirectory) throw Error(E2B_EINVAL, remote + " is not a directory");
        tar_path = "/tmp/.e2b-pull-" + random_hex() + ".tar";
        temp_tar = true;
        std::string t = shell_quote(tar_path);
        auto r = run_shell(s, "tar -c -f " + t + " -C " + shell_quote(remote) + " . && stat -c %s " + t, o.files);
        if (r.code != 0) {
            remove_remote_quietly(s, tar_path, o.files);
            throw Error(E2B_ERROR, "tar -c in the sandbox failed (exit " + std::to_string(r.code) + "): " + r.err);
        }
        p.bytes_total = std::atoll(r.out.c_str());
    }

    fs::create_directories(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec);
    std::string tmpl = target.string() + ".e2b-pull-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data())) {
        if (temp_tar) remove_remote_quietly(s, tar_path, o.files);
        throw Error(E2B_ERROR, "cannot create a staging directory next to " + target.string() + ": " +
                                   std::strerror(errno));
    }
    // Canonical: libarchive's symlink guard would trip over a symlink in the parents' path.
    char* real = realpath(buf.data(), nullptr);
    std::string staging = real ? real : buf.data();
    std::free(real);
    ::chmod(staging.c_str(), 0755);  // mkdtemp's 0700 unless the archive carries the root's mode
    Extractor x(staging);
    x.start();
    std::optional<Error> dl_error;
    bool stopped = false;
    try {
        files_read_stream(
            s, tar_path,
            [&](const char* d, size_t n) {
                if (!x.feed(d, n)) return false;
                p.bytes_done += (int64_t)n;
                p.files_done = x.entries.load();
                if (o.progress && !o.progress(p)) {
                    stopped = true;
                    return false;
                }
                return true;
            },
            o.files);
    } catch (const Error& e) {
        dl_error = e;
    }
    x.close_input();
    x.join();
    if (temp_tar) remove_remote_quietly(s, tar_path, o.files);
    // The root cause: the extractor's error, unless the download itself failed first (the
    // extractor then only saw a truncated stream); E2B_EUSER from the download means the
    // extractor refused more data.
    auto xerr = x.error();
    std::optional<Error> err = dl_error;
    if (xerr && (!dl_error || dl_error->code == E2B_EUSER)) err = xerr;
    if (stopped) err = Error(E2B_EUSER, "the progress callback stopped the pull");
    if (!err) {
        // Now the staging dir holds the whole tree: put it in place.
        if (exists) {
            if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
                err = Error(E2B_ERROR, "cannot swap " + staging + " with " + target.string() + ": " +
                                           std::strerror(errno));
        } else if (::rename(staging.c_str(), target.c_str()) != 0) {
            err = Error(E2B_ERROR, "cannot rename " + staging + " to " + target.string() + ": " + std::strerror(errno));
        }
    }
    fs::remove_all(staging, ec);  // the failed extraction, or the replaced old tree
    if (err) throw *err;
    WorkspaceStats stats;
    stats.entries = x.entries.load();
    stats.bytes = p.bytes_done;
    if (o.progress) {
        p.files_done = stats.entries;
        p.path.clear();
        o.progress(p);  // the final report; the pull is complete whatever it returns
    }
    return stats;
}

}  // namespace e2b::core
