"""Benchmark of ``vigile scan`` on this machine, against parsing alone and the SQLite reference.

One run measures and prints:

(a) parsing the public EVTX corpus (copied as many times as needed to reach ``--min-records``)
    to Python dicts with the ``evtx`` package and ``orjson`` alone, with ``--workers`` processes;
(b) ``vigile scan`` (the real CLI, a subprocess) on the same files with all corpus rules: wall
    time and peak memory of its process tree; (a) and (b) are measured ``--pairs`` times in
    alternation, and the scan/parse target takes the median ratio (the speed of this machine's
    cores drifts by tens of percent from one second to the next);
(c) a subset of the same events through the pySigma-SQLite reference (``bench.reference_sqlite``);
(d) a generated JSON-lines set of ``--large-events`` events (the corpus events in the nested
    ``evtx`` shape, replicated with shifted record ids and times) through ``vigile scan``;
and the rule compilation time, cold (empty data dir) and cached (second start).

Usage: ``python bench/scan.py [--quick] [--workers N] [--pairs N] [--skip-reference]
[--keep-temp] [--scan-only]``
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reference_sqlite import (  # noqa: E402
    ReferenceEvaluator,
    convert_rules,
    corpus_rule_dirs,
    iter_evtx_events,
)

VIGILE = Path(sys.executable).with_name("vigile")
GB = 1024**3

TARGET_SCAN_VS_PARSE = 2.0
TARGET_VS_REFERENCE = 50.0
TARGET_LARGE_EPS = 50_000.0
TARGET_MEMORY = 1 * GB
TARGET_COMPILE_COLD = 10.0
TARGET_COMPILE_WARM = 1.0


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """A measured subprocess run."""

    seconds: float
    returncode: int
    peak_tree_rss: int
    peak_single_rss: int
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether the process exited with 0."""
        return self.returncode == 0


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids.extend(int(k) for k in fh.read().split())
    except OSError:
        pass
    return kids


def _tree_rss(pid: int) -> tuple[int, int]:
    total = largest = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        rss = _rss(current)
        total += rss
        largest = max(largest, rss)
        stack.extend(_children(current))
    return total, largest


def run_measured(command: Sequence[str], env: dict[str, str], timeout: float = 1800.0) -> Run:
    """Run ``command``, polling /proc for the peak RSS of its whole process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peaks = [0, 0]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            total, largest = _tree_rss(proc.pid)
            peaks[0] = max(peaks[0], total)
            peaks[1] = max(peaks[1], largest)
            stop.wait(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    poller.join()
    return Run(seconds, proc.returncode, peaks[0], peaks[1], stderr.decode(errors="replace"))


# --------------------------------------------------------------------------- inputs


def corpus_evtx_files(corpus: Path) -> list[Path]:
    """The EVTX files of the corpus, sorted."""
    return sorted(p for p in (corpus / "evtx").rglob("*") if p.suffix.lower() == ".evtx")


def _count_records(path: Path) -> int:
    import evtx

    return sum(1 for _ in evtx.PyEvtxParser(str(path)).records())


def replicate(files: Sequence[Path], source_root: Path, target: Path, copies: int) -> list[Path]:
    """Put ``copies`` copies of the files under ``target`` (hard links when possible)."""
    out = []
    for copy in range(copies):
        for path in files:
            dest = target / f"copy{copy:03d}" / path.relative_to(source_root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copyfile(path, dest)
            out.append(dest)
    return out


def _parse_file(path: str) -> int:
    import evtx

    loads = orjson.loads
    count = 0
    for record in evtx.PyEvtxParser(path, number_of_threads=1).records_json():
        loads(record["data"])
        count += 1
    return count


def parse_all(files: Sequence[Path], workers: int) -> tuple[int, float]:
    """Parse every file to dicts with ``workers`` processes; return (records, seconds)."""
    start = time.perf_counter()
    with get_context("fork").Pool(workers) as pool:
        records = sum(pool.imap_unordered(_parse_file, [str(f) for f in files], chunksize=1))
    return records, time.perf_counter() - start


_RID = 987_654_321_987_654
_TIME = "@@VIGILE-BENCH-TIME@@"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_MARKERS = re.compile(f"({_RID}|{_TIME})".encode())


def _templates(files: Sequence[Path]) -> list[tuple[list[bytes], int, datetime | None]]:
    """Each corpus event as JSON bytes split at its record id and time (odd items: markers)."""
    templates = []
    for _, event in iter_evtx_events(files):
        system = event.get("Event", {}).get("System", {})
        rid = system.get("EventRecordID")
        stamp = (system.get("TimeCreated") or {}).get("#attributes", {}).get("SystemTime")
        when = None
        if isinstance(stamp, str):
            try:
                when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                system["TimeCreated"]["#attributes"]["SystemTime"] = _TIME
            except ValueError:
                when = None
        base = int(rid) if isinstance(rid, int | str) and str(rid).isdigit() else 0
        system["EventRecordID"] = _RID
        parts = _MARKERS.split(orjson.dumps(event))
        templates.append((parts, base, when))
    return templates


def write_large_jsonl(files: Sequence[Path], target: Path, events: int) -> int:
    """Stream ``events`` JSON lines (corpus events, shifted ids and times) into ``target``."""
    templates = _templates(files)
    rid_marker, time_marker = str(_RID).encode(), _TIME.encode()
    written = 0
    with target.open("wb", buffering=8 * 1024 * 1024) as out:
        for rep in range(math.ceil(events / len(templates))):
            shift = timedelta(days=rep)
            offset = rep * 10_000_000
            chunk: list[bytes] = []
            for parts, base, when in templates:
                if written >= events:
                    break
                values = {rid_marker: str(base + offset).encode()}
                if when is not None:
                    values[time_marker] = (when + shift).strftime(_TIME_FORMAT).encode()
                chunk.append(
                    b"".join(values.get(p, p) if i % 2 else p for i, p in enumerate(parts))
                )
                chunk.append(b"\n")
                written += 1
            out.write(b"".join(chunk))
    return written


# --------------------------------------------------------------------------- the bench


@dataclass
class Report:
    """Figures of one run, printed at the end."""

    lines: list[str] = field(default_factory=list)
    verdicts: list[tuple[str, str, str]] = field(default_factory=list)

    def say(self, text: str) -> None:
        """Print a line now and keep it for the summary."""
        print(text, flush=True)
        self.lines.append(text)

    def target(self, name: str, ok: bool | None, detail: str) -> None:
        """Record a target's verdict (``None``: could not be measured)."""
        verdict = "UNAVAILABLE" if ok is None else ("PASS" if ok else "FAIL")
        self.verdicts.append((name, verdict, detail))


