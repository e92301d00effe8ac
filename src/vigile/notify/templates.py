"""Messages rendered from Jinja2 templates (``templates/<name>.<fr|en>.j2``).

A template's first line is ``Subject: …``, then a blank line, then the plain-text body.
Rendering is deterministic: a retried delivery sends the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from vigile.errors import InvalidInput

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("fr", "en")
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mail; webhooks carry it as a JSON string
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Rendered:
    """A message ready to send."""

    subject: str
    body: str


def render(name: str, language: str, context: dict[str, Any]) -> Rendered:
    """Render template ``name`` in ``language`` (fr or en) with ``context``."""
    if language not in LANGUAGES:
        raise InvalidInput(f"unsupported language {language!r}")
    text = _env.get_template(f"{name}.{language}.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"template {name}.{language} must start with 'Subject: '")
    return Rendered(subject=first.removeprefix("Subject: ").strip(), body=body.lstrip("\n"))
