"""The API's handlers, grouped by resource; each group lists its own route table entries."""
