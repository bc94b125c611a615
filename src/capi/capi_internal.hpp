// Shared by the src/capi/*.cpp files: the handle structs and the error/option plumbing of the
// C edge (the thread-local error lives in capi.cpp).
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <string>

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

// e2b_sandbox_opts (any version; NULL = defaults) → the core's create options, profile applied.
core::SandboxCreateOptions sandbox_create_options(const e2b_sandbox_opts* opts);

}  // namespace e2b::capi
