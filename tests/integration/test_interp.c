/* Integration tests of the code interpreter (e2b.h "Code interpreter") against a private
 * e2b-local, template "code-interpreter-v1".
 * Usage: test_interp [path/to/e2b-local]. Needs root (e2b-local does). */
#include <poll.h>
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

#include "e2b.h"
#include "harness.h"

static e2b_client *g_client;
static e2b_sandbox *g_sb;

static e2b_client *new_client(uint32_t delivery) {
    e2b_client_opts o = harness_client_opts();
    o.delivery = delivery;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    return c;
}

/* Runs code in ctx (NULL = default python) and expects E2B_OK. */
static e2b_execution *run_ok(const char *code, const char *ctx) {
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.context_id = ctx;
    e2b_execution *x = NULL;
    int rc = e2b_code_run(&x, g_sb, code, &o, NULL);
    if (rc != E2B_OK) fprintf(stderr, "run: %d %s\n", rc, e2b_error_last()->message);
    assert_int_equal(rc, E2B_OK);
    assert_non_null(x);
    return x;
}

/* The main result's text of a cell that must succeed without error (caller frees nothing). */
static void expect_text(const char *code, const char *ctx, const char *want) {
    e2b_execution *x = run_ok(code, ctx);
    const e2b_code_error *err = e2b_execution_error(x);
    if (err) fprintf(stderr, "cell error: %s: %s\n", err->name, err->value);
    assert_null(err);
    const char *t = e2b_execution_text(x);
    assert_non_null(t);
    assert_string_equal(t, want);
    e2b_execution_free(x);
}

static char *new_context(const char *language, const char *cwd) {
    e2b_code_context *c = NULL;
    assert_int_equal(e2b_code_context_create(&c, g_sb, language, cwd), E2B_OK);
    assert_non_null(c);
    assert_int_equal(c->version, 1);
    assert_true(strlen(c->id) > 0);
    char *id = strdup(c->id);
    e2b_code_context_free(c);
    return id;
}

/* ---- what the callbacks saw; guarded since they run on the service thread ---- */
typedef struct {
    pthread_mutex_t mu;
    char out[8192];
    int out_lines, err_lines, results, errors, ends;
    int64_t first_out_ms, last_ts_us;
    int end_code;           /* err->code of on_end (0 = NULL err) */
    int end_had_exec;
    char end_text[64];
    char error_name[64];
    int png_results;
    int stop_on_out;        /* on_stdout returns nonzero */
    int misuse_rc;          /* a blocking call made inside on_stdout */
    pthread_t cb_thread;
} sink;

static void sink_init(sink *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->misuse_rc = 1;
}

static int on_out(const char *t, size_t n, int64_t ts, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    if (!s->first_out_ms) s->first_out_ms = harness_now_ms();
    size_t len = strlen(s->out);
    if (len + n < sizeof s->out) {
        memcpy(s->out + len, t, n);
        s->out[len + n] = 0;
    }
    s->out_lines++;
    s->last_ts_us = ts;
    s->cb_thread = pthread_self();
    pthread_mutex_unlock(&s->mu);
    if (s->misuse_rc == 1) {
        e2b_code_context_list *l = NULL;
        s->misuse_rc = e2b_code_list_contexts(&l, g_sb);
        e2b_code_context_list_free(l);
    }
    return s->stop_on_out;
}

