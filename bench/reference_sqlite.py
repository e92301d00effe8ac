"""Reference Sigma evaluator: pySigma's SQLite backend over flattened events (Zircolite's method).

Every rule is converted with pySigma's ``sqlite`` backend after the ``sysmon`` and
``windows-logsources`` pipelines, so a rule's logsource becomes ``Channel``/``EventID``
conditions. Each EVTX record (the JSON of the ``evtx`` package) is flattened into one row of an
in-memory SQLite table ``logs`` and every rule runs as one query. The result is, per rule, the
matched records.

Known limits of the method, on purpose kept visible rather than patched over (each rule they may
touch gets a *caveat*, see :class:`ReferenceResult`):

- Unnamed ``<Data>`` elements (classic PowerShell 400/800, MSSQL…) arrive as a list; a list does
  not fit in one column. ``data_list="drop"`` (default, what Zircolite does) loses them, so rules
  on the field ``Data`` cannot fire; ``"join"`` stores them joined by newlines, which is right for
  ``contains`` and wrong for equality/``startswith``/``endswith`` on one element.
- SQLite column names are case-insensitive. Within a record, two names that differ only by case
  (Sysmon's ``EventData.ProcessId`` vs ``System.Execution.ProcessID``) share one column: the
  ``EventData``/``UserData`` value wins. Across records, spellings that differ by case are merged
  into one column.
- One deviation from plain Zircolite: the ``Channel`` conditions that the logsource pipeline adds
  test the column ``System_Channel`` (a copy of ``System.Channel``), so that ``UserData``'s own
  ``Channel`` in log-cleared events (the cleared log, which rules test) does not change the
  event's logsource.
- ``LIKE`` and ``COLLATE NOCASE`` fold ASCII letters only; ``|re`` runs with Python's ``re``
  (rules' regexes are written for PCRE/RE2).
- Fields that no event carries would make the SQL fail ("no such column"); they are supplied as
  ``NULL`` (absent), which is Sigma's meaning, and reported as a caveat.
- A column holds INTEGER affinity when every value is an integer (so ``|gt`` compares numbers),
  otherwise TEXT; both with ``COLLATE NOCASE``.
- pySigma's SQLite backend cannot convert keyword (field-less) values; here they become a
  search of every field value of the event (case-insensitive substring, wildcards honoured).
- Only rules whose ``logsource.product`` is ``windows`` apply to EVTX records; others are
  reported as not applicable (0 matches). Windows rules whose logsource neither pipeline maps are
  converted without any Channel/EventID condition and so test every event (caveat).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import orjson

RULE_DIRS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
TABLE = "logs"
ROW_ID = "row_id"
SYSTEM_CHANNEL = "System_Channel"
KEYWORD_COLUMN = "sigma_all_values"
KEYWORD_FUNCTION = "sigma_keyword"
QUERY_PREFIX = f"SELECT * FROM {TABLE} WHERE "
CACHE_FORMAT = 6

RecordKey = tuple[str, int]
"""A record's identity: (file, EventRecordID)."""

DataListMode = Literal["drop", "join"]

# System attributes renamed as Sigma rules (and Zircolite's field mappings) name them.
_SYSTEM_ATTRIBUTE_NAMES = {
    ("Provider", "Name"): "Provider_Name",
    ("Provider", "Guid"): "Guid",
    ("Provider", "EventSourceName"): "EventSourceName",
    ("TimeCreated", "SystemTime"): "SystemTime",
    ("Execution", "ProcessID"): "ProcessID",
    ("Execution", "ThreadID"): "ThreadID",
    ("Security", "UserID"): "UserID",
    ("Correlation", "ActivityID"): "ActivityID",
    ("Correlation", "RelatedActivityID"): "RelatedActivityID",
    ("EventID", "Qualifiers"): "Qualifiers",
}
_INT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")


def corpus_rule_dirs(corpus: Path) -> list[Path]:
    """The three rule folders of the corpus' Sigma checkout."""
    return [corpus / "sigma" / name for name in RULE_DIRS]


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Every ``*.yml``/``*.yaml`` file under the given files or folders, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        else:
            found.append(path)
    return sorted(found)


# --------------------------------------------------------------------------- rule conversion


