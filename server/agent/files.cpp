// GET /files (download) and POST /files (upload: streamed multipart/form-data or
// application/octet-stream, optionally gzip-encoded). Uploads go to a temp file next to the
// destination that is renamed over it only once complete, so an interrupted upload never
// clobbers an existing file nor leaves debris behind. Memory use is constant in the file size.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <set>

#include "agent/fsutil.hpp"
#include "util/encoding.hpp"
#include "util/time.hpp"

namespace agent {

namespace {

using namespace fsutil;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string header(const http::request_header<>& h, const char* name) {
    auto it = h.find(name);
    return it == h.end() ? std::string() : std::string(it->value());
}

// An HTTP failure carried out of the upload pipeline.
struct HttpFail {
    http::status status;
    std::string message;
};

// ---- auth / user ----

// §2.6/§5.6: with a token configured, X-Access-Token must match, or a valid signature is needed.
bool authorize(Agent& a, HttpExchange& ex, const char* operation, std::string* why) {
    const std::string& token = a.config().access_token;
    if (token.empty()) return true;
    auto& h = ex.headers();
    if (h.find("X-Access-Token") != h.end()) {
        if (e2b::secure_equal(header(h, "X-Access-Token"), token)) return true;
        *why = "unauthorized access, please provide a valid access token or method signing if supported";
        return false;
    }
    auto sig = ex.query_param("signature");
    if (!sig) {
        *why = "unauthorized access, please provide a valid access token or method signing if supported";
        return false;
    }
    std::string raw = ex.query_param("path").value_or("") + ":" + operation + ":" +
                      ex.query_param("username").value_or("") + ":" + token;
    auto exp = ex.query_param("signature_expiration");
    if (exp) {
        int64_t t = 0;
        try {
            size_t used = 0;
            t = std::stoll(*exp, &used);
            if (used != exp->size()) throw std::invalid_argument("junk");
        } catch (...) {
            *why = "invalid signature expiration";
            return false;
        }
        if (t < e2b::now_unix_ns() / 1000000000) {
            *why = "signature is already expired";
            return false;
        }
        raw += ":" + *exp;
    }
    std::string want = "v1_" + e2b::base64_encode(e2b::sha256(raw), false);
    if (!e2b::secure_equal(*sig, want)) {
        *why = "invalid signature";
        return false;
    }
    return true;
}

std::optional<User> request_user(Agent& a, HttpExchange& ex) {
    std::string name = ex.query_param("username").value_or("");
    if (name.empty()) name = a.config().default_user;
    auto u = lookup_user(name);
    if (!u) ex.respond_error(http::status::unauthorized, "error looking up user '" + name + "'");
    return u;
}

// ---- download ----

const char* content_type_for(const std::string& name, int fd) {
    static const std::map<std::string, const char*> types = {
        {"txt", "text/plain; charset=utf-8"}, {"log", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"}, {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
        {"xml", "text/xml; charset=utf-8"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
        {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
        {"gz", "application/gzip"}, {"tgz", "application/gzip"}, {"tar", "application/x-tar"},
        {"wasm", "application/wasm"}, {"mp3", "audio/mpeg"}, {"mp4", "video/mp4"},
        {"wav", "audio/wav"}, {"py", "text/x-python; charset=utf-8"}, {"sh", "text/x-sh; charset=utf-8"},
    };
    size_t dot = name.rfind('.');
    if (dot != std::string::npos) {
        auto it = types.find(lower(name.substr(dot + 1)));
        if (it != types.end()) return it->second;
    }
    // Unknown extension: sniff the head like Go's DetectContentType does for text.
    unsigned char head[512];
    ssize_t n = ::pread(fd, head, sizeof head, 0);
    if (n <= 0) return "text/plain; charset=utf-8";
    for (ssize_t i = 0; i < n; ++i) {
        unsigned char c = head[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x0c && c != 0x1b) return "application/octet-stream";
    }
    return "text/plain; charset=utf-8";
}

void handle_get(Agent& a, std::shared_ptr<HttpExchange> ex) {
    std::string why;
    if (!authorize(a, *ex, "read", &why)) return ex->respond_error(http::status::unauthorized, why);
    auto user = request_user(a, *ex);
    if (!user) return;
    std::string path = resolve_path(ex->query_param("path").value_or(""), *user);
    int fd, e;
    {
        AsUser as(*user);
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        e = errno;
    }
    if (fd < 0) {
        if (e == ENOENT) return ex->respond_error(http::status::not_found, "path '" + path + "' does not exist");
        if (e == EACCES || e == EPERM)
            return ex->respond_error(http::status::forbidden, "permission denied: user '" + user->name + "' cannot read '" + path + "'");
        if (e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP)
            return ex->respond_error(http::status::bad_request, "invalid path '" + path + "': " + strerror(e));
        return ex->respond_error(http::status::internal_server_error, "error opening file '" + path + "': " + strerror(e));
    }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        bool dir = S_ISDIR(st.st_mode);
        ::close(fd);
        if (dir) return ex->respond_error(http::status::bad_request, "path '" + path + "' is a directory");
        return ex->respond_error(http::status::bad_request, "path '" + path + "' is not a regular file");
    }
    int fl = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    std::string base = base_name(path);
    std::string quoted;
    for (char c : base) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    const char* ct = content_type_for(base, fd);
    std::string mtime_http;
    {
        char buf[64];
        struct tm tmv{};
        gmtime_r(&st.st_mtim.tv_sec, &tmv);
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tmv);
        mtime_http = buf;
    }
    ex->respond_fd(http::status::ok, fd, static_cast<uint64_t>(st.st_size), ct,
                   {{"Content-Disposition", "inline; filename=\"" + quoted + "\""},
                    {"Last-Modified", mtime_http},
                    {"Cache-Control", "no-store"}});
}

// ---- upload ----

// One destination file being written through a temp file in the same directory.
class FileSink {
public:
    FileSink(std::string dest, const User& u, const std::map<std::string, std::string>& md)
        : dest_(std::move(dest)), user_(u), md_(md) {}
    ~FileSink() { abort(); }

    void open() {
        AsUser as(user_);
        struct stat st{};
        std::string target = dest_;
        if (::lstat(dest_.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            // Writing through a symlink updates its target, like an in-place write would.
            char buf[PATH_MAX];
            if (::realpath(dest_.c_str(), buf)) target = buf;
        }
        bool exists = ::stat(target.c_str(), &st) == 0;
        if (exists && S_ISDIR(st.st_mode))
            throw HttpFail{http::status::bad_request, "path '" + dest_ + "' is a directory"};
        if (exists && !S_ISREG(st.st_mode))
            throw HttpFail{http::status::bad_request, "path '" + dest_ + "' is not a regular file"};
        target_ = target;
        std::string dir = dir_name(target_);
        if (int e = mkdir_all(dir, user_.uid, user_.gid)) {
            if (e == ENOTDIR || e == EEXIST)
                throw HttpFail{http::status::bad_request, "a parent of '" + dest_ + "' is not a directory"};
            fail_errno("error creating parent directories", dir, e);
        }
        for (int i = 0; i < 8 && fd_ < 0; ++i) {
            tmp_ = join(dir, "." + base_name(target_).substr(0, 64) + ".upload-" + e2b::random_alnum(10));
            fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd_ < 0 && errno != EEXIST) fail_errno("error creating file", dest_, errno);
        }
        if (fd_ < 0) fail_errno("error creating file", dest_, EEXIST);
        if (exists) ::fchmod(fd_, st.st_mode & 07777);  // overwriting keeps the file's mode
    }

    void write(const char* p, size_t n) {
        while (n > 0) {
            ssize_t w = ::write(fd_, p, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                fail_errno("error writing file", dest_, errno);
            }
            p += w;
            n -= static_cast<size_t>(w);
        }
    }

    void commit() {
        AsUser as(user_);
        if (::fchown(fd_, user_.uid, user_.gid) != 0) fail_errno("error changing file ownership", dest_, errno);
        for (auto& [k, v] : md_) {
            std::string name = kMetadataPrefix + k;
            if (::fsetxattr(fd_, name.c_str(), v.data(), v.size(), 0) != 0) {
                int e = errno;
                if (e == ENOSPC || e == EDQUOT) fail_errno("error storing metadata", dest_, e);
                throw HttpFail{http::status::internal_server_error,
                               "error storing metadata on '" + dest_ + "': " + strerror(e)};
            }
        }
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail_errno("error writing file", dest_, errno);
        if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
            int e = errno;
            if (e == EISDIR) throw HttpFail{http::status::bad_request, "path '" + dest_ + "' is a directory"};
            fail_errno("error saving file", dest_, e);
        }
        tmp_.clear();
    }

    void abort() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        tmp_.clear();
    }

