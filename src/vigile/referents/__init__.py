"""Client referents (contract art. 3): a primary and a backup per tenant, changes dated.

A slice of its own rather than modules of ``tenants`` so that its HTTP and CLI edges follow the
``routes.py`` / ``commands.py`` naming the import contracts know. It depends on ``tenants``;
``notify`` and ``incidents`` read the current referents through :mod:`vigile.referents.service`.
"""
