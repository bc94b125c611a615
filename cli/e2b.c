/* e2b: a command-line client for E2B and e2b-local, on libe2b's public C ABI only.
 * Configuration comes from the same environment variables as the SDKs (E2B_API_KEY,
 * E2B_API_URL, E2B_SANDBOX_URL, E2B_DOMAIN). Run `e2b --help` for commands and exit codes. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e2b.h"

/* Exit codes (documented in usage()). */
enum {
    EX_OK = 0,
    EX_ERROR = 1,
    EX_USAGE = 2,
    EX_NOTFOUND = 3,
    EX_AUTH = 4,
    EX_TIMEOUT = 5,
    EX_NETWORK = 6,
    EX_EXEC_FAILED = 125,
    EX_INTERRUPTED = 130 /* 128 + SIGINT, as shells report it */
};

static int g_json;     /* --json: one JSON document on stdout */
static int g_progress; /* progress bars on stderr (a terminal, not --json) */

static const char USAGE[] =
    "usage: e2b [--json] <command> ...\n"
    "\n"
    "Sandboxes and sessions:\n"
    "  sandbox create [--template T] [--profile P] [--timeout S] [--idle S] [--auto-pause]\n"
    "                 [--meta K=V]...\n"
    "                 --idle S: a session that pauses itself after S seconds without activity\n"
    "                 --profile: light | medium | heavy | ml (vCPUs and memory; e2b-local applies them)\n"
    "  sandbox list [--state running|paused] [--page-size N]   (N per API request, 1..100)\n"
    "  sandbox info ID           sandbox state: active | paused (not found: killed, expired or unknown)\n"
    "  sandbox kill ID           a paused sandbox is killed as it is, without resuming it\n"
    "  sandbox pause ID          keeps files and memory\n"
    "  sandbox timeout ID SECONDS   the sandbox ends SECONDS from now (running sandboxes only)\n"
    "  sandbox connect ID [--timeout S]   resumes a paused sandbox (error if it has ended)\n"
    "Work:\n"
    "  exec ID [--stdin] [--cwd D] [--user U] [--timeout S] [--] CMD...\n"
    "                 streams stdout/stderr; exits with the command's exit code\n"
    "  files ls ID PATH [--depth N]\n"
    "  files get ID REMOTE [LOCAL|-]\n"
    "  files put ID LOCAL REMOTE\n"
    "  files rm ID PATH\n"
    "  artifacts pull ID REMOTE_DIR LOCAL_DIR PATTERN... [--delete] [--allow-empty]\n"
    "                 e.g. '**/*.png' '**/*.{md,json}' (quote them from the shell)\n"
    "  workspace push ID LOCAL_DIR REMOTE_DIR [--tar]   (--tar: LOCAL is a tar file)\n"
    "  workspace pull ID REMOTE_DIR LOCAL_DIR [--replace] [--tar]\n"
    "  logs ID [--level L] [--limit N]    the platform's log lines about a sandbox\n"
    "Operations:\n"
    "  pool stats [--min N] [--max N] [--acquire N] [--template T] [--profile P] [--warm-timeout S]\n"
    "                 a warm pool lives in one process, so this runs one: times one cold create,\n"
    "                 warms the pool to --min idle (default 2, --max 4), does --acquire N (10)\n"
    "                 acquire / run `true` / release cycles, prints the pool's stats (created,\n"
    "                 reused, idle, active, acquire wait p50/p95), then kills the pool's sandboxes\n"
    "  cost report [--prices '{\"vcpu_second\":0.000014,\"gib_second\":0.0000045}'] [--page-size N]\n"
    "                 estimated cost of the sandboxes the API lists now (E2B's list prices by\n"
    "                 default): vCPUs, memory, start, running time, vCPU-s, GiB-s, USD, totals.\n"
    "                 What it cannot know: the API reports neither when a paused sandbox paused\n"
    "                 (its cost is shown unknown, with an upper bound as if it ran until now) nor\n"
    "                 time spent paused before a resume (counted as running: now - startedAt);\n"
    "                 killed and expired sandboxes are not listed, so not counted\n"
    "\n"
    "Options: --json prints one JSON document on stdout (errors too: {\"error\":{...}}).\n"
    "Progress bars are drawn on stderr when it is a terminal (not with --json).\n"
    "Environment: E2B_API_KEY, E2B_API_URL, E2B_SANDBOX_URL, E2B_DOMAIN (as the E2B SDKs).\n"
    "\n"
    "Exit codes: 0 success; 1 error (pool stats: also when `true` failed in a pooled sandbox;\n"
    "sandbox timeout: the sandbox is paused; a template that does not exist); 2 usage or invalid\n"
    "argument (a bad --profile or --prices too); 3 sandbox, session or file not found (or a\n"
    "pattern that matched nothing); 4 authentication; 5 timeout (pool stats: not warm within\n"
    "--warm-timeout, default 60 s); 6 network; 130 interrupted (Ctrl-C in pool stats, after its\n"
    "sandboxes were killed); exec: the command's own exit code (137 when killed by a signal), 125\n"
    "when it could not be run.\n";

/* ---- output helpers ---------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; ++p) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static int exit_for(int code) {
    switch (code) {
        case E2B_ENOTFOUND:
        case E2B_ESANDBOX_NOT_FOUND:
        case E2B_EFILE_NOT_FOUND: return EX_NOTFOUND;
        case E2B_EAUTH: return EX_AUTH;
        case E2B_ETIMEOUT: return EX_TIMEOUT;
        case E2B_ENETWORK: return EX_NETWORK;
        case E2B_EINVAL: return EX_USAGE;
        case E2B_ECANCELED: return EX_INTERRUPTED;
        default: return EX_ERROR;
    }
}

/* Reports an error (JSON on stdout with --json, else a line on stderr); returns its exit code. */
static int fail_msg(int code, const char *what, const char *message) {
    if (g_json) {
        printf("{\"error\":{\"code\":%d,\"name\":", code);
        json_str(stdout, e2b_status_str(code));
        printf(",\"message\":");
        json_str(stdout, message);
        printf(",\"context\":");
        json_str(stdout, what);
        printf("}}\n");
    } else {
        fprintf(stderr, "e2b: %s: %s (%s)\n", what, message, e2b_status_str(code));
    }
    return exit_for(code);
}

/* Reports the last libe2b error. */
static int fail(const char *what) {
    const e2b_error *e = e2b_error_last();
    return fail_msg(e->code, what, e->message);
}

static const char NO_SUCH_SANDBOX[] = "no such sandbox (killed, expired or never existed)";
/* Reports the last libe2b error, saying what "not found" means for a sandbox id (the API keeps
 * no trace of killed or expired sandboxes, so they cannot be told from unknown ids). */
