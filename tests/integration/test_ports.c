/* Integration tests of sandbox ports (e2b.h "Ports"): plain HTTP and WebSockets to servers
 * started in a sandbox of a private e2b-local. Usage: test_ports [path/to/e2b-local]. Root. */
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

#define HTTP_PORT 3000
#define WS_PORT 8765
#define WS_PORT2 8766

static e2b_client *g_client;
static e2b_sandbox *g_sb;

/* Echo server: status from /status/<n>, body "<method> <path> <X-Test>|<request body>". */
static const char HTTP_SERVER[] =
    "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
    "class H(BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def do(self):\n"
    "        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))\n"
    "        st = int(self.path[8:].split('?')[0]) if self.path.startswith('/status/') else 200\n"
    "        out = ('%s %s %s|' % (self.command, self.path, self.headers.get('X-Test', ''))).encode() + body\n"
    "        self.send_response(st)\n"
    "        self.send_header('X-Echo-Method', self.command)\n"
    "        self.send_header('Content-Length', str(len(out)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(out)\n"
    "    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do\n"
    "    def log_message(self, *a): pass\n"
    "ThreadingHTTPServer(('0.0.0.0', 3000), H).serve_forever()\n";

/* Stdlib WebSocket echo server (no packages in the sandbox). Text commands: "close-me" (server
 * closes with 4001), "frag" (a 3-frame message), "big:N" (N bytes binary), "drop" (TCP close
 * without a close frame). Anything else is echoed with its opcode; fragments are reassembled. */
static const char WS_SERVER[] =
    "import socketserver, hashlib, base64, struct, sys\n"
    "G = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'\n"
    "def send(w, op, data, fin=True):\n"
    "    b0 = (0x80 if fin else 0) | op\n"
    "    n = len(data)\n"
    "    h = struct.pack('>BB', b0, n) if n < 126 else struct.pack('>BBH', b0, 126, n) if n < 65536 else struct.pack('>BBQ', b0, 127, n)\n"
    "    w.write(h + data)\n"
    "    w.flush()\n"
    "class H(socketserver.StreamRequestHandler):\n"
    "    def handle(self):\n"
    "        r, w = self.rfile, self.wfile\n"
    "        r.readline()\n"
    "        hd = {}\n"
    "        while True:\n"
    "            l = r.readline().decode().strip()\n"
    "            if not l: break\n"
    "            k, v = l.split(':', 1)\n"
    "            hd[k.strip().lower()] = v.strip()\n"
    "        if 'sec-websocket-key' not in hd:\n"
    "            w.write(b'HTTP/1.1 426 Upgrade Required\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n')\n"
    "            return\n"
    "        if 'x-refuse' in hd:\n"
    "            w.write(b'HTTP/1.1 403 Forbidden\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n')\n"
    "            return\n"
    "        acc = base64.b64encode(hashlib.sha1(hd['sec-websocket-key'].encode() + G).digest()).decode()\n"
    "        w.write(('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: %s\\r\\n\\r\\n' % acc).encode())\n"
    "        w.flush()\n"
    "        msg, mop, closing = b'', 0, False\n"
    "        while True:\n"
    "            h = r.read(2)\n"
    "            if len(h) < 2: return\n"
    "            fin, op, n = h[0] & 0x80, h[0] & 15, h[1] & 127\n"
    "            if n == 126: n = struct.unpack('>H', r.read(2))[0]\n"
    "            elif n == 127: n = struct.unpack('>Q', r.read(8))[0]\n"
    "            mask = r.read(4) if h[1] & 128 else b'\\0\\0\\0\\0'\n"
    "            data = r.read(n)\n"
    "            m = (mask * (n // 4 + 1))[:n]\n"
    "            data = (int.from_bytes(data, 'big') ^ int.from_bytes(m, 'big')).to_bytes(n, 'big')\n"
    "            if op == 8:\n"
    "                if not closing: send(w, 8, data[:2])\n"
    "                return\n"
    "            if op == 9:\n"
    "                send(w, 10, data)\n"
    "                continue\n"
    "            if op in (1, 2): msg, mop = data, op\n"
    "            else: msg += data\n"
    "            if not fin: continue\n"
    "            if mop == 1 and msg == b'close-me':\n"
    "                closing = True\n"
    "                send(w, 8, struct.pack('>H', 4001) + b'bye')\n"
    "            elif mop == 1 and msg == b'frag':\n"
    "                send(w, 1, b'he', False); send(w, 0, b'll', False); send(w, 0, b'o')\n"
    "            elif mop == 1 and msg.startswith(b'big:'):\n"
    "                send(w, 2, b'x' * int(msg[4:]))\n"
    "            elif mop == 1 and msg == b'drop':\n"
    "                return\n"
    "            else:\n"
    "                send(w, mop, msg)\n"
    "class S(socketserver.ThreadingMixIn, socketserver.TCPServer):\n"
    "    allow_reuse_address = True\n"
    "    daemon_threads = True\n"
    "S(('0.0.0.0', int(sys.argv[1])), H).serve_forever()\n";