def _scan_command(rules: Sequence[Path], inputs: Sequence[Path], workers: int) -> list[str]:
    command = [str(VIGILE), "scan"]
    for folder in rules:
        command += ["--rules", str(folder)]
    command += ["--format", "jsonl", "--output", os.devnull, "--workers", str(workers)]
    return command + [str(p) for p in inputs]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGILE_")}
    env["VIGILE_DATA_DIR"] = str(data_dir)
    return env


_COMPILE_SNIPPET = """
import sys, time
from pathlib import Path
start = time.perf_counter()
from vigile.detection.engine import load_ruleset
rs = load_ruleset([Path(p) for p in sys.argv[2:]], cache_dir=Path(sys.argv[1]))
print(time.perf_counter() - start, rs.report.seconds, int(rs.report.from_cache), rs.report.compiled)
"""


def measure_compile(rules: Sequence[Path], cache_dir: Path) -> tuple[float, float, int] | None:
    """(cold, warm) seconds of ``load_ruleset`` in fresh processes, and rules compiled."""
    results = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _COMPILE_SNIPPET, str(cache_dir), *map(str, rules)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"  compile measurement unavailable: {done.stderr.strip()[-300:]}")
            return None
        total, _, _, compiled = done.stdout.split()
        results.append((float(total), int(compiled)))
    return results[0][0], results[1][0], results[0][1]