static int on_err(const char *t, size_t n, int64_t ts, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->err_lines++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int on_result(const e2b_code_result *r, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->results++;
    if (r->png) s->png_results++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int on_error(const e2b_code_error *e, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->errors++;
    snprintf(s->error_name, sizeof s->error_name, "%s", e->name);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void on_end(const e2b_execution *x, const e2b_error *err, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->ends++;
    s->end_code = err ? err->code : 0;
    s->end_had_exec = x != NULL;
    const char *t = e2b_execution_text(x);
    snprintf(s->end_text, sizeof s->end_text, "%s", t ? t : "");
    pthread_mutex_unlock(&s->mu);
}

static e2b_code_callbacks callbacks(sink *s) {
    e2b_code_callbacks c = E2B_CODE_CALLBACKS_INIT;
    c.on_stdout = on_out;
    c.on_stderr = on_err;
    c.on_result = on_result;
    c.on_error = on_error;
    c.on_end = on_end;
    c.payload = s;
    return c;
}

static int wait_for_lines(sink *s, int n, int ms) {
    for (int i = 0; i < ms / 10; ++i) {
        pthread_mutex_lock(&s->mu);
        int got = s->out_lines;
        pthread_mutex_unlock(&s->mu);
        if (got >= n) return 1;
        usleep(10000);
    }
    return 0;
}

/* ---- tests ---- */

static void test_state_logs_and_results(void **state) {
    (void)state;
    e2b_execution *x = run_ok("x = 41\nprint('hello')\nprint('oops', file=__import__('sys').stderr)", NULL);
    assert_null(e2b_execution_error(x));
    assert_null(e2b_execution_text(x));  /* an assignment has no value */
    assert_int_equal(e2b_execution_result_count(x), 0);
    assert_int_equal(e2b_execution_log_count(x, E2B_CODE_STDOUT), 1);
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "hello\n");
    assert_int_equal(e2b_execution_log_count(x, E2B_CODE_STDERR), 1);
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDERR, 0), "oops\n");
    assert_null(e2b_execution_log_at(x, E2B_CODE_STDOUT, 1));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_int_equal(e2b_execution_log_count(x, 7), 0);
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    int64_t n1 = e2b_execution_execution_count(x);
    assert_true(n1 >= 1);
    e2b_execution_free(x);

    x = run_ok("x + 1", NULL);
    assert_int_equal(e2b_execution_execution_count(x), n1 + 1);
    assert_string_equal(e2b_execution_text(x), "42");
    assert_int_equal(e2b_execution_result_count(x), 1);
    const e2b_code_result *r = e2b_execution_result_at(x, 0);
    assert_non_null(r);
    assert_int_equal(r->version, 1);
    assert_int_equal(r->is_main_result, 1);
    assert_string_equal(r->text, "42");
    assert_null(r->png);
    assert_null(e2b_execution_result_at(x, 1));
    e2b_execution_free(x);

    /* rich formats: html from _repr_html_, a dict as json */
    x = run_ok("class H:\n    def _repr_html_(self): return '<b>hi</b>'\nH()", NULL);
    r = e2b_execution_result_at(x, 0);
    assert_non_null(r);
    assert_non_null(r->html);
    assert_string_equal(r->html, "<b>hi</b>");
    assert_true(r->format_count >= 1);
    assert_string_equal(r->formats[0], "html");
    e2b_execution_free(x);

    /* a MIME bundle: known formats, JSON objects as JSON text, unknown types under extra */
    x = run_ok("class B:\n    def _repr_mimebundle_(self):\n"
               "        return {'text/plain': 'B', 'application/json': {'k': [1, 2]},\n"
               "                'text/markdown': '**b**', 'application/x-custom': 'c'}\nB()", NULL);
    r = e2b_execution_result_at(x, 0);
    assert_non_null(r);
    assert_string_equal(r->text, "B");
    assert_string_equal(r->markdown, "**b**");
    assert_string_equal(r->json, "{\"k\":[1,2]}");
    assert_string_equal(r->extra, "{\"application/x-custom\":\"c\"}");
    assert_null(r->html);
    assert_int_equal(r->format_count, 3);
    assert_string_equal(r->formats[0], "markdown");
    assert_string_equal(r->formats[1], "json");
    assert_string_equal(r->formats[2], "application/x-custom");
    e2b_execution_free(x);

    /* per-cell envs */
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    const char *envs[] = {"E2B_CELL_VAR=from-c", NULL};
    o.envs = envs;
    assert_int_equal(e2b_code_run(&x, g_sb, "import os; os.environ.get('E2B_CELL_VAR')", &o, NULL), E2B_OK);
    assert_string_equal(e2b_execution_text(x), "from-c");
    e2b_execution_free(x);
    expect_text("import os; str(os.environ.get('E2B_CELL_VAR'))", NULL, "None");
}

