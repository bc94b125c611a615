#include "api/api.hpp"

#include <algorithm>
#include <cmath>

#include "util/encoding.hpp"
#include "util/json.hpp"
#include "util/time.hpp"

namespace e2blocal {

using e2b::Json;

namespace {

// Rank of a log level for the v2 `level` filter; -1 when unknown.
int log_level_rank(const std::string& l) {
    if (l == "debug") return 0;
    if (l == "info") return 1;
    if (l == "warn") return 2;
    if (l == "error") return 3;
    return -1;
}

constexpr const char* kClientId = "6532622b";  // E2B keeps this constant for old clients

std::string json_body(const Json& j) { return e2b::json_print(j.get()); }

ApiResponse ok(int status, const Json& j) { return {status, j ? json_body(j) : std::string(), {}}; }

std::string not_found_msg(const std::string& id) {
    return "Sandbox \"" + id + "\" doesn't exist or you don't have access to it";
}

// "/sandboxes/<id>/pause" → segments.
std::vector<std::string> split_path(const std::string& p) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        if (j > i) out.push_back(p.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// Accepts the legacy "<id>-<clientID>" form; ids are [a-z0-9]+.
std::string sandbox_id(std::string raw) {
    auto dec = e2b::url_decode(raw, false);
    if (dec) raw = *dec;
    size_t dash = raw.find('-');
    if (dash != std::string::npos) raw = raw.substr(0, dash);
    if (raw.empty() || !std::all_of(raw.begin(), raw.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }))
        throw ApiError{400, "Invalid sandbox ID"};
    return raw;
}

Json parse_body(const ApiRequest& req, bool required) {
    if (req.body.empty()) {
        if (required) throw ApiError{400, "Request body is required"};
        return e2b::json_object();
    }
    Json j = e2b::json_parse(req.body);
    if (!j) throw ApiError{400, "Request body is not valid JSON"};
    if (!cJSON_IsObject(j.get())) throw ApiError{400, "Request body must be a JSON object"};
    return j;
}

int64_t body_int(const cJSON* j, const char* key, int64_t fallback) {
    const cJSON* v = e2b::json_get(j, key);
    if (!v) return fallback;
    if (!cJSON_IsNumber(v) || std::floor(v->valuedouble) != v->valuedouble)
        throw ApiError{400, std::string("'") + key + "' must be an integer"};
    return static_cast<int64_t>(v->valuedouble);
}

bool body_bool(const cJSON* j, const char* key, bool fallback) {
    const cJSON* v = e2b::json_get(j, key);
    if (!v) return fallback;
    if (!cJSON_IsBool(v)) throw ApiError{400, std::string("'") + key + "' must be a boolean"};
    return cJSON_IsTrue(v) != 0;
}

void body_map(const cJSON* j, const char* key, std::map<std::string, std::string>* out) {
    if (!e2b::json_string_map(e2b::json_get(j, key), out))
        throw ApiError{400, std::string("'") + key + "' must be an object of strings"};
}

Json sandbox_json(const Sandbox& sb, const std::string& envd_version) {
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "templateID", sb.template_id);
    e2b::json_set_str(j.get(), "sandboxID", sb.id);
    e2b::json_set_str(j.get(), "alias", sb.template_id);
    e2b::json_set_str(j.get(), "clientID", kClientId);
    e2b::json_set_str(j.get(), "envdVersion", envd_version);
    if (!sb.access_token.empty()) e2b::json_set_str(j.get(), "envdAccessToken", sb.access_token);
    e2b::json_set_null(j.get(), "trafficAccessToken");
    e2b::json_set_null(j.get(), "domain");
    return j;
}

// Fields shared by SandboxDetail and ListedSandbox.
Json listed_json(const Sandbox& sb, const std::string& envd_version) {
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "templateID", sb.template_id);
    e2b::json_set_str(j.get(), "alias", sb.template_id);
    e2b::json_set_str(j.get(), "sandboxID", sb.id);
    e2b::json_set_str(j.get(), "clientID", kClientId);
    e2b::json_set_str(j.get(), "startedAt", e2b::rfc3339(sb.started_at_ns, 3));
    e2b::json_set_str(j.get(), "endAt", e2b::rfc3339(sb.end_at_ns, 3));
    e2b::json_set_int(j.get(), "cpuCount", sb.cpu_count);
    e2b::json_set_int(j.get(), "memoryMB", sb.memory_mb);
    e2b::json_set_int(j.get(), "diskSizeMB", sb.disk_mb);
    e2b::json_set(j.get(), "metadata", e2b::json_from_map(sb.metadata));
    e2b::json_set_str(j.get(), "state", state_name(sb.state));
    e2b::json_set_str(j.get(), "envdVersion", envd_version);
    e2b::json_set(j.get(), "volumeMounts", e2b::json_array());
    return j;
}

