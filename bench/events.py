"""Benchmark of the embedded event store: insert rate and search latency on synthetic events.

Writes ``--events`` (default 1,000,000) Sysmon-like events of 10 tenants over 30 days in
batches of ``--batch``, then times typical searches of one tenant (median of 5 runs, after
a warm-up): a recent page, conditions on promoted columns, the same condition through the
JSON fields column (``CmdCopy`` is ``CommandLine`` kept in JSON only), regex, ``in``, a
30-day hunt, a fetch by id, and a replay of a batch (idempotency).

``--corpus`` measures instead what the live pipeline pays in the server process per stored
event: batches of ``--batch`` (5,000) realistic events (corpus EVTX records as JSON, each a
distinct copy) built into ``EventRows`` and pickled as the detection processes do, then, timed,
unpickled and stored (``add_rows``) into a store already holding ``--events`` (1,000,000)
events of the same day: CPU (all threads of the process) and wall µs per event, then a replay
and the first batch after a restart (when the writer reads the day's stored ids).

Usage: ``python bench/events.py [--events N] [--batch B] [--dir PATH] [--keep]
[--corpus [--measure M]]``.
"""

from __future__ import annotations

import argparse
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from vigile.events.duckdb_store import DuckDbEventStore  # noqa: E402
from vigile.events.query import parse_conditions  # noqa: E402
from vigile.events.store import Event, EventQuery, EventRows, canonical_raw  # noqa: E402
from vigile.ingest.parsers.evtx import parse_evtx  # noqa: E402
from vigile.ingest.parsers.model import ParseOptions  # noqa: E402
from vigile.pagination import PageRequest  # noqa: E402

TENANTS = 10
DAYS = 30
END = datetime(2026, 11, 26, tzinfo=UTC)
IMAGES = [
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
    "C:\\Windows\\System32\\svchost.exe",
]
COMMANDS = ["", " -enc ZQBjAGgAbwA=", " /c whoami /all", " sekurlsa::logonpasswords", " -k netsvcs"]


