// HTTP/1.1 sessions of the agent (Boost.Beast over a unix socket): routing, Connect unary and
// server-streaming framing, streamed request bodies, access-token and user checks.
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/wait.h>

#include <deque>
#include <limits>
#include <sstream>

#include "agent/agent.hpp"
#include "util/encoding.hpp"

namespace agent {

namespace connect = e2b::connect;
using Socket = net::local::stream_protocol::socket;

namespace {

constexpr size_t kMaxRpcBody = 32u << 20;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
}

class Session;

class StreamImpl : public ServerStream, public std::enable_shared_from_this<StreamImpl> {
public:
    explicit StreamImpl(std::shared_ptr<Session> s) : session_(std::move(s)) {}
    void send(const cJSON* msg) override;
    void send_json(std::string json) override;
    void finish(const RpcError* err) override;
    bool finished() const override { return finished_; }
    void on_close(std::function<void(Code)> cb) override { on_close_ = std::move(cb); }
    void set_keepalive(Json msg) override;
    size_t pending_bytes() const override;
    void notify_below(size_t bytes, std::function<void()> cb) override;

    // Plain chunked bodies (ResponseStream): raw data chunks and the terminating chunk.
    void send_chunk(const std::string& data);
    void finish_chunks();

    // Called by the session.
    void closed_by_peer() { close_with(Code::kCanceled); }
    void start_timers(int64_t timeout_ms, int keepalive_s);

private:
    void close_with(Code reason);
    void arm_keepalive();
    void wait_keepalive(std::chrono::steady_clock::time_point due);

    std::shared_ptr<Session> session_;
    bool finished_ = false;
    std::function<void(Code)> on_close_;
    Json keepalive_msg_;
    int keepalive_s_ = 90;
    bool keepalive_armed_ = false;
    std::chrono::steady_clock::time_point last_send_;
    std::unique_ptr<net::steady_timer> keepalive_timer_, deadline_timer_;
};

class Session : public std::enable_shared_from_this<Session>, public HttpExchange {
public:
    Session(Agent& a, Socket sock, const HttpHandler* only = nullptr) : agent_(a), sock_(std::move(sock)), only_(only) {
        // Room for 1 MiB in flight towards e2b-local: fewer wakeups per byte on big responses.
        // A limit, not an allocation: an idle connection costs nothing more.
        beast::error_code ig;
        sock_.set_option(net::socket_base::send_buffer_size(1 << 20), ig);
    }

    void start() { read_header(); }

    // HttpExchange
    const http::request_header<>& headers() const override {
        if (bp_) return bp_->get();
        return hp_->get();
    }
    const std::string& path() const override { return path_; }
    const std::multimap<std::string, std::string>& query() const override { return query_; }
    void read_body(std::function<bool(std::string_view)> on_data,
                   std::function<void(beast::error_code)> on_done) override;
    void respond(http::status st, std::string content_type, std::string body,
                 std::vector<std::pair<std::string, std::string>> extra) override;
    void respond_fd(http::status st, int fd, uint64_t size, std::string content_type,
                    std::vector<std::pair<std::string, std::string>> extra) override;
    std::shared_ptr<ResponseStream> start_stream(http::status st, std::string content_type,
                                                 std::vector<std::pair<std::string, std::string>> extra) override;

    // Streaming output (used by StreamImpl).
    void stream_write(std::string data, bool last);
    bool peer_gone() const { return peer_gone_; }
    size_t out_bytes() const { return out_bytes_; }
    void notify_below(size_t bytes, std::function<void()> cb);
    net::any_io_executor executor() { return sock_.get_executor(); }

private:
    void read_header();
    void dispatch();
    void read_full_body(std::function<void(std::string)> then);
    void pump_body();
    bool request_read() const;
    void body_done(beast::error_code ec);
    void handle_unary(const UnaryHandler& h, std::string body);
    void handle_stream(const StreamHandler& h, std::string body);
    bool resolve_user(User* out, RpcError* err);
    void finish_exchange();
    void schedule_flush();
    void flush_stream();
    void open_stream(http::response<http::empty_body>& res);  // header queued, body via stream_
    struct FileSend;
    void send_file(std::shared_ptr<FileSend> f);
    void watch_peer();
    void close();

