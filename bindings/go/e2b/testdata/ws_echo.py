# Minimal WebSocket echo server (stdlib only) run inside the sandbox. It echoes text and binary
# messages with their type; the text message "bye" makes it close with code 4000.
import base64, hashlib, socketserver, struct, sys

MAGIC = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

def frame(op, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack('>BB', 0x80 | op, n)
    elif n < 65536:
        head = struct.pack('>BBH', 0x80 | op, 126, n)
    else:
        head = struct.pack('>BBQ', 0x80 | op, 127, n)
    return head + payload

class WS(socketserver.StreamRequestHandler):
    def handle(self):
        rd, wr = self.rfile, self.wfile
        rd.readline()
        headers = {}
        for line in iter(lambda: rd.readline().strip(), b''):
            k, _, v = line.decode().partition(':')
            headers[k.strip().lower()] = v.strip()
        accept = base64.b64encode(hashlib.sha1(headers['sec-websocket-key'].encode() + MAGIC).digest())
        wr.write(b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                 b'Sec-WebSocket-Accept: ' + accept + b'\r\n\r\n')
        wr.flush()
        msg, kind = b'', 0
        while True:
            b = rd.read(2)
            if len(b) < 2:
                return
            fin, op, n = b[0] & 0x80, b[0] & 0x0F, b[1] & 0x7F
            if n == 126:
                n = struct.unpack('>H', rd.read(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', rd.read(8))[0]
            key = rd.read(4) if b[1] & 0x80 else b'\0\0\0\0'
            data = bytes(c ^ key[i % 4] for i, c in enumerate(rd.read(n)))
            if op == 8:  # close: answer with the same code
                wr.write(frame(8, data[:2]))
                wr.flush()
                return
            if op == 9:
                wr.write(frame(10, data))
                wr.flush()
                continue
            if op in (1, 2):
                msg, kind = data, op
            else:
                msg += data
            if not fin:
                continue
            if kind == 1 and msg == b'bye':
                wr.write(frame(8, struct.pack('>H', 4000) + b'bye'))
            else:
                wr.write(frame(kind, msg))
            wr.flush()

class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True

Server(('0.0.0.0', int(sys.argv[1])), WS).serve_forever()
