"""Generic JSON records: nested objects become dotted field names.

Sigma rules for JSON sources name nested fields with dots (``userIdentity.type`` for
CloudTrail, ``debugContext.debugData.requestUri`` for Okta), as Elastic and Splunk flatten
them, so ``{"a": {"b": 1}}`` gives ``a.b``. A list of scalars stays a list (a rule matches if
any element does); a list of objects gives, per dotted key, the list of its values — the
Elasticsearch reading of ``a.b`` over an array of objects. Flattening is iterative: the depth
orjson accepts (1024) cannot exhaust the Python stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from vigile.ingest.parsers.model import Event, ParseError, ParseOptions, finish
from vigile.ingest.parsers.timestamps import parse_epoch, parse_iso

_CHAR = re.compile(r"\(char (\d+)\)")
TIME_KEYS = ("@timestamp", "timestamp", "time", "eventTime", "ts", "date", "TimeCreated")
HOST_KEYS = ("host.name", "host.hostname", "hostname", "host", "Computer", "agent.hostname")


def load_object(raw: bytes) -> dict[str, Any]:
    """Decode one JSON object; anything else (array, scalar, invalid) is a ParseError."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        found = _CHAR.search(str(exc))
        raise ParseError(f"invalid JSON: {exc.msg}", int(found[1]) if found else 0) from None
    if not isinstance(obj, dict):
        raise ParseError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def json_text(value: Any) -> bytes:
    """JSON text of a decoded value. Decoders accept what orjson refuses to write (integers
    beyond 64 bits, NaN, lone surrogates, nesting past its 254 levels): those take the
    stdlib's ASCII-escaped spelling (or, past the stdlib's own recursion limit, ``repr``)
    instead of failing."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        try:
            return json.dumps(value).encode("ascii")
        except (ValueError, RecursionError):
            return repr(value).encode("utf-8", "backslashreplace")


def storable(value: Any) -> Any:
    """A decoded value as is when orjson can write it, else its JSON text (as a string)."""
    try:
        orjson.dumps(value)
    except TypeError:
        return json_text(value).decode("utf-8", "replace")
    return value


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted-name flattening (see the module docstring)."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = [(prefix, obj)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            # Pushed in reverse so that fields come out in document order.
            for key, item in reversed(value.items()):
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            merged: dict[str, list[Any]] = {}
            for item in value:
                if isinstance(item, dict):
                    for key, leaf in flatten(item).items():
                        merged.setdefault(key, []).append(leaf)
                else:
                    merged.setdefault("", []).append(item)
            for key, leaves in merged.items():
                name = f"{path}.{key}" if path and key else path or key
                out[name] = leaves
        else:
            out[path] = value
    return out


def json_time(value: Any, options: ParseOptions) -> Any:
    """A timestamp from a JSON value (ISO string or epoch number); ``None`` if unusable."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return parse_epoch(value)
        if isinstance(value, str) and value:
            return parse_iso(value, options.default_tz)
    except ParseError:
        return None
    return None


def first(fields: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` present with a scalar value."""
    for key in keys:
        value = fields.get(key)
        if value is not None and not isinstance(value, list | dict):
            return value
    return None


def from_object(obj: dict[str, Any], raw: bytes, options: ParseOptions) -> Event:
    """Normalise an already decoded generic JSON object."""
    fields = flatten(obj)
    return finish(
        "json",
        fields,
        raw,
        options,
        timestamp=json_time(first(fields, TIME_KEYS), options),
        host=first(fields, HOST_KEYS),
        logsource=None,
    )


def parse_json(raw: bytes, options: ParseOptions) -> Event:
    """Parse one generic JSON record."""
    return from_object(load_object(raw), raw, options)
