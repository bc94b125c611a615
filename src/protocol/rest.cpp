#include "protocol/rest.hpp"

#include "protocol/json_read.hpp"
#include "util/json.hpp"

namespace e2b::proto {

using namespace detail;

std::string encode_new_sandbox(const NewSandbox& r) {
    Json o = json_object();
    json_set_str(o.get(), "templateID", r.template_id);
    json_set_int(o.get(), "timeout", r.timeout_s);
    if (r.metadata) json_set(o.get(), "metadata", json_from_map(*r.metadata));
    if (r.env_vars) json_set(o.get(), "envVars", json_from_map(*r.env_vars));
    json_set_bool(o.get(), "secure", r.secure);
    json_set_bool(o.get(), "allow_internet_access", r.allow_internet_access);
    if (r.auto_pause) json_set_bool(o.get(), "autoPause", *r.auto_pause);
    if (r.auto_pause_memory) json_set_bool(o.get(), "autoPauseMemory", *r.auto_pause_memory);
    if (r.auto_resume) json_set_bool(json_set_obj(o.get(), "autoResume"), "enabled", *r.auto_resume);
    if (r.cpu_count > 0) json_set_int(o.get(), "cpuCount", r.cpu_count);
    if (r.memory_mb > 0) json_set_int(o.get(), "memoryMB", r.memory_mb);
    return json_print(o.get());
}

std::string encode_timeout_body(int32_t timeout_s) {
    Json o = json_object();
    json_set_int(o.get(), "timeout", timeout_s);
    return json_print(o.get());
}

std::string encode_pause_body(bool memory) {
    Json o = json_object();
    json_set_bool(o.get(), "memory", memory);
    return json_print(o.get());
}

bool parse_sandbox(std::string_view body, Sandbox* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* o = j.get();
    Sandbox s;
    bool ok = require(o, "sandboxID", err) && require(o, "envdVersion", err) &&
              read_str(o, "templateID", &s.template_id, err) &&
              read_str(o, "sandboxID", &s.sandbox_id, err) && read_str(o, "alias", &s.alias, err) &&
              read_str(o, "clientID", &s.client_id, err) &&
              read_str(o, "envdVersion", &s.envd_version, err) &&
              read_opt_str(o, "envdAccessToken", &s.envd_access_token, err) &&
              read_opt_str(o, "trafficAccessToken", &s.traffic_access_token, err) &&
              read_opt_str(o, "domain", &s.domain, err);
    if (!ok) return false;
    if (s.domain && s.domain->empty()) s.domain.reset();
    *out = std::move(s);
    return true;
}

namespace {

bool parse_volume_mounts(const cJSON* o, std::vector<VolumeMount>* out, std::string* err) {
    const cJSON* arr = nullptr;
    if (!read_arr(o, "volumeMounts", &arr, err)) return false;
    if (!arr) return true;
    for (const cJSON* it = arr->child; it; it = it->next) {
        if (!cJSON_IsObject(it)) {
            *err = "volumeMounts: expected objects";
            return false;
        }
        VolumeMount m;
        if (!read_str(it, "name", &m.name, err) || !read_str(it, "path", &m.path, err)) return false;
        out->push_back(std::move(m));
    }
    return true;
}

// Fields common to SandboxDetail and ListedSandbox.
template <typename T>
bool parse_common(const cJSON* o, T* s, std::string* err) {
    return require(o, "sandboxID", err) && require(o, "state", err) &&
           read_str(o, "templateID", &s->template_id, err) && read_str(o, "alias", &s->alias, err) &&
           read_str(o, "sandboxID", &s->sandbox_id, err) &&
           read_str(o, "clientID", &s->client_id, err) &&
           read_time(o, "startedAt", &s->started_at_ns, err) &&
           read_time(o, "endAt", &s->end_at_ns, err) &&
           read_int(o, "cpuCount", &s->cpu_count, err) &&
           read_int(o, "memoryMB", &s->memory_mb, err) &&
           read_int(o, "diskSizeMB", &s->disk_size_mb, err) &&
           read_str(o, "state", &s->state, err) &&
           read_str(o, "envdVersion", &s->envd_version, err) &&
           read_str_map(o, "metadata", &s->metadata, err) &&
           parse_volume_mounts(o, &s->volume_mounts, err);
}

}  // namespace

bool parse_sandbox_detail(std::string_view body, SandboxDetail* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* o = j.get();
    SandboxDetail s;
    const cJSON* net = nullptr;
    const cJSON* life = nullptr;
    bool ok = parse_common(o, &s, err) &&
              read_opt_str(o, "envdAccessToken", &s.envd_access_token, err) &&
              read_opt_bool(o, "allowInternetAccess", &s.allow_internet_access, err) &&
              read_opt_str(o, "domain", &s.domain, err) && read_obj(o, "network", &net, err) &&
              read_obj(o, "lifecycle", &life, err);
    if (!ok) return false;
    if (s.domain && s.domain->empty()) s.domain.reset();
    if (net) {
        NetworkConfig n;
        if (!read_str_list(net, "allowOut", &n.allow_out, err) ||
            !read_str_list(net, "denyOut", &n.deny_out, err) ||
            !read_bool(net, "allowPublicTraffic", &n.allow_public_traffic, err) ||
            !read_opt_str(net, "maskRequestHost", &n.mask_request_host, err)) {
            *err = "network." + *err;
            return false;
        }
        s.network = std::move(n);
    }
    if (life) {
        Lifecycle l;
        if (!read_str(life, "onTimeout", &l.on_timeout, err) ||
            !read_bool(life, "autoResume", &l.auto_resume, err)) {
            *err = "lifecycle." + *err;
            return false;
        }
        s.lifecycle = std::move(l);
    }
    *out = std::move(s);
    return true;
}

bool parse_listed_sandboxes(std::string_view body, std::vector<ListedSandbox>* out,
                            std::string* err) {
    Json j = parse_body(body, true, err);
    if (!j) return false;
    std::vector<ListedSandbox> list;
    size_t i = 0;
    for (const cJSON* it = j->child; it; it = it->next, ++i) {
        ListedSandbox s;
        if (!cJSON_IsObject(it)) {
            *err = "[" + std::to_string(i) + "]: expected an object";
            return false;
        }
        if (!parse_common(it, &s, err)) {
            *err = "[" + std::to_string(i) + "]." + *err;
            return false;
        }
        list.push_back(std::move(s));
    }
    *out = std::move(list);
    return true;
}

bool parse_sandbox_metrics(std::string_view body, std::vector<SandboxMetric>* out,
                           std::string* err) {
    Json j = parse_body(body, true, err);
    if (!j) return false;
    std::vector<SandboxMetric> list;
    size_t i = 0;
    for (const cJSON* it = j->child; it; it = it->next, ++i) {
        SandboxMetric m;
        bool ok = cJSON_IsObject(it);
        if (!ok) *err = "expected an object";
        ok = ok && read_time(it, "timestamp", &m.timestamp_ns, err) &&
             read_int(it, "timestampUnix", &m.timestamp_unix, err) &&
             read_int(it, "cpuCount", &m.cpu_count, err) &&
             read_double(it, "cpuUsedPct", &m.cpu_used_pct, err) &&
             read_int(it, "memUsed", &m.mem_used, err) &&
             read_int(it, "memTotal", &m.mem_total, err) &&
             read_int(it, "memCache", &m.mem_cache, err) &&
             read_int(it, "diskUsed", &m.disk_used, err) &&
             read_int(it, "diskTotal", &m.disk_total, err);
        if (!ok) {
            *err = "[" + std::to_string(i) + "]." + *err;
            return false;
        }
        // Newer servers may send only timestampUnix; keep both views consistent.
        if (!json_get(it, "timestamp") && m.timestamp_unix > -9000000000LL &&
            m.timestamp_unix < 9000000000LL)
            m.timestamp_ns = m.timestamp_unix * 1000000000LL;
        list.push_back(m);
    }
    *out = std::move(list);
    return true;
}

bool parse_sandbox_logs(std::string_view body, std::vector<SandboxLogEntry>* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* arr = nullptr;
    if (!read_arr(j.get(), "logs", &arr, err)) return false;
    std::vector<SandboxLogEntry> list;
    size_t i = 0;
    for (const cJSON* it = arr ? arr->child : nullptr; it; it = it->next, ++i) {
        SandboxLogEntry e;
        bool ok = cJSON_IsObject(it);
        if (!ok) *err = "expected an object";
        ok = ok && require(it, "timestamp", err) && read_time(it, "timestamp", &e.timestamp_ns, err) &&
             read_str(it, "level", &e.level, err) && read_str(it, "message", &e.message, err) &&
             read_str_map(it, "fields", &e.fields, err);
        if (!ok) {
            *err = "logs[" + std::to_string(i) + "]." + *err;
            return false;
        }
        list.push_back(std::move(e));
    }
    *out = std::move(list);
    return true;
}

ApiError parse_api_error(std::string_view body) {
    ApiError e;
    Json j = json_parse(body);
    if (!j || !cJSON_IsObject(j.get())) return e;
    auto code = json_int(j.get(), "code");
    if (code && *code >= 0 && *code < 1000) e.code = static_cast<int>(*code);
    e.message = json_str(j.get(), "message");
    e.error_code = json_str_or(j.get(), "error_code");
    return e;
}

}  // namespace e2b::proto
