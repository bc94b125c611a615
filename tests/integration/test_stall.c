/* Stall detection against a real e2b-local: a silent command is detected (and killed on request),
 * a chatty one is not, a silent sandbox is detected, the watch re-arms on new output, and
 * QUEUED delivery runs on_stall inside e2b_client_dispatch. Usage: test_stall [e2b-local]. */
#include <poll.h>
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

struct stall {
    pthread_mutex_t mu;
    int count;
    uint32_t pid;
    int64_t idle_ms;
    int32_t killed;
    char sandbox_id[128];
    int64_t at_ms;
};

static void on_stall(const char *sandbox_id, uint32_t pid, int64_t idle_ms, int32_t killed,
                     void *payload) {
    struct stall *s = payload;
    pthread_mutex_lock(&s->mu);
    ++s->count;
    s->pid = pid;
    s->idle_ms = idle_ms;
    s->killed = killed;
    snprintf(s->sandbox_id, sizeof s->sandbox_id, "%s", sandbox_id);
    s->at_ms = harness_now_ms();
    pthread_mutex_unlock(&s->mu);
}

static int count(struct stall *s) {
    pthread_mutex_lock(&s->mu);
    int n = s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int wait_count(struct stall *s, int n, int64_t ms) {
    int64_t end = harness_now_ms() + ms;
    while (count(s) < n && harness_now_ms() < end) usleep(10000);
    return count(s) >= n;
}

static e2b_stall_opts opts(struct stall *s, int64_t idle_ms, uint32_t flags) {
    e2b_stall_opts o = E2B_STALL_OPTS_INIT;
    o.idle_ms = idle_ms;
    o.flags = flags;
    o.on_stall = on_stall;
    o.payload = s;
    return o;
}

static void test_stalled_command_killed(void **state) {
    (void)state;
    struct stall s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, "", 0};
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.timeout_ms = 60000;
    e2b_exec *ex = NULL;
    assert_int_equal(e2b_exec_start(&ex, g_sb, "echo started; sleep 60", &eo, NULL), E2B_OK);
    int64_t t0 = harness_now_ms();
    e2b_stall_opts o = opts(&s, 300, E2B_STALL_F_KILL);
    e2b_stall_watch *w = NULL;
    assert_int_equal(e2b_stall_watch_exec(&w, ex, &o), E2B_OK);
    assert_true(wait_count(&s, 1, 5000));
    assert_true(s.at_ms - t0 >= 250 && s.at_ms - t0 < 3000);
    assert_int_equal(s.pid, e2b_exec_pid(ex));
    assert_string_equal(s.sandbox_id, e2b_sandbox_id(g_sb));
    assert_true(s.idle_ms >= 300);
    assert_int_equal(s.killed, 1);
    int32_t code = 0;
    int rc = e2b_exec_wait(ex, &code); /* killed: it ends well before its 60 s */
    assert_true(rc == E2B_ECOMMAND_EXIT || rc == E2B_OK);
    assert_true(harness_now_ms() - t0 < 10000);
    usleep(400000);
    assert_int_equal(count(&s), 1); /* once per silence */
    e2b_stall_watch_free(w);
    e2b_exec_free(ex);
}

static void test_chatty_command_not_stalled(void **state) {
    (void)state;
    struct stall s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, "", 0};
    e2b_exec *ex = NULL;
    assert_int_equal(e2b_exec_start(&ex, g_sb, "for i in $(seq 12); do echo $i; sleep 0.1; done; sleep 2",
                                    NULL, NULL),
                     E2B_OK);
    e2b_stall_opts o = opts(&s, 800, 0); /* generous: CI machines are busy */
    e2b_stall_watch *w = NULL;
    assert_int_equal(e2b_stall_watch_exec(&w, ex, &o), E2B_OK);
    usleep(1000000);
    assert_int_equal(count(&s), 0); /* output every 100 ms */
    /* then it goes quiet for 2 s: detected, not killed */
    assert_true(wait_count(&s, 1, 4000));
    assert_int_equal(s.killed, 0);
    int32_t code = -1;
    assert_int_equal(e2b_exec_wait(ex, &code), E2B_OK); /* not killed: exits normally */
    assert_int_equal(code, 0);
    e2b_stall_watch_free(w);
    e2b_exec_free(ex);
}

