//! HTTP and WebSocket round trips to servers started inside the sandbox.
use super::{count, Tracked};
use crate::common::{wait_until, Server};
use e2b::*;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HTTP_PORT: u16 = 18080;
const WS_PORT: u16 = 18081;

/// Echoes method, path, an X-Rust header and the body; /missing answers 404.
const HTTP_SERVER: &str = r#"
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def reply(self):
        data = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        body = ('%s %s %s\n' % (self.command, self.path, self.headers.get('X-Rust', '-'))).encode() + data
        self.send_response(404 if self.path.startswith('/missing') else 200)
        self.send_header('X-Served-By', 'rust-test')
        self.send_header('Set-Cookie', 'a=1')
        self.send_header('Set-Cookie', 'b=2')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = reply
    def log_message(self, *a): pass
HTTPServer(('0.0.0.0', 18080), H).serve_forever()
"#;

/// A stdlib WebSocket echo server: echoes text and binary messages; the text "close-me" makes
/// it close with 4000.
const WS_SERVER: &str = r#"
import socket, threading, hashlib, base64, struct
def recvn(c, n):
    b = b''
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x: raise EOFError
        b += x
    return b
def frame(op, data):
    n = len(data)
    h = struct.pack('!BB', 0x80 | op, n) if n < 126 else struct.pack('!BBH', 0x80 | op, 126, n) if n < 65536 else struct.pack('!BBQ', 0x80 | op, 127, n)
    return h + data
