/* Workspace sync vs per-file uploads: a 10,000-file tree (default; argv[1] overrides) pushed as
 * one streamed tar (e2b_workspace_push) and pulled back (e2b_workspace_pull), against
 * e2b_files_write_many (one multipart request) and one e2b_files_write per file. Talks to the
 * server named by the SDK environment (E2B_API_KEY, E2B_API_URL, E2B_SANDBOX_URL, E2B_DOMAIN).
 * Prints one JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e2b.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int die(const char *what) {
    fprintf(stderr, "bench_workspace: %s: %s\n", what, e2b_error_last()->message);
    return 1;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    if (n <= 0) n = 10000;
    char root[] = "/var/tmp/e2b-bench-ws-XXXXXX";
    if (!mkdtemp(root)) return 1;
    /* 100 directories of n/100 files, 64..1087 bytes each. */
    char path[512], rel[128];
    char data[1100];
    memset(data, 'x', sizeof data);
    e2b_file_entry *entries = calloc((size_t)n, sizeof *entries);
    char (*names)[64] = calloc((size_t)n, 64);
    int64_t bytes = 0;
    for (int i = 0; i < n; ++i) {
        snprintf(rel, sizeof rel, "d%03d", i % 100);
        snprintf(path, sizeof path, "%s/%s", root, rel);
        mkdir(path, 0755);
        size_t len = 64 + (size_t)(i * 7919) % 1024;
        snprintf(path, sizeof path, "%s/d%03d/f%05d.txt", root, i % 100, i);
        FILE *f = fopen(path, "wb");
        if (!f) return 1;
        fwrite(data, 1, len, f);
        fclose(f);
        snprintf(names[i], 64, "/home/user/many/d%03d/f%05d.txt", i % 100, i);
        entries[i].path = names[i];
        entries[i].data = data;
        entries[i].len = len;
        bytes += (int64_t)len;
    }

    e2b_client *c = NULL;
    e2b_sandbox *s = NULL;
    if (e2b_client_new(&c, NULL) != E2B_OK) return die("client");
    if (e2b_sandbox_create(&s, c, NULL) != E2B_OK) return die("create");

    double t0 = now_ms();
    if (e2b_workspace_push(s, root, "/home/user/ws", NULL, NULL) != E2B_OK) return die("push");
    double push = now_ms() - t0;

    char back[600];
    snprintf(back, sizeof back, "%s-back", root);
    t0 = now_ms();
    if (e2b_workspace_pull(s, "/home/user/ws", back, NULL, NULL) != E2B_OK) return die("pull");
    double pull = now_ms() - t0;

    t0 = now_ms();
    if (e2b_files_write_many(s, entries, (size_t)n, NULL) != E2B_OK) return die("write_many");
    double many = now_ms() - t0;

    t0 = now_ms();
    for (int i = 0; i < n; ++i) {
        names[i][11] = 'o'; /* /home/user/mony/...: a fresh tree */
        if (e2b_files_write(s, names[i], entries[i].data, entries[i].len, NULL) != E2B_OK) return die("write");
    }
    double per_file = now_ms() - t0;

    printf("{\"bench\":\"workspace\",\"files\":%d,\"bytes\":%lld,\"push_ms\":%.1f,\"pull_ms\":%.1f,"
           "\"write_many_ms\":%.1f,\"per_file_write_ms\":%.1f,\"push_speedup_vs_per_file\":%.1f}\n",
           n, (long long)bytes, push, pull, many, per_file, per_file / push);

    e2b_sandbox_kill(s);
    e2b_sandbox_free(s);
    e2b_client_free(c);
    free(entries);
    free(names);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, back);
    return system(cmd) == 0 ? 0 : 1;
}