static void test_streaming_before_end(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;  /* not checked here */
    e2b_code_callbacks c = callbacks(&s);
    e2b_execution *x = NULL;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_code_run(&x, g_sb, "import time\nprint('first')\ntime.sleep(1.5)\nprint('second')\n'done'",
                                  NULL, &c), E2B_OK);
    int64_t t_end = harness_now_ms();
    assert_int_equal(s.out_lines, 2);
    assert_string_equal(s.out, "first\nsecond\n");
    assert_true(s.first_out_ms - t0 < 1200);       /* well before the cell ended */
    assert_true(t_end - s.first_out_ms >= 1000);
    assert_true(s.last_ts_us > (t0 - 60000) * 1000);
    assert_true(!pthread_equal(s.cb_thread, pthread_self()));  /* the service thread */
    assert_int_equal(s.results, 1);
    assert_int_equal(s.ends, 1);                    /* on_end ran before e2b_code_run returned */
    assert_int_equal(s.end_code, 0);
    assert_string_equal(s.end_text, "done");
    assert_string_equal(e2b_execution_text(x), "done");
    e2b_execution_free(x);
}

static void test_python_exception(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;
    e2b_code_callbacks c = callbacks(&s);
    e2b_execution *x = NULL;
    assert_int_equal(e2b_code_run(&x, g_sb, "def f():\n    return 1 / 0\nprint('before')\nf()", NULL, &c), E2B_OK);
    assert_int_equal(e2b_error_last()->code, E2B_OK);
    const e2b_code_error *err = e2b_execution_error(x);
    assert_non_null(err);
    assert_int_equal(err->version, 1);
    assert_string_equal(err->name, "ZeroDivisionError");
    assert_string_equal(err->value, "division by zero");
    assert_non_null(strstr(err->traceback, "ZeroDivisionError"));
    assert_non_null(strstr(err->traceback, "line 2, in f"));
    assert_non_null(strstr(err->traceback, "return 1 / 0")); /* the failing source line */
    assert_null(e2b_execution_text(x));
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "before\n");
    assert_int_equal(s.errors, 1);
    assert_string_equal(s.error_name, "ZeroDivisionError");
    assert_int_equal(s.end_code, 0);  /* a cell error is not a run failure */
    e2b_execution_free(x);
    /* the context is fine afterwards */
    expect_text("f.__name__", NULL, "f");
}

static void test_contexts_isolated(void **state) {
    (void)state;
    char *a = new_context(NULL, NULL);
    char *b = new_context("python", "/tmp");
    assert_string_not_equal(a, b);
    e2b_execution_free(run_ok("v = 'A'", a));
    e2b_execution_free(run_ok("v = 'B'", b));
    expect_text("v", a, "A");
    expect_text("v", b, "B");
    expect_text("import os; os.getcwd()", a, "/home/user");
    expect_text("import os; os.getcwd()", b, "/tmp");

    e2b_code_context_list *l = NULL;
    assert_int_equal(e2b_code_list_contexts(&l, g_sb), E2B_OK);
    int seen = 0, python_default = 0;
    for (size_t i = 0; i < e2b_code_context_list_count(l); ++i) {
        const e2b_code_context *c = e2b_code_context_list_at(l, i);
        if (!strcmp(c->id, a) || !strcmp(c->id, b)) {
            seen++;
            assert_string_equal(c->language, "python");
        }
        if (!strcmp(c->language, "javascript")) python_default++;
    }
    assert_int_equal(seen, 2);
    assert_true(python_default >= 1);  /* the default contexts are listed too */
    assert_null(e2b_code_context_list_at(l, e2b_code_context_list_count(l)));
    e2b_code_context_list_free(l);

    /* restart: state gone, context still usable */
    assert_int_equal(e2b_code_context_restart(g_sb, a), E2B_OK);
    e2b_execution *x = run_ok("v", a);
    assert_non_null(e2b_execution_error(x));
    assert_string_equal(e2b_execution_error(x)->name, "NameError");
    e2b_execution_free(x);
    expect_text("v", b, "B");

    /* remove: the id is unknown from then on (typed error with the server's message) */
    assert_int_equal(e2b_code_context_remove(g_sb, b), E2B_OK);
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.context_id = b;
    x = (e2b_execution *)1;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_ENOTFOUND);
    assert_null(x);
    assert_int_equal(e2b_error_last()->http_status, 404);
    assert_non_null(strstr(e2b_error_last()->message, "not found"));
    assert_non_null(strstr(e2b_error_last()->message, b));
    assert_int_equal(e2b_code_context_remove(g_sb, b), E2B_ENOTFOUND);
    assert_int_equal(e2b_code_context_restart(g_sb, b), E2B_ENOTFOUND);
    assert_int_equal(e2b_code_context_remove(g_sb, a), E2B_OK);
    free(a);
    free(b);
}

