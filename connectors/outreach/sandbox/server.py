"""Serve a sandbox over real HTTP on 127.0.0.1 without Django (benchmarks)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.outreach.sandbox.state import OutreachSandbox, SandboxTimeout


def sandbox_serve(sandbox: OutreachSandbox, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; `server.server_address` has the port; `server.shutdown()` stops."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = f"http://{self.headers.get('Host') or host}{self.path}"
            try:
                status, headers, data = sandbox.handle(self.command, url, dict(self.headers.items()), body)
            except SandboxTimeout:
                status, headers, data = 504, {"Content-Type": "text/plain"}, b"Gateway Timeout"
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
