/* Cancel tokens (e2b.h "Cancelling blocking calls") against a private e2b-local.
 * Usage: test_cancel [path/to/e2b-local]. Needs root (e2b-local does). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2b.h"
#include "harness.h"

static e2b_client *g_client;
static e2b_sandbox *g_sb;

struct delayed {
    e2b_cancel *tok;
    int delay_ms;
};
static void *trigger_later(void *p) {
    struct delayed *d = p;
    usleep(d->delay_ms * 1000);
    e2b_cancel_trigger(d->tok);
    return NULL;
}

static int setup(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    if (e2b_client_new(&g_client, &o) != E2B_OK) return -1;
    return e2b_sandbox_create(&g_sb, g_client, NULL) == E2B_OK ? 0 : -1;
}
static int teardown(void **state) {
    (void)state;
    e2b_sandbox_kill(g_sb);
    e2b_sandbox_free(g_sb);
    e2b_client_free(g_client);
    return 0;
}

/* A blocking run cancelled from another thread returns E2B_ECANCELED promptly; afterwards the
 * bound thread's calls fail at once until it unbinds, and other threads are unaffected. */
static void test_cancel_blocking_run(void **state) {
    (void)state;
    e2b_cancel *tok = NULL;
    assert_int_equal(e2b_cancel_new(&tok), E2B_OK);
    assert_int_equal(e2b_cancel_is_triggered(tok), 0);
    e2b_cancel_bind(tok);
    struct delayed d = {tok, 300};
    pthread_t t;
    pthread_create(&t, NULL, trigger_later, &d);
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_exec_run(&out, g_sb, "sleep 20", NULL), E2B_ECANCELED);
    int64_t took = harness_now_ms() - t0;
    assert_true(took >= 250 && took < 2000);
    assert_int_equal(e2b_error_last()->code, E2B_ECANCELED);
    pthread_join(t, NULL);
    assert_int_equal(e2b_cancel_is_triggered(tok), 1);

    /* triggered: later calls of this thread fail without a request */
    assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), E2B_ECANCELED);
    e2b_sandbox *sb2 = NULL;
    assert_int_equal(e2b_sandbox_create(&sb2, g_client, NULL), E2B_ECANCELED);
    assert_null(sb2);
    e2b_cancel_trigger(tok); /* idempotent */

    e2b_cancel_bind(NULL);
    assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), 1);
    e2b_exec_output_dispose(&out);
    assert_int_equal(e2b_exec_run(&out, g_sb, "echo ok", NULL), E2B_OK);
    assert_string_equal(out.out.ptr, "ok\n");
    e2b_exec_output_dispose(&out);
    e2b_cancel_free(tok);
}

static int count_bytes(const void *d, size_t n, void *p) {
    *(size_t *)p += n;
    return 0;
}

/* A streamed download and a composite call stop at the trigger; a token freed while bound is
 * kept alive by the binding. */
static void test_cancel_stream_and_free_while_bound(void **state) {
    (void)state;
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, g_sb, "head -c 300000000 /dev/zero > /tmp/big", NULL), E2B_OK);
    e2b_exec_output_dispose(&out);
    e2b_cancel *tok = NULL;
    assert_int_equal(e2b_cancel_new(&tok), E2B_OK);
    e2b_cancel_bind(tok);
    struct delayed d = {tok, 100};
    pthread_t t;
    pthread_create(&t, NULL, trigger_later, &d);
    size_t got = 0;
    int rc = e2b_files_read_stream(g_sb, "/tmp/big", count_bytes, &got, NULL);
    pthread_join(t, NULL);
    /* on a very fast machine the whole file may arrive first; then the next call is refused */
    if (rc == E2B_OK) {
        assert_int_equal(got, 300000000);
        assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), E2B_ECANCELED);
    } else {
        assert_int_equal(rc, E2B_ECANCELED);
        assert_true(got < 300000000);
    }
    e2b_cancel_free(tok); /* still bound: the thread's binding keeps the token */
    assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), E2B_ECANCELED);
    e2b_cancel_bind(NULL);
    assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), 1);

    /* a token bound on another thread does not touch this one */
    assert_int_equal(e2b_cancel_new(&tok), E2B_OK);
    e2b_cancel_trigger(tok);
    assert_int_equal(e2b_files_exists(g_sb, "/tmp", NULL), 1);
    e2b_cancel_free(tok);

    /* NULLs */
    assert_int_equal(e2b_cancel_new(NULL), E2B_EINVAL);
    assert_int_equal(e2b_cancel_is_triggered(NULL), E2B_EINVAL);
    e2b_cancel_trigger(NULL);
    e2b_cancel_free(NULL);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_cancel");
    if (begun != 0) return begun > 0 ? 0 : 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_blocking_run),
        cmocka_unit_test(test_cancel_stream_and_free_while_bound),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    harness_server_stop();
    return rc;
}
