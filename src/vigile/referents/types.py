"""Domain types of the referents slice."""

from __future__ import annotations

from enum import StrEnum


class ReferentRole(StrEnum):
    """Contract art. 3: the client names a primary internal referent and a backup."""

    PRIMARY = "primary"
    BACKUP = "backup"


class Language(StrEnum):
    """Language of the messages a referent receives."""

    FR = "fr"
    EN = "en"
