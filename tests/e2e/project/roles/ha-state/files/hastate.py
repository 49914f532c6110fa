"""A value kept on /data over HTTP: GET / returns it, PUT / replaces it (fsync'ed before the answer,
so what a client was told is stored survives a failover). `python3 hastate.py PORT`."""
import http.server
import os
import signal
import sys

VALUE = "/data/value"


def read() -> bytes:
    try:
        with open(VALUE, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def write(data: bytes) -> None:
    tmp = VALUE + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, VALUE)


class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._answer(read())

    def do_PUT(self):
        write(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self._answer(b"stored\n")

    def log_message(self, *args):
        pass


# PID 1 in the container: without a handler SIGTERM is ignored and every stop waits the grace period
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
http.server.ThreadingHTTPServer(("", int(sys.argv[1]) if len(sys.argv) > 1 else 8000), Handler).serve_forever()
