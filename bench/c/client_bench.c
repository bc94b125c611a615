/* libe2b against raw libcurl, the same operations on the same e2b-local, in one process.
 *
 * "raw curl" is the floor: hand-written requests on one reused libcurl easy handle (keep-alive),
 * bytes counted but not decoded; libe2b does the full protocol work (Connect envelopes, JSON,
 * base64, error mapping). Output: one JSON object per line on stdout,
 *   {"client":"libe2b"|"curl","op":...,"n":...,"p50_ms":...,"p95_ms":...,"mb_per_s":...,"rss_mib":...}
 * Env: E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY (an e2b-local), BENCH_N (default 200),
 * BENCH_BIG_MIB (default 256), BENCH_STREAMS (default 1000), BENCH_ONLY (comma list of ops). */
#define _GNU_SOURCE
#include <cJSON.h>
#include <curl/curl.h>
#include <e2b.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *g_api, *g_sbx_url, *g_key;
static int g_n = 200;
static size_t g_big = 256u << 20;
static int g_streams = 1000;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double pct(double *v, int n, double p) { /* nearest rank; v sorted */
    int k = (int)(p / 100.0 * n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

static double rss_mib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = atof(line + 6);
    if (f) fclose(f);
    return kib / 1024.0;
}

static int wanted(const char *op) {
    const char *only = getenv("BENCH_ONLY");
    if (!only || !*only) return 1;
    size_t n = strlen(op);
    for (const char *p = only; (p = strstr(p, op)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

static void die(const char *what) {
    fprintf(stderr, "client_bench: %s: %s\n", what, e2b_error_last()->message);
    exit(1);
}

static void report_lat(const char *client, const char *op, double *v, int n) {
    qsort(v, n, sizeof *v, cmp_d);
    printf("{\"client\":\"%s\",\"op\":\"%s\",\"n\":%d,\"p50_ms\":%.3f,\"p95_ms\":%.3f}\n", client, op, n,
           pct(v, n, 50), pct(v, n, 95));
    fflush(stdout);
}
static void report_tput(const char *client, const char *op, size_t bytes, double ms, double rss_before,
                        double rss_peak) {
    printf("{\"client\":\"%s\",\"op\":\"%s\",\"bytes\":%zu,\"ms\":%.1f,\"mb_per_s\":%.1f,"
           "\"rss_before_mib\":%.1f,\"rss_peak_mib\":%.1f}\n",
           client, op, bytes, ms, bytes / 1048576.0 / (ms / 1000.0), rss_before, rss_peak);
    fflush(stdout);
}

/* ---- raw libcurl --------------------------------------------------------------------------- */

typedef struct {
    size_t bytes;
    double peak_rss;
    size_t next_rss_check;
    char *keep; /* when non-NULL, the body is kept (up to 64 KiB) */
    size_t keep_len;
} sink;

static size_t on_body(char *p, size_t sz, size_t n, void *u) {
    sink *s = u;
    size_t len = sz * n;
    if (s->keep && s->keep_len + len < 65536) {
        memcpy(s->keep + s->keep_len, p, len);
        s->keep_len += len;
        s->keep[s->keep_len] = 0;
    }
    s->bytes += len;
    if (s->bytes >= s->next_rss_check) { /* sampled: /proc reads are not free */
        double r = rss_mib();
        if (r > s->peak_rss) s->peak_rss = r;
        s->next_rss_check = s->bytes + (16u << 20);
    }
    return len;
}

typedef struct {
    size_t left;
    size_t sent;
    double peak_rss;
    size_t next_rss_check;
} source;
static char g_chunk[1 << 16];

static size_t on_read(char *buf, size_t sz, size_t n, void *u) {
    source *s = u;
    size_t cap = sz * n, k = s->left < cap ? s->left : cap;
    if (k > sizeof g_chunk) k = sizeof g_chunk;
    memcpy(buf, g_chunk, k);
    s->left -= k;
    s->sent += k;
    if (s->sent >= s->next_rss_check) {
        double r = rss_mib();
        if (r > s->peak_rss) s->peak_rss = r;
        s->next_rss_check = s->sent + (16u << 20);
    }
    return k;
}

typedef struct {
    CURL *h;
    char id[128], token[256];
} raw;

static long raw_do(raw *r, const char *method, const char *url, struct curl_slist *hdr, const char *body,
                   size_t body_len, sink *out, source *in) {
    CURL *h = r->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (in) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, in);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)in->left);
    } else if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    if (method) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        fprintf(stderr, "client_bench: curl %s: %s\n", url, curl_easy_strerror(rc));
        exit(1);
    }
    return status;
}