static e2b_exec *start_bg(const char *cmd) {
    e2b_exec_opts o = E2B_EXEC_OPTS_INIT;
    o.timeout_ms = -1;
    e2b_exec *x = NULL;
    assert_int_equal(e2b_exec_start(&x, g_sb, cmd, &o, NULL), E2B_OK);
    return x;
}

/* Polls the port through the proxy until something listens (ENETWORK = not yet). */
static void wait_listening(e2b_sandbox *sb, uint16_t port) {
    int64_t deadline = harness_now_ms() + 15000;
    for (;;) {
        e2b_port_response r = E2B_PORT_RESPONSE_INIT;
        int rc = e2b_port_request(&r, sb, port, "GET", "/", NULL);
        e2b_port_response_dispose(&r);
        if (rc == E2B_OK) return;
        assert_int_equal(rc, E2B_ENETWORK);
        assert_true(harness_now_ms() < deadline);
        usleep(100000);
    }
}

/* ---- WebSocket event sink ---- */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *msgs[2048];
    size_t lens[2048];
    uint32_t flags[2048];
    int n;
    int closes;
    int32_t close_code;
    int close_err;
    int64_t close_ms;
    pthread_t cb_thread;
    int misuse_rc;  /* a blocking call made from inside on_message */
    e2b_sandbox *sb_for_misuse;
} sink;

static void sink_init(sink *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->misuse_rc = 1;
}
static void sink_clear(sink *s) {
    for (int i = 0; i < s->n; ++i) free(s->msgs[i]);
    s->n = 0;
}