Json detail_json(const Sandbox& sb, const std::string& envd_version) {
    Json j = listed_json(sb, envd_version);
    if (!sb.access_token.empty()) e2b::json_set_str(j.get(), "envdAccessToken", sb.access_token);
    e2b::json_set_bool(j.get(), "allowInternetAccess", sb.allow_internet);
    e2b::json_set_null(j.get(), "domain");
    cJSON* net = e2b::json_set_obj(j.get(), "network");
    e2b::json_set(net, "allowOut", e2b::json_array());
    Json deny = e2b::json_array();
    if (!sb.allow_internet) cJSON_AddItemToArray(deny.get(), cJSON_CreateString("0.0.0.0/0"));
    e2b::json_set(net, "denyOut", std::move(deny));
    e2b::json_set_bool(net, "allowPublicTraffic", true);
    cJSON* lc = e2b::json_set_obj(j.get(), "lifecycle");
    e2b::json_set_str(lc, "onTimeout", sb.auto_pause ? "pause" : "kill");
    e2b::json_set_bool(lc, "autoResume", false);
    return j;
}

Json metric_json(const Sandbox& sb, const JailMetrics& m) {
    int64_t now = e2b::now_unix_ns();
    Json j = e2b::json_object();
    e2b::json_set_str(j.get(), "timestamp", e2b::rfc3339(now, 0));
    e2b::json_set_int(j.get(), "timestampUnix", now / 1000000000);
    e2b::json_set_int(j.get(), "cpuCount", sb.cpu_count);
    cJSON_AddNumberToObject(j.get(), "cpuUsedPct", std::round(m.cpu_used_pct * 100) / 100);
    e2b::json_set_int(j.get(), "memUsed", static_cast<int64_t>(m.mem_used));
    e2b::json_set_int(j.get(), "memTotal", static_cast<int64_t>(m.mem_total));
    e2b::json_set_int(j.get(), "memCache", static_cast<int64_t>(m.mem_cache));
    e2b::json_set_int(j.get(), "diskUsed", static_cast<int64_t>(m.disk_used));
    e2b::json_set_int(j.get(), "diskTotal", static_cast<int64_t>(m.disk_total));
    return j;
}

std::optional<std::string> qparam(const ApiRequest& req, const std::string& k) {
    auto it = req.query.find(k);
    if (it == req.query.end()) return std::nullopt;
    return it->second;
}

// E2B's metadata filter: the (once-decoded) value is URL-decoded again, split on & and =, and
// each key/value decoded once more (the JS SDK encodes three times).
std::map<std::string, std::string> metadata_filter(const std::string& raw) {
    std::map<std::string, std::string> out;
    auto whole = e2b::url_decode(raw);
    if (!whole) throw ApiError{400, "Invalid metadata filter"};
    std::string_view s = *whole;
    while (!s.empty()) {
        size_t amp = s.find('&');
        std::string_view kv = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
        if (kv.empty()) continue;
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos || kv.find('=', eq + 1) != std::string_view::npos)
            throw ApiError{400, "Invalid metadata filter: expected key=value pairs"};
        auto k = e2b::url_decode(kv.substr(0, eq)), v = e2b::url_decode(kv.substr(eq + 1));
        if (!k || !v) throw ApiError{400, "Invalid metadata filter encoding"};
        out[*k] = *v;
    }
    return out;
}

}  // namespace

