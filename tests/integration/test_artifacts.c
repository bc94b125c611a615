/* Integration tests of artifacts (glob download with sizes, MIME types, progress, delete after
 * download; upload) against a private e2b-local. Usage: test_artifacts [path/to/e2b-local]. */
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
    snprintf(g_tmp, sizeof g_tmp, "/var/tmp/e2b-artifacts-XXXXXX");
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


static void sh(const char *cmd) {
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    int rc = e2b_exec_run(&out, g_sbx, cmd, NULL);
    if (rc != E2B_OK) fprintf(stderr, "%s: %s %s\n", cmd, out.err.ptr ? out.err.ptr : "", e2b_error_last()->message);
    e2b_exec_output_dispose(&out);
    assert_int_equal(rc, E2B_OK);
}

static const e2b_artifact *find(const e2b_artifact_list *l, const char *rel) {
    for (size_t i = 0; i < e2b_artifact_list_count(l); ++i)
        if (strcmp(e2b_artifact_list_at(l, i)->rel_path, rel) == 0) return e2b_artifact_list_at(l, i);
    return NULL;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int dir_entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++n;
    closedir(d);
    return n;
}

struct prog {
    int calls;
    int64_t last_bytes;
    uint32_t last_files, files_total;
    int64_t bytes_total;
    int monotonic;
    int stop_after;
};

static int on_progress(const e2b_transfer_progress *p, void *payload) {
    struct prog *g = payload;
    if (p->bytes_done < g->last_bytes || p->files_done < g->last_files) g->monotonic = 0;
    g->last_bytes = p->bytes_done;
    g->last_files = p->files_done;
    g->files_total = p->files_total;
    g->bytes_total = p->bytes_total;
    ++g->calls;
    return g->stop_after && g->calls >= g->stop_after;
}

static void make_remote_tree(void) {
    sh("mkdir -p /home/user/out/plots/deep /home/user/out/.hidden && cd /home/user/out && "
       "printf '\\x89PNG....' > top.png && head -c 1048576 /dev/urandom > plots/deep/big.png && "
       "printf 'x' > .hidden/h.png && echo '# notes' > notes.md && echo '{}' > plots/data.json && "
       "echo log > run.log && echo t > a.txt && echo u > b.txt");
}

static void test_download_patterns(void **state) {
    (void)state;
    make_remote_tree();
    char dest[300];
    snprintf(dest, sizeof dest, "%s/dl", g_tmp);
    const char *pats[] = {"**/*.png", "**/*.{md,json}", NULL};
    struct prog g = {0, 0, 0, 0, 0, 1, 0};
    e2b_artifacts_opts o = E2B_ARTIFACTS_OPTS_INIT;
    o.on_progress = on_progress;
    o.payload = &g;
    e2b_artifact_list *l = NULL;
    ok(e2b_artifacts_download(&l, g_sbx, "/home/user/out", pats, dest, &o));
    assert_int_equal(e2b_artifact_list_count(l), 5);
    const e2b_artifact *big = find(l, "plots/deep/big.png");
    assert_non_null(big);
    assert_int_equal(big->size, 1048576);
    assert_string_equal(big->mime_type, "image/png");
    assert_string_equal(big->remote_path, "/home/user/out/plots/deep/big.png");
    assert_int_equal(file_size(big->local_path), 1048576);
    assert_non_null(find(l, "top.png")); /* "**" also matches zero directories */
    assert_non_null(find(l, ".hidden/h.png"));
    assert_string_equal(find(l, "notes.md")->mime_type, "text/markdown");
    assert_string_equal(find(l, "plots/data.json")->mime_type, "application/json");
    assert_null(find(l, "run.log"));
    e2b_artifact_list_free(l);

    /* The bytes are the sandbox's. */
    e2b_buf remote = E2B_BUF_INIT;
    ok(e2b_files_read(&remote, g_sbx, "/home/user/out/plots/deep/big.png", NULL));
    char local_path[400];
    snprintf(local_path, sizeof local_path, "%s/plots/deep/big.png", dest);
    FILE *f = fopen(local_path, "rb");
    assert_non_null(f);
    char *buf = malloc(remote.size);
    assert_int_equal(fread(buf, 1, remote.size, f), remote.size);
    fclose(f);
    assert_memory_equal(buf, remote.ptr, remote.size);
    free(buf);
    e2b_buf_dispose(&remote);

    /* Progress: monotonic, and the last report covers everything. */
    assert_true(g.calls >= 5);
    assert_true(g.monotonic);
    assert_int_equal(g.files_total, 5);
    assert_int_equal(g.last_files, 5);
    assert_int_equal(g.last_bytes, g.bytes_total);
    assert_true(g.bytes_total > 1048576);
}

static void test_pattern_matches_nothing(void **state) {
    (void)state;
    make_remote_tree();
    char dest[300];
    snprintf(dest, sizeof dest, "%s/none", g_tmp);
    const char *pats[] = {"**/*.png", "**/*.gif", NULL};
    e2b_artifact_list *l = (e2b_artifact_list *)0x1;
    assert_failed_with(e2b_artifacts_download(&l, g_sbx, "/home/user/out", pats, dest, NULL), E2B_EFILE_NOT_FOUND);
    assert_null(l);
    assert_non_null(strstr(e2b_error_last()->message, "*.gif"));
    assert_int_equal(dir_entries(dest), -1); /* checked before anything was downloaded */

    e2b_artifacts_opts o = E2B_ARTIFACTS_OPTS_INIT;
    o.flags = E2B_ARTIFACTS_F_ALLOW_EMPTY;
    const char *none[] = {"*.gif", NULL};
    ok(e2b_artifacts_download(&l, g_sbx, "/home/user/out", none, dest, &o));
    assert_int_equal(e2b_artifact_list_count(l), 0);
    e2b_artifact_list_free(l);

    assert_failed_with(e2b_artifacts_download(NULL, g_sbx, "/home/user/missing", pats, dest, NULL),
                       E2B_EFILE_NOT_FOUND);
    assert_failed_with(e2b_artifacts_download(NULL, g_sbx, "/home/user/out/a.txt", pats, dest, NULL), E2B_EINVAL);
    const char *empty[] = {NULL};
    assert_failed_with(e2b_artifacts_download(NULL, g_sbx, "/home/user/out", empty, dest, NULL), E2B_EINVAL);
    assert_failed_with(e2b_artifacts_download(NULL, g_sbx, "/home/user/out", NULL, dest, NULL), E2B_EINVAL);
}

