/* Structured logs (callback, file, level filter, measure, client opts versions) and Prometheus
 * metrics (rendering parsed here, the opt-in scrape endpoint) against a real e2b-local.
 * Usage: test_logs_metrics [path/to/e2b-local]. Needs root. */
#include <ctype.h>
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
#include <curl/curl.h>

#include "e2b.h"
#include "harness.h"

/* ---- log capture ---- */

#define MAX_LINES 512
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_lines[MAX_LINES];
static int g_levels[MAX_LINES];
static int g_n;

static void on_log(int32_t level, const char *line, size_t len, void *payload) {
    assert_ptr_equal(payload, &g_n);
    pthread_mutex_lock(&g_mu);
    if (g_n < MAX_LINES) {
        g_lines[g_n] = strndup(line, len);
        g_levels[g_n] = level;
        ++g_n;
    }
    pthread_mutex_unlock(&g_mu);
}

static void clear_lines(void) {
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_n; ++i) free(g_lines[i]);
    g_n = 0;
    pthread_mutex_unlock(&g_mu);
}

/* The first captured line with "event":"<event>" (and containing `also`, if given). */
static const char *find_line(const char *event, const char *also) {
    char key[128];
    snprintf(key, sizeof key, "\"event\":\"%s\"", event);
    const char *r = NULL;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_n && !r; ++i)
        if (strstr(g_lines[i], key) && (!also || strstr(g_lines[i], also))) r = g_lines[i];
    pthread_mutex_unlock(&g_mu);
    return r;
}

/* Every event has the same shape: one JSON object with these keys in this order. */
static void assert_event_shape(const char *l) {
    size_t n = strlen(l);
    assert_true(n > 2 && l[0] == '{' && l[n - 1] == '}');
    assert_null(strchr(l, '\n'));
    assert_int_equal(strncmp(l, "{\"ts\":\"20", 9), 0);
    const char *keys[] = {"\"level\":\"", "\"event\":\"", "\"sandbox_id\":", "\"duration_ms\":", "\"error\":"};
    const char *p = l;
    for (size_t i = 0; i < 5; ++i) {
        const char *q = strstr(p, keys[i]);
        assert_non_null(q);
        p = q;
    }
}

static e2b_client *log_client(int32_t level) {
    e2b_client_opts o = harness_client_opts();
    o.log_cb = on_log;
    o.log_payload = &g_n;
    o.log_level = level;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    return c;
}

static void test_events(void **state) {
    (void)state;
    clear_lines();
    e2b_client *c = log_client(0); /* default: info */
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, c, NULL), E2B_OK);
    const char *id = e2b_sandbox_id(sb);
    char idkey[160];
    snprintf(idkey, sizeof idkey, "\"sandbox_id\":\"%s\"", id);
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, sb, "echo hello", NULL), E2B_OK);
    e2b_exec_output_dispose(&out);
    assert_int_equal(e2b_files_write(sb, "/tmp/x", "abc", 3, NULL), E2B_OK);
    e2b_buf b = E2B_BUF_INIT;
    assert_int_equal(e2b_files_read(&b, sb, "/tmp/missing", NULL), E2B_EFILE_NOT_FOUND);
    e2b_sandbox_info *info = NULL;
    assert_int_equal(e2b_sandbox_get_info(&info, c, "nosuchsandbox"), E2B_ESANDBOX_NOT_FOUND);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);

    const char *l = find_line("sandbox.create", idkey);
    assert_non_null(l);
    assert_event_shape(l);
    assert_non_null(strstr(l, "\"level\":\"info\""));
    assert_non_null(strstr(l, "\"error\":null"));
    assert_null(strstr(l, "\"duration_ms\":null"));
    assert_non_null(l = find_line("process.start", idkey));
    assert_event_shape(l);
    assert_non_null(l = find_line("files.write", idkey));
    assert_non_null(strstr(l, "\"bytes_out\":"));
    assert_non_null(l = find_line("files.read", idkey));
    assert_non_null(strstr(l, "\"level\":\"warn\""));
    assert_non_null(strstr(l, "\"error\":\"not_found\""));
    assert_non_null(strstr(l, "\"status\":404"));
    assert_non_null(l = find_line("sandbox.get_info", "nosuchsandbox"));
    assert_non_null(strstr(l, "\"error\":\"not_found\""));
    assert_non_null(l = find_line("sandbox.kill", idkey));
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_n; ++i) {
        assert_event_shape(g_lines[i]);
        assert_true(g_levels[i] >= E2B_LOG_INFO); /* nothing below the level */
    }
    pthread_mutex_unlock(&g_mu);

    /* user events and measure */
    assert_int_equal(e2b_log_emit(c, E2B_LOG_WARN, "user.note", id, "a \"quoted\"\nline"), E2B_OK);
    assert_non_null(l = find_line("user.note", NULL));
    assert_non_null(strstr(l, "\"message\":\"a \\\"quoted\\\"\\nline\""));
    assert_int_equal(e2b_log_emit(c, 9, "x", NULL, NULL), E2B_EINVAL);
    assert_int_equal(e2b_log_emit(c, E2B_LOG_INFO, "", NULL, NULL), E2B_EINVAL);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
    clear_lines();
}

