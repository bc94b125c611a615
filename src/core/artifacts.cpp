// Artifacts: files matching glob patterns under a sandbox directory, streamed to a local
// directory (relative paths kept), and local files streamed up. Each download goes to
// "<name>.e2b-part" and is renamed once complete, so a file under its final name is whole.
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "core/production_a.hpp"

namespace e2b::core {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_segments(const std::string& p) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        if (j > i) out.push_back(p.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// "{a,b}c" → "ac", "bc"; nested braces expand recursively. Unbalanced braces stay literal.
void expand_braces(const std::string& p, std::vector<std::string>* out) {
    size_t open = p.find('{');
    if (open == std::string::npos) {
        out->push_back(p);
        return;
    }
    int depth = 0;
    std::vector<size_t> commas;
    size_t close = std::string::npos;
    for (size_t i = open; i < p.size(); ++i) {
        if (p[i] == '{') ++depth;
        else if (p[i] == '}' && --depth == 0) {
            close = i;
            break;
        } else if (p[i] == ',' && depth == 1) commas.push_back(i);
    }
    if (close == std::string::npos) {
        out->push_back(p);
        return;
    }
    std::string pre = p.substr(0, open), post = p.substr(close + 1);
    size_t start = open + 1;
    commas.push_back(close);
    for (size_t c : commas) {
        expand_braces(pre + p.substr(start, c - start) + post, out);
        start = c + 1;
    }
}

bool match_segments(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path,
                    size_t si) {
    if (pi == pat.size()) return si == path.size();
    if (pat[pi] == "**") {
        for (size_t k = si; k <= path.size(); ++k)
            if (match_segments(pat, pi + 1, path, k)) return true;
        return false;
    }
    if (si == path.size()) return false;
    if (fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    return match_segments(pat, pi + 1, path, si + 1);
}

[[noreturn]] void throw_errno(const std::string& what) {
    int e = errno;
    throw Error(e == ENOSPC ? E2B_ENOSPACE : E2B_ERROR, what + ": " + std::strerror(e));
}

bool has_dotdot(const std::string& rel) {
    for (const auto& s : split_segments(rel))
        if (s == "..") return true;
    return false;
}

std::string strip_trailing_slashes(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& path) {
    std::vector<std::string> alts;
    expand_braces(pattern, &alts);
    auto segs = split_segments(path);
    for (const auto& a : alts)
        if (match_segments(split_segments(a), 0, segs, 0)) return true;
    return false;
}

std::string mime_type_for(const std::string& path) {
    static const std::map<std::string, std::string> kTypes = {
        {"png", "image/png"},        {"jpg", "image/jpeg"},          {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},        {"svg", "image/svg+xml"},       {"webp", "image/webp"},
        {"bmp", "image/bmp"},        {"ico", "image/vnd.microsoft.icon"},
        {"pdf", "application/pdf"},  {"json", "application/json"},   {"xml", "application/xml"},
        {"zip", "application/zip"},  {"gz", "application/gzip"},     {"tar", "application/x-tar"},
        {"wasm", "application/wasm"}, {"js", "text/javascript"},     {"mjs", "text/javascript"},
        {"html", "text/html"},       {"htm", "text/html"},           {"css", "text/css"},
        {"csv", "text/csv"},         {"md", "text/markdown"},        {"txt", "text/plain"},
        {"log", "text/plain"},       {"py", "text/x-python"},        {"c", "text/x-c"},
        {"h", "text/x-c"},           {"sh", "application/x-sh"},     {"yaml", "application/yaml"},
        {"yml", "application/yaml"}, {"ipynb", "application/x-ipynb+json"},
        {"mp3", "audio/mpeg"},       {"wav", "audio/wav"},           {"mp4", "video/mp4"},
        {"webm", "video/webm"},      {"parquet", "application/vnd.apache.parquet"},
    };
    size_t slash = path.rfind('/');
    size_t dot = path.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "application/octet-stream";
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
    auto it = kTypes.find(ext);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::vector<Artifact> artifacts_download(Sandbox& s, const std::string& remote_dir,
                                         const std::vector<std::string>& patterns,
                                         const std::string& local_dir, const ArtifactOptions& o) {
    if (patterns.empty()) throw Error(E2B_EINVAL, "at least one pattern is needed");
    auto dir = files_stat(s, remote_dir, o.files);
    if (dir.type != proto::FileType::kDirectory)
        throw Error(E2B_EINVAL, remote_dir + " is not a directory");
    std::string base = strip_trailing_slashes(dir.path);
    std::string prefix = base == "/" ? "/" : base + "/";
    // ListDir does not descend into symlinked directories, so this cannot loop.
    auto entries = files_list(s, base, 256, o.files);

    std::map<std::string, Artifact> picked;  // by relative path: sorted, no duplicates
    for (const auto& pat : patterns) {
        bool any = false;
        for (const auto& e : entries) {
            if (e.type != proto::FileType::kFile || e.path.compare(0, prefix.size(), prefix) != 0) continue;
            std::string rel = e.path.substr(prefix.size());
            if (rel.empty() || has_dotdot(rel) || !glob_match(pat, rel)) continue;
            any = true;
            Artifact& a = picked[rel];
            a.rel_path = rel;
            a.remote_path = e.path;
            a.size = e.size;
            a.mime_type = mime_type_for(rel);
        }
        if (!any && !o.allow_empty)
            throw Error(E2B_EFILE_NOT_FOUND, "pattern \"" + pat + "\" matched no file under " + base);
    }

    Progress p;
    p.files_total = static_cast<uint32_t>(picked.size());
    p.bytes_total = 0;
    for (const auto& [rel, a] : picked) p.bytes_total += a.size;
    std::vector<Artifact> out;
    for (auto& [rel, a] : picked) {
        fs::path local = fs::path(local_dir) / rel;
        std::error_code ec;
        fs::create_directories(local.parent_path(), ec);
        if (ec) throw Error(E2B_ERROR, "cannot create " + local.parent_path().string() + ": " + ec.message());
        std::string part = local.string() + ".e2b-part";
        int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw_errno("cannot create " + part);
        p.path = rel;
        int64_t got = 0;
        int write_errno = 0;
        bool stopped = false;
        try {
            files_read_stream(
                s, a.remote_path,
                [&](const char* d, size_t n) {
                    while (n > 0) {
                        ssize_t w = ::write(fd, d, n);
                        if (w < 0) {
                            if (errno == EINTR) continue;
                            write_errno = errno;
                            return false;
                        }
                        d += w;
                        n -= static_cast<size_t>(w);
                        got += w;
                        p.bytes_done += w;
                    }
                    if (o.progress && !o.progress(p)) {
                        stopped = true;
                        return false;
                    }
                    return true;
                },
                o.files);
        } catch (const Error& e) {
            ::close(fd);
            ::unlink(part.c_str());
            if (write_errno) {
                errno = write_errno;
                throw_errno("cannot write " + part);
            }
            if (stopped) throw Error(E2B_EUSER, "the progress callback stopped the download");
            throw;
        }
        if (::close(fd) != 0) {
            int e = errno;
            ::unlink(part.c_str());
            errno = e;
            throw_errno("cannot write " + part);
        }
        if (::rename(part.c_str(), local.c_str()) != 0) {
            int e = errno;
            ::unlink(part.c_str());
            errno = e;
            throw_errno("cannot rename " + part);
        }
        a.local_path = local.string();
        a.size = got;
        ++p.files_done;
        if (o.delete_after) files_remove(s, a.remote_path, o.files);
        if (o.progress && !o.progress(p)) throw Error(E2B_EUSER, "the progress callback stopped the download");
        out.push_back(a);
    }
    return out;
}

std::vector<Artifact> artifacts_upload(Sandbox& s, const std::vector<std::string>& local_files,
                                       const std::string& remote_dir, const ArtifactOptions& o) {
    if (local_files.empty()) throw Error(E2B_EINVAL, "at least one local file is needed");
    Progress p;
    p.files_total = static_cast<uint32_t>(local_files.size());
    p.bytes_total = 0;
    std::set<std::string> names;
    for (const auto& f : local_files) {
        struct stat st;
        if (::stat(f.c_str(), &st) != 0) throw Error(E2B_EINVAL, "local file " + f + ": " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw Error(E2B_EINVAL, "local file " + f + " is not a regular file");
        if (!names.insert(fs::path(f).filename().string()).second)
            throw Error(E2B_EINVAL, "two local files are named " + fs::path(f).filename().string());
        p.bytes_total += st.st_size;
    }
    std::string base = strip_trailing_slashes(remote_dir);
    std::vector<Artifact> out;
    for (const auto& f : local_files) {
        Artifact a;
        a.rel_path = fs::path(f).filename().string();
        a.local_path = f;
        a.remote_path = (base == "/" ? "" : base) + "/" + a.rel_path;
        a.mime_type = mime_type_for(a.rel_path);
        int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw_errno("cannot open " + f);
        struct stat st;
        if (::fstat(fd, &st) != 0) {
            ::close(fd);
            throw_errno("cannot stat " + f);
        }
        p.path = a.rel_path;
        int read_errno = 0;
        bool stopped = false;
        try {
            files_write_stream(
                s, a.remote_path,
                [&](char* buf, size_t cap) -> int64_t {
                    ssize_t r;
                    do r = ::read(fd, buf, cap);
                    while (r < 0 && errno == EINTR);
                    if (r < 0) {
                        read_errno = errno;
                        return -1;
                    }
                    a.size += r;
                    p.bytes_done += r;
                    if (o.progress && r > 0 && !o.progress(p)) {
                        stopped = true;
                        return -1;
                    }
                    return r;
                },
                st.st_size, o.files);
        } catch (const Error&) {
            ::close(fd);
            if (read_errno) {
                errno = read_errno;
                throw_errno("cannot read " + f);
            }
            if (stopped) throw Error(E2B_EUSER, "the progress callback stopped the upload");
            throw;
        }
        ::close(fd);
        ++p.files_done;
        if (o.progress && !o.progress(p)) throw Error(E2B_EUSER, "the progress callback stopped the upload");
        out.push_back(std::move(a));
    }
    return out;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char ch : s) {
        if (ch == '\'') out += "'\\''";
        else out += ch;
    }
    return out + "'";
}

}  // namespace e2b::core