static struct curl_slist *envd_headers(raw *r, const char *ctype) {
    char b[512];
    struct curl_slist *l = NULL;
    snprintf(b, sizeof b, "E2b-Sandbox-Id: %s", r->id);
    l = curl_slist_append(l, b);
    l = curl_slist_append(l, "E2b-Sandbox-Port: 49983");
    snprintf(b, sizeof b, "X-Access-Token: %s", r->token);
    l = curl_slist_append(l, b);
    l = curl_slist_append(l, "Authorization: Basic dXNlcjo="); /* "user:" */
    l = curl_slist_append(l, "Connect-Protocol-Version: 1");
    if (ctype) {
        snprintf(b, sizeof b, "Content-Type: %s", ctype);
        l = curl_slist_append(l, b);
    }
    return l;
}

static void raw_create(raw *r, const char *template_id) {
    char url[512], b[256];
    snprintf(url, sizeof url, "%s/sandboxes", g_api);
    snprintf(b, sizeof b, "X-API-KEY: %s", g_key);
    struct curl_slist *hdr = curl_slist_append(NULL, b);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    char keep[65536];
    sink s = {0, 0, 0, keep, 0};
    char body[256];
    snprintf(body, sizeof body, "{\"templateID\":\"%s\",\"secure\":true,\"timeout\":600}", template_id);
    long st = raw_do(r, "POST", url, hdr, body, strlen(body), &s, NULL);
    curl_slist_free_all(hdr);
    cJSON *j = cJSON_Parse(keep);
    const cJSON *id = cJSON_GetObjectItem(j, "sandboxID"), *tok = cJSON_GetObjectItem(j, "envdAccessToken");
    if (st != 201 || !cJSON_IsString(id) || !cJSON_IsString(tok)) {
        fprintf(stderr, "client_bench: raw create -> %ld %s\n", st, keep);
        exit(1);
    }
    snprintf(r->id, sizeof r->id, "%s", id->valuestring);
    snprintf(r->token, sizeof r->token, "%s", tok->valuestring);
    cJSON_Delete(j);
}

static void raw_kill(raw *r) {
    char url[512], b[256];
    snprintf(url, sizeof url, "%s/sandboxes/%s", g_api, r->id);
    snprintf(b, sizeof b, "X-API-KEY: %s", g_key);
    struct curl_slist *hdr = curl_slist_append(NULL, b);
    sink s = {0};
    raw_do(r, "DELETE", url, hdr, NULL, 0, &s, NULL);
    curl_slist_free_all(hdr);
}

/* Start stream body: one Connect envelope (flags 0, big-endian length, JSON). */
static size_t start_body(char *out, size_t cap, const char *cmd) {
    char json[1024];
    int n = snprintf(json, sizeof json,
                     "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"%s\"],\"envs\":{}},"
                     "\"stdin\":false}",
                     cmd);
    if ((size_t)n + 5 > cap) exit(1);
    out[0] = 0;
    out[1] = (char)(n >> 24);
    out[2] = (char)(n >> 16);
    out[3] = (char)(n >> 8);
    out[4] = (char)n;
    memcpy(out + 5, json, n);
    return n + 5;
}

static void raw_start(raw *r, const char *cmd, sink *s) {
    char url[512], body[1100];
    snprintf(url, sizeof url, "%s/process.Process/Start", g_sbx_url);
    size_t n = start_body(body, sizeof body, cmd);
    struct curl_slist *hdr = envd_headers(r, "application/connect+json");
    long st = raw_do(r, "POST", url, hdr, body, n, s, NULL);
    curl_slist_free_all(hdr);
    if (st != 200) {
        fprintf(stderr, "client_bench: raw Start -> %ld\n", st);
        exit(1);
    }
}