def serve(c):
    req = b''
    while b'\r\n\r\n' not in req:
        req += c.recv(4096)
    key = [l.split(b':', 1)[1].strip() for l in req.split(b'\r\n') if l.lower().startswith(b'sec-websocket-key')][0]
    acc = base64.b64encode(hashlib.sha1(key + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest())
    c.sendall(b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + acc + b'\r\n\r\n')
    closing = False
    try:
        while True:
            b0, b1 = recvn(c, 2)
            op, n = b0 & 15, b1 & 127
            if n == 126: n = struct.unpack('!H', recvn(c, 2))[0]
            elif n == 127: n = struct.unpack('!Q', recvn(c, 8))[0]
            mask = recvn(c, 4) if b1 & 128 else b'\0\0\0\0'
            raw = recvn(c, n)
            data = (int.from_bytes(raw, 'big') ^ int.from_bytes((mask * (n // 4 + 1))[:n], 'big')).to_bytes(n, 'big')
            if op == 8:
                if not closing: c.sendall(frame(8, data[:2]))
                break
            if op == 9:
                c.sendall(frame(10, data))
            elif op == 1 and data == b'close-me':
                closing = True
                c.sendall(frame(8, struct.pack('!H', 4000) + b'server bye'))
            else:
                c.sendall(frame(op, data))
    except EOFError:
        pass
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 18081))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

struct WsSink {
    msgs: Mutex<Vec<Message>>,
    close: Mutex<Option<(i32, Option<ErrorKind>)>>,
    threads: Mutex<Vec<std::thread::ThreadId>>,
}

fn ws_handlers(sink: &Arc<WsSink>, drops: &Arc<AtomicUsize>) -> WsHandlers {
    let (s1, s2) = (sink.clone(), sink.clone());
    let (t1, t2) = (Tracked(drops.clone()), Tracked(drops.clone()));
    WsHandlers::new()
        .on_message(move |m| {
            let _ = &t1;
            s1.threads.lock().unwrap().push(std::thread::current().id());
            s1.msgs.lock().unwrap().push(m);
        })
        .on_close(move |code, err| {
            let _ = &t2;
            *s2.close.lock().unwrap() = Some((code, err.map(|e| e.kind())));
        })
}

fn new_sink() -> Arc<WsSink> {
    Arc::new(WsSink { msgs: Mutex::new(Vec::new()), close: Mutex::new(None), threads: Mutex::new(Vec::new()) })
}

pub fn ports_http_and_websocket(s: &Server) {
    let client = s.client();
    let sbx = Sandbox::create(&client, &SandboxOptions::default()).unwrap();
    sbx.files().write("/tmp/http_srv.py", HTTP_SERVER).unwrap();
    sbx.files().write("/tmp/ws_srv.py", WS_SERVER).unwrap();
    let bg = CommandOptions { timeout: Some(Duration::ZERO), ..Default::default() };

    // Nothing listens yet: the proxy's 502 is a Network error, not a response.
    let e = sbx.port_request(HTTP_PORT, &PortRequest::get("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(e.http_status(), 502);
    let e = sbx.port_request(HTTP_PORT, &PortRequest::get("no-slash")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = sbx.port_request(HTTP_PORT, &PortRequest::get("/").header("X-Bad", "a\r\nb")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    let http = sbx.commands().start("python3 /tmp/http_srv.py", &bg, Handlers::new()).unwrap();
    let ws = sbx.commands().start("python3 /tmp/ws_srv.py", &bg, Handlers::new()).unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || sbx.port_request(HTTP_PORT, &PortRequest::get("/")).is_ok()),
        "HTTP server did not come up"
    );

    // HTTP round trips.
    let r = sbx.port_request(HTTP_PORT, &PortRequest::get("/hello?x=1").header("X-Rust", "yes")).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "GET /hello?x=1 yes\n");
    assert_eq!(r.header("x-served-by").as_deref(), Some("rust-test"), "case-insensitive lookup");
    assert_eq!(r.header("X-Absent"), None);
    let cookies: Vec<_> = r.headers().into_iter().filter(|(k, _)| k == "Set-Cookie").map(|(_, v)| v).collect();
    assert_eq!(cookies, ["a=1", "b=2"], "repeated headers kept");
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let r = sbx.port_request(HTTP_PORT, &PortRequest::post("/up", body.clone()).timeout(Duration::from_secs(20))).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.body()[..11], b"POST /up -\n");
    assert!(r.body()[11..] == body[..], "POST body echoed");
    let r = sbx.port_request(HTTP_PORT, &PortRequest::new("PUT", "/missing")).unwrap();
    assert_eq!(r.status(), 404, "any status is a response");

    // WebSocket: until the server listens, connecting fails with Network and frees the closures.
    let drops = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let (sock, sink) = loop {
        let sink = new_sink();
        match sbx.websocket(WS_PORT, "/echo", &WsOptions::default(), ws_handlers(&sink, &drops)) {
            Ok(w) => break (w, sink),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Network, "{e}");
                assert!(t0.elapsed() < Duration::from_secs(15), "WebSocket server did not come up");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let failed_before = count(&drops);
    assert_eq!(failed_before % 2, 0, "a failed connect frees both closures at once");

    sock.send_text("hello").unwrap();
    let bin: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
    sock.send_binary(&bin).unwrap();
    sock.send(&Message::Text("ünïcode".into())).unwrap();
    assert!(wait_until(Duration::from_secs(10), || sink.msgs.lock().unwrap().len() == 3));
    {
        let m = sink.msgs.lock().unwrap();
        assert_eq!(m[0], Message::Text("hello".into()));
        assert_eq!(m[1], Message::Binary(bin.clone()));
        assert_eq!(m[2], Message::Text("ünïcode".into()));
    }
    let main = std::thread::current().id();
    assert!(sink.threads.lock().unwrap().iter().all(|t| *t != main), "callbacks run on the service thread");
    assert_eq!(sock.buffered_amount(), 0);
    sock.close(1000, "done").unwrap();
    assert!(wait_until(Duration::from_secs(10), || sink.close.lock().unwrap().is_some()));
    assert_eq!(*sink.close.lock().unwrap(), Some((1000, None)));
    assert_eq!(count(&drops), failed_before + 2, "closures freed by on_close");
    assert_eq!(sock.send_text("late").unwrap_err().kind(), ErrorKind::Misuse);
    assert_eq!(sock.close(1000, "").unwrap_err().kind(), ErrorKind::Misuse);
    drop(sock);
    assert_eq!(count(&drops), failed_before + 2, "no double free");

    // The server closes: its code, no error.
    let sink = new_sink();
    let sock = sbx.websocket(WS_PORT, "/", &WsOptions::default(), ws_handlers(&sink, &drops)).unwrap();
    sock.send_text("close-me").unwrap();
    assert!(wait_until(Duration::from_secs(10), || sink.close.lock().unwrap().is_some()));
    assert_eq!(*sink.close.lock().unwrap(), Some((4000, None)));
    drop(sock);
    assert_eq!(count(&drops), failed_before + 4);

    // Dropped while open: no on_close, and the closures are freed with the handle.
    let sink = new_sink();
    let sock = sbx.websocket(WS_PORT, "/", &WsOptions::default(), ws_handlers(&sink, &drops)).unwrap();
    sock.send_text("x").unwrap();
    assert!(wait_until(Duration::from_secs(10), || !sink.msgs.lock().unwrap().is_empty()));
    drop(sock);
    assert_eq!(count(&drops), failed_before + 6);
    assert!(sink.close.lock().unwrap().is_none());

    // An incoming message over max_message_size ends the connection with Protocol.
    let sink = new_sink();
    let opts = WsOptions { max_message_size: 1000, ..Default::default() };
    let sock = sbx.websocket(WS_PORT, "/", &opts, ws_handlers(&sink, &drops)).unwrap();
    sock.send_binary(vec![1u8; 5000]).unwrap();
    assert!(wait_until(Duration::from_secs(10), || sink.close.lock().unwrap().is_some()));
    assert_eq!(sink.close.lock().unwrap().unwrap().1, Some(ErrorKind::Protocol));
    drop(sock);

    assert!(http.kill().unwrap());
    assert!(ws.kill().unwrap());
    drop((http, ws));
    sbx.kill().unwrap();
}
