# Test server run inside the sandbox: answers "<method> <path>|<X-Test header>|<body>" with the
# status taken from a ?status=N query (default 200) and an X-Echo header.
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

class Echo(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def handle_any(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n)
        status = int(parse_qs(urlparse(self.path).query).get('status', ['200'])[0])
        out = ('%s %s|%s|' % (self.command, self.path, self.headers.get('X-Test', ''))).encode() + body
        self.send_response(status)
        self.send_header('X-Echo', 'yes')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, *args):
        pass

ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), Echo).serve_forever()
