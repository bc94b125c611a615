/* Warm pool against a real e2b-local: warm acquire, reuse, exhaustion (fail and wait), a pooled
 * sandbox killed behind the pool's back, reuse limit, idle eviction, shutdown kills everything.
 * Usage: test_pool [path/to/e2b-local]. Needs root (e2b-local does). */
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

static e2b_pool *new_pool(uint32_t min_idle, uint32_t max_size, const e2b_sandbox_opts *sb) {
    e2b_pool_opts o = E2B_POOL_OPTS_INIT;
    o.name = "test";
    o.min_idle = min_idle;
    o.max_size = max_size;
    o.sandbox = sb;
    e2b_pool *p = NULL;
    assert_int_equal(e2b_pool_new(&p, g_client, &o), E2B_OK);
    return p;
}

static e2b_pool_stats stats(e2b_pool *p) {
    e2b_pool_stats s;
    assert_int_equal(e2b_pool_get_stats(p, &s), E2B_OK);
    assert_int_equal(s.version, 1);
    return s;
}

/* Background refill runs on the service thread; poll until `idle` warm sandboxes are there. */
static void wait_idle(e2b_pool *p, uint32_t idle) {
    int64_t end = harness_now_ms() + 20000;
    while (stats(p).idle < idle) {
        assert_true(harness_now_ms() < end);
        assert_int_equal(e2b_pool_maintain(p), E2B_OK);
        usleep(20000);
    }
}

static void assert_works(e2b_sandbox *sb) {
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, sb, "echo pooled", NULL), E2B_OK);
    assert_string_equal(out.out.ptr, "pooled\n");
    e2b_exec_output_dispose(&out);
}

static int is_gone(const char *id) {
    e2b_sandbox_info *info = NULL;
    int rc = e2b_sandbox_get_info(&info, g_client, id);
    e2b_sandbox_info_free(info);
    return rc == E2B_ESANDBOX_NOT_FOUND;
}

static void test_warm_acquire_and_reuse(void **state) {
    (void)state;
    e2b_pool *p = new_pool(2, 3, NULL);
    wait_idle(p, 2);
    e2b_pool_stats s = stats(p);
    assert_int_equal(s.created, 2);
    assert_int_equal(s.active, 0);

    int64_t t0 = harness_now_ms();
    e2b_sandbox *a = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, -1), E2B_OK);
    int64_t warm_ms = harness_now_ms() - t0;
    assert_true(warm_ms < 200); /* a health check, not a create */
    assert_works(a);
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(a));
    assert_int_equal(stats(p).active, 1);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);

    /* the most recently released is handed out again */
    assert_int_equal(e2b_pool_acquire(&a, p, -1), E2B_OK);
    assert_string_equal(e2b_sandbox_id(a), id);
    s = stats(p);
    assert_int_equal(s.reused, 1);
    assert_int_equal(s.acquisitions, 2);
    assert_true(s.wait_p50_ms >= 0 && s.wait_p95_ms >= s.wait_p50_ms);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
    assert_true(is_gone(id));
}

struct waiter {
    e2b_pool *p;
    int rc;
    int64_t waited_ms;
    e2b_sandbox *sb;
};

static void *wait_acquire(void *arg) {
    struct waiter *w = arg;
    int64_t t0 = harness_now_ms();
    w->rc = e2b_pool_acquire(&w->sb, w->p, 10000);
    w->waited_ms = harness_now_ms() - t0;
    return NULL;
}

