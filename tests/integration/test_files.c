/* Integration tests of the files slice of the C ABI against a real e2b-local (started by the
 * shared harness). Usage: test_files [path/to/e2b-local]. Needs root (e2b-local does). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "e2b.h"
#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static e2b_client *g_client;
static e2b_sandbox *g_sbx;

/* ---- helpers ------------------------------------------------------------------------------- */

static int setup(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    if (e2b_client_new(&g_client, &o) != E2B_OK) return -1;
    if (e2b_sandbox_create(&g_sbx, g_client, NULL) != E2B_OK) {
        fprintf(stderr, "create: %s\n", e2b_error_last()->message);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (g_sbx) e2b_sandbox_kill(g_sbx);
    e2b_sandbox_free(g_sbx);
    e2b_client_free(g_client);
    return 0;
}


static void ok(int rc) {
    if (rc < 0) fprintf(stderr, "failed %d: %s\n", rc, e2b_error_last()->message);
    assert_true(rc >= 0);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
#define FNV0 14695981039346656037ull

/* Deterministic bytes: the value at offset i. */
static unsigned char byte_at(uint64_t i) {
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (unsigned char)(x >> 11);
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_opts_init(void **state) {
    (void)state;
    e2b_files_opts a, b = E2B_FILES_OPTS_INIT;
    memset(&a, 0x5a, sizeof a);
    assert_int_equal(e2b_files_opts_init(&a, E2B_FILES_OPTS_VERSION), E2B_OK);
    assert_int_equal(a.version, b.version);
    assert_null(a.user);
    assert_int_equal(a.timeout_ms, 0);
    assert_failed_with(e2b_files_opts_init(&a, 0), E2B_EVERSION);
    assert_failed_with(e2b_files_opts_init(&a, 99), E2B_EVERSION);
    e2b_files_opts bad = E2B_FILES_OPTS_INIT;
    bad.version = 7;
    assert_failed_with(e2b_files_exists(g_sbx, "/tmp", &bad), E2B_EVERSION);
}

static void test_text_and_binary_roundtrip(void **state) {
    (void)state;
    const char *text = "hello, files\nsecond line\n";
    ok(e2b_files_write(g_sbx, "/home/user/t/hello.txt", text, strlen(text), NULL));
    e2b_buf b = E2B_BUF_INIT;
    ok(e2b_files_read(&b, g_sbx, "/home/user/t/hello.txt", NULL));
    assert_int_equal(b.size, strlen(text));
    assert_string_equal(b.ptr, text);
    e2b_buf_dispose(&b);

    /* Relative paths resolve against the user's home. */
    ok(e2b_files_read(&b, g_sbx, "t/hello.txt", NULL));
    assert_string_equal(b.ptr, text);
    e2b_buf_dispose(&b);

    size_t n = 8u << 20;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; ++i) data[i] = byte_at(i);
    ok(e2b_files_write(g_sbx, "/home/user/t/bin.dat", data, n, NULL));
    ok(e2b_files_read(&b, g_sbx, "/home/user/t/bin.dat", NULL));
    assert_int_equal(b.size, n);
    assert_true(fnv(FNV0, b.ptr, b.size) == fnv(FNV0, data, n));
    e2b_buf_dispose(&b);
    free(data);

    /* Empty file. */
    ok(e2b_files_write(g_sbx, "/home/user/t/empty", NULL, 0, NULL));
    ok(e2b_files_read(&b, g_sbx, "/home/user/t/empty", NULL));
    assert_int_equal(b.size, 0);
    assert_string_equal(b.ptr, "");
    e2b_buf_dispose(&b);
}

struct gen {
    uint64_t off, total;
};
static int64_t gen_read(void *buf, size_t cap, void *payload) {
    struct gen *g = payload;
    size_t n = 0;
    unsigned char *p = buf;
    while (n < cap && g->off < g->total) p[n++] = byte_at(g->off++);
    return (int64_t)n;
}

struct sink {
    uint64_t hash, bytes, stop_after;
};
static int sink_data(const void *d, size_t n, void *payload) {
    struct sink *s = payload;
    s->hash = fnv(s->hash, d, n);
    s->bytes += n;
    return s->stop_after && s->bytes >= s->stop_after ? 1 : 0;
}

static void test_stream_64mib(void **state) {
    (void)state;
    const uint64_t total = 64ull << 20;
    uint64_t want = FNV0;
    for (uint64_t i = 0; i < total; ++i) {
        unsigned char c = byte_at(i);
        want = fnv(want, &c, 1);
    }
    long rss0 = rss_kb();
    struct gen g = {0, total};
    ok(e2b_files_write_stream(g_sbx, "/home/user/big.dat", gen_read, &g, (int64_t)total, NULL));
    assert_int_equal(g.off, total);
    struct sink s = {FNV0, 0, 0};
    ok(e2b_files_read_stream(g_sbx, "/home/user/big.dat", sink_data, &s, NULL));
    assert_int_equal(s.bytes, total);
    assert_true(s.hash == want);

    /* Chunked upload (unknown size). */
    struct gen g2 = {0, 1u << 20};
    ok(e2b_files_write_stream(g_sbx, "/home/user/chunked.dat", gen_read, &g2, -1, NULL));
    e2b_entry_info *info = NULL;
    ok(e2b_files_stat(&info, g_sbx, "/home/user/chunked.dat", NULL));
    assert_int_equal(info->size, 1 << 20);
    e2b_entry_info_free(info);
    long growth = rss_kb() - rss0;
#ifndef UNDER_ASAN
    printf("RSS growth over 64 MiB up + down: %ld kB\n", growth);
    assert_true(growth < 16 * 1024);
#else
    (void)growth;
#endif

    /* A callback asking to stop. */
    struct sink stop = {FNV0, 0, 1};
    assert_failed_with(e2b_files_read_stream(g_sbx, "/home/user/big.dat", sink_data, &stop, NULL), E2B_EUSER);
    ok(e2b_files_remove(g_sbx, "/home/user/big.dat", NULL));
}

static void test_write_many_and_list(void **state) {
    (void)state;
    e2b_file_entry e[3] = {
        {"/home/user/m/a.txt", "A", 1},
        {"/home/user/m/sub/b.txt", "BB", 2},
        {"m/sub/deeper/c.txt", "CCC", 3},
    };
    ok(e2b_files_write_many(g_sbx, e, 3, NULL));
    e2b_buf b = E2B_BUF_INIT;
    ok(e2b_files_read(&b, g_sbx, "/home/user/m/sub/deeper/c.txt", NULL));
    assert_string_equal(b.ptr, "CCC");
    e2b_buf_dispose(&b);

    e2b_entry_list *l = NULL;
    ok(e2b_files_list(&l, g_sbx, "/home/user/m", 1, NULL));
    assert_int_equal(e2b_entry_list_count(l), 2);
    const e2b_entry_info *i0 = e2b_entry_list_at(l, 0), *i1 = e2b_entry_list_at(l, 1);
    assert_string_equal(i0->name, "a.txt");
    assert_int_equal(i0->type, E2B_FILE_TYPE_FILE);
    assert_string_equal(i0->path, "/home/user/m/a.txt");
    assert_string_equal(i1->name, "sub");
    assert_int_equal(i1->type, E2B_FILE_TYPE_DIR);
    assert_null(e2b_entry_list_at(l, 2));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    e2b_entry_list_free(l);

    ok(e2b_files_list(&l, g_sbx, "/home/user/m", 2, NULL));
    assert_int_equal(e2b_entry_list_count(l), 4); /* a.txt, sub, sub/b.txt, sub/deeper */
    int saw_b = 0;
    for (size_t i = 0; i < e2b_entry_list_count(l); ++i)
        if (strcmp(e2b_entry_list_at(l, i)->path, "/home/user/m/sub/b.txt") == 0) saw_b = 1;
    assert_true(saw_b);
    e2b_entry_list_free(l);

    assert_failed_with(e2b_files_list(&l, g_sbx, "/home/user/nope", 1, NULL), E2B_EFILE_NOT_FOUND);
    assert_null(l);
    assert_failed_with(e2b_files_list(&l, g_sbx, "/home/user/m", 0, NULL), E2B_EINVAL);
}

static void test_stat_exists_dirs_rename_remove(void **state) {
    (void)state;
    int64_t before_ns = (harness_now_ms() - 5000) * 1000000;
    ok(e2b_files_write(g_sbx, "/home/user/s/f.txt", "12345", 5, NULL));
    e2b_entry_info *i = NULL;
    ok(e2b_files_stat(&i, g_sbx, "/home/user/s/f.txt", NULL));
    assert_int_equal(i->version, 1);
    assert_string_equal(i->name, "f.txt");
    assert_string_equal(i->path, "/home/user/s/f.txt");
    assert_int_equal(i->type, E2B_FILE_TYPE_FILE);
    assert_int_equal(i->size, 5);
    assert_int_equal(i->mode & 0600, 0600);
    assert_int_equal(i->permissions[0], '-');
    assert_string_equal(i->owner, "user");
    assert_string_equal(i->group, "user");
    assert_true(i->modified_time_ns > before_ns);
    assert_null(i->symlink_target);
    e2b_entry_info_free(i);

    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/s/f.txt", NULL), 1);
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/s/missing", NULL), 0);
    assert_failed_with(e2b_files_stat(&i, g_sbx, "/home/user/s/missing", NULL), E2B_EFILE_NOT_FOUND);

    assert_int_equal(e2b_files_make_dir(g_sbx, "/home/user/d1/d2", NULL), 1);
    assert_int_equal(e2b_files_make_dir(g_sbx, "/home/user/d1/d2", NULL), 0);
    ok(e2b_files_stat(&i, g_sbx, "/home/user/d1/d2", NULL));
    assert_int_equal(i->type, E2B_FILE_TYPE_DIR);
    assert_int_equal(i->permissions[0], 'd');
    e2b_entry_info_free(i);
    assert_failed_with(e2b_files_make_dir(g_sbx, "/home/user/s/f.txt", NULL), E2B_EINVAL);
    /* Reading a directory is invalid. */
    e2b_buf b = E2B_BUF_INIT;
    assert_failed_with(e2b_files_read(&b, g_sbx, "/home/user/d1", NULL), E2B_EINVAL);

    ok(e2b_files_rename(g_sbx, "/home/user/s/f.txt", "/home/user/s2/g.txt", NULL));
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/s/f.txt", NULL), 0);
    ok(e2b_files_read(&b, g_sbx, "/home/user/s2/g.txt", NULL));
    assert_string_equal(b.ptr, "12345");
    e2b_buf_dispose(&b);
    assert_failed_with(e2b_files_rename(g_sbx, "/home/user/s/f.txt", "/home/user/x", NULL),
                       E2B_EFILE_NOT_FOUND);

    ok(e2b_files_remove(g_sbx, "/home/user/d1", NULL));
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/d1/d2", NULL), 0);
    assert_int_equal(e2b_files_remove(g_sbx, "/home/user/never-there", NULL), E2B_OK);

    assert_failed_with(e2b_files_read(&b, g_sbx, "/home/user/no-such-file", NULL), E2B_EFILE_NOT_FOUND);
    assert_int_equal(e2b_error_last()->http_status, 404);
    assert_null(b.ptr);
}

static void test_users(void **state) {
    (void)state;
    e2b_files_opts root = E2B_FILES_OPTS_INIT;
    root.user = "root";
    ok(e2b_files_write(g_sbx, "/root/secret.txt", "s3cret", 6, &root));
    e2b_buf b = E2B_BUF_INIT;
    ok(e2b_files_read(&b, g_sbx, "/root/secret.txt", &root));
    assert_string_equal(b.ptr, "s3cret");
    e2b_buf_dispose(&b);
    e2b_entry_info *i = NULL;
    ok(e2b_files_stat(&i, g_sbx, "/root/secret.txt", &root));
    assert_string_equal(i->owner, "root");
    e2b_entry_info_free(i);

    /* The default user may not read it; writes to /root fail too. */
    int rc = e2b_files_read(&b, g_sbx, "/root/secret.txt", NULL);
    assert_true(rc < 0);
    assert_int_equal(e2b_error_last()->http_status, 403);
    assert_true(e2b_files_write(g_sbx, "/root/x.txt", "x", 1, NULL) < 0);

    e2b_files_opts ghost = E2B_FILES_OPTS_INIT;
    ghost.user = "no-such-user";
    assert_failed_with(e2b_files_read(&b, g_sbx, "/tmp", &ghost), E2B_EAUTH);
    assert_failed_with(e2b_files_exists(g_sbx, "/tmp", &ghost), E2B_EAUTH);
}

/* ---- watch ---- */

struct watch_log {
    pthread_mutex_t m;
    int creates, writes, removes, ends, end_code;
};

static void on_event(const e2b_fs_event *e, void *p) {
    struct watch_log *w = p;
    if (getenv("E2B_TEST_VERBOSE")) fprintf(stderr, "event %u %s\n", e->type, e->name);
    pthread_mutex_lock(&w->m);
    /* e2b-local writes through a temporary file renamed into place: the data goes to
     * ".<name>.upload-*", the final name gets CREATE (from the rename). */
    int ours = strcmp(e->name, "w.txt") == 0 || strcmp(e->name, "sub/n.txt") == 0;
    if (ours && e->type == E2B_FS_EVENT_CREATE) w->creates++;
    if ((strstr(e->name, "w.txt") || strstr(e->name, "n.txt")) && e->type == E2B_FS_EVENT_WRITE) w->writes++;
    if (ours && e->type == E2B_FS_EVENT_REMOVE) w->removes++;
    pthread_mutex_unlock(&w->m);
}

static void on_end(const e2b_error *err, void *p) {
    struct watch_log *w = p;
    pthread_mutex_lock(&w->m);
    w->ends++;
    w->end_code = err->code;
    pthread_mutex_unlock(&w->m);
}

static int wait_for(struct watch_log *w, int *field, int want) {
    for (int i = 0; i < 500; ++i) {
        pthread_mutex_lock(&w->m);
        int v = *field;
        pthread_mutex_unlock(&w->m);
        if (v >= want) return 1;
        usleep(10000);
    }
    return 0;
}

static void *stop_thread(void *arg) {
    e2b_watch_stop(arg);
    return NULL;
}

static void test_watch(void **state) {
    (void)state;
    assert_int_equal(e2b_files_make_dir(g_sbx, "/home/user/wd/sub", NULL), 1);
    static struct watch_log w = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, -1};
    e2b_watch *h = NULL;
    ok(e2b_files_watch(&h, g_sbx, "/home/user/wd", E2B_WATCH_F_RECURSIVE, on_event, on_end, &w, NULL));
    assert_non_null(h);
    ok(e2b_files_write(g_sbx, "/home/user/wd/w.txt", "hi", 2, NULL));
    ok(e2b_files_write(g_sbx, "/home/user/wd/sub/n.txt", "nested", 6, NULL));
    assert_true(wait_for(&w, &w.creates, 2));
    assert_true(wait_for(&w, &w.writes, 2));
    ok(e2b_files_remove(g_sbx, "/home/user/wd/w.txt", NULL));
    assert_true(wait_for(&w, &w.removes, 1));

    pthread_t t;
    pthread_create(&t, NULL, stop_thread, h);
    pthread_join(t, NULL);
    assert_int_equal(w.ends, 1);
    assert_int_equal(w.end_code, E2B_OK);
    e2b_watch_stop(h); /* idempotent */
    e2b_watch_free(h);
    assert_int_equal(w.ends, 1);

    /* Free without stop; on_end still exactly once. */
    static struct watch_log w2 = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, -1};
    ok(e2b_files_watch(&h, g_sbx, "/home/user/wd", 0, on_event, on_end, &w2, NULL));
    e2b_watch_free(h);
    assert_int_equal(w2.ends, 1);

    /* A lifetime: ends by itself with a timeout. */
    static struct watch_log w3 = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, -1};
    e2b_files_opts o = E2B_FILES_OPTS_INIT;
    o.timeout_ms = 300;
    ok(e2b_files_watch(&h, g_sbx, "/home/user/wd", 0, on_event, on_end, &w3, &o));
    assert_true(wait_for(&w3, &w3.ends, 1));
    assert_int_equal(w3.end_code, E2B_ETIMEOUT);
    e2b_watch_free(h);
    assert_int_equal(w3.ends, 1);

    struct watch_log w4 = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, -1};
    h = (e2b_watch *)&w4;
    assert_failed_with(e2b_files_watch(&h, g_sbx, "/home/user/nope", 0, on_event, on_end, &w4, NULL),
                       E2B_EFILE_NOT_FOUND);
    assert_null(h);
    assert_int_equal(w4.ends, 0);
}

