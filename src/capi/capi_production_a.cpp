// C edge of the production layer, part A: sessions, artifacts, workspace sync (see the
// "Production layer: sessions, artifacts, workspace sync" section of e2b.h).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/production_a.hpp"

using namespace e2b::capi;
namespace core = e2b::core;

struct e2b_session {
    std::unique_ptr<core::Session> s;
    e2b_sandbox view;  // borrows the session's sandbox (released before the session owns it again)
    ~e2b_session() { (void)view.s.release(); }
};

namespace {

const size_t kSessionOptsSize[] = {0, sizeof(e2b_session_opts)};
const size_t kArtifactsOptsSize[] = {0, sizeof(e2b_artifacts_opts)};
const size_t kWorkspaceOptsSize[] = {0, sizeof(e2b_workspace_opts)};

e2b_session* wrap(std::unique_ptr<core::Session> s) {
    auto h = std::make_unique<e2b_session>();
    h->view.s.reset(&s->sandbox());  // non-owning in effect: released in ~e2b_session
    h->s = std::move(s);
    return h.release();
}

core::ProgressFn progress_fn(e2b_progress_fn fn, void* payload) {
    if (!fn) return nullptr;
    return [fn, payload](const core::Progress& p) {
        e2b_transfer_progress v;
        std::memset(&v, 0, sizeof v);
        v.version = 1;
        v.files_done = p.files_done;
        v.files_total = p.files_total;
        v.bytes_done = p.bytes_done;
        v.bytes_total = p.bytes_total;
        v.path = p.path.c_str();
        return fn(&v, payload) == 0;
    };
}

core::FilesOptions files_options(const char* user, int64_t timeout_ms) {
    core::FilesOptions f;
    if (user) f.user = std::string(user);
    f.timeout_ms = timeout_ms;
    return f;
}

core::ArtifactOptions artifact_options(const e2b_artifacts_opts* opts) {
    e2b_artifacts_opts o = opts_copy(opts, kArtifactsOptsSize, "e2b_artifacts_opts");
    if (o.flags & ~(E2B_ARTIFACTS_F_DELETE | E2B_ARTIFACTS_F_ALLOW_EMPTY)) invalid("unknown bits in flags");
    core::ArtifactOptions a;
    a.files = files_options(o.user, o.timeout_ms);
    a.delete_after = (o.flags & E2B_ARTIFACTS_F_DELETE) != 0;
    a.allow_empty = (o.flags & E2B_ARTIFACTS_F_ALLOW_EMPTY) != 0;
    a.progress = progress_fn(o.on_progress, o.payload);
    return a;
}

core::WorkspaceOptions workspace_options(const e2b_workspace_opts* opts) {
    e2b_workspace_opts o = opts_copy(opts, kWorkspaceOptsSize, "e2b_workspace_opts");
    if (o.flags & ~(E2B_WORKSPACE_F_TAR | E2B_WORKSPACE_F_REPLACE)) invalid("unknown bits in flags");
    core::WorkspaceOptions w;
    w.files = files_options(o.user, o.timeout_ms);
    w.source_is_tar = (o.flags & E2B_WORKSPACE_F_TAR) != 0;
    w.replace = (o.flags & E2B_WORKSPACE_F_REPLACE) != 0;
    w.progress = progress_fn(o.on_progress, o.payload);
    return w;
}

std::vector<std::string> str_list(const char* const* list, const char* what) {
    need(list, what);
    std::vector<std::string> v;
    for (size_t i = 0; list[i]; ++i) {
        if (!*list[i]) invalid(std::string(what) + " entries must not be empty");
        v.emplace_back(list[i]);
    }
    if (v.empty()) invalid(std::string(what) + " must hold at least one entry");
    return v;
}

// Owns the strings the public view points into (the view is the base).
struct ArtifactHolder : e2b_artifact {
    core::Artifact a;
};

}  // namespace

struct e2b_artifact_list {
    std::vector<std::unique_ptr<ArtifactHolder>> items;
};

namespace {

e2b_artifact_list* make_list(std::vector<core::Artifact> v) {
    auto l = std::make_unique<e2b_artifact_list>();
    for (auto& a : v) {
        auto h = std::make_unique<ArtifactHolder>();
        e2b_artifact& x = *h;
        std::memset(&x, 0, sizeof x);
        h->a = std::move(a);
        x.version = 1;
        x.rel_path = h->a.rel_path.c_str();
        x.remote_path = h->a.remote_path.c_str();
        x.local_path = h->a.local_path.c_str();
        x.size = h->a.size;
        x.mime_type = h->a.mime_type.c_str();
        l->items.push_back(std::move(h));
    }
    return l.release();
}

}  // namespace

