"""The web console at ``/console``: server-rendered pages for senders and operators.

Jinja2 templates, htmx for partial updates and Chart.js for charts, all vendored in
``static/`` (no CDN). :func:`parcelsms.console.app.create_console` builds the ASGI app from a
:class:`~parcelsms.console.services.ConsoleServices`; the composition root mounts it beside
the API. Pages call the same use cases and storage ports as the API: the console holds no SQL
and no business rule of its own.
"""
