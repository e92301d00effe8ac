"""The detection engine: a compiled rule set matching events.

Public API (used by the live pipeline, ``vigile scan`` and the benchmarks)::

    ruleset = load_ruleset([Path("rules/")], cache_dir=Path("var/cache"))
    ruleset.report                       # LoadReport: loaded / compiled / failed by reason
    ruleset.match(event)                 # -> list[Rule]; event flat or evtx-nested
    ruleset.match_many(events)           # -> list[list[Rule]], same order
    ruleset.match_json(raw_json)         # -> (flat fields, list[Rule]); fastest path
    ruleset.match(event, LogSource(product="linux", service="auditd"))  # non-Windows
    ruleset_from_yaml([yaml_text])       # compile rules held as text

How an event is matched without per-rule Python work for most rules:

1. routing — a Windows event (it has ``Channel`` or ``EventID``) goes only to the rules whose
   ``Channel``/``EventID`` conditions (added by the log-source pipelines) allow its values;
   for an evtx-shaped event these are ``System.Channel``/``System.EventID`` (a payload field
   named ``Channel`` — the cleared log in log-cleared events — is what a rule's *own*
   ``Channel`` test reads, not the log source);
   other events go to the rules of the log source passed with them;
2. prefilter — per routing bucket (a database of its own rules' needles), one Hyperscan
   scan of the event's lower-cased values finds which required literals occur
   (:mod:`vigile.detection.analysis`);
3. only rules with a literal hit, plus the bucket's rules without any required literal, have
   their full condition evaluated.

Steps 1–2 only skip rules that cannot match, so results equal a full evaluation.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from vigile.detection.cache import cache_key, load_entry, store_entry
from vigile.detection.event import EventView
from vigile.detection.flatten import SYSTEM_CHANNEL, flatten_event
from vigile.detection.index import Bucket, LiteralIndex, values_text
from vigile.detection.matchers import Test
from vigile.detection.model import LoadReport, Rule
from vigile.detection.rulefiles import rule_files


@dataclass(frozen=True, slots=True)
class LogSource:
    """The Sigma log source of a non-Windows event."""

    product: str | None = None
    category: str | None = None
    service: str | None = None


class RuleSet:
    """Compiled rules plus the routing index; picklable (with the per-bucket literal indexes
    built so far, Hyperscan databases included; buckets are rebuilt lazily)."""

    def __init__(self, rules: list[Rule], active: list[bool], report: LoadReport) -> None:
        self.rules = rules
        for i, rule in enumerate(rules):
            rule.index = i
        self.report = report
        self._active = active
        self._init_index()

    def _init_index(self) -> None:
        # Per rule index: its condition as a plain function (Node.compiled), built on first use.
        self._tests: list[Test | None] = [None] * len(self.rules)
        self._buckets: dict[Any, Bucket] = {}
        self._raw_buckets: dict[tuple[bytes, bytes], Bucket] = {}
        self._shared: dict[tuple[int, ...], Bucket] = {}
        self._indexes: dict[tuple[int, ...], LiteralIndex] = {}
        self._by_channel: dict[str, list[Rule]] = {}
        self._any_channel: list[Rule] = []
        self._other: list[Rule] = []
        for rule, active in zip(self.rules, self._active, strict=True):
            if not active:
                continue
            if rule.product == "windows" and rule.channels is not None:
                for ch in rule.channels:
                    self._by_channel.setdefault(ch, []).append(rule)
            elif rule.product == "windows":
                self._any_channel.append(rule)
            else:
                self._other.append(rule)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "active": self._active,
            "report": self.report,
            "indexes": dict(self._indexes),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.rules = state["rules"]
        self._active = state["active"]
        self.report = state["report"]
        self._init_index()
        self._indexes.update(state.get("indexes", {}))

    def prepare(self) -> None:
        """Build the literal index of every Windows (channel, event id) bucket that rules name
        now (e.g. before forking workers, so that they share them instead of each building
        them on first use; the cache holds them too)."""
        for channel, rules in self._by_channel.items():
            event_ids: set[str] = set()
            for rule in rules + self._any_channel:
                if rule.event_ids is not None:
                    event_ids |= rule.event_ids
            self._windows_bucket(channel, None)
            for event_id in sorted(event_ids):
                self._windows_bucket(channel, event_id)

    @property
    def active_rules(self) -> list[Rule]:
        """The rules that are applied to events."""
        return [r for r, a in zip(self.rules, self._active, strict=True) if a]

    def _bucket_for(self, key: tuple[int, ...]) -> Bucket:
        """Buckets with the same rules are shared, with one literal index of their own needles
        (an index shared by a whole channel would report, per event, many needles of rules
        routed elsewhere: one Python callback each)."""
        bucket = self._shared.get(key)
        if bucket is None:
            rules = [self.rules[i] for i in key]
            index = self._indexes.get(key)
            if index is None:
                index = self._indexes[key] = LiteralIndex(rules)
            bucket = self._shared[key] = Bucket(rules, index)
        return bucket

    def _windows_bucket(self, channel: str, event_id: str | None) -> Bucket:
        key = (channel, event_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            rules = self._by_channel.get(channel, []) + self._any_channel
            picked = tuple(
                sorted(
                    r.index
                    for r in rules
                    if r.event_ids is None or (event_id is not None and event_id in r.event_ids)
                )
            )
            bucket = self._buckets[key] = self._bucket_for(picked)
        return bucket

    def _logsource_bucket(self, ls: LogSource) -> Bucket:
        bucket = self._buckets.get(ls)
        if bucket is None:
            picked = tuple(
                r.index
                for r in self._other
                if r.product == ls.product
                and r.category in (None, ls.category)
                and r.service in (None, ls.service)
            )
            bucket = self._buckets[ls] = self._bucket_for(picked)
        return bucket

    def _route(self, fields: Mapping[str, Any], logsource: LogSource | None) -> Bucket | None:
        if logsource is not None:
            return self._logsource_bucket(logsource)
        # A flattened record whose payload had its own Channel keeps the System one aside.
        channel = fields.get(SYSTEM_CHANNEL) or fields.get("Channel")
        if not isinstance(channel, str):
            channel = EventView(fields).lower("Channel")  # other-case field name
            if not isinstance(channel, str):
                return None
        eid = fields["EventID"] if "EventID" in fields else EventView(fields).get("EventID")
        return self._windows_bucket(channel.lower(), _event_id_key(eid))

    def _evaluate(self, bucket: Bucket, fields: Mapping[str, Any], raw: bytes | None) -> list[Rule]:
        """The rules matching flat ``fields``; ``raw``: their JSON text as received, if any
        (scanned as is unless it uses optional escapes)."""
        if not bucket.needs_scan:
            candidates: list[Rule] | None = bucket.always
        else:
            candidates = None if raw is None else bucket.raw_candidates(raw)
            if candidates is None:
                candidates = bucket.candidates(values_text(fields))
        if not candidates:
            return []
        view = EventView(fields)
        return self._matching(candidates, view)

    def _matching(self, candidates: list[Rule], view: EventView) -> list[Rule]:
        """The candidates whose condition holds for the event, in their order."""
        tests = self._tests
        out = []
        for rule in candidates:
            test = tests[rule.index]
            if test is None:
                test = tests[rule.index] = rule.condition.compiled()
            if test(view):
                out.append(rule)
        return out

    def match(self, event: Mapping[str, Any], logsource: LogSource | None = None) -> list[Rule]:
        """The rules matching one event (flat or evtx-nested), in rule order."""
        fields: Mapping[str, Any] = event
        if "Event" in event:
            fields = flatten_event(event)
            key = _system_route(event) if logsource is None else None
            if key is not None:
                return self._evaluate(self._windows_bucket(*key), fields, None)
        bucket = self._route(fields, logsource)
        return [] if bucket is None else self._evaluate(bucket, fields, None)

    def match_json(
        self, raw: bytes | str, logsource: LogSource | None = None
    ) -> tuple[dict[str, Any], list[Rule]]:
        """Match one event given as JSON text (flat or evtx-nested); returns (fields, rules).

        Faster than :meth:`match`: the raw text is scanned by the prefilter as-is, and an
        evtx-shaped event is flattened only when some rule is a candidate (``fields`` is then
        ``{}`` when nothing matched).
        """
        _, fields, rules = self.match_object(raw, logsource)
        return fields, rules

    def match_object(
        self, raw: bytes | str, logsource: LogSource | None = None
    ) -> tuple[Any, dict[str, Any], list[Rule]]:
        """:meth:`match_json`, also returning the decoded JSON value (e.g. for ``System``
        fields that a payload field of the same name hides in the flat fields)."""
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        obj = orjson.loads(data)
        if not isinstance(obj, dict):
            return obj, {}, []
        bucket: Bucket | None
        if "Event" in obj and logsource is None and (key := _system_route(obj)) is not None:
            bucket = self._windows_bucket(*key)
            flat: dict[str, Any] | None = None
            candidates: list[Rule] | None = bucket.always
            if bucket.needs_scan and (candidates := bucket.raw_candidates(data)) is None:
                flat = flatten_event(obj)
                candidates = bucket.candidates(values_text(flat))
            if not candidates:
                return obj, {}, []
            fields = flat if flat is not None else flatten_event(obj)
            view = EventView(fields)
            return obj, fields, self._matching(candidates, view)
        fields = flatten_event(obj) if "Event" in obj else obj
        bucket = self._route(fields, logsource)
        return obj, fields, ([] if bucket is None else self._evaluate(bucket, fields, data))

    def match_evtx_record(self, raw: bytes) -> tuple[Any, dict[str, Any], list[Rule]]:
        """:meth:`match_object` for the JSON text of an EVTX record as the ``evtx`` parser
        writes it (``System`` first, keys in document order), without decoding the JSON of the
        records that no rule can match: the routing values are read from the text itself.

        In that text the first ``"Channel":"…"`` and ``"EventID":…`` keys are ``System``'s
        (a payload string cannot hold such a key: its quotes are escaped); any text that does
        not have them in the expected form takes :meth:`match_object`. Returns ``(None, {},
        [])`` when nothing matched.
        """
        at = raw.find(b'"Channel":')
        channel = _RAW_CHANNEL.match(raw, at + 10) if at >= 0 else None
        at = raw.find(b'"EventID":')
        event_id = _RAW_EVENT_ID.match(raw, at + 10) if at >= 0 else None
        if (
            channel is None
            or (name := channel.group(1)) is None
            or event_id is None
            or (last := event_id.lastindex) is None  # the one group that took the digits
        ):
            return self.match_object(raw)
        number = event_id.group(last)
        bucket = self._raw_buckets.get((name, number))
        if bucket is None:
            bucket = self._windows_bucket(name.decode("utf-8").lower(), number.decode("ascii"))
            self._raw_buckets[(name, number)] = bucket
        # No canonical() test: serde_json (the `evtx` writer) escapes only what JSON requires,
        # spelled as orjson spells it (short escapes, else \u00XX), like the needles.
        candidates = bucket.candidates(raw) if bucket.needs_scan else bucket.always
        if not candidates:
            return None, {}, []
        obj = orjson.loads(raw)
        fields = flatten_event(obj)
        view = EventView(fields)
        return obj, fields, self._matching(candidates, view)

    def match_many(
        self, events: Iterable[Mapping[str, Any]], logsource: LogSource | None = None
    ) -> list[list[Rule]]:
        """:meth:`match` for a batch of events."""
        return [self.match(e, logsource) for e in events]


# The routing values of an EVTX record's JSON text (compact or indented), matched right after
# the first ``"Channel":`` and ``"EventID":`` keys: a string without escapes; an integer, bare,
# quoted (some templates) or as ``#text`` after its ``Qualifiers`` (each form with one group of
# its own: ``lastindex`` names it). Any other value matches the empty alternative (no group):
# the record takes the decoding path.
_RAW_CHANNEL = re.compile(rb'\s*(?:"([^"\\]*)"|)')
_RAW_EVENT_ID = re.compile(
    rb'\s*(?:(\d+)(?=[\s,}])|"(\d+)"'
    rb'|\{\s*"#attributes":\s*\{[^{}]*\},\s*"#text":\s*(?:(\d+)|"(\d+)")\s*\}|)'
)


def _system_route(obj: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(channel, event id) of an evtx-shaped event, from ``Event.System`` — never from a
    payload field of the same name (``UserData.LogFileCleared.Channel`` names the log that was
    cleared, not the event's log); ``None`` when ``System`` has no channel."""
    root = obj["Event"]
    if not isinstance(root, dict):
        return None
    system = root.get("System")
    if not isinstance(system, dict):
        return None
    channel = system.get("Channel")
    if not isinstance(channel, str):
        return None
    eid = system.get("EventID")
    if isinstance(eid, dict):
        eid = eid.get("#text")
    return channel.lower(), _event_id_key(eid)


