"""A real loopback HTTP server that records every request and answers from a route table."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from executions.benchmarks.server import ListeningServer


class Route:
    def __init__(self, status=200, json_body=None, text=None, headers=None, delay=0.0, sequence=None, gate=None):
        self.status, self.json_body, self.text = status, json_body, text
        self.headers = headers or {}
        self.delay = delay
        # A threading.Event: answers wait until the test sets it (at most 30 s), to hold a run mid-step.
        self.gate = gate
        # A list of (status, json_body) answered in turn; the last one repeats.
        self.sequence = list(sequence or [])
        self.calls = 0

    def answer(self):
        self.calls += 1
        if self.sequence:
            status, body = self.sequence[min(self.calls, len(self.sequence)) - 1]
            return status, body, None
        return self.status, self.json_body, self.text


class RecordingServer:
    """Serve routes on 127.0.0.1; keep each request (method, path, query, headers, body)."""

    def __init__(self):
        self.requests = []
        self.routes = {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                parts = urlsplit(self.path)
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.requests.append(
                        {
                            "method": self.command,
                            "path": parts.path,
                            "query": parse_qs(parts.query),
                            "headers": {k: v for k, v in self.headers.items()},
                            "body": body,
                            "raw": raw,
                            "at": time.monotonic(),
                        }
                    )
                    route = server.routes.get((self.command, parts.path)) or server.routes.get(("*", parts.path))
                    answer = route.answer() if route else (404, {"error": "no route"}, None)
                try:
                    if route and route.gate:
                        route.gate.wait(timeout=30)
                    if route and route.delay:
                        time.sleep(route.delay)
                    status, json_body, text = answer
                    payload = text.encode() if text is not None else json.dumps(json_body).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (route.headers if route else {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ListeningServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, method, path, status=200, json=None, **kwargs):
        """Answer `method path` (method "*" for any) with a status and JSON body."""
        self.routes[(method, path)] = Route(status=status, json_body=json, **kwargs)
        return self.url(path)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, method=None, path=None):
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r["method"] == method) and (path is None or r["path"] == path)
            ]
