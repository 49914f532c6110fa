"""Backup helper of kvs: the database as SQL, on stdout or into the file named by argv[1]."""
import sqlite3
import sys

conn = sqlite3.connect("/var/lib/kvs/data.sqlite")
out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
for line in conn.iterdump():
    out.write(line + "\n")
out.close()
