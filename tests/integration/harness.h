/* Shared by the integration tests: runs a private e2b-local on a free port for one test binary. */
#ifndef E2B_TEST_HARNESS_H
#define E2B_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <e2b.h>

#define HARNESS_KEY "e2b_0123456789abcdef0123456789abcdef01234567"

/* The start of every test main: 1 = not root, skip (prints why); -1 = the server did not start
 * (prints why, cleans up); 0 = running (argv[1], else build/e2b-local). */
int harness_begin(int argc, char **argv, const char *test_name);
/* Starts `bin serve` with HARNESS_KEY and a fresh state dir; 0 once it printed its ready line. */
int harness_server_start(const char *bin);
/* SIGTERM + wait + state dir removal; safe to call twice or after a failed start. */
void harness_server_stop(void);
/* Client options pointing at the harness server: its key, API and sandbox URL, no environment. */
e2b_client_opts harness_client_opts(void);
/* Base URL ("http://127.0.0.1:PORT") of the running server. */
const char *harness_url(void);
/* Server pid (for tests that kill it mid-stream), -1 when not running. */
pid_t harness_server_pid(void);
/* Wall clock in milliseconds. */
int64_t harness_now_ms(void);

/* The call returned `code` and left it, with a message, as the last error. A macro (needs
 * <cmocka.h>): a failure names the caller's line and prints the last error's message. */
#define assert_failed_with(call, code_)                                                     \
    do {                                                                                    \
        int rc_ = (call);                                                                   \
        if (rc_ != (code_))                                                                 \
            fprintf(stderr, "expected %d, got %d: %s\n", (int)(code_), rc_,                 \
                    e2b_error_last()->message);                                             \
        assert_int_equal(rc_, (code_));                                                     \
        assert_int_equal(e2b_error_last()->code, (code_));                                  \
        assert_true(strlen(e2b_error_last()->message) > 0);                                 \
    } while (0)

#endif