    Agent& agent_;
    Socket sock_;
    const HttpHandler* only_;  // plain listener: every request goes here
    beast::flat_buffer buf_;
    std::optional<http::request_parser<http::empty_body>> hp_;
    std::optional<http::request_parser<http::buffer_body>> bp_;
    std::string path_;
    std::multimap<std::string, std::string> query_;
    bool keep_alive_ = true;
    bool responded_ = false;
    bool body_started_ = false;
    bool body_abandoned_ = false;

    // streamed body
    // Only while a body is read: idle keep-alive sessions then stay small.
    static constexpr size_t kChunk = 256 * 1024;
    static constexpr size_t kParserRead = 64 * 1024;  // Beast's cap on one read
    std::unique_ptr<char[]> chunk_;
    bool raw_body_ = false;  // the rest of a Content-Length body is read without the parser
    uint64_t raw_left_ = 0;
    std::function<bool(std::string_view)> on_data_;
    std::function<void(beast::error_code)> on_done_;

    // streaming response
    std::shared_ptr<StreamImpl> stream_;
    std::deque<std::string> out_q_;
    std::vector<net::const_buffer> out_bufs_;  // the write in flight: the front of out_q_
    size_t out_bytes_ = 0;  // queued, not yet written
    size_t drain_below_ = 0;
    std::function<void()> drain_cb_;  // see ServerStream::notify_below
    bool writing_ = false;
    bool flush_posted_ = false;
    bool last_queued_ = false;
    bool peer_gone_ = false;
    char peek_[1];
    bool peeking_ = false;
    bool resume_after_peek_ = false;
};

void Session::read_header() {
    hp_.emplace();
    hp_->header_limit(64 * 1024);
    // Beast rejects a Content-Length above the limit already while parsing the header (default
    // 1 MiB); bodies are size-checked by read_full_body / the handlers instead.
    hp_->body_limit(std::numeric_limits<std::uint64_t>::max());
    bp_.reset();
    responded_ = false;
    body_started_ = false;
    body_abandoned_ = false;
    raw_body_ = false;
    raw_left_ = 0;
    stream_.reset();
    auto self = shared_from_this();
    http::async_read_header(sock_, buf_, *hp_, [self](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->dispatch();
    });
}

void Session::dispatch() {
    auto& req = hp_->get();
    keep_alive_ = req.keep_alive();
    std::string target(req.target());
    size_t qpos = target.find('?');
    path_ = target.substr(0, qpos);
    query_ = qpos == std::string::npos ? std::multimap<std::string, std::string>{}
                                       : e2b::parse_query(std::string_view(target).substr(qpos + 1));
    if (only_) return (*only_)(shared_from_this());

    // envd: every route but /health and /files needs the access token when one is set.
    const auto& token = agent_.config().access_token;
    if (!token.empty() && path_ != "/health" && path_ != "/files") {
        auto it = req.find("X-Access-Token");
        if (it == req.end() || !e2b::secure_equal(std::string(it->value()), token)) {
            respond_error(http::status::unauthorized,
                          "unauthorized access, please provide a valid access token or method signing if supported");
            return;
        }
    }

    std::string method(req.method_string());
    if (method == "POST") {
        if (auto* h = agent_.find_unary(path_)) {
            auto self = shared_from_this();
            read_full_body([self, h](std::string body) { self->handle_unary(*h, std::move(body)); });
            return;
        }
        if (auto* h = agent_.find_stream(path_)) {
            auto self = shared_from_this();
            read_full_body([self, h](std::string body) { self->handle_stream(*h, std::move(body)); });
            return;
        }
    }
    if (auto* h = agent_.find_http(method, path_)) return (*h)(shared_from_this());
    if (auto* h = agent_.find_http("", path_)) return (*h)(shared_from_this());
    if (path_.rfind("/process.Process/", 0) == 0 || path_.rfind("/filesystem.Filesystem/", 0) == 0) {
        respond(http::status::not_found, "application/json",
                connect::error_json(Code::kUnimplemented, path_ + " is not implemented"), {});
        return;
    }
    respond_error(http::status::not_found, "no route for " + method + " " + path_);
}

void Session::read_body(std::function<bool(std::string_view)> on_data,
                        std::function<void(beast::error_code)> on_done) {
    body_started_ = true;
    on_data_ = std::move(on_data);
    on_done_ = std::move(on_done);
    bp_.emplace(std::move(*hp_));
    bp_->body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.74 treats it as 0
    if (bp_->is_done()) return body_done({});
    pump_body();
}

// The callbacks may hold the session (a reference cycle): drop both before calling on_done.
void Session::body_done(beast::error_code ec) {
    on_data_ = nullptr;
    chunk_.reset();
    if (buf_.capacity() >= kParserRead) buf_.shrink_to_fit();  // idle keep-alive sessions stay small
    auto done = std::move(on_done_);
    on_done_ = nullptr;
    done(ec);
}

void Session::pump_body() {
    if (!chunk_) chunk_.reset(new char[kChunk]);
    auto self = shared_from_this();
    // A Content-Length body, once the parser has used up what buf_ held, is read straight into
    // chunk_, as much as the socket has (Beast would read it 64 KiB at a time through buf_).
    if (!raw_body_ && buf_.size() == 0 && !bp_->chunked() && bp_->content_length_remaining()) {
        raw_body_ = true;
        raw_left_ = *bp_->content_length_remaining();
    }
    if (raw_body_) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(raw_left_, kChunk));
        sock_.async_read_some(net::buffer(chunk_.get(), want), [self](beast::error_code ec, size_t n) {
            self->raw_left_ -= n;
            if (n > 0 && !self->on_data_(std::string_view(self->chunk_.get(), n))) {
                self->body_abandoned_ = true;
                self->keep_alive_ = false;
                return self->body_done({});
            }
            if (self->raw_left_ == 0) return self->body_done({});
            if (ec) {
                self->keep_alive_ = false;
                return self->body_done(ec == net::error::eof ? beast::error_code(http::error::partial_message) : ec);
            }
            self->pump_body();
        });
        return;
    }
    // Beast reads at most buf_'s free capacity (512 bytes after a small header): give it room.
    if (buf_.capacity() - buf_.size() < kParserRead) buf_.reserve(buf_.size() + kParserRead);
    bp_->get().body().data = chunk_.get();
    bp_->get().body().size = kChunk;
    http::async_read_some(sock_, buf_, *bp_, [self](beast::error_code ec, size_t) {
        if (ec == http::error::need_buffer) ec = {};
        size_t n = kChunk - self->bp_->get().body().size;
        if (!ec && n > 0 && !self->on_data_(std::string_view(self->chunk_.get(), n))) {
            self->body_abandoned_ = true;
            self->keep_alive_ = false;
            return self->body_done({});
        }
        if (ec) {
            self->keep_alive_ = false;
            return self->body_done(ec);
        }
        if (self->bp_->is_done()) return self->body_done({});
        self->pump_body();
    });
}

