/* Integration tests of commands and PTY (e2b.h "Commands and PTY") against a private e2b-local.
 * Usage: test_exec [path/to/e2b-local]. Needs root (e2b-local does). */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

static e2b_client *new_client(uint32_t delivery) {
    e2b_client_opts o = harness_client_opts();
    o.delivery = delivery;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    return c;
}

static e2b_sandbox *new_sandbox(e2b_client *c) {
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, c, NULL), E2B_OK);
    return sb;
}

/* Output collected by the callbacks; guarded since callbacks run on the service thread. */
typedef struct {
    pthread_mutex_t mu;
    char out[65536];
    size_t out_len;
    char err[4096];
    size_t err_len;
    int64_t first_out_ms;
    int exits;
    int32_t exit_code;
    int exit_err;
    pthread_t cb_thread;
    int stop_after;  /* on_stdout returns nonzero once this many chunks arrived (0 = never) */
    int chunks;
    int misuse_rc;   /* result of a blocking call made inside on_stdout */
    e2b_exec *self;
} sink;

static void sink_init(sink *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->misuse_rc = 1;
}

static int on_out(const char *d, size_t n, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    if (!s->first_out_ms) s->first_out_ms = harness_now_ms();
    if (s->out_len + n < sizeof s->out) {
        memcpy(s->out + s->out_len, d, n);
        s->out_len += n;
        s->out[s->out_len] = 0;
    }
    s->cb_thread = pthread_self();
    int chunks = ++s->chunks;
    e2b_exec *self = s->self;
    pthread_mutex_unlock(&s->mu);
    if (self && s->misuse_rc == 1) {
        int32_t code;
        s->misuse_rc = e2b_exec_wait(self, &code);
    }
    return s->stop_after && chunks >= s->stop_after;
}

static int on_err(const char *d, size_t n, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    if (s->err_len + n < sizeof s->err) {
        memcpy(s->err + s->err_len, d, n);
        s->err_len += n;
        s->err[s->err_len] = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void on_exit_cb(int32_t code, const e2b_error *err, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->exits++;
    s->exit_code = code;
    s->exit_err = err ? err->code : 0;
    pthread_mutex_unlock(&s->mu);
}

static e2b_exec_callbacks cbs_for(sink *s) {
    e2b_exec_callbacks c = E2B_EXEC_CALLBACKS_INIT;
    c.on_stdout = on_out;
    c.on_stderr = on_err;
    c.on_exit = on_exit_cb;
    c.payload = s;
    return c;
}

static int wait_for_text(sink *s, const char *needle, int ms) {
    for (int i = 0; i < ms / 10; ++i) {
        pthread_mutex_lock(&s->mu);
        int found = strstr(s->out, needle) != NULL;
        pthread_mutex_unlock(&s->mu);
        if (found) return 1;
        usleep(10000);
    }
    return 0;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_run(void **state) {
    (void)state;
    e2b_exec_output o = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&o, g_sb, "echo hello; echo oops >&2", NULL), E2B_OK);
    assert_string_equal(o.out.ptr, "hello\n");
    assert_string_equal(o.err.ptr, "oops\n");
    assert_int_equal(o.exit_code, 0);
    assert_string_equal(o.error.ptr, "");
    e2b_exec_output_dispose(&o);

    assert_int_equal(e2b_exec_run(&o, g_sb, "echo partial; exit 3", NULL), E2B_ECOMMAND_EXIT);
    assert_int_equal(e2b_error_last()->code, E2B_ECOMMAND_EXIT);
    assert_int_equal(o.exit_code, 3);
    assert_string_equal(o.out.ptr, "partial\n");
    assert_string_equal(o.error.ptr, "exit status 3");
    e2b_exec_output_dispose(&o);
    e2b_exec_output_dispose(&o);
    e2b_exec_output_dispose(NULL);
}

static void test_envs_cwd_user(void **state) {
    (void)state;
    const char *envs[] = {"FOO=bar baz", "N=1", NULL};
    e2b_exec_opts eo;
    assert_int_equal(e2b_exec_opts_init(&eo, E2B_EXEC_OPTS_VERSION), E2B_OK);
    eo.envs = envs;
    eo.cwd = "/tmp";
    eo.user = "root";
    e2b_exec_output o = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&o, g_sb, "echo \"$FOO|$N|$(pwd)|$(id -u)\"", &eo), E2B_OK);
    assert_string_equal(o.out.ptr, "bar baz|1|/tmp|0\n");
    e2b_exec_output_dispose(&o);

    eo.cwd = "/definitely/not/here";
    assert_int_equal(e2b_exec_run(&o, g_sb, "true", &eo), E2B_EINVAL);
    eo.cwd = NULL;
    eo.user = "nosuchuser";
    assert_int_equal(e2b_exec_run(&o, g_sb, "true", &eo), E2B_EAUTH);
    const char *bad[] = {"novalue", NULL};
    eo.user = NULL;
    eo.envs = bad;
    assert_int_equal(e2b_exec_run(&o, g_sb, "true", &eo), E2B_EINVAL);
    eo.envs = NULL;
    eo.version = 99;
    assert_int_equal(e2b_exec_run(&o, g_sb, "true", &eo), E2B_EVERSION);
    assert_int_equal(e2b_exec_run(&o, NULL, "true", NULL), E2B_EINVAL);
    assert_int_equal(e2b_exec_run(&o, g_sb, NULL, NULL), E2B_EINVAL);
}

