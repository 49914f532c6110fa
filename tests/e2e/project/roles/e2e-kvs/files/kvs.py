"""Key/value store over HTTP backed by sqlite: GET / returns every row as 'key=value' lines."""
import http.server
import sqlite3

DB = "/var/lib/kvs/data.sqlite"


def rows():
    with sqlite3.connect(DB) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
        return conn.execute("SELECT k, v FROM kv ORDER BY k").fetchall()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = "".join(f"{k}={v}\n" for k, v in rows()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)


rows()
http.server.ThreadingHTTPServer(("", 8001), Handler).serve_forever()
