#include "router/front.hpp"

#include <sys/socket.h>

#include <limits>
#include <sstream>

#include "util/encoding.hpp"
#include "util/json.hpp"

namespace e2blocal {

namespace {

using e2b::Json;
// Relay buffers start small (an idle stream costs little) and grow while reads fill them.
constexpr size_t kRelayChunk = 64 * 1024;
constexpr size_t kRelayMax = 256 * 1024;
constexpr size_t kParserRead = 64 * 1024;  // the most Beast reads into a flat_buffer at once
constexpr size_t kMaxApiBody = 1 << 20;
constexpr uint64_t kMaxApiDrain = 16u << 20;

bool is_hop_by_hop(beast::string_view name) {
    static const char* hop[] = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                                "upgrade", "transfer-encoding", "content-length", "expect"};
    for (auto* h : hop)
        if (beast::iequals(name, h)) return true;
    return false;
}

std::string header_value(const http::request_header<>& h, const char* name) {
    auto it = h.find(name);
    return it == h.end() ? std::string() : std::string(it->value());
}

template <class Header>
std::string serialize(const Header& h) {
    std::ostringstream os;
    os << h;
    return os.str();
}

// Completion condition for whole-buffer writes: asio's default (transfer_all) hands the socket
// at most 64 KiB per call, i.e. four calls and scheduler round trips for a 256 KiB piece.
size_t whole_buffers(const beast::error_code& ec, size_t) { return ec ? 0 : std::numeric_limits<size_t>::max(); }

template <class Stream>
bool write_all(Stream& s, std::initializer_list<net::const_buffer> bufs, Yield y) {
    beast::error_code ec;
    net::async_write(s, std::vector<net::const_buffer>(bufs), whole_buffers, y[ec]);
    return !ec;
}

bool write_simple(tcp::socket& s, unsigned version, int status, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers, bool keep_alive, Yield y) {
    http::response<http::string_body> res{static_cast<http::status>(status), version};
    if (!body.empty()) res.set(http::field::content_type, "application/json");
    for (auto& [k, v] : headers) res.set(k, v);
    res.body() = body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    beast::error_code ec;
    http::async_write(s, res, y[ec]);
    return !ec && keep_alive;
}

std::string sandbox_502(const std::string& id, const char* message, int port = 0) {
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "sandboxId", id);
    e2b::json_set_str(j.get(), "message", message);
    if (port) e2b::json_set_int(j.get(), "port", port);
    e2b::json_set_int(j.get(), "code", 502);
    return e2b::json_print(j.get());
}

bool expects_continue(const http::request_header<>& h) {
    auto it = h.find(http::field::expect);
    return it != h.end() && beast::iequals(it->value(), "100-continue");
}

// Copies raw bytes one way until EOF or error (WebSocket and other upgraded connections).
template <class From, class To>
void pump(From& from, To& to, Yield y) {
    std::vector<char> buf(kRelayChunk);
    beast::error_code ec;
    for (;;) {
        size_t n = from.async_read_some(net::buffer(buf), y[ec]);
        if (ec) break;
        net::async_write(to, net::buffer(buf.data(), n), whole_buffers, y[ec]);
        if (ec) break;
    }
    beast::error_code ig;
    from.close(ig);
    to.close(ig);
}

// Appends one piece of body to `out` as a chunk.
void append_chunk(std::string& out, const char* data, size_t n) {
    char hdr[24];
    int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
    out.append(hdr, static_cast<size_t>(hl));
    out.append(data, n);
    out.append("\r\n", 2);
}

