// Shared by the src/capi/*.cpp files: the handle structs and the error/option plumbing of the
// C edge (the thread-local error lives in capi.cpp).
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/commands.hpp"
#include "core/core.hpp"
#include "e2b.h"

struct e2b_client {
    std::unique_ptr<e2b::core::Client> c;
};
struct e2b_sandbox {
    std::unique_ptr<e2b::core::Sandbox> s;
};
struct e2b_exec {
    std::shared_ptr<e2b::core::Exec> e;
};

namespace e2b::capi {

// f returns >= 0 on success (last error cleared); exceptions become codes + last error.
int run_guarded(const std::function<int()>& f) noexcept;
template <class F>
int guard(F&& f) noexcept {
    return run_guarded(std::function<int()>(std::ref(f)));  // a reference_wrapper never allocates
}
void set_ok() noexcept;
void set_error(int code, const char* msg) noexcept;
// A NULL-terminated "key=value" list (NULL = empty); E2B_EINVAL naming `what` for a bad entry.
proto::StringMap parse_pairs(const char* const* list, const char* what);

[[noreturn]] inline void invalid(const std::string& msg) { throw core::Error(E2B_EINVAL, msg); }
template <class T>
void need(const T* p, const char* what) {
    if (!p) invalid(std::string(what) + " must not be NULL");
}
inline void need_str(const char* s, const char* what) {
    need(s, what);
    if (!*s) invalid(std::string(what) + " must not be empty");
}

// Options structs: copied by the prefix size of the caller's version (index = version).
template <size_t N>
size_t opts_prefix_size(uint32_t version, const size_t (&sizes)[N], const char* name) {
    if (version == 0 || version >= N)
        throw core::Error(E2B_EVERSION, std::string("unsupported ") + name + " version " +
                                            std::to_string(version));
    return sizes[version];
}
template <class T, size_t N>
T opts_copy(const T* src, const size_t (&sizes)[N], const char* name) {
    T dst;
    std::memset(&dst, 0, sizeof dst);
    if (!src) {
        dst.version = N - 1;
        return dst;
    }
    std::memcpy(&dst, src, opts_prefix_size(src->version, sizes, name));
    return dst;
}
template <class T, size_t N>
int opts_init(T* opts, uint32_t version, const size_t (&sizes)[N], const char* name) {
    return guard([&] {
        need(opts, "opts");
        std::memset(opts, 0, opts_prefix_size(version, sizes, name));
        opts->version = version;
        return E2B_OK;
    });
}

// e2b_sandbox_opts (any version; NULL = defaults) as the core's create options, profile
// applied; throws E2B_EINVAL/EVERSION.
core::SandboxCreateOptions sandbox_create_options(const e2b_sandbox_opts* opts);

// Copies s into a caller-owned e2b_buf (NUL-terminated).
inline void fill_buf(e2b_buf* out, const char* data, size_t n) {
    char* p = static_cast<char*>(std::malloc(n + 1));
    if (!p) throw std::bad_alloc();
    if (n) std::memcpy(p, data, n);
    p[n] = 0;
    out->ptr = p;
    out->size = n;
    out->reserved = n + 1;
}

// Count/at accessors of the opaque list handles, whose `member` (default: `items`) is a
// `std::vector<std::unique_ptr<Holder>>`, Holder deriving from the public struct. NULL list or
// index out of range: E2B_EINVAL as the last error, 0 / NULL returned.
template <class L, class C>
size_t list_count(const L* list, C L::*member, const char* what = "list") noexcept {
    if (!list) {
        set_error(E2B_EINVAL, (std::string(what) + " must not be NULL").c_str());
        return 0;
    }
    set_ok();
    return (list->*member).size();
}
template <class L, class C>
auto list_at(const L* list, C L::*member, size_t i, const char* what = "list") noexcept
    -> decltype((list->*member)[i].get()) {
    if (!list || i >= (list->*member).size()) {
        set_error(E2B_EINVAL, list ? "index out of range" : (std::string(what) + " must not be NULL").c_str());
        return nullptr;
    }
    set_ok();
    return (list->*member)[i].get();
}
template <class L>
size_t list_count(const L* list) noexcept {
    return list_count(list, &L::items);
}
template <class L>
auto list_at(const L* list, size_t i) noexcept -> decltype(list_at(list, &L::items, i)) {
    return list_at(list, &L::items, i);
}
// Keeps the strings of a string map alive and exposes them as parallel C arrays.
struct CPairs {
    std::vector<std::string> keys, vals;
    std::vector<const char*> kp, vp;
    template <class Map>
    void assign(const Map& m) {
        for (const auto& [k, v] : m) {
            keys.push_back(k);
            vals.push_back(v);
        }
        for (size_t i = 0; i < keys.size(); ++i) {
            kp.push_back(keys[i].c_str());
            vp.push_back(vals[i].c_str());
        }
    }
};
}  // namespace e2b::capi