static void test_streaming(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *x = NULL;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_exec_start(&x, g_sb, "echo first; sleep 1; echo second >&2; exit 4", NULL, &c),
                     E2B_OK);
    assert_true(e2b_exec_pid(x) > 0);
    int32_t code = 0;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_ECOMMAND_EXIT);
    int64_t t1 = harness_now_ms();
    assert_int_equal(code, 4);
    assert_string_equal(s.out, "first\n");
    assert_string_equal(s.err, "second\n");
    /* The first chunk arrived well before the exit. */
    assert_true(s.first_out_ms > 0 && s.first_out_ms - t0 < 900 && t1 - s.first_out_ms >= 500);
    /* Callbacks on the service thread, not ours. */
    assert_false(pthread_equal(s.cb_thread, pthread_self()));
    for (int i = 0; i < 100 && !s.exits; ++i) usleep(10000);
    assert_int_equal(s.exits, 1);
    assert_int_equal(s.exit_code, 4);
    assert_int_equal(s.exit_err, 0);
    e2b_exec_free(x);
    e2b_exec_free(NULL);
}

static void test_timeout_kills(void **state) {
    (void)state;
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.timeout_ms = 1000;
    e2b_exec_output o = E2B_EXEC_OUTPUT_INIT;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_exec_run(&o, g_sb, "sleep 30", &eo), E2B_ETIMEOUT);
    assert_true(harness_now_ms() - t0 < 8000);
    e2b_exec_output_dispose(&o);
}

static void test_background_kill_connect_list(void **state) {
    (void)state;
    e2b_exec *x = NULL;
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.timeout_ms = -1;
    eo.tag = "bg-tag";
    assert_int_equal(e2b_exec_start(&x, g_sb, "for i in $(seq 1 300); do echo tick$i; sleep 0.1; done", &eo, NULL),
                     E2B_OK);
    uint32_t pid = e2b_exec_pid(x);

    /* list sees it with its command and tag */
    e2b_process_list *l = NULL;
    assert_int_equal(e2b_exec_list(&l, g_sb), E2B_OK);
    int found = 0;
    for (size_t i = 0; i < e2b_process_list_count(l); ++i) {
        const e2b_process_info *p = e2b_process_list_at(l, i);
        if (p->pid != pid) continue;
        found = 1;
        assert_string_equal(p->cmd, "/bin/bash");
        assert_int_equal(p->arg_count, 3);
        assert_string_equal(p->args[0], "-l");
        assert_non_null(p->tag);
        assert_string_equal(p->tag, "bg-tag");
    }
    assert_true(found);
    assert_null(e2b_process_list_at(l, e2b_process_list_count(l)));
    e2b_process_list_free(l);
    e2b_process_list_free(NULL);

    /* a second stream attaches and sees live output */
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *y = NULL;
    assert_int_equal(e2b_exec_connect(&y, g_sb, pid, &c), E2B_OK);
    assert_int_equal(e2b_exec_pid(y), pid);
    assert_true(wait_for_text(&s, "tick", 3000));

    /* kill ends both streams */
    assert_int_equal(e2b_exec_kill(x), E2B_OK);
    int32_t code = 0;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_ECOMMAND_EXIT);
    assert_int_equal(code, -1);
    assert_int_equal(e2b_exec_wait(y, &code), E2B_ECOMMAND_EXIT);
    for (int i = 0; i < 100 && !s.exits; ++i) usleep(10000);
    assert_int_equal(s.exits, 1);
    e2b_exec_free(y);

    /* gone: kill → not found; connect → not found (after the 30 s retention it would be too) */
    sleep(0);
    assert_int_equal(e2b_exec_kill(x), E2B_ENOTFOUND);
    e2b_exec_free(x);
    assert_int_equal(e2b_exec_connect(&y, g_sb, 999999, NULL), E2B_ENOTFOUND);
    assert_null(y);
}