// Whether the whole request, body included, has been read (the connection can then carry the next).
bool Session::request_read() const {
    if (!bp_) return hp_->is_done();
    return bp_->is_done() || (raw_body_ && raw_left_ == 0);
}

void Session::read_full_body(std::function<void(std::string)> then) {
    auto body = std::make_shared<std::string>();
    auto self = shared_from_this();
    read_body(
        [body](std::string_view piece) {
            if (body->size() + piece.size() > kMaxRpcBody) return false;
            body->append(piece.data(), piece.size());
            return true;
        },
        [body, self, then = std::move(then)](beast::error_code ec) {
            if (ec) return self->close();
            if (self->body_abandoned_) {
                self->respond(http::status::payload_too_large, "application/json",
                              connect::error_json(Code::kResourceExhausted, "request body too large"), {});
                return;
            }
            then(std::move(*body));
        });
}

// lookup_user() goes through NSS (passwd, group, systemd's userdb probes: ~40 file system calls)
// on every request; its answers are kept until one of the files it reads changes.
std::optional<User> cached_user(const std::string& name) {
    struct Entry {
        std::string stamp;
        std::optional<User> user;
    };
    static std::map<std::string, Entry> cache;
    std::string stamp;
    for (const char* f : {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf"}) {
        struct stat st {};
        if (::stat(f, &st) != 0) return lookup_user(name);
        char b[96];
        snprintf(b, sizeof b, "%lu:%lu:%lld:%ld.%ld;", static_cast<unsigned long>(st.st_dev),
                 static_cast<unsigned long>(st.st_ino), static_cast<long long>(st.st_size),
                 static_cast<long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec));
        stamp += b;
    }
    auto it = cache.find(name);
    if (it != cache.end() && it->second.stamp == stamp) return it->second.user;
    auto u = lookup_user(name);
    if (cache.size() > 64) cache.clear();
    cache[name] = Entry{stamp, u};
    return u;
}