static void test_unknown_context_and_bad_input(void **state) {
    (void)state;
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.context_id = "no-such-context";
    e2b_execution *x = NULL;
    e2b_code_exec *h = (e2b_code_exec *)1;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_ENOTFOUND);
    assert_string_equal(e2b_error_last()->message, "Context no-such-context not found");
    assert_int_equal(e2b_code_start(&h, g_sb, "1", &o, NULL), E2B_ENOTFOUND);
    assert_null(h);

    /* language and context together: refused before any request, as the SDK does */
    o.language = "python";
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "not both"));
    /* unsupported language: the server's reason in the message */
    o.context_id = NULL;
    o.language = "cobol";
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_ERROR);
    assert_int_equal(e2b_error_last()->http_status, 400);
    assert_non_null(strstr(e2b_error_last()->message, "Unsupported language"));
    e2b_code_context *c = NULL;
    assert_int_equal(e2b_code_context_create(&c, g_sb, "cobol", NULL), E2B_ERROR);
    assert_null(c);
    assert_non_null(strstr(e2b_error_last()->message, "Unsupported language"));

    assert_int_equal(e2b_code_run(&x, g_sb, NULL, NULL, NULL), E2B_EINVAL);
    assert_int_equal(e2b_code_run(&x, NULL, "1", NULL, NULL), E2B_EINVAL);
    assert_int_equal(e2b_code_run(NULL, g_sb, "1", NULL, NULL), E2B_EINVAL);
    o.language = "";
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_EINVAL);
    o.language = NULL;
    const char *bad_envs[] = {"NOEQUALS", NULL};
    o.envs = bad_envs;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_EINVAL);
    o.envs = NULL;
    o.version = 0;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_EVERSION);
    o.version = 99;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", &o, NULL), E2B_EVERSION);
    e2b_code_callbacks cb = E2B_CODE_CALLBACKS_INIT;
    cb.version = 2;
    assert_int_equal(e2b_code_run(&x, g_sb, "1", NULL, &cb), E2B_EVERSION);
    assert_null(x);
    assert_int_equal(e2b_code_context_remove(g_sb, ""), E2B_EINVAL);
    assert_int_equal(e2b_code_context_restart(g_sb, NULL), E2B_EINVAL);
    assert_int_equal(e2b_code_list_contexts(NULL, g_sb), E2B_EINVAL);
    assert_int_equal(e2b_code_cancel(NULL), E2B_EINVAL);
    assert_int_equal(e2b_code_wait(&x, NULL), E2B_EINVAL);

    /* NULL-safe frees and getters */
    e2b_code_free(NULL);
    e2b_execution_free(NULL);
    e2b_code_context_free(NULL);
    e2b_code_context_list_free(NULL);
    assert_null(e2b_execution_text(NULL));
    assert_int_equal(e2b_error_last()->code, E2B_EINVAL);
    assert_null(e2b_execution_error(NULL));
    assert_int_equal(e2b_execution_result_count(NULL), 0);
    assert_int_equal(e2b_execution_execution_count(NULL), 0);
    assert_int_equal(e2b_code_context_list_count(NULL), 0);

    /* the init function and the macro agree */
    e2b_code_opts a = E2B_CODE_OPTS_INIT, b;
    memset(&b, 0xff, sizeof b);
    assert_int_equal(e2b_code_opts_init(&b, E2B_CODE_OPTS_VERSION), E2B_OK);
    assert_true(a.version == b.version && a.language == b.language && a.context_id == b.context_id &&
                a.envs == b.envs && a.timeout_ms == b.timeout_ms &&
                a.request_timeout_ms == b.request_timeout_ms);
    assert_int_equal(e2b_code_opts_init(&b, 0), E2B_EVERSION);
}

