/*
 * libe2b — the E2B sandbox client behind a stable C ABI.
 *
 * This header is the manual. It grows with the library: only what is implemented and tested is
 * declared here. Conventions (see docs in the repository and ../shared/docs/style.md):
 *   - names are e2b_<module>_<verb>; functions return int: 0 (E2B_OK) or a negative E2B_E* code;
 *   - the codes below are ABI: values never change, new codes are appended;
 *   - every code maps one to one onto an error class of the official SDKs (noted per code).
 */
#ifndef E2B_H
#define E2B_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define E2B_VERSION_MAJOR 0
#define E2B_VERSION_MINOR 1
#define E2B_VERSION_PATCH 0

/* ---- Error codes (since 0.1) -------------------------------------------------------------- */
#define E2B_OK                  0
#define E2B_ERROR              -1  /* generic failure                     (SDK: SandboxError) */
#define E2B_EINVAL             -2  /* invalid argument                    (InvalidArgumentError) */
#define E2B_EVERSION           -3  /* unknown options-struct version      (-) */
#define E2B_ENOTFOUND          -4  /* process, context or other resource  (NotFoundError) */
#define E2B_ETIMEOUT           -5  /* request, stream or sandbox timeout  (TimeoutError) */
#define E2B_EAUTH              -6  /* missing or rejected API key/token   (AuthenticationError) */
#define E2B_ERATELIMIT         -7  /* 429 / resource_exhausted            (RateLimitError) */
#define E2B_ENOSPACE           -8  /* disk full in the sandbox (507)      (NotEnoughSpaceError) */
#define E2B_ECANCELED          -9  /* cancelled by the caller             (-) */
#define E2B_EUSER             -10  /* a user callback asked to stop       (-) */
#define E2B_EMISUSE           -11  /* e.g. a blocking call from a callback (-) */
#define E2B_ESANDBOX_NOT_FOUND -12 /* the sandbox does not exist or is gone (SandboxNotFoundError) */
#define E2B_EFILE_NOT_FOUND   -13  /* path missing in the sandbox         (FileNotFoundError) */
#define E2B_ECOMMAND_EXIT     -14  /* command exited with a non-zero code (CommandExitError) */
#define E2B_ETEMPLATE         -15  /* template missing or incompatible    (TemplateError) */
#define E2B_ENETWORK          -16  /* no HTTP response: connect/reset/DNS  (-) */
#define E2B_EPROTOCOL         -17  /* malformed or unexpected response    (-) */
#define E2B_ENOMEM            -18  /* out of memory                       (-) */
#define E2B_EPOOL_EXHAUSTED   -19  /* every pooled sandbox is in use      (-) (since 0.1) */


/* ---- Export, versions ------------------------------------------------------------------- */
#if defined(E2B_BUILDING) && defined(__GNUC__)
#define E2B_API __attribute__((visibility("default")))
#else
#define E2B_API
#endif

/* "0.1.0". Static string. Thread: any. Since 0.1. */
E2B_API const char *e2b_version(void);
/* Incremented on every incompatible ABI change; bindings refuse to load a different value.
 * Thread: any. Since 0.1. */
#define E2B_ABI_VERSION 1
E2B_API int e2b_abi_version(void);

/* ---- Errors -------------------------------------------------------------------------------- */
typedef struct e2b_error {
    int32_t code;         /* E2B_OK or an E2B_E* code */
    int32_t http_status;  /* last HTTP status seen, 0 if none */
    const char *message;  /* UTF-8, never NULL ("" when code is E2B_OK) */
} e2b_error;

/* The error of the last failing libe2b call on the calling thread (code E2B_OK if that call
 * succeeded). Owned by libe2b, valid until the thread's next libe2b call. Never NULL.
 * Bindings whose calls may hop OS threads (Go) must read it on the thread that made the call
 * (e.g. runtime.LockOSThread around the call and the read); async callbacks get their error as
 * an argument.
 * Thread: any (per-thread value). Since 0.1. */
E2B_API const e2b_error *e2b_error_last(void);
/* Static text naming a code ("not found", ...). Unknown codes give "unknown error". */
E2B_API const char *e2b_status_str(int code);

/* Memory returned by libe2b. e2b_buf: ptr is NUL-terminated, owned by the caller after a call
 * that fills it, released with e2b_buf_dispose (which frees ptr only; NULL is a no-op). */
typedef struct e2b_buf { char *ptr; size_t size; size_t reserved; } e2b_buf;
#define E2B_BUF_INIT {NULL, 0, 0}
E2B_API void e2b_buf_dispose(e2b_buf *buf);

/* ---- Cancelling blocking calls (since 0.1) ------------------------------------------------ */
/* A token bound to a thread makes the blocking calls that thread makes cancellable from any
 * other thread, with no change to their signatures (for bindings: Go contexts, AbortSignal,
 * futures dropped):
 *     e2b_cancel_bind(tok);  rc = e2b_sandbox_create(...);  e2b_cancel_bind(NULL);
 *     // elsewhere: e2b_cancel_trigger(tok) → that call returns E2B_ECANCELED promptly
 * Every HTTP request the thread starts while the token is bound is tracked by it: triggering
 * cancels those still in flight (including streams the thread started, which then end with
 * E2B_ECANCELED as after a disconnect) and makes requests started later fail at once. A
 * composite call (a session, a workspace sync) stops at its next request. Waits that are not
 * requests (e2b_pool_acquire waiting for a free sandbox) are not cut short. A token is not
 * reset: make a new one per operation. */
typedef struct e2b_cancel e2b_cancel;
/* *out owned by the caller (e2b_cancel_free). Thread: any. */
E2B_API int e2b_cancel_new(e2b_cancel **out);
/* Frees the handle; a thread still bound to it keeps the token alive until it unbinds. NULL is a
 * no-op. Thread: any. */
E2B_API void e2b_cancel_free(e2b_cancel *cancel);
/* Binds `cancel` to the calling thread (replacing any previous binding); NULL unbinds.
 * Thread: the thread whose calls it governs. */
E2B_API void e2b_cancel_bind(e2b_cancel *cancel);
/* Cancels (idempotent). Thread: any, including libe2b callbacks; non-blocking. */
E2B_API void e2b_cancel_trigger(e2b_cancel *cancel);
/* 1 once triggered, 0 before, E2B_EINVAL for NULL. Thread: any. */
E2B_API int e2b_cancel_is_triggered(const e2b_cancel *cancel);

/* ---- Client (since 0.1) ------------------------------------------------------------------ */
typedef struct e2b_client e2b_client;

#define E2B_CLIENT_F_NO_ENV 0x1u  /* do not read E2B_* environment variables for defaults */

/* Options. Zero/NULL fields take defaults; unless E2B_CLIENT_F_NO_ENV, defaults come from the
 * environment exactly as the official SDKs read it: E2B_API_KEY, E2B_DOMAIN (default e2b.app),
 * E2B_API_URL (default https://api.<domain>, or http://localhost:3000 when E2B_DEBUG=true),
 * E2B_SANDBOX_URL (default: per sandbox, https://sandbox.<domain> for E2B's domains, else
 * https://49983-<id>.<domain>). Strings are copied. */
typedef struct e2b_client_opts {
    uint32_t version;            /* E2B_CLIENT_OPTS_VERSION */
    const char *api_key;
    const char *domain;
    const char *api_url;
    const char *sandbox_url;
    int64_t request_timeout_ms;  /* per HTTP request; 0 = 60000; <0 = none */
    const char *proxy;           /* NULL = libcurl's environment handling; "" = no proxy */
    const char *user_agent;      /* NULL = "libe2b/<version>" */
    uint32_t max_attempts;       /* retries of safe requests on 429/502/503/reset; 0 = 3 */
    uint32_t flags;              /* E2B_CLIENT_F_* */
    /* since version 2 (0.1): where callbacks run, E2B_DELIVERY_* */
    uint32_t delivery;
    /* since version 3 (0.1): structured logs, one JSON object per event (see "Structured logs"
     * below). log_cb receives each line (no trailing newline; `line` valid during the call only)
     * on whichever thread completed the operation (the service thread or the caller's), possibly
     * concurrently: it must be thread-safe and quick, and must not call blocking libe2b
     * functions. log_file: a path the lines are appended to ("\n"-terminated); copied. */
    void (*log_cb)(int32_t level, const char *line, size_t len, void *payload);
    void *log_payload;
    int32_t log_level;           /* minimum E2B_LOG_* emitted; 0 = E2B_LOG_INFO */
    const char *log_file;        /* NULL = no file */
    /* append new fields here and bump the version; never insert or reorder */
} e2b_client_opts;
#define E2B_CLIENT_OPTS_VERSION 3
#define E2B_CLIENT_OPTS_INIT {E2B_CLIENT_OPTS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, 0, \
                              NULL, NULL, 0, NULL}
/* Log levels (e2b_client_opts.log_level and the level passed to log_cb). */
#define E2B_LOG_DEBUG 1
#define E2B_LOG_INFO  2
#define E2B_LOG_WARN  3
#define E2B_LOG_ERROR 4
#define E2B_LOG_NONE  5
/* Callback delivery. SERVICE_THREAD: callbacks run on the client's service thread, which they
 * must not block for long. QUEUED: callbacks are queued and run only inside
 * e2b_client_dispatch() on the host's thread (event loops, GUIs, single-threaded runtimes). */
#define E2B_DELIVERY_SERVICE_THREAD 0u
#define E2B_DELIVERY_QUEUED         1u
/* Fills *opts with defaults for `version`. E2B_EVERSION for 0 or an unknown version. */
E2B_API int e2b_client_opts_init(e2b_client_opts *opts, uint32_t version);

/* Creates a client (one service thread). opts NULL = all defaults. Errors: E2B_EVERSION,
 * E2B_EINVAL (e.g. a malformed URL), E2B_EAUTH (no API key found), E2B_ENOMEM.
 * The key format is not checked (e2b-local and other servers issue other shapes).
 * Thread: any. Since 0.1. */
E2B_API int e2b_client_new(e2b_client **out, const e2b_client_opts *opts);
/* Releases the client: cancels what is in flight, joins its thread. Sandboxes created with it
 * must be freed first. NULL is a no-op. Never kills remote sandboxes. Thread: not from a
 * libe2b callback. Since 0.1. */
E2B_API void e2b_client_free(e2b_client *client);
/* QUEUED delivery: runs up to max_events queued callbacks (<= 0: all queued) on the calling
 * thread and returns how many ran (>= 0). Never blocks. In SERVICE_THREAD mode returns 0.
 * Thread: any, one at a time per client; not from a callback (E2B_EMISUSE). Since 0.1. */
E2B_API int e2b_client_dispatch(e2b_client *client, int max_events);
/* QUEUED delivery: a file descriptor that is readable while callbacks are queued (poll it, then
 * call e2b_client_dispatch). Owned by the client. -1 in SERVICE_THREAD mode or for NULL.
 * Thread: any. Since 0.1. */
