"""On-disk cache of compiled rule sets, keyed by rule file contents and engine version.

The key hashes every rule file's path and bytes, the placeholder values, this engine's
version and pySigma's version; any change gives a new key, so a stale cache is never used.
Files are written atomically (temp file + rename); an unreadable cache is ignored.

The key is computed at every start of ``vigile scan`` (thousands of rule files): files are read
with plain ``os.read`` calls. (How the garbage collector treats the ~150,000 objects unpickled
is the caller's choice: ``vigile scan`` freezes them.)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path

# Bump whenever compiled objects or matching semantics change (the engine's source files are
# hashed into the key as well, so a forgotten bump cannot serve stale compiled rules).
ENGINE_VERSION = "6"


def _engine_digest() -> bytes:
    h = hashlib.sha256()
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.digest()


def cache_key(files: Sequence[Path], placeholders: Mapping[str, Sequence[str]]) -> str:
    """Hex digest identifying one compiled rule set."""
    h = hashlib.sha256()
    h.update(f"{ENGINE_VERSION}\0{version('pysigma')}\0".encode())
    h.update(_engine_digest())
    for name in sorted(placeholders):
        h.update(f"{name}={list(placeholders[name])!r}\0".encode())
    sha256 = hashlib.sha256
    for path in files:
        name = os.fspath(path)
        h.update(name.encode() + b"\0")
        h.update(sha256(_read(name)).digest())
    return h.hexdigest()[:32]


def _read(name: str) -> bytes:
    """A file's bytes (``Path.read_bytes`` without its file object: a third of the key's
    cost for thousands of small rule files)."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"ruleset-{key}.pickle"


def load_cached(
    cache_dir: Path, files: Sequence[Path], placeholders: Mapping[str, Sequence[str]]
) -> object | None:
    """The cached object for these files, or ``None``."""
    return load_entry(cache_dir, cache_key(files, placeholders))


def load_entry(cache_dir: Path, key: str) -> object | None:
    """The cached object of a key (:func:`cache_key`), or ``None``."""
    try:
        data = _read(os.fspath(_path(cache_dir, key)))
    except OSError:
        return None
    try:
        obj: object = pickle.loads(data)
        return obj
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None


# The key last used for given rule paths, so that a caller can start loading its entry while
# the key (which reads every rule file) is being computed, and check it afterwards.


def _pointer(
    cache_dir: Path, paths: Sequence[Path], placeholders: Mapping[str, Sequence[str]]
) -> Path:
    h = hashlib.sha256(repr([os.fspath(p) for p in paths]).encode())
    for name in sorted(placeholders):
        h.update(f"\0{name}={list(placeholders[name])!r}".encode())
    return cache_dir / f"last-{h.hexdigest()[:32]}.key"


def last_key(
    cache_dir: Path, paths: Sequence[Path], placeholders: Mapping[str, Sequence[str]]
) -> str | None:
    """The key :func:`remember_key` noted for these rule paths, if any (a guess: check it)."""
    try:
        key = _pointer(cache_dir, paths, placeholders).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return key if len(key) == 32 and all(c in "0123456789abcdef" for c in key) else None


def remember_key(
    cache_dir: Path, paths: Sequence[Path], placeholders: Mapping[str, Sequence[str]], key: str
) -> None:
    """Note the key of the rule set loaded for these rule paths; failures are not errors."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        os.replace(tmp, _pointer(cache_dir, paths, placeholders))
    except OSError:
        pass


def store_cached(
    cache_dir: Path, files: Sequence[Path], placeholders: Mapping[str, Sequence[str]], obj: object
) -> None:
    """Write the cache entry atomically; failures to write are not errors."""
    store_entry(cache_dir, cache_key(files, placeholders), obj)


def store_entry(cache_dir: Path, key: str, obj: object) -> None:
    """Write the entry of a key (:func:`cache_key`) atomically; failures are not errors."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = _path(cache_dir, key)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