static void test_stdin(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.flags = E2B_EXEC_F_STDIN;
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, "cat", &eo, &c), E2B_OK);
    assert_int_equal(e2b_exec_send_stdin(x, "hello ", 6), E2B_OK);
    assert_int_equal(e2b_exec_send_stdin(x, "world\n", 6), E2B_OK);
    assert_true(wait_for_text(&s, "hello world\n", 3000));
    assert_int_equal(e2b_exec_close_stdin(x), E2B_OK);
    int32_t code = 7;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_OK);
    assert_int_equal(code, 0);
    assert_string_equal(s.out, "hello world\n");
    e2b_exec_free(x);

    /* without the flag stdin is /dev/null: cat ends at once */
    e2b_exec_output o = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&o, g_sb, "cat", NULL), E2B_OK);
    assert_string_equal(o.out.ptr, "");
    e2b_exec_output_dispose(&o);
}

static void test_pty(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.timeout_ms = -1;
    e2b_exec *p = NULL;
    assert_int_equal(e2b_pty_create(&p, g_sb, 80, 24, &eo, &c), E2B_OK);
    assert_true(e2b_exec_pid(p) > 0);
    const char *cmd = "stty size; echo \"TERM=$TERM\"\n";
    assert_int_equal(e2b_pty_send_input(p, cmd, strlen(cmd)), E2B_OK);
    assert_true(wait_for_text(&s, "24 80", 5000));
    assert_true(wait_for_text(&s, "TERM=xterm-256color", 5000));
    assert_int_equal(e2b_pty_resize(p, 120, 40), E2B_OK);
    const char *cmd2 = "stty size\n";
    assert_int_equal(e2b_pty_send_input(p, cmd2, strlen(cmd2)), E2B_OK);
    assert_true(wait_for_text(&s, "40 120", 5000));
    const char *bye = "exit 5\n";
    assert_int_equal(e2b_pty_send_input(p, bye, strlen(bye)), E2B_OK);
    int32_t code = 0;
    assert_int_equal(e2b_exec_wait(p, &code), E2B_ECOMMAND_EXIT);
    assert_int_equal(code, 5);
    assert_int_equal(e2b_pty_resize(p, 0, 10), E2B_EINVAL);
    e2b_exec_free(p);
}

typedef struct {
    e2b_exec *x;
    int rc;
} disc_arg;

static void *disconnect_later(void *arg) {
    disc_arg *a = arg;
    usleep(300000);
    a->rc = e2b_exec_disconnect(a->x);
    return NULL;
}

static void test_disconnect_from_thread(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, "sleep 5; echo done", NULL, &c), E2B_OK);
    uint32_t pid = e2b_exec_pid(x);
    disc_arg a = {x, 1};
    pthread_t t;
    pthread_create(&t, NULL, disconnect_later, &a);
    int64_t t0 = harness_now_ms();
    int32_t code;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_ECANCELED);
    assert_true(harness_now_ms() - t0 < 2000);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, E2B_OK);
    for (int i = 0; i < 100 && !s.exits; ++i) usleep(10000);
    assert_int_equal(s.exits, 1);
    assert_int_equal(s.exit_err, E2B_ECANCELED);
    e2b_exec_free(x);
    /* The process kept running. */
    e2b_process_list *l = NULL;
    assert_int_equal(e2b_exec_list(&l, g_sb), E2B_OK);
    int found = 0;
    for (size_t i = 0; i < e2b_process_list_count(l); ++i)
        if (e2b_process_list_at(l, i)->pid == pid) found = 1;
    e2b_process_list_free(l);
    assert_true(found);
}