E2B_API int e2b_client_wake_fd(const e2b_client *client);

/* ---- Sandboxes (since 0.1) ----------------------------------------------------------------- */
typedef struct e2b_sandbox e2b_sandbox;  /* local view of one remote sandbox */

#define E2B_SANDBOX_F_INSECURE    0x1u  /* no envd access token (SDK: secure=false) */
#define E2B_SANDBOX_F_NO_INTERNET 0x2u  /* allow_internet_access=false */
#define E2B_SANDBOX_F_AUTO_PAUSE  0x4u  /* pause instead of kill at the end of its timeout */

typedef struct e2b_sandbox_opts {
    uint32_t version;                /* E2B_SANDBOX_OPTS_VERSION */
    const char *template_id;         /* NULL = "base" */
    int64_t timeout_ms;              /* lifetime; 0 = 300000 (rounded up to seconds) */
    const char *const *metadata;     /* NULL-terminated "key=value" list; copied */
    const char *const *envs;         /* NULL-terminated "KEY=VALUE" list, sandbox-wide; copied */
    uint32_t flags;                  /* E2B_SANDBOX_F_* */
    /* since version 2 (0.1): resources (see "Resource profiles" below). */
    const char *profile;             /* "light" | "medium" | "heavy" | "ml"; NULL = none */
    int32_t cpu_count;               /* vCPUs, 1..64; 0 = the profile's, else the template's */
    int32_t memory_mb;               /* MiB, >= 32; 0 = the profile's, else the template's */
} e2b_sandbox_opts;
#define E2B_SANDBOX_OPTS_VERSION 2
#define E2B_SANDBOX_OPTS_INIT {E2B_SANDBOX_OPTS_VERSION, NULL, 0, NULL, NULL, 0, NULL, 0, 0}
E2B_API int e2b_sandbox_opts_init(e2b_sandbox_opts *opts, uint32_t version);

/* Creates a sandbox (POST /sandboxes). *out is owned by the caller (e2b_sandbox_free).
 * Errors: E2B_EAUTH, E2B_ETEMPLATE/E2B_ERROR (template), E2B_ERATELIMIT, E2B_EINVAL,
 * E2B_ETIMEOUT, E2B_ENETWORK. Thread: any, blocking (E2B_EMISUSE from a libe2b callback). */
E2B_API int e2b_sandbox_create(e2b_sandbox **out, e2b_client *client, const e2b_sandbox_opts *opts);
/* Connects to an existing sandbox by id, resuming it if paused (POST /sandboxes/{id}/connect;
 * the lifetime is extended to at least timeout_ms, 0 = 300000). E2B_ESANDBOX_NOT_FOUND if
 * unknown. Thread: any, blocking. */
E2B_API int e2b_sandbox_connect(e2b_sandbox **out, e2b_client *client, const char *sandbox_id,
                                int64_t timeout_ms);
/* Releases the local handle only (never kills). NULL is a no-op. */
E2B_API void e2b_sandbox_free(e2b_sandbox *sandbox);

/* Borrowed strings, valid while the handle lives. */
E2B_API const char *e2b_sandbox_id(const e2b_sandbox *sandbox);
E2B_API const char *e2b_sandbox_envd_version(const e2b_sandbox *sandbox);

/* Kills the sandbox. E2B_OK, or E2B_ESANDBOX_NOT_FOUND when it no longer exists (the SDKs'
 * `false`). The handle stays valid for e2b_sandbox_free. Blocking. */
E2B_API int e2b_sandbox_kill(e2b_sandbox *sandbox);
/* Sets the remaining lifetime to timeout_ms from now (may shorten it). Blocking. */
E2B_API int e2b_sandbox_set_timeout(e2b_sandbox *sandbox, int64_t timeout_ms);
/* Pauses it keeping memory. Returns 1 if it paused, 0 if it was already paused, <0 on error
 * (E2B_ESANDBOX_NOT_FOUND...). Blocking. */
E2B_API int e2b_sandbox_pause(e2b_sandbox *sandbox);
/* 1 if its envd answers /health, 0 if not (paused, killed, expired), <0 on other errors. */
E2B_API int e2b_sandbox_is_running(e2b_sandbox *sandbox);

/* The same three by id, with no handle and without resuming a paused sandbox (the SDKs' static
 * Sandbox.kill / Sandbox.setTimeout / Sandbox.betaPause): for tools and services that keep ids.
 * Same results and errors as the handle forms, plus E2B_EINVAL for a NULL or empty id.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_sandbox_kill_id(e2b_client *client, const char *sandbox_id);
E2B_API int e2b_sandbox_set_timeout_id(e2b_client *client, const char *sandbox_id, int64_t timeout_ms);
E2B_API int e2b_sandbox_pause_id(e2b_client *client, const char *sandbox_id);

/* Sandbox details (GET /sandboxes/{id}, and the items of a list). Allocated by libe2b; fields
 * may be appended in later versions (read `version`). Strings borrowed from the object. */
typedef struct e2b_sandbox_info {
    uint32_t version;             /* 1 */
    const char *sandbox_id;
    const char *template_id;
    const char *alias;            /* may be "" */
    const char *state;            /* "running" | "paused" */
    const char *envd_version;
    int64_t started_at_ms;        /* unix ms */
    int64_t end_at_ms;
    int32_t cpu_count;
    int32_t memory_mb;
    int32_t disk_size_mb;
    size_t metadata_count;
    const char *const *metadata_keys;
    const char *const *metadata_values;
} e2b_sandbox_info;
/* E2B_ESANDBOX_NOT_FOUND when unknown. Free with e2b_sandbox_info_free. Blocking. */
E2B_API int e2b_sandbox_get_info(e2b_sandbox_info **out, e2b_client *client, const char *sandbox_id);
E2B_API void e2b_sandbox_info_free(e2b_sandbox_info *info);

/* One page of GET /v2/sandboxes. */
#define E2B_LIST_RUNNING 0x1u
#define E2B_LIST_PAUSED  0x2u
typedef struct e2b_list_opts {
    uint32_t version;               /* E2B_LIST_OPTS_VERSION */
    uint32_t states;                /* E2B_LIST_* OR'd; 0 = both */
    const char *const *metadata;    /* NULL-terminated "key=value" filters (AND) */
    uint32_t limit;                 /* 1..100; 0 = 100 */
    const char *next_token;         /* NULL/"" = first page */
} e2b_list_opts;
#define E2B_LIST_OPTS_VERSION 1
#define E2B_LIST_OPTS_INIT {E2B_LIST_OPTS_VERSION, 0, NULL, 0, NULL}
E2B_API int e2b_list_opts_init(e2b_list_opts *opts, uint32_t version);
typedef struct e2b_sandbox_list e2b_sandbox_list;
E2B_API int e2b_sandbox_list_page(e2b_sandbox_list **out, e2b_client *client, const e2b_list_opts *opts);
E2B_API size_t e2b_sandbox_list_count(const e2b_sandbox_list *list);
E2B_API const e2b_sandbox_info *e2b_sandbox_list_at(const e2b_sandbox_list *list, size_t i); /* borrowed */
/* The token for the next page, or NULL when this is the last page. Borrowed. */
E2B_API const char *e2b_sandbox_list_next_token(const e2b_sandbox_list *list);
E2B_API void e2b_sandbox_list_free(e2b_sandbox_list *list);

/* "<port>-<id>.<domain>" as E2B's getHost (not affected by the sandbox URL). Writes into *out
 * (caller disposes). Thread: any, non-blocking. */
E2B_API int e2b_sandbox_get_host(e2b_buf *out, const e2b_sandbox *sandbox, uint16_t port);

/* Resource usage samples of a sandbox (GET /sandboxes/{id}/metrics; SDK: getMetrics), oldest
 * first. Allocated by libe2b; fields may be appended (read `version`). Since 0.1. */
typedef struct e2b_sandbox_metric {
    uint32_t version;            /* 1 */
    int32_t cpu_count;
    int64_t timestamp_ms;        /* unix ms of the sample */
    double cpu_used_pct;         /* 0..100 over all its vCPUs */
    int64_t mem_used_bytes;
    int64_t mem_total_bytes;
    int64_t disk_used_bytes;
    int64_t disk_total_bytes;
} e2b_sandbox_metric;
typedef struct e2b_sandbox_metric_list e2b_sandbox_metric_list;
/* Samples between start_unix_s and end_unix_s (each < 0 = unbounded on that side). *out owned by
 * the caller (e2b_sandbox_metric_list_free). Errors: E2B_ESANDBOX_NOT_FOUND, E2B_EAUTH,
 * E2B_EINVAL, E2B_ETIMEOUT, E2B_ENETWORK, E2B_EPROTOCOL. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_sandbox_get_metrics(e2b_sandbox_metric_list **out, e2b_client *client,
                                    const char *sandbox_id, int64_t start_unix_s, int64_t end_unix_s);
/* Count (0 and E2B_EINVAL as the last error for NULL); items borrowed until the list is freed
 * (NULL when out of range). NULL frees nothing. Thread: any. Since 0.1. */
E2B_API size_t e2b_sandbox_metric_list_count(const e2b_sandbox_metric_list *list);
E2B_API const e2b_sandbox_metric *e2b_sandbox_metric_list_at(const e2b_sandbox_metric_list *list,
                                                             size_t i);
E2B_API void e2b_sandbox_metric_list_free(e2b_sandbox_metric_list *list);

/* Log lines the platform keeps about a sandbox (GET /v2/sandboxes/{id}/logs): lifecycle events
 * such as created, paused, resumed, expired. Not the output of its commands. */
#define E2B_LOGS_F_BACKWARD 0x1u  /* newest first; cursor_ms then bounds from above */
typedef struct e2b_logs_opts {
    uint32_t version;        /* E2B_LOGS_OPTS_VERSION */
    int64_t cursor_ms;       /* unix ms to start from; 0 = the beginning (or the end, BACKWARD) */
    uint32_t limit;          /* 1..1000; 0 = 1000 */
    uint32_t flags;          /* E2B_LOGS_F_* */
    const char *min_level;   /* NULL = all; "debug" | "info" | "warn" | "error" */
    const char *search;      /* NULL = none; case-sensitive substring of the message */
} e2b_logs_opts;
#define E2B_LOGS_OPTS_VERSION 1
#define E2B_LOGS_OPTS_INIT {E2B_LOGS_OPTS_VERSION, 0, 0, 0, NULL, NULL}
E2B_API int e2b_logs_opts_init(e2b_logs_opts *opts, uint32_t version);
typedef struct e2b_sandbox_log_entry {
    uint32_t version;            /* 1 */
    int64_t timestamp_ms;        /* unix ms */
    const char *level;           /* "debug" | "info" | "warn" | "error" (as sent) */
    const char *message;
    size_t field_count;          /* structured fields, parallel arrays */
    const char *const *field_keys;
    const char *const *field_values;
} e2b_sandbox_log_entry;
typedef struct e2b_sandbox_log_list e2b_sandbox_log_list;
/* One page of a sandbox's logs (a running, paused or recently ended sandbox). opts NULL =
 * defaults. To page forward, pass the last entry's timestamp_ms + 1 as the next cursor_ms.
 * *out owned by the caller (e2b_sandbox_log_list_free). Errors as e2b_sandbox_get_metrics, and
 * E2B_EINVAL for a limit > 1000, unknown flags or level. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_sandbox_get_logs(e2b_sandbox_log_list **out, e2b_client *client,
                                 const char *sandbox_id, const e2b_logs_opts *opts);
/* As the metric list accessors. Thread: any. Since 0.1. */
E2B_API size_t e2b_sandbox_log_list_count(const e2b_sandbox_log_list *list);
E2B_API const e2b_sandbox_log_entry *e2b_sandbox_log_list_at(const e2b_sandbox_log_list *list,
                                                             size_t i);
