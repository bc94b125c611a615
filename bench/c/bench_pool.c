/* Production-layer B figures: warm pool acquire p50 (health-checked and not) next to cold create
 * p50, and the cost of rendering the metrics. Talks to the server named by the SDK environment
 * (E2B_API_KEY, E2B_API_URL, E2B_SANDBOX_URL, E2B_DOMAIN), as bench/run.sh sets it for its
 * private e2b-local. BENCH_N = samples per phase (default 20). Prints one JSON line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2b.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    int k = (int)(q * (n - 1) + 0.5);
    return v[k];
}

static int fail(const char *what, int rc) {
    fprintf(stderr, "bench_pool: %s: %s (%d)\n", what, e2b_error_last()->message, rc);
    return 1;
}

/* Acquire/release n times from a pool kept warm; returns p50/p95 acquire in ms. */
static int warm_phase(e2b_client *c, int n, uint32_t flags, double *p50, double *p95) {
    e2b_pool_opts o = E2B_POOL_OPTS_INIT;
    o.name = flags ? "bench-nocheck" : "bench";
    o.min_idle = 2;
    o.max_size = 4;
    o.flags = flags;
    e2b_pool *p = NULL;
    int rc = e2b_pool_new(&p, c, &o);
    if (rc) return rc;
    e2b_pool_stats st;
    double end = now_us() + 20e6;
    do {
        usleep(10000);
        e2b_pool_get_stats(p, &st);
    } while (st.idle < 2 && now_us() < end);
    double *v = calloc((size_t)n, sizeof *v);
    for (int i = 0; i < n && rc == 0; ++i) {
        e2b_sandbox *sb = NULL;
        double t0 = now_us();
        rc = e2b_pool_acquire(&sb, p, 5000);
        v[i] = (now_us() - t0) / 1000.0;
        if (rc == 0) rc = e2b_pool_release(p, sb, 0);
    }
    if (rc == 0) {
        *p50 = pct(v, n, 0.5);
        *p95 = pct(v, n, 0.95);
    }
    free(v);
    int frc = e2b_pool_free(p);
    return rc ? rc : frc;
}

int main(void) {
    int n = getenv("BENCH_N") ? atoi(getenv("BENCH_N")) : 20;
    if (n < 2) n = 2;
    e2b_client *c = NULL;
    int rc = e2b_client_new(&c, NULL);
    if (rc) return fail("client", rc);

    /* cold: create (and kill, untimed) */
    double *cold = calloc((size_t)n, sizeof *cold);
    for (int i = 0; i < n; ++i) {
        e2b_sandbox *sb = NULL;
        double t0 = now_us();
        rc = e2b_sandbox_create(&sb, c, NULL);
        cold[i] = (now_us() - t0) / 1000.0;
        if (rc) return fail("create", rc);
        e2b_sandbox_kill(sb);
        e2b_sandbox_free(sb);
    }
    double cold50 = pct(cold, n, 0.5), cold95 = pct(cold, n, 0.95);
    free(cold);

    double w50 = 0, w95 = 0, nc50 = 0, nc95 = 0;
    if ((rc = warm_phase(c, n, 0, &w50, &w95))) return fail("warm pool", rc);
    if ((rc = warm_phase(c, n, E2B_POOL_F_NO_HEALTH_CHECK, &nc50, &nc95))) return fail("warm pool", rc);

    /* metrics rendering, with the request/pool history above in the registry */
    e2b_buf m = E2B_BUF_INIT;
    int reps = 1000;
    double t0 = now_us();
    for (int i = 0; i < reps; ++i) {
        e2b_buf_dispose(&m);
        if ((rc = e2b_metrics_render(&m, c))) return fail("metrics", rc);
    }
    double render_us = (double)(now_us() - t0) / reps;
    size_t bytes = m.size;
    e2b_buf_dispose(&m);

    printf("{\"bench\":\"pool\",\"n\":%d,\"create_cold_p50_ms\":%.3f,\"create_cold_p95_ms\":%.3f,"
           "\"pool_acquire_warm_p50_ms\":%.3f,\"pool_acquire_warm_p95_ms\":%.3f,"
           "\"pool_acquire_warm_nocheck_p50_ms\":%.5f,\"pool_acquire_warm_nocheck_p95_ms\":%.5f,"
           "\"metrics_render_us\":%.1f,\"metrics_bytes\":%zu}\n",
           n, cold50, cold95, w50, w95, nc50, nc95, render_us, bytes);
    e2b_client_free(c);
    return 0;
}