static int fail_not_found(const char *id) {
    if (e2b_error_last()->code == E2B_ESANDBOX_NOT_FOUND)
        return fail_msg(E2B_ESANDBOX_NOT_FOUND, id, NO_SUCH_SANDBOX);
    return fail(id);
}

static int usage_error(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_json) {
        printf("{\"error\":{\"code\":%d,\"name\":\"usage\",\"message\":", E2B_EINVAL);
        json_str(stdout, msg);
        printf("}}\n");
    } else {
        fprintf(stderr, "e2b: %s\n(e2b --help for usage)\n", msg);
    }
    return EX_USAGE;
}

static void human_size(char *out, size_t n, double b) {
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) b /= 1024, ++i;
    snprintf(out, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* Milliseconds on the monotonic clock, for durations. */
static double mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Unix ms as RFC 3339 UTC with milliseconds. */
static void fmt_time(char *out, size_t n, int64_t ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char ts[24];
    if (!strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm))) ts[0] = 0;
    snprintf(out, n, "%.19s.%03dZ", ts, (int)(ms % 1000));
}

/* A progress bar on stderr, redrawn at most every 100 ms. */
static int draw_progress(const e2b_transfer_progress *p, void *payload) {
    static double last;
    double now = mono_ms();
    int final = payload != NULL;
    if (!final && now - last < 100) return 0;
    last = now;
    char done[32], total[32];
    human_size(done, sizeof done, (double)p->bytes_done);
    double frac = p->bytes_total > 0 ? (double)p->bytes_done / (double)p->bytes_total : 0;
    if (frac > 1) frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    if (p->bytes_total > 0) {
        human_size(total, sizeof total, (double)p->bytes_total);
        fprintf(stderr, "\r[%s] %3d%% %s / %s", bar, (int)(frac * 100), done, total);
    } else {
        fprintf(stderr, "\r%s", done);
    }
    if (p->files_total) fprintf(stderr, "  %u/%u files", p->files_done, p->files_total);
    else fprintf(stderr, "  %u entries", p->files_done);
    fputs("\x1b[K", stderr);
    if (final) fputc('\n', stderr);
    return 0;
}

static void progress_done(int64_t bytes, int64_t total, uint32_t files, uint32_t files_total) {
    if (!g_progress) return;
    e2b_transfer_progress p = {1, files, files_total, 0, bytes, total, ""};
    draw_progress(&p, (void *)1);
}

/* ---- argument helpers -------------------------------------------------------------------- */

typedef struct args {
    int argc;
    char **argv;
    int i;
} args;

static const char *next_arg(args *a) { return a->i < a->argc ? a->argv[a->i++] : NULL; }

/* The value of an option at argv[i-1] (e.g. "--timeout 30"). */
static const char *opt_value(args *a, const char *name) {
    const char *v = next_arg(a);
    if (!v) {
        usage_error("%s needs a value", name);
        exit(EX_USAGE);
    }
    return v;
}

static long long opt_int(args *a, const char *name) {
    const char *v = opt_value(a, name);
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 0) {
        usage_error("%s: not a non-negative integer: %s", name, v);
        exit(EX_USAGE);
    }
    return n;
}

static e2b_client *g_client;

static int need_client(void) {
    if (g_client) return 0;
    if (e2b_client_new(&g_client, NULL) != E2B_OK) return fail("client");
    return 0;
}

static e2b_sandbox *connect_or_fail(const char *id, int *rc) {
    e2b_sandbox *s = NULL;
    *rc = need_client();
    if (*rc) return NULL;
    /* connect resumes a paused sandbox and keeps the current lifetime if longer */
    if (e2b_sandbox_connect(&s, g_client, id, 0) != E2B_OK) *rc = fail(id);
    return s;
}

/* ---- sandbox ----------------------------------------------------------------------------- */

/* Every sandbox the API lists, all pages, fetched before anything is printed (so --json prints
 * one document, or one error). The pages are kept: the items borrow from them. */
typedef struct listing {
    e2b_sandbox_list **pages;
    size_t npages;
    const e2b_sandbox_info **items;
    size_t n;
} listing;

static void listing_free(listing *ls) {
    for (size_t p = 0; p < ls->npages; ++p) e2b_sandbox_list_free(ls->pages[p]);
    free(ls->pages);
    free(ls->items);
    memset(ls, 0, sizeof *ls);
}

/* E2B_OK or the libe2b error (e2b_error_last() set; *ls empty). lo->next_token is used. */
static int list_all(listing *ls, e2b_list_opts *lo) {
    memset(ls, 0, sizeof *ls);
    char *token = NULL;
    lo->next_token = NULL;
    for (;;) {
        e2b_sandbox_list *l = NULL;
        int r = e2b_sandbox_list_page(&l, g_client, lo);
        free(token);
        token = NULL;
        if (r != E2B_OK) {
            listing_free(ls);
            return r;
        }
        size_t c = e2b_sandbox_list_count(l);
        e2b_sandbox_list **pages = realloc(ls->pages, (ls->npages + 1) * sizeof *pages);
        const e2b_sandbox_info **items = realloc(ls->items, (ls->n + c + 1) * sizeof *items);
        if (pages) ls->pages = pages;
        if (items) ls->items = items;
        if (!pages || !items) {
            e2b_sandbox_list_free(l);
            listing_free(ls);
            fprintf(stderr, "e2b: out of memory\n");
            exit(EX_ERROR);
        }
        ls->pages[ls->npages++] = l;
        for (size_t i = 0; i < c; ++i) ls->items[ls->n++] = e2b_sandbox_list_at(l, i);
        const char *next = e2b_sandbox_list_next_token(l);
        if (!next || !*next) {
            lo->next_token = NULL;
            return E2B_OK;
        }
        token = strdup(next);
        lo->next_token = token;
    }
}

static void print_info_json(const e2b_sandbox_info *i, const char *state_override) {
    printf("{\"sandbox_id\":");
    json_str(stdout, i->sandbox_id);
    printf(",\"template_id\":");
    json_str(stdout, i->template_id);
    printf(",\"state\":");
    json_str(stdout, state_override ? state_override : (strcmp(i->state, "paused") == 0 ? "paused" : "active"));
    printf(",\"started_at_ms\":%lld,\"end_at_ms\":%lld,\"cpu_count\":%d,\"memory_mb\":%d,\"metadata\":{",
           (long long)i->started_at_ms, (long long)i->end_at_ms, i->cpu_count, i->memory_mb);
    for (size_t k = 0; k < i->metadata_count; ++k) {
        if (k) putchar(',');
        json_str(stdout, i->metadata_keys[k]);
        putchar(':');
        json_str(stdout, i->metadata_values[k]);
    }
    printf("}}");
}