def _rate(events: int, seconds: float) -> str:
    return f"{events:,} events in {seconds:.2f} s = {events / seconds:,.0f} events/s"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures and the PASS/FAIL of each target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--keep-temp", action="store_true")
    parser.add_argument("--min-records", type=int)
    parser.add_argument("--large-events", type=int)
    parser.add_argument("--reference-events", type=int)
    parser.add_argument(
        "--scan-only",
        action="store_true",
        help="only (a) parse and (b) scan: no compile timing, reference or large set",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=5,
        help="(a)+(b) pairs measured in alternation (the target takes their median ratio)",
    )
    args = parser.parse_args(argv)
    min_records = args.min_records or (20_000 if args.quick else 200_000)
    large_events = args.large_events or (200_000 if args.quick else 2_000_000)
    reference_events = args.reference_events or (2_000 if args.quick else 10_000)
    workers = max(1, args.workers)

    from vigile.config import Settings

    corpus = Settings().corpus.resolve()
    rules = corpus_rule_dirs(corpus)
    source = corpus_evtx_files(corpus)
    if not source:
        print(f"no EVTX files under {corpus / 'evtx'}", file=sys.stderr)
        return 2
    temp = Path(tempfile.mkdtemp(prefix="vigile-bench-"))
    report = Report()
    report.say(f"machine: {os.cpu_count()} CPUs; workers: {workers}; temp: {temp}")
    try:
        if args.scan_only:
            return _scan_only(source, corpus, rules, temp, min_records, workers, args.pairs)
        # Rule compilation, cold then cached (the engine caches under VIGILE_DATA_DIR).
        report.say("\n== rule compilation")
        compiled = measure_compile(rules, temp / "compile-cache")
        if compiled is None:
            report.target("compile cold < 10 s", None, "engine API unavailable")
            report.target("compile cached < 1 s", None, "engine API unavailable")
        else:
            cold, warm, count = compiled
            report.say(f"  {count} rules; cold {cold:.2f} s, cached {warm:.2f} s (incl. imports)")
            report.target("compile cold < 10 s", cold < TARGET_COMPILE_COLD, f"{cold:.2f} s")
            report.target("compile cached < 1 s", warm < TARGET_COMPILE_WARM, f"{warm:.2f} s")

        # (a) parsing alone and (b) vigile scan on the same files, in alternated pairs: the
        # speed of this machine's cores drifts by tens of percent from one second to the next,
        # so the target takes the median ratio of the pairs.
        files, copies = _replicated(source, corpus, temp, min_records)
        report.say(f"\n== (a) parse and (b) vigile scan: {len(source)} files x {copies} copies")
        report.say(f"  (a) evtx+orjson, {workers} processes; (b) all corpus rules, from cache")
        data_dir = temp / "data"
        pairs = _pairs(files, rules, temp / "evtx", data_dir, workers, args.pairs)
        scan_eps: float | None = None
        if not pairs:
            for name in ("scan <= 2x parse", "scan >= 50x reference", "peak memory < 1 GB"):
                report.target(name, None, "vigile scan unavailable")
        else:
            parse_records = pairs[0].records
            ratio = statistics.median([p.ratio for p in pairs])
            scan_seconds = statistics.median([p.scan.seconds for p in pairs])
            scan_eps = parse_records / scan_seconds
            scan = max(pairs, key=lambda p: p.scan.peak_tree_rss).scan
            report.say(f"  (b) median {_rate(parse_records, scan_seconds)}")
            report.say(
                f"  peak RSS: process tree {scan.peak_tree_rss / 2**20:,.0f} MiB, "
                f"largest process {scan.peak_single_rss / 2**20:,.0f} MiB"
            )
            report.say(f"  ratio scan/parse time: median {ratio:.2f}x of {len(pairs)} pairs")
            report.target("scan <= 2x parse", ratio <= TARGET_SCAN_VS_PARSE, f"{ratio:.2f}x")

        # (c) the reference on a subset of the same events
        report.say(f"\n== (c) pySigma-SQLite reference, first {reference_events:,} events")
        if args.skip_reference:
            report.say("  skipped (--skip-reference)")
            report.target("scan >= 50x reference", None, "reference skipped")
        else:
            start = time.perf_counter()
            converted = convert_rules(rules, temp / "reference-cache")
            convert_seconds = time.perf_counter() - start
            evaluator = ReferenceEvaluator(converted)
            subset = _first(iter_evtx_events(source), reference_events)
            result = evaluator.evaluate(subset)
            ref_seconds = result.load_seconds + result.query_seconds
            ref_eps = result.events / ref_seconds
            report.say(
                f"  {len(result.counts)} rules ran ({len(result.failures)} failed), "
                f"conversion {convert_seconds:.1f} s (not counted)"
            )
            report.say(
                f"  {_rate(result.events, ref_seconds)} "
                f"(load {result.load_seconds:.2f} s, queries {result.query_seconds:.2f} s)"
            )
            if scan_eps is not None:
                ratio = scan_eps / ref_eps
                report.say(f"  ratio scan/reference events/s: {ratio:,.1f}x")
                passed = ratio >= TARGET_VS_REFERENCE
                report.target("scan >= 50x reference", passed, f"{ratio:.1f}x")

        # (d) large JSON-lines set
        report.say(f"\n== (d) large JSON-lines set: {large_events:,} events")
        large = temp / "large" / "events.jsonl"
        large.parent.mkdir()
        start = time.perf_counter()
        written = write_large_jsonl(source, large, large_events)
        size = large.stat().st_size
        report.say(
            f"  generated {written:,} events, {size / 2**30:.2f} GiB in "
            f"{time.perf_counter() - start:.1f} s (evtx-nested JSON)"
        )
        big = run_measured(_scan_command(rules, [large], workers), _env(data_dir))
        if not big.ok:
            report.say(f"  unavailable: exit {big.returncode}: {big.stderr.strip()[-300:]}")
            report.target(">= 50k events/s on large set", None, "vigile scan unavailable")
        else:
            eps = written / big.seconds
            report.say(f"  {_rate(written, big.seconds)}; {size / big.seconds / 2**20:,.0f} MiB/s")
            report.say(
                f"  peak RSS: process tree {big.peak_tree_rss / 2**20:,.0f} MiB, "
                f"largest process {big.peak_single_rss / 2**20:,.0f} MiB"
            )
            report.target(">= 50k events/s on large set", eps >= TARGET_LARGE_EPS, f"{eps:,.0f}/s")
            if pairs:
                peak = max(scan.peak_tree_rss, big.peak_tree_rss)
                detail = f"{peak / 2**20:,.0f} MiB"
                report.target("peak memory < 1 GB", peak < TARGET_MEMORY, detail)

        print("\n== targets")
        for name, verdict, detail in report.verdicts:
            print(f"  {verdict:<11} {name:<32} {detail}")
        return 0 if all(v == "PASS" for _, v, _ in report.verdicts) else 1
    finally:
        if args.keep_temp:
            print(f"\nkept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)


@dataclass(frozen=True)
class Pair:
    """One (a) parse then (b) scan of the same files."""

    records: int
    parse_seconds: float
    parse_cpu: float
    scan: Run
    scan_cpu: float

    @property
    def ratio(self) -> float:
        return self.scan.seconds / self.parse_seconds

    @property
    def cpu_ratio(self) -> float:
        return self.scan_cpu / self.parse_cpu


def _replicated(
    source: Sequence[Path], corpus: Path, temp: Path, min_records: int
) -> tuple[list[Path], int]:
    """The corpus EVTX files copied under ``temp`` as many times as ``min_records`` needs,
    and that number of copies."""
    per_copy = sum(_count_records(p) for p in source)
    copies = max(1, math.ceil(min_records / per_copy))
    return replicate(source, corpus / "evtx", temp / "evtx", copies), copies


def _pairs(
    files: Sequence[Path],
    rules: Sequence[Path],
    folder: Path,
    data_dir: Path,
    workers: int,
    count: int,
) -> list[Pair]:
    """After a warm-up scan (it fills the rule cache), (a) then (b), ``count`` times in
    alternation (a load or speed change of the machine then hits both sides alike), each pair
    printed; ``[]`` (with the reason printed) if a scan fails."""
    warmup = run_measured(_scan_command(rules, [files[0]], workers), _env(data_dir))
    if not warmup.ok:
        print(f"  scan unavailable: exit {warmup.returncode}: {warmup.stderr.strip()[-300:]}")
        return []
    pairs: list[Pair] = []
    for i in range(max(1, count)):
        before = _children_cpu()
        records, parse_seconds = parse_all(files, workers)
        parse_cpu = _children_cpu() - before
        before = _children_cpu()
        scan = run_measured(_scan_command(rules, [folder], workers), _env(data_dir))
        scan_cpu = _children_cpu() - before
        if not scan.ok:
            print(f"  scan failed: exit {scan.returncode}: {scan.stderr.strip()[-300:]}")
            return []
        pair = Pair(records, parse_seconds, parse_cpu, scan, scan_cpu)
        pairs.append(pair)
        print(
            f"  pair {i + 1}: {records:,} records; parse {parse_seconds:.2f} s, "
            f"scan {scan.seconds:.2f} s, ratio {pair.ratio:.2f}x "
            f"(CPU time: parse {parse_cpu:.2f} s, scan {scan_cpu:.2f} s, {pair.cpu_ratio:.2f}x)",
            flush=True,
        )
    return pairs


def _scan_only(
    source: Sequence[Path],
    corpus: Path,
    rules: Sequence[Path],
    temp: Path,
    min_records: int,
    workers: int,
    count: int,
) -> int:
    """(a) then (b) only, ``count`` pairs; prints each ratio and the spread. Exit 1 if a
    scan fails."""
    files, _ = _replicated(source, corpus, temp, min_records)
    pairs = _pairs(files, rules, temp / "evtx", temp / "data", workers, count)
    if not pairs:
        return 1
    for name, values in (
        ("ratio", sorted(p.ratio for p in pairs)),
        ("CPU-time ratio", sorted(p.cpu_ratio for p in pairs)),
    ):
        print(
            f"{name} min {values[0]:.2f}x, median {statistics.median(values):.2f}x, "
            f"max {values[-1]:.2f}x"
        )
    return 0


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (the parse pool's
    workers, the scan's process tree): unlike wall time, little changed by other load on the
    machine (a check on a wall-time ratio measured while others compute)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _first(events: Iterator[Any], limit: int) -> Iterator[Any]:
    for index, item in enumerate(events):
        if index >= limit:
            return
        yield item


if __name__ == "__main__":
    raise SystemExit(main())
