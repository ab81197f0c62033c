"""How the processes of one platform tell each other things: a shared change epoch for caches
and a doorbell for the pipeline — a mapped file and a unix socket on one machine (SQLite), or
``LISTEN/NOTIFY`` through the database server (PostgreSQL)."""