static int cmd_sandbox(args *a) {
    const char *sub = next_arg(a);
    if (!sub) return usage_error("sandbox: missing subcommand");
    int rc = need_client();
    if (rc) return rc;
    if (strcmp(sub, "create") == 0) {
        e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
        e2b_session_opts o = E2B_SESSION_OPTS_INIT;
        const char *meta[65];
        size_t nmeta = 0;
        for (const char *x; (x = next_arg(a));) {
            if (strcmp(x, "--template") == 0) so.template_id = opt_value(a, x);
            else if (strcmp(x, "--profile") == 0) so.profile = opt_value(a, x);
            else if (strcmp(x, "--timeout") == 0) so.timeout_ms = opt_int(a, x) * 1000;
            else if (strcmp(x, "--idle") == 0) o.idle_pause_ms = opt_int(a, x) * 1000;
            else if (strcmp(x, "--auto-pause") == 0) so.flags |= E2B_SANDBOX_F_AUTO_PAUSE;
            else if (strcmp(x, "--meta") == 0 && nmeta < 64) meta[nmeta++] = opt_value(a, x);
            else return usage_error("sandbox create: unknown argument %s", x);
        }
        meta[nmeta] = NULL;
        if (nmeta) so.metadata = meta;
        o.sandbox = &so;
        e2b_session *s = NULL;
        if (e2b_session_start(&s, g_client, &o) != E2B_OK) return fail("create");
        if (g_json) {
            printf("{\"sandbox_id\":");
            json_str(stdout, e2b_session_id(s));
            printf(",\"state\":\"active\",\"idle_pause_ms\":%lld}\n", (long long)o.idle_pause_ms);
        } else {
            printf("%s\n", e2b_session_id(s));
        }
        e2b_session_free(s);
        return EX_OK;
    }
    if (strcmp(sub, "list") == 0) {
        e2b_list_opts lo = E2B_LIST_OPTS_INIT;
        for (const char *x; (x = next_arg(a));) {
            if (strcmp(x, "--state") == 0) {
                const char *v = opt_value(a, x);
                if (strcmp(v, "running") == 0 || strcmp(v, "active") == 0) lo.states = E2B_LIST_RUNNING;
                else if (strcmp(v, "paused") == 0) lo.states = E2B_LIST_PAUSED;
                else return usage_error("--state: running or paused");
            } else if (strcmp(x, "--page-size") == 0) {
                lo.limit = (uint32_t)opt_int(a, x);
            } else {
                return usage_error("sandbox list: unknown argument %s", x);
            }
        }
        listing ls;
        if (list_all(&ls, &lo) != E2B_OK) return fail("list");
        if (g_json) printf("[");
        for (size_t i = 0; i < ls.n; ++i) {
            const e2b_sandbox_info *inf = ls.items[i];
            if (g_json) {
                if (i) putchar(',');
                print_info_json(inf, NULL);
            } else {
                printf("%-28s %-8s %s\n", inf->sandbox_id, strcmp(inf->state, "paused") ? "active" : "paused",
                       inf->template_id);
            }
        }
        if (g_json) printf("]\n");
        listing_free(&ls);
        return EX_OK;
    }
    const char *id = next_arg(a);
    if (!id) return usage_error("sandbox %s: missing sandbox id", sub);
    if (strcmp(sub, "info") == 0) {
        e2b_sandbox_info *inf = NULL;
        if (e2b_sandbox_get_info(&inf, g_client, id) != E2B_OK) return fail_not_found(id);
        if (g_json) {
            print_info_json(inf, NULL);
            putchar('\n');
        } else {
            char started[32], ends[32];
            fmt_time(started, sizeof started, inf->started_at_ms);
            fmt_time(ends, sizeof ends, inf->end_at_ms);
            printf("id        %s\nstate     %s\ntemplate  %s\ncpu       %d\nmemory    %d MiB\nstarted   %s\nends at   %s\n",
                   inf->sandbox_id, strcmp(inf->state, "paused") ? "active" : "paused", inf->template_id,
                   inf->cpu_count, inf->memory_mb, started, ends);
        }
        e2b_sandbox_info_free(inf);
        return EX_OK;
    }
    if (strcmp(sub, "connect") == 0) {
        e2b_session_opts o = E2B_SESSION_OPTS_INIT;
        for (const char *x; (x = next_arg(a));) {
            if (strcmp(x, "--timeout") == 0) o.timeout_ms = opt_int(a, x) * 1000;
            else return usage_error("sandbox connect: unknown argument %s", x);
        }
        e2b_session *s = NULL;
        if (e2b_session_resume(&s, g_client, id, &o) != E2B_OK) return fail(id);
        if (g_json) {
            printf("{\"sandbox_id\":");
            json_str(stdout, id);
            printf(",\"state\":\"active\"}\n");
        } else {
            printf("%s active\n", id);
        }
        e2b_session_free(s);
        return EX_OK;
    }
    /* kill, pause and timeout go by id: no connect, which would resume a paused sandbox. */
    if (strcmp(sub, "kill") == 0 || strcmp(sub, "pause") == 0) {
        if (a->i < a->argc) return usage_error("sandbox %s: unexpected argument %s", sub, a->argv[a->i]);
        int killing = strcmp(sub, "kill") == 0;
        int r = killing ? e2b_sandbox_kill_id(g_client, id) : e2b_sandbox_pause_id(g_client, id);
        if (r < 0) return fail_not_found(id);
        int changed = killing || r == 1; /* pause: 1 paused now, 0 it already was */
        if (g_json) {
            printf("{\"sandbox_id\":");
            json_str(stdout, id);
            printf(",\"state\":\"%s\",\"changed\":%s}\n", killing ? "ended" : "paused", changed ? "true" : "false");
        } else {
            printf("%s %s\n", id, killing ? "killed" : changed ? "paused" : "already paused");
        }
        return EX_OK;
    }
    if (strcmp(sub, "timeout") == 0) {
        const char *v = next_arg(a);
        char *end = NULL;
        long long secs = v ? strtoll(v, &end, 10) : 0;
        if (!v || *end || secs <= 0 || secs > INT64_MAX / 1000)
            return usage_error("sandbox timeout: usage: sandbox timeout ID SECONDS (a positive integer)");
        if (a->i < a->argc) return usage_error("sandbox timeout: unexpected argument %s", a->argv[a->i]);
        if (e2b_sandbox_set_timeout_id(g_client, id, secs * 1000) != E2B_OK) {
            /* The API answers 404 for a paused sandbox too: tell the two apart. */
            if (e2b_error_last()->code != E2B_ESANDBOX_NOT_FOUND) return fail(id);
            if (e2b_session_state(g_client, id) == E2B_SESSION_PAUSED)
                return fail_msg(E2B_ERROR, id, "the sandbox is paused: the API sets no timeout on it "
                                               "(`sandbox connect ID --timeout S` resumes it with that lifetime)");
            return fail_msg(E2B_ESANDBOX_NOT_FOUND, id, NO_SUCH_SANDBOX);
        }
        if (g_json) {
            printf("{\"sandbox_id\":");
            json_str(stdout, id);
            printf(",\"timeout_s\":%lld}\n", secs);
        } else {
            printf("%s ends in %lld s\n", id, secs);
        }
        return EX_OK;
    }
    return usage_error("sandbox: unknown subcommand %s", sub);
}