E2B_API void e2b_sandbox_log_list_free(e2b_sandbox_log_list *list);

/* ---- Commands and PTY ------------------------------------------------------------------- */
/* Processes in the sandbox (envd process.Process). A command string runs as
 * `/bin/bash -l -c <cmd>`, as the official SDKs do. Blocking functions below fail with
 * E2B_EMISUSE when called from inside any libe2b callback. Since 0.1 unless noted. */
typedef struct e2b_exec e2b_exec;  /* local handle to one Start/Connect stream of a process */

#define E2B_EXEC_F_STDIN 0x1u  /* keep stdin open (e2b_exec_send_stdin); default: /dev/null */

typedef struct e2b_exec_opts {
    uint32_t version;             /* E2B_EXEC_OPTS_VERSION */
    const char *cwd;              /* NULL = the user's home / template workdir */
    const char *const *envs;      /* NULL-terminated "KEY=VALUE" list; copied */
    const char *user;             /* NULL = the sandbox's default user; e.g. "root" */
    int64_t timeout_ms;           /* process lifetime (envd kills it after); 0 = 60000; <0 = none */
    const char *tag;              /* NULL = none */
    uint32_t flags;               /* E2B_EXEC_F_* */
} e2b_exec_opts;
#define E2B_EXEC_OPTS_VERSION 1
#define E2B_EXEC_OPTS_INIT {E2B_EXEC_OPTS_VERSION, NULL, NULL, NULL, 0, NULL, 0}
E2B_API int e2b_exec_opts_init(e2b_exec_opts *opts, uint32_t version);

/* Stream callbacks; any may be NULL. Thread: the client's service thread (SERVICE_THREAD
 * delivery) or inside e2b_client_dispatch (QUEUED). `data` is valid only during the call.
 * on_stdout/on_stderr return 0 to continue, nonzero to stop receiving (the stream then ends with
 * E2B_EUSER; the process keeps running). on_exit is the terminal callback, exactly once per
 * stream unless the handle is freed first: exit_code is the process's (-1 when killed by a
 * signal), err NULL on a complete stream, else the failure (E2B_ECANCELED after disconnect,
 * E2B_ETIMEOUT — also when the sandbox died mid-stream: "... The sandbox was killed or reached
 * its end of life ...", as the SDKs say —, E2B_ENETWORK, E2B_ESANDBOX_NOT_FOUND, ...); err is
 * valid during the call only. */
typedef struct e2b_exec_callbacks {
    uint32_t version;  /* E2B_EXEC_CALLBACKS_VERSION */
    int (*on_stdout)(const char *data, size_t len, void *payload);  /* PTY: the terminal's bytes */
    int (*on_stderr)(const char *data, size_t len, void *payload);
    void (*on_exit)(int32_t exit_code, const e2b_error *err, void *payload);
    void *payload;
} e2b_exec_callbacks;
#define E2B_EXEC_CALLBACKS_VERSION 1
#define E2B_EXEC_CALLBACKS_INIT {E2B_EXEC_CALLBACKS_VERSION, NULL, NULL, NULL, NULL}

/* Starts `cmd` and returns once its pid is known (or on error: E2B_EINVAL for a bad cwd,
 * E2B_EAUTH for an unknown user, E2B_ESANDBOX_NOT_FOUND, E2B_ETIMEOUT, ...). *out is owned by
 * the caller (e2b_exec_free). opts/callbacks NULL = defaults / none. Thread: any, blocking. */
E2B_API int e2b_exec_start(e2b_exec **out, e2b_sandbox *sandbox, const char *cmd,
                           const e2b_exec_opts *opts, const e2b_exec_callbacks *callbacks);
/* Attaches to a running process (output from now on). E2B_ENOTFOUND if there is no such pid.
 * The stream is not bounded by a timeout. Thread: any, blocking. */
E2B_API int e2b_exec_connect(e2b_exec **out, e2b_sandbox *sandbox, uint32_t pid,
                             const e2b_exec_callbacks *callbacks);
/* The process id. Thread: any. 0 for NULL. */
E2B_API uint32_t e2b_exec_pid(const e2b_exec *exec);
/* Blocks until the stream ends (with SERVICE_THREAD delivery: until on_exit has returned; QUEUED:
 * on_exit follows in a later e2b_client_dispatch). E2B_OK with *exit_code 0; E2B_ECOMMAND_EXIT with *exit_code set
 * for a non-zero exit (message: the end status); the stream's error otherwise (exit_code may be
 * NULL). After e2b_exec_disconnect: E2B_ECANCELED. Thread: any, blocking. */
E2B_API int e2b_exec_wait(e2b_exec *exec, int32_t *exit_code);
/* The process's end status text as envd reports it ("exit status 3", "signal: killed"), "" while
 * it runs or when there is none; into *out (caller disposes). Lets an on_exit callback say why a
 * process ended without calling e2b_exec_wait. Thread: any, non-blocking (callbacks too). */
E2B_API int e2b_exec_end_status(e2b_buf *out, const e2b_exec *exec);
/* SIGKILL. E2B_ENOTFOUND when the process is already gone. Thread: any, blocking. */
E2B_API int e2b_exec_kill(e2b_exec *exec);
/* Writes to stdin (needs E2B_EXEC_F_STDIN). Thread: any, blocking. */
E2B_API int e2b_exec_send_stdin(e2b_exec *exec, const void *data, size_t len);
/* Closes stdin (EOF for the process). Thread: any, blocking. */
E2B_API int e2b_exec_close_stdin(e2b_exec *exec);
/* Stops receiving (aborts the stream); the process keeps running. on_exit follows with
 * E2B_ECANCELED. Thread: any, including callbacks; non-blocking, idempotent. */
E2B_API int e2b_exec_disconnect(e2b_exec *exec);
/* Releases the local handle (disconnects if still streaming; never kills). No callback of this
 * handle runs after it returns (or, from inside one of its callbacks, after that callback).
 * NULL is a no-op. Thread: any. */
E2B_API void e2b_exec_free(e2b_exec *exec);

/* Result of e2b_exec_run. Dispose with e2b_exec_output_dispose. */
typedef struct e2b_exec_output {
    e2b_buf out;        /* stdout bytes */
    e2b_buf err;        /* stderr bytes */
    int32_t exit_code;
    e2b_buf error;      /* the end status text for a failed process ("exit status 2"), "" if none */
} e2b_exec_output;
#define E2B_EXEC_OUTPUT_INIT {E2B_BUF_INIT, E2B_BUF_INIT, 0, E2B_BUF_INIT}
/* Runs `cmd` to completion. E2B_OK on exit 0; E2B_ECOMMAND_EXIT for a non-zero exit (the output
 * is filled too); other errors leave *out empty. Thread: any, blocking. */
E2B_API int e2b_exec_run(e2b_exec_output *out, e2b_sandbox *sandbox, const char *cmd,
                         const e2b_exec_opts *opts);
E2B_API void e2b_exec_output_dispose(e2b_exec_output *out);

/* Live processes started through envd (List). Strings borrowed from the list. */
typedef struct e2b_process_list e2b_process_list;
typedef struct e2b_process_info {
    uint32_t version;           /* 1 */
    uint32_t pid;
    const char *cmd;
    size_t arg_count;
    const char *const *args;
    const char *tag;            /* NULL when none */
} e2b_process_info;
/* Thread: any, blocking. Free with e2b_process_list_free. */
E2B_API int e2b_exec_list(e2b_process_list **out, e2b_sandbox *sandbox);
E2B_API size_t e2b_process_list_count(const e2b_process_list *list);
E2B_API const e2b_process_info *e2b_process_list_at(const e2b_process_list *list, size_t i);
E2B_API void e2b_process_list_free(e2b_process_list *list);

/* Starts an interactive login shell on a pseudo-terminal (`/bin/bash -i -l`, TERM=xterm-256color
 * unless set in opts->envs). Its output arrives through callbacks->on_stdout as raw bytes.
 * opts->timeout_ms applies as for commands: pass < 0 for sessions without a limit. Kill, wait,
 * disconnect and free with the e2b_exec functions. Thread: any, blocking. */
E2B_API int e2b_pty_create(e2b_exec **out, e2b_sandbox *sandbox, uint16_t cols, uint16_t rows,
                           const e2b_exec_opts *opts, const e2b_exec_callbacks *callbacks);
/* Bytes to the terminal (keystrokes; "\x04" is Ctrl-D). Thread: any, blocking. */
E2B_API int e2b_pty_send_input(e2b_exec *pty, const void *data, size_t len);
/* Thread: any, blocking. */
E2B_API int e2b_pty_resize(e2b_exec *pty, uint16_t cols, uint16_t rows);

/* By pid, without a handle (the SDKs' commands.kill(pid), commands.sendStdin(pid, ...),
 * pty.sendInput(pid, ...), pty.resize(pid, ...)): for a process started elsewhere or whose handle
 * was freed. E2B_ENOTFOUND when there is no such process; stdin needs a process started with
 * E2B_EXEC_F_STDIN (else E2B_ERROR from envd); the pty forms need a PTY process.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_process_kill(e2b_sandbox *sandbox, uint32_t pid);
E2B_API int e2b_process_send_stdin(e2b_sandbox *sandbox, uint32_t pid, const void *data, size_t len);
E2B_API int e2b_process_close_stdin(e2b_sandbox *sandbox, uint32_t pid);
E2B_API int e2b_process_send_pty_input(e2b_sandbox *sandbox, uint32_t pid, const void *data, size_t len);
E2B_API int e2b_process_resize_pty(e2b_sandbox *sandbox, uint32_t pid, uint16_t cols, uint16_t rows);


/* ---- Files ------------------------------------------------------------------------------- */
/* sandbox.files over envd (filesystem RPCs and HTTP /files). Paths are sandbox paths; relative
 * ones and "~" resolve against the user's home. Every call: Thread: any, blocking (E2B_EMISUSE
 * from a libe2b callback). Errors common to all: E2B_EINVAL (NULL/empty argument),
 * E2B_EVERSION (opts), E2B_EAUTH, E2B_ETIMEOUT (request timeout, or the sandbox is gone: 502),
 * E2B_ENETWORK, E2B_EPROTOCOL. Since 0.1. */