static void on_msg(const void *d, size_t len, uint32_t flags, void *p) {
    sink *s = p;
    if (s->sb_for_misuse && s->misuse_rc == 1) {
        e2b_ws *w2 = NULL;
        s->misuse_rc = e2b_ws_connect(&w2, s->sb_for_misuse, WS_PORT, "/", NULL, NULL);
    }
    pthread_mutex_lock(&s->mu);
    if (s->n < 2048) {
        s->msgs[s->n] = malloc(len + 1);
        memcpy(s->msgs[s->n], d, len);
        s->msgs[s->n][len] = 0;
        s->lens[s->n] = len;
        s->flags[s->n] = flags;
        s->n++;
    }
    s->cb_thread = pthread_self();
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_close(int32_t code, const e2b_error *err, void *p) {
    sink *s = p;
    pthread_mutex_lock(&s->mu);
    s->closes++;
    s->close_code = code;
    s->close_err = err ? err->code : 0;
    s->close_ms = harness_now_ms();
    s->cb_thread = pthread_self();
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int wait_msgs(sink *s, int n, int ms) {
    int64_t deadline = harness_now_ms() + ms;
    pthread_mutex_lock(&s->mu);
    while (s->n < n && harness_now_ms() < deadline) {
        pthread_mutex_unlock(&s->mu);
        usleep(2000);
        pthread_mutex_lock(&s->mu);
    }
    int got = s->n;
    pthread_mutex_unlock(&s->mu);
    return got >= n;
}
static int wait_close(sink *s, int ms) {
    int64_t deadline = harness_now_ms() + ms;
    while (harness_now_ms() < deadline) {
        pthread_mutex_lock(&s->mu);
        int c = s->closes;
        pthread_mutex_unlock(&s->mu);
        if (c) return 1;
        usleep(2000);
    }
    return 0;
}

static e2b_ws *ws_open(e2b_sandbox *sb, uint16_t port, sink *s, const e2b_ws_opts *o) {
    e2b_ws_callbacks cb = E2B_WS_CALLBACKS_INIT;
    cb.on_message = on_msg;
    cb.on_close = on_close;
    cb.payload = s;
    e2b_ws *w = NULL;
    int rc = e2b_ws_connect(&w, sb, port, "/echo?x=1", o, &cb);
    if (rc) fprintf(stderr, "e2b_ws_connect: %s\n", e2b_error_last()->message);
    assert_int_equal(rc, E2B_OK);
    assert_non_null(w);
    return w;
}

/* ---- HTTP ---- */

/* Options structs: _init fills the defaults of a known version and refuses others. */
static void test_opts_init(void **state) {
    (void)state;
    e2b_port_request_opts po;
    memset(&po, 0xab, sizeof po);
    assert_int_equal(e2b_port_request_opts_init(&po, E2B_PORT_REQUEST_OPTS_VERSION), E2B_OK);
    assert_int_equal(po.version, E2B_PORT_REQUEST_OPTS_VERSION);
    assert_null(po.headers);
    assert_null(po.body);
    assert_int_equal(po.timeout_ms, 0);
    assert_int_equal(e2b_port_request_opts_init(&po, 0), E2B_EVERSION);
    assert_int_equal(e2b_port_request_opts_init(&po, 99), E2B_EVERSION);
    assert_int_equal(e2b_port_request_opts_init(NULL, 1), E2B_EINVAL);
    e2b_ws_opts wo;
    memset(&wo, 0xab, sizeof wo);
    assert_int_equal(e2b_ws_opts_init(&wo, E2B_WS_OPTS_VERSION), E2B_OK);
    assert_int_equal(wo.version, E2B_WS_OPTS_VERSION);
    assert_null(wo.headers);
    assert_int_equal(wo.max_message_size, 0);
    assert_int_equal(e2b_ws_opts_init(&wo, 2), E2B_EVERSION);
    assert_int_equal(e2b_ws_opts_init(NULL, 1), E2B_EINVAL);
}

static void test_http_roundtrip(void **state) {
    (void)state;
    e2b_port_response r = E2B_PORT_RESPONSE_INIT;
    e2b_port_request_opts o = E2B_PORT_REQUEST_OPTS_INIT;
    const char *hdrs[] = {"X-Test: abc", NULL};
    o.headers = hdrs;
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, NULL, "/hello?x=1", &o), E2B_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.ptr, "GET /hello?x=1 abc|");
    e2b_buf v = E2B_BUF_INIT;
    assert_int_equal(e2b_port_response_header(&r, "x-echo-method", &v), 1);
    assert_string_equal(v.ptr, "GET");
    e2b_buf_dispose(&v);
    assert_int_equal(e2b_port_response_header(&r, "X-Nope", &v), 0);
    e2b_port_response_dispose(&r);

    /* POST with a binary body, a non-2xx status passed through. */
    static char body[100000];
    for (size_t i = 0; i < sizeof body; ++i) body[i] = (char)(i * 7);
    o.body = body;
    o.body_len = sizeof body;
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "POST", "/status/201", &o), E2B_OK);
    assert_int_equal(r.status, 201);
    const char *prefix = "POST /status/201 abc|";
    assert_int_equal(r.body.size, strlen(prefix) + sizeof body);
    assert_memory_equal(r.body.ptr, prefix, strlen(prefix));
    assert_memory_equal(r.body.ptr + strlen(prefix), body, sizeof body);
    e2b_port_response_dispose(&r);

    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "DELETE", "/status/404", NULL), E2B_OK);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body.ptr, "DELETE /status/404 |");
    e2b_port_response_dispose(&r);
}

