/* libe2b from C: create a sandbox, run a command, write and read a file, kill it.
 * Build: cc hello.c $(pkg-config --cflags --libs e2b)
 * Run:   E2B_API_URL=... E2B_SANDBOX_URL=... E2B_API_KEY=... ./a.out   (e2b-local or E2B cloud) */
#include <e2b.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, e2b_error_last()->message);
    return 1;
}

int main(void) {
    e2b_client *client = NULL;
    e2b_sandbox *sbx = NULL;
    if (e2b_client_new(&client, NULL) != E2B_OK) return fail("client");  /* config from E2B_* env */
    if (e2b_sandbox_create(&sbx, client, NULL) != E2B_OK) return fail("create");
    printf("sandbox %s\n", e2b_sandbox_id(sbx));

    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    if (e2b_exec_run(&out, sbx, "echo hello from $(hostname); id -un", NULL) != E2B_OK) return fail("run");
    printf("%s", out.out.ptr);
    e2b_exec_output_dispose(&out);

    const char *text = "written by libe2b\n";
    if (e2b_files_write(sbx, "/home/user/note.txt", text, strlen(text), NULL) != E2B_OK) return fail("write");
    e2b_buf back = E2B_BUF_INIT;
    if (e2b_files_read(&back, sbx, "/home/user/note.txt", NULL) != E2B_OK) return fail("read");
    printf("read back: %s", back.ptr);
    e2b_buf_dispose(&back);

    if (e2b_sandbox_kill(sbx) != E2B_OK) return fail("kill");
    e2b_sandbox_free(sbx);
    e2b_client_free(client);
    return 0;
}