/* QUEUED delivery: events and on_end arrive in e2b_client_dispatch on this thread. */
static void test_watch_queued(void **state) {
    (void)state;
    e2b_client_opts co = E2B_CLIENT_OPTS_INIT;
    co.api_key = HARNESS_KEY;
    co.api_url = harness_url();
    co.sandbox_url = harness_url();
    co.flags = E2B_CLIENT_F_NO_ENV;
    co.delivery = E2B_DELIVERY_QUEUED;
    e2b_client *c = NULL;
    ok(e2b_client_new(&c, &co));
    e2b_sandbox *s = NULL;
    ok(e2b_sandbox_connect(&s, c, e2b_sandbox_id(g_sbx), 0));
    static struct watch_log w = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, -1};
    e2b_watch *h = NULL;
    ok(e2b_files_make_dir(s, "/home/user/wq", NULL));
    ok(e2b_files_watch(&h, s, "/home/user/wq", 0, on_event, on_end, &w, NULL));
    ok(e2b_files_write(s, "/home/user/wq/w.txt", "q", 1, NULL));
    for (int i = 0; i < 500 && w.creates < 1; ++i) {
        e2b_client_dispatch(c, 0);
        usleep(10000);
    }
    assert_int_equal(w.creates, 1);
    e2b_watch_stop(h); /* returns at once: on_end is queued */
    for (int i = 0; i < 500 && w.ends < 1; ++i) {
        e2b_client_dispatch(c, 0);
        usleep(10000);
    }
    assert_int_equal(w.ends, 1);
    assert_int_equal(w.end_code, E2B_OK);
    e2b_watch_free(h);
    e2b_sandbox_free(s);
    e2b_client_free(c);
}