// Finds the end of a chunked body in bytes passed through unchanged: chunk-size lines (with any
// extensions), data, CRLFs, the last chunk and its trailer section. Malformed framing stops it.
class ChunkScanner {
public:
    // Consumes bytes up to the end of the body; returns how many belong to it.
    size_t feed(const char* p, size_t n) {
        size_t i = 0;
        while (i < n && st_ != kDone && st_ != kBad) {
            char c = p[i];
            switch (st_) {
                case kSize: {
                    int d = hex(c);
                    if (d >= 0 && digits_ < 15) {
                        size_ = size_ * 16 + static_cast<uint64_t>(d);
                        ++digits_;
                    } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
                        st_ = kExt;
                    } else if (digits_ > 0 && c == '\r') {
                        st_ = kSizeLf;
                    } else {
                        st_ = kBad;
                    }
                    ++i;
                    break;
                }
                case kExt:
                    if (c == '\r') st_ = kSizeLf;
                    else if (c == '\n') st_ = kBad;
                    ++i;
                    break;
                case kSizeLf:
                    if (c != '\n') {
                        st_ = kBad;
                        break;
                    }
                    ++i;
                    st_ = size_ ? kData : kTrailerLine;
                    break;
                case kData: {
                    size_t take = static_cast<size_t>(std::min<uint64_t>(size_, n - i));
                    i += take;
                    size_ -= take;
                    if (size_ == 0) st_ = kDataCr;
                    break;
                }
                case kDataCr:
                    st_ = c == '\r' ? kDataLf : kBad;
                    ++i;
                    break;
                case kDataLf:
                    st_ = c == '\n' ? kSize : kBad;
                    digits_ = 0;
                    ++i;
                    break;
                case kTrailerLine:  // at the start of a trailer line: CRLF ends the body
                    st_ = c == '\r' ? kEndLf : kTrailer;
                    ++i;
                    break;
                case kTrailer:
                    if (c == '\n') st_ = kTrailerLine;
                    ++i;
                    break;
                case kEndLf:
                    st_ = c == '\n' ? kDone : kBad;
                    ++i;
                    break;
                default:
                    break;
            }
        }
        return i;
    }
    bool done() const { return st_ == kDone; }
    bool bad() const { return st_ == kBad; }

private:
    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    enum State { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerLine, kTrailer, kEndLf, kDone, kBad };
    State st_ = kSize;
    uint64_t size_ = 0;
    int digits_ = 0;
};

// Room for 1 MiB in flight towards an agent (uploads): fewer wakeups on both sides. A limit,
// not an allocation.
void widen_send_buffer(net::local::stream_protocol::socket& s) {
    beast::error_code ig;
    s.set_option(net::socket_base::send_buffer_size(1 << 20), ig);
}

