// C edge of a sandbox's monitoring data kept by the control plane: metrics samples and logs.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/core.hpp"
#include "e2b.h"

using namespace e2b::capi;

namespace {

struct MetricHolder : e2b_sandbox_metric {};

struct LogHolder : e2b_sandbox_log_entry {
    std::string level_s, message_s;
    CPairs fields;
};

const size_t kLogsOptsSize[] = {0, sizeof(e2b_logs_opts)};

}  // namespace

struct e2b_sandbox_metric_list {
    std::vector<std::unique_ptr<MetricHolder>> items;
};
struct e2b_sandbox_log_list {
    std::vector<std::unique_ptr<LogHolder>> items;
};

extern "C" {

int e2b_sandbox_get_metrics(e2b_sandbox_metric_list** out, e2b_client* client,
                            const char* sandbox_id, int64_t start_unix_s, int64_t end_unix_s) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        need_str(sandbox_id, "sandbox_id");
        if (start_unix_s >= 0 && end_unix_s >= 0 && end_unix_s < start_unix_s)
            invalid("end_unix_s is before start_unix_s");
        auto samples = client->c->metrics(sandbox_id, start_unix_s, end_unix_s);
        auto l = std::make_unique<e2b_sandbox_metric_list>();
        for (const auto& m : samples) {
            auto h = std::make_unique<MetricHolder>();
            std::memset(static_cast<e2b_sandbox_metric*>(h.get()), 0, sizeof(e2b_sandbox_metric));
            h->version = 1;
            h->cpu_count = static_cast<int32_t>(m.cpu_count);
            h->timestamp_ms = m.timestamp_ns / 1000000;
            h->cpu_used_pct = m.cpu_used_pct;
            h->mem_used_bytes = m.mem_used;
            h->mem_total_bytes = m.mem_total;
            h->disk_used_bytes = m.disk_used;
            h->disk_total_bytes = m.disk_total;
            l->items.push_back(std::move(h));
        }
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_sandbox_metric_list_count(const e2b_sandbox_metric_list* list) { return list_count(list); }

const e2b_sandbox_metric* e2b_sandbox_metric_list_at(const e2b_sandbox_metric_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_sandbox_metric_list_free(e2b_sandbox_metric_list* list) { delete list; }

int e2b_logs_opts_init(e2b_logs_opts* opts, uint32_t version) {
    return opts_init(opts, version, kLogsOptsSize, "e2b_logs_opts");
}

int e2b_sandbox_get_logs(e2b_sandbox_log_list** out, e2b_client* client, const char* sandbox_id,
                         const e2b_logs_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        need_str(sandbox_id, "sandbox_id");
        e2b_logs_opts o = opts_copy(opts, kLogsOptsSize, "e2b_logs_opts");
        if (o.limit > 1000) invalid("limit must be 1..1000 (0 = 1000)");
        if (o.flags & ~E2B_LOGS_F_BACKWARD) invalid("unknown bits in flags");
        if (o.cursor_ms < 0) invalid("cursor_ms must not be negative");
        e2b::core::LogsQuery q;
        if (o.cursor_ms > 0) q.cursor_ms = o.cursor_ms;
        q.limit = static_cast<int32_t>(o.limit);
        q.backward = o.flags & E2B_LOGS_F_BACKWARD;
        if (o.min_level) {
            q.level = o.min_level;
            if (q.level != "debug" && q.level != "info" && q.level != "warn" && q.level != "error")
                invalid("min_level must be debug, info, warn or error");
        }
        if (o.search) q.search = o.search;
        auto entries = client->c->logs(sandbox_id, q);
        auto l = std::make_unique<e2b_sandbox_log_list>();
        for (auto& e : entries) {
            auto h = std::make_unique<LogHolder>();
            std::memset(static_cast<e2b_sandbox_log_entry*>(h.get()), 0, sizeof(e2b_sandbox_log_entry));
            h->level_s = std::move(e.level);
            h->message_s = std::move(e.message);
            h->fields.assign(e.fields);
            h->version = 1;
            h->timestamp_ms = e.timestamp_ns / 1000000;
            h->level = h->level_s.c_str();
            h->message = h->message_s.c_str();
            h->field_count = h->fields.keys.size();
            h->field_keys = h->fields.kp.data();
            h->field_values = h->fields.vp.data();
            l->items.push_back(std::move(h));
        }
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_sandbox_log_list_count(const e2b_sandbox_log_list* list) { return list_count(list); }

const e2b_sandbox_log_entry* e2b_sandbox_log_list_at(const e2b_sandbox_log_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_sandbox_log_list_free(e2b_sandbox_log_list* list) { delete list; }

}  // extern "C"
