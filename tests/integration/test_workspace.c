/* Integration tests of workspace sync (one streamed tar each way; modes and symlinks kept;
 * unsafe entries rejected on both sides; a failed pull leaves nothing under the target name)
 * against a private e2b-local. Usage: test_workspace [path/to/e2b-local]. Needs root. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "e2b.h"
#include "harness.h"

static e2b_client *g_client;
static e2b_sandbox *g_sbx;
static char g_tmp[256];

static int setup(void **state) {
    (void)state;
    e2b_client_opts o = harness_client_opts();
    if (e2b_client_new(&g_client, &o) != E2B_OK) return -1;
    if (e2b_sandbox_create(&g_sbx, g_client, NULL) != E2B_OK) return -1;
    snprintf(g_tmp, sizeof g_tmp, "/var/tmp/e2b-workspace-XXXXXX");
    return mkdtemp(g_tmp) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    e2b_sandbox_kill(g_sbx);
    e2b_sandbox_free(g_sbx);
    e2b_client_free(g_client);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void ok(int rc) {
    if (rc < 0) fprintf(stderr, "failed %d: %s\n", rc, e2b_error_last()->message);
    assert_true(rc >= 0);
}


/* Runs cmd in the sandbox; returns its stdout (caller frees). */
static char *rsh(const char *cmd) {
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    int rc = e2b_exec_run(&out, g_sbx, cmd, NULL);
    if (rc != E2B_OK) fprintf(stderr, "%s: %s %s\n", cmd, out.err.ptr ? out.err.ptr : "", e2b_error_last()->message);
    assert_int_equal(rc, E2B_OK);
    char *s = strdup(out.out.ptr);
    e2b_exec_output_dispose(&out);
    return s;
}

static void lsh(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "local command failed: %s\n", cmd);
    assert_int_equal(rc, 0);
}

static void assert_rsh(const char *cmd, const char *want) {
    char *got = rsh(cmd);
    if (strcmp(got, want) != 0) fprintf(stderr, "%s\n got: [%s]\nwant: [%s]\n", cmd, got, want);
    assert_string_equal(got, want);
    free(got);
}

/* No "<name>.e2b-pull-*" staging dir left next to `dir`, and `dir` itself absent. */
static void assert_nothing_left(const char *parent, const char *name) {
    DIR *d = opendir(parent);
    assert_non_null(d);
    struct dirent *e;
    size_t n = strlen(name);
    while ((e = readdir(d))) assert_false(strncmp(e->d_name, name, n) == 0);
    closedir(d);
}

struct prog {
    int calls;
    uint32_t files;
    int64_t bytes;
};
static int on_progress(const e2b_transfer_progress *p, void *payload) {
    struct prog *g = payload;
    ++g->calls;
    g->files = p->files_done;
    g->bytes = p->bytes_done;
    return 0;
}

