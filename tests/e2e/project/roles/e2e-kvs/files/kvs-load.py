"""Restore helper of kvs: replace the database by the SQL on stdin or in the file named by argv[1]."""
import sqlite3
import sys

sql = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
if "CREATE TABLE" not in sql:
    sys.exit("kvs-load: no SQL dump given")
conn = sqlite3.connect("/var/lib/kvs/data.sqlite")
conn.execute("DROP TABLE IF EXISTS kv")
conn.executescript(sql)
conn.commit()
print(f"kvs-load: {conn.execute('SELECT count(*) FROM kv').fetchone()[0]} rows")