// Relays one request/response exchange between the client and an upstream stream (the agent's
// unix socket or a TCP port in the sandbox). Returns whether the client connection may be reused.
// With `keep_up` the upstream is asked to keep its connection open, and *up_reusable says whether
// it ended in a state where another request can follow on it.
template <class Up>
bool relay(net::io_context& io, tcp::socket& client, beast::flat_buffer& cbuf,
           http::request_parser<http::empty_body>& hp, Up& up, bool& cut, bool keep_up, bool* up_reusable,
           Yield y) {
    *up_reusable = false;
    const auto& req = hp.get();
    const unsigned version = req.version();
    const bool head = req.method() == http::verb::head;
    const bool upgrade = req.find(http::field::upgrade) != req.end();
    bool keep = req.keep_alive() && !upgrade;
    beast::error_code ec;

    // Upstream request header: same method/target/fields minus hop-by-hop ones.
    http::request<http::empty_body> ureq;
    ureq.method_string(req.method_string());
    ureq.target(req.target());
    ureq.version(11);
    for (auto& f : req)
        if (!is_hop_by_hop(f.name_string())) ureq.insert(f.name_string(), f.value());
    const bool has_body = !hp.is_done();
    const bool req_chunked = req.chunked();
    if (has_body) {
        if (req_chunked) ureq.set(http::field::transfer_encoding, "chunked");
        else if (auto cl = hp.content_length()) ureq.content_length(*cl);
    }
    if (upgrade) {
        ureq.set(http::field::connection, "Upgrade");
        ureq.set(http::field::upgrade, req[http::field::upgrade]);
    } else if (!keep_up) {
        ureq.set(http::field::connection, "close");
    }
    if (expects_continue(req) && !write_all(client, {net::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25)}, y)) return false;
    std::string uhdr = serialize(ureq.base());
    // Without a body the header goes now; with one it leaves with the first piece (one write).
    if (!has_body && !write_all(up, {net::buffer(uhdr)}, y)) return false;

    // Client side: stream the request body upstream, then watch for the client going away
    // (it sends nothing while a response streams; EOF means it disconnected).
    std::optional<http::request_parser<http::buffer_body>> bp;
    bool client_done = false, client_failed = false, client_gone = false, resp_done = false, body_sent = !has_body;
    bool req_body_done = !has_body;
    net::steady_timer client_wait(io, net::steady_timer::time_point::max());
    net::spawn(y, [&](Yield y2) {
        beast::error_code e;
        if (has_body) {
            bp.emplace(std::move(hp));
            bp->body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.74 treats it as 0
            std::unique_ptr<char[]> buf(new char[kRelayMax]);
            std::string head = std::move(uhdr);  // leaves with the first piece
            // Once the parser has used up what cbuf held, the rest of a Content-Length body is
            // read straight into buf, as much as the socket has, and written on unchanged.
            bool raw = false;
            uint64_t left = 0;
            while (!req_body_done) {
                size_t n = 0;
                if (!raw && cbuf.size() == 0 && !req_chunked && bp->content_length_remaining()) {
                    raw = true;
                    left = *bp->content_length_remaining();
                }
                if (raw) {
                    n = client.async_read_some(net::buffer(buf.get(), static_cast<size_t>(std::min<uint64_t>(left, kRelayMax))), y2[e]);
                    if (e) {
                        client_failed = true;
                        break;
                    }
                    left -= n;
                    req_body_done = left == 0;
                } else {
                    // Beast reads at most cbuf's free capacity: give it room for a full read.
                    if (cbuf.capacity() - cbuf.size() < kParserRead) cbuf.reserve(cbuf.size() + kParserRead);
                    bp->get().body().data = buf.get();
                    bp->get().body().size = kRelayMax;
                    http::async_read_some(client, cbuf, *bp, y2[e]);
                    if (e == http::error::need_buffer) e = {};
                    if (e) {
                        client_failed = true;
                        break;
                    }
                    n = kRelayMax - bp->get().body().size;
                    req_body_done = bp->is_done();
                }
                char chdr[24];
                net::const_buffer parts[5];
                size_t np = 0;
                if (!head.empty()) parts[np++] = net::buffer(head);
                if (n && req_chunked) parts[np++] = net::buffer(chdr, static_cast<size_t>(snprintf(chdr, sizeof chdr, "%zx\r\n", n)));
                if (n) parts[np++] = net::buffer(buf.get(), n);
                if (n && req_chunked) parts[np++] = net::buffer("\r\n", 2);
                if (req_body_done && req_chunked) parts[np++] = net::buffer("0\r\n\r\n", 5);
                if (np) {
                    net::async_write(up, std::vector<net::const_buffer>(parts, parts + np), whole_buffers, y2[e]);
                    if (e) {
                        client_failed = true;
                        break;
                    }
                }
                head.clear();
            }
            body_sent = !client_failed;
            if (client_failed) {
                beast::error_code ig;
                up.close(ig);  // the upstream waits for the rest of a body that will not come
            }
        }
        if (!client_failed && !resp_done && !upgrade && cbuf.size() == 0) {
            size_t n = client.async_read_some(cbuf.prepare(4096), y2[e]);
            if (!e) {
                cbuf.commit(n);  // a pipelined request: keep its bytes
            } else if (!resp_done) {
                client_gone = true;
                beast::error_code ig;
                up.close(ig);  // lets the agent see the cancellation
            }
        }
        client_done = true;
        client_wait.cancel();
    });
    auto finish_client_side = [&] {
        resp_done = true;
        if (!client_done) {
            if (!req_body_done) keep = false;  // unread body: the connection cannot be reused
            beast::error_code ig;
            client.cancel(ig);
            while (!client_done) client_wait.async_wait(y[ig]);
        }
        if (client_failed || client_gone) keep = false;
    };

    // Response: header, then body pieces flushed as they arrive.
    beast::flat_buffer ubuf;
    http::response_parser<http::buffer_body> rp;
    rp.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.74 treats it as 0
    rp.header_limit(64 * 1024);
    if (head) rp.skip(true);
    http::async_read_header(up, ubuf, rp, y[ec]);
    if (ec) {
        finish_client_side();
        if (cut || client_gone) return false;
        return write_simple(client, version, 502,
                            "{\"code\":502,\"message\":\"the sandbox closed the connection before answering\"}", {},
                            keep, y);
    }
    auto& ures = rp.get();

    if (ures.result() == http::status::switching_protocols) {
        http::response<http::empty_body> cres;
        cres.result(ures.result_int());
        cres.version(version);
        for (auto& f : ures) cres.insert(f.name_string(), f.value());
        finish_client_side();
        std::string h = serialize(cres.base());
        if (!write_all(client, {net::buffer(h)}, y)) return false;
        if (ubuf.size() && !write_all(client, {ubuf.data()}, y)) return false;
        if (cbuf.size() && !write_all(up, {cbuf.data()}, y)) return false;
        bool other_done = false;
        net::steady_timer wait(io, net::steady_timer::time_point::max());
        net::spawn(y, [&](Yield y2) {
            pump(client, up, y2);
            other_done = true;
            wait.cancel();
        });
        pump(up, client, y);
        beast::error_code ig;
        while (!other_done) wait.async_wait(y[ig]);
        return false;
    }

    http::response<http::empty_body> cres;
    cres.result(ures.result_int());
    cres.reason(ures.reason());
    cres.version(version);
    for (auto& f : ures)
        if (!is_hop_by_hop(f.name_string())) cres.insert(f.name_string(), f.value());
    const bool body_follows = !rp.is_done() && !head;
    const bool out_chunked = body_follows && (ures.chunked() || !rp.content_length());
    if (head) {
        if (auto cl = ures.find(http::field::content_length); cl != ures.end()) cres.set(http::field::content_length, cl->value());
    } else if (out_chunked) {
        cres.chunked(true);
    } else {
        cres.content_length(body_follows ? *rp.content_length() : 0);
    }
    cres.keep_alive(keep);
    const bool up_keep = ures.keep_alive();

    std::string out = serialize(cres.base());
    bool ok = true, resp_complete = !body_follows;
    auto flush = [&] {
        if (out.empty()) return true;
        bool r = write_all(client, {net::buffer(out)}, y);
        out.clear();
        return r;
    };
    if (body_follows && !out_chunked) {
        // A Content-Length body goes through unparsed: what came with the header leaves with
        // the response header, then each read from upstream is written on as it is.
        uint64_t left = *rp.content_length();
        size_t first = static_cast<size_t>(std::min<uint64_t>(ubuf.size(), left));
        ok = write_all(client, {net::buffer(out), net::buffer(ubuf.data().data(), first)}, y);
        out.clear();
        ubuf.consume(first);
        left -= first;
        std::unique_ptr<char[]> buf;
        size_t cap = kRelayChunk;
        while (ok && left > 0) {
            if (!buf) buf.reset(new char[kRelayMax]);
            size_t r = up.async_read_some(net::buffer(buf.get(), static_cast<size_t>(std::min<uint64_t>(left, cap))), y[ec]);
            if (ec) {
                ok = false;  // truncated
                break;
            }
            if (r == cap && cap < kRelayMax) cap *= 2;
            left -= r;
            ok = write_all(client, {net::buffer(buf.get(), r)}, y);
        }
        resp_complete = ok;
    } else if (body_follows && ures.chunked()) {
        // A chunked body goes through unchanged too (only scanned for its end): each read from
        // upstream is written on at once, so every upstream write reaches the client unbatched.
        ChunkScanner sc;
        size_t first = sc.feed(static_cast<const char*>(ubuf.data().data()), ubuf.size());
        ok = write_all(client, {net::buffer(out), net::buffer(ubuf.data().data(), first)}, y);
        out.clear();
        ubuf.consume(first);
        std::unique_ptr<char[]> buf;
        size_t cap = kRelayChunk;
        while (ok && !sc.done() && !sc.bad()) {
            if (!buf) buf.reset(new char[kRelayMax]);
            size_t r = up.async_read_some(net::buffer(buf.get(), cap), y[ec]);
            if (ec) {
                ok = false;  // truncated
                break;
            }
            if (r == cap && cap < kRelayMax) cap *= 2;
            size_t used = sc.feed(buf.get(), r);
            if (used < r) ubuf.commit(net::buffer_copy(ubuf.prepare(r - used), net::buffer(buf.get() + used, r - used)));
            ok = write_all(client, {net::buffer(buf.get(), used)}, y);
        }
        if (sc.bad()) ok = false;  // malformed upstream framing: the client's body is cut short
        resp_complete = ok && sc.done();
    } else if (body_follows) {
        // Close-delimited: re-framed as chunks; everything the upstream has sent so far leaves
        // in one write just before the relay would wait for more (the header goes with the first
        // piece). Each upstream write is thus flushed at once, in one client write.
        rp.eager(true);
        std::vector<char> buf(kRelayChunk);
        size_t cap = kRelayChunk;  // read size: grows while reads fill it
        while (!rp.is_done()) {
            beast::error_code pec = http::error::need_more;
            if (ubuf.size()) {
                rp.get().body().data = buf.data();
                rp.get().body().size = buf.size();
                pec = {};
                size_t used = rp.put(ubuf.data(), pec);
                ubuf.consume(used);
                if (pec == http::error::need_buffer) pec = {};
                if (!pec && used == 0) pec = http::error::need_more;  // no progress without more bytes
                size_t n = buf.size() - rp.get().body().size;
                if (n) append_chunk(out, buf.data(), n);
                if (rp.is_done()) break;
                if (pec && pec != http::error::need_more) {  // malformed upstream response
                    ok = false;
                    break;
                }
                if (!pec && out.size() < cap) continue;  // more to parse in ubuf
            }
            if (!flush()) {
                ok = false;
                break;
            }
            if (pec != http::error::need_more) continue;
            size_t r = up.async_read_some(ubuf.prepare(cap), y[ec]);
            if (ec) {
                // A close-delimited body ends at EOF; anything else is a truncated response.
                beast::error_code eec;
                if (ec == net::error::eof) rp.put_eof(eec);
                if (ec != net::error::eof || eec || !rp.is_done()) ok = false;
                break;
            }
            ubuf.commit(r);
            if (r == cap && cap < kRelayMax) {
                cap *= 2;
                buf.resize(cap);
            }
        }
        if (ok) out.append("0\r\n\r\n", 5);
        resp_complete = ok && rp.is_done();
    }
    if (ok && !flush()) ok = false;
    finish_client_side();
    *up_reusable = ok && keep_up && up_keep && resp_complete && ubuf.size() == 0 && body_sent && !cut && !client_gone;
    return ok && keep;
}

}  // namespace