bool Session::resolve_user(User* out, RpcError* err) {
    std::string name = agent_.config().default_user;
    auto& req = headers();
    auto it = req.find(http::field::authorization);
    if (it != req.end()) {
        std::string v(it->value());
        if (v.size() > 6 && lower(v.substr(0, 6)) == "basic ") {
            auto dec = e2b::base64_decode(v.substr(6));
            if (!dec) {
                *err = {Code::kUnauthenticated, "invalid authorization header"};
                return false;
            }
            name = dec->substr(0, dec->find(':'));
        }
    }
    auto u = cached_user(name);
    if (!u) {
        *err = {Code::kUnauthenticated, "invalid username: '" + name + "'"};
        return false;
    }
    *out = std::move(*u);
    return true;
}

void Session::handle_unary(const UnaryHandler& h, std::string body) {
    auto reply_err = [&](const RpcError& e) {
        respond(static_cast<http::status>(connect::code_http_status(e.code)), "application/json",
                connect::error_json(e.code, e.message), {});
    };
    User user;
    RpcError err;
    if (!resolve_user(&user, &err)) return reply_err(err);
    Json req = e2b::json_parse(body.empty() ? std::string_view("{}") : std::string_view(body));
    if (!req || !cJSON_IsObject(req.get()))
        return reply_err({Code::kInvalidArgument, "request body is not a JSON object"});
    RpcContext ctx{agent_, headers(), std::move(user)};
    Json res;
    try {
        res = h(ctx, req.get());
    } catch (const RpcError& e) {
        return reply_err(e);
    } catch (const std::exception& e) {
        return reply_err({Code::kInternal, e.what()});
    }
    respond(http::status::ok, "application/json", res ? e2b::json_print(res.get()) : "{}", {});
}

void Session::handle_stream(const StreamHandler& h, std::string body) {
    auto& req = headers();
    int64_t timeout_ms = 0;
    if (auto it = req.find("Connect-Timeout-Ms"); it != req.end()) {
        try {
            timeout_ms = std::stoll(std::string(it->value()));
        } catch (...) {
        }
    }
    int keepalive_s = 90;
    if (auto it = req.find("Keepalive-Ping-Interval"); it != req.end()) {
        try {
            int k = std::stoi(std::string(it->value()));
            if (k > 0) keepalive_s = k;
        } catch (...) {
        }
    }

    // Streams always answer 200; errors travel in the end-of-stream envelope.
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/connect+json");
    open_stream(res);

    auto st = stream_;
    auto fail = [&](Code c, const std::string& m) {
        RpcError e{c, m};
        st->finish(&e);
    };
    // Envelope: flags + length + JSON.
    e2b::connect::EnvelopeReader rd(kMaxRpcBody);
    rd.feed(body);
    e2b::connect::Envelope env;
    if (rd.next(&env) != e2b::connect::EnvelopeReader::Status::kMessage)
        return fail(Code::kInvalidArgument, "request is not a Connect envelope");
    if (env.flags & connect::kFlagCompressed) return fail(Code::kInternal, "compressed messages are not supported");
    Json msg = e2b::json_parse(env.payload.empty() ? std::string_view("{}") : std::string_view(env.payload));
    if (!msg || !cJSON_IsObject(msg.get())) return fail(Code::kInvalidArgument, "request message is not a JSON object");
    User user;
    RpcError err;
    if (!resolve_user(&user, &err)) return st->finish(&err);
    RpcContext ctx{agent_, req, std::move(user), timeout_ms, keepalive_s};
    st->start_timers(timeout_ms, keepalive_s);
    try {
        h(ctx, msg.get(), st);
    } catch (const RpcError& e) {
        st->finish(&e);
    } catch (const std::exception& e) {
        fail(Code::kInternal, e.what());
    }
}

