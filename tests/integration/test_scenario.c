/* The shared scenario of tests/scenario.md, in C: the reference the Go, Node and Rust suites
 * mirror. Usage: test_scenario [path/to/e2b-local]. Needs root (e2b-local does). */
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

#define OK(call) assert_int_equal((call), E2B_OK)

typedef struct {
    pthread_mutex_t mu;
    char out[256], err[256];
    size_t out_len, err_len;
    int out_chunks_before_exit;
    int exited;
    int32_t code;
} stream_log;

static void log_init(stream_log *l) {
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
}

static void append(pthread_mutex_t *mu, char *buf, size_t *len, size_t cap, const char *d, size_t n) {
    pthread_mutex_lock(mu);
    if (*len + n < cap) {
        memcpy(buf + *len, d, n);
        *len += n;
        buf[*len] = 0;
    }
    pthread_mutex_unlock(mu);
}
static int on_out(const char *d, size_t n, void *p) {
    stream_log *l = p;
    append(&l->mu, l->out, &l->out_len, sizeof l->out, d, n);
    pthread_mutex_lock(&l->mu);
    if (!l->exited) l->out_chunks_before_exit++;
    pthread_mutex_unlock(&l->mu);
    return 0;
}
static int on_err(const char *d, size_t n, void *p) {
    stream_log *l = p;
    append(&l->mu, l->err, &l->err_len, sizeof l->err, d, n);
    return 0;
}
static void on_exit_cb(int32_t code, const e2b_error *err, void *p) {
    stream_log *l = p;
    pthread_mutex_lock(&l->mu);
    l->exited++;
    l->code = code;
    pthread_mutex_unlock(&l->mu);
}

static int wait_contains(stream_log *l, const char *needle) {
    for (int i = 0; i < 500; ++i) {
        pthread_mutex_lock(&l->mu);
        int hit = strstr(l->out, needle) != NULL;
        pthread_mutex_unlock(&l->mu);
        if (hit) return 1;
        usleep(10000);
    }
    return 0;
}

struct watch_seen {
    pthread_mutex_t mu;
    int hits, ends;
};
static void on_event(const e2b_fs_event *ev, void *p) {
    struct watch_seen *w = p;
    pthread_mutex_lock(&w->mu);
    if (strcmp(ev->name, "note.txt") == 0 &&
        (ev->type == E2B_FS_EVENT_CREATE || ev->type == E2B_FS_EVENT_WRITE))
        w->hits++;
    pthread_mutex_unlock(&w->mu);
}
static void on_end(const e2b_error *err, void *p) {
    struct watch_seen *w = p;
    pthread_mutex_lock(&w->mu);
    w->ends++;
    pthread_mutex_unlock(&w->mu);
}

struct reader {
    const unsigned char *data;
    size_t len, off;
};
static int collect(const void *d, size_t n, void *p) {
    struct reader *r = p; /* compares the streamed download against the expected bytes */
    if (r->off + n > r->len || memcmp(r->data + r->off, d, n) != 0) return 1;
    r->off += n;
    return 0;
}

