"""Demo web front: the rows of the db service's `messages` table, as HTML on 8080 and as JSON
on 8081; every page view increments a counter stored in the database."""
import html
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2


def read_database():
    with psycopg2.connect(host=os.environ["DB_HOST"], dbname=os.environ["DB_NAME"],
                          user=os.environ["DB_USER"], connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("UPDATE hits SET count = count + 1 WHERE id = 1 RETURNING count")
        hits = cur.fetchone()[0]
        cur.execute("SELECT body FROM messages ORDER BY id")
        return {"messages": [row[0] for row in cur.fetchall()], "hits": hits, "served_by": socket.gethostname()}


def html_page(data):
    items = "".join(f"<li>{html.escape(m)}</li>" for m in data["messages"])
    return (f"<!doctype html><title>hive-builder demo</title><h1>hive-builder demo</h1>"
            f"<ul>{items}</ul><p>page views (counted in PostgreSQL): {data['hits']}; "
            f"served by task container {html.escape(data['served_by'])}</p>\n")


class Handler(BaseHTTPRequestHandler):
    as_json = False

    def do_GET(self):
        try:
            data = read_database()
            status = 200
        except psycopg2.Error as exc:
            # collected on the repository server; monitor_error turns it into an error line
            print(f"Error: database unavailable: {str(exc).strip()}", file=sys.stderr, flush=True)
            data, status = {"error": str(exc).strip(), "messages": [], "hits": 0, "served_by": socket.gethostname()}, 503
        if self.as_json:
            body, ctype = json.dumps(data).encode(), "application/json"
        else:
            page = html_page(data) if status == 200 else f"database unavailable: {html.escape(data['error'])}\n"
            body, ctype = page.encode(), "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(body)


class JsonHandler(Handler):
    as_json = True


threading.Thread(target=ThreadingHTTPServer(("", 8081), JsonHandler).serve_forever, daemon=True).start()
ThreadingHTTPServer(("", 8080), Handler).serve_forever()
