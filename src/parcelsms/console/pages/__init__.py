"""The console's pages, one module per area; each gives ``routes(services, cookies)``."""