static void test_http_errors(void **state) {
    (void)state;
    e2b_port_response r = E2B_PORT_RESPONSE_INIT;
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_port_request(&r, g_sb, 3999, "GET", "/", NULL), E2B_ENETWORK);
    assert_int_equal(e2b_error_last()->http_status, 502);
    assert_non_null(strstr(e2b_error_last()->message, "port 3999"));
    assert_true(harness_now_ms() - t0 < 5000);
    assert_null(r.body.ptr);

    assert_int_equal(e2b_port_request(&r, g_sb, 0, "GET", "/", NULL), E2B_EINVAL);
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "GET", "nope", NULL), E2B_EINVAL);
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "G T", "/", NULL), E2B_EINVAL);
    assert_int_equal(e2b_port_request(NULL, g_sb, HTTP_PORT, "GET", "/", NULL), E2B_EINVAL);
    e2b_port_request_opts o = E2B_PORT_REQUEST_OPTS_INIT;
    const char *bad1[] = {"NoColon", NULL};
    const char *bad2[] = {"X-A: 1\r\nX-Injected: 2", NULL};
    o.headers = bad1;
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "GET", "/", &o), E2B_EINVAL);
    o.headers = bad2;
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "GET", "/", &o), E2B_EINVAL);
    o.headers = NULL;
    o.version = 99;
    assert_int_equal(e2b_port_request(&r, g_sb, HTTP_PORT, "GET", "/", &o), E2B_EVERSION);

    /* A WebSocket to a closed port and a refused upgrade. */
    e2b_ws *w = NULL;
    assert_int_equal(e2b_ws_connect(&w, g_sb, 3999, "/", NULL, NULL), E2B_ENETWORK);
    assert_int_equal(e2b_error_last()->http_status, 502);
    assert_null(w);
    e2b_ws_opts wo = E2B_WS_OPTS_INIT;
    const char *refuse[] = {"X-Refuse: 1", NULL};
    wo.headers = refuse;
    assert_int_equal(e2b_ws_connect(&w, g_sb, WS_PORT, "/", &wo, NULL), E2B_EPROTOCOL);
    assert_int_equal(e2b_error_last()->http_status, 403);
    /* An HTTP server is no WebSocket server. */
    assert_int_equal(e2b_ws_connect(&w, g_sb, HTTP_PORT, "/", NULL, NULL), E2B_EPROTOCOL);
    assert_int_equal(e2b_error_last()->http_status, 200);
    assert_int_equal(e2b_ws_connect(&w, g_sb, WS_PORT, "x", NULL, NULL), E2B_EINVAL);
    assert_null(w);
}

static void test_unknown_sandbox(void **state) {
    (void)state;
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, g_client, NULL), E2B_OK);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    e2b_port_response r = E2B_PORT_RESPONSE_INIT;
    assert_int_equal(e2b_port_request(&r, sb, HTTP_PORT, "GET", "/", NULL), E2B_ESANDBOX_NOT_FOUND);
    assert_non_null(strstr(e2b_error_last()->message, "not found"));
    e2b_ws *w = NULL;
    assert_int_equal(e2b_ws_connect(&w, sb, WS_PORT, "/", NULL, NULL), E2B_ESANDBOX_NOT_FOUND);
    assert_null(w);
    e2b_sandbox_free(sb);
}

/* ---- WebSockets ---- */