static void test_misuse_and_user_stop(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, "sleep 0.3; echo a; sleep 0.3; echo b; sleep 5", NULL, &c),
                     E2B_OK);
    pthread_mutex_lock(&s.mu);
    s.self = x;           /* on_stdout calls e2b_exec_wait: must fail, not deadlock */
    s.stop_after = 1;     /* and then asks to stop */
    pthread_mutex_unlock(&s.mu);
    int32_t code;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_EUSER);
    assert_int_equal(s.misuse_rc, E2B_EMISUSE);
    e2b_exec_free(x);
}

static void test_queued_delivery(void **state) {
    (void)state;
    e2b_client *c = new_client(E2B_DELIVERY_QUEUED);
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_connect(&sb, c, e2b_sandbox_id(g_sb), 0), E2B_OK);
    int fd = e2b_client_wake_fd(c);
    assert_true(fd >= 0);
    assert_int_equal(e2b_client_wake_fd(g_client), -1);
    assert_int_equal(e2b_client_wake_fd(NULL), -1);
    assert_int_equal(e2b_client_dispatch(g_client, 0), 0);
    sink s;
    sink_init(&s);
    e2b_exec_callbacks cb = cbs_for(&s);
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, sb, "echo queued", NULL, &cb), E2B_OK);
    int32_t code = 1;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_OK);  /* wait does not need dispatch */
    /* Nothing ran yet: callbacks only inside dispatch. */
    assert_int_equal(s.chunks, 0);
    assert_int_equal(s.exits, 0);
    struct pollfd pfd = {fd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    int ran = 0;
    for (int i = 0; i < 200 && !s.exits; ++i) {
        int n = e2b_client_dispatch(c, 0);
        assert_true(n >= 0);
        ran += n;
        if (!s.exits) usleep(10000);
    }
    assert_true(ran >= 2);
    assert_int_equal(s.exits, 1);
    assert_string_equal(s.out, "queued\n");
    assert_true(pthread_equal(s.cb_thread, pthread_self()));
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, 0), 0);
    e2b_exec_free(x);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
}

/* Bulk output in both delivery modes: every byte, in order, on each stream, whether the callback
 * gets the library's reused decode buffer (service thread) or a queued copy. */
typedef struct {
    char *buf[2];
    size_t len[2], cap[2];
    int exits;
} bulk;

static int bulk_add(bulk *b, int i, const char *d, size_t n) {
    if (b->len[i] + n > b->cap[i]) {
        b->cap[i] = (b->len[i] + n) * 2;
        b->buf[i] = realloc(b->buf[i], b->cap[i]);
        assert_non_null(b->buf[i]);
    }
    memcpy(b->buf[i] + b->len[i], d, n);
    b->len[i] += n;
    return 0;
}
static int bulk_out(const char *d, size_t n, void *p) { return bulk_add(p, 0, d, n); }
static int bulk_err(const char *d, size_t n, void *p) { return bulk_add(p, 1, d, n); }
static void bulk_exit(int32_t code, const e2b_error *err, void *p) {
    assert_int_equal(code, 0);
    assert_null(err);
    ((bulk *)p)->exits++;
}

static void test_bulk_output_both_modes(void **state) {
    (void)state;
    size_t want_len[2] = {0, 0};
    char *want[2] = {malloc(8 << 20), malloc(8 << 20)};
    for (int i = 1; i <= 400000; ++i) want_len[0] += (size_t)sprintf(want[0] + want_len[0], "%d\n", i);
    for (int i = 1; i <= 30000; ++i) want_len[1] += (size_t)sprintf(want[1] + want_len[1], "e%d\n", i);
    for (int queued = 0; queued <= 1; ++queued) {
        e2b_client *c = queued ? new_client(E2B_DELIVERY_QUEUED) : g_client;
        e2b_sandbox *sb = g_sb;
        if (queued) assert_int_equal(e2b_sandbox_connect(&sb, c, e2b_sandbox_id(g_sb), 0), E2B_OK);
        bulk b;
        memset(&b, 0, sizeof b);
        e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
        cb.on_stdout = bulk_out;
        cb.on_stderr = bulk_err;
        cb.on_exit = bulk_exit;
        cb.payload = &b;
        e2b_exec *x = NULL;
        assert_int_equal(e2b_exec_start(&x, sb, "seq 1 400000 & seq -f e%g 1 30000 >&2; wait", NULL, &cb),
                         E2B_OK);
        int32_t code = 1;
        assert_int_equal(e2b_exec_wait(x, &code), E2B_OK);
        for (int i = 0; queued && i < 500 && !b.exits; ++i)
            if (e2b_client_dispatch(c, 0) == 0) usleep(10000);
        assert_int_equal(b.exits, 1);
        for (int k = 0; k < 2; ++k) {
            assert_int_equal(b.len[k], want_len[k]);
            assert_memory_equal(b.buf[k], want[k], want_len[k]);
            free(b.buf[k]);
        }
        e2b_exec_free(x);
        if (queued) {
            e2b_sandbox_free(sb);
            e2b_client_free(c);
        }
    }
    free(want[0]);
    free(want[1]);
}

