"""A loopback HTTP server with an adjustable delay that counts requests and requests in flight."""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ListeningServer(ThreadingHTTPServer):
    """A threading HTTP server whose listen backlog takes a burst of new connections."""

    # Read by listen() in the constructor: the default backlog of 5 drops the SYNs of a burst
    # of new connections, which the client resends a second later.
    request_queue_size = 512
    daemon_threads = True


class LoopbackServer:
    """Answer every path on 127.0.0.1 with a small JSON body after `delay_ms`."""

    def __init__(self, delay_ms=0):
        self.delay_ms = delay_ms
        self.lock = threading.Lock()
        self.count = 0
        self.by_path = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a pooled client expects
            # Headers and body go out in separate writes: without this, Nagle and delayed ACKs
            # add ~40 ms to some responses.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with server.lock:
                    server.count += 1
                    server.by_path[self.path.split("?")[0]] += 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    number = server.count
                try:
                    if server.delay_ms:
                        time.sleep(server.delay_ms / 1000)
                    payload = json.dumps({"ok": True, "n": number, "path": self.path}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ListeningServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="bench-server")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def reset(self, delay_ms=None):
        """Zero the counters (and change the delay) before a measurement."""
        with self.lock:
            self.count = self.in_flight = self.max_in_flight = 0
            self.by_path.clear()
            if delay_ms is not None:
                self.delay_ms = delay_ms