/* ---- presigned URLs ---- */

static size_t collect(char *d, size_t sz, size_t n, void *p) {
    e2b_buf *b = p;
    b->ptr = realloc(b->ptr, b->size + sz * n + 1);
    memcpy(b->ptr + b->size, d, sz * n);
    b->size += sz * n;
    b->ptr[b->size] = 0;
    return sz * n;
}

/* Plain libcurl, no E2B headers: the signature alone must authorize. */
static long fetch(const char *url, const char *post_body, e2b_buf *out) {
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    struct curl_slist *h = NULL;
    if (post_body) {
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body);
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static void test_presigned_urls(void **state) {
    (void)state;
    e2b_buf url = E2B_BUF_INIT, body = E2B_BUF_INIT;
    ok(e2b_files_upload_url(&url, g_sbx, "/home/user/p/up.txt", NULL, 0));
    assert_non_null(strstr(url.ptr, "signature=v1_"));
    assert_int_equal(strncmp(url.ptr, harness_url(), strlen(harness_url())), 0);
    assert_int_equal(fetch(url.ptr, "uploaded", &body), 200);
    e2b_buf_dispose(&url);
    e2b_buf_dispose(&body);

    ok(e2b_files_download_url(&url, g_sbx, "/home/user/p/up.txt", NULL, 60));
    assert_non_null(strstr(url.ptr, "signature_expiration="));
    assert_int_equal(fetch(url.ptr, NULL, &body), 200);
    assert_string_equal(body.ptr, "uploaded");
    e2b_buf_dispose(&body);
    /* A signature is bound to its operation and path. */
    char *tampered = strdup(url.ptr);
    char *p = strstr(tampered, "up.txt");
    memcpy(p, "UP", 2);
    assert_int_equal(fetch(tampered, NULL, &body), 401);
    free(tampered);
    e2b_buf_dispose(&body);
    e2b_buf_dispose(&url);

    e2b_files_opts root = E2B_FILES_OPTS_INIT;
    root.user = "root";
    ok(e2b_files_write(g_sbx, "/root/r.txt", "rootfile", 8, &root));
    ok(e2b_files_download_url(&url, g_sbx, "/root/r.txt", "root", 0));
    assert_non_null(strstr(url.ptr, "username=root"));
    assert_int_equal(fetch(url.ptr, NULL, &body), 200);
    assert_string_equal(body.ptr, "rootfile");
    e2b_buf_dispose(&body);
    e2b_buf_dispose(&url);

    assert_failed_with(e2b_files_download_url(&url, g_sbx, "/x", NULL, -1), E2B_EINVAL);
}

/* ---- argument checks ---- */

static int cb_data(const void *d, size_t n, void *p) { return 0; }
static int64_t cb_read(void *b, size_t c, void *p) { return 0; }
static void cb_ev(const e2b_fs_event *e, void *p) {}

static void test_null_args(void **state) {
    (void)state;
    e2b_buf b = E2B_BUF_INIT;
    e2b_entry_list *l = NULL;
    e2b_entry_info *i = NULL;
    e2b_watch *w = NULL;
    e2b_file_entry e = {NULL, "x", 1};
    assert_failed_with(e2b_files_opts_init(NULL, 1), E2B_EINVAL);
    assert_failed_with(e2b_files_read(NULL, g_sbx, "/a", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_read(&b, NULL, "/a", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_read(&b, g_sbx, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_read(&b, g_sbx, "", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_read_stream(g_sbx, "/a", NULL, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_read_stream(NULL, "/a", cb_data, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write(g_sbx, "/a", NULL, 3, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write(g_sbx, NULL, "x", 1, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write_stream(g_sbx, "/a", NULL, NULL, -1, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write_stream(g_sbx, "/a", cb_read, NULL, -2, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write_many(g_sbx, NULL, 1, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write_many(g_sbx, &e, 0, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_write_many(g_sbx, &e, 1, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_list(NULL, g_sbx, "/", 1, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_list(&l, g_sbx, NULL, 1, NULL), E2B_EINVAL);
    assert_int_equal(e2b_entry_list_count(NULL), 0);
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_null(e2b_entry_list_at(NULL, 0));
    assert_failed_with(e2b_files_stat(NULL, g_sbx, "/", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_stat(&i, NULL, "/", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_exists(g_sbx, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_make_dir(NULL, "/x", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_rename(g_sbx, "/a", NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_rename(g_sbx, NULL, "/b", NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_remove(g_sbx, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_watch(NULL, g_sbx, "/", 0, cb_ev, NULL, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_watch(&w, g_sbx, "/", 0, NULL, NULL, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_watch(&w, g_sbx, "/", 0x80, cb_ev, NULL, NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_files_upload_url(NULL, g_sbx, "/a", NULL, 0), E2B_EINVAL);
    assert_failed_with(e2b_files_download_url(&b, NULL, "/a", NULL, 0), E2B_EINVAL);
    assert_failed_with(e2b_files_download_url(&b, g_sbx, NULL, NULL, 0), E2B_EINVAL);
    e2b_watch_stop(NULL);
    e2b_watch_free(NULL);
    e2b_entry_list_free(NULL);
    e2b_entry_info_free(NULL);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_files");
    if (begun != 0) return begun > 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_init),
        cmocka_unit_test(test_text_and_binary_roundtrip),
        cmocka_unit_test(test_stream_64mib),
        cmocka_unit_test(test_write_many_and_list),
        cmocka_unit_test(test_stat_exists_dirs_rename_remove),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_watch_queued),
        cmocka_unit_test(test_presigned_urls),
        cmocka_unit_test(test_null_args),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    harness_server_stop();
    return rc;
}
