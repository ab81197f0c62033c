"""The HTTP API (Starlette + msgspec): ``create_app(ApiServices(...))``.

::

    api/
    ├── app.py              create_app: the route table of every resource, middleware, errors
    ├── services.py         ApiServices: everything the API is given (use cases built in bootstrap)
    ├── resources/          one module (or sub-package) per resource: its Structs, its
    │                       representations (record → Struct) and its endpoints class
    ├── route_table.py      ApiRoute: one entry per operation, the source of routing and OpenAPI
    ├── openapi.py          /openapi.json from the route table and the Structs' JSON Schemas
    ├── authentication.py   API keys (Bearer or signed requests), scopes, rates, operator token
    ├── signed_requests.py  the request-signing check
    ├── admin_audit.py      audit entries for operator routes that write none of their own
    ├── request_body.py     reading and decoding JSON bodies (size, nesting, UTF-8, fields)
    ├── error_responses.py  the catalogued error body and the request-id middleware
    ├── list_queries.py     query strings of paged listings
    ├── field_rules.py      field checks shared by several resources (language, template names)
    ├── value_formats.py    JSON Schema of values, shared by bodies and parameters
    └── static/             the vendored docs page (Swagger UI)
"""

from parcelsms.api.app import create_app
from parcelsms.api.services import ApiServices

__all__ = ["ApiServices", "create_app"]