typedef struct e2b_files_opts {
    uint32_t version;        /* E2B_FILES_OPTS_VERSION */
    const char *user;        /* NULL = the sandbox's default user; copied for the call */
    int64_t timeout_ms;      /* per request; 0 = the client's request timeout; <0 = none.
                                e2b_files_watch: the watch's lifetime, 0 or <0 = until stopped */
} e2b_files_opts;
#define E2B_FILES_OPTS_VERSION 1
#define E2B_FILES_OPTS_INIT {E2B_FILES_OPTS_VERSION, NULL, 0}
E2B_API int e2b_files_opts_init(e2b_files_opts *opts, uint32_t version);

/* Whole file into *out (caller disposes; NUL-terminated, binary-safe via size). E2B_EFILE_NOT_FOUND
 * when missing, E2B_EINVAL for a directory. opts NULL = defaults (same below). */
E2B_API int e2b_files_read(e2b_buf *out, e2b_sandbox *sandbox, const char *path,
                           const e2b_files_opts *opts);
/* Streams the file to on_data as it arrives (constant memory). on_data runs on libe2b's service
 * thread whatever the client's delivery mode, while this call blocks (blocking libe2b calls from
 * it fail with E2B_EMISUSE); a nonzero return stops the download and the call returns E2B_EUSER.
 * Returns once the download ended. */
E2B_API int e2b_files_read_stream(e2b_sandbox *sandbox, const char *path,
                                  int (*on_data)(const void *data, size_t len, void *payload),
                                  void *payload, const e2b_files_opts *opts);

/* Creates or overwrites a file (parents created, owned by the user). E2B_ENOSPACE when the disk
 * is full. len 0 writes an empty file (data may then be NULL). */
E2B_API int e2b_files_write(e2b_sandbox *sandbox, const char *path, const void *data, size_t len,
                            const e2b_files_opts *opts);
/* Streamed upload (application/octet-stream, needs envd >= 0.5.7, else E2B_ERROR): `read` fills
 * up to cap bytes of buf and returns the count, 0 at the end, <0 to abort (→ E2B_EUSER). It runs
 * on libe2b's service thread. size_or_minus1: the exact total (Content-Length) or -1 (chunked).
 * Never retried. */
E2B_API int e2b_files_write_stream(e2b_sandbox *sandbox, const char *path,
                                   int64_t (*read)(void *buf, size_t cap, void *payload),
                                   void *payload, int64_t size_or_minus1, const e2b_files_opts *opts);
typedef struct e2b_file_entry {
    const char *path;
    const void *data;
    size_t len;
} e2b_file_entry;
/* Writes n >= 1 files in one multipart request. Two entries with the same path → E2B_EINVAL
 * (from the server). */
E2B_API int e2b_files_write_many(e2b_sandbox *sandbox, const e2b_file_entry *entries, size_t n,
                                 const e2b_files_opts *opts);

#define E2B_FILE_TYPE_FILE    1u
#define E2B_FILE_TYPE_DIR     2u
#define E2B_FILE_TYPE_SYMLINK 3u
/* One entry (EntryInfo). Allocated by libe2b; fields may be appended (read `version`). Strings
 * borrowed from the object, never NULL except symlink_target. For a symlink envd reports the
 * target's type and sets symlink_target. */
typedef struct e2b_entry_info {
    uint32_t version;           /* 1 */
    uint32_t type;              /* E2B_FILE_TYPE_* */
    const char *name;
    const char *path;
    int64_t size;
    uint32_t mode;              /* permission bits, e.g. 0644 */
    const char *permissions;    /* "-rw-r--r--" */
    const char *owner;
    const char *group;
    int64_t modified_time_ns;   /* unix ns */
    const char *symlink_target; /* NULL unless a symlink */
} e2b_entry_info;
typedef struct e2b_entry_list e2b_entry_list;

/* Lists dir to `depth` levels (>= 1; 1 = direct children), parents before children, the dir
 * itself excluded; dangling symlinks are skipped. E2B_EFILE_NOT_FOUND, E2B_EINVAL (not a dir). */
E2B_API int e2b_files_list(e2b_entry_list **out, e2b_sandbox *sandbox, const char *dir,
                           uint32_t depth, const e2b_files_opts *opts);
E2B_API size_t e2b_entry_list_count(const e2b_entry_list *list);
/* Borrowed, valid until e2b_entry_list_free. NULL (E2B_EINVAL) when out of range. */
E2B_API const e2b_entry_info *e2b_entry_list_at(const e2b_entry_list *list, size_t i);
E2B_API void e2b_entry_list_free(e2b_entry_list *list);

/* lstat of path. Free *out with e2b_entry_info_free. E2B_EFILE_NOT_FOUND when missing. */
E2B_API int e2b_files_stat(e2b_entry_info **out, e2b_sandbox *sandbox, const char *path,
                           const e2b_files_opts *opts);
E2B_API void e2b_entry_info_free(e2b_entry_info *info);
/* 1 exists, 0 missing, <0 error. */
E2B_API int e2b_files_exists(e2b_sandbox *sandbox, const char *path, const e2b_files_opts *opts);
/* Creates dir and its parents: 1 created, 0 it already existed, <0 error (E2B_EINVAL when a
 * non-directory is in the way). */
E2B_API int e2b_files_make_dir(e2b_sandbox *sandbox, const char *path, const e2b_files_opts *opts);
/* rename(2); destination parents are created. E2B_EFILE_NOT_FOUND when from is missing. */
E2B_API int e2b_files_rename(e2b_sandbox *sandbox, const char *from, const char *to,
                             const e2b_files_opts *opts);
/* Recursive; a missing path is success. */
E2B_API int e2b_files_remove(e2b_sandbox *sandbox, const char *path, const e2b_files_opts *opts);

/* Watching a directory (WatchDir stream). */
#define E2B_WATCH_F_RECURSIVE 0x1u
#define E2B_FS_EVENT_CREATE 1u
#define E2B_FS_EVENT_WRITE  2u
#define E2B_FS_EVENT_REMOVE 3u
#define E2B_FS_EVENT_RENAME 4u
#define E2B_FS_EVENT_CHMOD  5u
typedef struct e2b_fs_event {
    uint32_t version;   /* 1 */
    uint32_t type;      /* E2B_FS_EVENT_*; 0 = a kind this libe2b does not know */
    const char *name;   /* path relative to the watched dir; borrowed for the callback */
} e2b_fs_event;
typedef struct e2b_watch e2b_watch;
/* Starts watching dir; returns once the server confirmed the watch (events after that are
 * delivered). on_event and on_end are delivered as the client's other callbacks (service thread,
 * or e2b_client_dispatch with QUEUED delivery). After a successful call on_end
 * runs exactly once, last: err->code E2B_OK when stopped (e2b_watch_stop) or ended by the server
 * without error, else the failure (E2B_ETIMEOUT at the lifetime's end, ...); err is borrowed for
 * the callback. On failure no callback ever runs. E2B_EFILE_NOT_FOUND, E2B_EINVAL (not a dir).
 * The watch must be freed before its sandbox. */
E2B_API int e2b_files_watch(e2b_watch **out, e2b_sandbox *sandbox, const char *dir, uint32_t flags,
                            void (*on_event)(const e2b_fs_event *event, void *payload),
                            void (*on_end)(const e2b_error *err, void *payload), void *payload,
                            const e2b_files_opts *opts);
/* Stops it; idempotent; no on_event after it returns. Thread: any. Returns after on_end
 * returned, except from a libe2b callback or with QUEUED delivery (then on_end follows: after
 * that callback, or in a later e2b_client_dispatch). NULL is a no-op. */
E2B_API void e2b_watch_stop(e2b_watch *watch);
/* Stops (as e2b_watch_stop) and releases. on_end may still follow as e2b_watch_stop says, so
 * `payload` must outlive it. NULL is a no-op. Thread: any. */
E2B_API void e2b_watch_free(e2b_watch *watch);

/* Presigned URLs (§5.6 of the protocol doc) usable without headers, e.g. from a browser:
 * GET (download) / POST (upload) <sandbox URL>/files?path=...&signature=... for `user` (NULL =
 * default user). expiration_s > 0 limits the validity (needs a secure sandbox, else E2B_EINVAL);
 * 0 = no expiry. An insecure sandbox gets an unsigned URL. *out owned by the caller.
 * Thread: any, non-blocking. */
E2B_API int e2b_files_upload_url(e2b_buf *out, const e2b_sandbox *sandbox, const char *path,
                                 const char *user, int64_t expiration_s);
E2B_API int e2b_files_download_url(e2b_buf *out, const e2b_sandbox *sandbox, const char *path,
                                   const char *user, int64_t expiration_s);

/* ---- Ports: HTTP and WebSockets to a sandbox port ---------------------------------------- */
/* (section: ports) */

/* Requests to a port of the sandbox (e.g. a server started with e2b_exec_start), routed as the
 * SDKs route envd traffic: with a sandbox URL (E2B_SANDBOX_URL / opts.sandbox_url, e2b-local)
 * to that URL with headers E2b-Sandbox-Id and E2b-Sandbox-Port, else to
 * https://<port>-<id>.<domain> (e2b_sandbox_get_host). A sandbox's traffic access token, when
 * it has one, is sent as e2b-traffic-access-token. Since 0.1. */

typedef struct e2b_port_request_opts {
    uint32_t version;              /* E2B_PORT_REQUEST_OPTS_VERSION */
    const char *const *headers;    /* NULL-terminated "Name: value" list; copied */
    const void *body;              /* request body (may be NULL when body_len is 0) */
    size_t body_len;
    int64_t timeout_ms;            /* whole request; 0 = the client's request timeout; <0 = none */
} e2b_port_request_opts;
#define E2B_PORT_REQUEST_OPTS_VERSION 1
#define E2B_PORT_REQUEST_OPTS_INIT {E2B_PORT_REQUEST_OPTS_VERSION, NULL, NULL, 0, 0}
E2B_API int e2b_port_request_opts_init(e2b_port_request_opts *opts, uint32_t version);

/* A response. headers: "Name: value\r\n" lines as received (case kept, repeats kept). Dispose
 * with e2b_port_response_dispose (frees the buffers, keeps the struct). */
typedef struct e2b_port_response {
    int32_t status;
    e2b_buf headers;
    e2b_buf body;
} e2b_port_response;
#define E2B_PORT_RESPONSE_INIT {0, E2B_BUF_INIT, E2B_BUF_INIT}

