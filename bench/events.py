"""Benchmark of the embedded event store: insert rate and search latency on synthetic events.

Writes ``--events`` (default 1,000,000) Sysmon-like events of 10 tenants over 30 days in
batches of ``--batch``, then times typical searches of one tenant (median of 5 runs, after
a warm-up): a recent page, conditions on promoted columns, the same condition through the
JSON fields column (``CmdCopy`` is ``CommandLine`` kept in JSON only), regex, ``in``, a
30-day hunt, a fetch by id, and a replay of a batch (idempotency).

Usage: ``python bench/events.py [--events N] [--batch B] [--dir PATH] [--keep]``.
"""

from __future__ import annotations

import argparse
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
from vigile.events.store import Event, EventQuery, canonical_raw  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the store file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vigile-events-", dir=args.dir))
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