static void test_ws_echo(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "hi", 2, E2B_WS_TEXT), E2B_OK);
    assert_int_equal(e2b_ws_send(w, "a\0b", 3, E2B_WS_BINARY), E2B_OK);
    assert_int_equal(e2b_ws_send(w, NULL, 0, E2B_WS_TEXT), E2B_OK);
    assert_int_equal(e2b_ws_send(w, "frag", 4, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 4, 5000));
    assert_string_equal(s.msgs[0], "hi");
    assert_int_equal(s.flags[0], E2B_WS_TEXT);
    assert_int_equal(s.lens[1], 3);
    assert_memory_equal(s.msgs[1], "a\0b", 3);
    assert_int_equal(s.flags[1], E2B_WS_BINARY);
    assert_int_equal(s.lens[2], 0);
    assert_string_equal(s.msgs[3], "hello");  /* reassembled from 3 frames */
    sink_clear(&s);

    /* 1 MiB each way. */
    size_t big = 1u << 20;
    char *b = malloc(big);
    for (size_t i = 0; i < big; ++i) b[i] = (char)(i * 31 + 7);
    int64_t t0 = harness_now_ms();
    assert_int_equal(e2b_ws_send(w, b, big, E2B_WS_BINARY), E2B_OK);
    assert_true(wait_msgs(&s, 1, 20000));
    printf("  1 MiB echo round trip: %lld ms\n", (long long)(harness_now_ms() - t0));
    assert_int_equal(s.lens[0], big);
    assert_memory_equal(s.msgs[0], b, big);
    free(b);
    sink_clear(&s);
    assert_int_equal(e2b_ws_send(w, "big:3000000", 11, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 20000));
    assert_int_equal(s.lens[0], 3000000);
    sink_clear(&s);

    /* Many small messages, in order. */
    t0 = harness_now_ms();
    for (int i = 0; i < 1000; ++i) {
        char m[32];
        int n = snprintf(m, sizeof m, "m%d", i);
        assert_int_equal(e2b_ws_send(w, m, (size_t)n, E2B_WS_TEXT), E2B_OK);
    }
    assert_true(wait_msgs(&s, 1000, 20000));
    printf("  1000 small messages echoed in %lld ms\n", (long long)(harness_now_ms() - t0));
    for (int i = 0; i < 1000; ++i) {
        char m[32];
        snprintf(m, sizeof m, "m%d", i);
        assert_string_equal(s.msgs[i], m);
    }
    assert_int_equal(e2b_ws_buffered_amount(w), 0);
    sink_clear(&s);
    assert_int_equal(s.closes, 0);
    assert_int_equal(e2b_ws_send(w, "x", 1, 0), E2B_EINVAL);
    e2b_ws_free(w);
}

static void test_ws_close_by_client(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "last", 4, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 5000));
    assert_int_equal(e2b_ws_close(w, 1005, NULL), E2B_EINVAL);
    assert_int_equal(e2b_ws_close(w, 1000, "done"), E2B_OK);
    assert_int_equal(e2b_ws_send(w, "more", 4, E2B_WS_TEXT), E2B_EMISUSE);
    assert_int_equal(e2b_ws_close(w, 1000, NULL), E2B_EMISUSE);
    assert_true(wait_close(&s, 5000));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.msgs[0], "last");
    assert_int_equal(s.close_code, 1000);
    assert_int_equal(s.close_err, 0);
    usleep(100000);
    assert_int_equal(s.closes, 1);
    sink_clear(&s);
    e2b_ws_free(w);
}

static void test_ws_close_by_server(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "close-me", 8, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_close(&s, 5000));
    assert_int_equal(s.close_code, 4001);
    assert_int_equal(s.close_err, 0);
    assert_int_equal(e2b_ws_send(w, "x", 1, E2B_WS_TEXT), E2B_EMISUSE);
    e2b_ws_free(w);

    /* TCP closed without a close frame. */
    sink_init(&s);
    w = ws_open(g_sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "drop", 4, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_close(&s, 5000));
    assert_int_equal(s.close_code, 1006);
    assert_int_equal(s.close_err, E2B_ENETWORK);
    e2b_ws_free(w);
}