/* HTTP request `method` (NULL = "GET") for `path` ("/..." with the query) to `port` (1..65535).
 * Any HTTP status the server on the port answers is E2B_OK (read out->status). Errors (out left
 * empty): E2B_EINVAL (port 0, path not starting with '/', a header without ':' or with CR/LF),
 * E2B_ESANDBOX_NOT_FOUND (the proxy says the sandbox is gone), E2B_ENETWORK (nothing listens
 * on the port: the proxy's 502, http_status 502; or no HTTP response), E2B_ETIMEOUT. Never
 * retried. Thread: any, blocking (E2B_EMISUSE from a libe2b callback). */
E2B_API int e2b_port_request(e2b_port_response *out, e2b_sandbox *sandbox, uint16_t port,
                             const char *method, const char *path,
                             const e2b_port_request_opts *opts);
/* Copies the first value of header `name` (case-insensitive) into *value (caller disposes):
 * 1 found, 0 absent, <0 error. Thread: any. */
E2B_API int e2b_port_response_header(const e2b_port_response *resp, const char *name,
                                     e2b_buf *value);
E2B_API void e2b_port_response_dispose(e2b_port_response *resp);

/* WebSockets (RFC 6455) to a port, same routing. Messages are whole: fragments are reassembled
 * up to max_message_size. The connection is driven by the client's service thread. */
typedef struct e2b_ws e2b_ws;

#define E2B_WS_TEXT   0x1u  /* a text message (UTF-8 by the protocol; not validated) */
#define E2B_WS_BINARY 0x2u

typedef struct e2b_ws_opts {
    uint32_t version;              /* E2B_WS_OPTS_VERSION */
    const char *const *headers;    /* extra handshake headers, NULL-terminated "Name: value" */
    const char *subprotocol;       /* Sec-WebSocket-Protocol; NULL = none */
    uint64_t max_message_size;     /* incoming; 0 = 16 MiB. Larger: close 1009 + E2B_EPROTOCOL */
    int64_t connect_timeout_ms;    /* handshake; 0 = the client's request timeout; <0 = none */
} e2b_ws_opts;
#define E2B_WS_OPTS_VERSION 1
#define E2B_WS_OPTS_INIT {E2B_WS_OPTS_VERSION, NULL, NULL, 0, 0}
E2B_API int e2b_ws_opts_init(e2b_ws_opts *opts, uint32_t version);

/* Callbacks; any may be NULL. Thread: the client's service thread (SERVICE_THREAD delivery) or
 * inside e2b_client_dispatch (QUEUED), in order. `data` is valid during the call only.
 * on_close is the terminal callback, exactly once after a successful connect unless the handle
 * is freed first: code is the close code (the peer's, 1005 if it gave none; ours when we closed
 * and it answered; 1006 when the connection was lost), err NULL after a close handshake, else
 * the failure (E2B_ENETWORK: lost without a close frame; E2B_EPROTOCOL: a message above
 * max_message_size); err is valid during the call only. */
typedef struct e2b_ws_callbacks {
    uint32_t version;  /* E2B_WS_CALLBACKS_VERSION */
    void (*on_message)(const void *data, size_t len, uint32_t flags /* E2B_WS_TEXT|BINARY */,
                       void *payload);
    void (*on_close)(int32_t code, const e2b_error *err, void *payload);
    void *payload;
} e2b_ws_callbacks;
#define E2B_WS_CALLBACKS_VERSION 1
#define E2B_WS_CALLBACKS_INIT {E2B_WS_CALLBACKS_VERSION, NULL, NULL, NULL}

/* Opens ws://.../wss://... to `port` at `path` ("/..." with the query) and returns once the
 * handshake completed. *out is owned by the caller (e2b_ws_free; free it before its sandbox).
 * Errors (no callback ever runs then): E2B_EINVAL, E2B_ESANDBOX_NOT_FOUND, E2B_ENETWORK (cannot
 * connect; nothing listens on the port: http_status 502), E2B_EPROTOCOL (upgrade refused:
 * http_status is the server's status), E2B_ETIMEOUT, E2B_ERROR (libwebsockets unusable, e.g. its
 * libuv event-lib plugin missing). Proxies (opts.proxy, *_proxy variables) are not used for
 * WebSockets. Thread: any, blocking (E2B_EMISUSE from a libe2b callback). */
E2B_API int e2b_ws_connect(e2b_ws **out, e2b_sandbox *sandbox, uint16_t port, const char *path,
                           const e2b_ws_opts *opts, const e2b_ws_callbacks *callbacks);
/* Queues one message (copied; flags E2B_WS_TEXT or E2B_WS_BINARY) and returns; messages go out
 * in order. E2B_EMISUSE once e2b_ws_close was called or the connection ended. len 0 sends an
 * empty message (data may be NULL). Thread: any, including callbacks; non-blocking. */
E2B_API int e2b_ws_send(e2b_ws *ws, const void *data, size_t len, uint32_t flags);
/* Starts the closing handshake after the queued messages: `code` 1000..4999 (not 1004-1006,
 * 1015), `reason` NULL or UTF-8 (cut to 123 bytes). on_close follows once the peer answered
 * (libwebsockets may drop data messages that arrive after our close frame went out).
 * E2B_EMISUSE when already closing or closed. Thread: any, including callbacks; non-blocking. */
E2B_API int e2b_ws_close(e2b_ws *ws, uint16_t code, const char *reason);
/* Bytes queued by e2b_ws_send not yet handed to the socket (0 for NULL). Thread: any. */
E2B_API uint64_t e2b_ws_buffered_amount(const e2b_ws *ws);
/* Drops the connection (no close frame) unless already ended, and releases the handle. No
 * callback of this handle runs after it returns (or, from inside one of its callbacks, after that
 * callback). NULL is a no-op. Thread: any. */
E2B_API void e2b_ws_free(e2b_ws *ws);

/* ---- Code interpreter (port 49999) ------------------------------------------------------- */
/* (section: code interpreter) */
/* The code interpreter of E2B's code-interpreter template (and of e2b-local's sandboxes): cells of
 * Python (default), JavaScript/TypeScript or bash run in persistent contexts (kernels) keeping
 * their state between cells, like @e2b/code-interpreter's runCode. Requests go to port 49999 of
 * the sandbox (the client's sandbox URL with E2b-Sandbox-Port: 49999, else
 * https://49999-<id>.<domain>) with the envd access token. A failing cell (a Python exception...)
 * is not a libe2b error: the call succeeds and the execution's error is set. Since 0.1. */

/* One finished or partial cell execution (the SDK's Execution). Opaque; read it with the
 * e2b_execution_* accessors, whose returned pointers are borrowed from it. */
typedef struct e2b_execution e2b_execution;
/* A cell running (e2b_code_start). */
typedef struct e2b_code_exec e2b_code_exec;

/* One result of a cell (the SDK's Result): the value of its last expression (is_main_result 1)
 * or displayed data (matplotlib figures, display(...)). Each format is NULL when absent; text
 * formats are UTF-8; png/jpeg/pdf are base64 as sent; json, data, chart and extra are JSON text.
 * formats lists the names of the formats present in the SDK's order (html, markdown, svg, png,
 * jpeg, pdf, latex, json, javascript, data, then the keys of extra). Allocated by libe2b; fields
 * may be appended (read `version`). */
typedef struct e2b_code_result {
    uint32_t version;            /* 1 */
    int32_t is_main_result;      /* 1 or 0 */
    const char *text;            /* text/plain */
    const char *html;
    const char *markdown;
    const char *svg;
    const char *png;
    const char *jpeg;
    const char *pdf;
    const char *latex;
    const char *json;
    const char *javascript;
    const char *data;            /* e2b/data */
    const char *chart;           /* e2b/chart */
    const char *extra;           /* other MIME types: {"mime/type": value, ...} */
    size_t format_count;
    const char *const *formats;
} e2b_code_result;

/* The error raised by a cell (the SDK's ExecutionError). Server-side conditions use the names
 * ContextRestarting (the kernel died or was restarted) and ExecutionAborted. traceback may hold
 * ANSI colour codes. Strings never NULL. */
typedef struct e2b_code_error {
    uint32_t version;            /* 1 */
    const char *name;            /* "ZeroDivisionError" */
    const char *value;           /* "division by zero" */
    const char *traceback;
} e2b_code_error;

typedef struct e2b_code_opts {
    uint32_t version;              /* E2B_CODE_OPTS_VERSION */
    const char *language;          /* NULL = python, or the context's: "python", "javascript"/"js",
                                      "typescript"/"ts", "bash"; runs in that language's default
                                      context. Not together with context_id (E2B_EINVAL). */
    const char *context_id;        /* NULL = the language's default context */
    const char *const *envs;       /* NULL-terminated "KEY=VALUE" list for this cell only */
    int64_t timeout_ms;            /* the whole execution: 0 = 60000; <0 = none. At the limit
                                      the run ends with E2B_ETIMEOUT and the server interrupts
                                      the cell (SIGINT); the context keeps its state. */
    int64_t request_timeout_ms;    /* until the response starts: 0 = the client's; <0 = none */
} e2b_code_opts;
#define E2B_CODE_OPTS_VERSION 1
#define E2B_CODE_OPTS_INIT {E2B_CODE_OPTS_VERSION, NULL, NULL, NULL, 0, 0}
/* Thread: any. Since 0.1. */
E2B_API int e2b_code_opts_init(e2b_code_opts *opts, uint32_t version);

/* Streaming callbacks; any may be NULL. Thread: the client's service thread (SERVICE_THREAD
 * delivery) or inside e2b_client_dispatch (QUEUED). Everything passed is valid only during the
 * call. on_stdout/on_stderr get one line of output at a time, as printed (with its "\n"), and
 * the server's timestamp (unix microseconds). The data callbacks return 0 to continue, nonzero
 * to stop: the request is aborted (the server interrupts the cell) and the run ends with
 * E2B_EUSER. on_end is the terminal callback, exactly once for a run that started (unless its
 * handle is freed first): execution is what arrived (complete when err is NULL), err the
 * failure (E2B_ETIMEOUT, E2B_ECANCELED, E2B_EUSER, E2B_ENETWORK, ...). Blocking libe2b calls
 * from any of them fail with E2B_EMISUSE; e2b_code_cancel is allowed. */
typedef struct e2b_code_callbacks {
    uint32_t version;  /* E2B_CODE_CALLBACKS_VERSION */
    int (*on_stdout)(const char *text, size_t len, int64_t timestamp_us, void *payload);
    int (*on_stderr)(const char *text, size_t len, int64_t timestamp_us, void *payload);
    int (*on_result)(const e2b_code_result *result, void *payload);
    int (*on_error)(const e2b_code_error *error, void *payload);
    void (*on_end)(const e2b_execution *execution, const e2b_error *err, void *payload);
    void *payload;
} e2b_code_callbacks;
#define E2B_CODE_CALLBACKS_VERSION 1
#define E2B_CODE_CALLBACKS_INIT {E2B_CODE_CALLBACKS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL}