@dataclass
class ConvertedRule:
    """One Sigma rule after conversion: its SQL ``WHERE`` clauses, or why there are none."""

    rule_id: str
    title: str
    level: str
    path: str
    product: str | None
    category: str | None
    service: str | None
    where: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    error: str | None = None
    unmapped_logsource: bool = False

    @property
    def applicable(self) -> bool:
        """Whether the rule applies to Windows event logs at all."""
        return (self.product or "").lower() == "windows"


def _mapped_windows_logsource(category: str | None, service: str | None) -> bool:
    """Whether the sysmon/windows pipelines turn this logsource into Channel/EventID conditions."""
    from sigma.pipelines.common import windows_logsource_mapping
    from sigma.pipelines.sysmon.sysmon import sysmon_generic_logsource_eventid_mapping
    from sigma.pipelines.windows.windows import windows_generic_category_channel_mapping

    if category is None and service is None:
        return True  # product only: the rule is meant for every Windows event
    if category is not None:
        return (
            category in sysmon_generic_logsource_eventid_mapping
            or category in windows_generic_category_channel_mapping
        )
    return service is not None and service in windows_logsource_mapping


def _tool_versions() -> str:
    names = ("pysigma", "pysigma-backend-sqlite", "pysigma-pipeline-sysmon")
    versions = []
    for name in (*names, "pysigma-pipeline-windows"):
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    return ",".join(versions)


def _rules_digest(files: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{_tool_versions()}".encode())
    for path in files:
        digest.update(str(path).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _convert_file(path: Path, backend: Any) -> list[ConvertedRule]:
    from sigma.collection import SigmaCollection

    try:
        collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
    except Exception as exc:  # a broken file must not stop the others
        return [
            ConvertedRule(
                rule_id=f"file:{path}",
                title="",
                level="",
                path=str(path),
                product=None,
                category=None,
                service=None,
                error=f"load: {type(exc).__name__}: {exc}",
            )
        ]
    converted = []
    for rule in collection.rules:
        logsource = rule.logsource
        item = ConvertedRule(
            rule_id=str(rule.id) if rule.id else f"file:{path}",
            title=rule.title or "",
            level=rule.level.name.lower() if rule.level else "",
            path=str(path),
            product=logsource.product,
            category=logsource.category,
            service=logsource.service,
        )
        item.unmapped_logsource = item.applicable and not _mapped_windows_logsource(
            logsource.category, logsource.service
        )
        try:
            queries = backend.convert_rule(rule)
            where = []
            for query in queries:
                if not isinstance(query, str) or not query.startswith(QUERY_PREFIX):
                    raise ValueError(f"unexpected query shape: {str(query)[:80]}")
                where.append(query[len(QUERY_PREFIX) :])
            item.where = where
            item.fields = list(backend.required_fields(rule))
        except Exception as exc:
            item.error = f"convert: {type(exc).__name__}: {exc}"
        converted.append(item)
    return converted


def _system_channel() -> Any:
    """Point the Channel conditions the logsource pipeline adds at the ``System_Channel`` column.

    ``UserData`` of log-cleared events (System 104, Security 1102) carries its own ``Channel``
    (the cleared log) that rules test; the logsource condition means the event's channel.
    """
    from sigma.pipelines.common import windows_logsource_mapping
    from sigma.processing.conditions import DetectionItemProcessingItemAppliedCondition
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import FieldMappingTransformation

    return ProcessingPipeline(
        name="reference: logsource Channel is the System channel",
        priority=100,
        items=[
            ProcessingItem(
                identifier="reference_system_channel",
                transformation=FieldMappingTransformation({"Channel": SYSTEM_CHANNEL}),
                detection_item_conditions=[
                    DetectionItemProcessingItemAppliedCondition(f"windows_logsource_{service}")
                    for service in windows_logsource_mapping
                ],
                detection_item_condition_linking=any,
            )
        ],
    )


def _keyword_backend(pipeline: Any) -> Any:
    """The SQLite backend, plus keyword (field-less) values as a search of every field value.

    pySigma's SQLite backend refuses keywords (no full-text search). Here a keyword becomes
    ``sigma_keyword(<all values>, <regex>)``: true when the value occurs (case-insensitively,
    wildcards honoured) inside any one field value of the event.
    """
    from sigma.backends.sqlite import sqliteBackend
    from sigma.types import SigmaString

    class KeywordBackend(sqliteBackend):  # type: ignore[misc, valid-type]
        def convert_condition_val_str(self, cond: Any, state: Any) -> str:
            value = cond.value
            if not isinstance(value, SigmaString):
                value = SigmaString(str(value))
            regex = str(value.to_regex().regexp).replace("'", "''")
            return f"{KEYWORD_FUNCTION}({KEYWORD_COLUMN}, '(?is){regex}')"

        def convert_condition_val_num(self, cond: Any, state: Any) -> str:
            return self.convert_condition_val_str(cond, state)

    return KeywordBackend(pipeline)


def convert_rules(paths: Iterable[Path], cache_dir: Path | None = None) -> list[ConvertedRule]:
    """Convert every rule under ``paths`` (sysmon + windows-logsources pipelines, SQLite backend).

    With ``cache_dir``, the result is cached under a digest of the rule files' contents and of
    the pySigma package versions.
    """
    files = rule_files(paths)
    cache_file = None
    if cache_dir is not None:
        cache_file = cache_dir / f"reference-rules-{_rules_digest(files)[:24]}.json"
        if cache_file.is_file():
            return [ConvertedRule(**item) for item in orjson.loads(cache_file.read_bytes())]

    from sigma.pipelines.sysmon import sysmon_pipeline
    from sigma.pipelines.windows import windows_logsource_pipeline

    # Same order as Zircolite's `sigma convert -t sqlite -p sysmon -p windows-logsources`: the
    # sysmon items rewrite the logsource to service sysmon, then the windows items add Channel.
    pipeline = sysmon_pipeline() + windows_logsource_pipeline() + _system_channel()
    backend = _keyword_backend(pipeline)
    rules = [item for path in files for item in _convert_file(path, backend)]
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps([asdict(rule) for rule in rules]))
        tmp.replace(cache_file)
    return rules


# --------------------------------------------------------------------------- event flattening


@dataclass
class FlatRecord:
    """One event as a row: column values keyed by lower-cased name, with their spellings."""

    values: dict[str, Any] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)
    collisions: set[str] = field(default_factory=set)
    data_list: bool = False
    texts: list[str] = field(default_factory=list)


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float | str):
        return value
    return orjson.dumps(value).decode()