    const std::string& dest() const { return dest_; }

private:
    [[noreturn]] void fail_errno(const char* what, const std::string& p, int e) {
        abort();
        if (e == ENOSPC || e == EDQUOT)
            throw HttpFail{http::status::insufficient_storage, std::string("not enough disk space: ") + what + " '" + p + "'"};
        if (e == EACCES || e == EPERM)
            throw HttpFail{http::status::forbidden, std::string("permission denied: ") + what + " '" + p + "' as user '" + user_.name + "'"};
        throw HttpFail{http::status::internal_server_error, std::string(what) + " '" + p + "': " + strerror(e)};
    }

    std::string dest_, target_, tmp_;
    User user_;
    const std::map<std::string, std::string>& md_;
    int fd_ = -1;
};

// Receives the decoded body; throws HttpFail.
class BodySink {
public:
    virtual ~BodySink() = default;
    virtual void data(const char* p, size_t n) = 0;
    virtual void end() = 0;  // whole body seen
};

// Streaming gzip decoder in front of another sink (multi-member streams allowed, like Go).
class GunzipSink : public BodySink {
public:
    explicit GunzipSink(BodySink& next) : next_(next) {
        if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw HttpFail{http::status::internal_server_error, "zlib init failed"};
    }
    ~GunzipSink() override { inflateEnd(&z_); }
    void data(const char* p, size_t n) override {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
        z_.avail_in = static_cast<uInt>(n);
        while (z_.avail_in > 0) {
            if (member_done_) {
                inflateReset(&z_);
                member_done_ = false;
            }
            z_.next_out = reinterpret_cast<Bytef*>(out_);
            z_.avail_out = sizeof out_;
            int r = inflate(&z_, Z_NO_FLUSH);
            size_t got = sizeof out_ - z_.avail_out;
            if (got) next_.data(out_, got);
            if (r == Z_STREAM_END) {
                member_done_ = true;
            } else if (r == Z_BUF_ERROR && got == 0) {
                break;
            } else if (r != Z_OK && r != Z_BUF_ERROR) {
                throw HttpFail{http::status::bad_request, std::string("invalid gzip body: ") + (z_.msg ? z_.msg : "corrupt data")};
            }
        }
    }
    void end() override {
        if (!member_done_) throw HttpFail{http::status::bad_request, "invalid gzip body: unexpected end of data"};
        next_.end();
    }

private:
    BodySink& next_;
    z_stream z_{};
    bool member_done_ = false;
    char out_[64 * 1024];
};

struct Written {
    std::string path;
};

class OctetSink : public BodySink {
public:
    OctetSink(std::string dest, const User& u, const std::map<std::string, std::string>& md,
              std::vector<Written>& out)
        : file_(std::move(dest), u, md), out_(out) {
        file_.open();
    }
    void data(const char* p, size_t n) override { file_.write(p, n); }
    void end() override {
        file_.commit();
        out_.push_back({file_.dest()});
    }

private:
    FileSink file_;
    std::vector<Written>& out_;
};

// Incremental multipart/form-data parser: the boundary may be split across chunks anywhere.
class MultipartSink : public BodySink {
public:
    MultipartSink(std::string boundary, std::optional<std::string> path_param, const User& u,
                  const std::map<std::string, std::string>& md, std::vector<Written>& out)
        : delim_("\r\n--" + boundary), path_param_(std::move(path_param)), user_(u), md_(md), out_(out),
          search_(delim_.begin(), delim_.end()) {
        buf_ = "\r\n";  // lets the first boundary match the same delimiter as the others
    }

