/* Integration tests of sessions (start, run work, pause, resume by id, end, idle auto-pause,
 * state) against a private e2b-local. Usage: test_session [path/to/e2b-local]. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "e2b.h"
#include "harness.h"

static e2b_client *g_client;

static int setup(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    return e2b_client_new(&g_client, &o) == E2B_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    e2b_client_free(g_client);
    return 0;
}

static void ok(int rc) {
    if (rc < 0) fprintf(stderr, "failed %d: %s\n", rc, e2b_error_last()->message);
    assert_true(rc >= 0);
}


static char *run(e2b_sandbox *sbx, const char *cmd) {
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    ok(e2b_exec_run(&out, sbx, cmd, NULL));
    char *s = strdup(out.out.ptr);
    e2b_exec_output_dispose(&out);
    return s;
}

/* Polls the state until `want` or ~timeout_ms. */
static int wait_state(const char *id, int want, int timeout_ms) {
    int st = 0;
    for (int waited = 0; waited <= timeout_ms; waited += 200) {
        st = e2b_session_state(g_client, id);
        if (st == want) return st;
        usleep(200 * 1000);
    }
    return st;
}

static void test_lifecycle(void **state) {
    (void)state;
    e2b_session *s = NULL;
    ok(e2b_session_start(&s, g_client, NULL));
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_session_id(s));
    assert_true(strlen(id) > 0);
    assert_string_equal(e2b_sandbox_id(e2b_session_sandbox(s)), id);
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_ACTIVE);

    /* Work: a file on disk and a process in memory. */
    e2b_sandbox *sbx = e2b_session_sandbox(s);
    free(run(sbx, "echo kept > /home/user/state.txt"));
    e2b_exec *bg = NULL;
    ok(e2b_exec_start(&bg, sbx, "sleep 600", NULL, NULL));
    uint32_t pid = e2b_exec_pid(bg);
    e2b_exec_free(bg);

    assert_int_equal(e2b_session_pause(s), 1);
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_PAUSED);
    assert_int_equal(e2b_session_pause(s), 0); /* already paused */
    e2b_session_free(s);

    /* Resume by the persisted id, from a fresh handle. */
    e2b_session *r = NULL;
    ok(e2b_session_resume(&r, g_client, id, NULL));
    assert_string_equal(e2b_session_id(r), id);
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_ACTIVE);
    char *txt = run(e2b_session_sandbox(r), "cat /home/user/state.txt");
    assert_string_equal(txt, "kept\n");
    free(txt);
    e2b_process_list *pl = NULL;
    ok(e2b_exec_list(&pl, e2b_session_sandbox(r)));
    int found = 0;
    for (size_t i = 0; i < e2b_process_list_count(pl); ++i)
        if (e2b_process_list_at(pl, i)->pid == pid) found = 1;
    e2b_process_list_free(pl);
    assert_true(found); /* memory (the process) survived the pause */
    ok(e2b_session_touch(r)); /* no idle period: a no-op */

    /* End it: gone for good. */
    ok(e2b_session_end(r));
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_ENDED);
    assert_failed_with(e2b_session_end(r), E2B_ESANDBOX_NOT_FOUND);
    e2b_session_free(r);

    /* Resuming a killed session is an error, never a silent new sandbox. */
    e2b_session *again = (e2b_session *)0x1;
    assert_failed_with(e2b_session_resume(&again, g_client, id, NULL), E2B_ESANDBOX_NOT_FOUND);
    assert_null(again);
    assert_non_null(strstr(e2b_error_last()->message, "ended"));
    e2b_sandbox_list *l = NULL;
    ok(e2b_sandbox_list_page(&l, g_client, NULL));
    assert_int_equal(e2b_sandbox_list_count(l), 0);
    e2b_sandbox_list_free(l);

    assert_int_equal(e2b_session_state(g_client, "never-existed"), E2B_SESSION_ENDED);
    assert_failed_with(e2b_session_resume(&again, g_client, "never-existed", NULL), E2B_ESANDBOX_NOT_FOUND);
}

static void test_idle_auto_pause(void **state) {
    (void)state;
    e2b_session_opts o = E2B_SESSION_OPTS_INIT;
    o.idle_pause_ms = 2000;
    e2b_session *s = NULL;
    ok(e2b_session_start(&s, g_client, &o));
    const char *id = e2b_session_id(s);
    /* Touching keeps it active past its idle period. */
    for (int i = 0; i < 6; ++i) {
        usleep(500 * 1000);
        ok(e2b_session_touch(s));
    }
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_ACTIVE);
    /* Then idle: E2B's auto-pause pauses it (files kept), it is not killed. */
    free(run(e2b_session_sandbox(s), "echo idle > /home/user/i.txt"));
    ok(e2b_session_touch(s));
    assert_int_equal(wait_state(id, E2B_SESSION_PAUSED, 8000), E2B_SESSION_PAUSED);

    e2b_session *r = NULL;
    ok(e2b_session_resume(&r, g_client, id, &o));
    assert_int_equal(e2b_session_state(g_client, id), E2B_SESSION_ACTIVE);
    char *txt = run(e2b_session_sandbox(r), "cat /home/user/i.txt");
    assert_string_equal(txt, "idle\n");
    free(txt);
    /* Resumed with the idle period: it pauses again when left alone. */
    assert_int_equal(wait_state(id, E2B_SESSION_PAUSED, 8000), E2B_SESSION_PAUSED);
    ok(e2b_session_end(r));
    e2b_session_free(r);
    e2b_session_free(s);

    /* An idle period on a session started without one would kill it: refused. */
    e2b_session *plain = NULL;
    ok(e2b_session_start(&plain, g_client, NULL));
    e2b_session *bad = NULL;
    assert_failed_with(e2b_session_resume(&bad, g_client, e2b_session_id(plain), &o), E2B_EINVAL);
    assert_null(bad);
    ok(e2b_session_end(plain));
    e2b_session_free(plain);
}

static void test_bad_args(void **state) {
    (void)state;
    e2b_session *s = NULL;
    assert_failed_with(e2b_session_start(NULL, g_client, NULL), E2B_EINVAL);
    assert_failed_with(e2b_session_start(&s, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_session_resume(&s, g_client, "", NULL), E2B_EINVAL);
    assert_failed_with(e2b_session_resume(&s, g_client, NULL, NULL), E2B_EINVAL);
    e2b_session_opts o = E2B_SESSION_OPTS_INIT;
    o.idle_pause_ms = -1;
    assert_failed_with(e2b_session_start(&s, g_client, &o), E2B_EINVAL);
    o.version = 9;
    assert_failed_with(e2b_session_start(&s, g_client, &o), E2B_EVERSION);
    assert_failed_with(e2b_session_opts_init(&o, 0), E2B_EVERSION);
    ok(e2b_session_opts_init(&o, E2B_SESSION_OPTS_VERSION));
    assert_int_equal(o.idle_pause_ms, 0);
    assert_failed_with(e2b_session_pause(NULL), E2B_EINVAL);
    assert_failed_with(e2b_session_touch(NULL), E2B_EINVAL);
    assert_failed_with(e2b_session_state(g_client, ""), E2B_EINVAL);
    assert_null(e2b_session_id(NULL));
    assert_null(e2b_session_sandbox(NULL));
    e2b_session_free(NULL);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_session");
    if (begun != 0) return begun > 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_idle_auto_pause),
        cmocka_unit_test(test_bad_args),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    harness_server_stop();
    return rc;
}