std::string api_error_body(int status, const std::string& message) {
    Json j = e2b::json_object();
    e2b::json_set_int(j.get(), "code", status);
    e2b::json_set_str(j.get(), "message", message);
    return e2b::json_print(j.get());
}

bool Api::authorized(const ApiRequest& req) const {
    auto it = req.headers->find("X-API-Key");
    std::string key;
    if (it != req.headers->end()) {
        key = std::string(it->value());
    } else if (auto a = req.headers->find(http::field::authorization); a != req.headers->end()) {
        std::string v(a->value());
        if (v.rfind("Bearer ", 0) == 0) key = v.substr(7);
    }
    if (key.empty()) return false;
    for (auto& k : keys_)
        if (e2b::secure_equal(k, key)) return true;
    return false;
}

ApiResponse Api::handle(const ApiRequest& req, Yield y) {
    try {
        return route(req, y);
    } catch (const ApiError& e) {
        return {e.status, api_error_body(e.status, e.message), {}};
    } catch (const std::exception& e) {
        return {500, api_error_body(500, std::string("internal error: ") + e.what()), {}};
    }
}

ApiResponse Api::route(const ApiRequest& req, Yield y) {
    auto seg = split_path(req.path);
    const auto m = req.method;
    const std::string& envd = mgr_.options().envd_version;

    if (seg.size() == 1 && seg[0] == "health" && m == http::verb::get) return {204, "", {}};
    if (!authorized(req)) throw ApiError{401, "Invalid API key"};

    // POST /sandboxes, GET /sandboxes (v1, running only)
    if (seg.size() == 1 && seg[0] == "sandboxes") {
        if (m == http::verb::post) {
            Json b = parse_body(req, true);
            CreateParams p;
            auto tpl = e2b::json_get(b.get(), "templateID");
            if (!tpl || !cJSON_IsString(tpl) || !*tpl->valuestring) throw ApiError{400, "'templateID' is required"};
            p.template_id = tpl->valuestring;
            p.timeout_s = body_int(b.get(), "timeout", 15);
            body_map(b.get(), "metadata", &p.metadata);
            body_map(b.get(), "envVars", &p.env_vars);
            p.auto_pause = body_bool(b.get(), "autoPause", false);
            p.secure = body_bool(b.get(), "secure", false);
            p.allow_internet = body_bool(b.get(), "allow_internet_access", true);
            // Resource requests (our extension for profiles; E2B sets them per template).
            p.cpu_count = static_cast<int>(body_int(b.get(), "cpuCount", 0));
            p.memory_mb = static_cast<int>(body_int(b.get(), "memoryMB", 0));
            if (p.cpu_count < 0 || p.cpu_count > 64 || p.memory_mb < 0 || (p.memory_mb && p.memory_mb < 32))
                throw ApiError{400, "cpuCount must be 1..64 and memoryMB at least 32"};
            Sandbox& sb = mgr_.create(p, y);
            return ok(201, sandbox_json(sb, envd));
        }
        if (m == http::verb::get) {
            std::map<std::string, std::string> mf;
            if (auto q = qparam(req, "metadata")) mf = metadata_filter(*q);
            Json arr = e2b::json_array();
            for (Sandbox* sb : mgr_.all()) {
                if (sb->state != SbState::kRunning) continue;
                bool match = true;
                for (auto& [k, v] : mf) {
                    auto it = sb->metadata.find(k);
                    if (it == sb->metadata.end() || it->second != v) match = false;
                }
                if (match) cJSON_AddItemToArray(arr.get(), listed_json(*sb, envd).release());
            }
            return ok(200, arr);
        }
        throw ApiError{405, "Method not allowed"};
    }

    // GET /v2/sandboxes
    if (seg.size() == 2 && seg[0] == "v2" && seg[1] == "sandboxes" && m == http::verb::get) {
        bool want_running = true, want_paused = true;
        if (auto q = qparam(req, "state")) {
            want_running = want_paused = false;
            std::string s = *q;
            size_t i = 0;
            while (i <= s.size()) {
                size_t j = s.find(',', i);
                if (j == std::string::npos) j = s.size();
                std::string one = s.substr(i, j - i);
                if (one == "running") want_running = true;
                else if (one == "paused") want_paused = true;
                else if (!one.empty()) throw ApiError{400, "Invalid state '" + one + "'"};
                i = j + 1;
            }
        }
        std::map<std::string, std::string> mf;
        if (auto q = qparam(req, "metadata")) mf = metadata_filter(*q);
        int64_t limit = 100;
        if (auto q = qparam(req, "limit")) {
            try {
                size_t used = 0;
                limit = std::stoll(*q, &used);
                if (used != q->size()) throw 0;
            } catch (...) {
                throw ApiError{400, "Invalid limit"};
            }
            if (limit < 1 || limit > 100) throw ApiError{400, "limit must be between 1 and 100"};
        }
        bool asc = false;
        if (auto q = qparam(req, "order")) {
            if (*q == "asc") asc = true;
            else if (*q != "desc") throw ApiError{400, "order must be asc or desc"};
        }
        int64_t started_after = INT64_MIN;
        if (auto q = qparam(req, "startedAfter")) {
            auto t = e2b::parse_rfc3339(*q);
            if (!t) throw ApiError{400, "Invalid startedAfter"};
            started_after = *t;
        }
        std::string tpl = qparam(req, "template").value_or("");

        std::vector<Sandbox*> items;
        for (Sandbox* sb : mgr_.all()) {
            bool paused = sb->state == SbState::kPaused || sb->state == SbState::kPausing;
            if (sb->state == SbState::kStarting || sb->state == SbState::kKilling) continue;
            if (paused ? !want_paused : !want_running) continue;
            if (sb->started_at_ns < started_after) continue;
            if (!tpl.empty() && sb->template_id != tpl) continue;
            bool match = true;
            for (auto& [k, v] : mf) {
                auto it = sb->metadata.find(k);
                if (it == sb->metadata.end() || it->second != v) match = false;
            }
            if (match) items.push_back(sb);
        }
        auto before = [asc](const Sandbox* a, const Sandbox* b) {
            if (a->started_at_ns != b->started_at_ns)
                return asc ? a->started_at_ns < b->started_at_ns : a->started_at_ns > b->started_at_ns;
            return asc ? a->id < b->id : a->id > b->id;
        };
        std::sort(items.begin(), items.end(), before);
        int64_t total_running = 0;
        for (Sandbox* sb : items)
            if (sb->state == SbState::kRunning) ++total_running;

        // Token = base64url("<startedAtNs>__<id>"): the page starts after that position.
        size_t start = 0;
        if (auto q = qparam(req, "nextToken"); q && !q->empty()) {
            auto raw = e2b::base64_decode(*q);
            size_t sep = raw ? raw->find("__") : std::string::npos;
            if (sep == std::string::npos) throw ApiError{400, "Invalid next token"};
            Sandbox probe;
            try {
                probe.started_at_ns = std::stoll(raw->substr(0, sep));
            } catch (...) {
                throw ApiError{400, "Invalid next token"};
            }
            probe.id = raw->substr(sep + 2);
            start = static_cast<size_t>(std::upper_bound(items.begin(), items.end(), &probe, before) - items.begin());
        }
        Json arr = e2b::json_array();
        size_t end = std::min(items.size(), start + static_cast<size_t>(limit));
        for (size_t i = start; i < end; ++i) cJSON_AddItemToArray(arr.get(), listed_json(*items[i], envd).release());
        ApiResponse r = ok(200, arr);
        if (end < items.size()) {
            const Sandbox* last = items[end - 1];
            r.headers.push_back({"X-Next-Token", e2b::base64_encode(std::to_string(last->started_at_ns) + "__" + last->id, false)});
        }
        if (want_running) r.headers.push_back({"X-Total-Running", std::to_string(total_running)});
        return r;
    }

    // GET /sandboxes/metrics?sandbox_ids=a,b
    if (seg.size() == 2 && seg[0] == "sandboxes" && seg[1] == "metrics" && m == http::verb::get) {
        Json res = e2b::json_object();
        cJSON* map = e2b::json_set_obj(res.get(), "sandboxes");
        std::string ids = qparam(req, "sandbox_ids").value_or("");
        size_t i = 0;
        while (i < ids.size()) {
            size_t j = ids.find(',', i);
            if (j == std::string::npos) j = ids.size();
            std::string id = sandbox_id(ids.substr(i, j - i));
            if (Sandbox* sb = mgr_.find(id); sb && sb->jail)
                e2b::json_set(map, id.c_str(), metric_json(*sb, mgr_.metrics(*sb)));
            i = j + 1;
        }
        return ok(200, res);
    }

    // /sandboxes/{id}[/action], /v2/sandboxes/{id}/logs
    bool v2logs = seg.size() == 4 && seg[0] == "v2" && seg[1] == "sandboxes" && seg[3] == "logs";
    if (((seg.size() == 2 || seg.size() == 3) && seg[0] == "sandboxes") || v2logs) {
        std::string id = sandbox_id(v2logs ? seg[2] : seg[1]);
        std::string action = v2logs ? "logs-v2" : (seg.size() == 3 ? seg[2] : "");

        if (action.empty() && m == http::verb::get) {
            Sandbox* sb = mgr_.find(id);
            if (!sb || sb->state == SbState::kStarting || sb->state == SbState::kKilling)
                throw ApiError{404, not_found_msg(id)};
            return ok(200, detail_json(*sb, envd));
        }
        if (action.empty() && m == http::verb::delete_) {
            mgr_.kill(id, y);
            return {204, "", {}};
        }
        if (action == "timeout" && m == http::verb::post) {
            Json b = parse_body(req, true);
            if (!e2b::json_get(b.get(), "timeout")) throw ApiError{400, "'timeout' is required"};
            mgr_.set_timeout(id, body_int(b.get(), "timeout", 0));
            return {204, "", {}};
        }
        if (action == "refreshes" && m == http::verb::post) {
            Json b = parse_body(req, false);
            Sandbox* sb = mgr_.find(id);
            if (!sb || sb->state != SbState::kRunning) throw ApiError{404, not_found_msg(id)};
            int64_t d = body_int(b.get(), "duration", 0);
            if (d < 0 || d > 3600) throw ApiError{400, "duration must be 0..3600 seconds"};
            if (d > 0) mgr_.connect(id, d, y);
            return {204, "", {}};
        }
        if (action == "pause" && m == http::verb::post) {
            Json b = parse_body(req, false);
            mgr_.pause(id, body_bool(b.get(), "memory", true), y);
            return {204, "", {}};
        }
        if (action == "connect" && m == http::verb::post) {
            Json b = parse_body(req, true);
            if (!e2b::json_get(b.get(), "timeout")) throw ApiError{400, "'timeout' is required"};
            bool resumed = mgr_.connect(id, body_int(b.get(), "timeout", 0), y);
            Sandbox* sb = mgr_.find(id);
            if (!sb) throw ApiError{404, not_found_msg(id)};
            return ok(resumed ? 201 : 200, sandbox_json(*sb, envd));
        }
        if (action == "resume" && m == http::verb::post) {  // deprecated in favour of connect
            Json b = parse_body(req, false);
            Sandbox* sb = mgr_.find(id);
            if (!sb) throw ApiError{404, not_found_msg(id)};
            if (sb->state == SbState::kRunning) throw ApiError{409, "Sandbox \"" + id + "\" is already running"};
            if (e2b::json_get(b.get(), "autoPause")) sb->auto_pause = body_bool(b.get(), "autoPause", false);
            mgr_.connect(id, body_int(b.get(), "timeout", 15), y);
            sb = mgr_.find(id);
            if (!sb) throw ApiError{404, not_found_msg(id)};
            return ok(201, sandbox_json(*sb, envd));
        }
        if (action == "metrics" && m == http::verb::get) {
            Sandbox* sb = mgr_.find(id);
            if (!sb || sb->state == SbState::kKilling) throw ApiError{404, not_found_msg(id)};
            Json arr = e2b::json_array();
            // One sample taken now: e2b-local keeps no metric history.
            if (sb->jail && sb->state == SbState::kRunning)
                cJSON_AddItemToArray(arr.get(), metric_json(*sb, mgr_.metrics(*sb)).release());
            return ok(200, arr);
        }
        if ((action == "logs" || action == "logs-v2") && m == http::verb::get) {
            Sandbox* sb = mgr_.find(id);
            if (!sb) throw ApiError{404, not_found_msg(id)};
            int64_t from_ms = 0;
            if (auto q = qparam(req, action == "logs" ? "start" : "cursor")) {
                try {
                    from_ms = std::stoll(*q);
                } catch (...) {
                    throw ApiError{400, "Invalid start"};
                }
            }
            int64_t limit = 1000;
            if (auto q = qparam(req, "limit")) {
                try {
                    limit = std::stoll(*q);
                } catch (...) {
                    throw ApiError{400, "Invalid limit"};
                }
            }
            // v2 filters: direction (backward = newest first, cursor as the upper bound),
            // minimum level, case-sensitive substring search.
            bool backward = false;
            int min_level = 0;
            std::string search;
            if (action == "logs-v2") {
                if (auto q = qparam(req, "direction")) {
                    if (*q == "backward") backward = true;
                    else if (*q != "forward") throw ApiError{400, "Invalid direction"};
                }
                if (auto q = qparam(req, "level")) {
                    min_level = log_level_rank(*q);
                    if (min_level < 0) throw ApiError{400, "Invalid level"};
                }
                if (auto q = qparam(req, "search")) search = *q;
                if (!qparam(req, "cursor") && backward) from_ms = INT64_MAX;
            }
            std::vector<const decltype(sb->logs)::value_type*> picked;
            for (auto& e : sb->logs) {
                int64_t ms = e.ts_ns / 1000000;
                if (backward ? ms > from_ms : ms < from_ms) continue;
                if (log_level_rank(e.level) < min_level) continue;
                if (!search.empty() && e.message.find(search) == std::string::npos) continue;
                picked.push_back(&e);
            }
            if (backward) std::reverse(picked.begin(), picked.end());
            Json logs = e2b::json_array(), entries = e2b::json_array();
            int64_t n = 0;
            for (auto* ep : picked) {
                auto& e = *ep;
                if (n >= limit) break;
                ++n;
                Json l = e2b::json_object();
                e2b::json_set_str(l.get(), "timestamp", e2b::rfc3339(e.ts_ns, 3));
                e2b::json_set_str(l.get(), "line", e.message);
                cJSON_AddItemToArray(logs.get(), l.release());
                Json en = e2b::json_object();
                e2b::json_set_str(en.get(), "timestamp", e2b::rfc3339(e.ts_ns, 3));
                e2b::json_set_str(en.get(), "level", e.level);
                e2b::json_set_str(en.get(), "message", e.message);
                e2b::json_set(en.get(), "fields", e2b::json_object());
                cJSON_AddItemToArray(entries.get(), en.release());
            }
            Json res = e2b::json_object();
            if (action == "logs") {
                e2b::json_set(res.get(), "logs", std::move(logs));
                e2b::json_set(res.get(), "logEntries", std::move(entries));
            } else {
                e2b::json_set(res.get(), "logs", std::move(entries));
            }
            return ok(200, res);
        }
        if (action == "fork" || action == "snapshots" || action == "network")
            throw ApiError{501, "'" + action + "' is not supported by e2b-local"};
    }
    throw ApiError{404, "No route for " + std::string(http::to_string(m)) + " " + req.path};
}

}  // namespace e2blocal
