"""Elasticsearch ``_bulk`` requests and answers (pure).

The body is NDJSON: an action line (``{"index": {...}}`` or ``{"create": {...}}``) followed by
the document. ``update`` and ``delete`` are answered per item with an error: the event store
is append-only. An action line that is not JSON breaks the pairing of lines, so, as in
Elasticsearch, the whole request is refused; a bad *document* only fails its item.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import orjson

from vigile.ingest.intake import Incoming

ACTIONS = ("index", "create", "update", "delete")
VERSION = "8.11.0"
"""The Elasticsearch version announced at ``GET /`` (shippers pick their wire format by it)."""


class BulkFormatError(ValueError):
    """The request cannot be read as bulk pairs (answered 400, nothing stored)."""


@dataclass(slots=True)
class BulkItem:
    """One action: its verb, target index, client id, and the record (``None`` if refused)."""

    action: str
    index: str | None
    doc_id: str | None
    record: Incoming | None
    error: str | None = None


@dataclass(slots=True)
class BulkRequest:
    items: list[BulkItem] = field(default_factory=list)


def decode(body: bytes, default_index: str | None, default_source_type: str | None) -> BulkRequest:
    """Pair action and document lines; BulkFormatError when an action line is unusable."""
    lines = _lines(body)
    out = BulkRequest()
    # What each distinct action line says (shippers repeat one, e.g. {"create":{}}): read
    # once per request, not decoded again for every document.
    actions: dict[bytes, tuple[str, str | None, str | None, str | None]] = {}
    i = 0
    while i < len(lines):
        known = actions.get(lines[i])
        if known is None:
            known = actions[lines[i]] = _read_action(lines[i], i + 1, default_index)
        action, index, doc_id, explicit = known
        i += 1
        if action == "delete":
            out.items.append(BulkItem(action, index, doc_id, None, "append-only: delete refused"))
            continue
        if i >= len(lines):
            raise BulkFormatError(f"line {i}: action without a document")
        doc = lines[i]
        i += 1
        if action == "update":
            out.items.append(BulkItem(action, index, doc_id, None, "append-only: update refused"))
            continue
        source_type = explicit if explicit is not None else default_source_type
        # Positional arguments: a dataclass built with keywords costs ~25 % more per call.
        out.items.append(BulkItem(action, index, doc_id, Incoming(doc, source_type)))
    return out


def _lines(body: bytes) -> list[bytes]:
    """The lines of ``body`` that are neither empty nor all whitespace, as
    ``[line for line in body.split(b"\\n") if line and not line.isspace()]`` gives them.

    Read with ``BytesIO.readlines`` (which finds each newline with memchr): ``split`` tests
    every byte of a 1.5 MB body in turn, twice the instructions. A line keeps its newline
    there, hence the one appended to a body that lacks it and the ``[:-1]``; a line that is
    only whitespace with it is one that was empty or only whitespace without it.
    """
    if not body.endswith(b"\n"):
        body += b"\n"
    return [line[:-1] for line in BytesIO(body).readlines() if not line.isspace()]


def _read_action(
    line: bytes, number: int, default_index: str | None
) -> tuple[str, str | None, str | None, str | None]:
    """An action line's verb, target index, client id and explicit source type."""
    action, meta = _action(line, number)
    index = meta.get("_index") if isinstance(meta.get("_index"), str) else default_index
    doc_id = str(meta["_id"]) if meta.get("_id") is not None else None
    explicit = meta.get("source_type")
    return action, index, doc_id, explicit if isinstance(explicit, str) else None


def _action(line: bytes, number: int) -> tuple[str, dict[str, Any]]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BulkFormatError(f"line {number}: the action line is not JSON") from None
    if not isinstance(obj, dict) or len(obj) != 1:
        raise BulkFormatError(f"line {number}: an action line has exactly one key")
    action, meta = next(iter(obj.items()))
    if action not in ACTIONS:
        raise BulkFormatError(f"line {number}: unknown action {str(action)[:40]!r}")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise BulkFormatError(f"line {number}: the action's metadata is not an object")
    return action, meta


def item_created(item: BulkItem, event_id: str, offset: int) -> dict[str, Any]:
    """The answer for a stored document."""
    return {
        item.action: {
            "_index": item.index or "vigile",
            "_id": item.doc_id or event_id,
            "_version": 1,
            "result": "created",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": offset,
            "_primary_term": 1,
            "status": 201,
        }
    }


# item_created's answer after the id, as orjson writes it (``%d``: the offset).
_CREATED_TAIL = (
    b',"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},'
    b'"_seq_no":%d,"_primary_term":1,"status":201}}'
)


@functools.lru_cache(maxsize=64)
def _created_head(action: str, index: str | None) -> bytes:
    """item_created's answer up to its id, as orjson writes it (a batch shares one)."""
    return b'{%s:{"_index":%s,"_id":' % (orjson.dumps(action), orjson.dumps(index or "vigile"))


def created_json(item: BulkItem, event_id: str, offset: int) -> bytes:
    """``orjson.dumps(item_created(item, event_id, offset))`` without building the dicts:
    a 1,000-document request answers 1,000 of them."""
    return _created_head(item.action, item.index) + (
        orjson.dumps(item.doc_id or event_id) + _CREATED_TAIL % offset
    )


def answer_json(took: int, errors: bool, items: list[bytes]) -> bytes:
    """``orjson.dumps({"took": took, "errors": errors, "items": [...]})`` from the items'
    JSON texts."""
    return b'{"took":%d,"errors":%s,"items":[%s]}' % (
        took,
        b"true" if errors else b"false",
        b",".join(items),
    )


def item_failed(item: BulkItem, reason: str) -> dict[str, Any]:
    """The answer for a refused document (the record is in the quarantine)."""
    kind = "illegal_argument_exception" if item.record is None else "document_parsing_exception"
    return {
        item.action: {
            "_index": item.index or "vigile",
            "_id": item.doc_id,
            "status": 400,
            "error": {"type": kind, "reason": reason},
        }
    }


def error(status: int, kind: str, reason: str) -> dict[str, Any]:
    """A whole-request error in Elasticsearch's shape."""
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }


def cluster_info(name: str, uuid: str) -> dict[str, Any]:
    """What ``GET /`` answers: enough of a cluster root for Vector, Fluent Bit, Logstash and
    the opensearch/elasticsearch clients to accept the endpoint."""
    return {
        "name": name,
        "cluster_name": "vigile",
        "cluster_uuid": uuid,
        "version": {
            "number": VERSION,
            "build_flavor": "default",
            "build_type": "vigile",
            "build_hash": "vigile",
            "build_date": "2023-10-11T22:04:35.506990650Z",
            "build_snapshot": False,
            "lucene_version": "9.7.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }
