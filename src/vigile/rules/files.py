"""Reading a folder of Sigma rule files for import: relative path, text, hash, id (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

MAX_RULE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One rule file as stored in a version (``path`` relative to the imported folder)."""

    path: str
    text: str
    content_hash: str
    rule_id: str | None
    title: str | None
    level: str | None


def content_hash(text: str) -> str:
    """Hex SHA-256 of a rule file's text (its version)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(files: list[RuleFile]) -> str:
    """Hash of a whole set: every (path, content hash), in path order."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{f.path}\0{f.content_hash}\n".encode())
    return h.hexdigest()


def read_folder(root: Path) -> list[RuleFile]:
    """Every ``.yml``/``.yaml`` file under ``root`` (or ``root`` itself), sorted by path."""
    if root.is_file():
        paths, base = [root], root.parent
    elif root.is_dir():
        paths = sorted(p for p in [*root.rglob("*.yml"), *root.rglob("*.yaml")] if p.is_file())
        base = root
    else:
        raise FileNotFoundError(f"rule path not found: {root}")
    out = []
    for path in paths:
        if path.stat().st_size > MAX_RULE_BYTES:
            raise ValueError(f"{path}: larger than {MAX_RULE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        meta = _meta(text)
        out.append(
            RuleFile(
                path=path.relative_to(base).as_posix(),
                text=text,
                content_hash=content_hash(text),
                rule_id=_str(meta.get("id"), 200),
                title=_str(meta.get("title"), 500),
                level=_str(meta.get("level"), 32),
            )
        )
    return out


def from_texts(texts: dict[str, str]) -> list[RuleFile]:
    """Rule files given as {relative path: YAML text} (API import), sorted by path."""
    out = []
    for rel, text in sorted(texts.items()):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"unsafe rule path {rel!r}")
        if not rel.endswith((".yml", ".yaml")):
            raise ValueError(f"not a .yml/.yaml file: {rel!r}")
        meta = _meta(text)
        out.append(
            RuleFile(
                path=rel,
                text=text,
                content_hash=content_hash(text),
                rule_id=_str(meta.get("id"), 200),
                title=_str(meta.get("title"), 500),
                level=_str(meta.get("level"), 32),
            )
        )
    return out


def _meta(text: str) -> dict[str, Any]:
    """The first YAML document's mapping ({} when unreadable: the engine reports it)."""
    try:
        doc = next(yaml.safe_load_all(text), None)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _str(value: object, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None
