#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_url[256];
static char g_dir[256];
static pid_t g_pid = -1;
static FILE *g_out;
static pthread_t g_drain;
static int g_draining;

/* Keeps the server's stdout flowing after the ready line, so its logging never blocks. */
static void *drain(void *arg) {
    (void)arg;
    char line[4096];
    int verbose = getenv("E2B_TEST_VERBOSE") != NULL;
    while (fgets(line, sizeof line, g_out))
        if (verbose) fputs(line, stderr);
    return NULL;
}

int harness_server_start(const char *bin) {
    snprintf(g_dir, sizeof g_dir, "/var/tmp/e2b-capi-test-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(NULL);
    g_pid = fork();
    if (g_pid < 0) return -1;
    if (g_pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        close(p[1]);
        execl(bin, bin, "serve", "--listen", "127.0.0.1:0", "--state-dir", g_dir, "--api-key",
              HARNESS_KEY, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    g_out = fdopen(p[0], "r");
    char line[4096];
    while (fgets(line, sizeof line, g_out)) {
        char *r = strstr(line, "ready on ");
        if (r) {
            r += strlen("ready on ");
            r[strcspn(r, "\r\n")] = 0;
            snprintf(g_url, sizeof g_url, "%s", r);
            g_draining = pthread_create(&g_drain, NULL, drain, NULL) == 0;
            return 0;
        }
        fputs(line, stderr);
    }
    return -1;
}

void harness_server_stop(void) {
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        int st;
        waitpid(g_pid, &st, 0);
        g_pid = -1;
    }
    if (g_out) {
        if (g_draining) pthread_join(g_drain, NULL);
        g_draining = 0;
        fclose(g_out);
        g_out = NULL;
    }
    if (g_dir[0]) {
        /* The server cleans up its sandboxes; the state dir is removed without crossing mounts. */
        char cmd[1024];
        /* A server that died abruptly leaves its sandboxes' mounts behind: detach them first. */
        snprintf(cmd, sizeof cmd,
                 "awk '$2 ~ \"^%s/\" {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null",
                 g_dir);
        if (system(cmd) != 0) fprintf(stderr, "note: could not unmount under %s\n", g_dir);
        /* ... and its sandboxes' (empty: --die-with-parent) cgroups, which only a restart on
         * the same state dir would reap. */
        snprintf(cmd, sizeof cmd,
                 "for id in $(ls '%s/sandboxes' 2>/dev/null); do for c in freezer memory pids cpu cpuacct; do "
                 "rmdir /sys/fs/cgroup/$c/e2b-local/$id 2>/dev/null; done; done; true", g_dir);
        if (system(cmd) != 0) fprintf(stderr, "note: could not remove cgroups of %s\n", g_dir);
        snprintf(cmd, sizeof cmd, "rm -rf --one-file-system '%s' 2>/dev/null", g_dir);
        if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", g_dir);
        g_dir[0] = 0;
    }
}

const char *harness_url(void) { return g_url; }

pid_t harness_server_pid(void) { return g_pid; }

int64_t harness_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int harness_begin(int argc, char **argv, const char *test_name) {
    if (geteuid() != 0) {
        printf("%s: needs root (e2b-local); skipped\n", test_name);
        return 1;
    }
    if (harness_server_start(argc > 1 ? argv[1] : "build/e2b-local") != 0) {
        fprintf(stderr, "%s: e2b-local did not start\n", test_name);
        harness_server_stop();
        return -1;
    }
    return 0;
}

e2b_client_opts harness_client_opts(void) {
    e2b_client_opts o = E2B_CLIENT_OPTS_INIT;
    o.api_key = HARNESS_KEY;
    o.api_url = g_url;
    o.sandbox_url = g_url;
    o.domain = "example.test";
    o.flags = E2B_CLIENT_F_NO_ENV;
    return o;
}