class _Flattener:
    def __init__(self, data_list: DataListMode) -> None:
        self.data_list = data_list
        self.record = FlatRecord()

    def put(self, name: str, value: Any) -> None:
        if value is None:
            return
        record = self.record
        lower = name.lower()
        previous = record.spellings.get(lower)
        if previous is not None:
            record.collisions.add(lower)
        record.values[lower] = _scalar(value)
        record.spellings[lower] = name
        record.texts.append(str(record.values[lower]))

    def walk(self, node: Any, name: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "#attributes":
                    if isinstance(value, dict):
                        for attr, attr_value in value.items():
                            if attr.startswith("xmlns"):
                                continue
                            target = _SYSTEM_ATTRIBUTE_NAMES.get((name, attr), attr)
                            self.walk(attr_value, target)
                elif key == "#text":
                    self.walk(value, name)
                else:
                    self.walk(value, key)
        elif isinstance(node, list):
            if name == "Data":
                self.record.data_list = True
                self.record.texts.extend(str(v) for v in node if v is not None)
                if self.data_list == "join":
                    self.put(name, "\n".join("" if v is None else str(v) for v in node))
            else:
                self.put(name, node)
        else:
            self.put(name, node)


def flatten_event(event: dict[str, Any], data_list: DataListMode = "drop") -> FlatRecord:
    """Flatten one event (``evtx`` JSON, ``{"Event": {...}}``, or already flat) into a row.

    ``System`` fields come first (``EventID`` from ``#text``, ``Provider_Name`` from the
    provider's ``Name`` attribute…), then ``EventData``/``UserData`` fields by their leaf name.
    """
    flattener = _Flattener(data_list)
    body = event.get("Event")
    if not isinstance(body, dict):  # already flat
        for key, value in event.items():
            flattener.walk(value, key)
        if "channel" not in flattener.record.spellings:
            return flattener.record
        flattener.put(SYSTEM_CHANNEL, flattener.record.values["channel"])
        return flattener.record
    system = body.get("System")
    if isinstance(system, dict):
        flattener.walk(system, "System")
        flattener.put(SYSTEM_CHANNEL, system.get("Channel"))
    for key, value in body.items():
        if key in ("System", "#attributes"):
            continue
        if key in ("EventData", "UserData") or isinstance(value, dict):
            flattener.walk(value, key)
        else:
            flattener.put(key, value)
    return flattener.record


def _record_id(event: dict[str, Any], header_id: int) -> int:
    """``System.EventRecordID`` (what the event says), else the chunk header's record id."""
    try:
        return int(event["Event"]["System"]["EventRecordID"])
    except (KeyError, TypeError, ValueError):
        return int(header_id)


def iter_evtx_events(
    files: Iterable[Path], root: Path | None = None
) -> Iterator[tuple[RecordKey, dict[str, Any]]]:
    """Yield ``((file, record_id), event)`` for every record of the EVTX files.

    ``file`` is the path relative to ``root`` when given, else the path as passed.
    """
    import evtx

    for path in files:
        name = str(path.relative_to(root)) if root is not None else str(path)
        parser = evtx.PyEvtxParser(str(path))
        for record in parser.records_json():
            event = orjson.loads(record["data"])
            yield (name, _record_id(event, record["event_record_id"])), event


# --------------------------------------------------------------------------- evaluation


@dataclass
class ReferenceResult:
    """Per-rule outcome of the reference on a set of events.

    ``counts`` has every rule that ran (zeros included); ``matches`` the matched records of each;
    ``failures`` rule id → reason for rules that could not run (conversion or SQL error);
    ``not_applicable`` the rules that are not for Windows event logs; ``caveats`` rule id → the
    known limits of the method that may affect that rule on these events.
    """

    events: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    matches: dict[str, list[RecordKey]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    not_applicable: set[str] = field(default_factory=set)
    caveats: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    load_seconds: float = 0.0
    query_seconds: float = 0.0

    def to_json(self) -> bytes:
        """Serialise (for caching)."""
        data = asdict(self)
        data["not_applicable"] = sorted(self.not_applicable)
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: bytes) -> ReferenceResult:
        """Inverse of :meth:`to_json`."""
        data = orjson.loads(raw)
        data["not_applicable"] = set(data["not_applicable"])
        data["matches"] = {k: [(f, int(r)) for f, r in v] for k, v in data["matches"].items()}
        return cls(**data)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ReferenceEvaluator:
    """Evaluate converted Sigma rules over events loaded into an in-memory SQLite table."""

    def __init__(
        self,
        rules: Sequence[ConvertedRule],
        *,
        data_list: DataListMode = "drop",
        query_timeout: float = 120.0,
    ) -> None:
        self.rules = list(rules)
        self.data_list: DataListMode = data_list
        self.query_timeout = query_timeout
        self._regex_cache: dict[str, re.Pattern[str]] = {}
        self._regex_error: str | None = None

    @classmethod
    def from_paths(
        cls, rule_paths: Iterable[Path], cache_dir: Path | None = None, **options: Any
    ) -> ReferenceEvaluator:
        """Convert the rules under ``rule_paths`` and build an evaluator."""
        return cls(convert_rules(rule_paths, cache_dir), **options)

    def _regexp(self, pattern: str, value: Any) -> int:
        if value is None:
            return 0
        compiled = self._regex_cache.get(pattern)
        if compiled is None:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                self._regex_error = f"regex {pattern!r}: {exc}"
                raise
            self._regex_cache[pattern] = compiled
        return 1 if compiled.search(str(value)) else 0

    def _keyword(self, values: str | None, pattern: str) -> int:
        if not values:
            return 0
        compiled = self._regex_cache.get(pattern)
        if compiled is None:
            compiled = self._regex_cache[pattern] = re.compile(pattern)
        return 1 if any(compiled.search(v) for v in orjson.loads(values)) else 0

    def _load(
        self, connection: sqlite3.Connection, events: Iterable[tuple[RecordKey, dict[str, Any]]]
    ) -> tuple[list[RecordKey], dict[str, set[str]], dict[str, int], int]:
        keys: list[RecordKey] = []
        rows: list[dict[str, Any]] = []
        spellings: dict[str, set[str]] = defaultdict(set)
        collisions: dict[str, int] = defaultdict(int)
        integer: dict[str, bool] = {}
        data_lists = 0
        for key, event in events:
            record = flatten_event(event, self.data_list)
            keys.append(key)
            record.values[KEYWORD_COLUMN.lower()] = orjson.dumps(record.texts).decode()
            rows.append(record.values)
            data_lists += record.data_list
            spellings[KEYWORD_COLUMN.lower()].add(KEYWORD_COLUMN)
            for lower, name in record.spellings.items():
                spellings[lower].add(name)
            for lower in record.collisions:
                collisions[lower] += 1
            for lower, value in record.values.items():
                if integer.get(lower, True):
                    integer[lower] = (isinstance(value, int) and not isinstance(value, bool)) or (
                        isinstance(value, str) and _INT_TEXT.fullmatch(value) is not None
                    )
        # SQLite decodes a row's columns up to the one it reads: the logsource columns go first.
        first = [c.lower() for c in (SYSTEM_CHANNEL, "EventID", "Channel", "Provider_Name")]
        columns = [c for c in first if c in spellings]
        columns += sorted(c for c in spellings if c not in first and c != KEYWORD_COLUMN.lower())
        columns.append(KEYWORD_COLUMN.lower())
        if len(columns) > 1900:
            raise RuntimeError(f"{len(columns)} distinct fields: over SQLite's column limit")
        definitions = [f"{ROW_ID} INTEGER PRIMARY KEY"] + [
            f"{_quote(sorted(spellings[c])[0])} {'INTEGER' if integer[c] else 'TEXT'}"
            " COLLATE NOCASE"
            for c in columns
        ]
        connection.execute(f"CREATE TABLE {TABLE} ({', '.join(definitions)})")
        placeholders = ", ".join("?" * (len(columns) + 1))
        connection.executemany(
            f"INSERT INTO {TABLE} VALUES ({placeholders})",
            ([i, *(row.get(c) for c in columns)] for i, row in enumerate(rows)),
        )
        return keys, spellings, collisions, data_lists

    def _caveats(
        self,
        rule: ConvertedRule,
        spellings: dict[str, set[str]],
        collisions: dict[str, int],
        data_lists: int,
    ) -> list[str]:
        notes = []
        missing = [f for f in rule.fields if f.lower() not in spellings]
        if missing:
            notes.append(f"fields absent from every event (read as NULL): {', '.join(missing)}")
        if rule.unmapped_logsource:
            notes.append("logsource not mapped by the pipelines: the query tests every event")
        for name in rule.fields:
            seen = spellings.get(name.lower(), set())
            if name == "Data" and data_lists:
                notes.append(f"{data_lists} events have unnamed Data lists ({self.data_list})")
            if seen and seen != {name}:
                notes.append(f"field {name} merged case-insensitively with {sorted(seen)}")
            if collisions.get(name.lower()):
                notes.append(
                    f"field {name}: in System and payload of {collisions[name.lower()]} events"
                )
        sql = " ".join(rule.where)
        if f"{KEYWORD_FUNCTION}(" in sql:
            notes.append("keywords searched (contains, case-insensitive) in every field value")
        if " REGEXP " in sql:
            notes.append("regex evaluated with Python re")
        if not sql.isascii():
            notes.append("non-ASCII literal: LIKE/NOCASE fold ASCII only")
        return notes

    def evaluate(self, events: Iterable[tuple[RecordKey, dict[str, Any]]]) -> ReferenceResult:
        """Load the events into SQLite and run every applicable rule; return per-rule results."""
        result = ReferenceResult()
        connection = sqlite3.connect(":memory:")
        try:
            connection.create_function("regexp", 2, self._regexp, deterministic=True)
            connection.create_function(KEYWORD_FUNCTION, 2, self._keyword, deterministic=True)
            start = time.perf_counter()
            keys, spellings, collisions, data_lists = self._load(connection, events)
            result.events = len(keys)
            result.load_seconds = time.perf_counter() - start

            start = time.perf_counter()
            for rule in self.rules:
                result.titles[rule.rule_id] = rule.title
                if rule.error is not None and rule.error.startswith("load:"):
                    result.failures[rule.rule_id] = rule.error
                    continue
                if not rule.applicable:
                    result.not_applicable.add(rule.rule_id)
                    continue
                if rule.error is not None:
                    result.failures[rule.rule_id] = rule.error
                    continue
                caveats = self._caveats(rule, spellings, collisions, data_lists)
                if caveats:
                    result.caveats[rule.rule_id] = caveats
                try:
                    rows = self._run(connection, rule, spellings)
                except sqlite3.Error as exc:
                    reason = self._regex_error or str(exc)
                    result.failures[rule.rule_id] = f"sql: {reason}"
                    self._regex_error = None
                    continue
                result.counts[rule.rule_id] = len(rows)
                result.matches[rule.rule_id] = [keys[i] for i in sorted(rows)]
            result.query_seconds = time.perf_counter() - start
        finally:
            connection.close()
        return result

    def _run(
        self, connection: sqlite3.Connection, rule: ConvertedRule, spellings: dict[str, set[str]]
    ) -> set[int]:
        missing = sorted({f for f in rule.fields if f.lower() not in spellings})
        source = TABLE
        if missing:
            nulls = ", ".join(f"NULL AS {_quote(name)}" for name in missing)
            source = f"(SELECT *, {nulls} FROM {TABLE}) AS {TABLE}"
        deadline = time.monotonic() + self.query_timeout
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
        try:
            rows: set[int] = set()
            for where in rule.where:
                sql = f"SELECT {ROW_ID} FROM {source} WHERE {where}"
                rows.update(row[0] for row in connection.execute(sql))
            return rows
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise sqlite3.OperationalError(
                    f"query exceeded {self.query_timeout:.0f}s and was interrupted"
                ) from exc
            raise
        finally:
            connection.set_progress_handler(None, 0)


def result_cache_key(
    rule_paths: Iterable[Path], evtx_files: Iterable[Path], data_list: DataListMode
) -> str:
    """A digest of everything a reference result depends on: rules, events, code, options."""
    digest = hashlib.sha256(_rules_digest(rule_files(rule_paths)).encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(data_list.encode())
    for path in sorted(evtx_files):
        digest.update(str(path).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def evaluate_evtx(
    rule_paths: Iterable[Path],
    evtx_files: Iterable[Path],
    *,
    root: Path | None = None,
    cache_dir: Path | None = None,
    data_list: DataListMode = "drop",
) -> ReferenceResult:
    """Convert the rules, read the EVTX files and evaluate: the whole reference in one call."""
    evaluator = ReferenceEvaluator.from_paths(rule_paths, cache_dir, data_list=data_list)
    return evaluator.evaluate(iter_evtx_events(evtx_files, root))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.reference_sqlite [--rules DIR]... INPUT...``: print per-rule counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path, help="EVTX files or folders")
    parser.add_argument("--rules", action="append", type=Path, help="rule folder (repeatable)")
    parser.add_argument("--data-list", choices=["drop", "join"], default="drop")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    if not args.rules:
        from vigile.config import Settings

        args.rules = corpus_rule_dirs(Settings().corpus)
    files = sorted(
        f
        for p in args.inputs
        for f in ([p] if p.is_file() else p.rglob("*"))
        if f.suffix.lower() == ".evtx"
    )
    result = evaluate_evtx(args.rules, files, cache_dir=args.cache_dir, data_list=args.data_list)
    for rule_id, count in sorted(result.counts.items(), key=lambda kv: -kv[1]):
        if count:
            print(f"{count:7d}  {rule_id}  {result.titles.get(rule_id, '')}")
    print(
        f"{result.events} events, {len(result.counts)} rules ran, "
        f"{sum(1 for c in result.counts.values() if c)} matched, {len(result.failures)} failed, "
        f"{len(result.not_applicable)} not applicable; load {result.load_seconds:.1f}s, "
        f"queries {result.query_seconds:.1f}s",
        file=sys.stderr,
    )
    if args.json:
        args.json.write_bytes(result.to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
