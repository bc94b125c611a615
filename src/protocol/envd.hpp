// envd Connect messages (process.Process, filesystem.Filesystem) in proto3 JSON, client side:
// requests are encoded with proto3 omission rules (defaults omitted, `optional` fields emitted
// whenever set), responses decoded with absent = default, camelCase or snake_case names, enums
// as name or number, int64 as string or number, bytes as any base64 variant.
// Decoders never throw: false + a message naming the field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2b::proto {

// ---- process.Process ----

struct ProcessConfig {
    std::string cmd;
    std::vector<std::string> args;
    std::map<std::string, std::string> envs;
    std::optional<std::string> cwd;
};

struct PtySize {
    uint32_t cols = 0;
    uint32_t rows = 0;
};

// oneof selector { pid | tag }.
struct ProcessSelector {
    uint32_t pid = 0;
    std::optional<std::string> tag;  // set → select by tag
    static ProcessSelector by_pid(uint32_t p) { return {p, std::nullopt}; }
    static ProcessSelector by_tag(std::string t) { return {0, std::move(t)}; }
};

enum class Signal { kUnspecified = 0, kSigkill = 9, kSigterm = 15 };

struct StartRequest {
    ProcessConfig process;
    std::optional<PtySize> pty;
    std::optional<std::string> tag;
    // Absent means "stdin open" on envd (legacy default); the SDKs always send false.
    std::optional<bool> stdin_open;
};

std::string encode_start_request(const StartRequest& r);
std::string encode_connect_request(const ProcessSelector& p);
std::string encode_list_request();  // "{}"
// input.pty when to_pty, else input.stdin.
std::string encode_send_input_request(const ProcessSelector& p, std::string_view data, bool to_pty);
std::string encode_close_stdin_request(const ProcessSelector& p);
std::string encode_send_signal_request(const ProcessSelector& p, Signal s);
std::string encode_update_request(const ProcessSelector& p, const std::optional<PtySize>& pty);

// One {"event": ProcessEvent} of the Start/Connect streams.
struct ProcessEvent {
    enum class Kind { kNone, kStart, kData, kEnd, kKeepalive };
    enum class Stream { kStdout, kStderr, kPty };
    Kind kind = Kind::kNone;  // kNone: no known member (a newer server's event); skip it
    uint32_t pid = 0;         // kStart
    Stream stream = Stream::kStdout;  // kData
    std::string data;                 // kData, raw bytes
    int32_t exit_code = 0;            // kEnd (absent = 0)
    bool exited = false;
    std::string status;
    std::optional<std::string> error;
};
// Output events take a fast path that decodes straight into out->data, reusing its capacity:
// pass the same ProcessEvent for every message of a stream. On failure *out is unspecified.
bool parse_process_event(std::string_view message, ProcessEvent* out, std::string* err);
namespace detail {
// The two paths of parse_process_event, for tests. The fast one only takes the exact shape
// {"event":{"data":{"stdout"|"stderr"|"pty":"<base64>"}}} (JSON whitespace allowed, no escapes,
// valid base64) and returns false for anything else, which then gets the full parser's verdict.
bool parse_process_data_fast(std::string_view message, ProcessEvent* out);
bool parse_process_event_full(std::string_view message, ProcessEvent* out, std::string* err);
}  // namespace detail

struct ProcessInfo {
    ProcessConfig config;
    uint32_t pid = 0;
    std::optional<std::string> tag;
};
bool parse_list_response(std::string_view body, std::vector<ProcessInfo>* out, std::string* err);

// Unary RPCs answering an empty message ({}); checks the body is a JSON object.
bool parse_empty_response(std::string_view body, std::string* err);

// ---- filesystem.Filesystem ----

enum class FileType { kUnspecified = 0, kFile = 1, kDirectory = 2, kSymlink = 3 };
enum class EventType { kUnspecified = 0, kCreate = 1, kWrite = 2, kRemove = 3, kRename = 4, kChmod = 5 };
const char* file_type_name(FileType t);    // "FILE_TYPE_FILE", ...
const char* event_type_name(EventType t);  // "EVENT_TYPE_CREATE", ...

struct EntryInfo {
    std::string name;
    FileType type = FileType::kUnspecified;
    std::string path;
    int64_t size = 0;
    uint32_t mode = 0;
    std::string permissions;
    std::string owner;
    std::string group;
    int64_t modified_time_ns = 0;
    std::optional<std::string> symlink_target;
    std::map<std::string, std::string> metadata;
};

struct FilesystemEvent {
    std::string name;
    EventType type = EventType::kUnspecified;
    std::optional<EntryInfo> entry;
};

struct WatchOptions {
    std::string path;
    bool recursive = false;
    bool include_entry = false;
    bool allow_network_mounts = false;
};

std::string encode_stat_request(std::string_view path);
std::string encode_list_dir_request(std::string_view path, uint32_t depth);
std::string encode_make_dir_request(std::string_view path);
std::string encode_move_request(std::string_view source, std::string_view destination);
std::string encode_remove_request(std::string_view path);
std::string encode_watch_dir_request(const WatchOptions& w);
std::string encode_create_watcher_request(const WatchOptions& w);
std::string encode_get_watcher_events_request(std::string_view watcher_id);
std::string encode_remove_watcher_request(std::string_view watcher_id);

// Stat, MakeDir and Move answer {"entry": EntryInfo}; a missing entry is an error.
bool parse_entry_response(std::string_view body, EntryInfo* out, std::string* err);
bool parse_list_dir_response(std::string_view body, std::vector<EntryInfo>* out, std::string* err);
bool parse_create_watcher_response(std::string_view body, std::string* watcher_id, std::string* err);
bool parse_get_watcher_events_response(std::string_view body, std::vector<FilesystemEvent>* out,
                                       std::string* err);

// One message of the WatchDir stream.
struct WatchEvent {
    enum class Kind { kNone, kStart, kFilesystem, kKeepalive };
    Kind kind = Kind::kNone;
    FilesystemEvent event;  // kFilesystem
};
bool parse_watch_dir_response(std::string_view message, WatchEvent* out, std::string* err);

}  // namespace e2b::proto
