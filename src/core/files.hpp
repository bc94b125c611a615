// sandbox.files: envd's filesystem RPCs (Connect, JSON) and its HTTP /files endpoint
// (protocol doc §5). Failures are thrown as core::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.hpp"
#include "protocol/envd.hpp"

namespace e2b::core {

struct FilesOptions {
    std::optional<std::string> user;  // unset = the sandbox's default user
    int64_t timeout_ms = 0;           // per request; 0 = the client's, <0 = none
};

struct FileEntry {
    std::string path;
    std::string_view data;
};

std::string files_read(Sandbox& s, const std::string& path, const FilesOptions& o);
// on_data runs on the transport's service thread; false stops the download (E2B_EUSER).
void files_read_stream(Sandbox& s, const std::string& path,
                       const std::function<bool(const char*, size_t)>& on_data,
                       const FilesOptions& o);
void files_write(Sandbox& s, const std::string& path, std::string_view data, const FilesOptions& o);
// reader as transport::Request::body_reader (service thread; <0 aborts → E2B_EUSER).
void files_write_stream(Sandbox& s, const std::string& path,
                        std::function<int64_t(char*, size_t)> reader, int64_t size,
                        const FilesOptions& o);
void files_write_many(Sandbox& s, const std::vector<FileEntry>& entries, const FilesOptions& o);

std::vector<proto::EntryInfo> files_list(Sandbox& s, const std::string& dir, uint32_t depth,
                                         const FilesOptions& o);
proto::EntryInfo files_stat(Sandbox& s, const std::string& path, const FilesOptions& o);
bool files_exists(Sandbox& s, const std::string& path, const FilesOptions& o);
bool files_make_dir(Sandbox& s, const std::string& path, const FilesOptions& o);  // false: existed
proto::EntryInfo files_rename(Sandbox& s, const std::string& from, const std::string& to,
                              const FilesOptions& o);
void files_remove(Sandbox& s, const std::string& path, const FilesOptions& o);

// Presigned /files URL (§5.6); expiration_s > 0 adds signature_expiration = now + expiration_s.
std::string files_url(Sandbox& s, const std::string& path, bool write,
                      const std::optional<std::string>& user, int64_t expiration_s);

// A running WatchDir stream. Callbacks run on the service thread; on_end exactly once after a
// successful start (code 0 when stopped or ended cleanly).
class Watch {
public:
    using OnEvent = std::function<void(const proto::FilesystemEvent&)>;
    using OnEnd = std::function<void(int code, int http_status, const std::string& message)>;
    // Blocks until the server's start message (or throws; then no callback ever runs).
    static std::unique_ptr<Watch> start(Sandbox& s, const std::string& dir, bool recursive,
                                        OnEvent on_event, OnEnd on_end, const FilesOptions& o);
    ~Watch();  // stop()
    // Any thread. Waits for on_end to have returned unless called from a callback.
    void stop();

    struct State;

private:
    explicit Watch(std::shared_ptr<State> st) : st_(std::move(st)) {}
    std::shared_ptr<State> st_;
};

}  // namespace e2b::core
