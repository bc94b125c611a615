// C edge of cancel tokens (e2b.h "Cancelling blocking calls"); the tracking is in the transport.
#include <memory>

#include "capi/capi_internal.hpp"
#include "e2b.h"
#include "transport/transport.hpp"

using namespace e2b::capi;

struct e2b_cancel {
    std::shared_ptr<e2b::transport::CancelToken> t;
};

extern "C" {

int e2b_cancel_new(e2b_cancel** out) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        *out = new e2b_cancel{e2b::transport::cancel_token_new()};
        return E2B_OK;
    });
}

void e2b_cancel_free(e2b_cancel* cancel) { delete cancel; }

void e2b_cancel_bind(e2b_cancel* cancel) {
    e2b::transport::cancel_token_bind(cancel ? cancel->t : nullptr);
}

void e2b_cancel_trigger(e2b_cancel* cancel) {
    if (cancel) e2b::transport::cancel_token_trigger(*cancel->t);
}

int e2b_cancel_is_triggered(const e2b_cancel* cancel) {
    return guard([&] {
        need(cancel, "cancel");
        return e2b::transport::cancel_token_triggered(*cancel->t) ? 1 : 0;
    });
}

}  // extern "C"