    void data(const char* p, size_t n) override {
        if (state_ == kEpilogue) return;
        buf_.append(p, n);
        parse();
    }

    void end() override {
        if (state_ != kEpilogue) {
            if (file_) file_->abort();
            throw HttpFail{http::status::bad_request, "malformed multipart body: unexpected end of data"};
        }
        if (out_.empty() && files_seen_ == 0) throw HttpFail{http::status::bad_request, "no file in the multipart body"};
    }

private:
    enum State { kPreamble, kAfterDelim, kHeaders, kBody, kEpilogue };

    void parse() {
        for (;;) {
            switch (state_) {
                case kPreamble:
                case kBody: {
                    auto it = std::search(buf_.begin() + static_cast<long>(pos_), buf_.end(), search_);
                    if (it == buf_.end()) {
                        // Keep a tail that could be the start of a delimiter.
                        size_t avail = buf_.size() - pos_;
                        size_t keep = std::min(avail, delim_.size() - 1);
                        emit(buf_.data() + pos_, avail - keep);
                        pos_ = buf_.size() - keep;
                        compact();
                        return;
                    }
                    size_t at = static_cast<size_t>(it - buf_.begin());
                    emit(buf_.data() + pos_, at - pos_);
                    pos_ = at + delim_.size();
                    if (state_ == kBody) finish_part();
                    state_ = kAfterDelim;
                    break;
                }
                case kAfterDelim: {
                    // "--" ends the body; otherwise optional whitespace then CRLF.
                    if (buf_.size() - pos_ < 2) return compact();
                    if (buf_.compare(pos_, 2, "--") == 0) {
                        state_ = kEpilogue;
                        buf_.clear();
                        pos_ = 0;
                        return;
                    }
                    size_t crlf = buf_.find("\r\n", pos_);
                    if (crlf == std::string::npos) {
                        if (buf_.size() - pos_ > 1024) malformed("bad boundary line");
                        return compact();
                    }
                    for (size_t i = pos_; i < crlf; ++i)
                        if (buf_[i] != ' ' && buf_[i] != '\t') malformed("bad boundary line");
                    pos_ = crlf + 2;
                    state_ = kHeaders;
                    break;
                }
                case kHeaders: {
                    size_t end;
                    if (buf_.compare(pos_, 2, "\r\n") == 0) {
                        end = pos_;  // no headers at all
                    } else {
                        end = buf_.find("\r\n\r\n", pos_);
                        if (end == std::string::npos) {
                            if (buf_.size() - pos_ > 16384) malformed("part headers too large");
                            return compact();
                        }
                        end += 2;
                    }
                    start_part(buf_.substr(pos_, end - pos_));
                    pos_ = end + 2;
                    state_ = kBody;
                    break;
                }
                case kEpilogue:
                    buf_.clear();
                    pos_ = 0;
                    return;
            }
        }
    }