tcp::endpoint Front::listen(const std::string& host, uint16_t port) {
    tcp::endpoint ep(net::ip::make_address(host), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
    net::spawn(io_, [this](Yield y) { accept_loop(y); });
    return acceptor_.local_endpoint();
}

void Front::close() {
    beast::error_code ec;
    acceptor_.close(ec);
}

void Front::accept_loop(Yield y) {
    for (;;) {
        beast::error_code ec;
        tcp::socket sock(io_);
        acceptor_.async_accept(sock, y[ec]);
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) continue;
        net::spawn(io_, [this, s = std::move(sock)](Yield y2) mutable {
            try {
                session(std::move(s), y2);
            } catch (const std::exception& e) {
                fprintf(stderr, "e2b-local: connection error: %s\n", e.what());
            }
        });
    }
}

void Front::session(tcp::socket sock, Yield y) {
    beast::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buf;
    for (;;) {
        http::request_parser<http::empty_body> hp;
        hp.header_limit(64 * 1024);
        hp.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.74 treats it as 0
        http::async_read_header(sock, buf, hp, y[ec]);
        if (ec == http::error::header_limit) {
            write_simple(sock, 11, 431, api_error_body(431, "request header too large"), {}, false, y);
            break;
        }
        if (ec) {
            if (ec != http::error::end_of_stream && ec != net::error::eof && ec != net::error::connection_reset &&
                ec != net::error::operation_aborted)
                fprintf(stderr, "e2b-local: reading request: %s\n", ec.message().c_str());
            break;
        }
        const auto& req = hp.get();
        bool routed = req.find("E2b-Sandbox-Id") != req.end() || req.find("E2b-Sandbox-Port") != req.end();
        std::string target(req.target());
        bool presigned = !routed && target.rfind("/files", 0) == 0 &&
                         (target.size() == 6 || target[6] == '?') && target.find("signature=") != std::string::npos;
        bool keep = (routed || presigned) ? proxy(sock, buf, hp, y) : serve_api(sock, buf, hp, y);
        if (!keep) break;
    }
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
}