/* ---- exec -------------------------------------------------------------------------------- */

static int on_out(const char *d, size_t n, void *p) {
    (void)p;
    fwrite(d, 1, n, stdout);
    fflush(stdout);
    return 0;
}
static int on_err(const char *d, size_t n, void *p) {
    (void)p;
    fwrite(d, 1, n, stderr);
    fflush(stderr);
    return 0;
}

static int cmd_exec(args *a) {
    const char *id = next_arg(a);
    if (!id) return usage_error("exec: missing sandbox id");
    e2b_exec_opts o = E2B_EXEC_OPTS_INIT;
    o.timeout_ms = -1; /* the CLI's user decides when to stop (Ctrl-C) unless --timeout */
    int with_stdin = 0;
    while (a->i < a->argc && a->argv[a->i][0] == '-') {
        const char *x = next_arg(a);
        if (strcmp(x, "--") == 0) break;
        if (strcmp(x, "--stdin") == 0) with_stdin = 1;
        else if (strcmp(x, "--cwd") == 0) o.cwd = opt_value(a, x);
        else if (strcmp(x, "--user") == 0) o.user = opt_value(a, x);
        else if (strcmp(x, "--timeout") == 0) o.timeout_ms = opt_int(a, x) * 1000;
        else return usage_error("exec: unknown option %s", x);
    }
    if (a->i >= a->argc) return usage_error("exec: missing command");
    /* The words are joined as the shell command line, as `ssh host cmd...` does. */
    size_t len = 1;
    for (int k = a->i; k < a->argc; ++k) len += strlen(a->argv[k]) + 1;
    char *cmd = calloc(1, len);
    for (int k = a->i; k < a->argc; ++k) {
        if (k > a->i) strcat(cmd, " ");
        strcat(cmd, a->argv[k]);
    }
    int rc;
    e2b_sandbox *s = connect_or_fail(id, &rc);
    if (!s) {
        free(cmd);
        return rc == EX_ERROR ? EX_EXEC_FAILED : rc;
    }
    if (with_stdin) o.flags |= E2B_EXEC_F_STDIN;
    e2b_exec_callbacks cb = E2B_EXEC_CALLBACKS_INIT;
    cb.on_stdout = on_out;
    cb.on_stderr = on_err;
    e2b_exec *e = NULL;
    if (e2b_exec_start(&e, s, cmd, &o, &cb) != E2B_OK) {
        free(cmd);
        rc = fail("exec");
        e2b_sandbox_free(s);
        return rc == EX_ERROR ? EX_EXEC_FAILED : rc;
    }
    free(cmd);
    if (with_stdin) {
        char buf[65536];
        ssize_t n;
        while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
            if (n > 0 && e2b_exec_send_stdin(e, buf, (size_t)n) != E2B_OK) break; /* it exited */
        e2b_exec_close_stdin(e);
    }
    int32_t code = 0;
    int w = e2b_exec_wait(e, &code);
    if (w != E2B_OK && w != E2B_ECOMMAND_EXIT) {
        rc = fail("exec");
        e2b_exec_free(e);
        e2b_sandbox_free(s);
        return rc == EX_ERROR ? EX_EXEC_FAILED : rc;
    }
    e2b_exec_free(e);
    e2b_sandbox_free(s);
    if (code < 0) code = 128 + 9; /* killed by a signal (envd reports -1): as a shell shows SIGKILL */
    if (g_json) printf("{\"exit_code\":%d}\n", code);
    return code > 255 ? 255 : code;
}

/* ---- files ------------------------------------------------------------------------------- */

struct get_state {
    FILE *f;
    int64_t done, total;
};
static int on_get(const void *d, size_t n, void *p) {
    struct get_state *g = p;
    if (fwrite(d, 1, n, g->f) != n) return 1;
    g->done += (int64_t)n;
    if (g_progress) {
        e2b_transfer_progress pr = {1, 0, 1, 0, g->done, g->total, ""};
        draw_progress(&pr, NULL);
    }
    return 0;
}
struct put_state {
    FILE *f;
    int64_t done, total;
};
static int64_t on_put(void *buf, size_t cap, void *p) {
    struct put_state *g = p;
    size_t n = fread(buf, 1, cap, g->f);
    if (n == 0 && ferror(g->f)) return -1;
    g->done += (int64_t)n;
    if (g_progress) {
        e2b_transfer_progress pr = {1, 0, 1, 0, g->done, g->total, ""};
        draw_progress(&pr, NULL);
    }
    return (int64_t)n;
}

static const char *type_name(uint32_t t) {
    return t == E2B_FILE_TYPE_DIR ? "dir" : t == E2B_FILE_TYPE_SYMLINK ? "symlink" : "file";
}

