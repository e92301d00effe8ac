"""First start: schema up to date and a first administrator to log in with."""

from __future__ import annotations

from dataclasses import dataclass

from vigile import migrate
from vigile.auth import service as auth
from vigile.auth.passwords import generate_password
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction


@dataclass(frozen=True)
class FirstStart:
    """What the operator must be told: the admin created now and its password, if generated."""

    admin_created: bool
    username: str
    generated_password: str | None


def prepare(settings: Settings) -> FirstStart:
    """Apply migrations, then create the first admin when there is no user yet."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    migrate.upgrade(url)
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = given or generate_password()
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            created = auth.ensure_first_admin(session, settings.admin_username, password)
    finally:
        engine.dispose()
    return FirstStart(
        admin_created=created,
        username=settings.admin_username,
        generated_password=password if created and not given else None,
    )