bool Front::serve_api(tcp::socket& sock, beast::flat_buffer& buf, http::request_parser<http::empty_body>& hp, Yield y) {
    beast::error_code ec;
    unsigned version = hp.get().version();
    if (expects_continue(hp.get()) && !write_all(sock, {net::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25)}, y))
        return false;
    // Read the body ourselves: Beast checks a Content-Length against body_limit only while
    // parsing the header (which ran unlimited for the data plane). An oversized body is read and
    // discarded up to kMaxApiDrain so the client sees the 413 instead of a reset mid-upload.
    http::request_parser<http::buffer_body> bp{std::move(hp)};
    bp.body_limit(std::numeric_limits<std::uint64_t>::max());
    std::string body;
    uint64_t seen = 0;
    std::vector<char> chunk(16 * 1024);
    while (!bp.is_done()) {
        bp.get().body().data = chunk.data();
        bp.get().body().size = chunk.size();
        http::async_read_some(sock, buf, bp, y[ec]);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
            fprintf(stderr, "e2b-local: reading request body: %s\n", ec.message().c_str());
            return false;
        }
        size_t n = chunk.size() - bp.get().body().size;
        seen += n;
        if (seen <= kMaxApiBody) body.append(chunk.data(), n);
        if (seen > kMaxApiDrain) break;
    }
    if (seen > kMaxApiBody) {
        write_simple(sock, version, 413, api_error_body(413, "request body larger than 1 MiB"), {}, false, y);
        return false;
    }
    auto& req = bp.get();
    std::string target(req.target());
    size_t q = target.find('?');
    ApiRequest ar{req.method(), target.substr(0, q),
                  q == std::string::npos ? std::multimap<std::string, std::string>{}
                                         : e2b::parse_query(std::string_view(target).substr(q + 1)),
                  &req.base(), std::move(body)};
    ApiResponse r = api_.handle(ar, y);
    return write_simple(sock, version, r.status, r.body, r.headers, req.keep_alive(), y);
}