static void bench_raw(void) {
    raw r;
    memset(&r, 0, sizeof r);
    r.h = curl_easy_init();
    raw_create(&r, "base");
    double *v = calloc(g_n, sizeof *v);
    char url[1024];

    if (wanted("run_true")) {
        for (int i = 0; i < g_n; ++i) {
            char keep[65536];
            sink s = {0, 0, 0, keep, 0};
            double t0 = now_ms();
            raw_start(&r, "true", &s);
            v[i] = now_ms() - t0;
            /* envelopes start with binary bytes: search the whole body */
            if (!memmem(keep, s.keep_len, "\"end\"", 5)) {
                fprintf(stderr, "client_bench: raw run: no end event (%zu bytes)\n", s.keep_len);
                exit(1);
            }
        }
        report_lat("curl", "run_true", v, g_n);
    }
    /* the small file for stat/read */
    snprintf(url, sizeof url, "%s/files?path=/home/user/small.txt&username=user", g_sbx_url);
    {
        struct curl_slist *hdr = envd_headers(&r, "application/octet-stream");
        source src = {1024, 0, 0, 1u << 30};
        sink s = {0};
        if (raw_do(&r, "POST", url, hdr, NULL, 0, &s, &src) != 200) {
            fprintf(stderr, "client_bench: raw upload of small.txt failed\n");
            exit(1);
        }
        curl_slist_free_all(hdr);
    }
    if (wanted("stat")) {
        char surl[512];
        snprintf(surl, sizeof surl, "%s/filesystem.Filesystem/Stat", g_sbx_url);
        const char *body = "{\"path\":\"/home/user/small.txt\"}";
        struct curl_slist *hdr = envd_headers(&r, "application/json");
        for (int i = 0; i < g_n; ++i) {
            sink s = {0};
            double t0 = now_ms();
            long st = raw_do(&r, "POST", surl, hdr, body, strlen(body), &s, NULL);
            v[i] = now_ms() - t0;
            if (st != 200) exit(1);
        }
        curl_slist_free_all(hdr);
        report_lat("curl", "stat", v, g_n);
    }
    if (wanted("read_small")) {
        struct curl_slist *hdr = envd_headers(&r, NULL);
        for (int i = 0; i < g_n; ++i) {
            sink s = {0};
            double t0 = now_ms();
            long st = raw_do(&r, NULL, url, hdr, NULL, 0, &s, NULL);
            v[i] = now_ms() - t0;
            if (st != 200 || s.bytes != 1024) exit(1);
        }
        curl_slist_free_all(hdr);
        report_lat("curl", "read_small", v, g_n);
    }
    if (wanted("stdout_big")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "head -c %zu /dev/zero", g_big);
        double rb = rss_mib();
        sink s = {0, rb, 0, NULL, 0};
        double t0 = now_ms();
        raw_start(&r, cmd, &s);
        /* bytes on the wire are base64 in JSON envelopes: report the payload size */
        report_tput("curl", "stdout_big", g_big, now_ms() - t0, rb, s.peak_rss);
    }
    if (wanted("upload_big") || wanted("download_big")) {
        snprintf(url, sizeof url, "%s/files?path=/home/user/big.bin&username=user", g_sbx_url);
        struct curl_slist *hdr = envd_headers(&r, "application/octet-stream");
        double rb = rss_mib();
        source src = {g_big, 0, rb, 0};
        sink s = {0};
        double t0 = now_ms();
        if (raw_do(&r, "POST", url, hdr, NULL, 0, &s, &src) != 200) exit(1);
        double ms = now_ms() - t0;
        if (wanted("upload_big")) report_tput("curl", "upload_big", g_big, ms, rb, src.peak_rss);
        curl_slist_free_all(hdr);
        hdr = envd_headers(&r, NULL);
        sink d = {0, rb, 0, NULL, 0};
        t0 = now_ms();
        if (raw_do(&r, NULL, url, hdr, NULL, 0, &d, NULL) != 200 || d.bytes != g_big) exit(1);
        if (wanted("download_big")) report_tput("curl", "download_big", g_big, now_ms() - t0, rb, d.peak_rss);
        curl_slist_free_all(hdr);
    }
    raw_kill(&r);
    if (wanted("run_code")) {
        /* POST /execute on port 49999 of a code-interpreter sandbox, the NDJSON read to its end */
        raw_create(&r, "code-interpreter-v1");
        char eurl[512], b[512];
        snprintf(eurl, sizeof eurl, "%s/execute", g_sbx_url);
        struct curl_slist *hdr = NULL;
        snprintf(b, sizeof b, "E2b-Sandbox-Id: %s", r.id);
        hdr = curl_slist_append(hdr, b);
        hdr = curl_slist_append(hdr, "E2b-Sandbox-Port: 49999");
        snprintf(b, sizeof b, "X-Access-Token: %s", r.token);
        hdr = curl_slist_append(hdr, b);
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        const char *body = "{\"code\":\"1+1\"}";
        for (int i = -1; i < g_n; ++i) { /* -1: the first cell starts the kernel, not timed */
            char keep[65536];
            sink s = {0, 0, 0, keep, 0};
            double t0 = now_ms();
            long st = raw_do(&r, "POST", eurl, hdr, body, strlen(body), &s, NULL);
            if (i >= 0) v[i] = now_ms() - t0;
            if (st != 200 || !strstr(keep, "\"result\"") || !strstr(keep, "\"2\"")) {
                fprintf(stderr, "client_bench: raw execute -> %ld %s\n", st, keep);
                exit(1);
            }
        }
        curl_slist_free_all(hdr);
        report_lat("curl", "run_code", v, g_n);
        raw_kill(&r);
    }
    free(v);
    curl_easy_cleanup(r.h);
}