    void compact() {
        if (pos_ > 0) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
    }

    [[noreturn]] void malformed(const char* why) {
        if (file_) file_->abort();
        throw HttpFail{http::status::bad_request, std::string("malformed multipart body: ") + why};
    }

    void emit(const char* p, size_t n) {
        if (n && state_ == kBody && file_) file_->write(p, n);
    }

    // Parses `; key="value"` parameters (quoted-string with backslash escapes, or token).
    static std::map<std::string, std::string> params(const std::string& v) {
        std::map<std::string, std::string> out;
        size_t i = v.find(';');
        while (i != std::string::npos && i < v.size()) {
            ++i;
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            size_t eq = v.find('=', i);
            if (eq == std::string::npos) break;
            std::string key = lower(v.substr(i, eq - i));
            while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
            i = eq + 1;
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            std::string val;
            if (i < v.size() && v[i] == '"') {
                ++i;
                while (i < v.size() && v[i] != '"') {
                    if (v[i] == '\\' && i + 1 < v.size()) ++i;
                    val += v[i++];
                }
                ++i;
                i = v.find(';', i);
            } else {
                size_t semi = v.find(';', i);
                val = v.substr(i, semi == std::string::npos ? std::string::npos : semi - i);
                while (!val.empty() && (val.back() == ' ' || val.back() == '\t')) val.pop_back();
                i = semi;
            }
            if (!out.count(key)) out[key] = val;
        }
        return out;
    }

