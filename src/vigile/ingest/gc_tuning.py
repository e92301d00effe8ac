"""The cyclic garbage collector (and the C allocator) fitted to a long-running process: the
server, a detection process, a `vigile scan` worker."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

GC_YOUNG_THRESHOLD = 100_000


def tune_collector() -> None:
    """Fit the collector to a running pipeline process (call once it is built).

    What is alive then (the compiled rule set, the app) is frozen out of the collector's
    reach. Batches keep thousands of containers alive for a while (event dicts, without
    cycles, freed by reference counting): at CPython's default young threshold (700 net new
    containers) the collector ran ~130 times a second under load, rescanning them, 15-20 % of
    the server's wall time; collected every 100,000 instead (bench --quick: server CPU
    155-176 -> 144-149 us/event, RSS +35-70 MiB). In a detection process, where the rule set
    is most of the heap and batch objects reach the oldest generation, the same cut the
    analysis of a batch by ~15 % (5,000 corpus EVTX events: 116-124 -> 97-105 us/event,
    process time on a loaded machine, best of 3).
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
ALLOCATOR_SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 1024 * 1024,  # glibc's upper bound for it on 64-bit systems
    M_TRIM_THRESHOLD: 256 * 1024 * 1024,
    M_TOP_PAD: 16 * 1024 * 1024,
}


def tune_allocator() -> bool:
    """Keep the C heap's freed memory for reuse in a pipeline process (glibc only; returns
    whether every setting was taken).

    A batch moves megabytes per step (request bodies, spooled records, the detection results
    and their Arrow buffers). glibc maps blocks past its mmap threshold afresh and returns the
    heap's top past its trim threshold, so every batch page-faulted its memory in again: under
    the bulk bench, ~1.4 page faults per event in the detection processes (10,583 instead of
    313,771 in 15 s with these settings) and ~1.5 in the server (-38 %); syslog TCP processed
    27-29k -> 33-34k events/s, bulk within the runs' noise. Costs RSS: ~+20 MiB per process.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in ALLOCATOR_SETTINGS.items())


def tune_pipeline_process() -> None:
    """Both tunings, for a pipeline process once it is built: `vigile serve`'s and `vigile
    worker`'s, and each detection process (`vigile scan` workers take only the collector's)."""
    tune_collector()
    tune_allocator()