static int slow_ok(void *p) {
    (void)p;
    usleep(50000);
    return 7;
}
static int failing(void *p) {
    (void)p;
    return E2B_ETIMEOUT;
}

static void test_level_filter_file_measure(void **state) {
    (void)state;
    clear_lines();
    char path[] = "/tmp/e2b-logs-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    e2b_client_opts o = harness_client_opts();
    o.log_cb = on_log;
    o.log_payload = &g_n;
    o.log_level = E2B_LOG_WARN;
    o.log_file = path;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, c, NULL), E2B_OK);
    assert_int_equal(e2b_sandbox_is_running(sb), 1);
    assert_int_equal(g_n, 0); /* successes are info: filtered out */

    assert_int_equal(e2b_measure(c, "user.step", e2b_sandbox_id(sb), slow_ok, NULL), 7);
    assert_int_equal(g_n, 0);
    assert_int_equal(e2b_measure(c, "user.fail", NULL, failing, NULL), E2B_ETIMEOUT);
    const char *l = find_line("user.fail", NULL);
    assert_non_null(l);
    assert_non_null(strstr(l, "\"error\":\"timeout\""));
    assert_int_equal(e2b_measure(c, "user.x", NULL, NULL, NULL), E2B_EINVAL);

    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_ESANDBOX_NOT_FOUND); /* 404: warn */
    assert_non_null(find_line("sandbox.kill", "\"level\":\"warn\""));

    /* the file got the same lines, newline-terminated */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[4096];
    int lines = 0;
    while (fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        assert_true(n > 1 && buf[n - 1] == '\n');
        buf[n - 1] = 0;
        assert_event_shape(buf);
        ++lines;
    }
    fclose(f);
    assert_int_equal(lines, g_n);
    unlink(path);

    /* measured durations land in the metrics */
    e2b_buf m = E2B_BUF_INIT;
    assert_int_equal(e2b_metrics_render(&m, c), E2B_OK);
    assert_non_null(strstr(m.ptr, "e2b_user_operation_seconds_count{op=\"user.step\"} 1\n"));
    assert_non_null(strstr(m.ptr, "e2b_errors_total{kind=\"timeout\"} 1\n"));
    e2b_buf_dispose(&m);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
    clear_lines();
}

static void test_client_opts_versions(void **state) {
    (void)state;
    e2b_client_opts o;
    assert_int_equal(e2b_client_opts_init(&o, 3), E2B_OK);
    assert_int_equal(o.version, 3);
    assert_null(o.log_cb);
    assert_int_equal(o.log_level, 0);
    assert_int_equal(e2b_client_opts_init(&o, 4), E2B_EVERSION);
    static const e2b_client_opts init = E2B_CLIENT_OPTS_INIT;
    assert_int_equal(init.version, 3);

    /* version 1 and 2 callers: the log fields are not read (garbage there is ignored) */
    for (uint32_t v = 1; v <= 2; ++v) {
        e2b_client_opts old = harness_client_opts();
        old.version = v;
        old.log_cb = (void (*)(int32_t, const char *, size_t, void *))0x1;
        old.log_level = 12345;
        old.log_file = "/nonexistent/dir/file";
        e2b_client *c = NULL;
        assert_int_equal(e2b_client_new(&c, &old), E2B_OK);
        e2b_sandbox_list *l = NULL;
        assert_int_equal(e2b_sandbox_list_page(&l, c, NULL), E2B_OK);
        e2b_sandbox_list_free(l);
        e2b_client_free(c);
    }
    e2b_client_opts bad = harness_client_opts();
    e2b_client *c = NULL;
    bad.log_level = 6;
    assert_int_equal(e2b_client_new(&c, &bad), E2B_EINVAL);
    bad.log_level = 0;
    bad.log_file = "/nonexistent/dir/file";
    assert_int_equal(e2b_client_new(&c, &bad), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "/nonexistent/dir/file"));
    assert_null(c);
}