    void start_part(const std::string& hdrs) {
        std::string disposition;
        size_t i = 0;
        while (i < hdrs.size()) {
            size_t e = hdrs.find("\r\n", i);
            if (e == std::string::npos) e = hdrs.size();
            std::string line = hdrs.substr(i, e - i);
            i = e + 2;
            size_t c = line.find(':');
            if (c == std::string::npos) continue;
            if (lower(line.substr(0, c)) == "content-disposition") disposition = line.substr(c + 1);
        }
        auto ps = params(disposition);
        if (ps["name"] != "file") return;  // other form fields are ignored
        ++files_seen_;
        std::string dest;
        if (path_param_) {
            dest = *path_param_;
        } else {
            auto fn = ps.find("filename");
            if (fn == ps.end() || fn->second.empty())
                throw HttpFail{http::status::bad_request, "no path given: set the path query parameter or the part's filename"};
            dest = fn->second;
        }
        dest = resolve_path(dest, user_);
        if (!seen_.insert(dest).second)
            throw HttpFail{http::status::bad_request, "cannot upload the same path twice in one request: '" + dest + "'"};
        file_.emplace(dest, user_, md_);
        file_->open();
    }

    void finish_part() {
        if (!file_) return;
        file_->commit();
        out_.push_back({file_->dest()});
        file_.reset();
    }

    std::string delim_;
    std::optional<std::string> path_param_;
    const User& user_;
    const std::map<std::string, std::string>& md_;
    std::vector<Written>& out_;
    std::boyer_moore_horspool_searcher<std::string::const_iterator> search_;
    std::string buf_;
    size_t pos_ = 0;
    State state_ = kPreamble;
    std::optional<FileSink> file_;
    std::set<std::string> seen_;
    int files_seen_ = 0;
};

// X-Metadata-<key> headers → metadata map (first value wins). Empty optional + response on error.
bool parse_metadata(const http::request_header<>& h, std::map<std::string, std::string>* md, std::string* err) {
    size_t total = 0;
    auto printable = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    };
    for (auto& f : h) {
        std::string name = lower(std::string(f.name_string()));
        if (name.compare(0, 11, "x-metadata-") != 0) continue;
        std::string key = name.substr(11);
        std::string val(f.value());
        if (key.empty()) {
            *err = "metadata key must not be empty";
            return false;
        }
        if (!printable(key) || !printable(val)) {
            *err = "metadata key and value must be printable ASCII: '" + key + "'";
            return false;
        }
        if (key.size() > 246) {
            *err = "metadata key longer than 246 bytes: '" + key.substr(0, 32) + "...'";
            return false;
        }
        if (md->count(key)) continue;
        total += strlen(kMetadataPrefix) + key.size() + val.size();
        if (total > 4096) {
            *err = "metadata larger than 4096 bytes in total";
            return false;
        }
        (*md)[key] = val;
    }
    return true;
}

// Answers an upload with an error only after reading (and discarding) a bounded amount of the
// body: clients still sending it would otherwise see a reset instead of the response.
constexpr size_t kMaxDrain = 8u << 20;

void reject_upload(const std::shared_ptr<HttpExchange>& ex, http::status st, std::string msg) {
    auto drained = std::make_shared<size_t>(0);
    ex->read_body(
        [drained](std::string_view piece) {
            *drained += piece.size();
            return *drained <= kMaxDrain;
        },
        [ex, st, msg = std::move(msg)](beast::error_code) { ex->respond_error(st, msg); });
}

struct Upload {
    User user;
    std::map<std::string, std::string> md;
    std::vector<Written> written;
    std::unique_ptr<BodySink> parser;
    std::unique_ptr<BodySink> gunzip;
    BodySink* head = nullptr;
    std::optional<HttpFail> failed;
    size_t drained = 0;
};