static void test_javascript_and_bash(void **state) {
    (void)state;
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    e2b_execution *x = NULL;
    o.language = "js";
    assert_int_equal(e2b_code_run(&x, g_sb, "const a = 40\nconsole.log('from js')\na", &o, NULL), E2B_OK);
    assert_string_equal(e2b_execution_text(x), "40");
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "from js\n");
    e2b_execution_free(x);
    assert_int_equal(e2b_code_run(&x, g_sb, "await new Promise((r) => setTimeout(() => r(a + 2), 20))", &o, NULL), E2B_OK);
    assert_string_equal(e2b_execution_text(x), "42");
    e2b_execution_free(x);
    assert_int_equal(e2b_code_run(&x, g_sb, "null.x", &o, NULL), E2B_OK);
    assert_non_null(e2b_execution_error(x));
    assert_string_equal(e2b_execution_error(x)->name, "TypeError");
    e2b_execution_free(x);

    char *ctx = new_context("bash", NULL);
    o.language = NULL;
    o.context_id = ctx;
    assert_int_equal(e2b_code_run(&x, g_sb, "B=7; echo \"bash says $((B * 6))\"", &o, NULL), E2B_OK);
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "bash says 42\n");
    e2b_execution_free(x);
    assert_int_equal(e2b_code_run(&x, g_sb, "echo $B", &o, NULL), E2B_OK);  /* state kept */
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "7\n");
    e2b_execution_free(x);
    assert_int_equal(e2b_code_context_remove(g_sb, ctx), E2B_OK);
    free(ctx);
}

static void test_matplotlib_png(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;
    e2b_code_callbacks c = callbacks(&s);
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.timeout_ms = 120000;  /* the first matplotlib import builds its font cache */
    e2b_execution *x = NULL;
    assert_int_equal(e2b_code_run(&x, g_sb,
                                  "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title('c')\nplt.show()",
                                  &o, &c), E2B_OK);
    const e2b_code_error *err = e2b_execution_error(x);
    if (err) fprintf(stderr, "%s: %s\n%s\n", err->name, err->value, err->traceback);
    assert_null(err);
    const e2b_code_result *png = NULL;
    for (size_t i = 0; i < e2b_execution_result_count(x); ++i)
        if (e2b_execution_result_at(x, i)->png) png = e2b_execution_result_at(x, i);
    assert_non_null(png);
    assert_int_equal(png->is_main_result, 0);  /* displayed, not the cell's value */
    assert_true(strncmp(png->png, "iVBORw0KGgo", 11) == 0);  /* base64 of the PNG signature */
    assert_true(strlen(png->png) > 1000);
    int listed = 0;
    for (size_t i = 0; i < png->format_count; ++i)
        if (!strcmp(png->formats[i], "png")) listed = 1;
    assert_true(listed);
    assert_int_equal(s.png_results, 1);
    e2b_execution_free(x);
}

static void test_file_written_by_code(void **state) {
    (void)state;
    e2b_execution_free(run_ok("with open('/home/user/from_cell.txt', 'w') as f:\n    f.write('cell wrote this')", NULL));
    e2b_buf b = E2B_BUF_INIT;
    assert_int_equal(e2b_files_read(&b, g_sb, "/home/user/from_cell.txt", NULL), E2B_OK);
    assert_string_equal(b.ptr, "cell wrote this");
    e2b_buf_dispose(&b);
}

static void test_timeout_keeps_context(void **state) {
    (void)state;
    char *ctx = new_context(NULL, NULL);
    e2b_execution_free(run_ok("kept = 7", ctx));
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.context_id = ctx;
    o.timeout_ms = 1500;
    e2b_execution *x = NULL;
    int64_t t0 = harness_now_ms();
    int rc = e2b_code_run(&x, g_sb, "print('spinning', flush=True)\nwhile True:\n    pass", &o, NULL);
    int64_t took = harness_now_ms() - t0;
    assert_int_equal(rc, E2B_ETIMEOUT);
    assert_non_null(strstr(e2b_error_last()->message, "Execution timed out"));
    assert_true(took >= 1400 && took < 5000);
    assert_non_null(x);  /* what arrived before the timeout */
    assert_int_equal(e2b_execution_log_count(x, E2B_CODE_STDOUT), 1);
    e2b_execution_free(x);
    /* the server interrupted the cell: the context answers at once and kept its state */
    o.timeout_ms = 10000;
    t0 = harness_now_ms();
    assert_int_equal(e2b_code_run(&x, g_sb, "kept * 6", &o, NULL), E2B_OK);
    assert_true(harness_now_ms() - t0 < 5000);
    assert_null(e2b_execution_error(x));
    assert_string_equal(e2b_execution_text(x), "42");
    e2b_execution_free(x);
    assert_int_equal(e2b_code_context_remove(g_sb, ctx), E2B_OK);
    free(ctx);
}