static int cmd_files(args *a) {
    const char *sub = next_arg(a), *id = next_arg(a);
    if (!sub || !id) return usage_error("files: usage: files ls|get|put|rm ID ...");
    const char *p1 = next_arg(a), *p2 = next_arg(a);
    uint32_t depth = 1;
    if (strcmp(sub, "ls") == 0 && p2) {
        if (strcmp(p2, "--depth") != 0) return usage_error("files ls: unknown argument %s", p2);
        depth = (uint32_t)opt_int(a, "--depth");
        p2 = NULL;
    }
    if (!p1) return usage_error("files %s: missing path", sub);
    int rc;
    e2b_sandbox *s = connect_or_fail(id, &rc);
    if (!s) return rc;
    rc = EX_OK;
    if (strcmp(sub, "ls") == 0) {
        e2b_entry_list *l = NULL;
        if (e2b_files_list(&l, s, p1, depth ? depth : 1, NULL) != E2B_OK) {
            rc = fail(p1);
        } else {
            if (g_json) printf("[");
            for (size_t i = 0; i < e2b_entry_list_count(l); ++i) {
                const e2b_entry_info *e = e2b_entry_list_at(l, i);
                if (g_json) {
                    printf("%s{\"path\":", i ? "," : "");
                    json_str(stdout, e->path);
                    printf(",\"type\":\"%s\",\"size\":%lld,\"mode\":\"%o\"}", type_name(e->type), (long long)e->size,
                           e->mode);
                } else {
                    printf("%s %10lld  %s%s\n", e->permissions, (long long)e->size, e->path,
                           e->type == E2B_FILE_TYPE_DIR ? "/" : "");
                }
            }
            if (g_json) printf("]\n");
            e2b_entry_list_free(l);
        }
    } else if (strcmp(sub, "get") == 0) {
        const char *local = p2 ? p2 : "-";
        struct get_state g = {NULL, 0, -1};
        e2b_entry_info *st = NULL;
        if (e2b_files_stat(&st, s, p1, NULL) == E2B_OK) {
            g.total = st->size;
            e2b_entry_info_free(st);
        }
        int to_stdout = strcmp(local, "-") == 0;
        char part[4096];
        snprintf(part, sizeof part, "%s.e2b-part", local);
        g.f = to_stdout ? stdout : fopen(part, "wb");
        if (!g.f) {
            fprintf(stderr, "e2b: cannot write %s: %s\n", part, strerror(errno));
            rc = EX_ERROR;
        } else if (e2b_files_read_stream(s, p1, on_get, &g, NULL) != E2B_OK) {
            if (!to_stdout) {
                fclose(g.f);
                unlink(part);
            }
            rc = fail(p1);
        } else {
            if (!to_stdout && (fclose(g.f) != 0 || rename(part, local) != 0)) {
                fprintf(stderr, "e2b: cannot write %s: %s\n", local, strerror(errno));
                unlink(part);
                rc = EX_ERROR;
            }
            if (g_progress && !to_stdout) progress_done(g.done, g.total, 1, 1);
            if (g_json && !to_stdout && rc == EX_OK) {
                printf("{\"path\":");
                json_str(stdout, local);
                printf(",\"size\":%lld}\n", (long long)g.done);
            }
        }
    } else if (strcmp(sub, "put") == 0) {
        if (!p2) {
            rc = usage_error("files put: usage: files put ID LOCAL REMOTE");
        } else {
            struct put_state g = {fopen(p1, "rb"), 0, -1};
            struct stat st;
            if (!g.f || fstat(fileno(g.f), &st) != 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, "e2b: cannot read %s: %s\n", p1, g.f ? "not a regular file" : strerror(errno));
                rc = EX_USAGE;
            } else {
                g.total = st.st_size;
                if (e2b_files_write_stream(s, p2, on_put, &g, st.st_size, NULL) != E2B_OK) rc = fail(p2);
                else {
                    progress_done(g.done, g.total, 1, 1);
                    if (g_json) {
                        printf("{\"path\":");
                        json_str(stdout, p2);
                        printf(",\"size\":%lld}\n", (long long)g.done);
                    }
                }
            }
            if (g.f) fclose(g.f);
        }
    } else if (strcmp(sub, "rm") == 0) {
        if (e2b_files_remove(s, p1, NULL) != E2B_OK) rc = fail(p1);
        else if (g_json) printf("{\"removed\":true}\n");
    } else {
        rc = usage_error("files: unknown subcommand %s", sub);
    }
    e2b_sandbox_free(s);
    return rc;
}

/* ---- artifacts, workspace ---------------------------------------------------------------- */

static int cmd_artifacts(args *a) {
    const char *sub = next_arg(a);
    if (!sub || strcmp(sub, "pull") != 0) return usage_error("artifacts: usage: artifacts pull ...");
    const char *id = next_arg(a), *remote = next_arg(a), *local = next_arg(a);
    if (!id || !remote || !local) return usage_error("artifacts pull: ID REMOTE_DIR LOCAL_DIR PATTERN...");
    e2b_artifacts_opts o = E2B_ARTIFACTS_OPTS_INIT;
    const char **pats = calloc((size_t)a->argc + 1, sizeof *pats);
    size_t n = 0;
    for (const char *x; (x = next_arg(a));) {
        if (strcmp(x, "--delete") == 0) o.flags |= E2B_ARTIFACTS_F_DELETE;
        else if (strcmp(x, "--allow-empty") == 0) o.flags |= E2B_ARTIFACTS_F_ALLOW_EMPTY;
        else pats[n++] = x;
    }
    if (!n) {
        free(pats);
        return usage_error("artifacts pull: at least one pattern");
    }
    if (g_progress) o.on_progress = draw_progress;
    int rc;
    e2b_sandbox *s = connect_or_fail(id, &rc);
    if (!s) {
        free(pats);
        return rc;
    }
    e2b_artifact_list *l = NULL;
    if (e2b_artifacts_download(&l, s, remote, pats, local, &o) != E2B_OK) {
        if (g_progress) fputc('\n', stderr);
        rc = fail("artifacts pull");
    } else {
        int64_t total = 0;
        for (size_t i = 0; i < e2b_artifact_list_count(l); ++i) total += e2b_artifact_list_at(l, i)->size;
        progress_done(total, total, (uint32_t)e2b_artifact_list_count(l), (uint32_t)e2b_artifact_list_count(l));
        if (g_json) printf("{\"files\":[");
        for (size_t i = 0; i < e2b_artifact_list_count(l); ++i) {
            const e2b_artifact *x = e2b_artifact_list_at(l, i);
            if (g_json) {
                printf("%s{\"path\":", i ? "," : "");
                json_str(stdout, x->rel_path);
                printf(",\"local_path\":");
                json_str(stdout, x->local_path);
                printf(",\"size\":%lld,\"mime_type\":", (long long)x->size);
                json_str(stdout, x->mime_type);
                printf("}");
            } else {
                char sz[32];
                human_size(sz, sizeof sz, (double)x->size);
                printf("%10s  %-24s %s\n", sz, x->mime_type, x->local_path);
            }
        }
        if (g_json) printf("],\"bytes\":%lld}\n", (long long)total);
        e2b_artifact_list_free(l);
    }
    free(pats);
    e2b_sandbox_free(s);
    return rc;
}