std::string Front::sandbox_for_signature(const std::string& target) {
    size_t q = target.find('?');
    if (q == std::string::npos) return {};
    auto params = e2b::parse_query(std::string_view(target).substr(q + 1));
    auto get = [&](const char* k) {
        auto it = params.find(k);
        return it == params.end() ? std::string() : it->second;
    };
    std::string sig = get("signature"), path = get("path"), user = get("username"), exp = get("signature_expiration");
    for (const char* op : {"read", "write"}) {
        for (Sandbox* sb : mgr_.all()) {
            if (sb->access_token.empty()) continue;
            std::string raw = path + ":" + op + ":" + user + ":" + sb->access_token + (exp.empty() ? "" : ":" + exp);
            if (e2b::secure_equal(sig, "v1_" + e2b::base64_encode(e2b::sha256(raw), false))) return sb->id;
        }
    }
    return {};
}

bool Front::proxy(tcp::socket& sock, beast::flat_buffer& buf, http::request_parser<http::empty_body>& hp, Yield y) {
    const auto& req = hp.get();
    const unsigned version = req.version();
    const bool unread_body = !hp.is_done();
    auto reply = [&](int status, const std::string& body) {
        return write_simple(sock, version, status, body, {}, req.keep_alive() && !unread_body, y);
    };

    std::string id = header_value(req, "E2b-Sandbox-Id");
    std::string port_s = header_value(req, "E2b-Sandbox-Port");
    if (req.find("E2b-Sandbox-Id") == req.end() && req.find("E2b-Sandbox-Port") == req.end()) {
        id = sandbox_for_signature(std::string(req.target()));
        if (id.empty()) return reply(401, api_error_body(401, "invalid or expired signature"));
        port_s = std::to_string(kEnvdPort);
    }
    if (id.empty()) return reply(400, api_error_body(400, "Missing header: E2b-Sandbox-Id"));
    if (port_s.empty()) return reply(400, api_error_body(400, "Missing header: E2b-Sandbox-Port"));
    int port = 0;
    try {
        size_t used = 0;
        port = std::stoi(port_s, &used);
        if (used != port_s.size() || port < 1 || port > 65535) throw 0;
    } catch (...) {
        return reply(400, api_error_body(400, "Invalid header: E2b-Sandbox-Port"));
    }
    if (auto dash = id.find('-'); dash != std::string::npos) id = id.substr(0, dash);

    Sandbox* sb = mgr_.find(id);
    if (!sb || sb->state != SbState::kRunning || !sb->jail)
        return reply(502, sandbox_502(id, "The sandbox was not found"));

    // Relays over a connected upstream; pausing or killing the sandbox meanwhile cuts it.
    auto relay_cuttable = [&](auto& up, bool keep_up, bool* up_reusable) {
        *up_reusable = false;
        Sandbox* s = mgr_.find(id);  // the connect above yielded: the sandbox may have changed
        if (!s || s->state != SbState::kRunning) return reply(502, sandbox_502(id, "The sandbox was not found"));
        bool cut = false;
        uint64_t token = mgr_.add_cutter(*s, [&] {
            cut = true;
            beast::error_code ig;
            up.close(ig);
        });
        bool keep = relay(io_, sock, buf, hp, up, cut, keep_up, up_reusable, y);
        mgr_.remove_cutter(id, token);
        if (cut) *up_reusable = false;
        return keep && !cut;
    };

    beast::error_code ec;
    if (port == kEnvdPort) {
        // An idle connection to this agent from an earlier request, or a new one.
        UnixSocket up = take_idle(id);
        if (!up.is_open()) {
            up.async_connect(net::local::stream_protocol::endpoint(sb->jail->agent_socket()), y[ec]);
            if (ec) return reply(502, sandbox_502(id, "The sandbox is running but its agent is not reachable"));
            widen_send_buffer(up);
        }
        bool reusable = false;
        bool keep = relay_cuttable(up, true, &reusable);
        if (reusable) put_idle(id, std::move(up));
        return keep;
    }

    if (port == kCodeInterpreterPort) {  // served by the agent on its second socket
        UnixSocket up(io_);
        up.async_connect(net::local::stream_protocol::endpoint(Manager::code_interpreter_socket(*sb)), y[ec]);
        if (ec) return reply(502, sandbox_502(id, "The sandbox is running but port is not open", port));
        widen_send_buffer(up);
        bool reusable = false;
        return relay_cuttable(up, false, &reusable);
    }

    std::string err;
    int fd = sb->jail->socket_in_netns(AF_INET, &err);
    if (fd < 0) return reply(502, sandbox_502(id, "The sandbox is running but port is not open", port));
    tcp::socket up(io_);
    up.assign(tcp::v4(), fd, ec);
    if (ec) {
        ::close(fd);
        return reply(502, sandbox_502(id, "The sandbox is running but port is not open", port));
    }
    up.async_connect(tcp::endpoint(net::ip::address_v4::loopback(), static_cast<uint16_t>(port)), y[ec]);
    if (ec) return reply(502, sandbox_502(id, "The sandbox is running but port is not open", port));
    up.set_option(tcp::no_delay(true), ec);
    bool reusable;
    return relay_cuttable(up, false, &reusable);
}

