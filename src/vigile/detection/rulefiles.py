"""The rule files of rule paths (kept apart from the loader, so that loading a cached rule set
does not import pySigma).

Every start of ``vigile scan`` lists the rule folders (thousands of files) to key the cache, so
the walk uses :func:`os.scandir` (file types come from the directory entries, without a
``stat`` per file); it returns what ``Path.rglob`` would, in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

RULE_SUFFIXES = (".yml", ".yaml")


def is_rule_file(name: str) -> bool:
    """Whether ``rglob("*.yml")`` or ``rglob("*.yaml")`` matches the name (``.yml`` too)."""
    return name.endswith(RULE_SUFFIXES)


def path_suffix(name: str) -> str:
    """``PurePath(name).suffix``, without building a path (``.yml`` alone has none)."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def walk_files(root: str, wanted: Callable[[str], bool]) -> list[str]:
    """Files under the folder ``root`` (recursively) whose name is ``wanted``, as ``str`` of
    the paths that ``sorted(Path(root).rglob(...))`` gives, in that order.

    Sorting paths by components is visiting each folder's entries sorted by name, a
    subfolder's files at its place. Like ``rglob``: hidden entries are included, symbolic
    links to files are followed, links to folders are not descended into, unreadable folders
    are skipped. ``root`` is expected as ``str(Path(...))`` (normalised).
    """
    found: list[str] = []
    # Each frame: the folder's prefix and its remaining entries, in reverse order (popped).
    stack: list[tuple[str, list[os.DirEntry[str]]]] = []

    def push(folder: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError:
            return
        prefix = "" if folder == "." else folder if folder.endswith("/") else folder + "/"
        stack.append((prefix, entries))

    push(root)
    while stack:
        prefix, entries = stack[-1]
        if not entries:
            stack.pop()
            continue
        entry = entries.pop()
        name = entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                push(prefix + name)
            elif wanted(name) and entry.is_file():
                found.append(prefix + name)
        except OSError:
            continue
    return found


def rule_files(paths: Sequence[Path]) -> list[Path]:
    """Every ``.yml``/``.yaml`` file under the given folders/files, sorted per argument."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(map(Path, walk_files(str(path), is_rule_file)))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"rule path not found: {path}")
    return files
