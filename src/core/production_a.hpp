// The production layer, part A: sessions (a sandbox kept across requests by id, with an idle
// auto-pause), artifacts (glob download / upload of files) and workspace sync (a directory tree
// as one streamed tar). Failures are thrown as core::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.hpp"
#include "core/files.hpp"

namespace e2b::core {

// ---- sessions ----

enum class SessionState { kActive = 1, kPaused = 2, kEnded = 3 };

class Session {
public:
    // Creates the sandbox. idle_pause_ms > 0 turns on the sandbox's auto-pause with that
    // lifetime, so E2B itself pauses it once no touch() came for that long.
    static std::unique_ptr<Session> start(Client& c, SandboxCreateOptions o, int64_t idle_pause_ms);
    // Connects (resuming a paused sandbox). A sandbox that is gone is E2B_ESANDBOX_NOT_FOUND.
    static std::unique_ptr<Session> resume(Client& c, const std::string& id, int64_t timeout_ms,
                                           int64_t idle_pause_ms);
    static SessionState state(Client& c, const std::string& id);

    Sandbox& sandbox() { return *sb_; }
    const std::string& id() const { return sb_->id(); }
    int64_t idle_pause_ms() const { return idle_ms_; }
    void touch();  // restarts the idle period (no-op without one)
    bool pause();  // false: was already paused
    bool end();    // kill; false: it was already gone

private:
    Session(std::unique_ptr<Sandbox> sb, int64_t idle_ms) : sb_(std::move(sb)), idle_ms_(idle_ms) {}
    std::unique_ptr<Sandbox> sb_;
    int64_t idle_ms_;
};

// ---- transfers (artifacts and workspace) ----

struct Progress {
    uint32_t files_done = 0, files_total = 0;
    int64_t bytes_done = 0, bytes_total = -1;  // -1: unknown
    std::string path;                          // the current file (relative)
};
// Returns false to stop the transfer (E2B_EUSER). May run on the service thread.
using ProgressFn = std::function<bool(const Progress&)>;

struct Artifact {
    std::string rel_path;    // relative to the remote (download) or local (upload) base
    std::string remote_path;
    std::string local_path;
    int64_t size = 0;
    std::string mime_type;
};

struct ArtifactOptions {
    FilesOptions files;
    bool delete_after = false;
    bool allow_empty = false;  // a pattern matching nothing is not an error
    ProgressFn progress;
};

// Files under remote_dir whose path relative to it matches one of the patterns, streamed to
// local_dir/<relative path>. Throws E2B_EFILE_NOT_FOUND (before any download) when a pattern
// matches nothing, unless allow_empty.
std::vector<Artifact> artifacts_download(Sandbox& s, const std::string& remote_dir,
                                         const std::vector<std::string>& patterns,
                                         const std::string& local_dir, const ArtifactOptions& o);
// Each local file streamed to remote_dir/<basename>.
std::vector<Artifact> artifacts_upload(Sandbox& s, const std::vector<std::string>& local_files,
                                       const std::string& remote_dir, const ArtifactOptions& o);

// Glob matching of a '/'-separated relative path: '*', '?', "[...]" within one segment, "**"
// as a whole segment for any number of segments, "{a,b}" alternatives (may nest).
bool glob_match(const std::string& pattern, const std::string& path);
// MIME type from the file name's extension; application/octet-stream when unknown.
std::string mime_type_for(const std::string& path);

struct WorkspaceOptions {
    FilesOptions files;
    bool source_is_tar = false;  // push: local path is a tar file; pull: remote path is one
    bool replace = false;        // pull: an existing local dir is replaced
    ProgressFn progress;
};

struct WorkspaceStats {
    uint32_t entries = 0;
    int64_t bytes = 0;  // tar stream size
};

WorkspaceStats workspace_push(Sandbox& s, const std::string& local, const std::string& remote_dir,
                              const WorkspaceOptions& o);
WorkspaceStats workspace_pull(Sandbox& s, const std::string& remote, const std::string& local_dir,
                              const WorkspaceOptions& o);

// Single-quoted for a POSIX shell.
std::string shell_quote(const std::string& s);

}  // namespace e2b::core