static void scenario(void **state) {
    (void)state;
    e2b_client_opts co = harness_client_opts();
    e2b_client *c = NULL;
    OK(e2b_client_new(&c, &co));

    /* 1. create */
    const char *meta[] = {"scenario=1", NULL};
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.metadata = meta;
    e2b_sandbox *sb = NULL;
    OK(e2b_sandbox_create(&sb, c, &so));
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(sb));

    /* 2. streamed command */
    stream_log sl;
    log_init(&sl);
    e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
    cb.on_stdout = on_out;
    cb.on_stderr = on_err;
    cb.on_exit = on_exit_cb;
    cb.payload = &sl;
    e2b_exec *ex = NULL;
    OK(e2b_exec_start(&ex, sb,
                      "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.05; done; exit 3", NULL,
                      &cb));
    assert_true(wait_contains(&sl, "out1"));
    int32_t code = 0;
    assert_int_equal(e2b_exec_wait(ex, &code), E2B_ECOMMAND_EXIT);
    assert_int_equal(code, 3);
    assert_string_equal(sl.out, "out1\nout2\nout3\n");
    assert_string_equal(sl.err, "err1\nerr2\nerr3\n");
    assert_true(sl.out_chunks_before_exit >= 1);
    assert_int_equal(sl.exited, 1);
    e2b_exec_free(ex);

    /* 3. stdin */
    stream_log in;
    log_init(&in);
    cb.payload = &in;
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.flags = E2B_EXEC_F_STDIN;
    OK(e2b_exec_start(&ex, sb, "cat", &eo, &cb));
    OK(e2b_exec_send_stdin(ex, "hello\n", 6));
    assert_true(wait_contains(&in, "hello\n"));
    OK(e2b_exec_close_stdin(ex));
    OK(e2b_exec_wait(ex, &code));
    assert_int_equal(code, 0);
    e2b_exec_free(ex);

    /* 4. files: 8 MiB binary round trip */
    size_t big = 8u << 20;
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; ++i) data[i] = (unsigned char)(i * 31 + 7);
    OK(e2b_files_write(sb, "/home/user/data/blob.bin", data, big, NULL));
    e2b_buf got = E2B_BUF_INIT;
    OK(e2b_files_read(&got, sb, "/home/user/data/blob.bin", NULL));
    assert_int_equal(got.size, big);
    assert_memory_equal(got.ptr, data, big);
    e2b_buf_dispose(&got);
    struct reader rd = {data, big, 0};
    OK(e2b_files_read_stream(sb, "/home/user/data/blob.bin", collect, &rd, NULL));
    assert_int_equal(rd.off, big);
    e2b_entry_info *info = NULL;
    OK(e2b_files_stat(&info, sb, "/home/user/data/blob.bin", NULL));
    assert_int_equal(info->size, (int64_t)big);
    e2b_entry_info_free(info);
    e2b_entry_list *el = NULL;
    OK(e2b_files_list(&el, sb, "/home/user/data", 1, NULL));
    assert_int_equal(e2b_entry_list_count(el), 1);
    assert_string_equal(e2b_entry_list_at(el, 0)->name, "blob.bin");
    e2b_entry_list_free(el);
    free(data);

    /* 5. watch */
    struct watch_seen ws = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    e2b_watch *w = NULL;
    OK(e2b_files_watch(&w, sb, "/home/user/data", 0, on_event, on_end, &ws, NULL));
    OK(e2b_files_write(sb, "/home/user/data/note.txt", "hi", 2, NULL));
    for (int i = 0; i < 500 && !ws.hits; ++i) usleep(10000);
    assert_true(ws.hits >= 1);
    e2b_watch_stop(w);
    assert_int_equal(ws.ends, 1);
    e2b_watch_free(w);

    /* 6. pause, then connect with a live process */
    e2b_exec_opts bg = E2B_EXEC_OPTS_INIT;
    bg.timeout_ms = -1;
    OK(e2b_exec_start(&ex, sb, "sleep 600", &bg, NULL));
    uint32_t pid = e2b_exec_pid(ex);
    assert_true(pid > 0);
    e2b_exec_free(ex); /* local handle only: the process keeps running */
    assert_int_equal(e2b_sandbox_pause(sb), 1);
    assert_int_equal(e2b_sandbox_is_running(sb), 0);
    e2b_sandbox *sb2 = NULL;
    OK(e2b_sandbox_connect(&sb2, c, id, 0));
    assert_int_equal(e2b_sandbox_is_running(sb2), 1);
    e2b_process_list *pl = NULL;
    OK(e2b_exec_list(&pl, sb2));
    int found = 0;
    for (size_t i = 0; i < e2b_process_list_count(pl); ++i)
        if (e2b_process_list_at(pl, i)->pid == pid) found = 1;
    e2b_process_list_free(pl);
    assert_true(found);
    stream_log rl;
    log_init(&rl);
    cb.payload = &rl;
    e2b_exec *re = NULL;
    OK(e2b_exec_connect(&re, sb2, pid, &cb));
    OK(e2b_exec_kill(re));
    assert_int_not_equal(e2b_exec_wait(re, &code), E2B_OK); /* killed: not a clean exit */
    assert_int_equal(rl.exited, 1);
    e2b_exec_free(re);

    /* 7. kill */
    OK(e2b_sandbox_kill(sb2));
    assert_int_equal(e2b_sandbox_is_running(sb2), 0);
    assert_int_equal(e2b_sandbox_kill(sb2), E2B_ESANDBOX_NOT_FOUND);
    e2b_sandbox_free(sb2);

    /* 8. three error cases */
    e2b_sandbox *none = NULL;
    assert_int_equal(e2b_sandbox_connect(&none, c, "nosuchsandbox0000", 0), E2B_ESANDBOX_NOT_FOUND);
    e2b_client_opts bad = harness_client_opts();
    bad.api_key = "e2b_ffffffffffffffffffffffffffffffffffffffff";
    e2b_client *bc = NULL;
    OK(e2b_client_new(&bc, &bad));
    assert_int_equal(e2b_sandbox_create(&none, bc, NULL), E2B_EAUTH);
    e2b_client_free(bc);
    OK(e2b_sandbox_create(&none, c, NULL));
    assert_int_equal(e2b_files_read(&got, none, "/home/user/missing.txt", NULL), E2B_EFILE_NOT_FOUND);
    assert_int_equal(e2b_error_last()->code, E2B_EFILE_NOT_FOUND);
    OK(e2b_sandbox_kill(none));
    e2b_sandbox_free(none);

    e2b_sandbox_free(sb);
    e2b_client_free(c);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_scenario");
    if (begun != 0) return begun > 0 ? 0 : 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(scenario)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    return rc;
}
