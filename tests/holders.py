"""Another process holding a file, as a running `vigile serve` holds the spool and the store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held_by_another_process(opener: str, path: Path) -> Iterator[None]:
    """While inside, a Python process holds ``path``, opened by the statement ``opener``
    (which reads the path as ``sys.argv[1]``); it is killed on the way out."""
    code = f"import sys, time; {opener}; print('held', flush=True); time.sleep(120)"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
