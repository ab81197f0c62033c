"""The storage engine: connections (SQLite, threaded), the batching writer, bulk statements,
the schema and its migrations, and the runner every room uses."""