static void test_exhausted(void **state) {
    (void)state;
    e2b_pool *p = new_pool(0, 1, NULL);
    e2b_sandbox *a = NULL, *b = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK); /* cold: created on this thread */
    assert_int_equal(stats(p).created, 1);

    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_pool_acquire(&b, p, 150), E2B_EPOOL_EXHAUSTED);
    assert_true(harness_now_ms() - t0 >= 140);
    assert_null(b);
    assert_int_equal(e2b_error_last()->code, E2B_EPOOL_EXHAUSTED);
    assert_non_null(strstr(e2b_error_last()->message, "exhausted"));
    assert_string_equal(e2b_status_str(E2B_EPOOL_EXHAUSTED), "pool exhausted");
    assert_int_equal(stats(p).exhausted, 1);

    /* a waiting acquire gets the sandbox as soon as it is released */
    struct waiter w = {p, 1, 0, NULL};
    pthread_t th;
    pthread_create(&th, NULL, wait_acquire, &w);
    usleep(200000);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, E2B_OK);
    assert_true(w.waited_ms >= 150 && w.waited_ms < 5000);
    assert_works(w.sb);
    assert_int_equal(e2b_pool_release(p, w.sb, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
}

static void test_killed_behind_back(void **state) {
    (void)state;
    e2b_pool *p = new_pool(1, 2, NULL);
    wait_idle(p, 1);
    e2b_sandbox *a = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, -1), E2B_OK);
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(a));
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);

    /* someone else kills it while it waits in the pool */
    e2b_sandbox *other = NULL;
    assert_int_equal(e2b_sandbox_connect(&other, g_client, id, 0), E2B_OK);
    assert_int_equal(e2b_sandbox_kill(other), E2B_OK);
    e2b_sandbox_free(other);

    e2b_sandbox *b = NULL;
    assert_int_equal(e2b_pool_acquire(&b, p, -1), E2B_OK);
    assert_string_not_equal(e2b_sandbox_id(b), id); /* replaced, not handed out */
    assert_works(b);
    assert_int_equal(stats(p).replaced, 1);
    assert_int_equal(e2b_pool_release(p, b, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
}

static void test_reuse_limit_discard_idle_timeout(void **state) {
    (void)state;
    e2b_pool_opts o = E2B_POOL_OPTS_INIT;
    o.max_size = 2;
    o.max_reuse = 1;
    o.idle_timeout_ms = 200;
    e2b_pool *p = NULL;
    assert_int_equal(e2b_pool_new(&p, g_client, &o), E2B_OK);

    e2b_sandbox *a = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(a));
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK); /* used once = the limit: killed */
    e2b_pool_stats s = stats(p);
    assert_int_equal(s.idle, 0);
    assert_int_equal(s.evicted, 1);
    int64_t end = harness_now_ms() + 5000;
    while (!is_gone(id)) {
        assert_true(harness_now_ms() < end);
        usleep(20000);
    }

    /* discard flag */
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    assert_int_equal(e2b_pool_release(p, a, E2B_POOL_RELEASE_F_DISCARD), E2B_OK);
    assert_int_equal(stats(p).evicted, 2);
    assert_int_equal(e2b_pool_free(p), E2B_OK);

    /* idle timeout: an idle sandbox above min_idle is evicted by maintain */
    o.max_reuse = 0;
    assert_int_equal(e2b_pool_new(&p, g_client, &o), E2B_OK);
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    assert_int_equal(stats(p).idle, 1);
    usleep(300000);
    assert_int_equal(e2b_pool_maintain(p), E2B_OK);
    s = stats(p);
    assert_int_equal(s.idle, 0);
    assert_int_equal(s.evicted, 1);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
}

static void test_shutdown_kills_everything(void **state) {
    (void)state;
    e2b_pool *p = new_pool(1, 3, NULL);
    e2b_sandbox *a = NULL, *b = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, -1), E2B_OK);
    assert_int_equal(e2b_pool_acquire(&b, p, -1), E2B_OK);
    wait_idle(p, 1);
    char ida[128], idb[128];
    snprintf(ida, sizeof ida, "%s", e2b_sandbox_id(a));
    snprintf(idb, sizeof idb, "%s", e2b_sandbox_id(b));
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    /* b is still handed out: shutdown kills it too and frees its handle */
    assert_int_equal(e2b_pool_free(p), E2B_OK);
    assert_true(is_gone(ida));
    assert_true(is_gone(idb));
    e2b_sandbox_list *l = NULL;
    assert_int_equal(e2b_sandbox_list_page(&l, g_client, NULL), E2B_OK);
    assert_int_equal(e2b_sandbox_list_count(l), 0); /* the warm one too */
    e2b_sandbox_list_free(l);
}

struct in_cb {
    e2b_pool *p;
    int rc;
};
static int acquire_from_callback(const char *d, size_t n, void *payload) {
    (void)d;
    (void)n;
    struct in_cb *x = payload;
    e2b_sandbox *sb = NULL;
    x->rc = e2b_pool_acquire(&sb, x->p, 0);
    return 0;
}