static int cmd_workspace(args *a) {
    const char *sub = next_arg(a), *id = next_arg(a), *from = next_arg(a), *to = next_arg(a);
    if (!sub || !id || !from || !to) return usage_error("workspace: usage: workspace push|pull ID FROM TO");
    int push = strcmp(sub, "push") == 0;
    if (!push && strcmp(sub, "pull") != 0) return usage_error("workspace: unknown subcommand %s", sub);
    e2b_workspace_opts o = E2B_WORKSPACE_OPTS_INIT;
    for (const char *x; (x = next_arg(a));) {
        if (strcmp(x, "--tar") == 0) o.flags |= E2B_WORKSPACE_F_TAR;
        else if (!push && strcmp(x, "--replace") == 0) o.flags |= E2B_WORKSPACE_F_REPLACE;
        else return usage_error("workspace %s: unknown argument %s", sub, x);
    }
    if (g_progress) o.on_progress = draw_progress;
    int rc;
    e2b_sandbox *s = connect_or_fail(id, &rc);
    if (!s) return rc;
    uint32_t entries = 0;
    double t0 = mono_ms();
    int r = push ? e2b_workspace_push(s, from, to, &o, &entries) : e2b_workspace_pull(s, from, to, &o, &entries);
    double ms = mono_ms() - t0;
    if (g_progress) fputc('\n', stderr);
    if (r != E2B_OK) {
        rc = fail(push ? "workspace push" : "workspace pull");
    } else if (g_json) {
        printf("{\"direction\":\"%s\",\"entries\":%u,\"ms\":%.1f}\n", sub, entries, ms);
    } else {
        printf("%s: %u entries in %.0f ms\n", sub, entries, ms);
    }
    e2b_sandbox_free(s);
    return rc;
}

/* ---- pool -------------------------------------------------------------------------------- */

static volatile sig_atomic_t g_interrupted; /* Ctrl-C: stop the cycles, then free the pool */
static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

/* `pool stats`: a pool lives in one process, so this command runs one from start to end: one cold
 * create for comparison, warm-up to --min, N acquire / `true` / release cycles, the pool's stats,
 * then e2b_pool_free (which kills every sandbox the pool created). */
static int cmd_pool(args *a) {
    const char *sub = next_arg(a);
    if (!sub || strcmp(sub, "stats") != 0) return usage_error("pool: usage: pool stats [options]");
    e2b_sandbox_opts so = E2B_SANDBOX_OPTS_INIT;
    e2b_pool_opts po = E2B_POOL_OPTS_INIT;
    po.name = "cli";
    po.min_idle = 2;
    po.max_size = 4;
    po.acquire_timeout_ms = 60000;
    long long cycles = 10, warm_timeout_s = 60;
    for (const char *x; (x = next_arg(a));) {
        if (strcmp(x, "--min") == 0) po.min_idle = (uint32_t)opt_int(a, x);
        else if (strcmp(x, "--max") == 0) po.max_size = (uint32_t)opt_int(a, x);
        else if (strcmp(x, "--acquire") == 0) cycles = opt_int(a, x);
        else if (strcmp(x, "--template") == 0) so.template_id = opt_value(a, x);
        else if (strcmp(x, "--profile") == 0) so.profile = opt_value(a, x);
        else if (strcmp(x, "--warm-timeout") == 0) warm_timeout_s = opt_int(a, x);
        else return usage_error("pool stats: unknown argument %s", x);
    }
    if (po.max_size == 0) return usage_error("pool stats: --max must be at least 1");
    po.sandbox = &so;
    int rc = need_client();
    if (rc) return rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);

    /* The cold create first, alone (not racing the pool's warm-up on a small machine); it also
     * checks the template and profile before any pool exists. */
    e2b_sandbox *cold = NULL;
    double t0 = mono_ms();
    if (e2b_sandbox_create(&cold, g_client, &so) != E2B_OK) return fail("create");
    double cold_ms = mono_ms() - t0;
    if (e2b_sandbox_kill(cold) != E2B_OK) {
        rc = fail("kill");
        e2b_sandbox_free(cold);
        return rc;
    }
    e2b_sandbox_free(cold);

    e2b_pool *pool = NULL;
    if (e2b_pool_new(&pool, g_client, &po) != E2B_OK) return fail("pool");
    e2b_pool_stats st;
    memset(&st, 0, sizeof st);
    st.version = 1;
    t0 = mono_ms();
    for (;;) {
        if (e2b_pool_get_stats(pool, &st) != E2B_OK) break;
        if (st.idle >= po.min_idle || g_interrupted || mono_ms() - t0 > (double)warm_timeout_s * 1e3) break;
        e2b_pool_maintain(pool); /* retries failed background creates (with back-off) */
        usleep(20000);
    }
    double warm_ms = mono_ms() - t0;
    if (st.idle < po.min_idle && !g_interrupted) {
        char msg[160];
        snprintf(msg, sizeof msg, "%u of %u sandboxes warm after %lld s (%llu create errors)", st.idle, po.min_idle,
                 warm_timeout_s, (unsigned long long)st.create_errors);
        e2b_pool_free(pool);
        return fail_msg(E2B_ETIMEOUT, "pool warm-up", msg);
    }

    long long ok = 0, failed = 0;
    for (long long c = 0; c < cycles && !g_interrupted; ++c) {
        e2b_sandbox *s = NULL;
        if (e2b_pool_acquire(&s, pool, -1) != E2B_OK) {
            rc = fail("acquire");
            e2b_pool_free(pool);
            return rc;
        }
        e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
        int r = e2b_exec_run(&out, s, "true", NULL);
        e2b_exec_output_dispose(&out);
        if (r == E2B_OK) {
            ++ok;
        } else {
            ++failed;
            if (!g_json) fprintf(stderr, "e2b: `true` failed in %s: %s\n", e2b_sandbox_id(s), e2b_error_last()->message);
        }
        e2b_pool_release(pool, s, r == E2B_OK ? 0 : E2B_POOL_RELEASE_F_DISCARD);
    }
    e2b_pool_get_stats(pool, &st);
    int freed = e2b_pool_free(pool); /* kills everything the pool created */
    if (g_interrupted) return fail_msg(E2B_ECANCELED, "pool stats", "interrupted; the pool's sandboxes were killed");
    if (freed != E2B_OK) return fail("pool free");
    if (g_json) {
        printf("{\"template\":");
        json_str(stdout, so.template_id ? so.template_id : "base");
        printf(",\"profile\":");
        if (so.profile) json_str(stdout, so.profile);
        else printf("null");
        printf(",\"min_idle\":%u,\"max_size\":%u,\"cycles\":%lld,\"cold_create_ms\":%.1f,\"warm_ms\":%.1f,"
               "\"created\":%llu,\"reused\":%llu,\"idle\":%u,\"active\":%u,\"creating\":%u,\"replaced\":%llu,"
               "\"evicted\":%llu,\"exhausted\":%llu,\"create_errors\":%llu,\"acquisitions\":%llu,"
               "\"wait_p50_ms\":%.2f,\"wait_p95_ms\":%.2f,\"exec_ok\":%lld,\"exec_failed\":%lld}\n",
               po.min_idle, po.max_size, cycles, cold_ms, warm_ms, (unsigned long long)st.created,
               (unsigned long long)st.reused, st.idle, st.active, st.creating, (unsigned long long)st.replaced,
               (unsigned long long)st.evicted, (unsigned long long)st.exhausted,
               (unsigned long long)st.create_errors, (unsigned long long)st.acquisitions, st.wait_p50_ms,
               st.wait_p95_ms, ok, failed);
    } else {
        printf("pool of template %s%s%s: min %u idle, max %u, %lld acquire/release cycles\n",
               so.template_id ? so.template_id : "base", so.profile ? ", profile " : "", so.profile ? so.profile : "",
               po.min_idle, po.max_size, cycles);
        printf("  cold create     %8.1f ms   (one sandbox created without the pool, for comparison)\n", cold_ms);
        printf("  acquire wait    %8.2f ms p50, %.2f ms p95\n", st.wait_p50_ms, st.wait_p95_ms);
        printf("  warm-up         %8.1f ms   (to %u idle)\n", warm_ms, po.min_idle);
        printf("  created %llu, reused %llu, idle %u, active %u, creating %u\n", (unsigned long long)st.created,
               (unsigned long long)st.reused, st.idle, st.active, st.creating);
        printf("  replaced %llu, evicted %llu, exhausted %llu, create errors %llu\n", (unsigned long long)st.replaced,
               (unsigned long long)st.evicted, (unsigned long long)st.exhausted,
               (unsigned long long)st.create_errors);
        printf("  `true` ran %lld times, %lld failed; the pool's sandboxes are killed\n", ok + failed, failed);
    }
    return failed ? EX_ERROR : EX_OK;
}

