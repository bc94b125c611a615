/* Integration tests of the C ABI (client + sandbox lifecycle) against a real e2b-local, started
 * here on a free port. Usage: test_sandbox [path/to/e2b-local]. Needs root (e2b-local does). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2b.h"
#include "harness.h"

#define KEY HARNESS_KEY
#define BAD_KEY "e2b_ffffffffffffffffffffffffffffffffffffffff"

/* ---- helpers ------------------------------------------------------------------------------- */

static e2b_client *new_client(const char *key) {
    e2b_client_opts o = harness_client_opts();
    o.api_key = key;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    assert_non_null(c);
    return c;
}


static void assert_last_ok(void) {
    const e2b_error *e = e2b_error_last();
    assert_int_equal(e->code, E2B_OK);
    assert_string_equal(e->message, "");
}

static int64_t now_ms(void) { return harness_now_ms(); }

static const char *meta_get(const e2b_sandbox_info *i, const char *key) {
    for (size_t k = 0; k < i->metadata_count; ++k)
        if (strcmp(i->metadata_keys[k], key) == 0) return i->metadata_values[k];
    return NULL;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_versions(void **state) {
    (void)state;
    assert_string_equal(e2b_version(), "0.1.0");
    assert_int_equal(e2b_abi_version(), E2B_ABI_VERSION);
    assert_string_equal(e2b_status_str(E2B_OK), "ok");
    assert_string_equal(e2b_status_str(E2B_ESANDBOX_NOT_FOUND), "sandbox not found");
    assert_string_equal(e2b_status_str(12345), "unknown error");
    e2b_buf b = E2B_BUF_INIT;
    e2b_buf_dispose(&b);
    e2b_buf_dispose(NULL);
}

static void test_opts_init(void **state) {
    (void)state;
    /* static: padding bytes are then zero, as _init() leaves them */
    static const e2b_client_opts c0 = E2B_CLIENT_OPTS_INIT;
    static const e2b_sandbox_opts s0 = E2B_SANDBOX_OPTS_INIT;
    static const e2b_list_opts l0 = E2B_LIST_OPTS_INIT;
    e2b_client_opts c1 = c0, c2;
    memset(&c2, 0xab, sizeof c2);
    assert_int_equal(e2b_client_opts_init(&c2, E2B_CLIENT_OPTS_VERSION), E2B_OK);
    assert_memory_equal(&c0, &c2, sizeof c0);
    assert_last_ok();
    e2b_sandbox_opts s1 = s0, s2;
    memset(&s2, 0xab, sizeof s2);
    assert_int_equal(e2b_sandbox_opts_init(&s2, E2B_SANDBOX_OPTS_VERSION), E2B_OK);
    assert_memory_equal(&s0, &s2, sizeof s0);
    e2b_list_opts l1 = l0, l2;
    memset(&l2, 0xab, sizeof l2);
    assert_int_equal(e2b_list_opts_init(&l2, E2B_LIST_OPTS_VERSION), E2B_OK);
    assert_memory_equal(&l0, &l2, sizeof l0);

    assert_failed_with(e2b_client_opts_init(&c2, 0), E2B_EVERSION);
    assert_failed_with(e2b_client_opts_init(&c2, 99), E2B_EVERSION);
    assert_failed_with(e2b_sandbox_opts_init(&s2, 0), E2B_EVERSION);
    assert_failed_with(e2b_sandbox_opts_init(&s2, 99), E2B_EVERSION);
    assert_failed_with(e2b_list_opts_init(&l2, 0), E2B_EVERSION);
    assert_failed_with(e2b_list_opts_init(&l2, 99), E2B_EVERSION);

    /* Versioned structs passed to calls are checked too. */
    e2b_client *c = (e2b_client *)0x1;
    c1.api_key = KEY;
    c1.version = 0;
    assert_failed_with(e2b_client_new(&c, &c1), E2B_EVERSION);
    assert_null(c);
    c1.version = 99;
    assert_failed_with(e2b_client_new(&c, &c1), E2B_EVERSION);
    e2b_client *cl = new_client(KEY);
    e2b_sandbox *sb = (e2b_sandbox *)0x1;
    s1.version = 99;
    assert_failed_with(e2b_sandbox_create(&sb, cl, &s1), E2B_EVERSION);
    assert_null(sb);
    e2b_sandbox_list *l = NULL;
    l1.version = 0;
    assert_failed_with(e2b_sandbox_list_page(&l, cl, &l1), E2B_EVERSION);
    assert_null(l);
    e2b_client_free(cl);
}

static void test_client_config(void **state) {
    (void)state;
    unsetenv("E2B_API_KEY");
    unsetenv("E2B_API_URL");
    unsetenv("E2B_SANDBOX_URL");
    unsetenv("E2B_DOMAIN");
    unsetenv("E2B_DEBUG");
    e2b_client *c = (e2b_client *)0x1;
    assert_failed_with(e2b_client_new(&c, NULL), E2B_EAUTH);
    assert_null(c);

    /* NO_ENV ignores a key in the environment. */
    setenv("E2B_API_KEY", KEY, 1);
    e2b_client_opts o;
    e2b_client_opts_init(&o, E2B_CLIENT_OPTS_VERSION);
    o.flags = E2B_CLIENT_F_NO_ENV;
    assert_failed_with(e2b_client_new(&c, &o), E2B_EAUTH);

    /* Malformed URL. */
    o.flags = 0;
    o.api_url = "not a url";
    assert_failed_with(e2b_client_new(&c, &o), E2B_EINVAL);

    /* Everything from the environment: a list call reaches e2b-local with the key. */
    setenv("E2B_API_URL", harness_url(), 1);
    setenv("E2B_SANDBOX_URL", harness_url(), 1);
    assert_int_equal(e2b_client_new(&c, NULL), E2B_OK);
    assert_last_ok();
    e2b_list_opts lo = E2B_LIST_OPTS_INIT;
    lo.limit = 1;
    e2b_sandbox_list *l = NULL;
    assert_int_equal(e2b_sandbox_list_page(&l, c, &lo), E2B_OK);
    assert_non_null(l);
    e2b_sandbox_list_free(l);
    e2b_client_free(c);

    /* A wrong key from the environment. */
    setenv("E2B_API_KEY", BAD_KEY, 1);
    assert_int_equal(e2b_client_new(&c, NULL), E2B_OK);
    assert_failed_with(e2b_sandbox_list_page(&l, c, NULL), E2B_EAUTH);
    assert_int_equal(e2b_error_last()->http_status, 401);
    e2b_client_free(c);
    unsetenv("E2B_API_KEY");
    unsetenv("E2B_API_URL");
    unsetenv("E2B_SANDBOX_URL");
}

static void test_wrong_key(void **state) {
    (void)state;
    e2b_client *c = new_client(BAD_KEY);
    e2b_sandbox_info *info = NULL;
    assert_failed_with(e2b_sandbox_get_info(&info, c, "inotthere"), E2B_EAUTH);
    assert_int_equal(e2b_error_last()->http_status, 401);
    e2b_sandbox *sb = NULL;
    assert_failed_with(e2b_sandbox_create(&sb, c, NULL), E2B_EAUTH);
    assert_int_equal(e2b_error_last()->http_status, 401);
    assert_null(sb);
    e2b_client_free(c);
}

static void test_null_args(void **state) {
    (void)state;
    e2b_client *c = new_client(KEY);
    e2b_sandbox *sb = NULL;
    e2b_sandbox_info *info = NULL;
    e2b_sandbox_list *l = NULL;
    e2b_buf b = E2B_BUF_INIT;
    assert_failed_with(e2b_client_opts_init(NULL, 1), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_opts_init(NULL, 1), E2B_EINVAL);
    assert_failed_with(e2b_list_opts_init(NULL, 1), E2B_EINVAL);
    assert_failed_with(e2b_client_new(NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_create(NULL, c, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_create(&sb, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_connect(&sb, c, NULL, 0), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_connect(&sb, NULL, "x", 0), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_connect(NULL, c, "x", 0), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_connect(&sb, c, "", 0), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_kill(NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_set_timeout(NULL, 1000), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_pause(NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_is_running(NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_get_info(NULL, c, "x"), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_get_info(&info, NULL, "x"), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_get_info(&info, c, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_list_page(NULL, c, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_list_page(&l, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_get_host(NULL, (const e2b_sandbox *)NULL, 80), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_get_host(&b, NULL, 80), E2B_EINVAL);
    assert_null(e2b_sandbox_id(NULL));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_null(e2b_sandbox_envd_version(NULL));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_int_equal(e2b_sandbox_list_count(NULL), 0);
    assert_null(e2b_sandbox_list_at(NULL, 0));
    assert_null(e2b_sandbox_list_next_token(NULL));
    /* Bad list entries and option values. */
    const char *bad[] = {"novalue", NULL};
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.metadata = bad;
    assert_failed_with(e2b_sandbox_create(&sb, c, &so), E2B_EINVAL);
    e2b_list_opts lo = E2B_LIST_OPTS_INIT;
    lo.limit = 101;
    assert_failed_with(e2b_sandbox_list_page(&l, c, &lo), E2B_EINVAL);
    /* The free functions accept NULL. */
    e2b_client_free(NULL);
    e2b_sandbox_free(NULL);
    e2b_sandbox_info_free(NULL);
    e2b_sandbox_list_free(NULL);
    e2b_client_free(c);
}

static void test_unknown_sandbox(void **state) {
    (void)state;
    e2b_client *c = new_client(KEY);
    e2b_sandbox *sb = (e2b_sandbox *)0x1;
    assert_failed_with(e2b_sandbox_connect(&sb, c, "inotthere000000000000", 0),
                       E2B_ESANDBOX_NOT_FOUND);
    assert_null(sb);
    e2b_sandbox_info *info = NULL;
    assert_failed_with(e2b_sandbox_get_info(&info, c, "inotthere000000000000"),
                       E2B_ESANDBOX_NOT_FOUND);
    assert_int_equal(e2b_error_last()->http_status, 404);
    e2b_client_free(c);
}

/* Pages of `limit` 1 through every sandbox matching meta; returns how many of ids[] were seen. */
static int count_listed(e2b_client *c, const char *const *meta, uint32_t states,
                        const char **ids, int nids, int *pages) {
    int seen = 0;
    char token[512] = "";
    *pages = 0;
    for (;;) {
        e2b_list_opts lo;
        assert_int_equal(e2b_list_opts_init(&lo, E2B_LIST_OPTS_VERSION), E2B_OK);
        lo.states = states;
        lo.metadata = meta;
        lo.limit = 1;
        lo.next_token = token[0] ? token : NULL;
        e2b_sandbox_list *l = NULL;
        assert_int_equal(e2b_sandbox_list_page(&l, c, &lo), E2B_OK);
        ++*pages;
        assert_true(e2b_sandbox_list_count(l) <= 1);
        for (size_t i = 0; i < e2b_sandbox_list_count(l); ++i) {
            const e2b_sandbox_info *it = e2b_sandbox_list_at(l, i);
            assert_non_null(it);
            assert_int_equal(it->version, 1);
            for (int k = 0; k < nids; ++k)
                if (strcmp(it->sandbox_id, ids[k]) == 0) ++seen;
            if (states == E2B_LIST_PAUSED) assert_string_equal(it->state, "paused");
            if (states == E2B_LIST_RUNNING) assert_string_equal(it->state, "running");
        }
        assert_null(e2b_sandbox_list_at(l, e2b_sandbox_list_count(l)));
        const char *next = e2b_sandbox_list_next_token(l);
        if (next) snprintf(token, sizeof token, "%s", next);
        e2b_sandbox_list_free(l);
        if (!next) break;
        assert_true(*pages < 50);
    }
    return seen;
}

static void test_lifecycle(void **state) {
    (void)state;
    e2b_client *c = new_client(KEY);
    char tag[64];
    snprintf(tag, sizeof tag, "suite=capi-%d", (int)getpid());
    const char *meta[] = {tag, "k y=v&1", NULL};
    const char *envs[] = {"FOO=bar", NULL};
    e2b_sandbox_opts so;
    assert_int_equal(e2b_sandbox_opts_init(&so, E2B_SANDBOX_OPTS_VERSION), E2B_OK);
    so.metadata = meta;
    so.envs = envs;
    so.timeout_ms = 120000;
    e2b_sandbox *a = NULL, *b = NULL;
    assert_int_equal(e2b_sandbox_create(&a, c, &so), E2B_OK);
    assert_last_ok();
    const char *single[] = {tag, NULL};
    so.metadata = single;
    assert_int_equal(e2b_sandbox_create(&b, c, &so), E2B_OK);
    const char *ida = e2b_sandbox_id(a), *idb = e2b_sandbox_id(b);
    assert_non_null(ida);
    assert_true(strlen(ida) > 0);
    assert_string_not_equal(ida, idb);
    assert_non_null(e2b_sandbox_envd_version(a));
    assert_true(strlen(e2b_sandbox_envd_version(a)) > 0);

    /* get_info */
    e2b_sandbox_info *info = NULL;
    int64_t t0 = now_ms();
    assert_int_equal(e2b_sandbox_get_info(&info, c, ida), E2B_OK);
    assert_int_equal(info->version, 1);
    assert_string_equal(info->sandbox_id, ida);
    assert_string_equal(info->state, "running");
    assert_true(strlen(info->template_id) > 0);
    assert_non_null(info->alias);
    assert_string_equal(info->envd_version, e2b_sandbox_envd_version(a));
    assert_true(info->started_at_ms > t0 - 120000 && info->started_at_ms <= t0 + 5000);
    assert_true(info->end_at_ms > t0 + 100000 && info->end_at_ms < t0 + 130000);
    assert_true(info->cpu_count > 0);
    assert_true(info->memory_mb > 0);
    assert_true(info->disk_size_mb >= 0);
    assert_int_equal(info->metadata_count, 2);
    assert_string_equal(meta_get(info, "k y"), "v&1");
    assert_string_equal(meta_get(info, "suite"), tag + strlen("suite="));
    e2b_sandbox_info_free(info);

    /* get_host is independent of the sandbox URL */
    e2b_buf host = E2B_BUF_INIT;
    assert_int_equal(e2b_sandbox_get_host(&host, a, 8080), E2B_OK);
    char want[256];
    snprintf(want, sizeof want, "8080-%s.example.test", ida);
    assert_string_equal(host.ptr, want);
    assert_int_equal(host.size, strlen(want));
    e2b_buf_dispose(&host);
    assert_null(host.ptr);

    /* set_timeout may shorten */
    assert_int_equal(e2b_sandbox_set_timeout(a, 60000), E2B_OK);
    t0 = now_ms();
    assert_int_equal(e2b_sandbox_get_info(&info, c, ida), E2B_OK);
    assert_true(info->end_at_ms > t0 + 50000 && info->end_at_ms < t0 + 65000);
    e2b_sandbox_info_free(info);
    assert_failed_with(e2b_sandbox_set_timeout(a, 0), E2B_EINVAL);

    /* list: metadata filters (with characters that need encoding), state, pagination */
    const char *ids[] = {ida, idb};
    int pages;
    assert_int_equal(count_listed(c, single, 0, ids, 2, &pages), 2);
    assert_true(pages >= 2);
    assert_int_equal(count_listed(c, meta, E2B_LIST_RUNNING, ids, 2, &pages), 1);
    assert_int_equal(count_listed(c, single, E2B_LIST_PAUSED, ids, 2, &pages), 0);

    /* pause, then resume through connect */
    assert_int_equal(e2b_sandbox_is_running(a), 1);
    assert_int_equal(e2b_sandbox_pause(a), 1);
    assert_last_ok();
    assert_int_equal(e2b_sandbox_pause(a), 0);
    assert_int_equal(e2b_sandbox_is_running(a), 0);
    assert_last_ok();
    assert_int_equal(e2b_sandbox_get_info(&info, c, ida), E2B_OK);
    assert_string_equal(info->state, "paused");
    e2b_sandbox_info_free(info);
    assert_int_equal(count_listed(c, single, E2B_LIST_PAUSED, ids, 2, &pages), 1);
    assert_int_equal(count_listed(c, single, E2B_LIST_RUNNING, ids, 2, &pages), 1);
    e2b_sandbox *a2 = NULL;
    assert_int_equal(e2b_sandbox_connect(&a2, c, ida, 0), E2B_OK);
    assert_string_equal(e2b_sandbox_id(a2), ida);
    assert_int_equal(e2b_sandbox_is_running(a2), 1);
    assert_int_equal(e2b_sandbox_is_running(a), 1);
    e2b_sandbox_free(a2);

    /* kill */
    assert_int_equal(e2b_sandbox_kill(a), E2B_OK);
    assert_failed_with(e2b_sandbox_kill(a), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_get_info(&info, c, ida), E2B_ESANDBOX_NOT_FOUND);
    assert_null(info);
    assert_failed_with(e2b_sandbox_set_timeout(a, 1000), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_pause(a), E2B_ESANDBOX_NOT_FOUND);
    assert_int_equal(e2b_sandbox_is_running(a), 0);
    e2b_sandbox *gone = NULL;
    assert_failed_with(e2b_sandbox_connect(&gone, c, ida, 0), E2B_ESANDBOX_NOT_FOUND);
    assert_int_equal(e2b_sandbox_kill(b), E2B_OK);
    assert_int_equal(count_listed(c, single, 0, ids, 2, &pages), 0);
    e2b_sandbox_free(a);
    e2b_sandbox_free(b);
    e2b_client_free(c);
}

/* By-id lifecycle calls: no handle, a paused sandbox is not resumed by them. */
static void test_by_id(void **state) {
    (void)state;
    e2b_client *c = new_client(KEY);
    e2b_sandbox *s = NULL;
    assert_int_equal(e2b_sandbox_create(&s, c, NULL), E2B_OK);
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(s));
    e2b_sandbox_free(s);

    assert_int_equal(e2b_sandbox_set_timeout_id(c, id, 120000), E2B_OK);
    e2b_sandbox_info *info = NULL;
    assert_int_equal(e2b_sandbox_get_info(&info, c, id), E2B_OK);
    assert_true(info->end_at_ms > now_ms() + 100000);
    e2b_sandbox_info_free(info);
    assert_int_equal(e2b_sandbox_pause_id(c, id), 1);
    assert_int_equal(e2b_sandbox_pause_id(c, id), 0); /* already paused */
    assert_int_equal(e2b_sandbox_get_info(&info, c, id), E2B_OK);
    assert_string_equal(info->state, "paused");
    e2b_sandbox_info_free(info);
    assert_int_equal(e2b_sandbox_kill_id(c, id), E2B_OK); /* killed while paused, not resumed */
    assert_failed_with(e2b_sandbox_get_info(&info, c, id), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_kill_id(c, id), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_pause_id(c, id), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_set_timeout_id(c, id, 1000), E2B_ESANDBOX_NOT_FOUND);

    assert_failed_with(e2b_sandbox_kill_id(c, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_kill_id(c, ""), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_kill_id(NULL, id), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_pause_id(c, NULL), E2B_EINVAL);
    assert_failed_with(e2b_sandbox_set_timeout_id(c, id, 0), E2B_EINVAL);
    e2b_client *bad = new_client(BAD_KEY);
    assert_failed_with(e2b_sandbox_kill_id(bad, id), E2B_EAUTH);
    e2b_client_free(bad);
    e2b_client_free(c);
}

/* Metrics samples and platform logs: shapes, filters, paging, failure paths. */
static void test_metrics_and_logs(void **state) {
    (void)state;
    e2b_client *c = new_client(KEY);
    e2b_sandbox *s = NULL;
    assert_int_equal(e2b_sandbox_create(&s, c, NULL), E2B_OK);
    const char *id = e2b_sandbox_id(s);

    e2b_sandbox_metric_list *ml = NULL;
    assert_int_equal(e2b_sandbox_get_metrics(&ml, c, id, -1, -1), E2B_OK);
    assert_true(e2b_sandbox_metric_list_count(ml) >= 1);
    const e2b_sandbox_metric *m = e2b_sandbox_metric_list_at(ml, 0);
    assert_non_null(m);
    assert_int_equal(m->version, 1);
    assert_true(m->cpu_count >= 1);
    assert_true(m->mem_total_bytes > 0);
    assert_true(m->mem_used_bytes > 0 && m->mem_used_bytes <= m->mem_total_bytes);
    assert_true(m->timestamp_ms > now_ms() - 60000 && m->timestamp_ms <= now_ms() + 1000);
    assert_true(m->cpu_used_pct >= 0 && m->cpu_used_pct <= 100.0 * m->cpu_count);
    assert_null(e2b_sandbox_metric_list_at(ml, e2b_sandbox_metric_list_count(ml)));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    e2b_sandbox_metric_list_free(ml);
    assert_failed_with(e2b_sandbox_get_metrics(&ml, c, id, 100, 50), E2B_EINVAL);
    assert_null(ml);

    assert_int_equal(e2b_sandbox_pause(s), 1);
    e2b_sandbox *again = NULL;
    assert_int_equal(e2b_sandbox_connect(&again, c, id, 0), E2B_OK);

    e2b_sandbox_log_list *ll = NULL;
    assert_int_equal(e2b_sandbox_get_logs(&ll, c, id, NULL), E2B_OK);
    size_t n = e2b_sandbox_log_list_count(ll);
    assert_true(n >= 3); /* created, paused, resumed */
    const e2b_sandbox_log_entry *first = e2b_sandbox_log_list_at(ll, 0);
    assert_string_equal(first->level, "info");
    assert_non_null(strstr(first->message, "created"));
    assert_true(first->timestamp_ms > now_ms() - 60000);
    int64_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
        const e2b_sandbox_log_entry *e = e2b_sandbox_log_list_at(ll, i);
        assert_true(e->timestamp_ms >= prev);
        prev = e->timestamp_ms;
    }
    int64_t second_ts = e2b_sandbox_log_list_at(ll, 1)->timestamp_ms;
    e2b_sandbox_log_list_free(ll);

    /* newest first, limit 1: the resume */
    e2b_logs_opts lo;
    assert_int_equal(e2b_logs_opts_init(&lo, E2B_LOGS_OPTS_VERSION), E2B_OK);
    lo.flags = E2B_LOGS_F_BACKWARD;
    lo.limit = 1;
    assert_int_equal(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_OK);
    assert_int_equal(e2b_sandbox_log_list_count(ll), 1);
    assert_non_null(strstr(e2b_sandbox_log_list_at(ll, 0)->message, "resumed"));
    e2b_sandbox_log_list_free(ll);
    /* search and cursor */
    e2b_logs_opts_init(&lo, E2B_LOGS_OPTS_VERSION);
    lo.search = "paused";
    assert_int_equal(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_OK);
    assert_int_equal(e2b_sandbox_log_list_count(ll), 1);
    e2b_sandbox_log_list_free(ll);
    e2b_logs_opts_init(&lo, E2B_LOGS_OPTS_VERSION);
    lo.cursor_ms = second_ts;
    assert_int_equal(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_OK);
    assert_int_equal(e2b_sandbox_log_list_count(ll), n - 1);
    e2b_sandbox_log_list_free(ll);
    lo.min_level = "error";
    assert_int_equal(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_OK);
    assert_int_equal(e2b_sandbox_log_list_count(ll), 0);
    e2b_sandbox_log_list_free(ll);
    /* bad input */
    lo.min_level = "loud";
    assert_failed_with(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_EINVAL);
    e2b_logs_opts_init(&lo, E2B_LOGS_OPTS_VERSION);
    lo.limit = 1001;
    assert_failed_with(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_EINVAL);
    lo.limit = 0;
    lo.version = 99;
    assert_failed_with(e2b_sandbox_get_logs(&ll, c, id, &lo), E2B_EVERSION);
    assert_int_equal(e2b_logs_opts_init(&lo, 0), E2B_EVERSION);
    assert_failed_with(e2b_sandbox_get_logs(&ll, c, "nosuchsandbox", NULL), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_get_metrics(&ml, c, "nosuchsandbox", -1, -1), E2B_ESANDBOX_NOT_FOUND);
    assert_failed_with(e2b_sandbox_get_logs(&ll, c, NULL, NULL), E2B_EINVAL);
    assert_int_equal(e2b_sandbox_log_list_count(NULL), 0);
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_int_equal(e2b_sandbox_metric_list_count(NULL), 0);
    e2b_sandbox_log_list_free(NULL);
    e2b_sandbox_metric_list_free(NULL);
    e2b_client *bad = new_client(BAD_KEY);
    assert_failed_with(e2b_sandbox_get_logs(&ll, bad, id, NULL), E2B_EAUTH);
    assert_failed_with(e2b_sandbox_get_metrics(&ml, bad, id, -1, -1), E2B_EAUTH);
    e2b_client_free(bad);

    assert_int_equal(e2b_sandbox_kill(again), E2B_OK);
    e2b_sandbox_free(again);
    e2b_sandbox_free(s);
    e2b_client_free(c);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_sandbox");
    if (begun != 0) return begun > 0 ? 0 : 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),      cmocka_unit_test(test_opts_init),
        cmocka_unit_test(test_client_config), cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_null_args),     cmocka_unit_test(test_unknown_sandbox),
        cmocka_unit_test(test_lifecycle),     cmocka_unit_test(test_metrics_and_logs),
        cmocka_unit_test(test_by_id),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    return rc;
}