static void test_version_compat(void **state) {
    (void)state;
    /* A version-1 client opts struct (without `delivery`) is still accepted. */
    e2b_client_opts o;
    memset(&o, 0, sizeof o);
    assert_int_equal(e2b_client_opts_init(&o, 1), E2B_OK);
    o.api_key = HARNESS_KEY;
    o.flags = E2B_CLIENT_F_NO_ENV;
    o.delivery = 77; /* beyond a v1 struct: ignored */
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    assert_int_equal(e2b_client_wake_fd(c), -1);
    e2b_client_free(c);
    o.version = 2;
    assert_int_equal(e2b_client_new(&c, &o), E2B_EINVAL);
    e2b_exec_opts eo;
    assert_int_equal(e2b_exec_opts_init(&eo, 2), E2B_EVERSION);
    static const e2b_exec_opts e0 = E2B_EXEC_OPTS_INIT;
    memset(&eo, 0xab, sizeof eo);
    assert_int_equal(e2b_exec_opts_init(&eo, E2B_EXEC_OPTS_VERSION), E2B_OK);
    assert_memory_equal(&e0, &eo, sizeof eo);
    e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
    cb.version = 0;
    e2b_exec *x = (e2b_exec *)0x1;
    assert_int_equal(e2b_exec_start(&x, g_sb, "true", NULL, &cb), E2B_EVERSION);
    assert_null(x);
}

/* Last: kills the server mid-stream. */
static void test_server_killed(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *x = NULL;
    /* a file written as `user` switches the agent's fs credentials, which once cleared the
     * parent-death signal that takes a sandbox down with its server */
    assert_int_equal(e2b_files_write(g_sb, "/home/user/before-kill.txt", "x", 1, NULL), E2B_OK);
    assert_int_equal(e2b_exec_start(&x, g_sb, "while true; do echo x; sleep 0.1; done", NULL, &c), E2B_OK);
    assert_true(wait_for_text(&s, "x", 3000));
    char procs[256];
    snprintf(procs, sizeof procs, "/sys/fs/cgroup/pids/e2b-local/%s/cgroup.procs", e2b_sandbox_id(g_sb));
    kill(harness_server_pid(), SIGKILL);
    int64_t t0 = harness_now_ms();
    int32_t code;
    int rc = e2b_exec_wait(x, &code);
    assert_true(harness_now_ms() - t0 < 1000);
    assert_true(rc == E2B_ENETWORK || rc == E2B_ESANDBOX_NOT_FOUND || rc == E2B_EPROTOCOL);
    assert_true(rc < 0);
    for (int i = 0; i < 100 && !s.exits; ++i) usleep(10000);
    assert_int_equal(s.exits, 1);
    assert_int_equal(s.exit_err, rc);
    e2b_exec_free(x);
    /* the sandbox's processes die with their server (bwrap --die-with-parent) */
    int left = 1;
    for (int i = 0; i < 200 && left; ++i) {
        FILE *f = fopen(procs, "r");
        left = f && fgetc(f) != EOF;
        if (f) fclose(f);
        if (left) usleep(10000);
    }
    assert_false(left);
}