void Session::watch_peer() {
    // The client sends nothing while a stream is open; a completed read means it went away.
    auto self = shared_from_this();
    peeking_ = true;
    sock_.async_read_some(net::buffer(peek_), [self](beast::error_code ec, size_t n) {
        self->peeking_ = false;
        // A byte read here may be the start of the next request on this keep-alive connection.
        if (!ec && n > 0) self->buf_.commit(net::buffer_copy(self->buf_.prepare(n), net::buffer(self->peek_, n)));
        if (self->resume_after_peek_) {  // the stream ended while this read was pending
            self->resume_after_peek_ = false;
            if (ec) return self->close();
            return self->read_header();
        }
        if (!self->stream_ || self->stream_->finished()) return;
        if (ec) {
            self->peer_gone_ = true;
            self->stream_->closed_by_peer();
            return self->close();  // drops stream_, which holds the session
        }
        self->watch_peer();
    });
}

void Session::stream_write(std::string data, bool last) {
    if (peer_gone_ || last_queued_) return;
    out_bytes_ += data.size();
    out_q_.push_back(std::move(data));
    if (last) last_queued_ = true;
    schedule_flush();
}

// Flushes after the current handler: what it queued (header + start event, end event +
// end-of-stream) leaves in one write, i.e. one wakeup of the relay and of the client.
void Session::schedule_flush() {
    if (flush_posted_ || writing_) return;
    flush_posted_ = true;
    net::post(sock_.get_executor(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush_stream();
    });
}

void Session::flush_stream() {
    if (writing_ || out_q_.empty()) return;
    writing_ = true;
    out_bufs_.clear();
    for (auto& s : out_q_) {
        out_bufs_.push_back(net::buffer(s));
        if (out_bufs_.size() == 64) break;
    }
    size_t count = out_bufs_.size();
    auto self = shared_from_this();
    // Whole buffers per call: asio's default condition hands the socket at most 64 KiB at a time.
    auto whole = [](const beast::error_code& ec, size_t) { return ec ? 0 : std::numeric_limits<size_t>::max(); };
    net::async_write(sock_, out_bufs_, whole, [self, count](beast::error_code ec, size_t) {
        self->writing_ = false;
        for (size_t i = 0; i < count; ++i) {
            self->out_bytes_ -= self->out_q_.front().size();
            self->out_q_.pop_front();
        }
        if (self->drain_cb_ && !ec && self->out_bytes_ <= self->drain_below_) {
            auto cb = std::move(self->drain_cb_);
            self->drain_cb_ = nullptr;
            cb();
        }
        if (ec) {
            self->peer_gone_ = true;
            self->drain_cb_ = nullptr;
            self->out_q_.clear();
            self->out_bytes_ = 0;
            if (self->stream_) self->stream_->closed_by_peer();
            return self->close();
        }
        if (!self->out_q_.empty()) return self->flush_stream();
        if (self->last_queued_) {
            self->last_queued_ = false;
            self->finish_exchange();
        }
    });
}

void Session::respond(http::status st, std::string content_type, std::string body,
                      std::vector<std::pair<std::string, std::string>> extra) {
    if (responded_) return;
    responded_ = true;
    auto res = std::make_shared<http::response<http::string_body>>(st, headers().version());
    if (!content_type.empty()) res->set(http::field::content_type, content_type);
    for (auto& [k, v] : extra) res->set(k, v);
    res->body() = std::move(body);
    // A request whose body we did not read fully cannot be followed by another on this connection.
    if (!request_read()) keep_alive_ = false;
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    auto self = shared_from_this();
    http::async_write(sock_, *res, [self, res](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->finish_exchange();
    });
}

// A file body sent with sendfile(2): no copy through user space, and as much per call as the
// socket takes (Beast's file_body would write it 4 KiB at a time).
struct Session::FileSend {
    int fd;
    off_t off = 0;
    uint64_t size;
    std::string header;
    FileSend(int f, uint64_t n, std::string h) : fd(f), size(n), header(std::move(h)) {}
    ~FileSend() { ::close(fd); }
};