typedef struct {
    e2b_code_exec *h;
    sink *s;
    int rc;
} canceller;

static void *cancel_thread(void *p) {
    canceller *c = p;
    if (wait_for_lines(c->s, 1, 10000)) c->rc = e2b_code_cancel(c->h);
    return NULL;
}

static void test_cancel_from_thread(void **state) {
    (void)state;
    char *ctx = new_context(NULL, NULL);
    e2b_execution_free(run_ok("kept = 'still here'", ctx));
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;
    e2b_code_callbacks c = callbacks(&s);
    e2b_code_opts o = E2B_CODE_OPTS_INIT;
    o.context_id = ctx;
    e2b_code_exec *h = NULL;
    assert_int_equal(e2b_code_start(&h, g_sb, "import time\nprint('started')\ntime.sleep(60)", &o, &c), E2B_OK);
    canceller cc = {h, &s, 1};
    pthread_t t;
    pthread_create(&t, NULL, cancel_thread, &cc);
    e2b_execution *x = NULL;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_code_wait(&x, h), E2B_ECANCELED);
    assert_true(harness_now_ms() - t0 < 10000);
    pthread_join(t, NULL);
    assert_int_equal(cc.rc, E2B_OK);
    assert_non_null(x);
    assert_string_equal(e2b_execution_log_at(x, E2B_CODE_STDOUT, 0), "started\n");
    e2b_execution_free(x);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_code, E2B_ECANCELED);
    /* wait again: same outcome; cancel again: no effect */
    assert_int_equal(e2b_code_wait(&x, h), E2B_ECANCELED);
    e2b_execution_free(x);
    assert_int_equal(e2b_code_cancel(h), E2B_OK);
    e2b_code_free(h);
    /* the sleep was interrupted (KeyboardInterrupt), the state kept */
    int64_t t1 = harness_now_ms();
    expect_text("kept", ctx, "still here");
    assert_true(harness_now_ms() - t1 < 5000);
    assert_int_equal(e2b_code_context_remove(g_sb, ctx), E2B_OK);
    free(ctx);
}

static void test_callback_stop_and_misuse(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    s.stop_on_out = 1;
    e2b_code_callbacks c = callbacks(&s);
    e2b_execution *x = NULL;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_code_run(&x, g_sb, "import time\nprint('one', flush=True)\ntime.sleep(30)", NULL, &c),
                     E2B_EUSER);
    assert_true(harness_now_ms() - t0 < 10000);
    assert_non_null(x);
    e2b_execution_free(x);
    assert_int_equal(s.out_lines, 1);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_code, E2B_EUSER);
    assert_int_equal(s.misuse_rc, E2B_EMISUSE);  /* blocking call from a callback */
    expect_text("'fine'", NULL, "fine");
}

static void test_sandbox_killed_mid_cell(void **state) {
    (void)state;
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.template_id = "code-interpreter-v1";
    so.flags = E2B_SANDBOX_F_NO_INTERNET;
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, g_client, &so), E2B_OK);
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;
    e2b_code_callbacks c = callbacks(&s);
    e2b_code_exec *h = NULL;
    assert_int_equal(e2b_code_start(&h, sb, "import time\nprint('up')\ntime.sleep(60)", NULL, &c), E2B_OK);
    assert_true(wait_for_lines(&s, 1, 10000));
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    e2b_execution *x = NULL;
    int64_t t0 = harness_now_ms();
    /* the SDK's mapping: the stream broke and the sandbox is gone → a timeout that says so */
    assert_int_equal(e2b_code_wait(&x, h), E2B_ETIMEOUT);
    assert_true(harness_now_ms() - t0 < 10000);
    assert_non_null(strstr(e2b_error_last()->message, "sandbox was killed"));
    assert_non_null(x);
    assert_int_equal(e2b_execution_log_count(x, E2B_CODE_STDOUT), 1);
    e2b_execution_free(x);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_code, E2B_ETIMEOUT);
    e2b_code_free(h);
    /* new requests to the gone sandbox: 502 → timeout */
    assert_int_equal(e2b_code_run(&x, sb, "1", NULL, NULL), E2B_ETIMEOUT);
    assert_null(x);
    e2b_sandbox_free(sb);
}