/* By-pid control of processes whose handles are gone: stdin, close, kill, PTY input/resize. */
static void test_by_pid(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.flags = E2B_EXEC_F_STDIN;
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, "cat", &eo, &c), E2B_OK);
    uint32_t pid = e2b_exec_pid(x);
    assert_int_equal(e2b_process_send_stdin(g_sb, pid, "via-pid\n", 8), E2B_OK);
    assert_true(wait_for_text(&s, "via-pid", 3000));
    assert_int_equal(e2b_process_close_stdin(g_sb, pid), E2B_OK);
    int32_t code = -1;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_OK); /* cat saw EOF */
    e2b_exec_free(x);

    assert_int_equal(e2b_exec_start(&x, g_sb, "sleep 60", NULL, NULL), E2B_OK);
    pid = e2b_exec_pid(x);
    e2b_exec_free(x); /* no handle any more */
    assert_int_equal(e2b_process_kill(g_sb, pid), E2B_OK);
    /* SIGKILL is asynchronous: the process is gone once the agent reaped it */
    int rc = E2B_OK;
    for (int i = 0; i < 200 && rc == E2B_OK; ++i) {
        rc = e2b_process_kill(g_sb, pid);
        if (rc == E2B_OK) usleep(10000);
    }
    assert_int_equal(rc, E2B_ENOTFOUND);
    assert_int_equal(e2b_error_last()->code, E2B_ENOTFOUND);
    assert_failed_with(e2b_process_send_stdin(g_sb, 999999, "x", 1), E2B_ENOTFOUND);
    assert_failed_with(e2b_process_close_stdin(g_sb, 999999), E2B_ENOTFOUND);
    assert_failed_with(e2b_process_send_stdin(NULL, pid, "x", 1), E2B_EINVAL);
    assert_failed_with(e2b_process_send_stdin(g_sb, pid, NULL, 1), E2B_EINVAL);

    sink p;
    sink_init(&p);
    e2b_exec_callbacks pc = cbs_for(&p);
    e2b_exec_opts po = E2B_EXEC_OPTS_INIT;
    po.timeout_ms = -1;
    assert_int_equal(e2b_pty_create(&x, g_sb, 80, 24, &po, &pc), E2B_OK);
    pid = e2b_exec_pid(x);
    assert_int_equal(e2b_process_resize_pty(g_sb, pid, 100, 40), E2B_OK);
    assert_failed_with(e2b_process_resize_pty(g_sb, pid, 0, 40), E2B_EINVAL);
    const char *line = "stty size; exit\n";
    assert_int_equal(e2b_process_send_pty_input(g_sb, pid, line, strlen(line)), E2B_OK);
    assert_true(wait_for_text(&p, "40 100", 5000));
    assert_int_equal(e2b_exec_wait(x, &code), E2B_OK);
    e2b_exec_free(x);
    assert_failed_with(e2b_process_resize_pty(g_sb, 999999, 10, 10), E2B_ENOTFOUND);
    assert_failed_with(e2b_process_send_pty_input(g_sb, 999999, "x", 1), E2B_ENOTFOUND);
}

/* The end status text, read from inside on_exit (no e2b_exec_wait needed). */
static e2b_exec *g_status_exec;
static char g_status[64];
static void on_exit_status(int32_t code, const e2b_error *err, void *p) {
    e2b_buf b = E2B_BUF_INIT;
    if (e2b_exec_end_status(&b, g_status_exec) == E2B_OK) snprintf(g_status, sizeof g_status, "%s", b.ptr);
    e2b_buf_dispose(&b);
}
static void test_end_status(void **state) {
    (void)state;
    e2b_exec_callbacks c = E2B_EXEC_CALLBACKS_INIT;
    c.on_exit = on_exit_status;
    g_status[0] = 0;
    /* started without callbacks' access to the handle yet: the command waits for a file */
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, "while [ ! -e /tmp/go-status ]; do sleep 0.02; done; exit 3", NULL, &c),
                     E2B_OK);
    g_status_exec = x;
    e2b_buf b = E2B_BUF_INIT;
    assert_int_equal(e2b_exec_end_status(&b, x), E2B_OK); /* still running: "" */
    assert_string_equal(b.ptr, "");
    e2b_buf_dispose(&b);
    assert_int_equal(e2b_files_write(g_sb, "/tmp/go-status", "", 0, NULL), E2B_OK);
    int32_t code = 0;
    assert_int_equal(e2b_exec_wait(x, &code), E2B_ECOMMAND_EXIT);
    assert_int_equal(code, 3);
    assert_string_equal(g_status, "exit status 3"); /* on_exit ran before wait returned */
    assert_int_equal(e2b_exec_end_status(&b, x), E2B_OK);
    assert_string_equal(b.ptr, "exit status 3");
    e2b_buf_dispose(&b);
    assert_int_equal(e2b_exec_end_status(NULL, x), E2B_EINVAL);
    assert_int_equal(e2b_exec_end_status(&b, NULL), E2B_EINVAL);
    e2b_exec_free(x);
}

