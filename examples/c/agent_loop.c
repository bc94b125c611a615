/* The reason-execute-reflect loop of a coding agent, without the model: run a cell, read its
 * error, "fix" the code, run again, print the result. Output streams as the cells print it.
 * Build: cc agent_loop.c $(pkg-config --cflags --libs e2b)
 * Run:   E2B_API_URL=... E2B_SANDBOX_URL=... E2B_API_KEY=... ./a.out   (e2b-local or E2B cloud) */
#include <e2b.h>
#include <stdio.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, e2b_error_last()->message);
    return 1;
}

/* Streamed output: what an agent UI would show while the cell runs. */
static int show(const char *text, size_t len, int64_t timestamp_us, void *payload) {
    (void)timestamp_us;
    printf("  %s| %.*s", (const char *)payload, (int)len, text);
    fflush(stdout);
    return 0;
}

/* What the model would write: a first attempt with a bug, then the fix its reading of the
 * error leads to. */
static const char *const attempts[] = {
    "data = [3, 1, 4, 1, 5, 9, 2, 6]\n"
    "print('items:', len(data))\n"
    "mean = sum(data) / len(dta)\n"
    "mean",
    "data = [3, 1, 4, 1, 5, 9, 2, 6]\n"
    "print('items:', len(data))\n"
    "mean = sum(data) / len(data)\n"
    "mean",
};

int main(void) {
    e2b_client *client = NULL;
    e2b_sandbox *sbx = NULL;
    if (e2b_client_new(&client, NULL) != E2B_OK) return fail("client");
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.template_id = "code-interpreter-v1";
    if (e2b_sandbox_create(&sbx, client, &so) != E2B_OK) return fail("create");
    printf("sandbox %s\n", e2b_sandbox_id(sbx));

    e2b_code_callbacks cb = E2B_CODE_CALLBACKS_INIT;
    cb.on_stdout = show;
    cb.payload = "stdout";
    e2b_code_opts opts = E2B_CODE_OPTS_INIT;
    opts.timeout_ms = 30000;  /* a runaway cell is interrupted; the context survives */

    int status = 1;
    for (size_t step = 0; step < sizeof attempts / sizeof *attempts; ++step) {
        printf("step %zu: running\n%s\n", step + 1, attempts[step]);
        e2b_execution *ex = NULL;
        if (e2b_code_run(&ex, sbx, attempts[step], &opts, &cb) != E2B_OK) {
            fail("run");
            e2b_execution_free(ex);  /* partial output of a timed-out cell; NULL-safe */
            break;
        }
        const e2b_code_error *err = e2b_execution_error(ex);
        if (err) {
            /* Reflect: this is what goes back to the model. */
            printf("step %zu: the cell raised %s: %s\n%s\n", step + 1, err->name, err->value, err->traceback);
            e2b_execution_free(ex);
            continue;
        }
        const char *text = e2b_execution_text(ex);
        printf("step %zu: result %s (execution %lld)\n", step + 1, text ? text : "(none)",
               (long long)e2b_execution_execution_count(ex));
        e2b_execution_free(ex);
        status = 0;
        break;
    }

    if (e2b_sandbox_kill(sbx) != E2B_OK) status = fail("kill");
    e2b_sandbox_free(sbx);
    e2b_client_free(client);
    return status;
}
