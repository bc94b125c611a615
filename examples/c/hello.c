/* libe2b quickstart in C: create a sandbox, stream a command's output, write and read a file,
 * pause it with a process running, connect again (resume) and find the process alive, kill it.
 * Build: cc hello.c $(pkg-config --cflags --libs e2b)
 * Run:   E2B_API_URL=... E2B_SANDBOX_URL=... E2B_API_KEY=... ./a.out   (e2b-local or E2B cloud) */
#include <e2b.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s (%s)\n", what, e2b_error_last()->message,
            e2b_status_str(e2b_error_last()->code));
    return 1;
}

/* Runs on libe2b's service thread as output arrives; return nonzero to stop listening. */
static int print_chunk(const char *data, size_t len, void *payload) {
    printf("[%s] %.*s", (const char *)payload, (int)len, data);
    fflush(stdout);
    return 0;
}

int main(void) {
    e2b_client *client = NULL;
    e2b_sandbox *sbx = NULL;
    if (e2b_client_new(&client, NULL) != E2B_OK) return fail("client"); /* config from E2B_* env */
    if (e2b_sandbox_create(&sbx, client, NULL) != E2B_OK) return fail("create");
    printf("sandbox %s\n", e2b_sandbox_id(sbx));

    /* A streamed command: output is printed while it runs. */
    e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
    cb.on_stdout = print_chunk;
    cb.payload = "stdout";
    e2b_exec *cmd = NULL;
    if (e2b_exec_start(&cmd, sbx, "for i in 1 2 3; do echo tick $i; sleep 0.2; done", NULL, &cb) != E2B_OK)
        return fail("exec");
    int32_t code = -1;
    if (e2b_exec_wait(cmd, &code) != E2B_OK) return fail("wait");
    e2b_exec_free(cmd);

    /* Files. */
    const char *text = "written by libe2b\n";
    if (e2b_files_write(sbx, "/home/user/note.txt", text, strlen(text), NULL) != E2B_OK) return fail("write");
    e2b_buf back = E2B_BUF_INIT;
    if (e2b_files_read(&back, sbx, "/home/user/note.txt", NULL) != E2B_OK) return fail("read");
    printf("read back: %s", back.ptr);
    e2b_buf_dispose(&back);

    /* Pause with a process running; connect resumes the sandbox with its memory. */
    e2b_exec_opts bg = E2B_EXEC_OPTS_INIT;
    bg.timeout_ms = -1; /* no lifetime limit for this background process */
    if (e2b_exec_start(&cmd, sbx, "sleep 600", &bg, NULL) != E2B_OK) return fail("background");
    uint32_t pid = e2b_exec_pid(cmd);
    e2b_exec_free(cmd); /* the local handle only: the process keeps running */
    if (e2b_sandbox_pause(sbx) < 0) return fail("pause");
    char id[128];
    snprintf(id, sizeof id, "%s", e2b_sandbox_id(sbx));
    e2b_sandbox_free(sbx);
    printf("paused %s with process %u running\n", id, pid);

    if (e2b_sandbox_connect(&sbx, client, id, 60000) != E2B_OK) return fail("connect");
    e2b_process_list *procs = NULL;
    if (e2b_exec_list(&procs, sbx) != E2B_OK) return fail("list");
    for (size_t i = 0; i < e2b_process_list_count(procs); ++i)
        if (e2b_process_list_at(procs, i)->pid == pid) printf("resumed: process %u still running\n", pid);
    e2b_process_list_free(procs);

    if (e2b_sandbox_kill(sbx) != E2B_OK) return fail("kill");
    printf("killed\n");
    e2b_sandbox_free(sbx);
    e2b_client_free(client);
    return 0;
}