def _event_id_key(value: Any) -> str | None:
    """Routing text of an EventID: digits for ints, integral floats and digit strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | str):
        return str(value)
    return None


def _load_chunk(
    args: tuple[list[Path], dict[str, list[str]]],
) -> list[Any]:
    from vigile.detection.loader import load_files

    files, placeholders = args
    return load_files(files, placeholders)


def compile_ruleset(
    paths: Sequence[Path],
    placeholders: Mapping[str, Sequence[str]] | None = None,
    processes: int | None = None,
    files: Sequence[Path] | None = None,
) -> RuleSet:
    """Parse and compile all rules (in parallel processes for large sets), without cache;
    ``files``: ``rule_files(paths)`` when the caller has listed them already."""
    import time

    from vigile.detection.loader import load_files

    start = time.perf_counter()
    files = list(files) if files is not None else rule_files(paths)
    ph = {k: list(v) for k, v in (placeholders or {}).items()}
    procs = processes or multiprocessing.cpu_count()
    if procs > 1 and len(files) > 200:
        chunks = [(files[i::procs], ph) for i in range(procs)]
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            parts = pool.map(_load_chunk, chunks)
        # Re-interleave so rule order is the sorted file order whatever the process count.
        by_file: dict[str, list[Any]] = {}
        for part in parts:
            for item in part:
                rule, problem = item[0], item[1]
                path = rule.path if rule is not None else problem.path
                by_file.setdefault(path, []).append(item)
        results = [
            item for f in dict.fromkeys(str(p) for p in files) for item in by_file.get(f, [])
        ]
    else:
        results = load_files(files, ph)
    report = LoadReport(files=len(files))
    rules: list[Rule] = []
    active: list[bool] = []
    for rule, problem, is_active in results:
        if rule is None:
            assert problem is not None
            report.failed.append(problem)
            if problem.rule_id is not None or problem.reason not in ("unparsable file",):
                report.loaded += 1
            continue
        report.loaded += 1
        report.compiled += 1
        rules.append(rule)
        active.append(is_active)
        if problem is not None:
            report.inactive.append(problem)
    report.seconds = time.perf_counter() - start
    return RuleSet(rules, active, report)


def load_ruleset(
    paths: Sequence[Path],
    cache_dir: Path | None = None,
    placeholders: Mapping[str, Sequence[str]] | None = None,
) -> RuleSet:
    """Load a compiled rule set, from the cache in ``cache_dir`` when rule files are unchanged.

    The files are listed and hashed once, before compiling: a rule edited during a compile
    gives the next start another key (a miss), never this compile under its new content's key.
    """
    import time

    start = time.perf_counter()
    if cache_dir is None:
        return compile_ruleset(paths, placeholders)
    files = rule_files(paths)
    key = cache_key(files, placeholders or {})
    cached = load_entry(cache_dir, key)
    if isinstance(cached, RuleSet):
        cached.report.from_cache = True
        cached.report.seconds = time.perf_counter() - start
        return cached
    ruleset = compile_ruleset(paths, placeholders, files=files)
    ruleset.prepare()  # the cache holds the buckets' Hyperscan databases too
    store_entry(cache_dir, key, ruleset)
    return ruleset


def ruleset_from_yaml(
    documents: Sequence[str], placeholders: Mapping[str, Sequence[str]] | None = None
) -> RuleSet:
    """Compile rules given as YAML texts (tests, rules stored in a database)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, doc in enumerate(documents):
            path = Path(tmp) / f"rule{i:05d}.yml"
            path.write_text(doc, encoding="utf-8")
            paths.append(path)
        return compile_ruleset(paths, placeholders, processes=1)