/* ---- cost -------------------------------------------------------------------------------- */

static const char COST_NOTES[] =
    "running time is now - startedAt as the API reports it; the API does not report time a sandbox "
    "spent paused before a resume, so that time counts as running|the API does not report when a "
    "paused sandbox paused: its cost is unknown (null); upper_bound_usd charges it as running from "
    "startedAt to now|only sandboxes the API lists now (running and paused): killed or expired ones "
    "are not included|prices are list prices; free tiers, credits and plan fees are not applied";

/* The price table, read back from libe2b (the default, or what e2b_cost_set_prices parsed):
 * e2b_cost_export_json's "prices" object. */
static int read_prices(double *vcpu_second, double *gib_second) {
    e2b_buf b = E2B_BUF_INIT;
    if (e2b_cost_export_json(&b, g_client) != E2B_OK) return -1;
    const char *pr = strstr(b.ptr, "\"prices\"");
    const char *v = pr ? strstr(pr, "\"vcpu_second\":") : NULL;
    const char *g = pr ? strstr(pr, "\"gib_second\":") : NULL;
    int ok = v && g;
    if (ok) {
        *vcpu_second = strtod(v + strlen("\"vcpu_second\":"), NULL);
        *gib_second = strtod(g + strlen("\"gib_second\":"), NULL);
    }
    e2b_buf_dispose(&b);
    return ok ? 0 : -1;
}

/* A price in plain decimals, without trailing zeros (0.000014, not 1.4e-05). */
static void fmt_decimal(char *out, size_t n, double v) {
    snprintf(out, n, "%.10f", v);
    char *e = out + strlen(out);
    while (e > out && e[-1] == '0') *--e = 0;
    if (e > out && e[-1] == '.') e[-1] = 0;
}

static void json_num_or_null(const char *key, double v, int known) {
    printf(",\"%s\":", key);
    if (known) printf("%.10g", v);
    else printf("null");
}