/* ---- libe2b -------------------------------------------------------------------------------- */

typedef struct {
    size_t bytes;
    double peak_rss;
    size_t next_check;
} counter;

static int count_out(const char *d, size_t n, void *p) {
    counter *c = p;
    c->bytes += n;
    if (c->bytes >= c->next_check) {
        double r = rss_mib();
        if (r > c->peak_rss) c->peak_rss = r;
        c->next_check = c->bytes + (16u << 20);
    }
    return 0;
}
static int count_data(const void *d, size_t n, void *p) { return count_out(d, n, p); }

typedef struct {
    size_t left;
    double peak_rss;
    size_t sent, next_check;
} gen;
static int64_t gen_read(void *buf, size_t cap, void *p) {
    gen *g = p;
    size_t k = g->left < cap ? g->left : cap;
    if (k > sizeof g_chunk) k = sizeof g_chunk;
    memcpy(buf, g_chunk, k);
    g->left -= k;
    g->sent += k;
    if (g->sent >= g->next_check) {
        double r = rss_mib();
        if (r > g->peak_rss) g->peak_rss = r;
        g->next_check = g->sent + (16u << 20);
    }
    return (int64_t)k;
}

typedef struct {
    pthread_mutex_t mu;
    int exited;
} exits;
static void on_exit_count(int32_t code, const e2b_error *err, void *p) {
    exits *e = p;
    pthread_mutex_lock(&e->mu);
    e->exited++;
    pthread_mutex_unlock(&e->mu);
}