void handle_post(Agent& a, std::shared_ptr<HttpExchange> ex) {
    std::string why;
    if (!authorize(a, *ex, "write", &why)) return reject_upload(ex, http::status::unauthorized, why);
    std::string uname = ex->query_param("username").value_or("");
    if (uname.empty()) uname = a.config().default_user;
    auto user = lookup_user(uname);
    if (!user) return reject_upload(ex, http::status::unauthorized, "error looking up user '" + uname + "'");
    auto& h = ex->headers();

    auto up = std::make_shared<Upload>();
    up->user = *user;
    std::string err;
    if (!parse_metadata(h, &up->md, &err)) return reject_upload(ex, http::status::bad_request, err);

    std::string ctype = header(h, "Content-Type");
    std::string media = lower(ctype.substr(0, ctype.find(';')));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    std::string enc = lower(header(h, "Content-Encoding"));
    if (!enc.empty() && enc != "identity" && enc != "gzip")
        return reject_upload(ex, http::status::bad_request, "unsupported Content-Encoding '" + enc + "'");

    auto path_param = ex->query_param("path");
    if (path_param && path_param->empty()) path_param.reset();
    try {
        if (media == "multipart/form-data") {
            std::string boundary;
            size_t bpos = lower(ctype).find("boundary=");
            if (bpos != std::string::npos) {
                boundary = ctype.substr(bpos + 9);
                if (!boundary.empty() && boundary[0] == '"') {
                    size_t q = boundary.find('"', 1);
                    boundary = boundary.substr(1, q == std::string::npos ? std::string::npos : q - 1);
                } else {
                    boundary = boundary.substr(0, boundary.find_first_of("; \t"));
                }
            }
            if (boundary.empty() || boundary.size() > 200)
                return reject_upload(ex, http::status::bad_request, "multipart body without a valid boundary");
            up->parser = std::make_unique<MultipartSink>(boundary,
                                                         path_param ? std::optional<std::string>(*path_param) : std::nullopt,
                                                         up->user, up->md, up->written);
        } else if (media == "application/octet-stream") {
            if (!path_param)
                return reject_upload(ex, http::status::bad_request, "the path query parameter is required for application/octet-stream uploads");
            up->parser = std::make_unique<OctetSink>(resolve_path(*path_param, up->user), up->user, up->md, up->written);
        } else {
            return reject_upload(ex, http::status::bad_request,
                                     "unsupported Content-Type '" + ctype + "': use multipart/form-data or application/octet-stream");
        }
        up->head = up->parser.get();
        if (enc == "gzip") {
            up->gunzip = std::make_unique<GunzipSink>(*up->parser);
            up->head = up->gunzip.get();
        }
    } catch (const HttpFail& f) {
        return reject_upload(ex, f.status, f.message);
    }

    ex->read_body(
        [up](std::string_view piece) {
            if (up->failed) {  // keep draining a little so the client gets to read the error
                up->drained += piece.size();
                return up->drained <= kMaxDrain;
            }
            try {
                up->head->data(piece.data(), piece.size());
            } catch (const HttpFail& f) {
                up->failed = f;
                up->gunzip.reset();  // drops a part in progress, removing its temp file
                up->parser.reset();
            }
            return true;
        },
        [up, ex](beast::error_code ec) {
            if (!up->failed && ec) up->failed = HttpFail{http::status::bad_request, "error reading request body: " + ec.message()};
            if (!up->failed) {
                try {
                    up->head->end();
                } catch (const HttpFail& f) {
                    up->failed = f;
                }
            }
            // Drops any part still in progress: its temp file is removed.
            up->gunzip.reset();
            up->parser.reset();
            if (up->failed) return ex->respond_error(up->failed->status, up->failed->message);
            Json arr = e2b::json_array();
            for (auto& w : up->written) {
                Json o = e2b::json_object();
                e2b::json_set_str(o.get(), "path", w.path);
                e2b::json_set_str(o.get(), "name", base_name(w.path));
                e2b::json_set_str(o.get(), "type", "file");
                if (!up->md.empty()) e2b::json_set(o.get(), "metadata", e2b::json_from_map(up->md));
                cJSON_AddItemToArray(arr.get(), o.release());
            }
            ex->respond_json(http::status::ok, arr.get());
        });
}

}  // namespace

void register_files_http(Agent& a) {
    a.http_route("GET", "/files", [&a](std::shared_ptr<HttpExchange> ex) { handle_get(a, std::move(ex)); });
    a.http_route("POST", "/files", [&a](std::shared_ptr<HttpExchange> ex) { handle_post(a, std::move(ex)); });
}

}  // namespace agent