static void test_ws_server_killed(void **state) {
    (void)state;
    e2b_exec *srv = start_bg("python3 /tmp/ws.py 8766");
    wait_listening(g_sb, WS_PORT2);
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT2, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "ping", 4, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 5000));
    assert_int_equal(e2b_exec_kill(srv), E2B_OK);
    int64_t killed = harness_now_ms();
    assert_true(wait_close(&s, 1000));
    printf("  on_close %lld ms after the kill\n", (long long)(s.close_ms - killed));
    assert_int_equal(s.close_code, 1006);
    assert_int_equal(s.close_err, E2B_ENETWORK);
    sink_clear(&s);
    e2b_ws_free(w);
    e2b_exec_free(srv);
}

typedef struct {
    e2b_ws *w;
    int id;
} sender_arg;
static void *sender(void *p) {
    sender_arg *a = p;
    for (int i = 0; i < 200; ++i) {
        char m[32];
        int n = snprintf(m, sizeof m, "%d:%d", a->id, i);
        if (e2b_ws_send(a->w, m, (size_t)n, E2B_WS_TEXT) != E2B_OK) return (void *)1;
    }
    return NULL;
}

static void test_ws_send_from_threads(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, NULL);
    pthread_t th[4];
    sender_arg args[4];
    for (int i = 0; i < 4; ++i) {
        args[i] = (sender_arg){w, i};
        pthread_create(&th[i], NULL, sender, &args[i]);
    }
    for (int i = 0; i < 4; ++i) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    assert_true(wait_msgs(&s, 800, 20000));
    int next[4] = {0, 0, 0, 0};
    for (int i = 0; i < 800; ++i) {
        int id, k;
        assert_int_equal(sscanf(s.msgs[i], "%d:%d", &id, &k), 2);
        assert_int_equal(k, next[id]);  /* each thread's messages in its order */
        next[id]++;
    }
    assert_false(pthread_equal(s.cb_thread, pthread_self()));
    sink_clear(&s);
    e2b_ws_free(w);
}

static void test_ws_queued_delivery(void **state) {
    (void)state;
    e2b_client_opts co = harness_client_opts();
    co.delivery = E2B_DELIVERY_QUEUED;
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &co), E2B_OK);
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_connect(&sb, c, e2b_sandbox_id(g_sb), 0), E2B_OK);
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "q1", 2, E2B_WS_TEXT), E2B_OK);
    assert_int_equal(e2b_ws_send(w, "close-me", 8, E2B_WS_TEXT), E2B_OK);
    usleep(300000);
    assert_int_equal(s.n, 0);  /* nothing runs outside dispatch */
    assert_int_equal(s.closes, 0);
    int fd = e2b_client_wake_fd(c);
    assert_true(fd >= 0);
    int64_t deadline = harness_now_ms() + 5000;
    while (!s.closes && harness_now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, 100);
        e2b_client_dispatch(c, 0);
    }
    assert_int_equal(s.n, 1);
    assert_string_equal(s.msgs[0], "q1");
    assert_int_equal(s.closes, 1);
    assert_int_equal(s.close_code, 4001);
    assert_true(pthread_equal(s.cb_thread, pthread_self()));
    sink_clear(&s);
    e2b_ws_free(w);

    /* A connection still open when the client goes: on_close(ECANCELED) from e2b_client_free. */
    sink_init(&s);
    w = ws_open(sb, WS_PORT, &s, NULL);
    e2b_ws_free(w);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
    assert_int_equal(s.closes, 0);  /* freed first: no callback */
}

static void test_ws_free_while_open(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, NULL);
    for (int i = 0; i < 50; ++i) assert_int_equal(e2b_ws_send(w, "big:100000", 10, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 5000));
    e2b_ws_free(w);
    pthread_mutex_lock(&s.mu);
    int n = s.n, closes = s.closes;
    pthread_mutex_unlock(&s.mu);
    usleep(300000);
    assert_int_equal(s.n, n);  /* no callback after free */
    assert_int_equal(s.closes, closes);
    assert_int_equal(closes, 0);
    sink_clear(&s);
}

