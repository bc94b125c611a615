/* Shared by the integration tests: runs a private e2b-local on a free port for one test binary. */
#ifndef E2B_TEST_HARNESS_H
#define E2B_TEST_HARNESS_H

#include <stdint.h>
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

#endif