static void bench_libe2b(void) {
    e2b_client *c = NULL;
    if (e2b_client_new(&c, NULL) != E2B_OK) die("client");
    e2b_sandbox *sb = NULL;
    if (e2b_sandbox_create(&sb, c, NULL) != E2B_OK) die("create");
    double *v = calloc(g_n, sizeof *v);

    if (wanted("run_true")) {
        for (int i = 0; i < g_n; ++i) {
            e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
            double t0 = now_ms();
            if (e2b_exec_run(&out, sb, "true", NULL) != E2B_OK) die("run");
            v[i] = now_ms() - t0;
            e2b_exec_output_dispose(&out);
        }
        report_lat("libe2b", "run_true", v, g_n);
    }
    char small[1024];
    memset(small, 'x', sizeof small);
    if (e2b_files_write(sb, "/home/user/small.txt", small, sizeof small, NULL) != E2B_OK) die("write");
    if (wanted("stat")) {
        for (int i = 0; i < g_n; ++i) {
            e2b_entry_info *info = NULL;
            double t0 = now_ms();
            if (e2b_files_stat(&info, sb, "/home/user/small.txt", NULL) != E2B_OK) die("stat");
            v[i] = now_ms() - t0;
            e2b_entry_info_free(info);
        }
        report_lat("libe2b", "stat", v, g_n);
    }
    if (wanted("read_small")) {
        for (int i = 0; i < g_n; ++i) {
            e2b_buf b = E2B_BUF_INIT;
            double t0 = now_ms();
            if (e2b_files_read(&b, sb, "/home/user/small.txt", NULL) != E2B_OK || b.size != 1024) die("read");
            v[i] = now_ms() - t0;
            e2b_buf_dispose(&b);
        }
        report_lat("libe2b", "read_small", v, g_n);
    }
    if (wanted("stdout_big")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "head -c %zu /dev/zero", g_big);
        double rb = rss_mib();
        counter cnt = {0, rb, 0};
        e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
        cb.on_stdout = count_out;
        cb.payload = &cnt;
        e2b_exec *ex = NULL;
        double t0 = now_ms();
        if (e2b_exec_start(&ex, sb, cmd, NULL, &cb) != E2B_OK) die("start big");
        int32_t code;
        if (e2b_exec_wait(ex, &code) != E2B_OK || cnt.bytes != g_big) die("wait big");
        report_tput("libe2b", "stdout_big", g_big, now_ms() - t0, rb, cnt.peak_rss);
        e2b_exec_free(ex);
    }
    if (wanted("upload_big") || wanted("download_big")) {
        double rb = rss_mib();
        gen g = {g_big, rb, 0, 0};
        double t0 = now_ms();
        if (e2b_files_write_stream(sb, "/home/user/big.bin", gen_read, &g, (int64_t)g_big, NULL) != E2B_OK)
            die("upload");
        if (wanted("upload_big")) report_tput("libe2b", "upload_big", g_big, now_ms() - t0, rb, g.peak_rss);
        counter cnt = {0, rb, 0};
        t0 = now_ms();
        if (e2b_files_read_stream(sb, "/home/user/big.bin", count_data, &cnt, NULL) != E2B_OK ||
            cnt.bytes != g_big)
            die("download");
        if (wanted("download_big"))
            report_tput("libe2b", "download_big", g_big, now_ms() - t0, rb, cnt.peak_rss);
    }
    if (wanted("streams")) {
        /* g_streams open exec streams at once (sleeping commands spread over 4 sandboxes: a
         * sandbox allows 1024 processes), then the client's RSS. */
        e2b_sandbox *sbs[4] = {sb, NULL, NULL, NULL};
        for (int i = 1; i < 4; ++i)
            if (e2b_sandbox_create(&sbs[i], c, NULL) != E2B_OK) die("create for streams");
        e2b_exec **ex = calloc(g_streams, sizeof *ex);
        exits ex_count = {PTHREAD_MUTEX_INITIALIZER, 0};
        e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
        cb.on_exit = on_exit_count;
        cb.payload = &ex_count;
        double rb = rss_mib(), t0 = now_ms();
        for (int i = 0; i < g_streams; ++i)
            if (e2b_exec_start(&ex[i], sbs[i % 4], "sleep 30", NULL, &cb) != E2B_OK) die("stream start");
        double ms = now_ms() - t0, rss = rss_mib();
        printf("{\"client\":\"libe2b\",\"op\":\"streams\",\"n\":%d,\"start_all_ms\":%.1f,"
               "\"rss_before_mib\":%.1f,\"rss_mib\":%.1f}\n",
               g_streams, ms, rb, rss);
        fflush(stdout);
        for (int i = 0; i < g_streams; ++i) e2b_exec_free(ex[i]);
        free(ex);
        for (int i = 1; i < 4; ++i) {
            e2b_sandbox_kill(sbs[i]);
            e2b_sandbox_free(sbs[i]);
        }
    }
    e2b_sandbox_kill(sb);
    e2b_sandbox_free(sb);
    if (wanted("run_code")) {
        e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
        so.template_id = "code-interpreter-v1";
        if (e2b_sandbox_create(&sb, c, &so) != E2B_OK) die("create code-interpreter");
        for (int i = -1; i < g_n; ++i) { /* -1: the first cell starts the kernel, not timed */
            e2b_execution *ex = NULL;
            double t0 = now_ms();
            if (e2b_code_run(&ex, sb, "1+1", NULL, NULL) != E2B_OK) die("run_code");
            if (i >= 0) v[i] = now_ms() - t0;
            const char *t = e2b_execution_text(ex);
            if (!t || strcmp(t, "2") != 0) die("run_code result");
            e2b_execution_free(ex);
        }
        report_lat("libe2b", "run_code", v, g_n);
        e2b_sandbox_kill(sb);
        e2b_sandbox_free(sb);
    }
    e2b_client_free(c);
    free(v);
}

int main(int argc, char **argv) {
    g_api = getenv("E2B_API_URL");
    g_sbx_url = getenv("E2B_SANDBOX_URL");
    g_key = getenv("E2B_API_KEY");
    if (!g_api || !g_sbx_url || !g_key) {
        fprintf(stderr, "client_bench: set E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY\n");
        return 2;
    }
    if (getenv("BENCH_N")) g_n = atoi(getenv("BENCH_N"));
    if (getenv("BENCH_BIG_MIB")) g_big = (size_t)atoi(getenv("BENCH_BIG_MIB")) << 20;
    if (getenv("BENCH_STREAMS")) g_streams = atoi(getenv("BENCH_STREAMS"));
    if (g_n < 1 || g_big == 0 || g_streams < 1) return 2;
    memset(g_chunk, 'z', sizeof g_chunk);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *which = argc > 1 ? argv[1] : "both";
    /* libe2b first: the streams phase's RSS must not include the raw client's buffers */
    if (strcmp(which, "curl") != 0) bench_libe2b();
    if (strcmp(which, "libe2b") != 0) bench_raw();
    curl_global_cleanup();
    return 0;
}