void Session::respond_fd(http::status st, int fd, uint64_t size, std::string content_type,
                         std::vector<std::pair<std::string, std::string>> extra) {
    if (responded_) {
        ::close(fd);
        return;
    }
    responded_ = true;
    http::response<http::empty_body> res{st, headers().version()};
    if (!content_type.empty()) res.set(http::field::content_type, content_type);
    for (auto& [k, v] : extra) res.set(k, v);
    if (!request_read()) keep_alive_ = false;
    res.keep_alive(keep_alive_);
    res.content_length(size);
    std::ostringstream hdr;
    hdr << res.base();
    auto f = std::make_shared<FileSend>(fd, size, hdr.str());
    auto self = shared_from_this();
    net::async_write(sock_, net::buffer(f->header), [self, f](beast::error_code ec, size_t) {
        if (ec) return self->close();
        std::string().swap(f->header);
        beast::error_code ig;
        self->sock_.native_non_blocking(true, ig);
        self->send_file(f);
    });
}

void Session::send_file(std::shared_ptr<FileSend> f) {
    // Bounded per turn so that other sessions on this thread get to run during a big download.
    constexpr uint64_t kTurn = 8u << 20;
    uint64_t sent = 0;
    while (static_cast<uint64_t>(f->off) < f->size) {
        if (sent >= kTurn) {
            net::post(sock_.get_executor(), [self = shared_from_this(), f] { self->send_file(f); });
            return;
        }
        size_t want = static_cast<size_t>(std::min<uint64_t>(f->size - static_cast<uint64_t>(f->off), 1u << 20));
        ssize_t n = ::sendfile(sock_.native_handle(), f->fd, &f->off, want);
        if (n > 0) {
            sent += static_cast<uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            sock_.async_wait(Socket::wait_write, [self = shared_from_this(), f](beast::error_code ec) {
                if (ec) return self->close();
                self->send_file(f);
            });
            return;
        }
        // A read error, or the file shrank below the Content-Length already sent: the body
        // cannot be completed, so the connection goes (the client sees a truncated response).
        return close();
    }
    finish_exchange();
}

// ResponseStream over the session's streaming machinery (StreamImpl without Connect framing).
class PlainStream : public ResponseStream {
public:
    explicit PlainStream(std::shared_ptr<StreamImpl> s) : s_(std::move(s)) {}
    void write(std::string data) override { s_->send_chunk(data); }
    void finish() override { s_->finish_chunks(); }
    bool finished() const override { return s_->finished(); }
    void on_close(std::function<void()> cb) override {
        s_->on_close([cb = std::move(cb)](Code) { cb(); });
    }
    size_t pending_bytes() const override { return s_->pending_bytes(); }

private:
    std::shared_ptr<StreamImpl> s_;
};

std::shared_ptr<ResponseStream> Session::start_stream(http::status st, std::string content_type,
                                                      std::vector<std::pair<std::string, std::string>> extra) {
    responded_ = true;
    http::response<http::empty_body> res{st, headers().version()};
    if (!content_type.empty()) res.set(http::field::content_type, content_type);
    for (auto& [k, v] : extra) res.set(k, v);
    if (!request_read()) keep_alive_ = false;
    open_stream(res);
    return std::make_shared<PlainStream>(stream_);
}

void Session::open_stream(http::response<http::empty_body>& res) {
    // A chunked response whose body is written piece by piece through stream_.
    res.chunked(true);
    res.keep_alive(keep_alive_);
    std::ostringstream hdr;
    hdr << res.base();
    stream_ = std::make_shared<StreamImpl>(shared_from_this());
    out_bytes_ += hdr.str().size();
    out_q_.push_back(hdr.str());
    schedule_flush();
    watch_peer();
}

void Session::finish_exchange() {
    stream_.reset();
    drain_cb_ = nullptr;
    if (!keep_alive_) return close();
    // Never run two reads at once: the pending peer-watch read continues into read_header().
    if (peeking_) {
        resume_after_peek_ = true;
        return;
    }
    read_header();
}

void Session::notify_below(size_t bytes, std::function<void()> cb) {
    if (peer_gone_) return;
    if (out_bytes_ <= bytes) {
        drain_cb_ = nullptr;
        net::post(sock_.get_executor(), std::move(cb));
        return;
    }
    drain_below_ = bytes;
    drain_cb_ = std::move(cb);
}