static int cmd_cost(args *a) {
    const char *sub = next_arg(a);
    if (!sub || strcmp(sub, "report") != 0) return usage_error("cost: usage: cost report [--prices JSON]");
    const char *prices = NULL;
    e2b_list_opts lo = E2B_LIST_OPTS_INIT; /* running and paused */
    for (const char *x; (x = next_arg(a));) {
        if (strcmp(x, "--prices") == 0) prices = opt_value(a, x);
        else if (strcmp(x, "--page-size") == 0) lo.limit = (uint32_t)opt_int(a, x);
        else return usage_error("cost report: unknown argument %s", x);
    }
    int rc = need_client();
    if (rc) return rc;
    if (prices && e2b_cost_set_prices(g_client, prices) != E2B_OK) return fail("--prices");
    double pv = 0, pg = 0;
    if (read_prices(&pv, &pg) != 0) return fail_msg(E2B_EPROTOCOL, "prices", "cannot read libe2b's price table");
    listing ls;
    if (list_all(&ls, &lo) != E2B_OK) return fail("list");
    struct timespec now_ts;
    clock_gettime(CLOCK_REALTIME, &now_ts);
    int64_t now = (int64_t)now_ts.tv_sec * 1000 + now_ts.tv_nsec / 1000000;

    double t_run = 0, t_vs = 0, t_gs = 0, t_usd = 0, t_bound = 0;
    int n_run = 0, n_paused = 0;
    if (g_json) {
        printf("{\"prices\":{\"vcpu_second\":%.10g,\"gib_second\":%.10g},\"now_ms\":%lld,\"sandboxes\":[", pv, pg,
               (long long)now);
    } else {
        printf("%-24s %-7s %4s %7s  %-24s %10s %10s %10s %12s\n", "SANDBOX", "STATE", "VCPU", "MEM MiB",
               "STARTED (UTC)", "RUNNING s", "VCPU-s", "GiB-s", "USD");
    }
    for (size_t i = 0; i < ls.n; ++i) {
        const e2b_sandbox_info *s = ls.items[i];
        int paused = strcmp(s->state, "paused") == 0;
        double secs = now > s->started_at_ms ? (double)(now - s->started_at_ms) / 1e3 : 0;
        double vs = secs * s->cpu_count, gs = secs * s->memory_mb / 1024.0;
        double usd = vs * pv + gs * pg;
        char started[32];
        fmt_time(started, sizeof started, s->started_at_ms);
        if (paused) {
            ++n_paused;
            t_bound += usd;
        } else {
            ++n_run;
            t_run += secs, t_vs += vs, t_gs += gs, t_usd += usd;
        }
        if (g_json) {
            printf("%s{\"sandbox_id\":", i ? "," : "");
            json_str(stdout, s->sandbox_id);
            printf(",\"template_id\":");
            json_str(stdout, s->template_id);
            printf(",\"state\":\"%s\",\"vcpu\":%d,\"memory_mb\":%d,\"started_at\":\"%s\",\"started_at_ms\":%lld",
                   paused ? "paused" : "running", s->cpu_count, s->memory_mb, started, (long long)s->started_at_ms);
            json_num_or_null("running_seconds", secs, !paused);
            json_num_or_null("vcpu_seconds", vs, !paused);
            json_num_or_null("gib_seconds", gs, !paused);
            json_num_or_null("cost_usd", usd, !paused);
            printf(",\"upper_bound_usd\":%.10g}", usd);
        } else if (paused) {
            printf("%-24s %-7s %4d %7d  %-24s %10s %10s %10s %12s  (at most %.6f)\n", s->sandbox_id, "paused",
                   s->cpu_count, s->memory_mb, started, "?", "?", "?", "?", usd);
        } else {
            printf("%-24s %-7s %4d %7d  %-24s %10.0f %10.0f %10.1f %12.6f\n", s->sandbox_id, "running", s->cpu_count,
                   s->memory_mb, started, secs, vs, gs, usd);
        }
    }
    if (g_json) {
        printf("],\"totals\":{\"sandboxes\":%zu,\"running\":%d,\"paused\":%d,\"running_seconds\":%.10g,"
               "\"vcpu_seconds\":%.10g,\"gib_seconds\":%.10g,\"cost_usd\":%.10g,\"paused_upper_bound_usd\":%.10g},"
               "\"notes\":[",
               ls.n, n_run, n_paused, t_run, t_vs, t_gs, t_usd, t_bound);
        /* COST_NOTES holds the notes separated by '|' */
        const char *p = COST_NOTES;
        for (int k = 0; *p; ++k) {
            size_t len = strcspn(p, "|");
            char note[512];
            snprintf(note, sizeof note, "%.*s", (int)len, p);
            if (k) putchar(',');
            json_str(stdout, note);
            p += len + (p[len] == '|');
        }
        printf("]}\n");
    } else {
        printf("%-24s %-7s %4s %7s  %-24s %10.0f %10.0f %10.1f %12.6f\n", "TOTAL running", "", "", "", "", t_run, t_vs,
               t_gs, t_usd);
        printf("%d running, %d paused (estimate unknown, at most $%.6f)\n", n_run, n_paused, t_bound);
        char v[32], g[32];
        fmt_decimal(v, sizeof v, pv);
        fmt_decimal(g, sizeof g, pg);
        printf("prices: $%s per vCPU-second, $%s per GiB-second\n", v, g);
        printf("notes:\n");
        for (const char *p = COST_NOTES; *p;) {
            size_t len = strcspn(p, "|");
            printf("  - %.*s\n", (int)len, p);
            p += len + (p[len] == '|');
        }
    }
    listing_free(&ls);
    return EX_OK;
}

/* ---- logs -------------------------------------------------------------------------------- */

static int cmd_logs(args *a) {
    const char *id = next_arg(a);
    if (!id) return usage_error("logs: missing sandbox id");
    e2b_logs_opts o = E2B_LOGS_OPTS_INIT;
    for (const char *x; (x = next_arg(a));) {
        if (strcmp(x, "--level") == 0) o.min_level = opt_value(a, x);
        else if (strcmp(x, "--limit") == 0) o.limit = (uint32_t)opt_int(a, x);
        else return usage_error("logs: unknown argument %s", x);
    }
    int rc = need_client();
    if (rc) return rc;
    e2b_sandbox_log_list *l = NULL;
    if (e2b_sandbox_get_logs(&l, g_client, id, &o) != E2B_OK) return fail(id);
    if (g_json) printf("[");
    for (size_t i = 0; i < e2b_sandbox_log_list_count(l); ++i) {
        const e2b_sandbox_log_entry *e = e2b_sandbox_log_list_at(l, i);
        if (g_json) {
            printf("%s{\"timestamp_ms\":%lld,\"level\":", i ? "," : "", (long long)e->timestamp_ms);
            json_str(stdout, e->level);
            printf(",\"message\":");
            json_str(stdout, e->message);
            printf("}");
        } else {
            char ts[32];
            fmt_time(ts, sizeof ts, e->timestamp_ms);
            printf("%s %-5s %s\n", ts, e->level, e->message);
        }
    }
    if (g_json) printf("]\n");
    e2b_sandbox_log_list_free(l);
    return EX_OK;
}

int main(int argc, char **argv) {
    args a = {argc, argv, 1};
    while (a.i < argc && argv[a.i][0] == '-') {
        const char *x = argv[a.i++];
        if (strcmp(x, "--json") == 0) g_json = 1;
        else if (strcmp(x, "--help") == 0 || strcmp(x, "-h") == 0) {
            fputs(USAGE, stdout);
            return EX_OK;
        } else if (strcmp(x, "--version") == 0) {
            printf("e2b (libe2b %s)\n", e2b_version());
            return EX_OK;
        } else {
            return usage_error("unknown option %s", x);
        }
    }
    g_progress = !g_json && isatty(STDERR_FILENO);
    const char *cmd = next_arg(&a);
    if (!cmd) {
        fputs(USAGE, stderr);
        return EX_USAGE;
    }
    /* Options may also follow the command (e.g. `e2b sandbox list --json`). */
    for (int k = a.i; k < argc; ++k)
        if (strcmp(argv[k], "--json") == 0 && (strcmp(cmd, "exec") != 0)) {
            g_json = 1;
            g_progress = 0;
            memmove(&argv[k], &argv[k + 1], (size_t)(argc - k - 1) * sizeof *argv);
            a.argc = --argc;
            --k;
        }
    int rc;
    if (strcmp(cmd, "sandbox") == 0) rc = cmd_sandbox(&a);
    else if (strcmp(cmd, "exec") == 0) rc = cmd_exec(&a);
    else if (strcmp(cmd, "files") == 0) rc = cmd_files(&a);
    else if (strcmp(cmd, "artifacts") == 0) rc = cmd_artifacts(&a);
    else if (strcmp(cmd, "workspace") == 0) rc = cmd_workspace(&a);
    else if (strcmp(cmd, "logs") == 0) rc = cmd_logs(&a);
    else if (strcmp(cmd, "pool") == 0) rc = cmd_pool(&a);
    else if (strcmp(cmd, "cost") == 0) rc = cmd_cost(&a);
    else if (strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        rc = EX_OK;
    } else {
        rc = usage_error("unknown command %s", cmd);
    }
    fflush(stdout);
    e2b_client_free(g_client);
    return rc;
}