static void test_push_pull_roundtrip(void **state) {
    (void)state;
    lsh("cd %s && mkdir -p src/a/b src/empty && printf 'hello\\n' > src/a/b/f.txt && "
        "printf '#!/bin/sh\\necho run\\n' > src/run.sh && chmod 750 src/run.sh && "
        "head -c 300000 /dev/urandom > src/a/blob.bin && ln -s b/f.txt src/a/link && "
        "ln -s ../run.sh src/a/up && chmod 700 src/a/b && mkdir -p 'src/sp ace' && echo s > 'src/sp ace/x'",
        g_tmp);
    char src[300];
    snprintf(src, sizeof src, "%s/src", g_tmp);
    struct prog g = {0, 0, 0};
    e2b_workspace_opts o = E2B_WORKSPACE_OPTS_INIT;
    o.on_progress = on_progress;
    o.payload = &g;
    uint32_t n = 0;
    ok(e2b_workspace_push(g_sbx, src, "/home/user/ws", &o, &n));
    assert_int_equal(n, 10); /* 4 dirs + 4 files + 2 symlinks */
    assert_true(g.calls > 0);
    assert_int_equal(g.files, 10);
    assert_int_equal(g.bytes, 300000 + 6 + 19 + 2);
    assert_rsh("cd /home/user/ws && cat a/b/f.txt && stat -c '%a %U' run.sh a/b && readlink a/link a/up && "
               "./run.sh && cat 'sp ace/x' && test -d empty && stat -c %s a/blob.bin",
               "hello\n750 user\n700 user\nb/f.txt\n../run.sh\nrun\ns\n300000\n");
    free(rsh("ls /tmp/.e2b-push-* 2>/dev/null; true")); /* temp tar removed */
    assert_rsh("ls -a /tmp | grep -c e2b-push || true", "0\n");

    /* Change it in the sandbox, pull it back. */
    free(rsh("cd /home/user/ws && echo new > a/new.txt && chmod 604 a/new.txt && rm a/blob.bin"));
    char dst[300];
    snprintf(dst, sizeof dst, "%s/pulled", g_tmp);
    g.calls = 0;
    ok(e2b_workspace_pull(g_sbx, "/home/user/ws", dst, &o, &n));
    assert_int_equal(n, 10);
    assert_true(g.calls > 0);
    lsh("cd %s && test \"$(cat a/new.txt)\" = new && test \"$(stat -c %%a a/new.txt run.sh a/b)\" = "
        "\"$(printf '604\\n750\\n700')\" && test \"$(readlink a/link)\" = b/f.txt && test ! -e a/blob.bin && "
        "test -d empty && test \"$(cat a/link)\" = hello",
        dst);
    assert_nothing_left(g_tmp, "pulled.e2b-pull");

    /* An existing target needs REPLACE, which swaps the whole tree. */
    assert_failed_with(e2b_workspace_pull(g_sbx, "/home/user/ws", dst, NULL, NULL), E2B_EINVAL);
    lsh("echo stale > %s/stale.txt", dst);
    o.flags = E2B_WORKSPACE_F_REPLACE;
    ok(e2b_workspace_pull(g_sbx, "/home/user/ws", dst, &o, NULL));
    lsh("test ! -e %s/stale.txt && test -f %s/a/new.txt", dst, dst);
    assert_nothing_left(g_tmp, "pulled.e2b-pull");

    /* A tar file pushed as such (compressed too). */
    lsh("cd %s && tar -czf in.tgz -C src .", g_tmp);
    char tgz[300];
    snprintf(tgz, sizeof tgz, "%s/in.tgz", g_tmp);
    o.flags = E2B_WORKSPACE_F_TAR;
    ok(e2b_workspace_push(g_sbx, tgz, "/home/user/fromtar", &o, &n));
    assert_rsh("readlink /home/user/fromtar/a/up && cat /home/user/fromtar/a/b/f.txt", "../run.sh\nhello\n");

    /* Missing things. */
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/nodir", g_tmp);
    assert_failed_with(e2b_workspace_pull(g_sbx, "/home/user/nope", nodir, NULL, NULL), E2B_EFILE_NOT_FOUND);
    assert_failed_with(e2b_workspace_push(g_sbx, nodir, "/home/user/x", NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_workspace_push(g_sbx, tgz, "/home/user/x", NULL, NULL), E2B_EINVAL); /* not a dir */
}

static void test_pull_rejects_unsafe_tar(void **state) {
    (void)state;
    /* Crafted in the sandbox: a good entry first, then one leaving the target with "../". */
    free(rsh("mkdir -p /tmp/m/sub && cd /tmp/m && echo evil > outside.txt && echo good > sub/good.txt && "
             "cd sub && tar -cPf /tmp/dotdot.tar good.txt ../outside.txt && "
             "tar -cPf /tmp/abs.tar /tmp/m/outside.txt"));
    char dst[300];
    snprintf(dst, sizeof dst, "%s/victim/w", g_tmp);
    e2b_workspace_opts o = E2B_WORKSPACE_OPTS_INIT;
    o.flags = E2B_WORKSPACE_F_TAR;
    assert_failed_with(e2b_workspace_pull(g_sbx, "/tmp/dotdot.tar", dst, &o, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "../outside.txt"));
    char parent[300];
    snprintf(parent, sizeof parent, "%s/victim", g_tmp);
    assert_nothing_left(parent, "w"); /* no target, no staging dir (good.txt went nowhere) */
    assert_nothing_left(parent, "outside.txt");
    assert_nothing_left(g_tmp, "outside.txt");

    assert_failed_with(e2b_workspace_pull(g_sbx, "/tmp/abs.tar", dst, &o, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "absolute"));
    assert_nothing_left(parent, "w");

    /* A symlink escaping the tree, from a plain directory pull. */
    free(rsh("mkdir -p /home/user/esc/d && echo x > /home/user/esc/d/f && ln -s ../../../etc /home/user/esc/d/e"));
    assert_failed_with(e2b_workspace_pull(g_sbx, "/home/user/esc", dst, NULL, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "symlink"));
    assert_nothing_left(parent, "w");
    free(rsh("rm /home/user/esc/d/e && ln -s /etc/passwd /home/user/esc/abs"));
    assert_failed_with(e2b_workspace_pull(g_sbx, "/home/user/esc", dst, NULL, NULL), E2B_EINVAL);
    assert_nothing_left(parent, "w");

    /* Not a tar at all. */
    free(rsh("echo 'not a tar' > /tmp/junk.tar"));
    int rc = e2b_workspace_pull(g_sbx, "/tmp/junk.tar", dst, &o, NULL);
    assert_true(rc == E2B_EPROTOCOL);
    assert_nothing_left(parent, "w");
}

static void test_push_rejects_unsafe(void **state) {
    (void)state;
    /* Crafted locally: "../" after a good entry. Nothing may be extracted in the sandbox. */
    lsh("mkdir -p %s/craft/sub && cd %s/craft && echo evil > outside.txt && echo good > sub/good.txt && "
        "cd sub && tar -cPf %s/dotdot.tar good.txt ../outside.txt",
        g_tmp, g_tmp, g_tmp);
    char tar[300];
    snprintf(tar, sizeof tar, "%s/dotdot.tar", g_tmp);
    e2b_workspace_opts o = E2B_WORKSPACE_OPTS_INIT;
    o.flags = E2B_WORKSPACE_F_TAR;
    assert_failed_with(e2b_workspace_push(g_sbx, tar, "/home/user/pw/t", &o, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, ".."));
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/pw", NULL), 0);
    assert_rsh("ls -a /tmp | grep -c e2b-push || true", "0\n");

    /* A local tree with a symlink out of it. */
    lsh("mkdir -p %s/esc && echo x > %s/esc/f && ln -s /etc/passwd %s/esc/pw", g_tmp, g_tmp, g_tmp);
    char esc[300];
    snprintf(esc, sizeof esc, "%s/esc", g_tmp);
    assert_failed_with(e2b_workspace_push(g_sbx, esc, "/home/user/pw", NULL, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "symlink"));
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/pw", NULL), 0);
    lsh("rm %s/esc/pw && ln -s ../../x %s/esc/up", g_tmp, g_tmp);
    assert_failed_with(e2b_workspace_push(g_sbx, esc, "/home/user/pw", NULL, NULL), E2B_EINVAL);

    /* Bad arguments. */
    assert_failed_with(e2b_workspace_push(NULL, esc, "/x", NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_workspace_push(g_sbx, "", "/x", NULL, NULL), E2B_EINVAL);
    assert_failed_with(e2b_workspace_pull(g_sbx, "/x", NULL, NULL, NULL), E2B_EINVAL);
    e2b_workspace_opts bad;
    ok(e2b_workspace_opts_init(&bad, E2B_WORKSPACE_OPTS_VERSION));
    assert_int_equal(bad.flags, 0);
    assert_failed_with(e2b_workspace_opts_init(NULL, E2B_WORKSPACE_OPTS_VERSION), E2B_EINVAL);
    bad.flags = 0x100;
    assert_failed_with(e2b_workspace_push(g_sbx, esc, "/x", &bad, NULL), E2B_EINVAL);
    bad.version = 0;
    assert_failed_with(e2b_workspace_push(g_sbx, esc, "/x", &bad, NULL), E2B_EVERSION);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_workspace");
    if (begun != 0) return begun > 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pull_roundtrip),
        cmocka_unit_test(test_pull_rejects_unsafe_tar),
        cmocka_unit_test(test_push_rejects_unsafe),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    harness_server_stop();
    return rc;
}