void Session::close() {
    drain_cb_ = nullptr;
    beast::error_code ec;
    sock_.shutdown(Socket::shutdown_both, ec);
    sock_.close(ec);
    if (stream_) {
        auto s = stream_;
        stream_.reset();
        s->closed_by_peer();
    }
}

// ---- StreamImpl ----

void StreamImpl::send(const cJSON* msg) { send_json(e2b::json_print(msg)); }

void StreamImpl::send_json(std::string json) {
    if (finished_ || session_->peer_gone()) return;
    // Chunk header and envelope prefix, then the JSON text as it is (no copy of a big message).
    char head[32];
    int hl = snprintf(head, sizeof head, "%zx\r\n", json.size() + 5);
    std::string pre(head, static_cast<size_t>(hl));
    uint32_t n = static_cast<uint32_t>(json.size());
    const char env[5] = {0, static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                         static_cast<char>(n)};
    pre.append(env, 5);
    session_->stream_write(std::move(pre), false);
    session_->stream_write(std::move(json), false);
    session_->stream_write("\r\n", false);
    arm_keepalive();
}

void StreamImpl::finish(const RpcError* err) {
    if (finished_) return;
    finished_ = true;
    if (keepalive_timer_) keepalive_timer_->cancel();
    if (deadline_timer_) deadline_timer_->cancel();
    std::string env = connect::envelope(
        connect::end_stream_json(err ? &err->code : nullptr, err ? err->message : ""), connect::kFlagEndStream);
    char sz[20];
    snprintf(sz, sizeof sz, "%zx\r\n", env.size());
    session_->stream_write(std::string(sz) + env + "\r\n0\r\n\r\n", true);
}

void StreamImpl::send_chunk(const std::string& data) {
    if (finished_ || data.empty() || session_->peer_gone()) return;
    char sz[20];
    snprintf(sz, sizeof sz, "%zx\r\n", data.size());
    session_->stream_write(std::string(sz) + data + "\r\n", false);
}

void StreamImpl::finish_chunks() {
    if (finished_) return;
    finished_ = true;
    session_->stream_write("0\r\n\r\n", true);
}

void StreamImpl::set_keepalive(Json msg) { keepalive_msg_ = std::move(msg); }

size_t StreamImpl::pending_bytes() const { return finished_ ? 0 : session_->out_bytes(); }

void StreamImpl::notify_below(size_t bytes, std::function<void()> cb) {
    if (!finished_) session_->notify_below(bytes, std::move(cb));
}

void StreamImpl::start_timers(int64_t timeout_ms, int keepalive_s) {
    keepalive_s_ = keepalive_s;
    if (timeout_ms > 0) {
        deadline_timer_ = std::make_unique<net::steady_timer>(session_->executor());
        deadline_timer_->expires_after(std::chrono::milliseconds(timeout_ms));
        std::weak_ptr<StreamImpl> weak = std::static_pointer_cast<StreamImpl>(shared_from_this());
        deadline_timer_->async_wait([weak](beast::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->finished_) return;
            self->close_with(Code::kDeadlineExceeded);
        });
    }
    arm_keepalive();
}

// Called on every send. The timer is armed once and, when it fires, moved on to keepalive_s
// after the last send: re-arming it per message would cost a timerfd update each time.
void StreamImpl::arm_keepalive() {
    last_send_ = std::chrono::steady_clock::now();
    if (finished_ || keepalive_armed_) return;
    wait_keepalive(last_send_ + std::chrono::seconds(keepalive_s_));
}

void StreamImpl::wait_keepalive(std::chrono::steady_clock::time_point due) {
    if (!keepalive_timer_) keepalive_timer_ = std::make_unique<net::steady_timer>(session_->executor());
    keepalive_armed_ = true;
    keepalive_timer_->expires_at(due);
    std::weak_ptr<StreamImpl> weak = std::static_pointer_cast<StreamImpl>(shared_from_this());
    keepalive_timer_->async_wait([weak](beast::error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        self->keepalive_armed_ = false;
        if (ec || self->finished_) return;
        auto next = self->last_send_ + std::chrono::seconds(self->keepalive_s_);
        if (std::chrono::steady_clock::now() < next) return self->wait_keepalive(next);  // sent meanwhile
        if (self->keepalive_msg_) self->send(self->keepalive_msg_.get());  // re-arms
        else self->arm_keepalive();
    });
}

