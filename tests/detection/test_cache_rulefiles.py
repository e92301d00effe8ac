"""The rule files that key the cache: the ``os.scandir`` walk lists what ``Path.rglob`` lists,
in the same order, and the key does not depend on how files are read."""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import pytest

from vigile.detection.cache import (
    ENGINE_VERSION,
    _engine_digest,
    cache_key,
    load_cached,
    store_cached,
)
from vigile.detection.rulefiles import path_suffix, rule_files, walk_files


def _tree(root: Path) -> None:
    for rel in (
        "a.yml",
        "b.yaml",
        "B.YML",
        "c.txt",
        ".hidden.yml",
        ".yml",
        "x.",
        "a-b/z.yml",
        "a/z.yml",
        "a/deep/er/y.yaml",
        ".dot/w.yml",
        "dir.yml/v.yml",
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    outside = root.parent / f"{root.name}-outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "linked.yml").write_text("x")
    (outside / "file.yml").write_text("x")
    (root / "linkdir").symlink_to(outside / "sub", target_is_directory=True)
    (root / "linkfile.yml").symlink_to(outside / "file.yml")
    (root / "dangling.yml").symlink_to(root / "missing.yml")


def _rglob(path: Path) -> list[Path]:
    found = [*path.rglob("*.yml"), *path.rglob("*.yaml")]
    return sorted(p for p in found if p.is_file())


def test_walk_equals_rglob(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    _tree(root)
    assert rule_files([root]) == _rglob(root)
    assert [str(p) for p in rule_files([root])] == [str(p) for p in _rglob(root)]
    wanted = (".yml", ".txt")
    by_rglob = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in wanted)

    def picked(name: str) -> bool:
        return path_suffix(name).lower() in wanted

    assert walk_files(str(root), picked) == [str(p) for p in by_rglob]


def test_walk_relative_and_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path / "rules")
    monkeypatch.chdir(tmp_path / "rules")
    assert [str(p) for p in rule_files([Path(".")])] == [str(p) for p in _rglob(Path("."))]
    monkeypatch.chdir(tmp_path)
    assert [str(p) for p in rule_files([Path("rules")])] == [str(p) for p in _rglob(Path("rules"))]


def test_path_suffix_is_pathlib_suffix() -> None:
    for name in ("a.yml", ".yml", "a.", "..yml", "a.b.yaml", "noext", "a..yml", "."):
        assert path_suffix(name) == Path(name).suffix or name == "."


def test_missing_rule_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="rule path not found"):
        rule_files([tmp_path / "nope"])


def test_key_hashes_contents_and_paths(tmp_path: Path) -> None:
    one, two = tmp_path / "one.yml", tmp_path / "two.yml"
    one.write_bytes(b"title: one\n" * 50_000)  # bigger than one read
    two.write_bytes(b"title: two\n")
    key = cache_key([one, two], {})
    assert key == cache_key([one, two], {})
    assert key != cache_key([two, one], {})
    assert key != cache_key([one, two], {"x": ["1"]})
    two.write_bytes(b"title: 2\n")
    assert key != cache_key([one, two], {})
    # The same key as hashing ``Path.read_bytes`` (caches written before stay valid).
    h = hashlib.sha256(f"{ENGINE_VERSION}\0{version('pysigma')}\0".encode())
    h.update(_engine_digest())
    for path in (one, two):
        h.update(str(path).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    assert cache_key([one, two], {}) == h.hexdigest()[:32]


def test_store_and_load(tmp_path: Path) -> None:
    rule = tmp_path / "r.yml"
    rule.write_text("title: r\n")
    cache = tmp_path / "cache"
    assert load_cached(cache, [rule], {}) is None
    store_cached(cache, [rule], {}, {"compiled": [1, 2, 3]})
    assert load_cached(cache, [rule], {}) == {"compiled": [1, 2, 3]}
    (next(cache.glob("ruleset-*.pickle"))).write_bytes(b"not a pickle")
    assert load_cached(cache, [rule], {}) is None