static void test_acquire_from_callback(void **state) {
    (void)state;
    e2b_pool *p = new_pool(0, 2, NULL);
    e2b_sandbox *a = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    struct in_cb x = {p, 1};
    e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
    cb.on_stdout = acquire_from_callback;
    cb.payload = &x;
    e2b_exec *ex = NULL;
    assert_int_equal(e2b_exec_start(&ex, a, "echo x", NULL, &cb), E2B_OK);
    assert_int_equal(e2b_exec_wait(ex, NULL), E2B_OK);
    e2b_exec_free(ex);
    assert_int_equal(x.rc, E2B_EMISUSE);
    e2b_pool_stats s = stats(p);
    assert_int_equal(s.replaced, 0);
    assert_int_equal(s.created, 1);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
}

static void test_profile_members_and_bad_input(void **state) {
    (void)state;
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.profile = "light";
    e2b_pool *p = new_pool(0, 1, &so);
    e2b_sandbox *a = NULL;
    assert_int_equal(e2b_pool_acquire(&a, p, 0), E2B_OK);
    e2b_sandbox_info *info = NULL;
    assert_int_equal(e2b_sandbox_get_info(&info, g_client, e2b_sandbox_id(a)), E2B_OK);
    assert_int_equal(info->cpu_count, 1);
    assert_int_equal(info->memory_mb, 512);
    e2b_sandbox_info_free(info);

    /* a sandbox not from this pool is refused and left alone */
    e2b_sandbox *foreign = NULL;
    assert_int_equal(e2b_sandbox_connect(&foreign, g_client, e2b_sandbox_id(a), 0), E2B_OK);
    assert_int_equal(e2b_pool_release(p, foreign, 0), E2B_EINVAL);
    assert_non_null(e2b_sandbox_id(foreign));
    e2b_sandbox_free(foreign);
    assert_int_equal(e2b_pool_release(p, a, 0x80), E2B_EINVAL);
    assert_int_equal(e2b_pool_release(p, a, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
    assert_int_equal(e2b_pool_free(NULL), E2B_OK);

    e2b_pool_opts o = E2B_POOL_OPTS_INIT;
    o.min_idle = 3;
    o.max_size = 2;
    assert_int_equal(e2b_pool_new(&p, g_client, &o), E2B_EINVAL);
    assert_null(p);
    o.min_idle = 0;
    o.version = 99;
    assert_int_equal(e2b_pool_new(&p, g_client, &o), E2B_EVERSION);
    e2b_pool_opts o2;
    assert_int_equal(e2b_pool_opts_init(&o2, E2B_POOL_OPTS_VERSION), E2B_OK);
    so.profile = "gigantic";
    o2.sandbox = &so;
    assert_int_equal(e2b_pool_new(&p, g_client, &o2), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "light"));
    assert_int_equal(e2b_pool_acquire(&a, NULL, 0), E2B_EINVAL);

    /* a template that does not exist: the create error reaches the caller */
    so.profile = NULL;
    so.template_id = "no-such-template";
    o2.sandbox = &so;
    assert_int_equal(e2b_pool_new(&p, g_client, &o2), E2B_OK);
    int rc = e2b_pool_acquire(&a, p, 0);
    assert_true(rc == E2B_ETEMPLATE || rc == E2B_ENOTFOUND || rc == E2B_ERROR || rc == E2B_EINVAL);
    assert_int_equal(stats(p).create_errors, 1);
    assert_int_equal(e2b_pool_free(p), E2B_OK);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_pool");
    if (begun != 0) return begun > 0 ? 0 : 1;
    e2b_client_opts o = harness_client_opts();
    assert_int_equal(e2b_client_new(&g_client, &o), E2B_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warm_acquire_and_reuse),
        cmocka_unit_test(test_exhausted),
        cmocka_unit_test(test_killed_behind_back),
        cmocka_unit_test(test_reuse_limit_discard_idle_timeout),
        cmocka_unit_test(test_shutdown_kills_everything),
        cmocka_unit_test(test_profile_members_and_bad_input),
        cmocka_unit_test(test_acquire_from_callback),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2b_client_free(g_client);
    harness_server_stop();
    return rc;
}