/* Runs `code` (UTF-8, copied) to the end of the cell. *out (caller-owned, e2b_execution_free)
 * receives the execution whenever the request reached the server: on E2B_OK — also when the
 * cell raised (see e2b_execution_error) — and, with what arrived so far, on E2B_ETIMEOUT
 * (execution timeout: "Execution timed out ..."; or the stream broke and the sandbox is gone:
 * "The sandbox was killed ..."), E2B_ECANCELED, E2B_EUSER and stream failures; else NULL.
 * on_end runs exactly when *out is non-NULL (the request reached the server), never otherwise.
 * Errors: E2B_EINVAL (NULL code, language with context_id, bad envs entry),
 * E2B_EVERSION, E2B_ENOTFOUND (unknown context: "Context <id> not found"), E2B_ETIMEOUT (request
 * timeout, or 502: the sandbox is gone), E2B_ENETWORK, E2B_EPROTOCOL, E2B_ERROR (other HTTP
 * statuses, e.g. an unsupported language). Callbacks as e2b_code_callbacks says; with QUEUED
 * delivery they wait for e2b_client_dispatch (which may run after this returns).
 * Thread: any, blocking (E2B_EMISUSE from a libe2b callback). Since 0.1. */
E2B_API int e2b_code_run(e2b_execution **out, e2b_sandbox *sandbox, const char *code,
                         const e2b_code_opts *opts, const e2b_code_callbacks *callbacks);

/* Starts `code` and returns once the server accepted it (the response started), with the
 * errors of e2b_code_run for a request that did not start (then no callback ever runs). *out is
 * owned by the caller (e2b_code_free) and must be freed before its sandbox. Thread: any,
 * blocking. Since 0.1. */
E2B_API int e2b_code_start(e2b_code_exec **out, e2b_sandbox *sandbox, const char *code,
                           const e2b_code_opts *opts, const e2b_code_callbacks *callbacks);
/* Blocks until the run ended; returns and fills *out as e2b_code_run does. May be called again
 * (each call returns a new e2b_execution of the same data). Thread: any, blocking. Since 0.1. */
E2B_API int e2b_code_wait(e2b_execution **out, e2b_code_exec *run);
/* Cancels the run: aborts the request, so the server interrupts the cell (SIGINT; the context
 * keeps its state); the run ends with E2B_ECANCELED (on_end, e2b_code_wait). No effect once it
 * ended. Thread: any, including callbacks; non-blocking, idempotent. Since 0.1. */
E2B_API int e2b_code_cancel(e2b_code_exec *run);
/* Releases the handle (cancels the run if still going). No callback of this run runs after it
 * returns (or, from inside one of them, after that callback). NULL is a no-op. Thread: any.
 * Since 0.1. */
E2B_API void e2b_code_free(e2b_code_exec *run);

/* Accessors. Thread: any (the execution is immutable). Pointers borrowed from the execution.
 * NULL execution: 0 / NULL (E2B_EINVAL in e2b_error_last). Since 0.1. */
E2B_API size_t e2b_execution_result_count(const e2b_execution *execution);
/* NULL when i is out of range. */
E2B_API const e2b_code_result *e2b_execution_result_at(const e2b_execution *execution, size_t i);
/* The main result's text (the SDK's execution.text); NULL when there is none. */
E2B_API const char *e2b_execution_text(const e2b_execution *execution);
#define E2B_CODE_STDOUT 1u
#define E2B_CODE_STDERR 2u
/* Output lines of stream E2B_CODE_STDOUT or E2B_CODE_STDERR (the SDK's logs.stdout/stderr), each
 * with its "\n" when printed with one. */
E2B_API size_t e2b_execution_log_count(const e2b_execution *execution, uint32_t stream);
E2B_API const char *e2b_execution_log_at(const e2b_execution *execution, uint32_t stream, size_t i);
/* The cell's error; NULL when it raised none. */
E2B_API const e2b_code_error *e2b_execution_error(const e2b_execution *execution);
/* The context's execution counter for this cell (Jupyter's In [n]); 0 when the server sent none. */
E2B_API int64_t e2b_execution_execution_count(const e2b_execution *execution);
/* NULL is a no-op. */
E2B_API void e2b_execution_free(e2b_execution *execution);

/* Contexts (the SDK's createCodeContext, listCodeContexts, restartCodeContext,
 * removeCodeContext). Strings borrowed from their object. */
typedef struct e2b_code_context {
    uint32_t version;            /* 1 */
    const char *id;
    const char *language;        /* "python", "javascript", "typescript", "bash" */
    const char *cwd;
} e2b_code_context;
typedef struct e2b_code_context_list e2b_code_context_list;
/* Creates a context (a fresh kernel). language NULL = python, cwd NULL = /home/user. *out owned
 * by the caller (e2b_code_context_free). Errors: E2B_ERROR ("400 Bad Request: Unsupported
 * language: ..."; 500 when the kernel cannot start), E2B_ETIMEOUT, E2B_ENETWORK.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_code_context_create(e2b_code_context **out, e2b_sandbox *sandbox,
                                    const char *language, const char *cwd);
E2B_API void e2b_code_context_free(e2b_code_context *context);
/* Every context, the default ones included. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_code_list_contexts(e2b_code_context_list **out, e2b_sandbox *sandbox);
E2B_API size_t e2b_code_context_list_count(const e2b_code_context_list *list);
/* NULL when out of range. */
E2B_API const e2b_code_context *e2b_code_context_list_at(const e2b_code_context_list *list, size_t i);
E2B_API void e2b_code_context_list_free(e2b_code_context_list *list);
/* Restarts the context's kernel (its state is lost; running cells end with ContextRestarting).
 * E2B_ENOTFOUND for an unknown id. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_code_context_restart(e2b_sandbox *sandbox, const char *context_id);
/* Removes the context (and stops its kernel). E2B_ENOTFOUND for an unknown id. Thread: any,
 * blocking. Since 0.1. */
E2B_API int e2b_code_context_remove(e2b_sandbox *sandbox, const char *context_id);

/* ---- Production layer: sessions, artifacts, workspace sync ------------------------------ */
/* (section: production A) */
/* Sessions: a sandbox kept between requests and addressed by its id (persist e2b_session_id,
 * resume it later, from any process). Pausing keeps files and memory. With an idle period the
 * sandbox is created with E2B's auto-pause and that period as its lifetime, restarted by
 * e2b_session_touch: E2B (or e2b-local) pauses it after idle_pause_ms without a touch, even when
 * the process that started it is gone. Since 0.1. */
typedef struct e2b_session e2b_session;

#define E2B_SESSION_ACTIVE 1  /* running */
#define E2B_SESSION_PAUSED 2  /* paused: e2b_session_resume continues it */
#define E2B_SESSION_ENDED  3  /* killed or expired: gone for good */

typedef struct e2b_session_opts {
    uint32_t version;                /* E2B_SESSION_OPTS_VERSION */
    const e2b_sandbox_opts *sandbox; /* e2b_session_start: the sandbox's options; NULL = defaults
                                        (its timeout_ms is replaced by idle_pause_ms when set) */
    int64_t idle_pause_ms;           /* > 0: auto-pause after this long without a touch; 0 = off */
    int64_t timeout_ms;              /* e2b_session_resume without idle period: the lifetime from
                                        now, 0 = 300000 */
} e2b_session_opts;
#define E2B_SESSION_OPTS_VERSION 1
#define E2B_SESSION_OPTS_INIT {E2B_SESSION_OPTS_VERSION, NULL, 0, 0}
E2B_API int e2b_session_opts_init(e2b_session_opts *opts, uint32_t version);

/* Starts a session on a new sandbox. *out owned by the caller (e2b_session_free). opts NULL =
 * defaults. Errors: those of e2b_sandbox_create, E2B_EINVAL (negative idle_pause_ms).
 * Thread: any, blocking (E2B_EMISUSE from a libe2b callback). Since 0.1. */
E2B_API int e2b_session_start(e2b_session **out, e2b_client *client, const e2b_session_opts *opts);
/* Resumes the session `session_id` (connect: a paused sandbox is resumed, a running one
 * attached). A killed or expired session is E2B_ESANDBOX_NOT_FOUND ("session ... has ended"),
 * never a new sandbox. idle_pause_ms > 0 restarts the idle period; it is E2B_EINVAL for a session
 * started without one (its lifetime's end would kill it, not pause it). Thread: any, blocking.
 * Since 0.1. */
E2B_API int e2b_session_resume(e2b_session **out, e2b_client *client, const char *session_id,
                               const e2b_session_opts *opts);
/* The session's id (its sandbox id). Borrowed, valid while the handle lives. Thread: any. */
E2B_API const char *e2b_session_id(const e2b_session *session);
/* The session's sandbox for exec/files/artifacts/workspace calls. Borrowed, valid while the
 * session handle lives (the handle stays usable across e2b_session_pause only through a new
 * e2b_session_resume). Thread: any, non-blocking. Since 0.1. */
E2B_API e2b_sandbox *e2b_session_sandbox(e2b_session *session);
/* Marks activity: the idle period starts again from now (sets the sandbox's timeout). No-op
 * without an idle period. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_session_touch(e2b_session *session);
/* Pauses (files + memory kept): 1 paused, 0 already paused, <0 error. Blocking. Since 0.1. */
E2B_API int e2b_session_pause(e2b_session *session);
/* Ends the session (kills its sandbox): E2B_OK, or E2B_ESANDBOX_NOT_FOUND when it was already
 * gone. The handle stays valid for e2b_session_free. Blocking. Since 0.1. */
E2B_API int e2b_session_end(e2b_session *session);
/* E2B_SESSION_ACTIVE / _PAUSED / _ENDED (> 0) for any session id, or <0 on errors other than
 * "not found" (E2B_EAUTH, E2B_ENETWORK, ...). Thread: any, blocking. Since 0.1. */
E2B_API int e2b_session_state(e2b_client *client, const char *session_id);
/* Releases the local handle only (never pauses or kills). NULL is a no-op. Since 0.1. */
E2B_API void e2b_session_free(e2b_session *session);

/* Transfers (artifacts, workspace) report progress through this callback. `p` is borrowed for
 * the call. It may run on libe2b's service thread while the transfer call blocks (blocking
 * libe2b calls from it fail with E2B_EMISUSE); calls never overlap. Return 0 to continue,
 * nonzero to stop: the transfer then fails with E2B_EUSER. Since 0.1. */
