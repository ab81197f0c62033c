"""``/v1/messages``: the messages resource, too big for one module.

* :mod:`.schemas` — the request and response Structs and how a stored message becomes one;
* :mod:`.filters` — the query string of ``GET /v1/messages``;
* :mod:`.endpoints` — the handlers and their route table entries.
"""