static void test_delete_after_and_stop(void **state) {
    (void)state;
    make_remote_tree();
    char dest[300];
    snprintf(dest, sizeof dest, "%s/del", g_tmp);
    const char *pats[] = {"*.txt", NULL};
    e2b_artifacts_opts o = E2B_ARTIFACTS_OPTS_INIT;
    o.flags = E2B_ARTIFACTS_F_DELETE;
    e2b_artifact_list *l = NULL;
    ok(e2b_artifacts_download(&l, g_sbx, "/home/user/out", pats, dest, &o));
    assert_int_equal(e2b_artifact_list_count(l), 2);
    assert_string_equal(e2b_artifact_list_at(l, 0)->rel_path, "a.txt"); /* sorted */
    assert_string_equal(e2b_artifact_list_at(l, 0)->mime_type, "text/plain");
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/out/a.txt", NULL), 0);
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/out/b.txt", NULL), 0);
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/out/top.png", NULL), 1);
    assert_null(e2b_artifact_list_at(l, 2));
    e2b_artifact_list_free(l);

    /* A progress callback that stops: E2B_EUSER, no partial file under any name. */
    char dest2[300];
    snprintf(dest2, sizeof dest2, "%s/stop", g_tmp);
    struct prog g = {0, 0, 0, 0, 0, 1, 1};
    o.flags = 0;
    o.on_progress = on_progress;
    o.payload = &g;
    const char *big[] = {"plots/deep/*.png", NULL};
    assert_failed_with(e2b_artifacts_download(NULL, g_sbx, "/home/user/out", big, dest2, &o), E2B_EUSER);
    char p[400];
    snprintf(p, sizeof p, "%s/plots/deep", dest2);
    assert_int_equal(dir_entries(p), 0);
}

static void test_upload(void **state) {
    (void)state;
    char a[300], b[300];
    snprintf(a, sizeof a, "%s/up-a.csv", g_tmp);
    snprintf(b, sizeof b, "%s/up-b.bin", g_tmp);
    FILE *f = fopen(a, "w");
    fputs("x,y\n1,2\n", f);
    fclose(f);
    f = fopen(b, "wb");
    for (int i = 0; i < 300000; ++i) fputc(i & 0xff, f);
    fclose(f);
    const char *files[] = {a, b, NULL};
    struct prog g = {0, 0, 0, 0, 0, 1, 0};
    e2b_artifacts_opts o = E2B_ARTIFACTS_OPTS_INIT;
    o.on_progress = on_progress;
    o.payload = &g;
    e2b_artifact_list *l = NULL;
    ok(e2b_artifacts_upload(&l, g_sbx, files, "/home/user/in/", &o));
    assert_int_equal(e2b_artifact_list_count(l), 2);
    assert_string_equal(e2b_artifact_list_at(l, 0)->remote_path, "/home/user/in/up-a.csv");
    assert_string_equal(e2b_artifact_list_at(l, 0)->mime_type, "text/csv");
    assert_int_equal(e2b_artifact_list_at(l, 1)->size, 300000);
    e2b_artifact_list_free(l);
    assert_int_equal(g.last_bytes, 300000 + 8);
    assert_int_equal(g.last_files, 2);
    e2b_buf got = E2B_BUF_INIT;
    ok(e2b_files_read(&got, g_sbx, "/home/user/in/up-b.bin", NULL));
    assert_int_equal(got.size, 300000);
    assert_int_equal((unsigned char)got.ptr[257], 1);
    e2b_buf_dispose(&got);

    /* A missing local file fails before anything is sent. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope.txt", g_tmp);
    const char *bad[] = {a, missing, NULL};
    assert_failed_with(e2b_artifacts_upload(NULL, g_sbx, bad, "/home/user/in2", NULL), E2B_EINVAL);
    assert_int_equal(e2b_files_exists(g_sbx, "/home/user/in2", NULL), 0);
    const char *dir[] = {g_tmp, NULL};
    assert_failed_with(e2b_artifacts_upload(NULL, g_sbx, dir, "/home/user/in2", NULL), E2B_EINVAL);
    e2b_artifacts_opts v;
    ok(e2b_artifacts_opts_init(&v, E2B_ARTIFACTS_OPTS_VERSION));
    assert_null(v.on_progress);
    assert_failed_with(e2b_artifacts_opts_init(&v, 2), E2B_EVERSION);
    v.flags = 0x80;
    assert_failed_with(e2b_artifacts_upload(NULL, g_sbx, files, "/home/user/in2", &v), E2B_EINVAL);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_artifacts");
    if (begun != 0) return begun > 0 ? 0 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_patterns),
        cmocka_unit_test(test_pattern_matches_nothing),
        cmocka_unit_test(test_delete_after_and_stop),
        cmocka_unit_test(test_upload),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    harness_server_stop();
    return rc;
}