static void test_sandbox_watch_rearms(void **state) {
    (void)state;
    struct stall s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, "", 0};
    e2b_stall_opts o = opts(&s, 200, 0);
    e2b_stall_watch *w = NULL;
    assert_int_equal(e2b_stall_watch_sandbox(&w, g_sb, &o), E2B_OK);
    assert_true(wait_count(&s, 1, 3000));
    assert_int_equal(s.pid, 0);
    assert_int_equal(s.killed, 0);
    usleep(300000);
    assert_int_equal(count(&s), 1);
    /* any command's output is a heartbeat for the sandbox: re-armed, fires again later */
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, g_sb, "echo beat", NULL), E2B_OK);
    e2b_exec_output_dispose(&out);
    assert_true(wait_count(&s, 2, 3000));
    e2b_stall_watch_free(w);
    int n = count(&s);
    usleep(400000);
    assert_int_equal(count(&s), n); /* freed: no more calls */
}

static void test_bad_input_and_health(void **state) {
    (void)state;
    struct stall s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, "", 0};
    e2b_stall_watch *w = NULL;
    e2b_stall_opts o = opts(&s, 0, 0);
    assert_int_equal(e2b_stall_watch_sandbox(&w, g_sb, &o), E2B_EINVAL);
    o = opts(&s, 100, 0);
    o.on_stall = NULL;
    assert_int_equal(e2b_stall_watch_sandbox(&w, g_sb, &o), E2B_EINVAL);
    o = opts(&s, 100, 0x10);
    assert_int_equal(e2b_stall_watch_sandbox(&w, g_sb, &o), E2B_EINVAL);
    o = opts(&s, 100, 0);
    o.version = 7;
    assert_int_equal(e2b_stall_watch_sandbox(&w, g_sb, &o), E2B_EVERSION);
    assert_int_equal(e2b_stall_watch_exec(&w, NULL, NULL), E2B_EINVAL);
    assert_null(w);
    e2b_stall_opts i;
    assert_int_equal(e2b_stall_opts_init(&i, E2B_STALL_OPTS_VERSION), E2B_OK);
    assert_int_equal(i.idle_ms, 0);
    e2b_stall_watch_free(NULL);

    /* health: a killed sandbox reports not running; a sandbox watch with KILL kills it */
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, g_client, NULL), E2B_OK);
    assert_int_equal(e2b_sandbox_is_running(sb), 1);
    o = opts(&s, 150, E2B_STALL_F_KILL);
    assert_int_equal(e2b_stall_watch_sandbox(&w, sb, &o), E2B_OK);
    assert_true(wait_count(&s, 1, 3000));
    assert_int_equal(s.killed, 1);
    e2b_stall_watch_free(w);
    assert_int_equal(e2b_sandbox_is_running(sb), 0);
    e2b_sandbox_free(sb);
}

static void test_queued_delivery(void **state) {
    (void)state;
    e2b_client_opts co = harness_client_opts();
    co.delivery = E2B_DELIVERY_QUEUED;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &co), E2B_OK);
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_connect(&sb, c, e2b_sandbox_id(g_sb), 0), E2B_OK);
    struct stall s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, "", 0};
    e2b_stall_opts o = opts(&s, 100, 0);
    e2b_stall_watch *w = NULL;
    assert_int_equal(e2b_stall_watch_sandbox(&w, sb, &o), E2B_OK);
    /* nothing runs until the host dispatches */
    struct pollfd p = {e2b_client_wake_fd(c), POLLIN, 0};
    assert_int_equal(poll(&p, 1, 3000), 1);
    assert_int_equal(count(&s), 0);
    assert_true(e2b_client_dispatch(c, 0) >= 1);
    assert_int_equal(count(&s), 1);
    e2b_stall_watch_free(w);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_stall");
    if (begun != 0) return begun > 0 ? 0 : 1;
    e2b_client_opts o = harness_client_opts();
    assert_int_equal(e2b_client_new(&g_client, &o), E2B_OK);
    assert_int_equal(e2b_sandbox_create(&g_sb, g_client, NULL), E2B_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalled_command_killed),
        cmocka_unit_test(test_chatty_command_not_stalled),
        cmocka_unit_test(test_sandbox_watch_rearms),
        cmocka_unit_test(test_bad_input_and_health),
        cmocka_unit_test(test_queued_delivery),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2b_sandbox_kill(g_sb);
    e2b_sandbox_free(g_sb);
    e2b_client_free(g_client);
    harness_server_stop();
    return rc;
}