static void test_queued_delivery(void **state) {
    (void)state;
    e2b_client *qc = new_client(E2B_DELIVERY_QUEUED);
    e2b_sandbox *qs = NULL;
    assert_int_equal(e2b_sandbox_connect(&qs, qc, e2b_sandbox_id(g_sb), 0), E2B_OK);
    sink s;
    sink_init(&s);
    s.misuse_rc = 0;
    e2b_code_callbacks c = callbacks(&s);
    e2b_code_exec *h = NULL;
    assert_int_equal(e2b_code_start(&h, qs, "print('q1')\nprint('q2')\n6 * 7", NULL, &c), E2B_OK);
    e2b_execution *x = NULL;
    assert_int_equal(e2b_code_wait(&x, h), E2B_OK);  /* waiting does not need dispatch */
    assert_string_equal(e2b_execution_text(x), "42");
    e2b_execution_free(x);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.out_lines + s.results + s.ends, 0);  /* callbacks only inside dispatch */
    pthread_mutex_unlock(&s.mu);
    int fd = e2b_client_wake_fd(qc);
    assert_true(fd >= 0);
    struct pollfd pfd = {fd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    int ran = 0;
    for (int i = 0; i < 100 && !s.ends; ++i) {
        ran += e2b_client_dispatch(qc, 0);
        if (!s.ends) usleep(10000);
    }
    assert_true(ran >= 4);
    assert_int_equal(s.out_lines, 2);
    assert_string_equal(s.out, "q1\nq2\n");
    assert_true(pthread_equal(s.cb_thread, pthread_self()));
    assert_int_equal(s.results, 1);
    assert_int_equal(s.ends, 1);
    assert_string_equal(s.end_text, "42");
    e2b_code_free(h);

    /* e2b_code_run in queued mode: callbacks wait for dispatch, even after it returned */
    sink_init(&s);
    s.misuse_rc = 0;
    assert_int_equal(e2b_code_run(&x, qs, "print('later')", NULL, &c), E2B_OK);
    e2b_execution_free(x);
    for (int i = 0; i < 100 && !s.ends; ++i) {
        e2b_client_dispatch(qc, 0);
        if (!s.ends) usleep(10000);
    }
    assert_string_equal(s.out, "later\n");
    assert_int_equal(s.ends, 1);
    e2b_sandbox_free(qs);
    e2b_client_free(qc);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_interp");
    if (begun != 0) return begun > 0 ? 0 : 1;
    g_client = new_client(E2B_DELIVERY_SERVICE_THREAD);
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    so.template_id = "code-interpreter-v1";
    so.flags = E2B_SANDBOX_F_NO_INTERNET;
    if (e2b_sandbox_create(&g_sb, g_client, &so) != E2B_OK) {
        fprintf(stderr, "create: %s\n", e2b_error_last()->message);
        harness_server_stop();
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_logs_and_results),
        cmocka_unit_test(test_streaming_before_end),
        cmocka_unit_test(test_python_exception),
        cmocka_unit_test(test_contexts_isolated),
        cmocka_unit_test(test_unknown_context_and_bad_input),
        cmocka_unit_test(test_javascript_and_bash),
        cmocka_unit_test(test_matplotlib_png),
        cmocka_unit_test(test_file_written_by_code),
        cmocka_unit_test(test_timeout_keeps_context),
        cmocka_unit_test(test_cancel_from_thread),
        cmocka_unit_test(test_callback_stop_and_misuse),
        cmocka_unit_test(test_sandbox_killed_mid_cell),
        cmocka_unit_test(test_queued_delivery),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2b_sandbox_kill(g_sb);
    e2b_sandbox_free(g_sb);
    e2b_client_free(g_client);
    harness_server_stop();
    return rc;
}