extern "C" {

int e2b_session_opts_init(e2b_session_opts* opts, uint32_t version) {
    return opts_init(opts, version, kSessionOptsSize, "e2b_session_opts");
}

int e2b_session_start(e2b_session** out, e2b_client* client, const e2b_session_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        e2b_session_opts o = opts_copy(opts, kSessionOptsSize, "e2b_session_opts");
        auto co = sandbox_create_options(o.sandbox);
        *out = wrap(core::Session::start(*client->c, co, o.idle_pause_ms));
        return E2B_OK;
    });
}

int e2b_session_resume(e2b_session** out, e2b_client* client, const char* session_id,
                       const e2b_session_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        need_str(session_id, "session_id");
        e2b_session_opts o = opts_copy(opts, kSessionOptsSize, "e2b_session_opts");
        if (o.timeout_ms < 0) invalid("timeout_ms must not be negative");
        *out = wrap(core::Session::resume(*client->c, session_id, o.timeout_ms, o.idle_pause_ms));
        return E2B_OK;
    });
}

const char* e2b_session_id(const e2b_session* session) { return session ? session->s->id().c_str() : nullptr; }

e2b_sandbox* e2b_session_sandbox(e2b_session* session) { return session ? &session->view : nullptr; }

int e2b_session_touch(e2b_session* session) {
    return guard([&] {
        need(session, "session");
        session->s->touch();
        return E2B_OK;
    });
}

int e2b_session_pause(e2b_session* session) {
    return guard([&] {
        need(session, "session");
        return session->s->pause() ? 1 : 0;
    });
}

int e2b_session_end(e2b_session* session) {
    return guard([&] {
        need(session, "session");
        if (!session->s->end())
            throw core::Error(E2B_ESANDBOX_NOT_FOUND, "session " + session->s->id() + " had already ended");
        return E2B_OK;
    });
}

int e2b_session_state(e2b_client* client, const char* session_id) {
    return guard([&] {
        need(client, "client");
        need_str(session_id, "session_id");
        return static_cast<int>(core::Session::state(*client->c, session_id));
    });
}

void e2b_session_free(e2b_session* session) {
    guard([&] {
        delete session;
        return E2B_OK;
    });
}

int e2b_artifacts_opts_init(e2b_artifacts_opts* opts, uint32_t version) {
    return opts_init(opts, version, kArtifactsOptsSize, "e2b_artifacts_opts");
}

int e2b_artifacts_download(e2b_artifact_list** out, e2b_sandbox* sandbox, const char* remote_dir,
                           const char* const* patterns, const char* local_dir,
                           const e2b_artifacts_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(remote_dir, "remote_dir");
        need_str(local_dir, "local_dir");
        auto pats = str_list(patterns, "patterns");
        auto v = core::artifacts_download(*sandbox->s, remote_dir, pats, local_dir, artifact_options(opts));
        if (out) *out = make_list(std::move(v));
        return E2B_OK;
    });
}

int e2b_artifacts_upload(e2b_artifact_list** out, e2b_sandbox* sandbox, const char* const* local_files,
                         const char* remote_dir, const e2b_artifacts_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(remote_dir, "remote_dir");
        auto files = str_list(local_files, "local_files");
        auto v = core::artifacts_upload(*sandbox->s, files, remote_dir, artifact_options(opts));
        if (out) *out = make_list(std::move(v));
        return E2B_OK;
    });
}

size_t e2b_artifact_list_count(const e2b_artifact_list* list) { return list_count(list); }

const e2b_artifact* e2b_artifact_list_at(const e2b_artifact_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_artifact_list_free(e2b_artifact_list* list) {
    guard([&] {
        delete list;
        return E2B_OK;
    });
}

int e2b_workspace_opts_init(e2b_workspace_opts* opts, uint32_t version) {
    return opts_init(opts, version, kWorkspaceOptsSize, "e2b_workspace_opts");
}

int e2b_workspace_push(e2b_sandbox* sandbox, const char* local_path, const char* remote_dir,
                       const e2b_workspace_opts* opts, uint32_t* entries_out) {
    if (entries_out) *entries_out = 0;
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(local_path, "local_path");
        need_str(remote_dir, "remote_dir");
        auto st = core::workspace_push(*sandbox->s, local_path, remote_dir, workspace_options(opts));
        if (entries_out) *entries_out = st.entries;
        return E2B_OK;
    });
}

int e2b_workspace_pull(e2b_sandbox* sandbox, const char* remote_path, const char* local_dir,
                       const e2b_workspace_opts* opts, uint32_t* entries_out) {
    if (entries_out) *entries_out = 0;
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(remote_path, "remote_path");
        need_str(local_dir, "local_dir");
        auto st = core::workspace_pull(*sandbox->s, remote_path, local_dir, workspace_options(opts));
        if (entries_out) *entries_out = st.entries;
        return E2B_OK;
    });
}

}  // extern "C"
