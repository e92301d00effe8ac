"""Web: the ASGI application, its dependencies and error format."""