/* A sandbox killed while a command streams: the stream ends with the SDKs' "sandbox was killed"
 * timeout error (a health probe tells it from a network failure), promptly. */
static void test_sandbox_killed_mid_stream(void **state) {
    (void)state;
    e2b_sandbox *sb = new_sandbox(g_client);
    sink s;
    sink_init(&s);
    e2b_exec_callbacks c = cbs_for(&s);
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, sb, "echo started; sleep 30", NULL, &c), E2B_OK);
    assert_true(wait_for_text(&s, "started", 3000));
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    int32_t code = 0;
    int rc = e2b_exec_wait(x, &code);
    assert_true(harness_now_ms() - t0 < 2000);
    assert_int_equal(rc, E2B_ETIMEOUT);
    assert_non_null(strstr(e2b_error_last()->message, "sandbox was killed"));
    assert_int_equal(s.exits, 1);
    assert_int_equal(s.exit_err, E2B_ETIMEOUT);
    e2b_exec_free(x);
    e2b_sandbox_free(sb);
}

/* Handles freed while their streams still run, then the sandbox and the client at once: the
 * streams end on the service thread after their sandbox is gone (no use after free: ASan), and
 * wait() returns only after on_exit returned (the sink is then safe to reuse). */
static void test_free_order(void **state) {
    (void)state;
    for (int round = 0; round < 20; ++round) {
        e2b_client *c = new_client(E2B_DELIVERY_SERVICE_THREAD);
        e2b_sandbox *sb = new_sandbox(c);
        e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
        sink s;
        sink_init(&s);
        cb.on_stdout = on_out;
        cb.on_exit = on_exit_cb;
        cb.payload = &s;
        e2b_exec *ex = NULL;
        assert_int_equal(e2b_exec_start(&ex, sb, "yes | head -c 2000000; sleep 5", NULL, &cb), E2B_OK);
        e2b_exec_free(ex);
        e2b_sandbox *sb2 = NULL;
        assert_int_equal(e2b_sandbox_connect(&sb2, c, e2b_sandbox_id(sb), 0), E2B_OK);
        e2b_sandbox_free(sb);
        /* a short command: on_exit has run when wait returns */
        sink w;
        sink_init(&w);
        cb.payload = &w;
        assert_int_equal(e2b_exec_start(&ex, sb2, "echo done", NULL, &cb), E2B_OK);
        int32_t code = -1;
        assert_int_equal(e2b_exec_wait(ex, &code), E2B_OK);
        assert_int_equal(w.exits, 1);
        e2b_exec_free(ex);
        assert_int_equal(e2b_exec_start(&ex, sb2, "sleep 5", NULL, &cb), E2B_OK);
        e2b_exec_free(ex);
        assert_int_equal(e2b_sandbox_kill(sb2), E2B_OK);
        e2b_sandbox_free(sb2);
        e2b_client_free(c);
    }
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_exec");
    if (begun != 0) return begun > 0 ? 0 : 1;
    g_client = new_client(E2B_DELIVERY_SERVICE_THREAD);
    g_sb = new_sandbox(g_client);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_envs_cwd_user),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_timeout_kills),
        cmocka_unit_test(test_background_kill_connect_list),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_disconnect_from_thread),
        cmocka_unit_test(test_misuse_and_user_stop),
        cmocka_unit_test(test_queued_delivery),
        cmocka_unit_test(test_bulk_output_both_modes),
        cmocka_unit_test(test_version_compat),
        cmocka_unit_test(test_by_pid),
        cmocka_unit_test(test_end_status),
        cmocka_unit_test(test_sandbox_killed_mid_stream),
        cmocka_unit_test(test_free_order),
        cmocka_unit_test(test_server_killed), /* last: it kills the server */
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2b_sandbox_free(g_sb);
    e2b_client_free(g_client);
    harness_server_stop();
    return rc;
}
