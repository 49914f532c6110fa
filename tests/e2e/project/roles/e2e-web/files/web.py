"""Web front: a page with the rows read from the kvs service."""
import http.server
import os
import urllib.request

VERSION = "v1"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with urllib.request.urlopen(os.environ["KVS_URL"], timeout=5) as resp:
                data = resp.read().decode()
            status = 200
        except OSError as exc:
            data, status = f"kvs unreachable: {exc}\n", 502
        body = f"<html><body><h1>hive e2e web {VERSION}</h1><pre>{data}</pre></body></html>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("", 8080), Handler).serve_forever()