/* ---- Prometheus text format parser ---- */

struct sample {
    char name[128];
    char labels[256];
    double value;
};
#define MAX_SAMPLES 2048
static struct sample g_s[MAX_SAMPLES];
static int g_ns;

static int valid_name(const char *s, size_t n) {
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':')) return 0;
    for (size_t i = 1; i < n; ++i)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':')) return 0;
    return 1;
}

/* Parses the whole exposition; fails the test on any malformed line, a sample without a TYPE,
 * or a TYPE declared twice. */
static void parse_prometheus(const char *text) {
    char types[256][128];
    int nt = 0;
    g_ns = 0;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        assert_non_null(e); /* every line newline-terminated */
        size_t n = (size_t)(e - p);
        char line[1024];
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = 0;
        p = e + 1;
        if (strncmp(line, "# HELP ", 7) == 0) continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[128], type[32];
            assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
            assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") || !strcmp(type, "histogram") ||
                        !strcmp(type, "summary"));
            for (int i = 0; i < nt; ++i) assert_string_not_equal(types[i], name);
            assert_true(nt < 256);
            snprintf(types[nt++], sizeof types[0], "%s", name);
            continue;
        }
        assert_true(line[0] != '#');
        struct sample *s = &g_s[g_ns++];
        assert_true(g_ns < MAX_SAMPLES);
        size_t nl = strcspn(line, "{ ");
        assert_true(valid_name(line, nl) && nl < sizeof s->name);
        memcpy(s->name, line, nl);
        s->name[nl] = 0;
        const char *q = line + nl;
        s->labels[0] = 0;
        if (*q == '{') {
            const char *r = q + 1;
            while (*r != '}') { /* name="value"(,name="value")* */
                size_t ln = strcspn(r, "=");
                assert_true(valid_name(r, ln));
                r += ln;
                assert_int_equal(r[0], '=');
                assert_int_equal(r[1], '"');
                r += 2;
                while (*r && *r != '"') r += (*r == '\\') ? 2 : 1;
                assert_int_equal(*r, '"');
                ++r;
                if (*r == ',') ++r;
                else assert_int_equal(*r, '}');
            }
            size_t lb = (size_t)(r - q - 1);
            assert_true(lb < sizeof s->labels);
            memcpy(s->labels, q + 1, lb);
            s->labels[lb] = 0;
            q = r + 1;
        }
        assert_int_equal(*q, ' ');
        char *end;
        s->value = strtod(q + 1, &end);
        assert_true(end != q + 1 && *end == 0);
        /* a TYPE was declared for the family */
        int typed = 0;
        for (int i = 0; i < nt && !typed; ++i) {
            size_t tl = strlen(types[i]);
            typed = strncmp(s->name, types[i], tl) == 0 &&
                    (s->name[tl] == 0 || !strcmp(s->name + tl, "_bucket") ||
                     !strcmp(s->name + tl, "_sum") || !strcmp(s->name + tl, "_count"));
        }
        assert_true(typed);
    }
}

static double value_of(const char *name, const char *labels) {
    for (int i = 0; i < g_ns; ++i)
        if (!strcmp(g_s[i].name, name) && !strcmp(g_s[i].labels, labels ? labels : "")) return g_s[i].value;
    return -1;
}

/* Buckets of a histogram are cumulative and end with +Inf == _count. */
static void assert_histogram(const char *name, const char *labels) {
    char bucket[160], count[160];
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    snprintf(count, sizeof count, "%s_count", name);
    double prev = 0, inf = -1;
    int buckets = 0;
    size_t pl = labels ? strlen(labels) : 0;
    for (int i = 0; i < g_ns; ++i) {
        if (strcmp(g_s[i].name, bucket) != 0) continue;
        if (labels && strncmp(g_s[i].labels, labels, pl) != 0) continue;
        assert_true(g_s[i].value >= prev);
        prev = g_s[i].value;
        ++buckets;
        if (strstr(g_s[i].labels, "le=\"+Inf\"")) inf = g_s[i].value;
    }
    assert_true(buckets > 2);
    assert_true(inf >= 0);
    assert_true(inf == value_of(count, labels));
}

