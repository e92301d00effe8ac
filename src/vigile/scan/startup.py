"""The start of ``vigile scan``, overlapped on two cores.

Before the first event is matched, the command needs the compiled rule set (unpickled from the
cache: about as long as the other steps together) and two things that read the disk: the cache
key (every rule file is listed and hashed) and the plan (every input listed). A forked helper
process computes the key and the plan while the parent unpickles the entry of the key last
used for the same rule paths; the parent then keeps that rule set only if the helper's key
equals it, so the result is exactly what :func:`load_ruleset` gives. Without ``fork``, or when
the helper fails, the same steps run one after the other.
"""

from __future__ import annotations

import gc
import os
import pickle
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigile.detection.cache import cache_key, last_key, load_entry, remember_key
from vigile.detection.rulefiles import rule_files
from vigile.scan.readers import InputError, WorkUnit, plan_files

if TYPE_CHECKING:
    from vigile.detection.engine import RuleSet
    from vigile.scan.service import Plan

# Allocations between two young-generation collections while the rule set loads: more than a
# cached rule set's objects, so that none runs during its unpickling.
LOAD_GC_THRESHOLD = 1_000_000


@contextmanager
def frozen_load() -> Iterator[None]:
    """Load long-lived objects out of the garbage collector's sight.

    The ~150,000 objects of a compiled rule set live until the command ends. Collected as
    usual, they are traversed again and again while they are unpickled and afterwards (as
    long as the load itself); frozen (:func:`gc.freeze`), never. A cold compile still
    collects (in its children too: the threshold is only raised).
    """
    threshold = gc.get_threshold()
    gc.set_threshold(LOAD_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*threshold)


# What the helper sends back: the rule set's cache key (``None`` if it could not be computed)
# and the plan (:func:`_pack`), or the message of an InputError.
_Result = tuple[str | None, Any]


def _pack(units: list[WorkUnit], sizes: list[int], errors: list[tuple[str, str]]) -> Any:
    """A plan in a form quick to send and to read back (thousands of units: a few strings
    rather than a tuple per unit)."""
    names = "\0".join(u.path for u in units)  # NUL: the one character no path contains
    kinds = "".join("e" if u.kind == "evtx" else "j" for u in units)
    ranges = [(u.start, u.end) for u in units if u.kind != "evtx"]
    return names, kinds, ranges, array("q", sizes).tobytes(), errors


def _unpack(packed: Any) -> tuple[list[WorkUnit], list[int], list[tuple[str, str]]]:
    names, kinds, ranges, sizes, errors = packed
    units: list[WorkUnit] = []
    if kinds:
        jsonl = iter(ranges)
        for name, kind in zip(names.split("\0"), kinds, strict=True):
            units.append(
                WorkUnit(name, "evtx") if kind == "e" else WorkUnit(name, "jsonl", *next(jsonl))
            )
    return units, array("q", sizes).tolist(), errors


def _compute(rule_paths: Sequence[Path], inputs: Sequence[Path]) -> _Result:
    try:
        key: str | None = cache_key(rule_files(rule_paths), {})
    except OSError:
        key = None
    try:
        units, sizes, errors = plan_files(inputs)
    except InputError as exc:
        return key, str(exc)
    return key, _pack(units, sizes, errors)


class Helper:
    """The forked process computing :func:`_compute`."""

    def __init__(self, rule_paths: Sequence[Path], inputs: Sequence[Path]) -> None:
        self.rule_paths, self.inputs = rule_paths, inputs
        self.pid = -1
        self.fd = -1
        if not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the helper: compute, send, and leave without any clean-up of the parent
            try:
                os.close(read)
                data = pickle.dumps(_compute(rule_paths, inputs), pickle.HIGHEST_PROTOCOL)
                view = memoryview(data)
                while view:
                    view = view[os.write(write, view) :]
            finally:
                os._exit(0)
        os.close(write)
        self.pid, self.fd = pid, read

    def result(self) -> _Result:
        """The helper's result (computed here if it is unavailable)."""
        if self.pid < 0:
            return _compute(self.rule_paths, self.inputs)
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.fd)
            os.waitpid(self.pid, 0)
        try:
            result: _Result = pickle.loads(b"".join(chunks))
        except (pickle.UnpicklingError, EOFError, ValueError):
            return _compute(self.rule_paths, self.inputs)
        return result


def start(
    rule_paths: Sequence[Path], inputs: Sequence[Path], cache_dir: Path
) -> tuple[RuleSet, Plan | InputError]:
    """The rule set (as :func:`load_ruleset` gives it, cached or compiled) and the plan of the
    inputs (or the :class:`InputError` that planning raised)."""
    started = time.perf_counter()
    helper = Helper(rule_paths, inputs)
    # Imported once the helper runs (the engine's imports are part of what it overlaps).
    from vigile.detection.engine import RuleSet, load_ruleset
    from vigile.scan.service import ScanError

    with frozen_load():
        guess = last_key(cache_dir, rule_paths, {})
        entry = load_entry(cache_dir, guess) if guess is not None else None
        key, planned = helper.result()
        if key is not None and key != guess:
            entry = load_entry(cache_dir, key)
        if key is not None and isinstance(entry, RuleSet):
            ruleset = entry
            ruleset.report.from_cache = True  # what load_ruleset sets on a cache hit
            ruleset.report.seconds = time.perf_counter() - started
        else:
            del entry
            ruleset = load_ruleset(rule_paths, cache_dir=cache_dir)
            if not ruleset.report.from_cache:
                gc.collect()  # the compiler's garbage, before the freeze
    if key is not None and key != guess:
        remember_key(cache_dir, rule_paths, {}, key)
    if isinstance(planned, str):
        return ruleset, InputError(planned)
    units, sizes, errors = _unpack(planned)
    return ruleset, (units, sizes, [ScanError(name, message) for name, message in errors])