typedef struct e2b_transfer_progress {
    uint32_t version;      /* 1 */
    uint32_t files_done;   /* files (artifacts) or tar entries (workspace) done */
    uint32_t files_total;  /* 0 when unknown */
    uint32_t reserved;
    int64_t bytes_done;
    int64_t bytes_total;   /* -1 when unknown */
    const char *path;      /* the current file, relative; "" when none */
} e2b_transfer_progress;
typedef int (*e2b_progress_fn)(const e2b_transfer_progress *p, void *payload);

/* Artifacts: files out of (and into) a sandbox by glob pattern. Patterns match paths relative
 * to the remote directory: '*', '?' and "[...]" within one path segment (also leading dots),
 * "**" as a whole segment for any number of directories ("**" + "/x.png" matches "x.png" too),
 * "{a,b}" alternatives. Downloads are streamed (constant memory) to "<file>.e2b-part" and
 * renamed when complete: a file under its final name is whole. */
#define E2B_ARTIFACTS_F_DELETE      0x1u  /* remove each remote file once downloaded */
#define E2B_ARTIFACTS_F_ALLOW_EMPTY 0x2u  /* a pattern that matches nothing is not an error */

typedef struct e2b_artifacts_opts {
    uint32_t version;              /* E2B_ARTIFACTS_OPTS_VERSION */
    uint32_t flags;                /* E2B_ARTIFACTS_F_* */
    const char *user;              /* NULL = the sandbox's default user */
    int64_t timeout_ms;            /* per request, as e2b_files_opts */
    e2b_progress_fn on_progress;   /* NULL = none */
    void *payload;
} e2b_artifacts_opts;
#define E2B_ARTIFACTS_OPTS_VERSION 1
#define E2B_ARTIFACTS_OPTS_INIT {E2B_ARTIFACTS_OPTS_VERSION, 0, NULL, 0, NULL, NULL}
E2B_API int e2b_artifacts_opts_init(e2b_artifacts_opts *opts, uint32_t version);

/* One transferred file. Strings borrowed from the list. */
typedef struct e2b_artifact {
    uint32_t version;          /* 1 */
    uint32_t reserved;
    const char *rel_path;      /* relative to the remote dir (download) / the file name (upload) */
    const char *remote_path;   /* absolute sandbox path */
    const char *local_path;
    int64_t size;              /* bytes transferred */
    const char *mime_type;     /* from the extension; "application/octet-stream" when unknown */
} e2b_artifact;
typedef struct e2b_artifact_list e2b_artifact_list;

/* Downloads every file under remote_dir matching one of the NULL-terminated `patterns` to
 * local_dir/<relative path> (directories created; existing files replaced). Symlinked files are
 * downloaded as files; symlinked directories are not descended. Errors: E2B_EFILE_NOT_FOUND
 * when remote_dir is missing or (without E2B_ARTIFACTS_F_ALLOW_EMPTY) a pattern matches nothing
 * — checked before anything is downloaded; E2B_EINVAL (remote_dir not a directory, no
 * pattern); E2B_ENOSPACE / E2B_ERROR for local write failures; E2B_EUSER (progress stop); the
 * e2b_files_* errors. On failure the files already downloaded stay (complete) and nothing
 * partial is left under a final name. *out (may be NULL) owned by the caller.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_artifacts_download(e2b_artifact_list **out, e2b_sandbox *sandbox,
                                   const char *remote_dir, const char *const *patterns,
                                   const char *local_dir, const e2b_artifacts_opts *opts);
/* Uploads the NULL-terminated local_files (regular files) to remote_dir/<file name>, each
 * streamed. E2B_EINVAL for a missing or non-regular local file or two files with one name
 * (checked before anything is sent). *out may be NULL. Thread: any, blocking. Since 0.1. */
E2B_API int e2b_artifacts_upload(e2b_artifact_list **out, e2b_sandbox *sandbox,
                                 const char *const *local_files, const char *remote_dir,
                                 const e2b_artifacts_opts *opts);
E2B_API size_t e2b_artifact_list_count(const e2b_artifact_list *list);
/* Borrowed, valid until e2b_artifact_list_free. NULL (E2B_EINVAL) when out of range. */
E2B_API const e2b_artifact *e2b_artifact_list_at(const e2b_artifact_list *list, size_t i);
E2B_API void e2b_artifact_list_free(e2b_artifact_list *list);

/* Workspace sync: a directory tree as ONE streamed tar (libarchive here, `tar` in the sandbox),
 * not one request per file. Regular files, directories (modes kept), symlinks (as symlinks) and
 * hard links are transferred; other entries (sockets, fifos, devices) are skipped. Every entry is
 * checked on our side in both directions: a path that is absolute or has a ".." segment, a
 * symlink whose target is absolute or leaves the tree, or a hard link to outside is rejected with
 * E2B_EINVAL ("unsafe tar entry ..."). Owners are not kept (files belong to the extracting user). */
#define E2B_WORKSPACE_F_TAR     0x1u  /* push: local_path is a tar file (plain or compressed);
                                         pull: remote_path is a tar file in the sandbox */
#define E2B_WORKSPACE_F_REPLACE 0x2u  /* pull: an existing local_dir is replaced (atomically) */

typedef struct e2b_workspace_opts {
    uint32_t version;              /* E2B_WORKSPACE_OPTS_VERSION */
    uint32_t flags;                /* E2B_WORKSPACE_F_* */
    const char *user;              /* NULL = the sandbox's default user (owner of what is made) */
    int64_t timeout_ms;            /* per request, as e2b_files_opts */
    e2b_progress_fn on_progress;   /* NULL = none */
    void *payload;
} e2b_workspace_opts;
#define E2B_WORKSPACE_OPTS_VERSION 1
#define E2B_WORKSPACE_OPTS_INIT {E2B_WORKSPACE_OPTS_VERSION, 0, NULL, 0, NULL, NULL}
E2B_API int e2b_workspace_opts_init(e2b_workspace_opts *opts, uint32_t version);

/* Push: the tree under local_path (or the tar file, E2B_WORKSPACE_F_TAR) is streamed as a tar to
 * a temp file in the sandbox's /tmp, then extracted into remote_dir (created if needed; existing
 * files overwritten, others kept). Nothing is extracted unless the whole upload arrived and
 * every entry passed the checks. entries_out (may be NULL): tar entries sent. Errors: E2B_EINVAL
 * (unsafe entry, local_path not a directory / readable tar), E2B_ERROR (tar failed in the
 * sandbox: the message has its stderr), E2B_EUSER, the e2b_files_* errors.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_workspace_push(e2b_sandbox *sandbox, const char *local_path, const char *remote_dir,
                               const e2b_workspace_opts *opts, uint32_t *entries_out);
/* Pull: remote_path (a directory, `tar -c` in the sandbox into a temp file; or a tar file with
 * E2B_WORKSPACE_F_TAR) is streamed into a fresh staging directory next to local_dir
 * ("<local_dir>.e2b-pull-XXXXXX"), which is renamed to local_dir only once every entry is
 * extracted. local_dir must not exist unless E2B_WORKSPACE_F_REPLACE, which exchanges the two
 * trees atomically (renameat2) and then deletes the old one. On any failure the staging
 * directory is removed and local_dir is untouched: no half-written tree under its name.
 * Errors: E2B_EINVAL (unsafe entry, local_dir exists, remote_path not a directory/file),
 * E2B_EFILE_NOT_FOUND, E2B_EPROTOCOL (not a tar), E2B_ERROR, E2B_EUSER, the e2b_files_* errors.
 * Thread: any, blocking. Since 0.1. */
E2B_API int e2b_workspace_pull(e2b_sandbox *sandbox, const char *remote_path, const char *local_dir,
                               const e2b_workspace_opts *opts, uint32_t *entries_out);

/* ---- Production layer: pool, cost, profiles, logs, stall detection, metrics -------------- */
/* (section: production B) */

/* -- Resource profiles (since 0.1) --
 * A profile names a size: light (1 vCPU, 512 MiB, 5 min), medium (2 vCPU, 2048 MiB, 30 min),
 * heavy (4 vCPU, 8192 MiB, 1 h), ml (8 vCPU, 16384 MiB, 1 h). e2b_sandbox_opts.profile applies
 * it; explicit cpu_count/memory_mb/timeout_ms in the same opts override the profile's values.
 * On the wire the resources travel as "cpuCount"/"memoryMB" in POST /sandboxes: an e2b-local
 * extension, which applies them as the sandbox's cgroup limits (cpu quota, memory limit). E2B's
 * API has no such fields (a template carries its resources) and ignores them: on E2B cloud, build
 * one template per profile (`e2b template build --cpu-count 4 --memory-mb 8192`) and pass its
 * name as template_id together with the profile, so the cost tracker knows the size. The
 * tracker always reads the sandbox's real size back (GET /sandboxes/{id}). */
typedef struct e2b_profile {
    uint32_t version;      /* 1 */
    int32_t cpu_count;
    int32_t memory_mb;
    int64_t timeout_ms;
} e2b_profile;
/* Looks a profile up by name. E2B_EINVAL for NULL or an unknown name (the message lists the
 * known ones). Thread: any, non-blocking. */
E2B_API int e2b_profile_get(e2b_profile *out, const char *name);

/* -- Warm pool (since 0.1) --
 * Keeps up to max_size sandboxes, min_idle of them created ahead of time, and hands them out.
 * The pool has no thread: background work (refill to min_idle, idle eviction, lifetime refresh
 * of idle sandboxes) is started from acquire, release and e2b_pool_maintain as non-blocking
 * requests whose completions run on the client's service thread. Why: a thread per pool would
 * be idle nearly always, and hosts with their own loop want to decide when work happens. An
 * engine that wants timely eviction while no acquire/release happens calls e2b_pool_maintain
 * periodically (e.g. every second). */
#define E2B_POOL_F_NO_HEALTH_CHECK 0x1u  /* hand out idle sandboxes without envd /health first */
typedef struct e2b_pool_opts {
    uint32_t version;                  /* E2B_POOL_OPTS_VERSION */
    const char *name;                  /* metrics label; NULL = "default"; copied */
    const e2b_sandbox_opts *sandbox;   /* how members are created; NULL = defaults; copied */
    uint32_t min_idle;                 /* kept warm; <= max_size */
    uint32_t max_size;                 /* idle + in use + being created; 0 = 4 */
    int64_t idle_timeout_ms;           /* idle sandboxes above min_idle are killed after; 0 = never */
    uint32_t max_reuse;                /* acquisitions per sandbox before it is killed; 0 = no limit */
    int64_t acquire_timeout_ms;        /* default wait when all max_size are in use; 0 = fail at once */
    uint32_t flags;                    /* E2B_POOL_F_* */
} e2b_pool_opts;
#define E2B_POOL_OPTS_VERSION 1
#define E2B_POOL_OPTS_INIT {E2B_POOL_OPTS_VERSION, NULL, NULL, 0, 0, 0, 0, 0, 0}
/* Fills *opts with defaults for `version`. E2B_EVERSION for 0 or an unknown version. */
E2B_API int e2b_pool_opts_init(e2b_pool_opts *opts, uint32_t version);
typedef struct e2b_pool e2b_pool;
/* Creates a pool and starts filling it (returns at once; min_idle sandboxes are created in the
 * background). *out owned by the caller (e2b_pool_free, before the client). Errors: E2B_EINVAL
 * (min_idle > max_size, bad sandbox opts), E2B_EVERSION. Thread: any, non-blocking. */