static void test_metrics(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    e2b_pool_opts po = E2B_POOL_OPTS_INIT;
    po.name = "we\"ird";
    po.max_size = 1;
    e2b_pool *pool = NULL;
    assert_int_equal(e2b_pool_new(&pool, c, &po), E2B_OK);
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_pool_acquire(&sb, pool, 0), E2B_OK);
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, sb, "head -c 5000 /dev/zero | tr '\\0' x", NULL), E2B_OK);
    e2b_exec_output_dispose(&out);
    assert_int_equal(e2b_exec_run(&out, sb, "exit 3", NULL), E2B_ECOMMAND_EXIT);
    e2b_exec_output_dispose(&out);

    e2b_buf m = E2B_BUF_INIT;
    assert_int_equal(e2b_metrics_render(&m, c), E2B_OK);
    parse_prometheus(m.ptr);
    assert_true(value_of("e2b_sandboxes_created_total", NULL) == 1);
    assert_true(value_of("e2b_requests_total", "op=\"process.start\"") == 2);
    assert_true(value_of("e2b_command_output_bytes_total", NULL) >= 5000);
    assert_true(value_of("e2b_bytes_received_total", NULL) > 5000);
    assert_true(value_of("e2b_pool_active", "pool=\"we\\\"ird\"") == 1);
    assert_true(value_of("e2b_pool_created_total", "pool=\"we\\\"ird\"") == 1);
    assert_true(value_of("e2b_cost_sandboxes", NULL) == 1);
    assert_true(value_of("e2b_cost_estimated_usd", NULL) >= 0);
    assert_histogram("e2b_sandbox_create_seconds", NULL);
    assert_histogram("e2b_command_seconds", NULL);
    assert_true(value_of("e2b_command_seconds_count", NULL) == 2);
    assert_histogram("e2b_request_seconds", "op=\"process.start\"");
    e2b_buf_dispose(&m);

    /* errors by kind: a failed create */
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.template_id = "no-such-template";
    e2b_sandbox *none = NULL;
    assert_true(e2b_sandbox_create(&none, c, &so) < 0);
    assert_int_equal(e2b_metrics_render(&m, c), E2B_OK);
    parse_prometheus(m.ptr);
    assert_true(value_of("e2b_sandbox_create_errors_total", NULL) == 1);
    double errs = 0;
    for (int i = 0; i < g_ns; ++i)
        if (!strcmp(g_s[i].name, "e2b_errors_total")) errs += g_s[i].value;
    assert_true(errs >= 1);
    e2b_buf_dispose(&m);
    assert_int_equal(e2b_pool_release(pool, sb, 0), E2B_OK);
    assert_int_equal(e2b_pool_free(pool), E2B_OK);
    assert_int_equal(e2b_metrics_render(&m, NULL), E2B_EINVAL);
    e2b_client_free(c);
}

static size_t collect(char *d, size_t s, size_t n, void *ud) {
    e2b_buf *b = ud;
    size_t len = s * n;
    b->ptr = realloc(b->ptr, b->size + len + 1);
    memcpy(b->ptr + b->size, d, len);
    b->size += len;
    b->ptr[b->size] = 0;
    return len;
}

static long http_get(const char *url, e2b_buf *body) {
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static void test_metrics_endpoint(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    uint16_t port = 0;
    assert_int_equal(e2b_metrics_serve(c, 0, &port), E2B_OK);
    assert_true(port > 0);
    assert_int_equal(e2b_metrics_serve(c, 0, NULL), E2B_EINVAL); /* already serving */
    e2b_sandbox_list *l = NULL;
    assert_int_equal(e2b_sandbox_list_page(&l, c, NULL), E2B_OK);
    e2b_sandbox_list_free(l);

    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
    e2b_buf body = E2B_BUF_INIT;
    for (int i = 0; i < 3; ++i) { /* repeated scrapes */
        e2b_buf_dispose(&body);
        assert_int_equal(http_get(url, &body), 200);
    }
    parse_prometheus(body.ptr);
    assert_true(value_of("e2b_requests_total", "op=\"sandbox.list\"") == 1);
    e2b_buf_dispose(&body);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/other", port);
    assert_int_equal(http_get(url, &body), 404);
    e2b_buf_dispose(&body);

    assert_int_equal(e2b_metrics_serve_stop(c), E2B_OK);
    assert_int_equal(e2b_metrics_serve_stop(c), E2B_OK);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
    assert_int_equal(http_get(url, &body), 0); /* closed */
    e2b_buf_dispose(&body);
    /* serving again after a stop; freeing the client stops it */
    assert_int_equal(e2b_metrics_serve(c, 0, &port), E2B_OK);
    e2b_client_free(c);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_logs_metrics");
    if (begun != 0) return begun > 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_level_filter_file_measure),
        cmocka_unit_test(test_client_opts_versions),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_metrics_endpoint),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    curl_global_cleanup();
    return rc;
}