Front::UnixSocket Front::take_idle(const std::string& id) {
    auto it = idle_.find(id);
    while (it != idle_.end() && !it->second.empty()) {
        auto& list = it->second;
        IdleUp e = std::move(list.back());
        list.pop_back();
        --idle_count_;
        mgr_.remove_cutter(id, e.cutter);
        if (list.empty()) idle_.erase(it);
        // An idle agent connection has nothing to read; EOF or data means it is unusable.
        char c;
        ssize_t n = ::recv(e.sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::move(e.sock);
        beast::error_code ig;
        e.sock.close(ig);
        it = idle_.find(id);
    }
    return UnixSocket(io_);
}

void Front::put_idle(const std::string& id, UnixSocket sock) {
    Sandbox* sb = mgr_.find(id);
    auto& list = idle_[id];
    if (!sb || sb->state != SbState::kRunning || list.size() >= kMaxIdlePerSandbox || idle_count_ >= kMaxIdle) {
        if (list.empty()) idle_.erase(id);
        return;  // closes sock
    }
    uint64_t serial = ++idle_serial_;
    // Pause and kill run the cutters: the sandbox's idle connections go with its streams.
    uint64_t cutter = mgr_.add_cutter(*sb, [this, id, serial] {
        auto it = idle_.find(id);
        if (it == idle_.end()) return;
        auto& l = it->second;
        for (auto e = l.begin(); e != l.end(); ++e) {
            if (e->serial != serial) continue;
            l.erase(e);  // closes the socket
            --idle_count_;
            break;
        }
        if (l.empty()) idle_.erase(it);
    });
    list.push_back(IdleUp{std::move(sock), cutter, serial});
    ++idle_count_;
}

}  // namespace e2blocal