static void test_ws_limits_and_misuse(void **state) {
    (void)state;
    sink s;
    sink_init(&s);
    e2b_ws_opts o = E2B_WS_OPTS_INIT;
    o.max_message_size = 1000;
    e2b_ws *w = ws_open(g_sb, WS_PORT, &s, &o);
    assert_int_equal(e2b_ws_send(w, "big:1000", 8, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 5000));
    assert_int_equal(e2b_ws_send(w, "big:1001", 8, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_close(&s, 5000));
    assert_int_equal(s.close_code, 1009);
    assert_int_equal(s.close_err, E2B_EPROTOCOL);
    assert_int_equal(s.n, 1);
    sink_clear(&s);
    e2b_ws_free(w);

    /* A blocking call from inside a callback fails instead of deadlocking. */
    sink_init(&s);
    s.sb_for_misuse = g_sb;
    w = ws_open(g_sb, WS_PORT, &s, NULL);
    assert_int_equal(e2b_ws_send(w, "x", 1, E2B_WS_TEXT), E2B_OK);
    assert_true(wait_msgs(&s, 1, 5000));
    assert_int_equal(s.misuse_rc, E2B_EMISUSE);
    sink_clear(&s);
    e2b_ws_free(w);
    e2b_ws_free(NULL);
    assert_int_equal(e2b_ws_buffered_amount(NULL), 0);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_ports");
    if (begun != 0) return begun > 0 ? 0 : 1;
    e2b_client_opts o = harness_client_opts();
    if (e2b_client_new(&g_client, &o) != E2B_OK || e2b_sandbox_create(&g_sb, g_client, NULL) != E2B_OK) {
        fprintf(stderr, "setup: %s\n", e2b_error_last()->message);
        harness_server_stop();
        return 1;
    }
    if (e2b_files_write(g_sb, "/tmp/srv_http.py", HTTP_SERVER, strlen(HTTP_SERVER), NULL) ||
        e2b_files_write(g_sb, "/tmp/ws.py", WS_SERVER, strlen(WS_SERVER), NULL)) {
        fprintf(stderr, "setup: %s\n", e2b_error_last()->message);
        return 1;
    }
    e2b_exec_opts eo = E2B_EXEC_OPTS_INIT;
    eo.timeout_ms = -1;
    e2b_exec *http = NULL, *ws = NULL;
    if (e2b_exec_start(&http, g_sb, "python3 /tmp/srv_http.py", &eo, NULL) ||
        e2b_exec_start(&ws, g_sb, "python3 /tmp/ws.py 8765", &eo, NULL)) {
        fprintf(stderr, "setup: %s\n", e2b_error_last()->message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_init),
        cmocka_unit_test(test_http_roundtrip),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_unknown_sandbox),
        cmocka_unit_test(test_ws_echo),
        cmocka_unit_test(test_ws_close_by_client),
        cmocka_unit_test(test_ws_close_by_server),
        cmocka_unit_test(test_ws_server_killed),
        cmocka_unit_test(test_ws_send_from_threads),
        cmocka_unit_test(test_ws_queued_delivery),
        cmocka_unit_test(test_ws_free_while_open),
        cmocka_unit_test(test_ws_limits_and_misuse),
    };
    /* Both servers listen before the first test. */
    int64_t deadline = harness_now_ms() + 15000;
    for (uint16_t port = HTTP_PORT;; port = WS_PORT) {
        e2b_port_response r = E2B_PORT_RESPONSE_INIT;
        int rc;
        while ((rc = e2b_port_request(&r, g_sb, port, "GET", "/", NULL)) == E2B_ENETWORK &&
               harness_now_ms() < deadline)
            usleep(100000);
        e2b_port_response_dispose(&r);
        if (port == WS_PORT) break;
    }
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2b_exec_free(http);
    e2b_exec_free(ws);
    e2b_sandbox_free(g_sb);
    e2b_client_free(g_client);
    harness_server_stop();
    return rc;
}
