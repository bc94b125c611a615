// Shared vocabulary of the e2b-local server (not the agent): asio/beast aliases, API errors,
// and running blocking work off the event loop.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>
#include <utility>

namespace e2blocal {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Yield = net::yield_context;

// A control-plane error: becomes {"code":status,"message":...} with that HTTP status.
struct ApiError {
    int status;
    std::string message;
};

// Runs f() on `pool` and resumes the calling coroutine with its result on the coroutine's own
// executor. Used for jail start/kill, which block for tens of milliseconds.
template <class T, class F>
T run_blocking(net::thread_pool& pool, Yield y, F f) {
    return net::async_initiate<Yield, void(T)>(
        [&pool](auto handler, F fn) {
            auto ex = net::get_associated_executor(handler);
            net::post(pool, [fn = std::move(fn), handler = std::move(handler), ex]() mutable {
                T r = fn();
                net::post(ex, [handler = std::move(handler), r = std::move(r)]() mutable { handler(std::move(r)); });
            });
        },
        y, std::move(f));
}

}  // namespace e2blocal
