"""The web test world (tenants alpha and beta, users of every role) and its API client."""

from tests.web.conftest import client, world

__all__ = ["client", "world"]