def synthetic(n: int, count: int, rng: random.Random) -> Event:
    """Event ``n`` of ``count``: one of a few Sysmon shapes, with a heterogeneous tail of
    fields; times rise with ``n`` over the 30 days, a few minutes out of order (live feed)."""
    second = (n * DAYS * 86400) // count + rng.randrange(-300, 300)
    when = END - timedelta(days=DAYS) + timedelta(seconds=min(max(second, 0), DAYS * 86400 - 1))
    image = rng.choice(IMAGES)
    command = f'"{image}"{rng.choice(COMMANDS)} {n}'
    fields: dict[str, str | int | None] = {
        "EventID": rng.choice([1, 1, 1, 3, 11, 13]),
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": f"ws{n % 700:04d}.corp.example",
        "Image": image,
        "CommandLine": command,
        "CmdCopy": command,
        "User": f"CORP\\user{n % 400}",
        "ProcessId": n % 65536,
        "LogonId": f"0x{n % 9973:x}",
    }
    if n % 3 == 0:
        fields["TargetFilename"] = f"C:\\Users\\u{n % 400}\\AppData\\Local\\Temp\\f{n}.tmp"
    if n % 5 == 0:
        fields["DestinationIp"] = f"10.{n % 250}.{n % 200}.{n % 100}"
        fields["DestinationPort"] = 443
    raw = canonical_raw({"System": {"EventRecordID": n, "TimeCreated": when.isoformat()}, **fields})
    return Event.new(
        n % TENANTS + 1,
        raw,
        fields,
        time=when,
        received_at=when + timedelta(seconds=2),
        source_type="sysmon",
        source=str(fields["Computer"]),
    )


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    """Median milliseconds of ``runs`` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def corpus_events(corpus: Path, distinct: int = 2_000) -> Callable[[int, datetime], Event]:
    """A maker of realistic events: copy ``n`` of a corpus EVTX record (JSON, ``bench_seq``
    prepended so that each copy has its own id) at a given time; fields parsed as ingest does."""
    sys.path.insert(0, str(ROOT))
    from bench.ingest import corpus_records

    records = corpus_records(corpus, distinct)
    parsed = [parse_evtx(r, ParseOptions()).fields for r in records]

    def make(n: int, when: datetime) -> Event:
        i = n % len(records)
        raw = (b'{"bench_seq":%d,' % n + records[i][1:]).decode()
        fields = {"bench_seq": n, **parsed[i]}
        return Event.new(
            n % TENANTS + 1,
            raw,
            fields,
            time=when,
            received_at=when + timedelta(seconds=1),
            source_type="evtx",
            source=f"bulk:{fields.get('Computer', '')}",
        )

    return make


def corpus_insert(args: argparse.Namespace, workdir: Path) -> None:
    """Server-process cost per stored event of the live pipeline's batches (see above)."""
    make = corpus_events(args.corpus_dir)
    held = {} if args.known_keys is None else {"known_keys": args.known_keys}
    day = END - timedelta(days=1)
    store = DuckDbEventStore(workdir / "events.duckdb", **held)
    start = time.perf_counter()
    span = 20 * 3600 / max(args.events, 1)  # prefill: 00:00-20:00, the day's first hours
    for offset in range(0, args.events, args.batch):
        count = min(args.batch, args.events - offset)
        rows = EventRows.of(
            [make(n, day + timedelta(seconds=n * span)) for n in range(offset, offset + count)]
        )
        store.add_rows(rows)
    took = time.perf_counter() - start
    print(f"prefilled {store.count():,} corpus events of one day in {took:.1f} s")

    # The live feed's next batches (20:00 onwards, seconds apart), built and pickled as the
    # detection processes do; their cost is reported apart (it is not the server's).
    start = time.process_time()
    blobs: list[bytes] = []
    base = args.events
    for b in range(args.measure + 1):  # the last one after a restart
        first = base + b * args.batch
        events = [
            make(n, day + timedelta(hours=20, milliseconds=(n - base) * 50))
            for n in range(first, first + args.batch)
        ]
        rows = EventRows()
        for event in events:
            rows.append(event)
        blobs.append(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    cold = blobs.pop()
    built = (time.process_time() - start) * 1e6 / ((args.measure + 1) * args.batch)
    size = sum(map(len, blobs)) / (args.measure * args.batch)
    print(f"detection side: {built:.1f} µs CPU/event to make, build and pickle rows; {size:,.0f} B")

    cpu0, wall0, added, unpickling = time.process_time(), time.perf_counter(), 0, 0.0
    for blob in blobs:
        start = time.perf_counter()
        rows = pickle.loads(blob)
        unpickling += time.perf_counter() - start
        added += store.add_rows(rows)
    measured = args.measure * args.batch
    cpu = (time.process_time() - cpu0) * 1e6 / measured
    wall = (time.perf_counter() - wall0) * 1e6 / measured
    print(
        f"server side: {args.measure} batches of {args.batch:,} (unpickle + add_rows): "
        f"{cpu:.1f} µs CPU/event, {wall:.1f} µs wall/event ({added:,} added); "
        f"unpickling {unpickling * 1e6 / measured:.1f} µs/event of it"
    )
    cpu0, wall0 = time.process_time(), time.perf_counter()
    again = store.add_rows(pickle.loads(blobs[0]))
    cpu = (time.process_time() - cpu0) * 1e6 / args.batch
    wall = (time.perf_counter() - wall0) * 1e6 / args.batch
    print(f"replay of one batch: {again} added, {cpu:.1f} µs CPU/event, {wall:.1f} µs wall/event")
    store.close()
    store = DuckDbEventStore(workdir / "events.duckdb", **held)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    added = store.add_rows(pickle.loads(cold))
    cpu = (time.process_time() - cpu0) * 1e3
    wall = (time.perf_counter() - wall0) * 1e3
    print(f"first batch after a restart: {added:,} added in {cpu:.0f} ms CPU, {wall:.0f} ms wall")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the store file")
    parser.add_argument("--corpus", action="store_true", help="server cost per stored event")
    parser.add_argument("--corpus-dir", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--measure", type=int, default=10, help="measured batches (--corpus)")
    parser.add_argument("--known-keys", type=int, default=None, help="the store's id budget")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vigile-events-", dir=args.dir))
    if args.corpus:
        try:
            corpus_insert(args, workdir)
        finally:
            shutil.rmtree(workdir)
        return
    path = workdir / "events.duckdb"
    rng = random.Random(42)

    start = time.perf_counter()
    events = [synthetic(n, args.events, rng) for n in range(args.events)]
    made = time.perf_counter() - start
    print(f"built {len(events):,} events in {made:.1f} s ({len(events) / made:,.0f}/s)")

    store = DuckDbEventStore(path)
    start = time.perf_counter()
    for offset in range(0, len(events), args.batch):
        store.add(events[offset : offset + args.batch])
    store.close()
    elapsed = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    print(
        f"inserted {args.events:,} events in {elapsed:.1f} s: {args.events / elapsed:,.0f} "
        f"events/s (batches of {args.batch:,}); file {size:,.0f} MB"
    )

    store = DuckDbEventStore(path)
    replay = events[: args.batch]
    start = time.perf_counter()
    added = store.add(replay)
    took = time.perf_counter() - start
    print(f"replay of {len(replay):,} stored events: {added} added in {took:.2f} s")

    def search(where: list[str], days: float = 1, limit: int = 50) -> Callable[[], object]:
        query = EventQuery(
            frozenset({3}),
            END - timedelta(days=days),
            END,
            parse_conditions(where),
            PageRequest(limit=limit),
        )
        return lambda: store.search(query)

    cases = [
        ("last 24 h, first page, no condition", search([])),
        ("24 h, CommandLine|contains (column)", search(["CommandLine|contains=sekurlsa"])),
        ("24 h, CmdCopy|contains (JSON)", search(["CmdCopy|contains=sekurlsa"])),
        ("7 d, CommandLine|contains (column)", search(["CommandLine|contains=sekurlsa"], 7)),
        ("7 d, CmdCopy|contains (JSON)", search(["CmdCopy|contains=sekurlsa"], 7)),
        (
            "7 d, Image|endswith AND CommandLine|contains",
            search(["Image|endswith=\\powershell.exe", "CommandLine|contains=-enc"], 7),
        ),
        ("7 d, LogonId= (JSON, rare)", search(["LogonId=0x2a"], 7)),
        ("7 d, CommandLine|re", search(["CommandLine|re=-enc\\s+[a-z0-9=]+"], 7)),
        ("7 d, EventID|in", search(["EventID|in=3,11"], 7)),
        ("30 d, CommandLine|contains (column)", search(["CommandLine|contains=whoami"], 30)),
        ("30 d, CmdCopy|contains (JSON)", search(["CmdCopy|contains=whoami"], 30)),
    ]
    total = store.search(EventQuery(frozenset({3}), END - timedelta(days=31), END)).total
    print(f"\nsearches of tenant 3 ({total:,} of {args.events:,} events), median of 5:")
    for name, fn in cases:
        result = fn()
        matched = getattr(result, "total", 0)
        print(f"  {name:<46} {timed(fn):8.1f} ms  ({matched:,} matches)")
    target = events[len(events) // 2 + 2]
    ms = timed(lambda: store.get(target.tenant_id, target.event_id))
    print(f"  {'get by id':<46} {ms:8.1f} ms")
    store.close()
    if args.keep:
        print(f"\nstore kept in {workdir}")
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