void StreamImpl::close_with(Code reason) {
    if (finished_) return;
    auto cb = std::move(on_close_);
    on_close_ = nullptr;
    if (cb) cb(reason);
    if (reason == Code::kDeadlineExceeded) {
        RpcError e{Code::kDeadlineExceeded, "the operation timed out"};
        finish(&e);
    } else {
        finished_ = true;
        if (keepalive_timer_) keepalive_timer_->cancel();
        if (deadline_timer_) deadline_timer_->cancel();
    }
}

}  // namespace

// ---- Agent ----

std::optional<std::string> HttpExchange::query_param(const std::string& key) const {
    auto it = query().find(key);
    if (it == query().end()) return std::nullopt;
    return it->second;
}

void HttpExchange::respond_error(http::status st, const std::string& message) {
    Json o = e2b::json_object();
    e2b::json_set_int(o.get(), "code", static_cast<int>(st));
    e2b::json_set_str(o.get(), "message", message);
    respond(st, "application/json", e2b::json_print(o.get()));
}

void HttpExchange::respond_json(http::status st, const cJSON* body) {
    respond(st, "application/json", e2b::json_print(body));
}

Agent::Agent(net::io_context& io, Config cfg) : io_(io), cfg_(std::move(cfg)), sigchld_(io, SIGCHLD) {
    watch_children();
}

void Agent::watch_children() {
    sigchld_.async_wait([this](beast::error_code ec, int) {
        if (ec) return;
        for (;;) {
            int status = 0;
            pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            auto it = child_cb_.find(pid);
            if (it != child_cb_.end()) {
                auto cb = std::move(it->second);
                child_cb_.erase(it);
                cb(status);
            }
        }
        watch_children();
    });
}

void Agent::listen(const std::string& socket_path) {
    ::unlink(socket_path.c_str());
    acceptor_.emplace(io_);
    net::local::stream_protocol::endpoint ep(socket_path);
    acceptor_->open(ep.protocol());
    acceptor_->bind(ep);
    ::chmod(socket_path.c_str(), 0600);
    acceptor_->listen(net::socket_base::max_listen_connections);
    accept();
}

void Agent::listen_plain(const std::string& socket_path, HttpHandler h) {
    plain_handler_ = std::move(h);
    ::unlink(socket_path.c_str());
    plain_acceptor_.emplace(io_);
    net::local::stream_protocol::endpoint ep(socket_path);
    plain_acceptor_->open(ep.protocol());
    plain_acceptor_->bind(ep);
    ::chmod(socket_path.c_str(), 0600);
    plain_acceptor_->listen(net::socket_base::max_listen_connections);
    accept_plain();
}

void Agent::accept_plain() {
    plain_acceptor_->async_accept([this](beast::error_code ec, Socket sock) {
        if (!ec) std::make_shared<Session>(*this, std::move(sock), &plain_handler_)->start();
        accept_plain();
    });
}

void Agent::accept() {
    acceptor_->async_accept([this](beast::error_code ec, Socket sock) {
        if (!ec) std::make_shared<Session>(*this, std::move(sock))->start();
        accept();
    });
}

const UnaryHandler* Agent::find_unary(const std::string& p) const {
    auto it = unary_.find(p);
    return it == unary_.end() ? nullptr : &it->second;
}
const StreamHandler* Agent::find_stream(const std::string& p) const {
    auto it = stream_.find(p);
    return it == stream_.end() ? nullptr : &it->second;
}
const HttpHandler* Agent::find_http(const std::string& method, const std::string& p) const {
    auto it = http_.find(method + " " + p);
    return it == http_.end() ? nullptr : &it->second;
}

std::map<std::string, std::string> Agent::process_env(const User& u,
                                                      const std::map<std::string, std::string>& extra) const {
    std::map<std::string, std::string> env{
        {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
        {"HOME", u.home},
        {"USER", u.name},
        {"LOGNAME", u.name},
    };
    for (auto& [k, v] : cfg_.env_vars) env[k] = v;
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

}  // namespace agent