E2B_API int e2b_pool_new(e2b_pool **out, e2b_client *client, const e2b_pool_opts *opts);
/* A sandbox for exclusive use until e2b_pool_release: a warm one (health-checked unless
 * E2B_POOL_F_NO_HEALTH_CHECK: one that fails is killed and replaced, never handed out), else a
 * new one created on this thread while under max_size, else waits up to timeout_ms (< 0 = the
 * pool's acquire_timeout_ms) for a release. *out is owned by the pool: use it as any sandbox,
 * but give it back with e2b_pool_release, never e2b_sandbox_free. Errors: E2B_EPOOL_EXHAUSTED,
 * create errors (E2B_ETEMPLATE, ...), E2B_EINVAL after shutdown. Thread: any, blocking. */
E2B_API int e2b_pool_acquire(e2b_sandbox **out, e2b_pool *pool, int64_t timeout_ms);
#define E2B_POOL_RELEASE_F_DISCARD 0x1u  /* kill it instead of keeping it for reuse */
/* Gives an acquired sandbox back (the handle is released whatever happens after). It is kept
 * idle for the next acquire unless discarded, over max_reuse, or the pool is shut down (then it
 * is killed in the background). Free what was made from the handle first (e2b_exec, e2b_watch,
 * e2b_ws, e2b_code_exec, stall watches), as before e2b_sandbox_free: they refer to it. E2B_EINVAL (handle untouched) if it did not come from this pool.
 * Thread: any, non-blocking. */
E2B_API int e2b_pool_release(e2b_pool *pool, e2b_sandbox *sandbox, uint32_t flags);
/* Runs the pool's housekeeping now: evicts sandboxes idle past idle_timeout_ms, refreshes the
 * lifetime of idle ones past half their timeout, starts creates up to min_idle (after background
 * create failures, retries back off from 1 s to 30 s). Thread: any, non-blocking. */
E2B_API int e2b_pool_maintain(e2b_pool *pool);
typedef struct e2b_pool_stats {
    uint32_t version;          /* 1 */
    uint32_t idle;             /* warm, waiting */
    uint32_t active;           /* handed out */
    uint32_t creating;         /* being created */
    uint64_t created;          /* sandboxes this pool created */
    uint64_t reused;           /* acquisitions served by a sandbox used before */
    uint64_t replaced;         /* idle sandboxes that failed the health check */
    uint64_t evicted;          /* killed: idle timeout, reuse limit, discard */
    uint64_t exhausted;        /* acquisitions that failed with E2B_EPOOL_EXHAUSTED */
    uint64_t create_errors;
    uint64_t acquisitions;     /* successful acquisitions */
    double wait_p50_ms;        /* acquire wait percentiles over the last 1024 acquisitions */
    double wait_p95_ms;
} e2b_pool_stats;
/* Thread: any, non-blocking. */
E2B_API int e2b_pool_get_stats(e2b_pool *pool, e2b_pool_stats *out);
/* Shuts down and releases: waits for background creates, then kills every sandbox the pool
 * created and did not already kill, including ones still handed out (their handles are freed
 * here too: do not use them afterwards). Returns the first kill error (the pool is freed
 * anyway), or E2B_EMISUSE from inside a libe2b callback (then nothing is done or freed).
 * NULL is a no-op (E2B_OK). Thread: any, blocking. */
E2B_API int e2b_pool_free(e2b_pool *pool);

/* -- Cost tracking (since 0.1) --
 * Per client: every sandbox it created or connected to, with vCPUs, memory, start/end; running
 * time excludes paused time (tracked separately). A sandbox never killed ends at its deadline
 * (creation/connect + timeout, as extended by set_timeout). Prices default to E2B's published
 * $0.000014 per vCPU-second and $0.0000045 per GiB-second. */
typedef struct e2b_cost_totals {
    uint32_t version;          /* 1 */
    uint32_t sandboxes;
    double running_seconds;
    double paused_seconds;
    double vcpu_seconds;
    double gib_seconds;
    double cost_usd;           /* estimate from the price table */
} e2b_cost_totals;
/* Thread: any, non-blocking. */
E2B_API int e2b_cost_get_totals(e2b_client *client, e2b_cost_totals *out);
/* Sets prices from JSON {"vcpu_second": 0.000014, "gib_second": 0.0000045} (a missing key keeps
 * its value). E2B_EINVAL for malformed JSON, an unknown key, a non-number or a negative price
 * (prices unchanged). Thread: any, non-blocking. */
E2B_API int e2b_cost_set_prices(e2b_client *client, const char *json);
/* {"prices":{..},"totals":{..},"sandboxes":[{"sandbox_id","template_id","vcpu","memory_mb",
 * "started_at","ended_at"|null,"state","duration_seconds","running_seconds","paused_seconds",
 * "vcpu_seconds","gib_seconds","cost_usd"}]} into *out (caller disposes). Thread: any. */
E2B_API int e2b_cost_export_json(e2b_buf *out, e2b_client *client);

/* -- Structured logs (since 0.1) --
 * Every HTTP operation of a client emits one event when it ends (hooked where the transport
 * completes a request), plus lifecycle events (sandbox.create with the new id, pool.*, stall).
 * A line: {"ts":"<RFC 3339>","level":"info","event":"process.start","sandbox_id":"..."|null,
 * "duration_ms":12.5|null,"error":"<kind>"|null, ...} with optional "message", "status",
 * "bytes_in", "bytes_out", "attempts". Error kinds are e2b_status_str() with '_' for spaces.
 * Events: sandbox.create|connect|kill|pause|set_timeout|get_info|list, process.<rpc>,
 * filesystem.<rpc>, files.read|write, envd.health, pool.replaced|exhausted|shutdown, stall,
 * and the names given to e2b_log_emit / e2b_measure. */
/* Emits a user event (level E2B_LOG_*; sandbox_id and message may be NULL). Thread: any. */
E2B_API int e2b_log_emit(e2b_client *client, int32_t level, const char *event,
                         const char *sandbox_id, const char *message);
/* Times fn(payload): logs `event` with its duration and outcome (rc < 0 is an error code) and
 * records it in the e2b_user_operation_seconds{op="event"} histogram. Returns fn's result (or
 * E2B_EINVAL for NULL arguments without calling fn). Thread: any; fn runs on the caller's. */
E2B_API int e2b_measure(e2b_client *client, const char *event, const char *sandbox_id,
                        int (*fn)(void *payload), void *payload);

/* -- Stall detection (since 0.1) --
 * Heartbeats are the stdout/stderr events of commands: a watched command (or sandbox: any of its
 * commands started through this client) with no output for idle_ms raises on_stall once per
 * silence (re-armed by new output). With E2B_STALL_F_KILL the command (or sandbox) is killed
 * before on_stall runs. Watches run on the client's monitor thread (one per client, started by
 * the first watch or e2b_metrics_serve, stopped by e2b_client_free); on_stall is delivered like
 * other callbacks (the monitor thread in SERVICE_THREAD mode, e2b_client_dispatch in QUEUED;
 * blocking libe2b calls from it fail with E2B_EMISUSE); none runs after e2b_stall_watch_free.
 * For a sandbox's health use e2b_sandbox_is_running (envd /health); pools check it on acquire. */
#define E2B_STALL_F_KILL 0x1u
typedef struct e2b_stall_opts {
    uint32_t version;      /* E2B_STALL_OPTS_VERSION */
    int64_t idle_ms;       /* > 0 */
    uint32_t flags;        /* E2B_STALL_F_* */
    /* pid 0 for a sandbox watch; killed: 1 if E2B_STALL_F_KILL killed it, 0 if not or the kill
     * failed. sandbox_id valid during the call only. */
    void (*on_stall)(const char *sandbox_id, uint32_t pid, int64_t idle_ms, int32_t killed,
                     void *payload);
    void *payload;
} e2b_stall_opts;
#define E2B_STALL_OPTS_VERSION 1
#define E2B_STALL_OPTS_INIT {E2B_STALL_OPTS_VERSION, 0, 0, NULL, NULL}
/* Fills *opts with defaults for `version`. E2B_EVERSION for 0 or an unknown version. */
E2B_API int e2b_stall_opts_init(e2b_stall_opts *opts, uint32_t version);
typedef struct e2b_stall_watch e2b_stall_watch;
/* Starts watching; *out owned by the caller, freed (e2b_stall_watch_free) before the exec or
 * sandbox. E2B_EINVAL for idle_ms <= 0 or no on_stall. Thread: any, non-blocking. */
E2B_API int e2b_stall_watch_exec(e2b_stall_watch **out, e2b_exec *exec, const e2b_stall_opts *opts);
E2B_API int e2b_stall_watch_sandbox(e2b_stall_watch **out, e2b_sandbox *sandbox,
                                    const e2b_stall_opts *opts);
/* Stops watching; waits for a running on_stall of this watch unless called from it. NULL is a
 * no-op. Thread: any. */
E2B_API void e2b_stall_watch_free(e2b_stall_watch *watch);

/* -- Metrics (since 0.1) --
 * Prometheus text exposition format 0.0.4: e2b_sandboxes_created_total, e2b_sandbox_create_seconds
 * (histogram), e2b_command_seconds (histogram), e2b_requests_total{op}, e2b_request_seconds{op},
 * e2b_errors_total{kind}, e2b_bytes_received_total, e2b_bytes_sent_total,
 * e2b_command_output_bytes_total, e2b_user_operation_seconds{op}, e2b_cost_* gauges and, per
 * pool, e2b_pool_*{pool}. */
/* Renders the client's metrics into *out (caller disposes). Thread: any, non-blocking. */
E2B_API int e2b_metrics_render(e2b_buf *out, e2b_client *client);
/* Opt-in scrape endpoint: GET /metrics on 127.0.0.1:port (0 = a free port; never another
 * address), served from the client's monitor thread (one request at a time, 1 s I/O limit per
 * scrape). *bound_port (may be NULL) receives the port. E2B_EINVAL if already serving or the
 * port is taken. Thread: any. */
E2B_API int e2b_metrics_serve(e2b_client *client, uint16_t port, uint16_t *bound_port);
/* Stops the endpoint (closes the socket); no-op if not serving. Thread: any. */
E2B_API int e2b_metrics_serve_stop(e2b_client *client);

#ifdef __cplusplus
}
#endif

#endif /* E2B_H */
